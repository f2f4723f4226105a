"""Benchmarks: ``python -m snnlesson.bench [NAME ...]`` prints one JSON line per benchmark.

Speed and accuracy claims of the course live here, never in timed unit tests.
Without arguments every benchmark runs; ``--list`` names them. Each benchmark
is a function in the module of the concept it measures, registered below as
``"name": "module:function"`` (a benchmark that combines several modules lives
here, so that no module imports one above it); the function returns a dict,
printed as JSON with the benchmark's name, the device, and the torch thread count
with its reason added. Each runs under :func:`snnlesson.threads.policy`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["BENCHMARKS", "bench_data", "bench_explorers", "bench_stdp", "bench_contention", "bench_lessons", "main"]

BENCHMARKS = {
    "data": "snnlesson.bench:bench_data",
    "bptt": "snnlesson.bptt:bench",
    "explorers": "snnlesson.bench:bench_explorers",
    "encoding": "snnlesson.lessons.l02_encoding:bench_encoding",
    "spikeprop": "snnlesson.spikeprop_training:bench",
    "stdp": "snnlesson.bench:bench_stdp",
    "rsnn": "snnlesson.rsnn:bench",
    "cost": "snnlesson.cost:bench",
    "contention": "snnlesson.bench:bench_contention",
    "lessons": "snnlesson.bench:bench_lessons",
    # lesson benchmarks register here: "name": "snnlesson.module:function"
}


def bench_data() -> dict:
    """How long the offline MNIST fallback and a batch of moving digits take."""
    from snnlesson import data

    start = time.perf_counter()
    train = data.mnist(train=True, source="offline", verbose=False)
    offline_seconds = time.perf_counter() - start
    start = time.perf_counter()
    videos = data.moving_digits(256, num_frames=20, canvas=64, dataset=train)
    moving_seconds = time.perf_counter() - start
    return {"dataset": train.source, "offline_load_seconds": round(offline_seconds, 4),
            "moving_digits_256x20x64_seconds": round(moving_seconds, 4),
            "moving_digits_shape": list(videos.frames.shape)}


def bench_stdp() -> dict:
    """Lesson 03's STDP experiments over seeds: the competition run (Song et al. 2000,
    :func:`snnlesson.stdp_competition.bench_competition`) and pattern detection (Masquelier et al.
    2008, :func:`snnlesson.stdp_pattern.bench_pattern`)."""
    from snnlesson.stdp_competition import bench_competition
    from snnlesson.stdp_pattern import bench_pattern

    return {"competition": bench_competition(), "pattern": bench_pattern()}


# ----------------------------------------------------------------------------- contention

#: Mini-batches of lesson 05's training per measurement of ``bench contention`` (batch size 128:
#: about 8-12 s on an idle 2-core CPU); ``SNNLESSON_CONTENTION_BATCHES`` overrides it.
CONTENTION_BATCHES = 400
#: A measurement stops after the first batch that ends past this training time (s): a setting that
#: collapses beside busy processes is timed on fewer batches instead of holding the machine for minutes.
CONTENTION_MAX_SECONDS = 60.0

_SPIN = ("import os, time\n"
         "parent, stop = os.getppid(), time.monotonic() + {seconds}\n"
         "while os.getppid() == parent and time.monotonic() < stop:\n"   # ends if orphaned, or after `seconds`
         "    for _ in range(100_000): pass\n")


@contextlib.contextmanager
def _busy_processes(count: int, seconds: float = 900.0):
    """``count`` pure-Python processes that keep one core busy each, killed when the block ends."""
    procs = []
    try:
        for _ in range(count):
            procs.append(subprocess.Popen([sys.executable, "-c", _SPIN.format(seconds=seconds)]))
        if procs:
            time.sleep(0.5)  # let them start spinning
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def _contention_child(batches: int) -> None:
    """One measurement (run in a fresh process by :func:`bench_contention`): ``batches`` mini-batches of
    lesson 05's training (:data:`snnlesson.bptt.LESSON_RECIPE`, one epoch, no evaluation, at most
    :data:`CONTENTION_MAX_SECONDS`); prints JSON."""
    from functools import partial

    import torch

    from snnlesson import bptt, data, training

    recipe = bptt.LESSON_RECIPE
    train_set = data.mnist(train=True, verbose=False)
    images, labels = bptt.mnist_tensors(train_set)
    index = torch.arange(batches * recipe.batch_size) % len(labels)  # the offline subset is reused in turn
    model = bptt.build_network("scratch", num_steps=recipe.num_steps, beta=recipe.beta, slope=recipe.slope, seed=0)
    history = training.train(model, (images[index], labels[index]), loss_fn=partial(bptt.recipe_loss, loss=recipe.loss),
                             epochs=1, batch_size=recipe.batch_size, lr=recipe.lr, schedule=recipe.schedule,
                             seed=0, progress=False, max_seconds=CONTENTION_MAX_SECONDS)
    print(json.dumps({"dataset": train_set.source, "train_seconds": history.train_seconds,
                      "batches_run": len(history.batch_loss),
                      "torch_threads": history.settings["torch_threads"],
                      "threads_reason": history.settings["threads_reason"]}))


def bench_contention(batches: int | None = None) -> dict:
    """Lesson 05's training idle and beside one busy process per CPU, with the thread policy's choice,
    one thread and all threads.

    Each of the 6 measurements runs in a fresh Python process (``SNNLESSON_THREADS`` fixes 1 or
    all threads; the policy's run has neither it nor ``OMP_NUM_THREADS``): ``batches`` mini-batches
    (default :data:`CONTENTION_BATCHES`) of :data:`snnlesson.bptt.LESSON_RECIPE`'s training on
    MNIST (full when ``SNNLESSON_DATA`` holds it, else the offline subset), timed in ms per batch
    by ``History.train_seconds`` (start-up and data loading excluded; a run stops early past
    :data:`CONTENTION_MAX_SECONDS`). "Busy" = one pure-Python
    spin loop per available CPU, started before and killed after each measurement. Before each
    run the load average and :func:`snnlesson.threads.busy_cpus` (0.5 s) are recorded: "idle"
    is only as idle as the machine was. Reports ``policy_over_best`` per condition; the goals
    are at most 1.1 idle and 1.2 busy.
    """
    from snnlesson import threads
    from snnlesson.bptt import LESSON_RECIPE

    if batches is None:
        batches = int(os.environ.get("SNNLESSON_CONTENTION_BATCHES", CONTENTION_BATCHES))
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
        raise ValueError(f"batches must be an integer >= 1, got {batches!r}")
    cpus = threads.available_cpus()
    env = {k: v for k, v in os.environ.items() if k not in (threads.ENV_VAR, "OMP_NUM_THREADS")}
    settings = {"policy": None, "1 thread": 1, f"all {cpus} threads": cpus}
    code = f"from snnlesson.bench import _contention_child; _contention_child({batches})"
    result = {"batches": batches, "batch_size": LESSON_RECIPE.batch_size, "available_cpus": cpus}
    for condition, spinners in (("idle", 0), ("busy", cpus)):
        runs = {}
        with _busy_processes(spinners):
            for name, count in settings.items():
                before = {"load_average_1min": round(os.getloadavg()[0], 2),
                          "busy_cpus": round(threads.busy_cpus(0.5), 2)}
                child_env = env if count is None else {**env, threads.ENV_VAR: str(count)}
                child = subprocess.run([sys.executable, "-c", code], env=child_env, capture_output=True, text=True)
                if child.returncode != 0:
                    raise RuntimeError(f"the {name} run failed ({child.returncode}): {child.stderr[-2000:]}")
                run = json.loads(child.stdout.strip().splitlines()[-1])
                result["dataset"] = run.pop("dataset")
                run["ms_per_batch"] = round(1e3 * run["train_seconds"] / run["batches_run"], 2)
                run["train_seconds"] = round(run["train_seconds"], 3)
                runs[name] = {**run, "before": before}
                print(f"contention {condition:4s} {name:13s} {run['ms_per_batch']:7.2f} ms/batch "
                      f"(threads={run['torch_threads']}: {run['threads_reason']}; before: {before})",
                      file=sys.stderr, flush=True)
        best = min(r["ms_per_batch"] for r in runs.values())
        result[condition] = {"runs": runs, "policy_over_best": round(runs["policy"]["ms_per_batch"] / best, 3)}
    result["goals"] = {"idle_policy_over_best": 1.1, "busy_policy_over_best": 1.2}
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    return result


def _new_value(control, rng):
    """A value for ``control`` drawn across its whole range, different from the current one."""
    import ipywidgets as widgets

    if isinstance(control, widgets.Checkbox):
        return not control.value
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider)):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return options[(options.index(control.value) + 1) % len(options)]
    for _ in range(100):
        if isinstance(control, widgets.FloatLogSlider):
            value = control.base ** rng.uniform(control.min, control.max)
        else:
            value = control.min + round(rng.uniform(0, control.max - control.min) / control.step) * control.step
            value = int(value) if isinstance(control, widgets.IntSlider) else min(float(value), control.max)
        if value != control.value:
            return value
    raise ValueError(f"control {control.description!r} offers a single value: nothing to move")


def bench_explorers(moves_per_control: int = 20, seed: int = 0, names=None) -> dict:
    """Wall time of a slider move (update, redraw, PNG) of every explorer registered in the lessons.

    Imports every ``snnlesson.lessons`` module (each registers its explorers with
    :func:`snnlesson.explorer.register_explorer`), builds each explorer once and moves
    every control ``moves_per_control`` times to values spread over its range, in turn
    (control 1, control 2, ..., control 1, ...); ``names`` limits the run to those explorers.
    Reports the median and the maximum wall time in ms over all moves, the median per
    control, and the median CPU time of this process per move (all its threads; less
    sensitive than wall time to other programs on the machine).
    """
    import pkgutil
    import statistics

    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from snnlesson import explorer as explorer_module, lessons

    for info in pkgutil.iter_modules(lessons.__path__):
        importlib.import_module(f"snnlesson.lessons.{info.name}")
    rng = np.random.default_rng(seed)
    report = {}
    if names is not None:
        if isinstance(names, str) or not hasattr(names, "__iter__"):
            raise TypeError(f"names must be None or a list of explorer names, got {names!r:.60}")
        names = list(names)
        unknown = [n for n in names if n not in explorer_module.EXPLORER_DEMOS]
        if unknown:
            raise ValueError(f"names holds unknown explorer(s) {unknown!r:.80}; registered: "
                             f"{sorted(explorer_module.EXPLORER_DEMOS)}")
    for name, make in sorted(explorer_module.EXPLORER_DEMOS.items()):
        if names is not None and name not in names:
            continue
        explorer = make()
        by_control = {control_name: [] for control_name in explorer.controls}
        cpu_ms = []
        for _ in range(moves_per_control):
            for control_name, control in explorer.controls.items():
                value = _new_value(control, rng)
                start, start_cpu = time.perf_counter(), time.process_time()
                control.value = value  # calls update() and redraws, synchronously
                by_control[control_name].append(1e3 * (time.perf_counter() - start))
                cpu_ms.append(1e3 * (time.process_time() - start_cpu))
        plt.close(explorer.fig)
        times_ms = [t for moves in by_control.values() for t in moves]
        report[name] = {"median_ms": round(statistics.median(times_ms), 1), "max_ms": round(max(times_ms), 1),
                        "moves": len(times_ms),
                        "median_ms_by_control": {c: round(statistics.median(m), 1) for c, m in by_control.items()},
                        "median_cpu_ms": round(statistics.median(cpu_ms), 1)}
    return {"explorers": report, "load_average_1min": round(os.getloadavg()[0], 2)}


# --------------------------------------------------------------------------- lessons, top to bottom

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_usage(pid: int) -> dict:
    """CPU seconds (user + system, the process's own threads) and peak resident memory (VmHWM, MB) of
    process ``pid``, from ``/proc`` (Linux); ``None`` for what cannot be read."""
    usage = {"cpu_seconds": None, "peak_rss_mb": None, "rss_mb": None}
    try:
        # /proc/PID/stat: the command name (field 2) may hold spaces; utime, stime are fields 14, 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        usage["cpu_seconds"] = round((int(fields[11]) + int(fields[12])) / _CLOCK_TICKS, 2)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):       # "VmHWM:   812345 kB"
                usage["peak_rss_mb" if key == "VmHWM" else "rss_mb"] = round(int(value.split()[0]) / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    return usage


def _shared_memory(pid: int) -> dict:
    """Memory of process ``pid`` now, counting shared pages fairly (``/proc/PID/smaps_rollup``, Linux 4.14+):
    ``pss_mb`` (each shared page divided among the processes that map it) and ``uss_mb`` (pages of this
    process alone). Kernels of one server share the libraries' pages (torch's are most of its RSS), so
    ``uss_mb`` is what each extra student adds, and ``pss_mb`` a fair share."""
    sizes = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Pss", "Private_Clean", "Private_Dirty"):
                sizes[key] = int(value.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        return {"pss_mb": None, "uss_mb": None}
    return {"pss_mb": round(sizes.get("Pss", 0), 1),
            "uss_mb": round(sizes.get("Private_Clean", 0) + sizes.get("Private_Dirty", 0), 1)}


def _lesson_env() -> dict:
    """The environment the course's tests run lessons in (offline MNIST, fixed hash seed), as ``course.py``."""
    return {**os.environ, "SNNLESSON_MNIST_SOURCE": os.environ.get("SNNLESSON_MNIST_SOURCE", "offline"),
            "PYTHONHASHSEED": "0", "NO_COLOR": "1"}


def _measure_notebook(path: str, cell_timeout: float = 600.0, every_cell: bool = False) -> dict:
    """Execute the notebook at ``path`` top to bottom in a fresh kernel, from a temporary copy.

    Returns the wall time of the run (kernel start to last cell), the kernel process's CPU
    time and peak resident memory (read from ``/proc`` just before the kernel shuts down), its
    resident, proportional and unique memory at the end (:func:`_shared_memory`), the
    CPU time of the kernel's start-up alone, the cells that raised and the five cells that took
    the most CPU time. The notebook file itself is never written.
    """
    import shutil
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    source = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="snnlesson-bench-") as folder:
        copy = Path(folder) / source.name
        shutil.copyfile(source, copy)
        node = nbformat.read(copy, as_version=4)
        errors = []

        def on_cell_error(cell, cell_index, execute_reply):
            content = execute_reply.get("content", {})
            errors.append({"cell": cell_index, "error": f"{content.get('ename')}: {content.get('evalue')}"[:300]})

        client = NotebookClient(node, kernel_name="python3", timeout=cell_timeout, allow_errors=True,
                                record_timing=False, shutdown_kernel="immediate", on_cell_error=on_cell_error,
                                resources={"metadata": {"path": folder}})
        start = time.perf_counter()
        with client.setup_kernel(env=_lesson_env(), cwd=folder):
            pid = client.km.provisioner.process.pid
            started = _process_usage(pid)
            cells = []
            for index, cell in enumerate(node.cells):
                if cell.cell_type == "code" and cell.source.strip():
                    cell_start, cpu_start = time.perf_counter(), _process_usage(pid)["cpu_seconds"]
                    client.execute_cell(cell, index)
                    after = _process_usage(pid)
                    cpu_end = after["cpu_seconds"]
                    cells.append({"cell": index, "wall_seconds": round(time.perf_counter() - cell_start, 2),
                                  "cpu_seconds": round(cpu_end - cpu_start, 2) if cpu_end is not None else None,
                                  "peak_rss_mb": after["peak_rss_mb"],
                                  "first_line": cell.source.strip().splitlines()[0][:60]})
            wall = time.perf_counter() - start
            usage = _process_usage(pid)  # the kernel is still alive here
            shared = _shared_memory(pid)
    tagged_raises = sum("raises-exception" in c.get("metadata", {}).get("tags", []) for c in node.cells)
    return {"wall_seconds": round(wall, 2), **{k: usage[k] for k in ("cpu_seconds", "peak_rss_mb")},
            "end_rss_mb": usage["rss_mb"], "end_pss_mb": shared["pss_mb"], "end_uss_mb": shared["uss_mb"],
            "startup_cpu_seconds": started["cpu_seconds"],
            "unexpected_errors": len(errors) - tagged_raises if len(errors) > tagged_raises else 0,
            "errors": errors,
            "slowest_cells": cells if every_cell else sorted(cells, key=lambda c: -(c["cpu_seconds"] or 0))[:5]}


