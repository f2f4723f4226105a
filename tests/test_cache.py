"""The MNIST cache is verified before use: a damaged or foreign file is named, then the offline subset is used.

Every test writes small synthetic idx files (the format of the MNIST files:
two zero bytes, a type byte, the number of dimensions, big-endian uint32 sizes,
then the values; LeCun et al.'s description on the MNIST page). Where a test
needs synthetic files to count as "full MNIST", it registers their digit count
and md5s in ``data.MNIST_FILES`` (as the real table registers the real files';
``test_real_mnist_files_pass_verification`` checks those against the real data
where the team's copy exists).
"""

import hashlib
import os
import pickle
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from snnlesson import _files, data

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    data._any_mirror_reachable.cache_clear()
    data._verified_files.clear()
    monkeypatch.delenv("SNNLESSON_MNIST_SOURCE", raising=False)
    yield
    data._verified_files.clear()


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


def write_split(root: Path, prefix: str, images: np.ndarray, labels: np.ndarray, monkeypatch=None) -> Path:
    """Write one split's two raw files; with ``monkeypatch``, register them as the real ones."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    image_bytes, label_bytes = idx_bytes(images), idx_bytes(labels)
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(image_bytes)
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(label_bytes)
    if monkeypatch is not None:
        monkeypatch.setitem(data.MNIST_FILES, prefix, (len(labels), hashlib.md5(image_bytes).hexdigest(),
                                                       hashlib.md5(label_bytes).hexdigest()))
    return raw


def load_test_split(root, capsys, **kwargs):
    """``data.mnist(train=False)`` from ``root`` without download; returns the data set and its one line."""
    ds = data.mnist(train=False, root=root, download=False, source="auto", **kwargs)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return ds, lines[0]


# ------------------------------------------------------------------------- good caches


def test_verified_cache_is_used_as_full_mnist(tmp_path, monkeypatch, capsys):
    images, labels = digits(6)
    write_split(tmp_path, "t10k", images, labels, monkeypatch)
    ds, line = load_test_split(tmp_path, capsys)
    from torchvision.datasets import MNIST

    assert isinstance(ds, MNIST) and ds.source == "mnist" and len(ds) == 6
    assert "full MNIST from torchvision" in line
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32 and label == 3
    assert torch.allclose(image[0], torch.from_numpy(images[3] / 255.0).float())
    assert ds.targets.dtype == torch.int64 and torch.equal(ds.targets, torch.arange(6))
    # a DataLoader with worker processes pickles the data set
    assert torch.equal(pickle.loads(pickle.dumps(ds)).data, ds.data)


def test_offline_is_forced_even_where_a_verified_cache_exists(tmp_path, monkeypatch, capsys):
    write_split(tmp_path, "t10k", *digits(2), monkeypatch)
    assert data.mnist(train=False, root=tmp_path, source="auto", verbose=False).source == "mnist"
    assert data.mnist(train=False, root=tmp_path, source="offline").source == "mnist-5k"
    monkeypatch.setenv("SNNLESSON_MNIST_SOURCE", "offline")
    assert data.mnist(train=False, root=tmp_path).source == "mnist-5k"
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and all("offline 5,000-digit subset" in line for line in out)


def _age(path: Path, seconds: float) -> None:
    """Set the modification time ``seconds`` in the past."""
    then = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(then, then))


def test_each_file_is_hashed_once_until_it_changes(tmp_path, monkeypatch, capsys):
    images, labels = digits(5)
    raw = write_split(tmp_path, "t10k", images, labels, monkeypatch)
    for f in raw.iterdir():
        _age(f, 3600)
    calls = []
    real_md5 = hashlib.md5
    monkeypatch.setattr(data.hashlib, "md5", lambda b: calls.append(len(b)) or real_md5(b))
    for _ in range(3):
        assert data.mnist(train=False, root=tmp_path, download=False, verbose=False).source == "mnist"
    assert len(calls) == 2  # images and labels, once each
    # Same size, new content and a new modification time: checked again, and refused.
    image_file = raw / "t10k-images-idx3-ubyte"
    image_file.write_bytes(idx_bytes(np.flip(images, axis=2)))
    _age(image_file, 1800)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and "t10k-images-idx3-ubyte is well formed but is not the MNIST file" in line
    assert len(calls) == 3


def test_a_file_written_just_now_is_hashed_on_every_load(tmp_path, monkeypatch):
    """A file younger than the timestamp resolution could be rewritten unnoticed (same inode, size and
    time stamp): its verdict is not remembered."""
    write_split(tmp_path, "t10k", *digits(5), monkeypatch)
    calls = []
    real_md5 = hashlib.md5
    monkeypatch.setattr(data.hashlib, "md5", lambda b: calls.append(len(b)) or real_md5(b))
    for _ in range(2):
        assert data.mnist(train=False, root=tmp_path, download=False, verbose=False).source == "mnist"
    assert len(calls) == 4


def test_concurrent_loads_all_get_the_same_verified_data(tmp_path, monkeypatch):
    for f in write_split(tmp_path, "t10k", *digits(300), monkeypatch).iterdir():
        _age(f, 60)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: data.mnist(train=False, root=tmp_path, download=False,
                                                     verbose=False), range(12)))
    assert all(r.source == "mnist" and torch.equal(r.data, results[0].data) for r in results)
    assert len(data._verified_files) == 2


# ---------------------------------------------------------------- caches that would lie


def _random_bytes(raw: Path):
    (raw / "t10k-images-idx3-ubyte").write_bytes(np.random.default_rng(1).integers(1, 256, 5000, np.uint8).tobytes())


def _empty_labels(raw: Path):
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"")


def _float_type_byte(raw: Path):
    images, _ = digits(6)
    (raw / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images, type_byte=0x0D))


def _images_32x32(raw: Path):
    (raw / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((6, 32, 32))))


def _label_200(raw: Path):
    (raw / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([0, 1, 200, 3, 4, 5])))


def _five_labels_for_six_images(raw: Path):
    (raw / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(5)))


def _truncated_images(raw: Path):
    f = raw / "t10k-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-100])


def _labels_missing(raw: Path):
    (raw / "t10k-labels-idx1-ubyte").unlink()


def _two_dimensional_labels(raw: Path):
    (raw / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros((2, 3))))


@pytest.mark.parametrize("damage, file, what", [
    (_random_bytes, "t10k-images-idx3-ubyte", "is not an idx file"),
    (_empty_labels, "t10k-labels-idx1-ubyte", "is empty (0 bytes)"),
    (_float_type_byte, "t10k-images-idx3-ubyte", "has idx type byte 0x0d, MNIST stores unsigned bytes"),
    (_images_32x32, "t10k-images-idx3-ubyte", "holds 32x32 images, MNIST's are 28x28"),
    (_label_200, "t10k-labels-idx1-ubyte", "holds label 200, MNIST's are 0-9"),
    (_five_labels_for_six_images, "t10k-labels-idx1-ubyte", "holds 5 labels for 6 images"),
    (_truncated_images, "t10k-images-idx3-ubyte", "is 4,620 bytes, its header promises 4,720"),
    (_labels_missing, "t10k-labels-idx1-ubyte", "is missing (t10k-images-idx3-ubyte is there)"),
    (_two_dimensional_labels, "t10k-labels-idx1-ubyte", "has 2 dimension(s), expected 1"),
])
def test_a_damaged_file_is_named_then_the_offline_subset_is_used(tmp_path, monkeypatch, capsys, damage, file,
                                                                what):
    raw = write_split(tmp_path, "t10k", *digits(6), monkeypatch)  # registered: only the damage is wrong
    damage(raw)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and len(ds) == 1000
    assert "offline 5,000-digit subset" in line
    assert f"{raw / file} {what}" in line
    assert "not found" not in line


def test_3999_labels_for_4000_images(tmp_path, monkeypatch, capsys):
    images, labels = digits(4000)
    raw = write_split(tmp_path, "t10k", images, labels, monkeypatch)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels[:3999]))
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and "holds 3,999 labels for 4,000 images" in line


def test_well_formed_files_of_the_wrong_size_or_content_are_not_mnist(tmp_path, capsys):
    # Nothing registered: the real table of full MNIST decides.
    raw = write_split(tmp_path, "t10k", *digits(6))
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and "t10k-images-idx3-ubyte holds 6 digits, full MNIST has 10,000" in line
    # 10,000 plausible digits with labels 0-9: right layout, wrong content.
    images, labels = digits(10_000)
    write_split(tmp_path, "t10k", images, labels)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k"
    assert f"{raw / 't10k-images-idx3-ubyte'} is well formed but is not the MNIST file" in line
    assert data.MNIST_FILES["t10k"][1] in line  # the expected md5


def test_a_file_that_cannot_be_read_falls_back_the_same_way(tmp_path, monkeypatch, capsys):
    # Simulated, because the tests may run as root, whom file permissions do not stop. Every file
    # the package reads is opened by snnlesson._files with os.open (never a FIFO or device).
    raw = write_split(tmp_path, "t10k", *digits(6), monkeypatch)
    real_open = os.open

    def denied(path, *args, **kwargs):
        if Path(path) == raw / "t10k-labels-idx1-ubyte":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(_files.os, "open", denied)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k"
    assert f"{raw / 't10k-labels-idx1-ubyte'} cannot be opened (PermissionError: Permission denied)" in line


def test_a_folder_that_cannot_be_searched_falls_back_the_same_way(tmp_path, monkeypatch, capsys):
    raw = write_split(tmp_path, "t10k", *digits(6), monkeypatch)
    real_stat = os.stat

    def no_search(path, *args, **kwargs):
        if Path(path).parent == raw:
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(data.os, "stat", no_search)   # the same module as _files.os: both look through it
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and f"{raw / 't10k-images-idx3-ubyte'} cannot be looked at (PermissionError" in line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_falls_back(tmp_path, monkeypatch, capsys):
    raw = write_split(tmp_path, "t10k", *digits(6), monkeypatch)
    (raw / "t10k-images-idx3-ubyte").chmod(0)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and "cannot be read (PermissionError" in line


def test_not_found_is_said_only_when_nothing_is_there(tmp_path, capsys):
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and "not found under" in line


def test_the_torchvision_source_raises_naming_the_damaged_file(tmp_path, monkeypatch):
    raw = write_split(tmp_path, "t10k", *digits(6), monkeypatch)
    _label_200(raw)
    with pytest.raises(RuntimeError, match="t10k-labels-idx1-ubyte holds label 200"):
        data.mnist(train=False, root=tmp_path, download=False, source="torchvision")


def test_a_damaged_cache_is_not_overwritten_by_a_download(tmp_path, monkeypatch, capsys):
    raw = write_split(tmp_path, "t10k", *digits(6), monkeypatch)
    _label_200(raw)
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    monkeypatch.setattr(data, "_any_mirror_reachable", lambda mirrors: pytest.fail("no download expected"))
    ds = data.mnist(train=False, root=tmp_path, download=True, source="auto")
    assert ds.source == "mnist-5k" and "holds label 200" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == before


# ------------------------------------------------------- old torchvision's processed/*.pt


def write_legacy(root: Path, images: np.ndarray, labels: np.ndarray, monkeypatch=None) -> Path:
    folder = root / "MNIST" / "processed"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save((torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))), folder / "test.pt")
    torch.save((torch.zeros(1, 28, 28, dtype=torch.uint8), torch.zeros(1, dtype=torch.int64)),
               folder / "training.pt")
    if monkeypatch is not None:
        monkeypatch.setitem(data.MNIST_FILES, "t10k", (len(labels), hashlib.md5(idx_bytes(images)).hexdigest(),
                                                       hashlib.md5(idx_bytes(labels)).hexdigest()))
    return folder / "test.pt"


def test_a_verified_legacy_file_is_used(tmp_path, monkeypatch, capsys):
    images, labels = digits(7)
    write_legacy(tmp_path, images, labels, monkeypatch)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist" and torch.equal(ds.data, torch.from_numpy(images))
    assert torch.equal(ds.targets, torch.from_numpy(labels.astype(np.int64)))


@pytest.mark.parametrize("content, what", [
    (b"", "is empty (0 bytes)"),
    (np.random.default_rng(2).integers(0, 256, 3000, np.uint8).tobytes(), "is not a readable torch file"),
    ("truncated", "is not a readable torch file"),
    (("a", "b"), "does not hold an (images, labels) pair of tensors"),
    ((torch.zeros(7, 32, 32, dtype=torch.uint8), torch.zeros(7, dtype=torch.int64)), "holds images torch.uint8 (7, 32, 32), MNIST's are uint8 [N, 28, 28]"),
    ((torch.zeros(7, 28, 28, dtype=torch.uint8), torch.full((7,), 200)), "holds label 200, MNIST's are 0-9"),
    ((torch.zeros(7, 28, 28, dtype=torch.uint8), torch.zeros(7, dtype=torch.int64)), "is well formed but is not the MNIST file"),
])
def test_a_damaged_legacy_file_is_named_then_the_offline_subset_is_used(tmp_path, monkeypatch, capsys, content,
                                                                       what):
    path = write_legacy(tmp_path, *digits(7), monkeypatch)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "truncated":
        path.write_bytes(path.read_bytes()[:-200])
    else:
        torch.save(content, path)
    ds, line = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist-5k" and f"{path} {what}" in line


def test_raw_files_are_preferred_over_a_legacy_file(tmp_path, monkeypatch, capsys):
    write_legacy(tmp_path, *digits(7)).write_bytes(b"garbage")
    images, labels = digits(6, seed=3)
    write_split(tmp_path, "t10k", images, labels, monkeypatch)
    ds, _ = load_test_split(tmp_path, capsys)
    assert ds.source == "mnist" and torch.equal(ds.data, torch.from_numpy(images))


# --------------------------------------------------------------------------- real data


@pytest.mark.skipif(not (SHARED_MNIST / "MNIST" / "raw").is_dir(),
                    reason="full MNIST only on the team's machines (../shared/data)")
def test_real_mnist_files_pass_verification():
    """The md5 table matches the real files; independent reference: torchvision's own reader."""
    from torchvision.datasets import MNIST

    for train, count in ((True, 60_000), (False, 10_000)):
        ds = data.mnist(train=train, root=SHARED_MNIST, source="torchvision", verbose=False)
        assert ds.source == "mnist" and len(ds) == count
        reference = MNIST(str(SHARED_MNIST), train=train, download=False)
        assert torch.equal(ds.data, reference.data) and torch.equal(ds.targets, reference.targets)
    assert len(data._verified_files) == 4


