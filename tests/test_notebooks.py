"""Every lesson notebook, read as a file (no kernel): saved so that a fresh clone passes nbval anywhere.

nbval re-runs each notebook and compares the outputs with the saved ones, on
whatever library versions pip picked (torch 2.2 .. 2.x, numpy 1.24 .. 2.x,
ipywidgets 7 or 8). That comparison is only fair when the saved notebook

* marks variable cells with nbval's cell TAGS: a comment such as
  ``# NBVAL_IGNORE_OUTPUT  (versions differ)`` is not recognised by nbval
  (it wants the comment alone on its line) and shows test plumbing to students;
* tags every cell that prints library versions, wall-clock timings or
  absolute paths ``nbval-ignore-output`` (those differ on every machine);
* was executed top to bottom (execution counts 1, 2, 3, ...) and saved without
  execution timestamps or widget state (they change on every run);
* holds at least one real exercise: a stub cell (``...``) calling a checker, then
  a collapsed solution cell (``source_hidden`` metadata, ``#@title Solution``
  first line, for Colab) calling the same checker; saved showing "not attempted
  yet" under the stub and "Correct!" under the solution;
* starts with lesson 00's Colab-aware set-up cell;
* answers every "Try:" in a collapsed ``<details><summary>Answer</summary>`` block,
  and keeps test, CI and benchmark talk out of the student's text.

Notebooks are found by glob, so a new lesson is checked as soon as it lands.
The rules are plain functions; the tests at the bottom feed each one a small
broken notebook to show that it fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)

IGNORE_TAG = "nbval-ignore-output"
KNOWN_NBVAL_TAGS = {"nbval-ignore-output", "nbval-check-output", "nbval-skip", "nbval-raises-exception",
                    "raises-exception"}

LIBRARIES = r"(?:python|torch|torchvision|snntorch|numpy|matplotlib|ipywidgets|tqdm|pandas|scikit-learn|sklearn|snnlesson|cuda)"
# "torch: 2.14.1", "numpy 1.26.4", "torch==2.2.2", "snnlesson 0.1.0"
VERSION_OUTPUT = re.compile(rf"\b{LIBRARIES}\b\W{{0,4}}\s*(?:version\s*)?v?\d+\.\d+(?:\.\d+)?", re.IGNORECASE)
VERSION_SOURCE = re.compile(r"__version__|environment_report\(|importlib\.metadata|metadata\.version\(|"
                            r"pip (?:list|show|freeze)|torch\.version\.")
# Wall-clock measurements: the code reads a clock, or the output holds a progress bar's rate.
TIMING_SOURCE = re.compile(r"\btime\.(?:time|perf_counter|monotonic|process_time)(?:_ns)?\(|\b\w*_seconds\b|"
                           r"^\s*%%?timeit\b|^\s*%%?time\b|datetime\.now\(|\btimeit\.", re.MULTILINE)
TIMING_OUTPUT = re.compile(r"\d\s*(?:it/s|s/it)\b|\?it/s|\belapsed\b|\bWall time\b", re.IGNORECASE)
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])(?:/(?:home|root|tmp|usr|opt|work|Users|var|private|content|srv|mnt)/"
                           r"|[A-Za-z]:\\\\?(?:Users|Program))|site-packages|dist-packages")
CHECKER_CALL = re.compile(r"\b(check_\w+)\s*\(")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_text(out.get("text")))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append(_text(value))
    return "\n".join(parts)


def _strip_comments(source: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def marker_comment_problems(nb: dict) -> list[str]:
    """nbval markers must be cell tags: no ``NBVAL_`` comment anywhere; no misspelt nbval tag."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if "NBVAL_" in _text(cell.get("source")).upper():
            problems.append(f"cell {i}: holds an NBVAL_ comment; use the cell tag ({IGNORE_TAG}, nbval-skip, "
                            "raises-exception) instead")
        for tag in _tags(cell):
            if tag.lower().startswith("nbval") and tag not in KNOWN_NBVAL_TAGS:
                problems.append(f"cell {i}: unknown nbval tag {tag!r}; nbval knows {sorted(KNOWN_NBVAL_TAGS)}")
    return problems


