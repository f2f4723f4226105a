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
