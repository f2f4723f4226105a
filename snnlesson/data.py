"""Data sets for the lessons: MNIST (full or an offline subset) and moving digits.

``mnist`` gives torchvision's MNIST when its files are cached or can be
downloaded, and otherwise a real 5,000-digit MNIST subset shipped inside this
package, so that every lesson runs without a network. ``moving_digits`` turns
those digits into short videos of a digit bouncing inside a larger canvas.

Which MNIST source is used is decided, in order, by:

1. the ``source`` argument of :func:`mnist` (``"auto"``, ``"torchvision"`` or
   ``"offline"``);
2. the environment variable ``SNNLESSON_MNIST_SOURCE`` (same values; the
   test suite sets it to ``"offline"`` so that saved notebook outputs are the
   same on every machine);
3. ``"auto"``: torchvision's files under the cache directory, else a download
   attempt (given up within seconds when the network cannot reach the mirrors),
   else the offline subset.

The cache directory is ``root``, else ``$SNNLESSON_DATA``, else
``~/.cache/snnlesson`` (``$XDG_CACHE_HOME/snnlesson`` where that is set).
"""

from __future__ import annotations

import os
import socket
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import numpy as np
import torch
from torch.utils.data import Dataset

from snnlesson._validate import check_int, check_real

__all__ = [
    "mnist",
    "as_tensors",
    "cache_dir",
    "OfflineMNIST",
    "MovingDigits",
    "moving_digits",
]

SOURCES = ("auto", "torchvision", "offline")
DIGIT_SIZE = 28
# Seconds to wait for a mirror to accept a connection before giving up on the download.
CONNECT_TIMEOUT_S = 3.0