def variable_output_problems(nb: dict) -> list[str]:
    """Cells printing versions, timings or absolute paths must carry the ignore tag."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or IGNORE_TAG in _tags(cell) or "nbval-skip" in _tags(cell):
            continue
        source, output = _strip_comments(_text(cell.get("source"))), _output_text(cell)
        reasons = []
        if VERSION_SOURCE.search(source) or VERSION_OUTPUT.search(output):
            reasons.append("library versions")
        if (TIMING_SOURCE.search(source) and output.strip()) or TIMING_OUTPUT.search(output):
            reasons.append("timings")
        if ABSOLUTE_PATH.search(output):
            reasons.append("absolute paths")
        if reasons:
            problems.append(f"cell {i}: prints {' and '.join(reasons)}, which differ from machine to machine; "
                            f"tag it {IGNORE_TAG!r} or print something stable")
    return problems


def execution_problems(nb: dict) -> list[str]:
    """Every code cell executed, in order, counts 1, 2, 3, ... (as a fresh top-to-bottom run leaves them)."""
    problems, expected = [], 1
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not _text(cell.get("source")).strip():
            continue
        count = cell.get("execution_count")
        if count is None:
            if "nbval-skip" not in _tags(cell):
                problems.append(f"cell {i}: not executed (save the notebook executed top to bottom)")
            continue
        if count != expected:
            problems.append(f"cell {i}: execution count {count}, expected {expected} "
                            "(executed out of order; re-run the notebook top to bottom)")
        expected = count + 1
    return problems


def metadata_problems(nb: dict) -> list[str]:
    """No execution timestamps, no saved widget state: both change on every run."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        metadata = cell.get("metadata", {})
        for key in ("execution", "ExecuteTime"):
            if key in metadata:
                problems.append(f"cell {i}: metadata holds execution timestamps ({key!r}); "
                                "save with `python3 course.py execute`, which strips them")
    if "widgets" in nb.get("metadata", {}):
        problems.append("notebook metadata holds widget state (random ids on every run); "
                        "save with `python3 course.py execute`, which strips it")
    return problems


def _is_stub(source: str) -> bool:
    """The student's placeholder: ``...`` as a value or as a body (``= ...``, ``return ...``, a lone ``...``)."""
    code = _strip_comments(source)
    return bool(re.search(r"(?:=|\breturn|^|\(|,)\s*\.\.\.\s*(?:$|\)|,)", code, re.MULTILINE))


def exercises(nb: dict) -> list[tuple[int, str]]:
    """``(cell index, checker name)`` of every exercise in the required form."""
    cells, found = nb.get("cells", []), []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = _text(cell.get("source"))
        checkers = CHECKER_CALL.findall(_strip_comments(source))
        if not checkers or not _is_stub(source):
            continue
        following = next((c for c in cells[i + 1:] if c.get("cell_type") == "code"), None)
        if following is None:
            continue
        solution = _text(following.get("source"))
        hidden = following.get("metadata", {}).get("jupyter", {}).get("source_hidden") is True
        first_line = solution.lstrip("\n").splitlines()[0].strip() if solution.strip() else ""
        if hidden and first_line == "#@title Solution" and checkers[-1] in CHECKER_CALL.findall(solution):
            found.append((i, checkers[-1]))
    return found


def exercise_problems(nb: dict) -> list[str]:
    if exercises(nb):
        return []
    return ["no exercise in the required form: a code cell holding a stub (`...`) and a checker call "
            "(checks.check_...(...)), followed by a code cell with metadata "
            '{"jupyter": {"source_hidden": true}}, first line "#@title Solution", calling the same checker']


def stub_output_problems(nb: dict) -> list[str]:
    """The saved stub shows the checker's "not attempted yet"; the saved solution shows "Correct!"."""
    problems, cells = [], nb.get("cells", [])
    for i, checker in exercises(nb):
        shown = _output_text(cells[i])
        if "not attempted yet" not in shown.lower():
            problems.append(f"cell {i}: the stub's saved output should be {checker}'s 'not attempted yet' "
                            f"verdict, got {shown[:120]!r}")
        j = next(k for k in range(i + 1, len(cells)) if cells[k].get("cell_type") == "code")
        solved = _output_text(cells[j])
        if "correct!" not in solved.lower():
            problems.append(f"cell {j}: the solution's saved output should be {checker}'s 'Correct!', "
                            f"got {solved[:160]!r}")
    return problems