def test_a_cache_that_changes_under_a_reader_is_never_half_used(tmp_path, monkeypatch):
    """A download replacing the files (os.replace) while others load: each load sees old or new files, whole."""
    old_images, labels = digits(40, seed=0)
    new_images, _ = digits(40, seed=1)
    raw = write_split(tmp_path, "t10k", old_images, labels, monkeypatch)
    stop = threading.Event()

    def replace_repeatedly():
        i = 0
        while not stop.is_set():
            tmp = raw / ".tmp-images"
            tmp.write_bytes(idx_bytes(new_images if i % 2 else old_images))
            os.replace(tmp, raw / "t10k-images-idx3-ubyte")
            i += 1

    writer = threading.Thread(target=replace_repeatedly)
    writer.start()
    try:
        results = [data.mnist(train=False, root=tmp_path, download=False, verbose=False) for _ in range(30)]
    finally:
        stop.set()
        writer.join()
    old = torch.from_numpy(old_images)
    for ds in results:  # the new images are not registered: they must be refused, never mixed in
        assert (ds.source == "mnist" and torch.equal(ds.data, old)) or ds.source == "mnist-5k"


# ----------------------------------------------------------------------------- downloads


def _fake_download(monkeypatch, images, labels):
    """torchvision's download replaced by one that writes the four raw files (no network)."""
    from torchvision import datasets

    monkeypatch.setattr(data, "_any_mirror_reachable", lambda mirrors: True)

    def download(self):
        raw = Path(self.raw_folder)
        raw.mkdir(parents=True, exist_ok=True)
        for prefix in ("train", "t10k"):
            (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images))
            (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))

    monkeypatch.setattr(datasets.MNIST, "download", download)


def test_a_download_is_verified_before_use(tmp_path, monkeypatch, capsys):
    images, labels = digits(5)
    _fake_download(monkeypatch, images, labels)
    monkeypatch.setitem(data.MNIST_FILES, "t10k", (5, hashlib.md5(idx_bytes(images)).hexdigest(),
                                                   hashlib.md5(idx_bytes(labels)).hexdigest()))
    ds = data.mnist(train=False, root=tmp_path, download=True, source="auto", verbose=False)
    assert ds.source == "mnist" and torch.equal(ds.data, torch.from_numpy(images))
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == [
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"]


def test_a_download_that_is_not_mnist_is_not_used(tmp_path, monkeypatch, capsys):
    _fake_download(monkeypatch, *digits(5))  # not registered: the real checksums refuse it
    ds = data.mnist(train=False, root=tmp_path, download=True, source="auto")
    line = capsys.readouterr().out.strip()
    assert ds.source == "mnist-5k" and "downloaded but not usable" in line and "holds 5 digits" in line
