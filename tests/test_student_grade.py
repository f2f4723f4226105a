"""The student edition runs as handed out, and grading gives the expected table (issue 19).

These tests execute notebooks in fresh kernels (nbclient), as ``course.py grade`` does:
every lesson's student edition once, and three made-up submissions of the two smallest
lessons (00 and 01). Measured on the shared 2-core CPU (load average about 6): 10 minutes in
all, of which lesson 05 (training on MNIST) 331 s, lesson 06 66 s, the others 10-46 s each,
the graded submissions of lessons 00 and 01 35 s. Each lesson is its own test (parametrized),
so they can run in parallel (pytest-xdist) where cores allow. The small notebooks at the
bottom check time limits, deleted cells and broken cells in seconds.

Exercises are found in the notebooks, never listed here: a lesson that gains an exercise is
checked at once. The typical mistakes are data (MISTAKES); an exercise without an entry is
expected to be graded "not attempted" in the mistaken submission.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _course():
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course = _course()
LESSONS = course.course_lessons()
NOTEBOOKS = {p.stem: p for p in course.lesson_notebooks()}
GRADED_LESSONS = [name for name in NOTEBOOKS if name[:2] in ("00", "01")]  # the two smallest lessons

# checker -> (what replaces the stub's `...` in the student's cell, words the checker's hint must hold).
# Each is a typical mistake, written as a student would write it in the student edition's stub cell.
MISTAKES = {
    "check_spike_count": ("int(spikes[0].sum())", "counted only one time step"),
    "check_euler_step": ("return v + (-(v - v_rest) + resistance * current) / tau_m",
                         "multiply the slope dV/dt by dt"),
    "check_decay_factor": ("math.exp(-0.05 / 2e-3)", "swapped"),
    "check_lif_loop": ("n = len(current)\n"
                       "v = np.empty(n + 1)\n"
                       "spikes = np.zeros(n + 1, dtype=bool)\n"
                       "v[0] = v_rest\n"
                       "for k in range(n):   # no refractory period\n"
                       "    v[k + 1] = v[k] + dt / tau_m * (-(v[k] - v_rest) + resistance * current[k])\n"
                       "    if v[k + 1] >= threshold:\n"
                       "        spikes[k + 1] = True\n"
                       "        v[k + 1] = v_reset\n"
                       "return v, spikes", "there is no refractory period"),
}
STUB = re.compile(r"(?<![\w.\[])\.\.\.(?![\w.\]])")   # the `...` placeholder, not `a[...]` or `x...y`


def _write(nb: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _answer_stub(source: str, answer: str) -> str:
    """``source`` with its first `...` placeholder outside a comment replaced by ``answer`` (whose
    further lines are indented like the placeholder's line)."""
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        code, hash_, comment = line.partition("#")
        if STUB.search(code):
            indent = re.match(r"\s*", code).group(0)
            answer = answer.replace("\n", "\n" + indent)
            lines[i] = STUB.sub(lambda m: answer, code, count=1) + hash_ + comment
            break
    return "".join(lines)


def with_mistakes(student_nb: dict) -> tuple[dict, set[str]]:
    """The student edition with each stub cell of a MISTAKES exercise answered by that mistake;
    returns the notebook and the exercises it answered."""
    nb = json.loads(json.dumps(student_nb))
    answered = set()
    for cell in nb["cells"]:
        called = course.checkers_called(cell)
        if called and called[-1] in MISTAKES:
            source = course._source(cell)
            cell["source"] = _answer_stub(source, MISTAKES[called[-1]][0])
            if cell["source"] != source:   # a stub cell (not a later cell calling the same checker)
                answered.add(called[-1])
    return nb, answered


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """Three students' folders: right (the course's notebooks, solutions included), stubs (the
    student edition as handed out), mistakes (the student edition with a typical mistake per exercise)."""
    root = tmp_path_factory.mktemp("submissions")
    course.write_student_edition(root / "stubs")
    (root / "right").mkdir()
    expected, answered = {}, set()
    for lesson, exercises in LESSONS.items():
        shutil.copy(NOTEBOOKS[lesson], root / "right" / f"{lesson}.ipynb")
        mistaken, done = with_mistakes(json.loads((root / "stubs" / f"{lesson}.ipynb").read_text()))
        _write(mistaken, root / "mistakes" / f"{lesson}.ipynb")
        answered |= done
        for exercise in exercises:
            expected["right", lesson, exercise] = ("correct", "")
            expected["stubs", lesson, exercise] = ("not attempted", "")
            expected["mistakes", lesson, exercise] = (("not yet", MISTAKES[exercise][1]) if exercise in done
                                                      else ("not attempted", ""))
    return root, expected, answered


_GRADED: dict[Path, object] = {}


def graded(path: Path):
    """Grade a submission once per test session (executing a lesson takes seconds to a minute).

    The time limits are generous: a lesson takes minutes, not one, on a CPU shared with other
    work (the small notebooks at the bottom test the limits themselves)."""
    if path not in _GRADED:
        _GRADED[path] = course.grade_submission(path, LESSONS, cell_timeout=1800, total_timeout=3600)
    return _GRADED[path]


@pytest.mark.parametrize("lesson", sorted(NOTEBOOKS))
def test_student_edition_runs_top_to_bottom_with_every_exercise_not_attempted(lesson, submissions):
    root = submissions[0]
    result = graded(root / "stubs" / f"{lesson}.ipynb")
    assert result.lesson == lesson and result.student == "stubs"
    assert LESSONS[lesson], f"{lesson} has no exercise in the required form"
    assert result.execution.errors == {} and result.execution.not_run == {}, (
        f"the student edition of {lesson} fails as handed out: {result.execution.errors or result.execution.not_run}")
    assert [(g.exercise, g.verdict) for g in result.grades] == [(e, "not attempted") for e in LESSONS[lesson]]


def test_the_mistakes_cover_the_exercises_of_the_graded_lessons(submissions):
    """Not vacuous: the mistaken submission answers at least the exercises that existed when this test was written."""
    answered = submissions[2]
    assert {"check_spike_count", "check_euler_step", "check_decay_factor", "check_lif_loop"} & set(
        e for lesson in GRADED_LESSONS for e in LESSONS[lesson]) <= answered


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_grading_three_submissions_gives_the_expected_table(lesson, submissions):
    root, expected, _ = submissions
    for student in ("right", "stubs", "mistakes"):
        result = graded(root / student / f"{lesson}.ipynb")
        assert result.execution.errors == {}, f"{student}'s {lesson}: {result.execution.errors}"
        for grade in result.grades:
            verdict, hint = expected[student, lesson, grade.exercise]
            assert (grade.student, grade.lesson, grade.verdict) == (student, lesson, verdict), grade
            assert hint in grade.detail, f"{student}, {grade.exercise}: the hint should say {hint!r}: {grade.detail}"
        assert [g.exercise for g in result.grades] == LESSONS[lesson]


# ------------------------------------------------------- small notebooks: time limits, deleted and broken cells


def _cell(source: str) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}