def setup_cell_problems(nb: dict, reference: dict | None = None) -> list[str]:
    """The first code cell is the Colab-aware set-up cell of lesson 00, word for word."""
    reference = reference if reference is not None else _load(ROOT / "notebooks" / "00_start_here.ipynb")
    cells, wanted = _code_cells(nb), _text(_code_cells(reference)[0].get("source")).strip()
    if not cells or _text(cells[0].get("source")).strip() != wanted:
        return ["the first code cell should be the set-up cell of 00_start_here.ipynb (installs snnlesson "
                "where it is missing, enables Colab's widget manager), unchanged"]
    return []


TRY = re.compile(r"\bTry\b|\b[Tt]hings to try\b")
ANSWER = re.compile(r"<details>\s*<summary>\s*Answer\b[^<]*</summary>\s*\n\s*\n(?P<body>.*?)</details>", re.DOTALL)
DEVELOPER_TALK = re.compile(r"\bnbval\b|\bpytest\b|\bCI\b|course team|\bmeasured (?:on|by|with|over)\b",
                            re.IGNORECASE)


def _markdown_cells(nb: dict) -> list[tuple[int, str]]:
    return [(i, _text(c.get("source"))) for i, c in enumerate(nb.get("cells", []))
            if c.get("cell_type") == "markdown"]


def try_answer_problems(nb: dict) -> list[str]:
    """Every "Try:" (or "things to try") in the text is followed, in its cell, by an answer the
    student can reveal: ``<details><summary>Answer</summary>``, a blank line, the answer, ``</details>``
    (JupyterLab, Colab and GitHub render it collapsed)."""
    problems = []
    for i, text in _markdown_cells(nb):
        tries = list(TRY.finditer(text))
        if not tries:
            continue
        answer = ANSWER.search(text, tries[-1].end())
        if answer is None or not answer.group("body").strip():
            problems.append(f"cell {i}: {text[tries[-1].start():tries[-1].start() + 60]!r}... needs an answer "
                            "after it in the same cell: <details><summary>Answer</summary>, a blank line, "
                            "the answer, </details>")
    return problems


def student_text_problems(nb: dict) -> list[str]:
    """The text speaks to students: no test, CI or benchmark-measurement talk (it belongs in the README)."""
    return [f"cell {i}: developer talk {m.group(0)!r} in the student's text: "
            f"{text[max(0, m.start() - 40):m.end() + 40]!r}"
            for i, text in _markdown_cells(nb) for m in DEVELOPER_TALK.finditer(text)]


