"""Tests for snnlesson.threads: the one thread policy, and that the package's training runs under it.

References: the rules in the module's docstring; cgroup files written by hand in the formats the
kernel documents (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``); a real spinning
process for :func:`busy_cpus`, and fixed ``/proc/stat`` readings for its arithmetic.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from snnlesson import threads, training


@pytest.fixture(autouse=True)
def clean_policy(monkeypatch):
    """No override in the environment, torch's count nobody's choice, no cached measurement; restored after."""
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "_busy_cache", None)
    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "_unchosen_threads", torch.get_num_threads())  # restored after the test
    torch.set_num_threads(threads._unchosen_threads)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def free_cpus(monkeypatch):
    """Rule 3 sees ``n`` available CPUs, none busy (so that it would pick ``n``)."""
    def set_free(n):
        monkeypatch.setattr(threads, "available_cpus", lambda: n)
        monkeypatch.setattr(threads, "_affinity_cpus", lambda: n)
        monkeypatch.setattr(threads, "busy_cpus", lambda sample_s=0.1: 0.0)
    return set_free


def other_count():
    """A thread count different from torch's current one (1 or 2: fine on any machine for tiny work)."""
    return 2 if torch.get_num_threads() == 1 else 1


# ----------------------------------------------------------------------------------- the rules


def test_environment_variable_wins(monkeypatch, free_cpus):
    free_cpus(4)
    monkeypatch.setenv(threads.ENV_VAR, "3")
    assert threads.choose() == (3, "SNNLESSON_THREADS=3")
    assert threads.choose(max_threads=1).threads == 3            # "always"
    with threads.policy() as choice:
        assert choice.threads == 3 and torch.get_num_threads() == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "2 threads", "100000"])
def test_a_bad_environment_variable_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(threads.ENV_VAR, value)
    with pytest.raises(ValueError, match=f"SNNLESSON_THREADS must be an integer >= 1.*{value!r}"):
        threads.choose()
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="SNNLESSON_THREADS"):
        with threads.policy():
            pass
    assert torch.get_num_threads() == before


def test_omp_num_threads_is_respected(monkeypatch, free_cpus):
    free_cpus(4)                                                   # rule 3 would say 4
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    choice = threads.choose()
    assert choice.threads == torch.get_num_threads() and "OMP_NUM_THREADS=1" in choice.reason
    assert threads.choose(max_threads=1).threads == 1              # small work may use fewer


def test_a_users_set_num_threads_is_respected(free_cpus):
    free_cpus(4)
    mine = other_count()
    torch.set_num_threads(mine)
    assert threads.choose() == (mine, "torch.set_num_threads was called")
    with threads.policy():
        assert torch.get_num_threads() == mine


# ------------------------------------------------------------------ a notebook's own cells


def test_a_notebook_gets_one_thread_and_its_trainings_still_choose(free_cpus):
    free_cpus(4)
    choice = threads.use_in_notebook()
    assert choice.threads == 1 and torch.get_num_threads() == 1 and "notebook" in choice.reason
    # the package's own setting, not the user's: a training still gets rule 3's count
    assert threads.choose() == (4, "4 CPUs available, 0.0 of 4 busy with other work")
    with threads.policy():
        assert torch.get_num_threads() == 4
    assert torch.get_num_threads() == 1
    assert threads.use_in_notebook().threads == 1                 # the set-up cell run again
    torch.set_num_threads(3)                                      # later, the user's own choice
    assert threads.choose() == (3, "torch.set_num_threads was called")


def test_a_notebook_keeps_the_users_choice(monkeypatch, free_cpus):
    free_cpus(4)
    mine = other_count()
    torch.set_num_threads(mine)
    assert threads.use_in_notebook() == (mine, "torch.set_num_threads was called")
    assert torch.get_num_threads() == mine
    monkeypatch.setenv("OMP_NUM_THREADS", str(mine))
    assert threads.use_in_notebook() == (mine, f"OMP_NUM_THREADS={mine}")
    monkeypatch.setenv(threads.ENV_VAR, "3")                       # rule 1 before rule 2
    assert threads.use_in_notebook() == (3, "SNNLESSON_THREADS=3") and torch.get_num_threads() == 3


def test_every_lesson_sets_its_threads_in_its_set_up_cell():
    """Each lesson's cells run under use_in_notebook (found in the notebooks, not listed here)."""
    import json

    notebooks = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        code = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        first = next(i for i, source in enumerate(code) if "import snnlesson" in source)
        assert "threads.use_in_notebook()" in code[first], f"{path.name}: its set-up cell does not call it"


