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
   else the offline subset. Cached files are verified first (idx header, 28x28
   digits, 60,000/10,000 digits and as many labels, labels 0-9, md5 of each
   file; each file is hashed once per process until it changes): a damaged or
   foreign file is named in the one line, and the offline subset is used.

The cache directory is ``root``, else ``$SNNLESSON_DATA``, else
``~/.cache/snnlesson`` (``$XDG_CACHE_HOME/snnlesson`` where that is set).
"""

from __future__ import annotations

import hashlib
import io
import math
import operator
import os
import socket
import stat
import struct
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import numpy as np
import torch
from torch.utils.data import Dataset

from snnlesson import _files
from snnlesson._validate import check_bool, check_choice, check_int, check_real, check_seed, check_size, check_tensor

__all__ = [
    "mnist",
    "as_tensors",
    "cache_dir",
    "OfflineMNIST",
    "MovingDigits",
    "moving_digits",
    "xor_spike_times",
    "SpikeTimePatterns",
    "iris",
    "IrisData",
]

SOURCES = ("auto", "torchvision", "offline")
DIGIT_SIZE = 28
# Seconds to wait for a mirror to accept a connection before giving up on the download.
CONNECT_TIMEOUT_S = 3.0
# moving_digits: the fastest motion, in pixels per frame (far beyond any canvas).
MAX_SPEED = 1e4
# The offline subset's file is 0.8 MB: anything far larger is not it.
OFFLINE_NPZ_MAX_BYTES = 16 * 1024 ** 2


def _slice_text(index: slice) -> str:
    return ":".join("" if v is None else str(v) for v in (index.start, index.stop, index.step)).rstrip(":") or ":"


# ----------------------------------------------------------------------------- MNIST


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """The directory where torchvision's MNIST files are looked for and downloaded to."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)) or isinstance(root, bytes):
            raise TypeError(f"root must be a folder path (str or pathlib.Path), got {root!r}")
        if not str(root).strip():
            raise ValueError("root must name a folder, got an empty string")
        folder = Path(root).expanduser()
        try:
            mode = os.stat(folder).st_mode
        except OSError:  # not there (yet): mnist creates it when it downloads
            return folder
        if not stat.S_ISDIR(mode):
            raise ValueError(f"root {str(folder)!r} is {_files.kind_of(mode)}, not a folder")
        return folder
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
        self.train = check_bool("train", train)
        split = "train" if self.train else "test"
        raw = _files.read_resource("mnist_5k.npz", limit=OFFLINE_NPZ_MAX_BYTES)
        with np.load(io.BytesIO(raw)) as arrays:
            self.data = torch.from_numpy(arrays[f"{split}_images"].copy())
            self.targets = torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64))

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        """Digit ``index`` (an integer; negative counts from the end) as ``(image [1, 28, 28], label)``.

        One digit at a time, like ``torchvision.datasets.MNIST``: for several digits at once use
        :func:`as_tensors` (all of them as tensors, which slice) or ``torch.utils.data.Subset``.
        """
        if isinstance(index, slice):
            raise TypeError(f"OfflineMNIST gives one digit at a time: index must be an integer, got the slice "
                            f"[{_slice_text(index)}]; for several digits use images, labels = "
                            f"data.as_tensors(dataset) and slice those, or torch.utils.data.Subset(dataset, "
                            f"range(...))")
        try:
            if isinstance(index, bool) or (isinstance(index, (torch.Tensor, np.ndarray)) and index.ndim != 0):
                raise TypeError
            i = operator.index(index)
        except TypeError:
            raise TypeError(f"OfflineMNIST gives one digit at a time: index must be an integer, "
                            f"got {type(index).__name__}") from None
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} is out of range for {len(self):,} digits")
        image = self.data[i].to(torch.float32).div_(255.0).unsqueeze(0)
        return image, int(self.targets[i])

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"OfflineMNIST(split={split}, digits={len(self)})"


# The files of full MNIST as torchvision keeps them (``MNIST/raw/``), with the number of
# digits in each split and the md5 of each uncompressed file. torchvision lists the md5s
# of the .gz archives; these are the canonical checksums of the files inside them.
MNIST_FILES = {
    "train": (60_000, "6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624"),
    "t10k": (10_000, "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"),
}
IDX_UBYTE = 0x08  # the idx type byte of unsigned bytes, the only type MNIST uses

