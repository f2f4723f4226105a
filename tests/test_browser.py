"""End to end: lesson 00 in JupyterLab in a real (headless) browser, slider included.

Opens the course with JupyterLab (as `python3 course.py lab` does), runs every
cell of notebooks/00_start_here.ipynb in the browser, and checks that the
explorer's slider is rendered by the widget manager and that moving it with
the keyboard redraws the figure. Needs Debian's Chromium (/usr/bin/chromium)
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


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    port, token = _free_port(), "snnlesson-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("jupyter-config")),
           "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("jupyter-runtime"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={ROOT}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def test_lesson_00_runs_in_jupyterlab_and_its_slider_redraws(lab_url, tmp_path):
    url, token = lab_url
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/notebooks/00_start_here.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
            page.click(".jp-Notebook")
            page.keyboard.press("Escape")
            # Run > Run All Cells, through the command palette-free menu path
            page.click("text=Run", timeout=30_000)
            page.click("text=Run All Cells", timeout=30_000)
            slider = page.wait_for_selector(".widget-slider >> nth=0", timeout=180_000)
            image = page.wait_for_selector(".jupyter-widgets.widget-image", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=180_000)
            assert "No Kernel" not in page.content()
            before = image.get_attribute("src")
            assert before and before.startswith(("blob:", "data:"))
            shots = Path(os.environ.get("SNNLESSON_SCREENSHOTS", tmp_path))
            image.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "lesson00_before.png"))
            handle = page.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
            handle.focus()
            for _ in range(10):
                handle.press("ArrowRight")
            page.wait_for_function("(before) => { const img = document.querySelector('.jupyter-widgets.widget-image');"
                                   " return img && img.getAttribute('src') !== before; }", arg=before,
                                   timeout=30_000)
            page.screenshot(path=str(shots / "lesson00_after.png"))
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert not any("Error" in text for text in errors.all_inner_texts())
        finally:
            browser.close()