def explorer_picture_problems(nb: dict) -> list[str]:
    """A saved explorer shows its figure: beside its text, the output holds the still PNG
    (snnlesson.explorer), which is what a reader without a kernel sees."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _text(data.get("text/plain", "")).startswith("Explorer(") and not data.get("image/png"):
                problems.append(f"cell {i}: the explorer's saved output has no picture (image/png); "
                                "re-run the notebook with `python3 course.py execute`")
    return problems


RULES = [marker_comment_problems, variable_output_problems, execution_problems, metadata_problems,
         exercise_problems, stub_output_problems, setup_cell_problems, try_answer_problems,
         student_text_problems, explorer_picture_problems]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_notebooks_are_found():
    names = {p.name for p in NOTEBOOKS}
    assert {"00_start_here.ipynb", "01_lif_neuron.ipynb", "02_encoding.ipynb", "05_bptt_mnist.ipynb"} <= names


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__.replace("_problems", ""))
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook(path, rule):
    problems = rule(_load(path))
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


# ------------------------------------------------- each rule fails on a notebook that breaks it


def _cell(source, outputs=(), count=None, tags=(), **metadata):
    meta = dict(metadata)
    if tags:
        meta["tags"] = list(tags)
    return {"cell_type": "code", "source": source, "outputs": list(outputs), "execution_count": count,
            "metadata": meta}


def _stdout(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def _result(text):
    return {"output_type": "execute_result", "data": {"text/plain": text}, "metadata": {}, "execution_count": 1}


def _nb(*cells, **metadata):
    return {"cells": list(cells), "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


STUB = _cell("answer = ...  # your expression\nchecks.check_spike_count(answer, spikes)",
             [_result("Not attempted yet: replace ... with your answer")], count=1)
SOLUTION = _cell("#@title Solution\nanswer = int(spikes.sum())\nchecks.check_spike_count(answer, spikes)",
                 [_result("Correct! 12 spikes")], count=2, jupyter={"source_hidden": True})


def test_a_good_notebook_passes_every_rule():
    nb = _nb(_cell("print('mean 0.25')", [_stdout("mean 0.25\n")], count=1),
             {**STUB, "execution_count": 2}, {**SOLUTION, "execution_count": 3})
    rules = [lambda n, r=rule: r(n, nb) if r is setup_cell_problems else r(n) for rule in RULES]
    assert all(rule(nb) == [] for rule in rules), [rule(nb) for rule in rules]
    assert exercises(nb) == [(1, "check_spike_count")]


def test_marker_comments_and_misspelt_tags_fail():
    assert marker_comment_problems(_nb(_cell("# NBVAL_IGNORE_OUTPUT  (versions differ)\nprint(1)")))
    assert marker_comment_problems(_nb(_cell("print(1)", tags=["nbval-ignore-outputs"])))
    assert not marker_comment_problems(_nb(_cell("print(1)", tags=["nbval-ignore-output", "raises-exception"])))


@pytest.mark.parametrize("cell", [
    _cell("for k, v in snnlesson.environment_report().items(): print(k, v)", [_stdout("torch: 2.14.1\n")]),
    _cell("print(torch.__version__)", [_stdout("2.14.1\n")]),
    _cell("report()", [_stdout("        numpy: 2.4.6\n")]),
    _cell("t0 = time.perf_counter()\ntrain()\nprint(time.perf_counter() - t0)", [_stdout("2.31\n")]),
    _cell("print(f'{history.train_seconds:.1f} s')", [_stdout("2.6 s\n")]),
    _cell("train(model)", [_result("epoch 1/4: 100%|##########| 32/32 [00:02<00:00, 14.2it/s]")]),
    _cell("print(path)", [_stdout("/root/.cache/snnlesson/mnist.npz\n")]),
    _cell("import warnings", [{"output_type": "stream", "name": "stderr",
                               "text": "/work/x/.venv/lib/python3.11/site-packages/torch/a.py:3: UserWarning\n"}]),
], ids=["environment report", "__version__", "version in output", "clock", "train_seconds", "tqdm rate",
        "home path", "warning path"])
def test_variable_outputs_need_the_ignore_tag(cell):
    assert variable_output_problems(_nb(cell))
    assert not variable_output_problems(_nb({**cell, "metadata": {"tags": [IGNORE_TAG]}}))


def test_stable_science_is_not_mistaken_for_variable_output():
    nb = _nb(_cell("print(f'tau_m ln 3 = {t:.4f} ms')", [_stdout("tau_m ln 3 = 21.9722 ms; order 1.00\n")]),
             _cell("x", [_result("tensor([[0.9961, 0.8086]])")]),
             _cell("print(recipe)", [_stdout("Recipe(epochs=4, lr=0.002, num_steps=10)\n")]))
    assert variable_output_problems(nb) == []


def test_cells_must_be_executed_in_order():
    assert execution_problems(_nb(_cell("a = 1", count=1), _cell("b = 2", count=None)))
    assert execution_problems(_nb(_cell("a = 1", count=2), _cell("b = 2", count=1)))
    assert execution_problems(_nb(_cell("a = 1", count=1), _cell("b = 2", count=3)))
    assert not execution_problems(_nb(_cell("a = 1", count=1), _cell("", count=None), _cell("b = 2", count=2)))


def test_timestamps_and_widget_state_fail():
    timed = _cell("a = 1", count=1, execution={"iopub.status.busy": "2026-11-23T11:51:46.150778Z"})
    assert metadata_problems(_nb(timed))
    assert metadata_problems(_nb(_cell("a = 1", count=1), widgets={"application/vnd.jupyter.widget-state+json": {}}))


@pytest.mark.parametrize("broken", [
    _nb({**STUB, "source": "answer = int(spikes.sum())\nchecks.check_spike_count(answer, spikes)"}, SOLUTION),
    _nb(STUB, {**SOLUTION, "metadata": {}}),
    _nb(STUB, {**SOLUTION, "source": "answer = int(spikes.sum())\nchecks.check_spike_count(answer, spikes)"}),
    _nb(STUB, {**SOLUTION, "source": "#@title Solution\nanswer = int(spikes.sum())\nprint(answer)"}),
    _nb(STUB),
], ids=["solved stub", "solution not hidden", "no title", "solution skips the checker", "no solution"])
def test_exercises_need_stub_checker_and_hidden_solution(broken):
    assert exercise_problems(broken)


def test_saved_verdicts_must_be_not_attempted_then_correct():
    assert stub_output_problems(_nb(STUB, SOLUTION)) == []
    nb = _nb({**STUB, "outputs": [_result("Correct! 12 spikes")]}, SOLUTION)
    assert exercises(nb) and stub_output_problems(nb)
    nb = _nb(STUB, {**SOLUTION, "outputs": [_result("Not yet: you said 11, the raster holds 12 spikes.")]})
    assert exercises(nb) and stub_output_problems(nb)


def test_stub_forms():
    for stub in ("answer = ...", "count_mean = ...  # mean", "def f(x, slope):\n    ...",
                 "def f(x):\n    return ...", "check(f(...))"):
        assert _is_stub(stub), stub
    for done in ("answer = spikes[..., 0].sum()", "x = a[...]", "print('...')  # ...", "y = 1"):
        assert not _is_stub(done), done


def test_the_setup_cell_must_come_first():
    lesson00 = _load(ROOT / "notebooks" / "00_start_here.ipynb")
    assert setup_cell_problems(lesson00) == []
    assert setup_cell_problems(_nb(_cell("import snnlesson", count=1)))


def _md(text):
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def test_a_try_question_needs_a_revealable_answer():
    answered = "**Try:** halve tau_m.\n\n<details><summary>Answer</summary>\n\nIt fires less.\n\n</details>\n"
    assert not try_answer_problems(_nb(_md(answered)))
    assert not try_answer_problems(_nb(_md("No question here.")))
    assert try_answer_problems(_nb(_md("**Try:** halve tau_m. What happens?")))              # no answer
    assert try_answer_problems(_nb(_md("<details><summary>Answer</summary>\n\nearly\n\n</details>\n"
                                       "Things to try: lower beta.")))                     # answer before it
    assert try_answer_problems(_nb(_md("Try: x.\n<details><summary>Answer</summary>\n\n</details>")))  # empty


def test_developer_talk_in_the_text_fails():
    assert student_text_problems(_nb(_md("Accuracy measured by the course team: 98 %.")))
    assert student_text_problems(_nb(_md("nbval checks this cell in CI.")))
    assert not student_text_problems(_nb(_md("The membrane is measured in volts.")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_cells_have_no_outputs(path):
    """nbformat gives outputs to code cells only; an `outputs` key on a markdown cell makes the
    notebook invalid (nbconvert warns "Notebook JSON is invalid" on every run)."""
    bad = [i for i, c in enumerate(_load(path)["cells"]) if c.get("cell_type") != "code" and "outputs" in c]
    assert not bad, f"{path.name}: markdown cells {bad} carry an outputs list"


def test_a_saved_explorer_needs_its_picture():
    text_only = _result("Explorer(controls=['threshold'])")
    with_picture = {**text_only, "data": {**text_only["data"], "image/png": "iVBORw0KGgo="}}
    assert explorer_picture_problems(_nb(_cell("explorer()", [text_only], count=1)))
    assert not explorer_picture_problems(_nb(_cell("explorer()", [with_picture], count=1)))
    assert not explorer_picture_problems(_nb(_cell("print(1)", [_stdout("1\n")], count=1)))
