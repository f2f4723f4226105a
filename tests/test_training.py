"""Tests for snnlesson.training: the one training loop, evaluation, and checkpoints that refuse bad files.

Independent references: a problem whose answer is known (two Gaussian blobs, linearly
separable: a spiking classifier must reach > 90 %); accuracies recomputed by hand; the
checkpoint's bytes damaged in known ways.
"""

import math

import pytest
import torch
from torch import nn

from snnlesson import lif_discrete, surrogate, training


class TinySNN(nn.Module):
    """2 inputs -> 16 LIF neurons (atan surrogate) -> 2 outputs read as the mean over 6 steps."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 2)
        self.params = lif_discrete.LIFDiscreteParams(beta=0.9, threshold=1.0)

    def forward(self, x):
        spk, _ = lif_discrete.run(self.fc1(x), self.params, surrogate.atan(), num_steps=6)
        return self.fc2(spk).mean(0)


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    inputs = torch.randn(n, 2, generator=g) * 0.5 + (labels[:, None] * 2.0 - 1.0) * 1.5
    return inputs, labels


def tiny(seed=0):
    torch.manual_seed(seed)
    return TinySNN()


def identity(output):
    return output


CE = nn.functional.cross_entropy


def test_a_tiny_spiking_network_learns_separable_blobs():
    model = tiny()
    train_data, test_data = blobs(200, 0), blobs(100, 1)
    before = training.evaluate(model, test_data, readout=identity)
    history = training.train(model, train_data, loss_fn=CE, readout=identity, test_data=test_data, epochs=8,
                             batch_size=20, lr=2e-2, progress=False)
    assert history.test_accuracy[-1] > 0.9, history.test_accuracy
    assert history.epoch_loss[-1] < 0.6 * history.epoch_loss[0]
    assert len(history.batch_loss) == 8 * 10 and len(history.epoch_seconds) == 8
    assert history.train_seconds == pytest.approx(sum(history.epoch_seconds))
    # evaluate and predict agree with an accuracy computed by hand
    predicted = training.predict(model, test_data[0], readout=identity, batch_size=7)
    assert predicted.dtype == torch.int64 and predicted.shape == (100,)
    by_hand = float((model(test_data[0]).argmax(1) == test_data[1]).float().mean())
    assert training.evaluate(model, test_data, readout=identity) == pytest.approx(by_hand)
    assert float((predicted == test_data[1]).float().mean()) == pytest.approx(by_hand)
    assert history.test_accuracy[-1] == pytest.approx(by_hand)
    assert by_hand > before or before > 0.9


def test_same_seed_same_result_and_another_seed_differs():
    def run(seed):
        model = tiny(3)
        h = training.train(model, blobs(), loss_fn=CE, readout=identity, epochs=2, batch_size=32, lr=1e-2,
                           seed=seed, progress=False, schedule="constant")
        return h, model.fc1.weight.detach().clone()

    (h1, w1), (h2, w2), (h3, w3) = run(0), run(0), run(1)
    assert h1.batch_loss == h2.batch_loss and torch.equal(w1, w2)
    assert h1.batch_loss != h3.batch_loss
    assert h1.seed == 0 and h3.seed == 1 and h1.device == "cpu"


def test_training_leaves_the_callers_random_state_alone():
    model = tiny()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    training.train(model, blobs(40), loss_fn=CE, epochs=1, batch_size=10, progress=False)
    assert torch.equal(torch.rand(3), expected)


def test_history_round_trips_and_records_settings():
    history = training.train(tiny(), blobs(40), loss_fn=CE, epochs=1, batch_size=10, progress=False,
                             settings={"note": "x"})
    assert history.train_accuracy == [] and history.test_accuracy == []  # no readout, no accuracy
    d = history.as_dict()
    assert d["settings"]["note"] == "x" and d["settings"]["schedule"] == "onecycle"
    assert training.History.from_dict(d) == history
    with pytest.raises(ValueError, match="unknown History field"):
        training.History.from_dict({**d, "colour": 1})


def test_forward_fn_receives_the_training_generator():
    seen = []

    def forward(model, x, generator):
        seen.append(generator)
        return model(x + 0.01 * torch.randn(x.shape, generator=generator))

    h1 = training.train(tiny(), blobs(40), loss_fn=CE, epochs=1, batch_size=10, progress=False, forward_fn=forward)
    h2 = training.train(tiny(), blobs(40), loss_fn=CE, epochs=1, batch_size=10, progress=False, forward_fn=forward)
    assert all(isinstance(g, torch.Generator) for g in seen) and h1.batch_loss == h2.batch_loss


def test_tensor_dataset_max_seconds_and_eval_every_epoch():
    data = torch.utils.data.TensorDataset(*blobs(60))
    h = training.train(tiny(), data, loss_fn=CE, readout=identity, test_data=data, epochs=3, batch_size=10,
                       progress=False, eval_every_epoch=False)
    assert len(h.train_accuracy) == 3 and len(h.test_accuracy) == 1
    h = training.train(tiny(), data, loss_fn=CE, epochs=3, batch_size=10, progress=False, max_seconds=1e-9)
    assert len(h.batch_loss) == 1 and len(h.epoch_loss) == 1


def test_progress_bar_runs(capsys):
    training.train(tiny(), blobs(40), loss_fn=CE, readout=identity, epochs=1, batch_size=10, progress=True)
    assert "epoch 1/1" in capsys.readouterr().err


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epochs": 0}, ValueError, "epochs"), ({"epochs": 1.0}, TypeError, "epochs"),
    ({"batch_size": -1}, ValueError, "batch_size"), ({"lr": 0.0}, ValueError, "lr"),
    ({"lr": float("nan")}, ValueError, "lr"), ({"lr": "fast"}, TypeError, "lr"),
    ({"schedule": "cosine"}, ValueError, "schedule"), ({"seed": 1.5}, TypeError, "seed"),
    ({"seed": -1}, ValueError, "seed"), ({"progress": "False"}, TypeError, "progress"),
    ({"device": "gpu"}, ValueError, "device"), ({"device": 3.0}, TypeError, "device"),
    ({"loss_fn": "ce"}, TypeError, "loss_fn"), ({"readout": 3}, TypeError, "readout"),
    ({"weight_decay": -1.0}, ValueError, "weight_decay"),
])
def test_train_rejects_bad_arguments(kwargs, error, match):
    args = {"loss_fn": CE, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        training.train(tiny(), blobs(20), **args)


def test_train_rejects_bad_data_and_a_diverging_loss():
    inputs, labels = blobs(20)
    with pytest.raises(TypeError, match="train_data"):
        training.train(tiny(), inputs, loss_fn=CE, progress=False)
    with pytest.raises(ValueError, match="one label per input"):
        training.train(tiny(), (inputs, labels[:5]), loss_fn=CE, progress=False)
    bad = inputs.clone()
    bad[3, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        training.train(tiny(), (bad, labels), loss_fn=CE, progress=False)
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        training.train(tiny(), (inputs, labels + 3), loss_fn=CE, readout=identity, progress=False)
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        training.evaluate(tiny(), (inputs, labels - 1), readout=identity)
    with pytest.raises(TypeError, match="model"):
        training.train(lambda x: x, (inputs, labels), loss_fn=CE)
    with pytest.raises(ValueError, match="scalar"):
        training.train(tiny(), (inputs, labels), loss_fn=lambda o, y: o, progress=False)
    with pytest.raises(ValueError, match="diverged"):
        training.train(tiny(), (inputs, labels), loss_fn=lambda o, y: o.sum() * float("inf"), progress=False)


def test_a_device_that_does_not_exist_is_a_clear_value_error():
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    missing = "cuda" if count == 0 else f"cuda:{count}"
    with pytest.raises(ValueError, match="device"):
        training.train(tiny(), blobs(20), loss_fn=CE, progress=False, device=missing)
    with pytest.raises(ValueError, match="device"):
        training.evaluate(tiny(), blobs(20), readout=identity, device=missing)


# ------------------------------------------------------------------------------ checkpoints


def build(config):
    assert config == {"hidden": 16}
    return tiny(9)


def test_checkpoint_round_trip(tmp_path):
    model = tiny()
    history = training.train(model, blobs(40), loss_fn=CE, readout=identity, epochs=1, batch_size=10,
                             progress=False)
    path = tmp_path / "tiny.pt"
    training.save_checkpoint(model, path, kind="tiny", config={"hidden": 16}, history=history)
    loaded, loaded_history = training.load_checkpoint(path, build, kind="tiny")
    x = blobs(10, 5)[0]
    assert torch.equal(loaded(x), model(x)) and loaded_history == history
    into = tiny(11)
    same, _ = training.load_checkpoint(str(path), into)  # loading into an existing model
    assert same is into and torch.equal(into(x), model(x))
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.pt"]  # no temporary file left behind


@pytest.fixture()
def good_file(tmp_path):
    path = tmp_path / "good.pt"
    training.save_checkpoint(tiny(), path, kind="tiny", config={"hidden": 16})
    return path


def test_load_refuses_missing_empty_and_truncated_files(tmp_path, good_file):
    with pytest.raises(training.CheckpointError, match="does not exist"):
        training.load_checkpoint(tmp_path / "nope.pt", build)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(training.CheckpointError, match="empty"):
        training.load_checkpoint(empty, build)
    data = good_file.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        truncated = tmp_path / f"cut{cut}.pt"
        truncated.write_bytes(data[:cut])
        with pytest.raises(training.CheckpointError, match="not a readable checkpoint"):
            training.load_checkpoint(truncated, build)
    noise = tmp_path / "noise.pt"
    noise.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        training.load_checkpoint(noise, build)


class NotAllowed:
    """An arbitrary class: unpickling it would mean running code chosen by the file."""


def test_load_refuses_foreign_files_without_running_their_code(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": training.CHECKPOINT_FORMAT, "config": NotAllowed()}, evil)
    with pytest.raises(training.CheckpointError, match="Python objects other than weights"):
        training.load_checkpoint(evil, build)
    foreign = tmp_path / "foreign.pt"
    torch.save(tiny().state_dict(), foreign)  # a plain state dict: a torch file, not our checkpoint
    with pytest.raises(training.CheckpointError, match="not a snnlesson checkpoint"):
        training.load_checkpoint(foreign, build)
    torch.save(torch.zeros(3), foreign)
    with pytest.raises(training.CheckpointError, match="not a snnlesson checkpoint"):
        training.load_checkpoint(foreign, build)


def test_load_refuses_mismatched_kind_shape_and_nan_weights(tmp_path, good_file):
    with pytest.raises(training.CheckpointError, match="'tiny' checkpoint, expected 'bptt'"):
        training.load_checkpoint(good_file, build, kind="bptt")
    with pytest.raises(training.CheckpointError, match="does not fit the model"):
        training.load_checkpoint(good_file, nn.Linear(2, 2))
    blob = torch.load(good_file, weights_only=True)
    blob["state_dict"]["fc1.weight"][0, 0] = float("nan")
    nan_file = tmp_path / "nan.pt"
    torch.save(blob, nan_file)
    with pytest.raises(training.CheckpointError, match="does not match the checksum"):
        training.load_checkpoint(nan_file, build)
    blob["sha256"] = training._checkpoint_digest(blob)  # a NaN that its writer sealed: the NaN check
    torch.save(blob, nan_file)
    with pytest.raises(training.CheckpointError, match=r"non-finite weights .*fc1.weight"):
        training.load_checkpoint(nan_file, build)
    model = tiny()
    with torch.no_grad():
        model.fc2.bias[0] = math.inf
    with pytest.raises(ValueError, match="refusing to save"):
        training.save_checkpoint(model, tmp_path / "inf.pt")
    assert not (tmp_path / "inf.pt").exists()


def test_checkpoint_argument_types():
    with pytest.raises(TypeError, match="path"):
        training.save_checkpoint(tiny(), 42)
    with pytest.raises(TypeError, match="model"):
        training.save_checkpoint("model", "x.pt")
    with pytest.raises(TypeError, match="build"):
        training.load_checkpoint("x.pt", 3)


# ------------------------------------------------------------------------- per-class accuracy


def test_confusion_matrix_and_per_class_accuracy_against_a_hand_count():
    # 7 examples, 3 classes, counted by hand:
    #   true 0: predicted 0, 0, 1   -> row [2, 1, 0], accuracy 2/3
    #   true 1: predicted 1         -> row [0, 1, 0], accuracy 1
    #   true 2: predicted 0, 1, 2   -> row [1, 1, 1], accuracy 1/3
    labels = torch.tensor([0, 0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 0, 1, 1, 0, 1, 2])
    counts = training.confusion_matrix(predicted, labels, num_classes=3)
    assert counts.tolist() == [[2, 1, 0], [0, 1, 0], [1, 1, 1]]
    assert int(counts.sum()) == 7
    accuracy = training.per_class_accuracy(predicted, labels, num_classes=3)
    torch.testing.assert_close(accuracy, torch.tensor([2 / 3, 1.0, 1 / 3], dtype=torch.float64))
    # a class that never occurs has no accuracy (NaN), the others are unchanged; lists are accepted
    four = training.per_class_accuracy(predicted.tolist(), labels.tolist(), num_classes=4)
    assert math.isnan(float(four[3])) and four[:3].tolist() == accuracy.tolist()
    with pytest.raises(ValueError, match="same non-zero length"):
        training.confusion_matrix(predicted[:3], labels, 3)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        training.confusion_matrix(predicted.clamp(max=1), labels, 2)
    with pytest.raises(TypeError, match="predicted"):
        training.confusion_matrix(predicted.float(), labels, 3)
    with pytest.raises(ValueError, match="num_classes"):
        training.per_class_accuracy(predicted, labels, 0)
