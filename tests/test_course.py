"""course.py's environment set-up: a full disk gives one clear line before pip starts.

CI once failed deep inside pip with "OSError: [Errno 28] No space left on device"
while building the second environment; these tests pin the check that replaces that
traceback, with shutil.disk_usage replaced so that no real disk is filled.
"""
from __future__ import annotations

import importlib.util
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
Usage = namedtuple("Usage", "total used free")


def _course():
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_too_little_free_disk_stops_with_the_sizes(monkeypatch):
    course = _course()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100e9, 98.8e9, 1.2e9))
    with pytest.raises(SystemExit) as stop:
        course.check_free_space(course.COLAB_VENV, course.COLAB_VENV_DISK_GB)
    message = str(stop.value)
    assert ".venv-colab" in message
    assert f"{course.COLAB_VENV_DISK_GB:.1f} GB" in message
    assert "only 1.2 GB is free" in message


def test_enough_free_disk_passes(monkeypatch):
    course = _course()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100e9, 50e9, 50e9))
    assert course.check_free_space(course.VENV, course.VENV_DISK_GB) is None


def test_colab_environment_is_built_without_pips_cache():
    # pip's HTTP cache would hold a second copy of the CUDA wheels during the install.
    source = (ROOT / "course.py").read_text()
    assert '"--no-cache-dir"' in source.split("def ensure_colab_env", 1)[1].split("\ndef ", 1)[0]


# ------------------------------------------------- the student edition (course.py student)
# Cheap tests: the notebooks are read and rewritten as JSON, nothing is executed
# (tests/test_student_grade.py runs the student editions and grades submissions).

import json  # noqa: E402
import re  # noqa: E402


def _cell(source, outputs=(), kind="code", **metadata):
    cell = {"cell_type": kind, "source": source, "metadata": dict(metadata)}
    if kind == "code":
        cell.update(outputs=list(outputs), execution_count=3)
    return cell


def _result(text):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": text, "text/markdown": "**" + "".join(text) + "**"}}


def _nb(*cells):
    return {"cells": list(cells), "metadata": {"widgets": {"state": {}}}, "nbformat": 4, "nbformat_minor": 5}


STUB = _cell("answer = ...  # your expression\nchecks.check_spike_count(answer, spikes)",
             [_result("Not attempted yet: replace `...`")])
SOLUTION = _cell(["#@title Solution\n", "answer = int(spikes.sum())  # every step\n",
                  "checks.check_spike_count(answer, spikes)"], outputs=[_result("Correct! 12 spikes")],
                 jupyter={"source_hidden": True})
HIDDEN_CHECK = _cell("answer = spikes.sum().item()\nchecks.check_spike_count(answer, spikes)",
                     jupyter={"source_hidden": True})
TITLED_ONLY = _cell("# @title Solution (the loop)\nsimulate = reference")
HIDDEN_HELPER = _cell("import numpy as np", jupyter={"source_hidden": True})
TRY = _cell("**Try:** halve tau_m.\n\n<details><summary>Answer</summary>\n\nIt fires sooner.\n\n</details>\n\n"
            "Next we look at the reset.\n", kind="markdown")


