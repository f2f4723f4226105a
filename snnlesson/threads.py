"""How many CPU threads torch uses for the course's networks: one policy, decided here.

PyTorch starts one thread per core, and a thread that waits for a busy core spins.
On a machine shared with other work (Colab's 2 virtual cores, a class server, a
laptop running a browser) that makes the course's small networks several times
slower than one thread would (lesson 05's training: 141.6 s with 2 threads beside
one busy process on 2 cores, 55.9 s with 1). On an idle machine, more threads help.

The policy (:func:`choose`), in order:

1. ``SNNLESSON_THREADS=N`` in the environment: ``N`` threads, always.
2. The user's own choice is kept: ``OMP_NUM_THREADS`` set in the environment, or
   ``torch.set_num_threads`` called after this module was imported (the package's
   training modules import it; a call made earlier looks like torch's default:
   use rule 1 then). Small work may use fewer threads than the user allows.
3. Otherwise: as many threads as CPUs are idle right now among those this process
   may run on (its CPU affinity minus :func:`busy_cpus`, rounded), at most
   :func:`available_cpus` (the affinity capped by the container's CPU quota), at least one.

:func:`use_in_notebook`, called in every lesson's set-up cell, sets one thread for the
notebook's own cells (a forward pass over a few hundred digits, an encoder: small work,
which one thread does well and which torch's default collapses beside other work);
the package's trainings still choose by the rules above.

:func:`policy` is the context manager the package's training and evaluation loops
run in: it sets torch's thread count for the block and restores it afterwards
(also after an exception). A block inside another keeps the outer block's choice
(within its own ``max_threads``), as it keeps a user's.

Cost. Measuring the busy CPUs reads ``/proc/stat`` twice, 0.1 s apart; the result is
kept for :data:`BUSY_CACHE_S` seconds, so a loop that evaluates again and again pays
once. Small work that must stay fast (an explorer's update on a slider move) passes
``max_threads=1``: one thread suits small tensors, and rule 3 then measures nothing,
so the block costs microseconds. Training passes nothing and gets rule 3.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from pathlib import Path
from typing import NamedTuple

import torch

from snnlesson._validate import check_int, check_real

__all__ = ["ENV_VAR", "BUSY_CACHE_S", "ThreadChoice", "available_cpus", "busy_cpus", "choose", "policy",
           "use_in_notebook"]

#: Environment variable that fixes the number of threads (an integer >= 1).
ENV_VAR = "SNNLESSON_THREADS"
#: How long (s) :func:`choose` reuses its measurement of the busy CPUs.
BUSY_CACHE_S = 5.0
#: More threads than any machine the course runs on: a larger count is a typo.
_MAX_THREADS = 1024

#: torch's thread count that no user chose: torch's own when this module was first imported, or what
#: :func:`use_in_notebook` set. A different count later (outside a :func:`policy` block) means the user
#: called ``torch.set_num_threads`` (rule 2).
_unchosen_threads = torch.get_num_threads()
_active: list[ThreadChoice] = []             # the choices of the policy blocks now open, innermost last
_busy_cache: tuple[float, float] | None = None   # (time.monotonic() when measured, busy CPUs)


class ThreadChoice(NamedTuple):
    """What :func:`choose` decided: ``threads`` for torch, and ``reason`` in words."""

    threads: int
    reason: str


# ------------------------------------------------------------------------ CPUs we may use


def _quota_v2(folder: Path) -> float | None:
    """cgroup v2: ``cpu.max`` holds ``"quota period"`` in microseconds, ``"max"`` for no limit."""
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else float(quota) / float(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def _quota_v1(folder: Path) -> float | None:
    """cgroup v1: ``cpu.cfs_quota_us`` (-1 for no limit) per ``cpu.cfs_period_us``."""
    try:
        quota = float((folder / "cpu.cfs_quota_us").read_text())
        period = float((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")) -> float | None:
    """The container's CPU quota in CPUs (e.g. 1.5), or None where there is none.

    ``proc_cgroup`` names this process's cgroups, one ``"id:controllers:path"`` line each
    (``"0::/path"`` for cgroup v2). Its cgroup and every ancestor up to ``root`` may set a
    quota; the smallest one limits.
    """
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    root, quotas = Path(root), []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":                                  # cgroup v2
            base, read = root, _quota_v2
        elif "cpu" in controllers.split(","):                 # cgroup v1: e.g. "4:cpu,cpuacct:/path"
            base = root / controllers if (root / controllers).is_dir() else root / "cpu"
            read = _quota_v1
        else:
            continue
        folder = base / path.strip("/")
        while True:                                            # this cgroup, then its ancestors
            quota = read(folder)
            if quota is not None:
                quotas.append(quota)
            if folder == base or base not in folder.parents:
                break
            folder = folder.parent
    return min(quotas) if quotas else None


def _affinity_cpus() -> int:
    """How many CPUs this process may run on (its CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_cpus() -> int:
    """CPUs this process may use: its CPU affinity, capped by its container's CPU quota (at least 1)."""
    cpus = _affinity_cpus()
    quota = _cgroup_quota()
    if quota is not None:
        cpus = min(cpus, math.floor(quota))
    return max(1, cpus)


# ------------------------------------------------------------------- CPUs others keep busy


def _cpu_times() -> dict[int, tuple[float, float]] | None:
    """``{cpu: (busy, total)}`` in clock ticks since boot, from ``/proc/stat`` (Linux), or None elsewhere."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    times = {}
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            values = [float(v) for v in fields[:8]]    # user nice system idle iowait irq softirq steal
            idle = values[3] + values[4]
            times[int(name[3:])] = (sum(values) - idle, sum(values))
    return times


def busy_cpus(sample_s: float = 0.1) -> float:
    """How many of this process's CPUs other programs keep busy, measured over ``sample_s`` seconds.

    busy = (busy ticks of the allowed CPUs - this process's own CPU time) / ticks per CPU,
    from ``/proc/stat`` read before and after a sleep of ``sample_s``. 0.0 where
    ``/proc/stat`` does not exist (macOS, Windows): the policy then uses every CPU.
    """
    sample_s = check_real("sample_s", sample_s, low=0.0, low_open=True, high=10.0)
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = None
    before, own_before = _cpu_times(), time.process_time()
    if not before:
        return 0.0
    time.sleep(sample_s)
    after, own_after = _cpu_times(), time.process_time()
    cpus = [c for c in before if (allowed is None or c in allowed) and c in after]
    busy = sum(after[c][0] - before[c][0] for c in cpus)
    ticks_per_cpu = sum(after[c][1] - before[c][1] for c in cpus) / max(1, len(cpus))
    if ticks_per_cpu <= 0:
        return 0.0
    own = (own_after - own_before) * os.sysconf("SC_CLK_TCK")
    return max(0.0, (busy - own) / ticks_per_cpu)


def _busy_now(sample_s: float) -> float:
    """:func:`busy_cpus`, measured again only when the last measurement is older than :data:`BUSY_CACHE_S`."""
    global _busy_cache
    now = time.monotonic()
    if _busy_cache is None or now - _busy_cache[0] > BUSY_CACHE_S:
        _busy_cache = (now, busy_cpus(sample_s))
    return _busy_cache[1]


# ---------------------------------------------------------------------------- the policy


def _check_threads(name: str, value) -> int | None:
    return None if value is None else check_int(name, value, minimum=1, maximum=_MAX_THREADS)


def _env_threads() -> ThreadChoice | None:
    """Rule 1: ``SNNLESSON_THREADS=N`` in the environment, checked; None where it is not set."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= _MAX_THREADS:
        raise ValueError(f"the environment variable {ENV_VAR} must be an integer >= 1 (a number of "
                         f"threads, at most {_MAX_THREADS}), got {value!r}; unset it to let snnlesson choose")
    return ThreadChoice(int(value), f"{ENV_VAR}={int(value)}")


def _chosen_by() -> str | None:
    """Who chose torch's present thread count (rule 2, or an enclosing policy block), in words; None: nobody."""
    current = torch.get_num_threads()
    if _active and current == _active[-1].threads:
        return _active[-1].reason                      # the enclosing policy block's choice
    if os.environ.get("OMP_NUM_THREADS", "").strip():
        return f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS'].strip()}"
    if current != _unchosen_threads:
        return "torch.set_num_threads was called"
    return None


def choose(max_threads: int | None = None, sample_s: float = 0.1) -> ThreadChoice:
    """The number of torch threads the policy picks now, with the reason (see the module's docstring).

    max_threads : the most threads this work profits from (1 for small work such as an explorer's
        update: nothing is measured then); None for no limit.
    sample_s : how long to measure the busy CPUs (rule 3), when no measurement is recent.
    """
    max_threads = _check_threads("max_threads", max_threads)
    sample_s = check_real("sample_s", sample_s, low=0.0, low_open=True, high=10.0)
    fixed = _env_threads()
    if fixed is not None:
        return fixed
    limit = max_threads or math.inf
    current, why = torch.get_num_threads(), _chosen_by()
    if why is not None:
        if current > limit:
            return ThreadChoice(max_threads, f"small work: {max_threads} of the {current} threads allowed ({why})")
        return ThreadChoice(current, why)
    if limit == 1:
        return ThreadChoice(1, "small work: one thread")
    cpus = available_cpus()
    if cpus == 1:
        return ThreadChoice(1, "one CPU available")
    # the idle CPUs among those we may run on (a quota of 2 on a 64-core server leaves many idle)
    cores, busy = _affinity_cpus(), _busy_now(sample_s)
    free = max(1, min(cpus, limit, math.floor(cores - busy + 0.5)))
    return ThreadChoice(free, f"{cpus} CPUs available, {busy:.1f} of {cores} busy with other work")


def policy(threads: int | None = None, *, max_threads: int | None = None):
    """Run the block with the policy's thread count, then restore torch's setting; yields the :class:`ThreadChoice`.

    threads : a fixed count instead (e.g. a function's ``num_threads`` argument); None: :func:`choose`.
    max_threads : passed to :func:`choose` (1 for small work that must stay fast).

    >>> with policy(max_threads=1) as choice:
    ...     torch.get_num_threads() == choice.threads
    True
    """
    # checked now, when called, not when the block is entered
    return _policy(_check_threads("threads", threads), _check_threads("max_threads", max_threads))


@contextlib.contextmanager
def _policy(threads: int | None, max_threads: int | None):
    choice = ThreadChoice(threads, "given") if threads is not None else choose(max_threads)
    previous = torch.get_num_threads()
    torch.set_num_threads(choice.threads)
    _active.append(choice)
    try:
        yield choice
    finally:
        _active.pop()
        torch.set_num_threads(previous)


def use_in_notebook() -> ThreadChoice:
    """Set torch's thread count for a lesson's own cells; each lesson calls this once, in its set-up cell.

    The cells of a lesson run small work between the package's trainings: a forward pass over
    a few hundred digits, an encoder, a quantized copy of a network. Torch's default of one
    thread per core collapses beside other work: lesson 05's forward pass over 250 test digits
    took 0.04 s on an idle 2-core machine and 5.0 s beside two busy processes; on one thread,
    0.08 s and 0.06 s. Whole lessons take as long on an idle machine either way (lesson 05's
    cells: 11.6 s with two threads, 11.5-11.8 s with one). So, in order:

    1. ``SNNLESSON_THREADS=N``: ``N`` threads;
    2. the user's choice is kept (``OMP_NUM_THREADS``, or ``torch.set_num_threads`` called
       earlier, after this module was imported);
    3. otherwise one thread. This setting is the package's, not the user's: the trainings
       (:func:`policy`) still choose by rule 3 of :func:`choose`, and a later
       ``torch.set_num_threads(n)`` with ``n > 1`` is the user's choice.
    """
    global _unchosen_threads
    choice = _env_threads()
    if choice is None:
        why = _chosen_by()
        if why is not None:                           # the user's choice: torch keeps it
            return ThreadChoice(torch.get_num_threads(), why)
        choice = ThreadChoice(1, "a notebook's own cells: one thread (the trainings choose their own)")
        _unchosen_threads = 1
    torch.set_num_threads(choice.threads)
    return choice