def test_free_cpus_rule(monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 4)
    monkeypatch.setattr(threads, "_affinity_cpus", lambda: 4)
    for busy, expected in ((0.0, 4), (0.4, 4), (1.0, 3), (2.6, 1), (3.9, 1), (8.0, 1)):
        monkeypatch.setattr(threads, "_busy_cache", None)
        monkeypatch.setattr(threads, "busy_cpus", lambda sample_s=0.1, b=busy: b)
        choice = threads.choose()
        assert choice.threads == expected, (busy, choice)
        assert "4 CPUs available" in choice.reason
    assert threads.choose(max_threads=2).threads == 1


def test_a_quota_on_a_large_machine(monkeypatch):
    """A container with 2 CPUs of quota on a 64-core server where 30 cores are busy: 2 threads."""
    monkeypatch.setattr(threads, "_affinity_cpus", lambda: 64)
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: 2.0)
    monkeypatch.setattr(threads, "busy_cpus", lambda sample_s=0.1: 30.0)
    assert threads.available_cpus() == 2
    assert threads.choose() == (2, "2 CPUs available, 30.0 of 64 busy with other work")
    monkeypatch.setattr(threads, "_busy_cache", None)
    monkeypatch.setattr(threads, "busy_cpus", lambda sample_s=0.1: 63.2)
    assert threads.choose().threads == 1


def test_small_work_measures_nothing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("busy_cpus must not run for max_threads=1")

    monkeypatch.setattr(threads, "busy_cpus", fail)
    assert threads.choose(max_threads=1) == (1, "small work: one thread")


def test_the_measurement_is_reused_for_a_while(monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    monkeypatch.setattr(threads, "_affinity_cpus", lambda: 2)
    monkeypatch.setattr(threads, "busy_cpus", lambda sample_s=0.1: calls.append(1) or 0.0)
    threads.choose(), threads.choose()
    assert len(calls) == 1
    monkeypatch.setattr(threads, "_busy_cache", (time.monotonic() - threads.BUSY_CACHE_S - 1, 0.0))
    threads.choose()
    assert len(calls) == 2


@pytest.mark.parametrize("kwargs, error", [({"threads": 0}, ValueError), ({"threads": 1.5}, TypeError),
                                           ({"threads": True}, TypeError), ({"max_threads": 0}, ValueError),
                                           ({"threads": 10**6}, ValueError)])
def test_policy_rejects_bad_counts(kwargs, error):
    with pytest.raises(error, match="threads"):
        with threads.policy(**kwargs):
            pass


def test_policy_restores_torch_after_the_block_and_after_an_exception(free_cpus):
    free_cpus(2)
    before = torch.get_num_threads()
    with threads.policy(other_count()) as choice:
        assert torch.get_num_threads() == choice.threads != before and choice.reason == "given"
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"):
        with threads.policy(other_count()):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before and threads._active == []


def test_an_inner_block_keeps_the_outer_choice(free_cpus):
    free_cpus(3)                                                   # a fresh choice would be 3
    with threads.policy(2, max_threads=None):
        with threads.policy() as inner:
            assert inner == (2, "given") and torch.get_num_threads() == 2
            with threads.policy(max_threads=1) as small:
                assert small.threads == 1 and torch.get_num_threads() == 1
            assert torch.get_num_threads() == 2
    with threads.policy(max_threads=1):
        with threads.policy() as inner:                            # training inside small work stays small
            assert inner.threads == 1


# ------------------------------------------------------------------------------------- cgroups


def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_quota(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc_cgroup"
    write(proc, "0::/kubepods/pod1/ctr\n")
    write(root / "kubepods/pod1/ctr/cpu.max", "max 100000\n")      # no limit of its own
    assert threads._cgroup_quota(root, proc) is None
    write(root / "kubepods/pod1/cpu.max", "150000 100000\n")       # the pod's limit applies: 1.5 CPUs
    assert threads._cgroup_quota(root, proc) == pytest.approx(1.5)
    write(root / "kubepods/pod1/ctr/cpu.max", "50000 100000\n")    # the tighter one wins
    assert threads._cgroup_quota(root, proc) == pytest.approx(0.5)


def test_cgroup_v1_quota(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc_cgroup"
    write(proc, "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n")
    folder = root / "cpu,cpuacct/docker/abc"
    write(folder / "cpu.cfs_quota_us", "-1\n")
    write(folder / "cpu.cfs_period_us", "100000\n")
    assert threads._cgroup_quota(root, proc) is None               # -1: no limit
    write(folder / "cpu.cfs_quota_us", "200000\n")
    assert threads._cgroup_quota(root, proc) == pytest.approx(2.0)


def test_cgroup_files_missing_or_damaged(tmp_path):
    assert threads._cgroup_quota(tmp_path, tmp_path / "absent") is None
    write(tmp_path / "proc_cgroup", "garbage\n0::/x\n")
    write(tmp_path / "x/cpu.max", "not numbers\n")
    assert threads._cgroup_quota(tmp_path, tmp_path / "proc_cgroup") is None


def test_available_cpus_follows_the_quota(monkeypatch):
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: 0.5)
    assert threads.available_cpus() == 1                           # at least one
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: None)
    assert threads.available_cpus() == len(os.sched_getaffinity(0))
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: 1000.0)
    assert threads.available_cpus() == len(os.sched_getaffinity(0))