def _nb(*sources: str) -> dict:
    return {"cells": [_cell(s) for s in sources], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}


# The small notebooks' checkers: stand-ins with the lessons' names and verdicts (snnlesson.checks'
# CheckResult), light to import. The lessons' own checkers import torch, which takes seconds and would
# set a floor under the per-cell time limit tested below; they are graded above, in whole lessons.
SETUP = ("import math\nfrom types import SimpleNamespace\nfrom snnlesson.checks import failed, not_attempted, passed\n"
         "def check_euler_step(euler_step):\n"
         "    got, want = euler_step(0.5, 2.0, 1e-3, 0.02, 0.0, 1.0), 0.5 + 1e-3 / 0.02 * (-0.5 + 2.0)\n"
         "    return passed() if math.isclose(got, want) else failed(f'one step from 0.5 gave {got}, not {want}')\n"
         "def check_decay_factor(answer, tau_m=0.02, dt=1e-3):\n"
         "    if answer is Ellipsis:\n"
         "        return not_attempted()\n"
         "    want = math.exp(-dt / tau_m)\n"
         "    return passed() if math.isclose(answer, want) else failed(f'got {answer}, not {want}')\n"
         "def check_spike_count(answer, spikes):\n"
         "    want = sum(map(sum, spikes))\n"
         "    return passed() if answer == want else failed(f'got {answer}, not {want}')\n"
         "def check_rate_count_stats(mean, std, num_steps=1000, p=32 / 256):\n"
         "    want = (num_steps * p, math.sqrt(num_steps * p * (1 - p)))\n"
         "    return passed() if all(math.isclose(a, b, rel_tol=1e-3) for a, b in zip((mean, std), want)) "
         "else failed(f'got {(mean, std)}, not {want}')\n"
         "checks = SimpleNamespace(check_euler_step=check_euler_step, check_decay_factor=check_decay_factor,\n"
         "                         check_spike_count=check_spike_count, check_rate_count_stats=check_rate_count_stats)")
