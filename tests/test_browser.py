"""End to end: every lesson in JupyterLab in a real (headless) browser, sliders included.

Opens the course with JupyterLab (as `python3 course.py lab` does), runs every
cell of each notebook in the browser, and checks that no cell fails, that the
first explorer's slider is rendered by the widget manager and that moving it
with the keyboard redraws the figure, and that the exercise solutions open
collapsed. Needs Debian's Chromium (/usr/bin/chromium)
and the `playwright` package; skipped where either is missing (CI installs both).

One JupyterLab server serves the lessons of a test process (it takes seconds to start and to
stop): each lesson opens in a JupyterLab workspace of its own, so no tab of an earlier lesson is
restored, and its kernel is shut down at the end of its test, so that kernels (about 1 GB each)
do not pile up and the CPU time measured below is this lesson's kernel's alone.

It also measures a slider move as a student feels it: from the key press on the
first explorer's slider (the key event's time stamp in the page) to the new
picture decoded and handed to the next frame, over ``TIMED_MOVES`` moves (12 when recorded, 6 otherwise), with
the websocket frames and bytes that travel per move (counted in the page, so
they do not depend on the machine's load). Each lesson prints one JSON line
(``pytest -s``); with ``SNNLESSON_BROWSER_JSON=path`` the lines are also
collected in that file, one entry per notebook, with the load average::

    SNNLESSON_BROWSER_JSON=browser.json pytest -p no:randomly -s tests/test_browser.py

The test asserts only a generous bound on the time (a regression, not a speed
claim: the machine may be busy) and a bound on the bytes per move.
"""

import json
import os
import shutil
import statistics
import socket
import subprocess
import sys
import threading
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


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """One JupyterLab server per test process, shared by the lessons (each in a workspace of its own)."""
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
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('workspaces')}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=served, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(360):  # a busy machine (load 25 on 2 cores) took over 60 s
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 180 s")
        yield url, token, server.pid
    finally:
        for thread in _SHUTTING_DOWN:
            thread.join(timeout=60)
        server.terminate()
        server.wait(timeout=30)


