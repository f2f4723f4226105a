"""End to end: every lesson in JupyterLab in a real (headless) browser, sliders included.

Opens the course with JupyterLab (as `python3 course.py lab` does), runs every
cell of each notebook in the browser, and checks that no cell fails, that the
first explorer's slider is rendered by the widget manager and that moving it
with the keyboard redraws the figure, and that the exercise solutions open
collapsed. Needs Debian's Chromium (/usr/bin/chromium)
and the `playwright` package; skipped where either is missing (CI installs both).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab_url(tmp_path_factory):
    # Serve a copy of the notebooks, so that JupyterLab's autosave and
    # checkpoints never touch the saved lessons.
    served = tmp_path_factory.mktemp("served")
    shutil.copytree(ROOT / "notebooks", served / "notebooks")
    # A user setting that keeps JupyterLab's "fetch news?" prompt from covering the page.
    settings = tmp_path_factory.mktemp("lab-settings")
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false"}')
    port, token = _free_port(), "snnlesson-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("jupyter-config")),
           "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("jupyter-runtime"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={served}",
         f"--LabApp.user_settings_dir={settings}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=served, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run_all_cells(page, attempts: int = 3) -> None:
    """Run > Run All Cells from the menu bar, retried until a cell is seen executing ("[*]")."""
    executing = "() => [...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))"
    for attempt in range(attempts):
        page.click(".jp-Notebook")
        page.keyboard.press("Escape")
        page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=30_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=30_000)
        try:
            page.wait_for_function(executing, timeout=20_000)
            return
        except sync_api.TimeoutError:
            if attempt == attempts - 1:
                raise


NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lesson_runs_in_jupyterlab_and_its_first_slider_redraws(lab_url, tmp_path, notebook):
    url, token = lab_url
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        shots = Path(os.environ.get("SNNLESSON_SCREENSHOTS", tmp_path))
        try:
            page.goto(f"{url}/lab/tree/notebooks/{notebook}?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            # the kernel has started when the status bar reads "... | Idle"
            page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=120_000)
            _run_all_cells(page)
            page.wait_for_selector(".widget-slider >> nth=0", timeout=180_000)
            image = page.wait_for_selector(".jupyter-widgets.widget-image", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=300_000)
            assert "No Kernel" not in page.content()
            before = image.get_attribute("src")
            assert before and before.startswith(("blob:", "data:"))
            image.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{notebook[:2]}_before.png"))
            handle = page.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
            handle.focus()
            # move away from the end the slider starts at (lesson 04's epoch slider starts at its maximum)
            now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
            key = "ArrowLeft" if now is not None and now == top else "ArrowRight"
            for _ in range(10):
                handle.press(key)
            page.wait_for_function("(before) => { const img = document.querySelector('.jupyter-widgets.widget-image');"
                                   " return img && img.getAttribute('src') !== before; }", arg=before,
                                   timeout=30_000)
            page.screenshot(path=str(shots / f"{notebook[:2]}_after.png"))
            # exercise solutions ("source_hidden" metadata) open collapsed: a placeholder instead of the code
            assert page.locator(".jp-InputPlaceholder").count() >= 1
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert not any("Error" in text or "Traceback" in text for text in errors.all_inner_texts())
        except Exception:
            page.screenshot(path=str(shots / f"{notebook[:2]}_failure.png"))
            raise
        finally:
            browser.close()
