"""The built wheel carries the offline MNIST subset and its licence note.

Builds the wheel from this checkout without build isolation (setuptools comes
from the test environment), so it needs no network.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_the_offline_mnist_subset(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(tmp_path)], check=True, cwd=tmp_path)
    wheels = list(tmp_path.glob("snnlesson-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        assert "snnlesson/_data/mnist_5k.npz" in names
        assert "snnlesson/_data/MNIST_5K_LICENSE.md" in names
        # every module of the source tree, subpackages included, is in the wheel
        modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "snnlesson").rglob("*.py")}
        assert modules <= names, sorted(modules - names)
        with wheel.open("snnlesson/_data/mnist_5k.npz") as f:
            arrays = np.load(f)
            assert arrays["train_images"].shape == (4000, 28, 28)
            assert arrays["test_images"].shape == (1000, 28, 28)
        assert not any(n.startswith(("tests/", "notebooks/")) for n in names)
