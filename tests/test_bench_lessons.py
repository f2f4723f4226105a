"""The lessons benchmark's machinery (``python -m snnlesson.bench lessons``), on a tiny notebook.

Not a timing test: it checks that the kernel's own CPU time and peak memory are measured (a cell
that allocates 200 MB and burns CPU must show in them, the runner's would not), that a failing
cell is counted, that several copies run as separate kernels, and that the notebook is untouched.
"""

import json
import os

import nbformat
import pytest

from snnlesson import bench

pytest.importorskip("nbclient")


def _tiny_notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path.read_bytes()


BURN = ("import os, time\n"
        "block = bytearray(200 * 2**20)\n"
        "for i in range(0, len(block), 4096): block[i] = 1\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 0.5: pass\n"
        "print(os.getpid())")


def test_lessons_benchmark_measures_the_kernel_not_the_runner(tmp_path):
    path = tmp_path / "tiny.ipynb"
    before = _tiny_notebook(path, [BURN, "1 / 0", "x = 1"])
    report = bench.bench_lessons(notebooks=[str(path)])
    entry = report["lessons"]["tiny"]
    assert report["copies"] == 1
    assert entry["peak_rss_mb"] >= 200, entry          # the kernel's 200 MB block, not this process
    assert entry["cpu_seconds"] >= 0.5, entry          # the kernel's busy loop
    assert entry["cpu_seconds"] <= entry["wall_seconds"] * 4 + 1
    assert entry["unexpected_errors"] == 1 and "ZeroDivisionError" in entry["errors"][0]["error"]
    assert len(entry["load_average_before"]) == 3
    assert path.read_bytes() == before                 # run from a temporary copy
    json.dumps(report)                                 # printable as the benchmark's JSON line


def test_lessons_benchmark_runs_copies_in_separate_kernels(tmp_path):
    path = tmp_path / "tiny.ipynb"
    _tiny_notebook(path, ["import os\nprint(os.getpid())"])
    report = bench.bench_lessons(notebooks=[str(path)], copies=2)
    entry = report["lessons"]["tiny"]
    assert len(entry["kernels"]) == 2
    assert all(k["unexpected_errors"] == 0 and k["peak_rss_mb"] > 0 for k in entry["kernels"])
    assert entry["max_peak_rss_mb"] == max(k["peak_rss_mb"] for k in entry["kernels"])


def test_lessons_benchmark_names_a_missing_notebook():
    with pytest.raises(ValueError, match="notebook '99' not found"):
        bench.bench_lessons(notebooks=["99"])
    with pytest.raises(ValueError, match="copies"):
        bench.bench_lessons(notebooks=["00"], copies=0)


_COMMAND_LINES = ("import os\n"
                  "def command_lines():\n"
                  "    lines = []\n"
                  "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
                  "        try:\n"
                  "            with open(f'/proc/{pid}/cmdline', 'rb') as f:\n"
                  "                lines.append(f.read().decode(errors='replace'))\n"
                  "        except OSError:\n"
                  "            pass  # the process ended\n"
                  "    return lines\n")


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_lessons_benchmark_busy_runs_beside_one_spinner_per_cpu_and_stops_them(tmp_path):
    """``busy=True``: while the lesson runs, one pure-Python spinner per available CPU is alive (the
    kernel sees them in the process table), and none is left once the benchmark returns."""
    from snnlesson import threads

    path = tmp_path / "tiny.ipynb"
    spin_mark = "for _ in range(100_000): pass"
    _tiny_notebook(path, [_COMMAND_LINES + f"assert sum({spin_mark!r} in line for line in command_lines()) >= "
                                           f"{threads.available_cpus()}"])
    report = bench.bench_lessons(notebooks=[str(path)], busy=True)
    assert report["busy_processes"] == threads.available_cpus()
    assert report["lessons"]["tiny"]["unexpected_errors"] == 0, report["lessons"]["tiny"]["errors"]
    with bench._busy_processes(2) as spinners:   # what bench_lessons runs each lesson inside
        assert all(proc.poll() is None for proc in spinners)
    assert all(proc.poll() is not None for proc in spinners)   # killed and reaped when the block ends
    with pytest.raises(TypeError, match="busy"):
        bench.bench_lessons(notebooks=[str(path)], busy="yes")