def _notebook_paths(names) -> list[Path]:
    """Lesson notebooks named by number (``"04"``), stem or path; all of ``notebooks/`` for None."""
    folder = Path(__file__).resolve().parent.parent / "notebooks"
    every = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return every
    paths = []
    for name in names:
        name = str(name)
        found = ([Path(name)] if Path(name).is_file()
                 else [p for p in every if p.stem == name or p.stem.split("_", 1)[0] == name])
        if not found:
            raise ValueError(f"notebook {name!r} not found: give a path, a stem or a lesson number "
                             f"({', '.join(p.stem.split('_', 1)[0] for p in every)})")
        paths.extend(found)
    return paths


def bench_lessons(notebooks=None, copies: int | None = None, cell_timeout: float = 600.0, busy=None) -> dict:
    """Each lesson run top to bottom in a fresh kernel: wall time, CPU time and peak memory of the kernel.

    ``notebooks``: lesson numbers (``"04"``), notebook stems or paths; default the environment
    variable ``SNNLESSON_BENCH_LESSONS`` (comma-separated), else every notebook in ``notebooks/``.
    ``copies``: how many kernels run the same lesson at once (a class on one server); default
    ``SNNLESSON_BENCH_COPIES``, else 1. With more than one copy, each lesson's copies start together
    and every kernel's numbers are reported; lessons still run one after another.
    ``busy``: run each lesson beside one busy process per available CPU (a pure-Python spin loop,
    as in :func:`bench_contention`), a machine shared with other work; default
    ``SNNLESSON_BENCH_BUSY=1``, else False. The spinners start before the kernel and are killed
    when the lesson ends.

    The kernel's CPU time (user + system, all its threads) and peak resident memory (``VmHWM``)
    are read from ``/proc`` just before it shuts down; they depend little on other work on the
    machine, unlike the wall time, so the load average before and after each lesson is reported
    beside it. Each notebook runs from a temporary copy with the course's test environment
    (offline MNIST); nothing in the repository is written.
    """
    from concurrent.futures import ProcessPoolExecutor

    if notebooks is None and os.environ.get("SNNLESSON_BENCH_LESSONS"):
        notebooks = [n.strip() for n in os.environ["SNNLESSON_BENCH_LESSONS"].split(",") if n.strip()]
    if copies is None:
        copies = int(os.environ.get("SNNLESSON_BENCH_COPIES", "1"))
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be an integer >= 1, got {copies!r}")
    from snnlesson import threads
    from snnlesson._validate import check_bool

    if busy is None:
        busy = os.environ.get("SNNLESSON_BENCH_BUSY", "0").strip() not in ("", "0")
    busy = check_bool("busy", busy)
    spinners = threads.available_cpus() if busy else 0
    lessons = {}
    for path in _notebook_paths(notebooks):
        with _busy_processes(spinners):
            load_before = [round(x, 2) for x in os.getloadavg()]
            if copies == 1:
                runs = [_measure_notebook(str(path), cell_timeout)]
            else:
                with ProcessPoolExecutor(max_workers=copies) as pool:
                    runs = list(pool.map(_measure_notebook, [str(path)] * copies, [cell_timeout] * copies))
        entry = {"load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()]}
        if copies == 1:
            entry.update(runs[0])
        else:
            entry["kernels"] = runs
            for key in ("wall_seconds", "cpu_seconds", "peak_rss_mb"):
                values = [r[key] for r in runs if r[key] is not None]
                entry[f"max_{key}"] = max(values) if values else None
        lessons[path.stem] = entry
    return {"lessons": lessons, "copies": copies, "cpus": os.cpu_count(), "busy_processes": spinners,
            "kernel_threads_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "SNNLESSON_THREADS") if k in os.environ}}


#: Benchmarks of interactive work, run with torch's own setting as a notebook runs them (an explorer
#: that wants the policy asks for it itself); every other benchmark runs under the policy.
_AS_IN_A_NOTEBOOK = {"explorers", "lessons"}


def _run(name: str) -> dict:
    import torch

    from snnlesson import threads

    module_name, func_name = BENCHMARKS[name].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    start = time.perf_counter()
    if name in _AS_IN_A_NOTEBOOK:
        choice = threads.ThreadChoice(torch.get_num_threads(), "torch's setting, as in a notebook")
        result = func()
    else:
        with threads.policy() as choice:  # what the benchmark trains keeps this choice (or asks for fewer)
            result = func()
    record = {"benchmark": name, **result}
    record.setdefault("device", "cuda" if torch.cuda.is_available() else "cpu")
    record.setdefault("torch_threads", choice.threads)
    record.setdefault("threads_reason", choice.reason)
    record["wall_seconds"] = round(time.perf_counter() - start, 3)
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snnlesson.bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    for name in args.names or list(BENCHMARKS):
        print(json.dumps(_run(name)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
