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
import sys
import time

BENCHMARKS = {
    "data": "snnlesson.bench:bench_data",
    "bptt": "snnlesson.bptt:bench",
    "lif_explorer": "snnlesson.widgets.lif:bench_explorer",
    "encoding": "snnlesson.widgets.encoding:bench_encoding",
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
