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