# Files whose checksum already matched, keyed by what changes when a file is replaced or
# rewritten (path, inode, size, modification time): a file is hashed once per process.
_verified_files: set[tuple] = set()
_verified_lock = threading.Lock()


class _CorruptCacheError(Exception):
    """A cached MNIST file exists but is not MNIST; ``str()`` names the file and what is wrong."""


def _present(path: Path) -> bool:
    """Whether ``path`` exists; a file that cannot even be looked at counts as present (and unreadable)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _read(path: Path, limit: int) -> tuple[bytearray, tuple]:
    """The bytes of ``path`` (a regular file of at most ``limit`` bytes: a FIFO, a directory or a
    device in its place is never opened) and the identity of the file they came from."""
    try:
        raw, st = _files.read_file("the cached MNIST file", path, limit=limit, what="an MNIST file")
    except _files.FileProblem as err:
        # named as the other cache diagnostics name it: the path itself, unquoted
        raise _CorruptCacheError(str(err).replace("the cached MNIST file ", "", 1)
                                 .replace(repr(str(path)), str(path), 1)) from None
    return raw, (str(path), st.st_ino, st.st_size, st.st_mtime_ns)


def _check_md5(path: Path, raw: bytes, identity: tuple, md5: str) -> None:
    if (identity, md5) in _verified_files:
        return
    digest = hashlib.md5(raw).hexdigest()
    if digest != md5:
        raise _CorruptCacheError(f"{path} is well formed but is not the MNIST file (md5 {digest}, "
                                f"expected {md5})")
    # Remember the verdict only for a file older than the file system's timestamp resolution:
    # a file rewritten within the same tick (and inode) would otherwise pass unchecked.
    if time.time_ns() - identity[3] > 2 * 10**9:
        with _verified_lock:
            _verified_files.add((identity, md5))


def _parse_idx(path: Path, raw: bytes, shape: tuple) -> np.ndarray:
    """The uint8 array in an idx file, checked against ``shape`` (``None`` where any size goes).

    An idx file is two zero bytes, a type byte, the number of dimensions, one
    big-endian uint32 per dimension, then the values.
    """
    header = 4 + 4 * len(shape)
    if len(raw) == 0:
        raise _CorruptCacheError(f"{path} is empty (0 bytes)")
    if len(raw) < header:
        raise _CorruptCacheError(f"{path} is truncated ({len(raw)} bytes, shorter than an idx header)")
    if raw[0:2] != b"\0\0":
        raise _CorruptCacheError(f"{path} is not an idx file (magic number 0x{raw[:4].hex()})")
    if raw[2] != IDX_UBYTE:
        raise _CorruptCacheError(f"{path} has idx type byte 0x{raw[2]:02x}, MNIST stores unsigned bytes (0x08)")
    if raw[3] != len(shape):
        raise _CorruptCacheError(f"{path} has {raw[3]} dimension(s), expected {len(shape)}")
    dims = struct.unpack(f">{len(shape)}I", raw[4:header])
    if any(want is not None and got != want for got, want in zip(dims, shape)):
        size = "x".join(str(d) for d in dims[1:])
        raise _CorruptCacheError(f"{path} holds {size} images, MNIST's are {DIGIT_SIZE}x{DIGIT_SIZE}")
    expected_bytes = header + math.prod(dims)
    if len(raw) != expected_bytes:
        raise _CorruptCacheError(f"{path} is {len(raw):,} bytes, its header promises {expected_bytes:,}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _check_split(folder: Path, images: np.ndarray, labels: np.ndarray, count: int, image_file: str,
                 label_file: str) -> None:
    if len(labels) != len(images):
        raise _CorruptCacheError(f"{folder / label_file} holds {len(labels):,} labels for "
                                f"{len(images):,} images in {image_file}")
    if len(images) != count:
        raise _CorruptCacheError(f"{folder / image_file} holds {len(images):,} digits, full MNIST has {count:,}")
    if len(labels) and int(labels.max()) > 9:
        raise _CorruptCacheError(f"{folder / label_file} holds label {int(labels.max())}, MNIST's are 0-9")


def _read_raw_split(folder: Path, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Images uint8 ``[N, 28, 28]`` and labels int64 ``[N]`` from ``folder``, verified as full MNIST."""
    count, images_md5, labels_md5 = MNIST_FILES[prefix]
    image_file, label_file = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
    # no MNIST file is larger than the training images: a larger file is refused before it is read;
    # one of a wrong size below that is read, and its header says what is wrong with it
    largest = 16 + MNIST_FILES["train"][0] * DIGIT_SIZE * DIGIT_SIZE
    raw_images, images_id = _read(folder / image_file, largest)
    images = _parse_idx(folder / image_file, raw_images, (None, DIGIT_SIZE, DIGIT_SIZE))
    raw_labels, labels_id = _read(folder / label_file, largest)
    labels = _parse_idx(folder / label_file, raw_labels, (None,))
    _check_split(folder, images, labels, count, image_file, label_file)
    _check_md5(folder / image_file, raw_images, images_id, images_md5)
    _check_md5(folder / label_file, raw_labels, labels_id, labels_md5)
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def _read_legacy_split(path: Path, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``(images, labels)`` of an old torchvision's ``processed/*.pt``, verified as full MNIST.

    Its tensors are checked against the md5s of the raw files they were made from
    (idx header + values).
    """
    count, images_md5, labels_md5 = MNIST_FILES[prefix]
    # uint8 images and int64 labels, plus the pickle's own few kB
    raw, identity = _read(path, count * (DIGIT_SIZE * DIGIT_SIZE + 8) + 1024 ** 2)
    if not raw:
        raise _CorruptCacheError(f"{path} is empty (0 bytes)")
    try:
        content = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged pickle fails in many ways (UnpicklingError, EOFError, KeyError, ...)
        raise _CorruptCacheError(f"{path} is not a readable torch file ({type(err).__name__})") from None
    if not (isinstance(content, (tuple, list)) and len(content) == 2
            and all(isinstance(t, torch.Tensor) for t in content)):
        raise _CorruptCacheError(f"{path} does not hold an (images, labels) pair of tensors")
    images, labels = content
    if images.dtype != torch.uint8 or images.ndim != 3 or tuple(images.shape[1:]) != (DIGIT_SIZE, DIGIT_SIZE):
        raise _CorruptCacheError(f"{path} holds images {images.dtype} {tuple(images.shape)}, "
                                f"MNIST's are uint8 [N, {DIGIT_SIZE}, {DIGIT_SIZE}]")
    if labels.ndim != 1 or labels.dtype.is_floating_point or labels.is_complex():
        raise _CorruptCacheError(f"{path} holds labels {labels.dtype} {tuple(labels.shape)}, expected integers [N]")
    if len(labels) and int(labels.min()) < 0:
        raise _CorruptCacheError(f"{path} holds label {int(labels.min())}, MNIST's are 0-9")
    _check_split(path.parent, images, labels, count, path.name, path.name)
    header = struct.pack(">BBBBIII", 0, 0, IDX_UBYTE, 3, len(images), DIGIT_SIZE, DIGIT_SIZE)
    _check_md5(path, header + images.contiguous().numpy().tobytes(), identity + ("images",), images_md5)
    header = struct.pack(">BBBBI", 0, 0, IDX_UBYTE, 1, len(labels))
    _check_md5(path, header + labels.to(torch.uint8).numpy().tobytes(), identity + ("labels",), labels_md5)
    return images.clone(), labels.to(torch.int64)


def _load_cached(root: Path, train: bool):
    """torchvision's ``MNIST`` from the files under ``root``, verified, or ``None`` if none are there.

    Raises :class:`_CorruptCacheError` for a file that is there but is not MNIST.
    Reads the raw idx files (``MNIST/raw``); where they are absent, an old
    torchvision's ``MNIST/processed/{training,test}.pt``.
    """
    from torchvision import datasets, transforms
    from torchvision.datasets.vision import VisionDataset

    prefix = "train" if train else "t10k"
    raw = root / "MNIST" / "raw"
    raw_files = [raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"]
    legacy = root / "MNIST" / "processed" / ("training.pt" if train else "test.pt")
    present = [_present(f) for f in raw_files]
    if any(present):
        if not all(present):
            missing, there = raw_files if not present[0] else raw_files[::-1]
            raise _CorruptCacheError(f"{missing} is missing ({there.name} is there)")
        images, labels = _read_raw_split(raw, prefix)
    elif _present(legacy):
        images, labels = _read_legacy_split(legacy, prefix)
    else:
        return None
    # torchvision's own constructor would read the files a second time (and without
    # checking them): build its MNIST around the arrays read above instead.
    dataset = datasets.MNIST.__new__(datasets.MNIST)
    VisionDataset.__init__(dataset, str(root), transform=transforms.ToTensor())
    dataset.train = train
    dataset.data, dataset.targets = images, labels
    return dataset


def _torchvision_mnist(root: Path, train: bool, download: bool):
    """torchvision's MNIST from ``root``, verified, downloading atomically when allowed.

    Returns ``(dataset, None)`` or ``(None, reason)``; the reason names a cached
    file that is there but is not MNIST.
    """
    from torchvision import datasets

    try:
        dataset = _load_cached(root, train)
    except _CorruptCacheError as err:
        return None, f"not used: {err}"
    if dataset is not None:
        return dataset, None
    if not download:
        return None, f"not found under {root} and download=False"
    reachable = _any_mirror_reachable(tuple(datasets.MNIST.mirrors))
    if not reachable:
        return None, f"not found under {root} and no MNIST mirror is reachable"
    # Download into a temporary folder and move the files into place only once
    # all of them are complete, so an interrupted download never leaves a
    # half-written file in the cache.
    old_timeout = socket.getdefaulttimeout()
    try:
        root.mkdir(parents=True, exist_ok=True)
        socket.setdefaulttimeout(30)
        with _files.temporary_folder(root) as tmp:  # removed afterwards; a killed run's by the next one
            datasets.MNIST(tmp, train=train, download=True)
            target = root / "MNIST" / "raw"
            target.mkdir(parents=True, exist_ok=True)
            for f in (Path(tmp) / "MNIST" / "raw").iterdir():
                os.replace(f, target / f.name)
    except Exception as err:  # network errors come in many types
        return None, f"download failed ({type(err).__name__}: {err})"
    finally:
        socket.setdefaulttimeout(old_timeout)
    try:
        return _load_cached(root, train), None
    except _CorruptCacheError as err:
        return None, f"downloaded but not usable: {err}"


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
        Print one line saying which source is in use (and, when a cached file is
        damaged, which file and what is wrong with it).

    Cached files are checked before use (idx header, 28x28 digits, 60,000/10,000
    digits with as many labels, labels 0-9, and the md5 of each file); a file that
    fails is reported and the offline subset is used instead, never wrong data. A FIFO,
    directory or device in place of a file, or a file larger than MNIST's, is reported
    the same way without being opened or read.
    The returned data set has ``data``, ``targets`` and ``source`` (``"mnist"``
    or ``"mnist-5k"``) attributes.
    """
    train = check_bool("train", train)
    download = check_bool("download", download)
    verbose = check_bool("verbose", verbose)
    if source is None:
        source = os.environ.get("SNNLESSON_MNIST_SOURCE", "auto") or "auto"
        if source not in SOURCES:
            raise ValueError(f"source (from $SNNLESSON_MNIST_SOURCE) must be one of {SOURCES}, got {source!r}")
    source = check_choice("source", source, SOURCES)
    folder = cache_dir(root)

    split = "train" if train else "test"
    if source != "offline":
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
    lessons; works for both sources returned by :func:`mnist`, and for any data set
    with ``data`` (``[N, 28, 28]`` or ``[N, 1, 28, 28]``) and ``targets`` (``[N]``) of the
    same length. Integer images (MNIST's uint8) are pixel values 0-255, divided by 255;
    float images must already be in [0, 1] and are kept as they are (never divided twice).
    """
    if not hasattr(dataset, "data") or not hasattr(dataset, "targets"):
        raise TypeError("dataset must come from snnlesson.data.mnist (it needs .data and .targets)")
    images = check_tensor("dataset.data (the images)", dataset.data, convert=True, floating=False, allow_empty=True,
                          finite=False)
    labels = check_tensor("dataset.targets (the labels)", dataset.targets, convert=True, floating=False,
                          allow_empty=True, ndim=1)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or tuple(images.shape[1:]) != (DIGIT_SIZE, DIGIT_SIZE):
        raise ValueError(f"dataset.data must hold {DIGIT_SIZE}x{DIGIT_SIZE} images, [N, {DIGIT_SIZE}, {DIGIT_SIZE}], "
                         f"got shape {tuple(images.shape)}")
    if len(images) != len(labels):
        raise ValueError(f"dataset has {len(images):,} images but {len(labels):,} labels; it needs one label per image")
    if len(images) == 0:
        raise ValueError("dataset is empty (0 images): there is no digit to draw from")
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise TypeError(f"dataset.targets must be integer digit classes, got dtype {labels.dtype}")
    if int(labels.min()) < 0:
        raise ValueError(f"dataset.targets must be digit classes >= 0, got {int(labels.min())}")
    if images.dtype == torch.bool:
        raise TypeError("dataset.data must hold pixel values (uint8 0-255 or float in [0, 1]), got dtype torch.bool")
    if images.is_floating_point():
        low, high = float(images.min()), float(images.max())  # NaN propagates into both
        if not (0.0 <= low and high <= 1.0):
            hint = " (pixel values 0-255: divide by 255, or keep them uint8)" if high > 1.0 and high <= 255.0 else ""
            raise ValueError(f"dataset.data holds float images, which must be in [0, 1], got values from {low:g} to "
                             f"{high:g}{hint}")
        images = images.to(torch.float32)
    else:
        low, high = int(images.min()), int(images.max())
        if low < 0 or high > 255:
            raise ValueError(f"dataset.data holds integer images, which must be pixel values 0-255, got values "
                             f"from {low} to {high}")
        images = images.to(torch.float32).div(255.0)
    return images.unsqueeze(1), labels.to(torch.int64)


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
    seed : int in [0, 2**63 - 1], same seed -> same tensors
    speed : float in [0, 10,000], pixels per frame
    train : bool, draw digits from the training or the test split of :func:`mnist`
    dataset : optional, an MNIST data set to draw from (default ``mnist(train)``)

    Videos larger than the size budget of :mod:`snnlesson._validate` (2 GiB by default)
    are refused with a ``ValueError`` giving the size they would need.
    """
    num_samples = check_int("num_samples", num_samples, 1)
    num_frames = check_int("num_frames", num_frames, 1)
    canvas = check_int("canvas", canvas, DIGIT_SIZE)
    seed = check_seed("seed", seed)
    speed = check_real("speed (pixels per frame)", speed, low=0.0, high=MAX_SPEED)
    train = check_bool("train", train)
    # float32 frames, plus the int64 (sample, frame, row, column) indices and the
    # values of the pasted digits, per frame
    per_frame = 4 * canvas * canvas + (4 * 8 + 4) * DIGIT_SIZE * DIGIT_SIZE
    check_size(f"the videos [num_samples={num_samples}, num_frames={num_frames}, canvas={canvas}x{canvas}]",
               num_samples * num_frames * per_frame, itemsize=1)
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


# ----------------------------------------------------------------------------- XOR and Iris (lesson 04)


class SpikeTimePatterns(NamedTuple):
    """Patterns as spike times (s, float64 NumPy): ``input_times [n, n_in]``, ``target_times [n, n_out]``."""

    input_times: np.ndarray
    target_times: np.ndarray
    labels: np.ndarray


def xor_spike_times(t_false: float = 0.0, t_true: float = 0.006, target_false: float = 0.016,
                    target_true: float = 0.010) -> SpikeTimePatterns:
    """XOR in Bohte et al.'s (2002) spike-time encoding (times in seconds).

    Inputs ``[4, 3]``: the two XOR inputs (``t_false`` = 0 ms for 0, ``t_true`` = 6 ms for 1) and a
    reference (bias) spike at 0 ms; targets ``[4, 1]``: 16 ms when the answer is false, 10 ms when
    it is true. Patterns in the order (0,0), (0,1), (1,0), (1,1); ``labels`` are the XOR answers.
    """
    t_false = check_real("t_false", t_false, low=0.0)
    t_true = check_real("t_true", t_true, low=0.0)
    target_false = check_real("target_false", target_false, low=0.0, low_open=True)
    target_true = check_real("target_true", target_true, low=0.0, low_open=True)
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    labels = bits[:, 0] ^ bits[:, 1]
    inputs = np.column_stack([np.where(bits > 0, t_true, t_false), np.zeros(4)])
    targets = np.where(labels > 0, target_true, target_false)[:, None].astype(np.float64)
    return SpikeTimePatterns(inputs.astype(np.float64), targets, labels)


class IrisData(NamedTuple):
    """Fisher's Iris: ``features [150, 4]`` (cm, float64), ``labels [150]`` (0 setosa, 1 versicolor, 2 virginica)."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: tuple
    class_names: tuple


def iris() -> IrisData:
    """The Iris data set as shipped with scikit-learn (no network needed): 150 flowers, 4 features, 3 classes."""
    from sklearn.datasets import load_iris

    bunch = load_iris()
    return IrisData(np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64),
                    tuple(bunch.feature_names), tuple(str(n) for n in bunch.target_names))
