"""How many CPU threads torch uses for the course's networks: one policy, decided here.

PyTorch starts one thread per core, and a thread that waits for a busy core spins.
On a machine shared with other work (Colab's 2 virtual cores, a class server, a
laptop running a browser) that makes the course's small networks several times
slower than one thread would (lesson 05's training: 141.6 s with 2 threads beside
one busy process on 2 cores, 55.9 s with 1). On an idle machine, more threads help.

The policy, in order:

1. ``SNNLESSON_THREADS=N`` in the environment: ``N`` threads, always.
2. The user's own choice is kept: ``OMP_NUM_THREADS`` set in the environment, or
   ``torch.set_num_threads`` called after ``snnlesson`` was imported.
3. Otherwise: the CPUs this process may use (:func:`available_cpus`: its CPU
   affinity and its container's CPU quota) that are *not* busy with other work
   right now (:func:`busy_cpus`, sampled over a tenth of a second), at least one.

:func:`policy` is the context manager that the package's training loops use;
:func:`choose` only says what it would pick, and why.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from pathlib import Path
from typing import NamedTuple

import torch

__all__ = ["ENV_VAR", "ThreadChoice", "available_cpus", "busy_cpus", "choose", "policy"]

#: Environment variable that fixes the number of threads (an integer >= 1).
ENV_VAR = "SNNLESSON_THREADS"

#: torch's thread count when this module was first imported: a different count later means the
#: user called ``torch.set_num_threads`` (policy rule 2).
_TORCH_THREADS_AT_IMPORT = torch.get_num_threads()


class ThreadChoice(NamedTuple):
    """What :func:`choose` decided: ``threads`` for torch, and ``reason`` in words."""

    threads: int
    reason: str


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")) -> float | None:
    """The container's CPU quota in CPUs (cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``), or None."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":                      # cgroup v2: "0::/path"
            candidates = [(root / path.lstrip("/") / "cpu.max", None)]
        elif "cpu" in controllers.split(","):     # cgroup v1: "N:cpu,cpuacct:/path"
            base = root / controllers if (root / controllers).is_dir() else root / "cpu"
            candidates = [(base / path.lstrip("/") / "cpu.cfs_quota_us", base / path.lstrip("/") / "cpu.cfs_period_us")]
        else:
            continue
        for quota_file, period_file in candidates:
            # walk up the hierarchy: any ancestor's quota limits us too
            while True:
                try:
                    if period_file is None:
                        quota, period = quota_file.read_text().split()[:2]
                    else:
                        quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
                    if quota not in ("max", "-1") and float(period) > 0:
                        quotas.append(float(quota) / float(period))
                except (OSError, ValueError):
                    pass
                if quota_file.parent == root or root not in quota_file.parents:
                    break
                quota_file = quota_file.parent.parent / quota_file.name
                period_file = None if period_file is None else quota_file.parent / period_file.name
    return min(quotas) if quotas else None


def available_cpus() -> int:
    """CPUs this process may use: its CPU affinity, capped by its container's CPU quota (at least 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.floor(quota)))
    return max(1, cpus)


def _cpu_times() -> dict[int, tuple[float, float]] | None:
    """``{cpu: (busy, total)}`` jiffies from ``/proc/stat`` (Linux), or None elsewhere."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    times = {}
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            values = [float(v) for v in fields[:8]]
            idle = values[3] + values[4]           # idle + iowait
            times[int(name[3:])] = (sum(values) - idle, sum(values))
    return times


def busy_cpus(sample_s: float = 0.1) -> float:
    """How many of this process's CPUs other programs keep busy, sampled over ``sample_s`` seconds.

    Reads ``/proc/stat`` twice and subtracts this process's own CPU time; 0.0 where
    ``/proc/stat`` does not exist (macOS, Windows): the policy then uses every CPU.
    """
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = None
    before, own_before = _cpu_times(), time.process_time()
    if before is None:
        return 0.0
    time.sleep(sample_s)
    after, own_after = _cpu_times(), time.process_time()
    busy = total = 0.0
    for cpu, (b0, t0) in before.items():
        if (allowed is None or cpu in allowed) and cpu in after:
            b1, t1 = after[cpu]
            busy, total = busy + (b1 - b0), total + (t1 - t0)
    if total <= 0:
        return 0.0
    cpus = len(allowed) if allowed is not None else len(before)
    wall = total / cpus                            # jiffies per CPU in the window
    own = (own_after - own_before) * (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
    return max(0.0, (busy - own) / wall) if wall > 0 else 0.0


def choose(sample_s: float = 0.1) -> ThreadChoice:
    """The number of torch threads the policy picks now, with the reason (see the module's docstring)."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        try:
            threads = int(value)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(f"the environment variable {ENV_VAR} must be an integer >= 1, got {value!r}")
        return ThreadChoice(threads, f"{ENV_VAR}={threads}")
    if os.environ.get("OMP_NUM_THREADS", "").strip():
        return ThreadChoice(torch.get_num_threads(), f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS'].strip()}")
    if torch.get_num_threads() != _TORCH_THREADS_AT_IMPORT:
        return ThreadChoice(torch.get_num_threads(), "torch.set_num_threads was called")
    cpus = available_cpus()
    if cpus == 1:
        return ThreadChoice(1, "one CPU available")
    busy = busy_cpus(sample_s)
    free = max(1, min(cpus, math.floor(cpus - busy + 0.5)))
    return ThreadChoice(free, f"{cpus} CPUs available, {busy:.1f} busy with other work")


@contextlib.contextmanager
def policy(threads: int | None = None):
    """Run the block with the policy's thread count (or ``threads``), then restore torch's setting.

    Yields the :class:`ThreadChoice`.
    """
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int):
            raise TypeError(f"threads must be an integer >= 1 or None, got {threads!r}")
        if threads < 1:
            raise ValueError(f"threads must be an integer >= 1 or None, got {threads}")
        choice = ThreadChoice(threads, "given")
    else:
        choice = choose()
    previous = torch.get_num_threads()
    torch.set_num_threads(choice.threads)
    try:
        yield choice
    finally:
        torch.set_num_threads(previous)