def _api(url: str, token: str, path: str, method: str = "GET"):
    """A call to the Jupyter server's REST API; its JSON answer (None when empty)."""
    request = urllib.request.Request(f"{url}{path}?token={token}", method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = answer.read()
    return json.loads(body) if body.strip() else None


def _kernel_processes(server_pid: int) -> list:
    import psutil  # ipykernel depends on it

    return psutil.Process(server_pid).children(recursive=True)


def _shut_down_kernels(url: str, token: str, server_pid: int, timeout_s: float = 60.0) -> None:
    """Shut down every session and kernel of the server and wait until their processes have exited:
    an idle kernel holds about 1 GB, and a live one would count in the next lesson's kernel CPU."""
    for session in _api(url, token, "/api/sessions"):
        _api(url, token, f"/api/sessions/{session['id']}", "DELETE")
    for kernel in _api(url, token, "/api/kernels"):   # a kernel without a session, if any
        _api(url, token, f"/api/kernels/{kernel['id']}", "DELETE")
    deadline = time.monotonic() + timeout_s
    while (left := _kernel_processes(server_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"processes of the Jupyter server still running after its kernels were shut down: {left}"


_SHUTTING_DOWN: list[threading.Thread] = []   # kernels being shut down after a test, in the background


@pytest.fixture
def lab_url(lab_server):
    """The session's JupyterLab server, with no kernel running; the kernels a test starts are shut
    down at its end (in the background: a kernel takes a second or two to exit, and the test process
    goes on with its next test meanwhile; the next lesson starts once it has exited)."""
    url, token, server_pid = lab_server
    while _SHUTTING_DOWN:
        _SHUTTING_DOWN.pop().join(timeout=120)
    _shut_down_kernels(url, token, server_pid)   # what is left, if anything: then wait for the processes
    assert _api(url, token, "/api/kernels") == []
    yield lab_server
    thread = threading.Thread(target=_shut_down_kernels, args=(url, token, server_pid), daemon=True)
    thread.start()
    _SHUTTING_DOWN.append(thread)


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


# A dozen moves when the timings are recorded (SNNLESSON_BROWSER_JSON: the measurement reported in the
# closing notes); the suite's own run checks the same bounds over fewer moves (each move waits for the
# previous one to settle: ~0.5 s a move, which is 3 s of every lesson's test with 12 moves).
TIMED_MOVES = 12 if os.environ.get("SNNLESSON_BROWSER_JSON") else 6
MAX_MEDIAN_MS = 2000  # generous: a regression bound on a busy machine, not the goal (100 ms)
MAX_BYTES_PER_MOVE = 300_000  # today's pictures are 20-100 kB; several times that is a regression

# Installed before JupyterLab's own scripts: time stamps of key presses, of websocket frames (with
# their sizes) and of the first explorer's picture, decoded and ready for the next frame.
_PROBE = """
window.__snn = {keys: [], frames: [], pictures: []};
document.addEventListener('keydown', e => window.__snn.keys.push(e.timeStamp), true);
const NativeWebSocket = window.WebSocket;
const size = d => typeof d === 'string' ? d.length : (d.byteLength ?? d.size ?? 0);
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', e => window.__snn.frames.push(['in', performance.now(), size(e.data)]));
  }
  send(data) {
    window.__snn.frames.push(['out', performance.now(), size(data)]);
    return super.send(data);
  }
};
new MutationObserver(mutations => {
  const first = document.querySelector('.jupyter-widgets.widget-image');
  for (const m of mutations) {
    if (m.target !== first) continue;
    const changed = performance.now();
    first.decode().catch(() => null).then(() => requestAnimationFrame(
      () => window.__snn.pictures.push([changed, performance.now()])));
  }
}).observe(document, {attributes: true, attributeFilter: ['src'], subtree: true});
"""


def _settle(page) -> None:
    """Wait until no new picture has arrived for half a second (earlier moves are all drawn)."""
    count = -1
    while count != (count := page.evaluate("window.__snn.pictures.length")):
        page.wait_for_timeout(500)


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time used so far by process ``pid`` and by all its descendants, all threads (Linux schedstat,
    in ns: finer than the 10 ms ticks of ``cpu_times``)."""
    import psutil  # ipykernel depends on it

    def used(process_id: int) -> int:
        total = 0
        for task in Path(f"/proc/{process_id}/task").glob("*/schedstat"):
            try:
                total += int(task.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # the thread ended
        return total

    root = psutil.Process(pid)
    return used(pid) / 1e9, sum(used(child.pid) for child in root.children(recursive=True)) / 1e9


def _timed_moves(page, handle, first_key: str, server_pid: int, moves: int = TIMED_MOVES) -> dict:
    """Press the arrow keys on the focused slider ``moves`` times (``first_key``, then the other way, ...),
    one move at a time, each after the previous picture arrived and the kernel settled; per move: key
    press to picture (ms), the websocket frames and bytes between them, and the CPU time the Jupyter
    server and the kernel used for it (the move and 300 ms after it)."""
    other = {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight"}[first_key]
    latencies, frames_in, frames_out, bytes_in, phases, cpu = [], [], [], [], [], []
    _settle(page)
    for move in range(moves + 1):
        page.wait_for_timeout(300)  # the kernel's last messages of the previous move have arrived
        cpu.append(_cpu_seconds(server_pid))
        if move == moves:
            break
        count = page.evaluate("window.__snn.pictures.length")
        keys = page.evaluate("window.__snn.keys.length")
        handle.press(first_key if move % 2 == 0 else other)
        page.wait_for_function(f"window.__snn.pictures.length > {count}", timeout=30_000)
        key, (changed, shown), frames = page.evaluate(
            f"[window.__snn.keys[{keys}], window.__snn.pictures[{count}], window.__snn.frames]")
        between = [f for f in frames if key <= f[1] <= shown]
        latencies.append(shown - key)
        frames_in.append(sum(f[0] == "in" for f in between))
        frames_out.append(sum(f[0] == "out" for f in between))
        bytes_in.append(sum(f[2] for f in between if f[0] == "in"))
        sent = min((f[1] for f in between if f[0] == "out"), default=key)
        picture = max((f for f in between if f[0] == "in"), key=lambda f: f[2], default=(None, changed))[1]
        phases.append((sent - key, picture - sent, changed - picture, shown - changed))
        last_move = [(f[0], round(f[1] - key, 1), f[2]) for f in between]
    median = lambda values: round(statistics.median(values), 1)  # noqa: E731
    return {"median_ms": median(latencies), "min_ms": round(min(latencies), 1),
            "max_ms": round(max(latencies), 1), "moves": moves,
            # where a move's time goes (medians, ms): key to message sent (the page), sent to picture
            # received (server and kernel), received to img src set (widget manager), src to decoded frame
            "median_phases_ms": dict(zip(["page_to_socket", "kernel_round_trip", "widget_manager", "decode_and_frame"],
                                         (median(phase) for phase in zip(*phases)))),
            # CPU time of the Jupyter server and of the kernel per move (the move and 300 ms after it)
            "median_server_cpu_ms": median(1e3 * (b[0] - a[0]) for a, b in zip(cpu, cpu[1:])),
            "median_kernel_cpu_ms": median(1e3 * (b[1] - a[1]) for a, b in zip(cpu, cpu[1:])),
            "median_bytes_in": int(statistics.median(bytes_in)),
            "median_frames_in": statistics.median(frames_in), "median_frames_out": statistics.median(frames_out),
            "last_move_frames": last_move,  # (direction, ms after the key press, bytes)
            "load_average_1min": round(os.getloadavg()[0], 2)}


def _record(notebook: str, result: dict) -> None:
    print(json.dumps({"notebook": notebook, **result}))
    path = os.environ.get("SNNLESSON_BROWSER_JSON")
    if path:
        path = Path(path)
        results = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
        results[notebook] = result
        path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lesson_runs_in_jupyterlab_and_its_first_slider_redraws(lab_url, tmp_path, notebook):
    url, token, server_pid = lab_url
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(_PROBE)
        # screenshots before and after the slider moves where asked for (SNNLESSON_SCREENSHOTS=folder);
        # one of a failure always (in the test's temporary folder unless asked for elsewhere)
        wanted = os.environ.get("SNNLESSON_SCREENSHOTS")
        shots = Path(wanted or tmp_path)
        try:
            # a workspace of the lesson's own (and reset): no tab of an earlier lesson is restored
            page.goto(f"{url}/lab/workspaces/{Path(notebook).stem}/tree/notebooks/{notebook}?reset&token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            # the kernel has started when the status bar reads "... | Idle"
            page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=120_000)
            _run_all_cells(page)
            page.wait_for_selector(".widget-slider >> nth=0", timeout=180_000)
            image = page.wait_for_selector(".jupyter-widgets.widget-image", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=300_000)
            assert "No Kernel" not in page.content()
            # this lesson alone: one notebook open, one kernel running (the server is shared by the lessons)
            assert page.locator(".jp-NotebookPanel").count() == 1
            assert [s["path"] for s in _api(url, token, "/api/sessions")] == [f"notebooks/{notebook}"]
            before = image.get_attribute("src")
            assert before and before.startswith(("blob:", "data:"))
            image.scroll_into_view_if_needed()
            if wanted:
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
            if wanted:
                page.screenshot(path=str(shots / f"{notebook[:2]}_after.png"))
            # back the way the slider came first: it may have reached the end of its range
            timing = _timed_moves(page, handle, "ArrowLeft" if key == "ArrowRight" else "ArrowRight",
                                  server_pid)
            _record(notebook, timing)
            assert timing["median_ms"] < MAX_MEDIAN_MS, timing
            assert timing["median_bytes_in"] < MAX_BYTES_PER_MOVE, timing
            # exercise solutions ("source_hidden" metadata) open collapsed: a placeholder instead of the code
            assert page.locator(".jp-InputPlaceholder").count() >= 1
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert not any("Error" in text or "Traceback" in text for text in errors.all_inner_texts())
        except Exception:
            page.screenshot(path=str(shots / f"{notebook[:2]}_failure.png"))
            raise
        finally:
            browser.close()