# ----------------------------------------------------------------------------- MNIST


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """The directory where torchvision's MNIST files are looked for and downloaded to."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get("SNNLESSON_DATA"):
        return Path(os.environ["SNNLESSON_DATA"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "snnlesson"


class OfflineMNIST(Dataset):
    """The 5,000-digit MNIST subset shipped with snnlesson (4,000 train / 1,000 test).

    Behaves like ``torchvision.datasets.MNIST`` with ``ToTensor()``: item ``i`` is
    ``(image, label)`` with ``image`` a float tensor ``[1, 28, 28]`` in ``[0, 1]``
    and ``label`` an ``int``. ``data`` (uint8 ``[N, 28, 28]``) and ``targets``
    (int64 ``[N]``) hold the whole split, as in torchvision.
    Provenance and licence: ``snnlesson/_data/MNIST_5K_LICENSE.md``.
    """

    source = "mnist-5k"

    def __init__(self, train: bool = True):
        self.train = bool(train)
        split = "train" if self.train else "test"
        with resources.files("snnlesson._data").joinpath("mnist_5k.npz").open("rb") as f:
            arrays = np.load(f)
            self.data = torch.from_numpy(arrays[f"{split}_images"].copy())
            self.targets = torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64))

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        image = self.data[index].to(torch.float32).div_(255.0).unsqueeze(0)
        return image, int(self.targets[index])

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"OfflineMNIST(split={split}, digits={len(self)})"


def _torchvision_mnist(root: Path, train: bool, download: bool):
    """torchvision's MNIST from ``root``, downloading atomically when allowed.

    Returns ``(dataset, None)`` or ``(None, reason)``.
    """
    from torchvision import datasets, transforms

    to_tensor = transforms.ToTensor()
    try:
        return datasets.MNIST(str(root), train=train, download=False, transform=to_tensor), None
    except RuntimeError:
        pass  # not cached
    if not download:
        return None, f"not found under {root} and download=False"
    reachable = _any_mirror_reachable(tuple(datasets.MNIST.mirrors))
    if not reachable:
        return None, f"not found under {root} and no MNIST mirror is reachable"
    # Download into a temporary folder and move the files into place only once
    # all of them are complete, so an interrupted download never leaves a
    # half-written file in the cache.
    root.mkdir(parents=True, exist_ok=True)
    old_timeout = socket.getdefaulttimeout()
    try:
        socket.setdefaulttimeout(30)
        with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
            datasets.MNIST(tmp, train=train, download=True)
            target = root / "MNIST" / "raw"
            target.mkdir(parents=True, exist_ok=True)
            for f in (Path(tmp) / "MNIST" / "raw").iterdir():
                os.replace(f, target / f.name)
    except Exception as err:  # network errors come in many types
        return None, f"download failed ({type(err).__name__}: {err})"
    finally:
        socket.setdefaulttimeout(old_timeout)
    return datasets.MNIST(str(root), train=train, download=False, transform=to_tensor), None


@lru_cache(maxsize=None)  # asked once per process: an offline notebook should not wait twice
def _any_mirror_reachable(mirrors: tuple) -> bool:
    for url in mirrors:
        parsed = urlparse(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            with socket.create_connection((parsed.hostname, port), timeout=CONNECT_TIMEOUT_S):
                return True
        except OSError:
            continue
    return False


def mnist(train: bool = True, root=None, download: bool = True, *, source: str | None = None,
          verbose: bool = True) -> Dataset:
    """MNIST digits as a ``Dataset`` of ``(image [1, 28, 28] float in [0, 1], label int)``.

    Parameters
    ----------
    train : bool
        The training split (60,000 digits in full MNIST, 4,000 in the offline
        subset) or the test split (10,000, or 1,000).
    root : path, optional
        Where torchvision's files are cached (default: :func:`cache_dir`).
    download : bool
        Whether to try downloading full MNIST when it is not cached.
    source : {"auto", "torchvision", "offline"}, optional
        Force a source; default from ``$SNNLESSON_MNIST_SOURCE``, else "auto".
        "torchvision" raises ``RuntimeError`` instead of falling back.
    verbose : bool
        Print one line saying which source is in use.

    The returned data set has ``data``, ``targets`` and ``source`` (``"mnist"``
    or ``"mnist-5k"``) attributes.
    """
    if not isinstance(train, bool):
        raise TypeError(f"train must be True or False, got {train!r}")
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {download!r}")
    if source is None:
        source = os.environ.get("SNNLESSON_MNIST_SOURCE", "auto") or "auto"
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")

    split = "train" if train else "test"
    if source != "offline":
        folder = cache_dir(root)
        dataset, reason = _torchvision_mnist(folder, train, download)
        if dataset is not None:
            dataset.source = "mnist"
            if verbose:
                print(f"MNIST: full MNIST from torchvision ({split}: {len(dataset):,} digits, {folder})")
            return dataset
        if source == "torchvision":
            raise RuntimeError(f"torchvision MNIST unavailable: {reason}")
        why = f"full MNIST {reason}"
    else:
        why = "offline subset requested"
    dataset = OfflineMNIST(train)
    if verbose:
        print(f"MNIST: offline 5,000-digit subset shipped with snnlesson "
              f"({split}: {len(dataset):,} digits; {why})")
    return dataset


def as_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All of an MNIST data set at once: images float ``[N, 1, 28, 28]`` in [0, 1], labels int64 ``[N]``.

    Much faster than iterating a ``DataLoader`` for the small networks of the
    lessons; works for both sources returned by :func:`mnist`.
    """
    if not hasattr(dataset, "data") or not hasattr(dataset, "targets"):
        raise TypeError("dataset must come from snnlesson.data.mnist (it needs .data and .targets)")
    images = torch.as_tensor(dataset.data).to(torch.float32).div(255.0).unsqueeze(1)
    return images, torch.as_tensor(dataset.targets).to(torch.int64)


# ------------------------------------------------------------------------ moving digits


