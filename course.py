#!/usr/bin/env python3
"""Set up and run the snnlesson course with nothing but Python 3.10+.

    python3 course.py lab      # create .venv on first use, open the course in JupyterLab
    python3 course.py test     # create .venv on first use, run unit tests + every notebook (nbval)
    python3 course.py colab-test  # the lesson tests as an instructor runs them in Colab (see README)
    python3 course.py colab-test tests/  # ... or any pytest arguments, in the same environment

Developer extras:

    python3 course.py setup                       # only create / refresh .venv
    python3 course.py execute notebooks/X.ipynb   # re-run a notebook top to bottom, save it stripped
    python3 course.py bench [NAME ...]            # python -m snnlesson.bench inside .venv
    python3 course.py slides [NOTEBOOK ...]       # slides/<name>.slides.html (default: lesson 06), offline

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

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

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
COLAB_TESTS = ("notebooks", "tests/test_explorer.py", "tests/test_exercises.py", "tests/test_lessons_*.py")
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


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in ("lab", "test", "colab-test", "setup", "execute", "bench", "slides"):
        print(__doc__)
        say(f"unknown command {command!r}")
        return 2
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
        return run(PYTHON, "-m", "pytest", *rest)
    if command == "bench":
        return run(PYTHON, "-m", "snnlesson.bench", *rest)
    if command == "slides":
        for notebook in rest or [SLIDES_DECK]:
            say(f"slides: {build_slides(HERE / notebook)}")  # relative to the repository (or absolute)
        return 0
    # execute: the way nbval checks a notebook (offline MNIST, fixed seeds), saved in place.
    env = {**os.environ, "SNNLESSON_MNIST_SOURCE": "offline", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}
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