# ---------------------------------------------------------------------------------- busy CPUs


def test_busy_cpus_arithmetic(monkeypatch):
    """2 CPUs, 100 ticks each in the window, 150 busy ticks, 50 of them this process's own: 1.0 busy."""
    readings = iter([{0: (1000.0, 5000.0), 1: (2000.0, 5000.0)}, {0: (1100.0, 5100.0), 1: (2050.0, 5100.0)}])
    clock = iter([10.0, 10.0 + 50 / os.sysconf("SC_CLK_TCK")])
    monkeypatch.setattr(threads, "_cpu_times", lambda: next(readings))
    monkeypatch.setattr(threads.time, "process_time", lambda: next(clock))
    monkeypatch.setattr(threads.time, "sleep", lambda s: None)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1})
    assert threads.busy_cpus() == pytest.approx(1.0)


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="busy_cpus measures /proc/stat (Linux)")
def test_busy_cpus_sees_a_spinning_process():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert threads.busy_cpus(0.5) >= 0.5
    finally:
        spinner.kill()
        spinner.wait()


def test_busy_cpus_rejects_a_bad_sample():
    with pytest.raises(ValueError, match="sample_s"):
        threads.busy_cpus(0)


# ----------------------------------------------------------------- the package runs under it


def blobs(n=64):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (n,), generator=g)
    return torch.randn(n, 2, generator=g) + labels[:, None] * 2.0, labels


def test_training_runs_under_the_policy(monkeypatch):
    wanted = other_count()
    monkeypatch.setattr(threads, "choose", lambda max_threads=None: threads.ThreadChoice(wanted, "test"))
    seen = []

    def loss_fn(output, labels):
        seen.append(torch.get_num_threads())
        return torch.nn.functional.cross_entropy(output, labels)

    before = torch.get_num_threads()
    model = torch.nn.Linear(2, 2)
    history = training.train(model, blobs(), loss_fn=loss_fn, epochs=1, batch_size=32, progress=False)
    assert seen == [wanted, wanted] and torch.get_num_threads() == before
    assert history.settings["torch_threads"] == wanted and history.settings["threads_reason"] == "test"
    seen.clear()
    training.evaluate(model, blobs(), readout=lambda out: out, forward_fn=lambda m, x, g: seen.append(
        torch.get_num_threads()) or m(x))
    assert seen == [wanted] and torch.get_num_threads() == before


def test_rsnn_training_uses_one_thread_unless_told(monkeypatch, free_cpus):
    from snnlesson import data, rsnn

    free_cpus(2)                                                   # training.train alone would take 2
    seen = []
    train = training.train

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return train(*args, **kwargs)

    monkeypatch.setattr(training, "train", spy)
    task = rsnn.Task("digit", num_frames=3, cue_frames=None, answer_frames=3)
    data_ = task.make(20, seed=0, dataset=data.mnist(train=True, source="offline", verbose=False))
    _, history = rsnn.train_network("feedforward", task, data_, epochs=1, batch_size=10)
    assert seen == [1] and history.settings["torch_threads"] == 1
    _, history = rsnn.train_network("feedforward", task, data_, epochs=1, batch_size=10, num_threads=2)
    assert seen == [1, 2] and history.settings["torch_threads"] == 2
    monkeypatch.setenv(threads.ENV_VAR, "2")
    _, history = rsnn.train_network("feedforward", task, data_, epochs=1, batch_size=10)
    assert seen == [1, 2, 2] and history.settings["threads_reason"] == "SNNLESSON_THREADS=2"


def test_benchmark_records_the_threads():
    from snnlesson import bench

    assert bench.BENCHMARKS["contention"] == "snnlesson.bench:bench_contention"
    record = bench._run("data")
    assert record["torch_threads"] >= 1 and record["threads_reason"]


def test_contention_spinners_are_killed_at_the_end():
    from snnlesson import bench

    with pytest.raises(RuntimeError, match="stop"):
        with bench._busy_processes(1) as procs:
            assert procs[0].poll() is None                          # spinning
            raise RuntimeError("stop")
    assert procs[0].poll() is not None                              # killed, also after an exception
    with pytest.raises(ValueError, match="batches"):
        bench.bench_contention(batches=0)


def test_the_environment_check_shows_the_threads_and_the_cpus(monkeypatch):
    import snnlesson

    monkeypatch.setattr(threads, "available_cpus", lambda: 3)
    torch.set_num_threads(1)
    report = snnlesson.environment_report()
    assert report["torch threads"] == "1" and report["CPUs available"] == "3"