class MovingDigits(NamedTuple):
    """Videos of bouncing digits.

    frames : float ``[num_samples, num_frames, 1, canvas, canvas]`` in [0, 1]
    labels : int64 ``[num_samples]``, the digit class
    directions : int64 ``[num_samples]``, the initial direction of motion:
        0 right, 1 down, 2 left, 3 up (the compass direction nearest the
        initial velocity; image rows grow downwards)
    velocities : float ``[num_samples, 2]``, initial (row, column) velocity in pixels per frame
    positions : int64 ``[num_samples, num_frames, 2]``, (row, column) of the digit's top-left corner
    """

    frames: torch.Tensor
    labels: torch.Tensor
    directions: torch.Tensor
    velocities: torch.Tensor
    positions: torch.Tensor


def _bounce(x: torch.Tensor, limit: int) -> torch.Tensor:
    """Fold positions into [0, limit] as a ball reflecting off both walls (a triangle wave)."""
    if limit == 0:
        return torch.zeros_like(x)
    period = 2 * limit
    x = torch.remainder(x, period)
    return torch.where(x > limit, period - x, x)


def moving_digits(num_samples: int, num_frames: int = 20, canvas: int = 64, seed: int = 0, *,
                  speed: float = 3.0, train: bool = True, dataset=None) -> MovingDigits:
    """Moving-MNIST-style videos: one digit bouncing inside a ``canvas x canvas`` frame.

    Each sample takes a random MNIST digit, a random start position and a random
    direction at ``speed`` pixels per frame; the digit moves in a straight line
    and reflects off the canvas walls:

        p(t) = fold(p(0) + v t),  fold = triangle wave into [0, canvas - 28]

    Parameters
    ----------
    num_samples : int >= 1
    num_frames : int >= 1
    canvas : int >= 28, the side of the square frame in pixels
    seed : int, same seed -> same tensors
    speed : float >= 0, pixels per frame
    train : bool, draw digits from the training or the test split of :func:`mnist`
    dataset : optional, an MNIST data set to draw from (default ``mnist(train)``)
    """
    num_samples = check_int("num_samples", num_samples, 1)
    num_frames = check_int("num_frames", num_frames, 1)
    canvas = check_int("canvas", canvas, DIGIT_SIZE)
    seed = check_int("seed", seed)
    speed = check_real("speed (pixels per frame)", speed, low=0.0)
    if dataset is None:
        dataset = mnist(train=train)
    images, all_labels = as_tensors(dataset)

    gen = torch.Generator().manual_seed(int(seed))
    index = torch.randint(len(all_labels), (num_samples,), generator=gen)
    digits, labels = images[index, 0], all_labels[index]          # [N, 28, 28], [N]
    limit = canvas - DIGIT_SIZE
    start = torch.rand(num_samples, 2, generator=gen) * limit      # (row, col)
    angle = torch.rand(num_samples, generator=gen) * 2 * torch.pi
    velocity = speed * torch.stack([torch.sin(angle), torch.cos(angle)], dim=1)
    # Compass direction nearest the angle: 0 right (+col), 1 down (+row), 2 left, 3 up.
    directions = torch.remainder(torch.round(angle / (torch.pi / 2)), 4).to(torch.int64)

    t = torch.arange(num_frames, dtype=torch.float32)
    positions = _bounce(start[:, None, :] + velocity[:, None, :] * t[None, :, None], limit)
    positions = positions.round().to(torch.int64)                  # [N, T, 2]

    # Paste every digit into every frame at once with advanced indexing.
    frames = torch.zeros(num_samples, num_frames, canvas, canvas)
    offs = torch.arange(DIGIT_SIZE)
    rows = (positions[..., 0, None] + offs)[:, :, :, None]          # [N, T, 28, 1]
    cols = (positions[..., 1, None] + offs)[:, :, None, :]          # [N, T, 1, 28]
    n = torch.arange(num_samples)[:, None, None, None]
    f = torch.arange(num_frames)[None, :, None, None]
    frames[n, f, rows, cols] = digits[:, None, :, :].expand(-1, num_frames, -1, -1)
    return MovingDigits(frames.unsqueeze(2), labels, directions, velocity, positions)
