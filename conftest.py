"""Test-wide settings for both the unit tests (tests/) and the notebooks (nbval).

It sits at the top level because pytest reads a conftest.py only from the
folders of the paths it collects and their parents: here it applies to
`pytest`, `pytest tests/...` and `pytest notebooks/...` alike.

The notebooks under nbval and the unit tests use the offline MNIST subset
(``SNNLESSON_MNIST_SOURCE=offline``) unless the caller sets the variable, so
that saved notebook outputs are the same on every machine, with or without a
cached full MNIST. nbval's kernels inherit this environment.
"""

import os

os.environ.setdefault("SNNLESSON_MNIST_SOURCE", "offline")
os.environ.setdefault("PYTHONHASHSEED", "0")
# Widgets and tqdm in the kernels: no colour codes in saved text outputs.
os.environ.setdefault("NO_COLOR", "1")

# ------------------------------------------------------------------ parallel runs (pytest-xdist)
#
# `python3 course.py test` runs the suite in one pytest process per available CPU
# (pytest-xdist, `-n N --dist loadfile`); plain `pytest` still runs it in one process.
# What keeps a parallel run correct and fast:
#
# * A test file is one unit of work, run by one process in file order (`--dist loadfile`):
#   nbval runs a notebook's cells one after the other in one kernel, and module-scoped
#   fixtures (trained networks, the fuzz test's worker pool) are built once. The files in
#   SPLIT_BY, whose parametrized tests each run a whole lesson, are split into one unit per
#   lesson (the scheduler below; pytest-xdist's own `xdist_group` marks do not work with
#   pytest 9, which no longer reads the node ids that `--dist loadgroup` rewrites).
# * The units that take longest start first (COST_S: rough seconds on an idle 2-core machine);
#   the many short ones fill in around them. pytest-xdist alone would start the files with
#   the most tests first, and a long file with few tests could start last.
# * One torch thread per process and kernel when two processes share two cores (below).

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    # Each test process, and each notebook kernel it starts (kernels inherit this environment),
    # gets its share of the CPUs: torch threads that wait for a busy core spin, so two
    # processes of two threads on two cores are slower than two of one thread.
    _cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    _share = str(max(1, _cpus // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    os.environ.setdefault("OMP_NUM_THREADS", _share)
    os.environ.setdefault("SNNLESSON_THREADS", _share)

# Test files whose parametrized tests each run a whole lesson: the test id in brackets
# (the lesson) makes a unit of its own; tests of one file with the same id share a unit.
SPLIT_BY = {"tests/test_student_grade.py", "tests/test_browser.py"}

# unit -> rough seconds it takes in `python3 course.py test` on an idle 2-core machine, for the order only:
# the longest units start first, the units not listed (a few seconds each at most) last, in file order.
# From the durations of 2026-12-07 (the whole suite with --durations on an idle machine, and per unit with
# SNNLESSON_UNIT_TIMES, below, on a busy one, scaled down); measure again that way when a lesson's cost
# changes much.
_PER_LESSON = {  # lesson -> seconds of (its nbval run, its student edition run and grading, its browser test)
    "00_start_here": (5, 10, 18), "01_lif_neuron": (11, 41, 28), "02_encoding": (10, 9, 30),
    "03_stdp": (18, 17, 34), "04_spikeprop": (15, 12, 28), "05_bptt_mnist": (32, 26, 50),
    "06_rsnn_moving_digits": (28, 32, 41), "07_cost_and_hardware": (6, 5, 21),
}
COST_S: dict[str, float] = {
    "tests/test_fuzz.py": 90.0, "tests/test_explorer.py": 45.0, "tests/test_lessons_l06.py": 22.0,
    "tests/test_rsnn.py": 13.0, "tests/test_student_grade.py": 12.0, "tests/test_precomputed.py": 11.0,
    "tests/test_slides.py": 8.0, "tests/test_stdp.py": 7.0, "tests/test_lif.py": 7.0, "tests/test_lessons_l05.py": 6.0,
    "tests/test_spikeprop.py": 4.0, "tests/test_lessons_l04.py": 4.0, "tests/test_wheel.py": 4.0,
    "tests/test_bptt.py": 3.0,
    **{f"notebooks/{name}.ipynb": s for name, (s, _, _) in _PER_LESSON.items()},
    **{f"tests/test_student_grade.py:{name}": s for name, (_, s, _) in _PER_LESSON.items()},
    **{f"tests/test_browser.py:{name}.ipynb": s for name, (_, _, s) in _PER_LESSON.items()},
}


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or ``file:id`` for the files in SPLIT_BY."""
    path, _, rest = nodeid.partition("::")
    if path in SPLIT_BY and rest.endswith("]") and "[" in rest:
        return f"{path}:{rest[rest.index('[') + 1:-1]}"
    return path


def _collects_notebooks(config) -> bool:
    for arg in config.args:   # the paths given, else pyproject's testpaths
        path = Path(config.invocation_params.dir, arg.split("::")[0])
        if path.suffix == ".ipynb" or (path.is_dir() and next(path.rglob("*.ipynb"), None) is not None):
            return True
    return False


def pytest_configure(config):
    dist = getattr(config.option, "dist", "no")
    if dist not in ("no", "loadfile", "loadscope", "each") and _collects_notebooks(config):
        raise pytest.UsageError(f"--dist {dist} spreads a notebook's cells over several processes (nbval runs them "
                                "in order in one kernel): use --dist loadfile, as `python3 course.py test` does")


@pytest.hookimpl(optionalhook=True)   # a hook of pytest-xdist: unknown (and unused) without it
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False   # units of equal cost keep the collection's order

    class LessonScheduling(LoadScopeScheduling):
        """``--dist loadfile``, with the SPLIT_BY files split per lesson and the longest units first."""

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_longest_first", False):   # once, when the first unit is handed out
                units = sorted(self.workqueue.items(), key=lambda unit: -COST_S.get(unit[0], 0.0))  # stable
                self.workqueue.clear()
                self.workqueue.update(units)
                self._longest_first = True
            super()._assign_work_unit(node)

    return LessonScheduling(config, log)


# ------------------------------------------------------------------ measuring the units (for COST_S)
#
# SNNLESSON_UNIT_TIMES=path writes each unit's seconds (setup, call and teardown of its tests, summed)
# to ``path`` as JSON, longest first, with the load average at the end of the run:
#
#     SNNLESSON_UNIT_TIMES=units.json python3 course.py test
#
# Under pytest-xdist the main process sums the reports of every test process.

_UNIT_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    if os.environ.get("SNNLESSON_UNIT_TIMES"):
        unit = unit_of(report.nodeid)
        _UNIT_SECONDS[unit] = _UNIT_SECONDS.get(unit, 0.0) + report.duration


def pytest_sessionfinish(session):
    path = os.environ.get("SNNLESSON_UNIT_TIMES")
    if not path or os.environ.get("PYTEST_XDIST_WORKER"):   # written once, by the main process
        return
    import json

    units = dict(sorted(((unit, round(s, 1)) for unit, s in _UNIT_SECONDS.items()), key=lambda u: -u[1]))
    Path(path).write_text(json.dumps({"load_average": [round(x, 2) for x in os.getloadavg()],
                                      "processes": getattr(session.config.option, "numprocesses", None) or 1,
                                      "seconds": units}, indent=1) + "\n")
