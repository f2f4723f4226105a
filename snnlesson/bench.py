"""Benchmarks: ``python -m snnlesson.bench [NAME ...]`` prints one JSON line per benchmark.

Speed and accuracy claims of the course live here, never in timed unit tests.
Without arguments every benchmark runs; ``--list`` names them. Each benchmark
is a function in the module of the concept it measures, registered below as
``"name": "module:function"``; the function returns a dict, printed as JSON
with the benchmark's name, the torch thread count and the device added.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time

__all__ = ["BENCHMARKS", "bench_data", "bench_explorers", "main"]

BENCHMARKS = {
    "data": "snnlesson.bench:bench_data",
    "bptt": "snnlesson.bptt:bench",
    "explorers": "snnlesson.bench:bench_explorers",
    "encoding": "snnlesson.lessons.l02_encoding:bench_encoding",
    "spikeprop": "snnlesson.spikeprop_training:bench",
    "stdp": "snnlesson.stdp:bench",
    "rsnn": "snnlesson.rsnn:bench",
    "cost": "snnlesson.cost:bench",
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


def _run(name: str) -> dict:
    import torch

    module_name, func_name = BENCHMARKS[name].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    start = time.perf_counter()
    result = func()
    record = {"benchmark": name, **result}
    record.setdefault("device", "cuda" if torch.cuda.is_available() else "cpu")
    record.setdefault("torch_threads", torch.get_num_threads())
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
