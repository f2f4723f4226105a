#!/usr/bin/env python3
"""Set up and run the snnlesson course with nothing but Python 3.10+.

    python3 course.py lab      # create .venv on first use, open the course in JupyterLab
    python3 course.py test     # create .venv on first use, run unit tests + every notebook (nbval),
                               # one test process per CPU (pytest-xdist)
    python3 course.py colab-test  # the lesson tests as an instructor runs them in Colab (see README)
    python3 course.py colab-test tests/  # ... or any pytest arguments, in the same environment

Developer extras:

    python3 course.py setup                       # only create / refresh .venv
    python3 course.py execute notebooks/X.ipynb   # re-run a notebook top to bottom, save it stripped
    python3 course.py bench [NAME ...]            # python -m snnlesson.bench inside .venv
    python3 course.py slides [NOTEBOOK ...]       # slides/<name>.slides.html (default: lesson 06), offline

For instructors (README, "For instructors: handing out and grading"):

    python3 course.py student [DIR] [--keep-answers]   # the lessons without solutions, in DIR (default student/)
    python3 course.py grade SUBMISSION.ipynb|FOLDER ... [--csv grades.csv] [--cell-timeout S] [--total-timeout S]

The environment is a virtual environment in ``.venv`` with this repository
installed in editable mode plus the ``lab`` and ``test`` extras. It is
(re)installed when ``pyproject.toml`` changes. Standard library only.

``colab-test`` builds a second environment, ``.venv-colab``, that stands in for
Google Colab: the libraries Colab ships, pinned in ``.ci/colab-versions.txt`` to
the oldest releases the ranges in ``pyproject.toml`` allow (ipywidgets 7), then
follows the README's Colab recipe (``pip install ".[test]"``, then pytest with
nbval over the notebooks and the lessons' tests) and checks that the recipe
kept every pinned version.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tempfile
import venv
import warnings
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
STAMP = VENV / ".snnlesson-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

# torchvision's compiled operators must match the installed torch build; a
# mismatched pair imports torch fine but fails here with
# "operator torchvision::nms does not exist".
TORCH_CHECK = ("import torch, torchvision, torchvision.ops as ops; "
               "b = torch.tensor([[0., 0., 1., 1.]]); ops.nms(b, torch.ones(1), 0.5); "
               "print('torch', torch.__version__, '| torchvision', torchvision.__version__)")


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


def run(*args, **kwargs) -> int:
    return subprocess.call([str(a) for a in args], cwd=HERE, **kwargs)


def wanted_stamp() -> str:
    return hashlib.sha256((HERE / "pyproject.toml").read_bytes()).hexdigest()


# What each environment takes on disk once installed (measured on Linux x86_64, where
# PyPI's torch is a CUDA build): .venv 6.2 GB, .venv-colab 5.7 GB. pip needs a little
# more while it unpacks the largest wheels.
VENV_DISK_GB = 6.5
COLAB_VENV_DISK_GB = 6.0


def check_free_space(target: Path, need_gb: float) -> None:
    """Stop with a clear message, before pip starts, when the disk cannot hold ``target``."""
    free_gb = shutil.disk_usage(HERE).free / 1e9
    if free_gb < need_gb:
        sys.exit(f"[course] creating {target.relative_to(HERE)} needs about {need_gb:.1f} GB of free disk; "
                 f"only {free_gb:.1f} GB is free on the disk that holds {HERE}. Free some space "
                 "(an old virtual environment, pip's cache: python3 -m pip cache purge) and run again.")


def ensure_env() -> None:
    """Create .venv and install the course into it, unless it is already up to date."""
    if sys.version_info < (3, 10):
        sys.exit(f"snnlesson needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text().strip() == wanted_stamp() and PYTHON.exists():
        return
    start = time.time()
    if not PYTHON.exists():
        check_free_space(VENV, VENV_DISK_GB)
        say(f"creating the virtual environment {VENV.relative_to(HERE)} (first use only)")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing snnlesson with torch, torchvision, snntorch, JupyterLab and the test tools "
        "(the first time downloads a few GB and takes a few minutes)")
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check"]
    # torch and torchvision first, as a pair from the same index, so pip never
    # combines a torch that is already on the machine with a torchvision built
    # for another one.
    if run(*pip, "torch>=2.2,<3", "torchvision>=0.17") != 0:
        sys.exit("[course] installing torch and torchvision failed (see pip's message above)")
    if run(*pip, "-e", ".[lab,test]") != 0:
        sys.exit("[course] installing snnlesson failed (see pip's message above)")
    if run(PYTHON, "-c", TORCH_CHECK) != 0:
        sys.exit("[course] torch and torchvision do not work together; delete .venv and run again, "
                 "or install a matching pair by hand (pip install --force-reinstall torch torchvision)")
    STAMP.write_text(wanted_stamp())
    say(f"environment ready in {time.time() - start:.0f} s")


COLAB_VENV = HERE / ".venv-colab"
COLAB_VERSIONS = HERE / ".ci" / "colab-versions.txt"
COLAB_BIN = COLAB_VENV / ("Scripts" if os.name == "nt" else "bin")
COLAB_PYTHON = COLAB_BIN / ("python.exe" if os.name == "nt" else "python")
COLAB_STAMP = COLAB_VENV / ".snnlesson-installed"
# What the README's Colab recipe runs: every notebook under nbval, every explorer and
# every exercise checker (the lesson modules' tests). Colab has neither JupyterLab nor a
# browser to drive, so the browser test never runs there.
COLAB_TESTS = ("notebooks", "tests/test_explorer.py", "tests/test_exercises.py", "tests/test_lessons_*.py",
               "tests/test_build_*.py")
COLAB_PYTEST_ARGS = ["--ignore=tests/test_browser.py"]


def colab_test_paths() -> list[str]:
    """COLAB_TESTS with the glob expanded (as the shell expands it in Colab)."""
    return [str(p.relative_to(HERE)) for pattern in COLAB_TESTS for p in sorted(HERE.glob(pattern))]


def colab_pins() -> dict[str, str]:
    """``name -> version`` from .ci/colab-versions.txt (``name==version`` lines, ``#`` comments)."""
    pins = {}
    for line in COLAB_VERSIONS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def ensure_colab_env() -> None:
    """Create .venv-colab: Colab's libraries at the oldest allowed versions, then the README's recipe."""
    wanted = hashlib.sha256((HERE / "pyproject.toml").read_bytes() + COLAB_VERSIONS.read_bytes()).hexdigest()
    # --no-cache-dir: this environment is built once, and pip's cache would hold a second
    # copy of the 2.5 GB of CUDA wheels while they install (CI ran out of disk that way).
    pip = [COLAB_PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--no-cache-dir"]
    if COLAB_STAMP.exists() and COLAB_STAMP.read_text().strip() == wanted and COLAB_PYTHON.exists():
        # Up to date: only refresh the course's own code, as the recipe's fresh clone would have it.
        if run(*pip, "--no-deps", "--force-reinstall", ".") != 0:
            sys.exit("[course] reinstalling snnlesson into .venv-colab failed (see pip's message above)")
        return
    start = time.time()
    if not COLAB_PYTHON.exists():
        check_free_space(COLAB_VENV, COLAB_VENV_DISK_GB)
        say(f"creating {COLAB_VENV.relative_to(HERE)}, a Colab-like environment (first use only)")
        venv.EnvBuilder(with_pip=True).create(COLAB_VENV)
    say(f"installing what Colab ships, at the versions pinned in {COLAB_VERSIONS.relative_to(HERE)}")
    if run(*pip, "-r", COLAB_VERSIONS) != 0:
        sys.exit("[course] installing the Colab-like libraries failed (see pip's message above)")
    say('the README\'s Colab recipe: pip install ".[test]"')
    if run(*pip, ".[test]") != 0:
        sys.exit("[course] installing snnlesson into .venv-colab failed (see pip's message above)")
    report = subprocess.run([str(COLAB_PYTHON), "-c", "import json, importlib.metadata as m; "
                             "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"],
                            capture_output=True, text=True, check=True)
    installed = json.loads(report.stdout)
    moved = {name: (version, installed.get(name)) for name, version in colab_pins().items()
             if installed.get(name) != version}
    if moved:
        sys.exit("[course] the recipe changed pinned versions, so the oldest allowed versions would go untested: "
                 + ", ".join(f"{n} {want} -> {got}" for n, (want, got) in moved.items()))
    COLAB_STAMP.write_text(wanted)
    say(f"Colab-like environment ready in {time.time() - start:.0f} s")


VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip_notebook(path: Path) -> bool:
    """Remove what changes on every run without the lesson changing: execution timestamps, widget state.

    Saved in nbformat's own layout (sorted keys, one-space indent), so a re-run
    changes only the outputs that really changed. Returns whether the file changed.
    """
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        metadata = cell.get("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            metadata.pop(key, None)
        if metadata.get("collapsed") is False:
            del metadata["collapsed"]
        # A widget's output names a model by a random id, and the model itself is not
        # saved: keep the text the widget shows before its cell is run.
        if cell.get("cell_type") != "code":  # only code cells have outputs (nbformat)
            cell.pop("outputs", None)
            continue
        outputs = cell.get("outputs", [])
        for output in outputs:
            output.get("data", {}).pop(WIDGET_VIEW, None)
        cell["outputs"] = [o for o in outputs if o.get("output_type") not in ("display_data", "execute_result")
                           or o.get("data")]
    # Widget models get fresh random ids on every run; nbval never compares them.
    nb.get("metadata", {}).pop("widgets", None)
    stripped = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    if stripped != text:
        path.write_text(stripped, encoding="utf-8")
        return True
    return False


DECK = HERE / "deck"  # the slide template and local copies of reveal.js and MathJax (deck/README.md)
SLIDES_DECK = "notebooks/06_rsnn_moving_digits.ipynb"


def build_slides(notebook, python=None, out_dir=None) -> Path:
    """``out_dir/<name>.slides.html`` from the saved notebook, with nbconvert and deck/'s template.

    reveal.js and MathJax are copied to ``out_dir/_deck`` and loaded from there (relative
    URLs): the deck works with no network. Returns the path of the HTML file.
    """
    import shutil

    notebook = Path(notebook).resolve()
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise SystemExit(f"[course] slides: {notebook} is not a notebook (.ipynb)")
    out_dir = Path(out_dir) if out_dir is not None else HERE / "slides"
    out_dir.mkdir(parents=True, exist_ok=True)
    for library in ("reveal.js", "mathjax"):
        shutil.copytree(DECK / library, out_dir / "_deck" / library, dirs_exist_ok=True)
    status = run(python or PYTHON, "-m", "jupyter", "nbconvert", "--to", "slides", notebook,
                 f"--TemplateExporter.extra_template_basedirs={DECK}", "--template", "snnlesson-reveal",
                 "--SlidesExporter.reveal_url_prefix=_deck/reveal.js", "--SlidesExporter.reveal_theme=white",
                 "--SlidesExporter.mathjax_url=_deck/mathjax/es5/tex-chtml.js",
                 f"--output-dir={out_dir}")
    if status != 0:
        raise SystemExit(f"[course] nbconvert failed to build the slides of {notebook.name}")
    return out_dir / f"{notebook.stem}.slides.html"


# --------------------------------------------------------------- student edition and grading
#
# An exercise is a code cell whose last checker call (``check_...(``) names it, followed by its
# solution cell: first line ``#@title Solution``, or source hidden (``"jupyter": {"source_hidden":
# true}``) and calling a checker. The student edition drops the solution cells and the answers
# in ``<details>`` blocks; grading runs a submission and reads each checker's verdict from the
# output of the last cell that calls it. Both find exercises in the notebooks themselves, so a
# new exercise or a new lesson is handed out and graded without a change here.

LESSONS = HERE / "notebooks"
STUDENT_DIR = HERE / "student"
CHECKER_CALL = re.compile(r"\b(check_\w+)\s*\(")
SOLUTION_TITLE = re.compile(r"#\s*@title\s+Solution\b")
DETAILS_TAG = re.compile(r"<details\b[^>]*>|</details\s*>", re.IGNORECASE)
# A checker's result shows as text/plain "Correct! ...", "Not yet: ...", "Not attempted yet: ..."
# (snnlesson.checks.CheckResult.__repr__); its markdown form only adds an emoji and bold type.
VERDICTS = (("Correct!", "correct"), ("Not yet:", "not yet"), ("Not attempted yet:", "not attempted"))
#: Every verdict a grade can have, best first (the CSV's ``verdict`` column).
GRADES = ("correct", "not yet", "not attempted", "no verdict", "error", "timeout", "missing", "unreadable")
CELL_TIMEOUT_S = 180.0    # a lesson's slowest cell (training) takes about a minute on a busy 2-core CPU
TOTAL_TIMEOUT_S = 900.0   # a lesson takes about a minute top to bottom
TIMEOUT_ENAME = "CellTimeout"


def lesson_env() -> dict:
    """The environment lessons run in when checked or graded: offline MNIST, fixed hash seed, no colour codes."""
    return {**os.environ, "SNNLESSON_MNIST_SOURCE": "offline", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}


def lesson_notebooks(folder: Path = LESSONS) -> list[Path]:
    """The course's lesson notebooks, found by glob (a new lesson counts as soon as it lands)."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _load(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    value = cell.get("source", "")
    return "".join(value) if isinstance(value, list) else (value or "")


def checkers_called(cell: dict) -> list[str]:
    """Names of the checkers a code cell calls (``check_...(``), in order, outside comments."""
    if cell.get("cell_type") != "code":
        return []
    code = "\n".join(line.split("#", 1)[0] for line in _source(cell).splitlines())
    return CHECKER_CALL.findall(code)


def is_solution_cell(cell: dict) -> bool:
    """A worked solution: first line ``#@title Solution``, or source hidden and calling a checker."""
    if cell.get("cell_type") != "code":
        return False
    lines = _source(cell).strip().splitlines()
    if lines and SOLUTION_TITLE.match(lines[0].strip()):
        return True
    hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden") is True
    return hidden and bool(checkers_called(cell))


def lesson_exercises(nb: dict) -> list[str]:
    """The exercises of a course notebook, in order, each named once by its checker: a code cell
    (not a solution) whose last checker call names it and whose next code cell is a solution."""
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    found = []
    for cell, following in zip(code, code[1:]):
        called = checkers_called(cell)
        if called and not is_solution_cell(cell) and is_solution_cell(following) and called[-1] not in found:
            found.append(called[-1])
    return found


def remove_details(text: str) -> str:
    """``text`` without its ``<details>...</details>`` blocks (nested ones included; an unclosed
    block runs to the end), so that no revealable answer is left in it."""
    kept, depth, start = [], 0, 0
    for tag in DETAILS_TAG.finditer(text):
        if not tag.group(0).startswith("</"):
            if depth == 0:
                kept.append(text[start:tag.start()])
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                start = tag.end()
    if depth == 0:
        kept.append(text[start:])
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).rstrip() + ("\n" if text.endswith("\n") else "")


def make_student_edition(nb: dict, lesson: str, *, keep_answers: bool = False) -> dict:
    """A copy of the lesson notebook ``nb`` to hand out: no solution cells, no outputs (so no
    solution's result shows), no ``<details>`` answers unless ``keep_answers``; its metadata
    names the lesson (``snnlesson.lesson``), which grading reads back."""
    nb = json.loads(json.dumps(nb))
    cells = []
    for cell in nb.get("cells", []):
        if is_solution_cell(cell):
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
            for key in VOLATILE_CELL_METADATA:
                cell.get("metadata", {}).pop(key, None)
        elif cell.get("cell_type") == "markdown" and not keep_answers:
            text = _source(cell)
            if DETAILS_TAG.search(text):
                cell["source"] = remove_details(text)
        cells.append(cell)
    nb["cells"] = cells
    metadata = nb.setdefault("metadata", {})
    metadata.pop("widgets", None)
    metadata["snnlesson"] = {"lesson": lesson, "edition": "student"}
    return nb


def write_student_edition(out_dir, *, keep_answers: bool = False, notebooks=None) -> list[Path]:
    """Write the student edition of every lesson notebook into ``out_dir``; returns the files written."""
    out_dir = Path(out_dir).resolve()
    notebooks = lesson_notebooks() if notebooks is None else [Path(p) for p in notebooks]
    if any(out_dir == Path(p).resolve().parent for p in notebooks):
        raise SystemExit(f"[course] student: {out_dir} holds the course's notebooks; choose another folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        student = make_student_edition(_load(path), Path(path).stem, keep_answers=keep_answers)
        target = out_dir / Path(path).name
        target.write_text(json.dumps(student, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


class Grade(NamedTuple):
    """One row of the grade table: a student's verdict on one exercise of one lesson."""
    student: str
    lesson: str
    exercise: str
    verdict: str   # one of GRADES
    detail: str
    submission: str


class Execution:
    """What running a notebook gave: its executed cells and what went wrong where."""

    def __init__(self, cells, timed_out=(), not_run=None, errors=None, seconds: float = 0.0):
        self.cells = cells
        self.timed_out = set(timed_out)             # code cells stopped at a time limit
        self.not_run = dict(not_run or {})          # code cell index -> why it was not run
        self.errors = dict(errors or {})            # code cell index -> "Name: message" of its error
        self.seconds = seconds


class Submission(NamedTuple):
    path: str
    student: str
    lesson: str
    grades: list
    execution: Execution | None = None   # None when nothing was run (no exercise cell, unreadable)


def course_lessons(folder: Path = LESSONS) -> dict[str, list[str]]:
    """``lesson name -> its exercises`` from the course's own notebooks (name: the file's stem)."""
    return {p.stem: lesson_exercises(_load(p)) for p in lesson_notebooks(folder)}


def _lesson_in_name(path, lessons) -> str | None:
    """The lesson whose name the file name holds (the longest, where several do)."""
    in_name = [lesson for lesson in lessons if lesson in Path(path).name]
    return max(in_name, key=len) if in_name else None


def identify_lesson(nb: dict, path, lessons: dict) -> str | None:
    """Which lesson a submission is: the student edition's metadata, else the lesson's name in the
    file name (the longest that fits), else the lesson sharing the most exercises with it."""
    named = nb.get("metadata", {}).get("snnlesson", {})
    if isinstance(named, dict) and named.get("lesson") in lessons:
        return named["lesson"]
    in_name = _lesson_in_name(path, lessons)
    if in_name is not None:
        return in_name
    called = {name for cell in nb.get("cells", []) for name in checkers_called(cell)}
    overlap = sorted(((len(called & set(ex)), lesson) for lesson, ex in lessons.items()), reverse=True)
    if overlap and overlap[0][0] > 0 and (len(overlap) == 1 or overlap[1][0] < overlap[0][0]):
        return overlap[0][1]
    return None


def student_name(path, lesson: str | None) -> str:
    """The student: what the file name holds besides the lesson's name (``alice_01_lif_neuron.ipynb``,
    a trailing copy number such as `` (1)`` dropped), else the name of the folder holding the file
    (``alice/01_lif_neuron.ipynb``)."""
    path = Path(path)
    rest = path.stem.replace(lesson, " ") if lesson else path.stem
    rest = re.sub(r"\s*\(\d+\)\s*$", "", rest).strip(" _-.")
    if rest and (lesson is None or rest != path.stem):
        return rest
    return path.resolve().parent.name or path.stem


def execute_notebook(nb: dict, *, cell_timeout: float = CELL_TIMEOUT_S, total_timeout: float = TOTAL_TIMEOUT_S,
                     cwd=None, kernel_name: str = "python3") -> Execution:
    """Run every code cell of ``nb`` in a fresh kernel (nbclient), errors or not.

    A cell still running after ``cell_timeout`` s is interrupted and the next one runs; once
    ``total_timeout`` s have passed, the remaining cells are not run. A kernel that dies stops
    the run. Needs nbformat and nbclient (in .venv).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    start = time.monotonic()
    deadline = start + total_timeout
    with warnings.catch_warnings():  # a submission saved by an older front end may lack cell ids
        warnings.simplefilter("ignore")
        node = nbformat.reads(json.dumps(nb), as_version=4)  # sources as one string each
    for cell in node.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    execution = Execution(cells=node.cells)

    def on_cell_error(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("ename") == TIMEOUT_ENAME:
            execution.timed_out.add(cell_index)
            limit = (f"the notebook's total time limit of {total_timeout:g} s" if time.monotonic() >= deadline
                     else f"its time limit of {cell_timeout:g} s")
            execution.errors[cell_index] = f"{TIMEOUT_ENAME}: the cell was stopped at {limit}"
        else:
            execution.errors[cell_index] = f"{content.get('ename')}: {content.get('evalue')}"

    client = NotebookClient(
        node, kernel_name=kernel_name, allow_errors=True, record_timing=False, shutdown_kernel="immediate",
        interrupt_on_timeout=True, on_cell_error=on_cell_error,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "stopped at its time limit", "traceback": []},
        timeout_func=lambda cell: max(0.1, min(cell_timeout, deadline - time.monotonic())),
        resources={"metadata": {"path": str(cwd) if cwd else None}})
    stopped = None
    with client.setup_kernel(env=lesson_env()):
        for index, cell in enumerate(node.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if stopped is None and time.monotonic() >= deadline:
                stopped = f"not run: the notebook ran past its total time limit of {total_timeout:g} s"
            if stopped is not None:
                execution.not_run[index] = stopped
                continue
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                stopped = "not run: the kernel died (in an earlier cell or this one)"
                execution.not_run[index] = stopped
    execution.seconds = time.monotonic() - start
    return execution


def cell_verdict(cell, index: int, execution: Execution) -> tuple[str, str]:
    """``(verdict, detail)`` of an executed exercise cell: the checker's result as it shows in the
    output (the last one), else why there is none."""
    shown = None
    for output in cell.get("outputs", []):
        if output.get("output_type") in ("execute_result", "display_data"):
            text = _source({"source": output.get("data", {}).get("text/plain", "")}).strip()
            if any(text.startswith(prefix) for prefix, _ in VERDICTS):
                shown = text
    if shown is not None:
        prefix, verdict = next((p, v) for p, v in VERDICTS if shown.startswith(p))
        return verdict, shown[len(prefix):].strip()
    if index in execution.timed_out:
        return "timeout", execution.errors[index].split(": ", 1)[1]
    if index in execution.not_run:
        reason = execution.not_run[index]
        return ("timeout" if "time limit" in reason else "error"), reason
    if index in execution.errors:
        return "error", execution.errors[index]
    return "no verdict", "the cell ran but showed no checker result (keep the checker call as its last line)"


def grade_submission(path, lessons: dict | None = None, *, lesson: str | None = None,
                     cell_timeout: float = CELL_TIMEOUT_S, total_timeout: float = TOTAL_TIMEOUT_S,
                     kernel_name: str = "python3") -> Submission:
    """Grade one submitted notebook: run a copy of it in a fresh kernel, in a temporary folder,
    and give each exercise of its lesson (``lessons``: default, the course's) a verdict.

    An exercise is read from the last code cell calling its checker; with no such cell it is
    ``missing``. A broken cell, a loop that never ends or a deleted cell gives a grade, never a
    crash.
    """
    path = Path(path)
    lessons = course_lessons() if lessons is None else lessons
    try:
        nb = _load(path)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
    except (OSError, ValueError, AttributeError) as err:
        lesson = lesson if lesson is not None else _lesson_in_name(path, lessons)
        student = student_name(path, lesson)
        return Submission(str(path), student, lesson or "?",
                          [Grade(student, lesson or "?", "-", "unreadable", f"not a notebook: {err}", str(path))])
    lesson = lesson if lesson is not None else identify_lesson(nb, path, lessons)
    student = student_name(path, lesson)
    if lesson is not None:
        expected = list(lessons[lesson])
    else:  # an unknown lesson: grade whatever checkers it calls
        expected = list(dict.fromkeys(n for c in nb["cells"] if not is_solution_cell(c) for n in checkers_called(c)))
    where = {}   # exercise -> index of the last code cell whose last checker call names it
    for index, cell in enumerate(nb["cells"]):
        called = checkers_called(cell)
        if called and called[-1] in expected:
            where[called[-1]] = index
    execution = None
    if where:
        with tempfile.TemporaryDirectory(prefix="snnlesson-grade-") as folder:
            (Path(folder) / path.name).write_text(json.dumps(nb), encoding="utf-8")
            execution = execute_notebook(nb, cell_timeout=cell_timeout, total_timeout=total_timeout,
                                         cwd=folder, kernel_name=kernel_name)
    grades = []
    for exercise in expected:
        if exercise in where:
            index = where[exercise]
            verdict, detail = cell_verdict(execution.cells[index], index, execution)
        else:
            verdict, detail = "missing", f"no cell calls {exercise} (the exercise's cell was deleted or changed)"
        grades.append(Grade(student, lesson or "?", exercise, verdict, detail, str(path)))
    return Submission(str(path), student, lesson or "?", grades, execution)


def submission_paths(paths) -> list[Path]:
    """The notebooks to grade: each file given, and every .ipynb under each folder given."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    return found


CSV_FIELDS = ("student", "lesson", "exercise", "verdict", "detail", "submission")


def write_grades_csv(grades, path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for grade in grades:
            writer.writerow([getattr(grade, name) for name in CSV_FIELDS])


def grade_table(grades, width: int = 70) -> str:
    """The grades as an aligned text table, one row per student and exercise (details shortened)."""
    rows = [("student", "lesson", "exercise", "verdict", "detail")]
    for g in grades:
        detail = " ".join(g.detail.split())
        rows.append((g.student, g.lesson, g.exercise, g.verdict,
                     detail if len(detail) <= width else detail[:width - 3] + "..."))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(value.ljust(w) for value, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(line.rstrip() for line in lines)


def grade_main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="course.py grade", description=(
        "Run each submitted notebook in a fresh kernel and grade every exercise of its lesson. "
        "This runs the students' code: do it in an account or container you trust with it."))
    parser.add_argument("submissions", nargs="+", help="submitted notebooks, or folders holding them")
    parser.add_argument("--csv", default="grades.csv", help="where to write the grades (default: grades.csv)")
    parser.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT_S,
                        help=f"seconds a cell may run before it is stopped (default {CELL_TIMEOUT_S:g})")
    parser.add_argument("--total-timeout", type=float, default=TOTAL_TIMEOUT_S,
                        help=f"seconds a whole notebook may run (default {TOTAL_TIMEOUT_S:g})")
    parser.add_argument("--lesson", help="grade every submission as this lesson (a notebook name, e.g. "
                                         "01_lif_neuron) instead of recognising it")
    parser.add_argument("--course", default=str(LESSONS),
                        help="the folder of lesson notebooks that defines each lesson's exercises "
                             "(default: this repository's notebooks/)")
    args = parser.parse_args(argv)
    lessons = course_lessons(Path(args.course))
    if not lessons:
        parser.error(f"--course {args.course}: no lesson notebook (.ipynb) there")
    if args.lesson is not None and args.lesson not in lessons:
        parser.error(f"--lesson {args.lesson!r} is not a lesson; the lessons are {', '.join(lessons)}")
    if args.cell_timeout <= 0 or args.total_timeout <= 0:
        parser.error("time limits must be positive")
    absent = [path for path in args.submissions if not Path(path).exists()]
    if absent:
        parser.error("no such file or folder: " + ", ".join(absent))
    paths = submission_paths(args.submissions)
    if not paths:
        parser.error("no notebook found in " + ", ".join(args.submissions))
    grades = []
    for path in paths:
        say(f"grading {path}")
        submission = grade_submission(path, lessons, lesson=args.lesson, cell_timeout=args.cell_timeout,
                                      total_timeout=args.total_timeout)
        took = f" in {submission.execution.seconds:.0f} s" if submission.execution else ""
        counts = [f"{n} {verdict}" for verdict in GRADES
                  if (n := sum(g.verdict == verdict for g in submission.grades))]
        say(f"{submission.student}, {submission.lesson}: {', '.join(counts) or 'no exercise'}{took}")
        grades += submission.grades
    print(grade_table(grades))
    write_grades_csv(grades, args.csv)
    say(f"grades written to {args.csv}")
    return 0


def student_main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="course.py student", description=(
        "Write the student edition of every lesson: no solution cells, no outputs, no answers in "
        "<details> blocks (unless --keep-answers)."))
    parser.add_argument("folder", nargs="?", default=str(STUDENT_DIR),
                        help="where to write the notebooks (default: student/ in the repository)")
    parser.add_argument("--keep-answers", action="store_true",
                        help="keep the answers to the 'Try:' questions (<details> blocks)")
    args = parser.parse_args(argv)
    for path in write_student_edition(args.folder, keep_answers=args.keep_answers):
        say(f"student edition: {path}")
    return 0


MAX_TEST_PROCESSES = 4   # each runs a lesson's kernel beside it: about 1.5 GB of memory per process


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity), at least one."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parallel_args(rest: list[str]) -> list[str]:
    """pytest-xdist's options for ``course.py test``: one test process per available CPU (at most
    MAX_TEST_PROCESSES), each notebook and each test file run whole by one process (``--dist
    loadfile``; conftest.py splits the files that run whole lessons and starts the longest first). None with one CPU, or
    when the caller chose (``-n``, ``--dist``, ``-p no:xdist``)."""
    chosen = any(arg in ("no:xdist", "-pno:xdist") or arg.startswith(("-n", "--numprocesses", "--dist"))
                 for arg in rest)
    workers = min(available_cpus(), MAX_TEST_PROCESSES)
    if chosen or workers < 2:
        return []
    return ["-n", str(workers), "--dist", "loadfile"]


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in ("lab", "test", "colab-test", "setup", "execute", "bench", "slides", "student", "grade"):
        print(__doc__)
        say(f"unknown command {command!r}")
        return 2
    if command == "student":  # standard library only: no environment needed
        return student_main(rest)
    if command == "grade" and not _in_venv():
        # nbclient and the lessons' libraries live in .venv; the submissions' paths stay relative
        # to the caller's folder.
        ensure_env()
        return subprocess.call([str(PYTHON), str(HERE / "course.py"), "grade", *rest])
    if command == "grade":
        return grade_main(rest)
    if command == "colab-test":
        ensure_colab_env()
        say("Colab-like environment: " + ", ".join(f"{name} {version}" for name, version in colab_pins().items()))
        env = {**os.environ, "SNNLESSON_MNIST_SOURCE": "offline", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}
        # Options alone (-q, -x, ...) keep the recipe's test paths; a path replaces them.
        paths = [] if any(not arg.startswith("-") for arg in rest) else colab_test_paths()
        return run(COLAB_PYTHON, "-m", "pytest", *COLAB_PYTEST_ARGS, *rest, *paths, env=env)
    ensure_env()
    if command == "setup":
        return 0
    if command == "lab":
        # Containers often run as root, which JupyterLab refuses without this flag.
        as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return run(PYTHON, "-m", "jupyterlab", "notebooks/00_start_here.ipynb", *as_root, *rest)
    if command == "test":
        # pytest's configuration (pyproject.toml) adds --nbval over notebooks/.
        return run(PYTHON, "-m", "pytest", *parallel_args(rest), *rest)
    if command == "bench":
        return run(PYTHON, "-m", "snnlesson.bench", *rest)
    if command == "slides":
        for notebook in rest or [SLIDES_DECK]:
            say(f"slides: {build_slides(HERE / notebook)}")  # relative to the repository (or absolute)
        return 0
    # execute: the way nbval checks a notebook (offline MNIST, fixed seeds), saved in place.
    env = lesson_env()
    status = 0
    for notebook in rest:
        say(f"executing {notebook}")
        start = time.time()
        status |= run(PYTHON, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                      "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.kernel_name=python3",
                      "--ExecutePreprocessor.record_timing=False", "--ExecutePreprocessor.store_widget_state=False",
                      notebook, env=env)
        strip_notebook(HERE / notebook)
        say(f"{notebook}: {time.time() - start:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