def test_the_student_edition_drops_solutions_answers_and_outputs():
    course = _course()
    nb = _nb(_cell("print('hi')", [_result("hi")], execution={"iopub.status.busy": "x"}), STUB, SOLUTION,
             HIDDEN_CHECK, TITLED_ONLY, HIDDEN_HELPER, TRY)
    student = course.make_student_edition(nb, "00_start_here")
    kept = [course._source(c) for c in student["cells"]]
    assert kept == ["print('hi')", course._source(STUB), "import numpy as np",
                    "**Try:** halve tau_m.\n\nNext we look at the reset.\n"]
    code = [c for c in student["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "execution" not in code[0]["metadata"]
    assert student["metadata"] == {"snnlesson": {"lesson": "00_start_here", "edition": "student"}}
    assert course._source(nb["cells"][1]) == course._source(STUB) and nb["cells"][1]["outputs"]  # input unchanged
    with_answers = course.make_student_edition(nb, "00_start_here", keep_answers=True)
    assert course._source(with_answers["cells"][-1]) == TRY["source"]


@pytest.mark.parametrize("text, expected", [
    ("Q?\n<details><summary>Answer</summary>\n\nA.\n</details>\nafter", "Q?\n\nafter"),
    ("a <details><summary>x</summary><details>inner</details> still hidden</details> b", "a  b"),
    ("a <DETAILS open>x</DETAILS> b <details>y</details> c", "a  b  c"),
    ("a <details><summary>Answer</summary> never closed", "a"),
    ("no answer here\n", "no answer here\n"),
])
def test_remove_details(text, expected):
    assert _course().remove_details(text) == expected


def test_exercises_are_stub_cells_followed_by_a_solution():
    course = _course()
    assert course.lesson_exercises(_nb(STUB, SOLUTION)) == ["check_spike_count"]
    assert course.lesson_exercises(_nb(STUB)) == []                       # no solution: not an exercise
    assert course.lesson_exercises(_nb(SOLUTION, STUB)) == []
    demo = _cell("checks.check_spike_count(3, spikes)  # check_decay_factor( in a comment")
    assert course.lesson_exercises(_nb(demo, HIDDEN_HELPER, STUB, SOLUTION, STUB, SOLUTION)) == ["check_spike_count"]
    assert course.checkers_called(demo) == ["check_spike_count"]
    assert course.checkers_called(TRY) == []


def _code_lines(source):
    return {line.split("#", 1)[0].strip() for line in source.splitlines()} - {""}


def _details_bodies(text):
    return re.findall(r"<details\b[^>]*>(.*?)</details>", text, re.DOTALL | re.IGNORECASE)


def test_the_student_edition_of_every_lesson_holds_no_solution(tmp_path):
    """Every lesson (found by glob), written by the command: each solution cell's distinctive code lines
    (those that appear in no other cell of the lesson) and each answer's distinctive lines are gone,
    every exercise's stub cell is kept, and no output is left."""
    course = _course()
    assert course.main(["student", str(tmp_path / "student")]) == 0
    notebooks = course.lesson_notebooks()
    assert {p.name for p in (tmp_path / "student").iterdir()} == {p.name for p in notebooks}
    for path in notebooks:
        full = json.loads(path.read_text())
        student = json.loads((tmp_path / "student" / path.name).read_text())
        solutions = [c for c in full["cells"] if course.is_solution_cell(c)]
        others = "\n".join(course._source(c) for c in full["cells"] if not course.is_solution_cell(c))
        outside_answers = course.remove_details(others)
        distinctive = {line for c in solutions for line in _code_lines(course._source(c)) if line not in others}
        answers = {line.strip() for body in _details_bodies(others) for line in body.splitlines()
                   if line.strip() and line.strip() not in outside_answers and "summary>" not in line}
        assert solutions and distinctive, f"{path.name}: no solution cell with its own lines to look for"
        text = "\n".join(course._source(c) for c in student["cells"])
        assert [line for line in distinctive | answers if line in text] == [], path.name
        assert "<details" not in text.lower()
        assert not any(c.get("outputs") for c in student["cells"])
        assert not any(course.is_solution_cell(c) for c in student["cells"])
        called = {name for c in student["cells"] for name in course.checkers_called(c)}
        assert set(course.lesson_exercises(full)) <= called, f"{path.name}: an exercise's stub cell was lost"
        assert student["metadata"]["snnlesson"]["lesson"] == path.stem


def test_keep_answers_keeps_the_details_blocks(tmp_path):
    course = _course()
    assert course.main(["student", str(tmp_path), "--keep-answers"]) == 0
    lesson00 = course.LESSONS / "00_start_here.ipynb"
    full, student = (json.loads(p.read_text()) for p in (lesson00, tmp_path / lesson00.name))
    bodies = lambda nb: [b for c in nb["cells"] if c["cell_type"] == "markdown"  # noqa: E731
                         for b in _details_bodies(course._source(c))]
    assert bodies(student) == bodies(full) != []


def test_the_student_edition_never_overwrites_the_lessons():
    course = _course()
    with pytest.raises(SystemExit, match="holds the course's notebooks"):
        course.write_student_edition(course.LESSONS)


# ------------------------------------------------- grading (course.py grade): the parts that run no kernel


def test_which_lesson_and_which_student():
    course = _course()
    lessons = {"00_start_here": ["check_spike_count"], "01_lif_neuron": ["check_euler_step", "check_decay_factor"],
               "01_lif_neuron_extra": ["check_other"]}
    plain = _nb(_cell("checks.check_euler_step(f)"))
    assert course.identify_lesson({**plain, "metadata": {"snnlesson": {"lesson": "00_start_here"}}},
                                  "x.ipynb", lessons) == "00_start_here"          # the student edition's mark first
    assert course.identify_lesson(plain, "sub/alice_01_lif_neuron.ipynb", lessons) == "01_lif_neuron"
    assert course.identify_lesson(plain, "01_lif_neuron_extra.ipynb", lessons) == "01_lif_neuron_extra"  # longest
    assert course.identify_lesson(plain, "homework.ipynb", lessons) == "01_lif_neuron"   # by its exercises
    assert course.identify_lesson(_nb(_cell("print(1)")), "homework.ipynb", lessons) is None
    assert course.student_name("subs/alice/01_lif_neuron.ipynb", "01_lif_neuron") == "alice"
    assert course.student_name("subs/alice_01_lif_neuron.ipynb", "01_lif_neuron") == "alice"
    assert course.student_name("subs/01_lif_neuron-Bob Li (2).ipynb", "01_lif_neuron") == "Bob Li"
    assert course.student_name("subs/carol/homework.ipynb", "01_lif_neuron") == "carol"
    assert course.student_name("subs/carol/homework.ipynb", None) == "homework"


def test_the_verdict_is_read_from_the_checkers_result():
    course = _course()
    run = course.Execution(cells=[], timed_out={4}, not_run={5: "not run: the kernel died"},
                           errors={3: "NameError: name 'x' is not defined", 4: "CellTimeout: stopped at 2 s"})
    stdout = {"output_type": "stream", "name": "stdout", "text": "Correct! (printed, not a verdict)\n"}
    assert course.cell_verdict(_cell("c", [stdout, _result("Not yet: got 3. Hint: dt")]), 0, run) == (
        "not yet", "got 3. Hint: dt")
    assert course.cell_verdict(_cell("c", [_result("Correct! all good")]), 0, run) == ("correct", "all good")
    assert course.cell_verdict(_cell("c", [_result(["Not attempted yet: ", "replace `...`"])]), 0, run) == (
        "not attempted", "replace `...`")
    assert course.cell_verdict(_cell("c", [stdout]), 1, run)[0] == "no verdict"
    assert course.cell_verdict(_cell("c"), 3, run) == ("error", "NameError: name 'x' is not defined")
    assert course.cell_verdict(_cell("c"), 4, run) == ("timeout", "stopped at 2 s")
    assert course.cell_verdict(_cell("c"), 5, run) == ("error", "not run: the kernel died")


def test_the_grade_table_and_csv(tmp_path):
    course = _course()
    grades = [course.Grade("alice", "01_lif_neuron", "check_euler_step", "not yet", "x " * 60, "a.ipynb"),
              course.Grade("bob", "00_start_here", "check_spike_count", "correct", "12, spikes", "b.ipynb")]
    table = course.grade_table(grades, width=20).splitlines()
    assert table[0].split() == ["student", "lesson", "exercise", "verdict", "detail"]
    assert table[2].startswith("alice    01_lif_neuron  check_euler_step   not yet  x x") and table[2].endswith("...")
    course.write_grades_csv(grades, tmp_path / "g.csv")
    import csv
    rows = list(csv.reader((tmp_path / "g.csv").open(encoding="utf-8")))
    assert rows[0] == list(course.CSV_FIELDS)
    assert rows[2] == ["bob", "00_start_here", "check_spike_count", "correct", "12, spikes", "b.ipynb"]


def test_submission_folders_are_searched(tmp_path):
    course = _course()
    for name in ("a/x.ipynb", "b/c/y.ipynb", "b/.ipynb_checkpoints/y-checkpoint.ipynb", "b/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = course.submission_paths([tmp_path / "b", tmp_path / "a" / "x.ipynb"])
    assert found == [tmp_path / "b" / "c" / "y.ipynb", tmp_path / "a" / "x.ipynb"]


def test_grade_refuses_a_path_that_does_not_exist(tmp_path, capsys):
    course = _course()
    with pytest.raises(SystemExit) as stop:
        course.grade_main([str(tmp_path / "absent.ipynb"), "--csv", str(tmp_path / "g.csv")])
    assert stop.value.code == 2 and "no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


# ------------------------------------------------- course.py test: one test process per CPU (pytest-xdist)


def test_the_test_command_runs_one_process_per_cpu_unless_the_caller_chose(monkeypatch):
    course = _course()
    monkeypatch.setattr(course, "available_cpus", lambda: 2)
    assert course.parallel_args([]) == ["-n", "2", "--dist", "loadfile"]
    assert course.parallel_args(["notebooks/", "-x"]) == ["-n", "2", "--dist", "loadfile"]
    for chosen in (["-n", "3"], ["-n3"], ["--numprocesses=auto"], ["--dist", "no"], ["-p", "no:xdist"], ["-pno:xdist"]):
        assert course.parallel_args(chosen) == [], chosen
    monkeypatch.setattr(course, "available_cpus", lambda: 1)
    assert course.parallel_args([]) == []
    monkeypatch.setattr(course, "available_cpus", lambda: 64)
    assert course.parallel_args([]) == ["-n", str(course.MAX_TEST_PROCESSES), "--dist", "loadfile"]


def test_a_parallel_run_keeps_each_notebook_whole_and_splits_only_whole_lesson_tests():
    import conftest  # the repository's conftest.py: its scheduler's units of work

    assert conftest.unit_of("notebooks/05_bptt_mnist.ipynb::Cell 12") == "notebooks/05_bptt_mnist.ipynb"
    assert conftest.unit_of("tests/test_lif.py::test_x[0.5-2]") == "tests/test_lif.py"
    student = "tests/test_student_grade.py::test_student_edition_runs_top_to_bottom_with_every_exercise_not_attempted"
    graded = "tests/test_student_grade.py::test_grading_three_submissions_gives_the_expected_table"
    assert conftest.unit_of(f"{student}[00_start_here]") == conftest.unit_of(f"{graded}[00_start_here]") \
        == "tests/test_student_grade.py:00_start_here"   # one process grades lesson 00 once for both tests
    assert conftest.unit_of(f"{student}[05_bptt_mnist]") != conftest.unit_of(f"{student}[00_start_here]")
    assert conftest.unit_of("tests/test_student_grade.py::test_an_unreadable_submission_is_graded_not_crashed_on") \
        == "tests/test_student_grade.py"
    # every unit the order names exists (a renamed lesson or file would silently lose its place)
    lessons = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    for unit in conftest.COST_S:
        path, _, lesson = unit.partition(":")
        assert (ROOT / path).is_file(), unit
        assert not lesson or lesson.removesuffix(".ipynb") in lessons, unit