DECAY_RIGHT = "checks.check_decay_factor(math.exp(-2e-3 / 0.05), tau_m=0.05, dt=2e-3)"
EULER_RIGHT = ("def euler_step(v, current, dt, tau_m, v_rest, resistance):\n"
               "    return v + dt / tau_m * (-(v - v_rest) + resistance * current)\n"
               "checks.check_euler_step(euler_step)")
CELL_LIMIT_S = 5   # the set-up cell takes a fraction of a second (numpy): ample on a busy machine


def test_a_cell_that_never_ends_is_graded_timeout_and_the_next_cells_still_run(tmp_path):
    """Through the command (`course.py grade`), with a small course of its own: its one lesson has
    three exercises, each a stub cell followed by its solution."""
    stub = 'answer = ...\nchecks.{}(answer)'
    solution = {"cell_type": "code", "source": "#@title Solution\nchecks.{}(1)", "metadata": {}, "outputs": [],
                "execution_count": None}
    cells = []
    for name in ("check_euler_step", "check_decay_factor", "check_spike_count"):
        cells += [_cell(stub.format(name)), {**solution, "source": solution["source"].format(name)}]
    _write({**_nb(SETUP), "cells": cells}, tmp_path / "course" / "tiny.ipynb")
    path = _write(_nb(SETUP, "while True:\n    pass\n" + EULER_RIGHT, DECAY_RIGHT), tmp_path / "carol" / "tiny.ipynb")
    csv_path = tmp_path / "grades.csv"
    assert course.grade_main([str(tmp_path / "carol"), "--course", str(tmp_path / "course"),
                              "--cell-timeout", str(CELL_LIMIT_S), "--csv", str(csv_path)]) == 0
    rows = [(r["student"], r["lesson"], r["exercise"], r["verdict"], r["detail"])
            for r in csv.DictReader(csv_path.open(encoding="utf-8"))]
    assert [row[:4] for row in rows] == [("carol", "tiny", "check_euler_step", "timeout"),
                                         ("carol", "tiny", "check_decay_factor", "correct"),  # the kernel was
                                         ("carol", "tiny", "check_spike_count", "missing")]   # interrupted, not lost
    assert f"time limit of {CELL_LIMIT_S} s" in rows[0][4]


def test_past_the_total_time_limit_the_remaining_cells_are_not_run(tmp_path):
    path = _write(_nb(SETUP, "while True:\n    pass", DECAY_RIGHT), tmp_path / "dave_tiny.ipynb")
    lessons = {"tiny": ["check_decay_factor"]}
    result = course.grade_submission(path, lessons, cell_timeout=60, total_timeout=3)
    assert result.lesson == "tiny" and result.student == "dave"   # lesson recognised by its exercises
    assert result.execution.seconds < 30
    [grade] = result.grades
    assert grade.verdict == "timeout" and "total time limit of 3 s" in grade.detail


def test_a_deleted_exercise_cell_is_missing_and_a_broken_one_is_an_error(tmp_path):
    lessons = {"tiny": ["check_euler_step", "check_decay_factor", "check_spike_count", "check_rate_count_stats"]}
    path = _write(_nb(SETUP, EULER_RIGHT.replace("return v", "return v v"),  # a syntax error
                      "print('Correct! I think')\nchecks.check_rate_count_stats(125, 10.46)\nx = 1",
                      "checks.check_spike_count(1 / 0, [[1]])"),
                  tmp_path / "erin" / "tiny.ipynb")
    result = course.grade_submission(path, lessons, lesson="tiny", cell_timeout=30)
    got = {g.exercise: (g.verdict, g.detail) for g in result.grades}
    assert got["check_euler_step"][0] == "error" and got["check_euler_step"][1].startswith("SyntaxError")
    assert got["check_decay_factor"][0] == "missing"
    assert got["check_spike_count"] == ("error", "ZeroDivisionError: division by zero")
    # a verdict is read from the checker's result, not from anything the student prints
    assert got["check_rate_count_stats"][0] == "no verdict"
    assert result.student == "erin"


def test_an_unreadable_submission_is_graded_not_crashed_on(tmp_path):
    path = tmp_path / "frank" / "01_lif_neuron.ipynb"
    path.parent.mkdir()
    path.write_text("{ this is not json")
    result = course.grade_submission(path, LESSONS)
    assert [(g.student, g.verdict) for g in result.grades] == [("frank", "unreadable")]
