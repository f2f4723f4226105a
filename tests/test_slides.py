"""The slide deck of lesson 06: `course.py slides` builds it, and it works offline in a real browser.

Builds the deck from the saved notebook (as `python3 course.py slides` does, with this
interpreter), opens it from disk in headless Chromium and checks that every slide has
content, that the arrow keys move through the slides, and that no request leaves the
machine (every request is recorded; anything but file:// is refused and fails the test).
Needs Debian's Chromium (/usr/bin/chromium) and the `playwright` package; skipped without.
"""

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_rsnn_moving_digits.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _course():
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("slides")
    return _course().build_slides(NOTEBOOK, python=sys.executable, out_dir=out)


def test_deck_is_built_with_local_scripts_only(deck):
    html = deck.read_text(encoding="utf-8")
    assert deck.name == "06_rsnn_moving_digits.slides.html"
    sources = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', html)
    assert "_deck/reveal.js/dist/reveal.js" in sources and "_deck/mathjax/es5/tex-chtml.js" in sources
    remote = [s for s in sources if re.match(r"(https?:)?//", s)]
    assert remote == []
    for local in sources:
        if not local.startswith(("data:", "#")):
            assert (deck.parent / local).is_file(), local          # copied beside the deck
    assert (deck.parent / "_deck" / "reveal.js" / "LICENSE").is_file()
    assert (deck.parent / "_deck" / "mathjax" / "LICENSE").is_file()
    assert "Last training run" in html and "class RSNNNet" in html


sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")
def test_deck_in_a_browser_offline(deck):
    requests, refused, failed, errors = [], [], [], []
    shots = os.environ.get("SNNLESSON_DECK_SCREENSHOTS")       # a folder: save a screenshot per slide
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})

            def route(r):
                requests.append(r.request.url)
                if r.request.url.startswith(("file://", "data:")):
                    r.continue_()
                else:
                    refused.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(deck.as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
            total = page.evaluate("Reveal.getTotalSlides()")
            assert total >= 12
            # Every slide (and sub-slide) has something to show: text or a picture.
            empty = page.evaluate("""() => [...document.querySelectorAll('.slides section')]
                .filter(s => !s.querySelector('section'))
                .filter(s => s.innerText.trim().length < 20 && !s.querySelector('img, svg, canvas'))
                .map(s => s.id || s.outerHTML.slice(0, 80))""")
            assert empty == []
            assert page.evaluate("Reveal.getIndices().h") == 0
            # The right arrow walks through every slide, sub-slides (and fragments) included.
            seen = [page.evaluate("[Reveal.getIndices().h, Reveal.getIndices().v]")]
            for k in range(3 * total):
                before = page.evaluate("JSON.stringify(Reveal.getIndices())")
                if shots:
                    page.wait_for_timeout(700)
                    page.screenshot(path=str(Path(shots) / f"deck_{k:02d}.png"))
                if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                    break
                page.keyboard.press("ArrowRight")
                page.wait_for_function(f"() => JSON.stringify(Reveal.getIndices()) !== {before!r}", timeout=5_000)
                seen.append(page.evaluate("[Reveal.getIndices().h, Reveal.getIndices().v]"))
            assert seen == sorted(seen)                                # always forward
            assert len({tuple(i) for i in seen}) == total              # every slide visited
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(300)
            assert page.evaluate("Reveal.isLastSlide()") is False      # and back
            # MathJax (local copy) typeset the equations of the markdown cells.
            page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
        finally:
            browser.close()
    assert refused == [], f"requests that would leave the machine: {refused}"
    assert failed == [], f"local files that failed to load: {failed}"
    assert errors == [], f"JavaScript errors: {errors}"
    assert any(u.endswith("reveal.js") for u in requests) and any("tex-chtml.js" in u for u in requests)
