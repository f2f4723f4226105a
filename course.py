#!/usr/bin/env python3
"""Set up and run the snnlesson course with nothing but Python 3.10+.

    python3 course.py lab      # create .venv on first use, open the course in JupyterLab
    python3 course.py test     # create .venv on first use, run unit tests + every notebook (nbval)

Developer extras:

    python3 course.py setup                       # only create / refresh .venv
    python3 course.py execute notebooks/X.ipynb   # re-run a notebook top to bottom and save it
    python3 course.py bench [NAME ...]            # python -m snnlesson.bench inside .venv

The environment is a virtual environment in ``.venv`` with this repository
installed in editable mode plus the ``lab`` and ``test`` extras. It is
(re)installed when ``pyproject.toml`` changes. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
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


def ensure_env() -> None:
    """Create .venv and install the course into it, unless it is already up to date."""
    if sys.version_info < (3, 10):
        sys.exit(f"snnlesson needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text().strip() == wanted_stamp() and PYTHON.exists():
        return
    start = time.time()
    if not PYTHON.exists():
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


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in ("lab", "test", "setup", "execute", "bench"):
        print(__doc__)
        say(f"unknown command {command!r}")
        return 2
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
    # execute: the way nbval checks a notebook (offline MNIST, fixed seeds), saved in place.
    env = {**os.environ, "SNNLESSON_MNIST_SOURCE": "offline", "PYTHONHASHSEED": "0"}
    status = 0
    for notebook in rest:
        say(f"executing {notebook}")
        start = time.time()
        status |= run(PYTHON, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                      "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.kernel_name=python3",
                      notebook, env=env)
        say(f"{notebook}: {time.time() - start:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
