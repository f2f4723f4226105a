"""Tests for snnlesson.bptt: lesson 05's networks (snntorch equality), recipe, training, checkpoints.

Independent references: the from-scratch network against the same network on
``snntorch.Leaky`` (records and gradients), a per-step loop of the shared LIF step,
and training that must beat chance by a wide margin on real MNIST digits.
"""

import math

import pytest
import torch

from snnlesson import bptt, checks, lif_discrete, training
from snnlesson.data import as_tensors, mnist
from snnlesson.lessons import l05_bptt  # noqa: E402

# The spike function and its surrogate are tested in test_surrogate.py, the LIF step
# and its unrolling in test_lif_discrete.py and the training loop in test_training.py.

# ------------------------------------------------------------------ snntorch equality


@pytest.mark.parametrize("loss", ["ce_every_step", "ce_mean_membrane"])
@pytest.mark.parametrize("time_first", [False, True])
def test_scratch_network_equals_snntorch_network(loss, time_first):
    gen = torch.Generator().manual_seed(4)
    if time_first:
        x = (torch.rand(12, 8, 1, 28, 28, generator=gen) < 0.3).float()
    else:
        x = torch.rand(8, 1, 28, 28, generator=gen) * 2.0
    y = torch.randint(0, 10, (8,), generator=gen)
    nets = [bptt.build_network(kind, num_steps=12, beta=0.9, slope=10.0, seed=5) for kind in ("snntorch", "scratch")]
    for net in nets:  # stronger output weights, so that the output layer spikes and resets too
        with torch.no_grad():
            net.fc2.weight.mul_(4.0)
    records = [net(x, time_first=time_first, record_hidden=True) for net in nets]
    a, b = records
    assert a.spk_hidden.sum() > 0 and a.spk_out.sum() > 0, "the test needs spikes in both layers"
    for name in bptt.SNNRecord._fields:
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    for net, rec in zip(nets, records):
        bptt.recipe_loss(rec, y, loss).backward()
    for (name, p), (_, q) in zip(nets[0].named_parameters(), nets[1].named_parameters()):
        assert p.grad.abs().sum() > 0, name
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-6, atol=1e-7, msg=name)


def test_networks_follow_the_lif_equations_step_by_step():
    """The batched layer evaluation (fc1 once, fc2 over all steps) equals a naive per-step loop."""
    net = bptt.build_network("scratch", num_steps=6, seed=1)
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 3
    rec = net(x, record_hidden=True)
    params = lif_discrete.LIFDiscreteParams(beta=0.95, threshold=1.0)
    state1 = state2 = None
    for t in range(6):
        spk1, state1 = lif_discrete.step(net.fc1(x.flatten(1)), state1, params)
        spk2, state2 = lif_discrete.step(net.fc2(spk1), state2, params)
        torch.testing.assert_close(rec.mem_out[t], state2.mem, rtol=1e-5, atol=1e-6)
        assert torch.equal(rec.spk_hidden[t], spk1)


# ------------------------------------------------------------------ training


@pytest.fixture(scope="module")
def small_mnist():
    images, labels = as_tensors(mnist(train=True, verbose=False))
    test_images, test_labels = as_tensors(mnist(train=False, verbose=False))
    # a seeded random sample, which mixes every class
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))[:1500]
    pick_test = torch.randperm(len(test_labels), generator=torch.Generator().manual_seed(1))[:500]
    return (images[pick], labels[pick]), (test_images[pick_test], test_labels[pick_test])


def test_short_training_reduces_loss_and_beats_chance(small_mnist):
    train_data, test_data = small_mnist
    recipe = bptt.Recipe(epochs=3, batch_size=100, lr=2e-3, schedule="onecycle", loss="ce_mean_membrane",
                         num_steps=8)
    model = bptt.build_network("scratch", num_steps=8, seed=0)
    before = training.evaluate(model, test_data, readout=bptt.class_scores)
    history = bptt.train(model, train_data, test_data, recipe, progress=False)
    assert len(history.batch_loss) == 45 and len(history.test_accuracy) == 3
    first, last = sum(history.batch_loss[:5]) / 5, sum(history.batch_loss[-5:]) / 5
    assert last < 0.5 * first, (first, last)
    assert history.test_accuracy[-1] > 0.75, history.test_accuracy  # chance is 0.10
    assert history.test_accuracy[-1] > before + 0.4
    assert history.test_accuracy[-1] == pytest.approx(training.evaluate(model, test_data, readout=bptt.class_scores))
    assert history.train_seconds > 0


def test_training_is_deterministic_for_a_seed(small_mnist):
    train_data, _ = small_mnist
    data = (train_data[0][:300], train_data[1][:300])
    losses = []
    for _ in range(2):
        model = bptt.build_network("scratch", num_steps=4, slope=bptt.LESSON_RECIPE.slope, seed=3)
        losses.append(bptt.train(model, data, recipe=bptt.LESSON_RECIPE, epochs=1, num_steps=4, batch_size=100,
                                 progress=False).batch_loss)
    assert losses[0] == losses[1]


def test_article_recipe_with_rate_coding_learns(small_mnist):
    pytest.importorskip("snnlesson.encoding")
    train_data, test_data = small_mnist
    model = bptt.build_network("snntorch", num_steps=8, seed=0)
    history = bptt.train(model, train_data, test_data, bptt.ARTICLE_RECIPE, num_steps=8, lr=2e-3,
                         batch_size=100, encoding="rate", progress=False)
    assert history.batch_loss[-1] < history.batch_loss[0]
    assert history.test_accuracy[-1] > 0.7, history.test_accuracy  # chance is 0.10


def test_shift_digits_moves_each_digit_whole_within_the_range():
    """Independent reference: torch.roll of the digit, which equals a shift where the digit stays clear of
    the border (the digits here sit in the middle, with 4 empty pixels on every side)."""
    gen = torch.Generator().manual_seed(0)
    images = torch.zeros(200, 1, 28, 28)
    images[:, 0, 4:24, 4:24] = torch.rand(200, 20, 20, generator=gen)
    for s in (1, 3):
        moved = bptt.shift_digits(images, s, gen)
        assert moved.shape == images.shape
        shifts = []
        for digit, after in zip(images, moved):
            match = [(dy, dx) for dy in range(-s, s + 1) for dx in range(-s, s + 1)
                     if torch.equal(torch.roll(digit, (dy, dx), dims=(1, 2)), after)]
            assert len(match) == 1, match
            shifts.extend(match)
        # every shift in -s..s turns up (200 digits, (2s + 1)^2 = 9 or 49 shifts), none outside
        assert {d for pair in shifts for d in pair} == set(range(-s, s + 1))
    # pixels moved past the border are lost, the uncovered ones are 0 (no wrap-around)
    # (an image of ones keeps 28 x 28, 27 x 28 or 27 x 27 of them: unmoved, moved along one axis or both)
    ones = torch.ones(100, 1, 28, 28)
    assert set(bptt.shift_digits(ones, 1, gen).sum((1, 2, 3)).tolist()) == {784.0, 756.0, 729.0}
    # flat digits keep their shape; 0 px returns the digits themselves; the generator fixes the draw
    flat = images.reshape(200, 784)
    assert bptt.shift_digits(flat, 1, torch.Generator().manual_seed(5)).shape == (200, 784)
    assert bptt.shift_digits(images, 0, gen) is images
    assert torch.equal(bptt.shift_digits(images, 2, torch.Generator().manual_seed(7)),
                       bptt.shift_digits(images, 2, torch.Generator().manual_seed(7)))


def test_shift_digits_rejects_bad_input():
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="images must have shape"):
        bptt.shift_digits(torch.rand(3, 1, 27, 27), 1, gen)
    with pytest.raises(ValueError, match="max_shift_px"):
        bptt.shift_digits(torch.rand(3, 784), 28, gen)
    with pytest.raises(TypeError, match="max_shift_px"):
        bptt.shift_digits(torch.rand(3, 784), 1.5, gen)
    with pytest.raises(TypeError, match="generator"):
        bptt.shift_digits(torch.rand(3, 784), 1, 0)
    with pytest.raises(ValueError, match="images"):
        bptt.shift_digits(torch.full((3, 784), float("nan")), 1, gen)


def test_training_shifts_the_training_digits_only(small_mnist, monkeypatch):
    """With shift_px the training batches are moved (and the draw follows the seed); evaluation never is."""
    seen = []
    real = bptt.shift_digits
    monkeypatch.setattr(bptt, "shift_digits", lambda images, s, g: seen.append((len(images), s)) or real(images, s, g))
    train_data, test_data = small_mnist
    model = bptt.build_network("scratch", num_steps=3, slope=bptt.LESSON_RECIPE.slope, seed=0)
    bptt.train(model, (train_data[0][:256], train_data[1][:256]), (test_data[0][:100], test_data[1][:100]),
               recipe=bptt.LESSON_RECIPE, num_steps=3, epochs=1, batch_size=128, progress=False)
    assert seen == [(128, 1), (128, 1)]          # the two training batches, not the 100 test digits
    seen.clear()
    bptt.train(model, (train_data[0][:256], train_data[1][:256]), recipe=bptt.ARTICLE_RECIPE, num_steps=3,
               slope=bptt.LESSON_RECIPE.slope, epochs=1, progress=False)
    assert seen == []


def test_encode_input_rate_is_time_first_spikes():
    pytest.importorskip("snnlesson.encoding")
    images = torch.rand(4, 1, 28, 28)
    x, time_first = bptt.encode_input(images, "rate", 7, torch.Generator().manual_seed(0))
    assert time_first and x.shape == (7, 4, 1, 28, 28)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    x2, tf2 = bptt.encode_input(images, "direct", 7)
    assert x2 is images and not tf2


def test_max_seconds_stops_training_early(small_mnist):
    train_data, _ = small_mnist
    model = bptt.build_network("scratch", num_steps=4, slope=bptt.LESSON_RECIPE.slope, seed=0)
    history = bptt.train(model, train_data, recipe=bptt.LESSON_RECIPE, num_steps=4, epochs=3,
                         batch_size=50, progress=False, max_seconds=1e-6)
    assert len(history.batch_loss) == 1 and len(history.train_accuracy) == 1


# ------------------------------------------------------------------ checkpoints


def test_checkpoint_round_trip(tmp_path, small_mnist):
    train_data, test_data = small_mnist
    model = bptt.build_network("snntorch", num_steps=5, beta=0.9, slope=12.0, seed=2)
    history = bptt.train(model, (train_data[0][:200], train_data[1][:200]), recipe=bptt.LESSON_RECIPE,
                         epochs=1, num_steps=5, beta=0.9, slope=12.0, batch_size=100, progress=False)
    path = tmp_path / "snn.pt"
    training.save_checkpoint(model, path, kind="bptt", config=model.config(), history=history)
    loaded, loaded_history = training.load_checkpoint(path, lambda config: bptt.build_network(**config), kind="bptt")
    assert type(loaded) is type(model) and loaded.config() == model.config()
    for (name, p), (_, q) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(p, q), name
    x = test_data[0][:20]
    assert torch.equal(model(x).mem_out, loaded(x).mem_out)
    assert loaded_history.batch_loss == history.batch_loss
    assert loaded_history.settings["recipe"] == history.settings["recipe"]
    assert history.settings["recipe"]["num_steps"] == 5


class NotAllowed:
    """An arbitrary class: unpickling it would mean running code chosen by the file."""


def _load(path):
    return training.load_checkpoint(path, lambda config: bptt.build_network(**config), kind="bptt")


def test_load_checkpoint_uses_weights_only(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "snnlesson.checkpoint/1", "config": NotAllowed()}, path)
    with pytest.raises(ValueError, match="Python objects other than weights"):
        _load(path)
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a snnlesson checkpoint"):
        _load(tmp_path / "other.pt")


def test_load_checkpoint_refuses_a_checkpoint_of_another_network(tmp_path):
    path = tmp_path / "linear.pt"
    training.save_checkpoint(torch.nn.Linear(3, 2), path, kind="other", config={})
    with pytest.raises(ValueError, match="'other' checkpoint, expected 'bptt'"):
        _load(path)


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "torch"}, "kind"),
    ({"beta": 1.5}, "beta"),
    ({"beta": -0.1}, "beta"),
    ({"num_steps": 0}, "num_steps"),
    ({"threshold": 0.0}, "threshold"),
    ({"slope": -2.0}, "slope"),
    ({"num_hidden": 0}, "num_hidden"),
])
def test_build_network_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bptt.build_network(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": 0.0}, "lr"), ({"epochs": 0}, "epochs"), ({"batch_size": -1}, "batch_size"),
    ({"schedule": "cosine"}, "schedule"), ({"loss": "mse"}, "loss"), ({"encoding": "latency"}, "encoding"),
    ({"weight_decay": -1.0}, "weight_decay"), ({"lr": float("nan")}, "lr"),
    ({"shift_px": -1}, "shift_px"), ({"shift_px": 28}, "shift_px"),
])
def test_recipe_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bptt.Recipe(**kwargs)


def test_train_and_forward_reject_bad_input():
    model = bptt.build_network("scratch", num_steps=3, slope=bptt.LESSON_RECIPE.slope, seed=0)
    images, labels = torch.rand(10, 1, 28, 28), torch.randint(0, 10, (10,))
    with pytest.raises(ValueError, match="unknown recipe field"):
        bptt.train(model, (images, labels), num_step=3)
    with pytest.raises(ValueError, match="disagree"):
        bptt.train(model, (images, labels), progress=False)  # the lesson recipe has 8 steps
    with pytest.raises(ValueError, match="epochs"):
        bptt.train(model, (images, labels), num_steps=3, epochs=0)
    bad = images.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        bptt.train(model, (bad, labels), num_steps=3, progress=False)
    with pytest.raises(ValueError, match="labels"):
        training.evaluate(model, (images, labels[:5]), readout=bptt.class_scores)
    with pytest.raises(ValueError, match="shape"):
        model(torch.rand(4, 100))
    with pytest.raises(ValueError, match="num_steps=3"):
        model(torch.rand(5, 4, 784), time_first=True)
    with pytest.raises(ValueError, match="readout"):
        bptt.class_scores(model(images), readout="votes")
    with pytest.raises(TypeError, match="model"):
        bptt.train(torch.nn.Linear(784, 10), (images, labels))
    with pytest.raises(ValueError, match="digits 0..9"):  # an IndexError inside the loss before
        bptt.train(model, (images, labels + 5), num_steps=3, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        model(torch.full((2, 784), float("nan")))


# ------------------------------------------------------------------ checker and benchmark


def test_checker_accepts_the_formula_and_explains_mistakes():
    assert l05_bptt.check_fast_sigmoid_derivative(lambda x, k: 1 / (1 + k * x.abs()) ** 2)
    cases = {
        "square": lambda x, k: 1 / (1 + k * x.abs()),
        "multiply by the slope": lambda x, k: k / (1 + k * x.abs()) ** 2,
        "absolute value": lambda x, k: 1 / (1 + k * x) ** 2,
        "forward pass": lambda x, k: (x > 0).float(),
        "raised ZeroDivisionError": lambda x, k: 1 / 0,
    }
    for hint, wrong in cases.items():
        result = l05_bptt.check_fast_sigmoid_derivative(wrong)
        assert not result and hint in result.message, (hint, result.message)


def test_checker_calls_a_tuple_answer_wrong_not_unattempted():
    """A function returning ``(derivative, None)`` (as a backward pass would) was taken for the stub
    ("Not attempted yet"); it is a wrong answer with its own message."""
    result = l05_bptt.check_fast_sigmoid_derivative(lambda x, k: (1 / (1 + k * x.abs()) ** 2, None))
    assert not result and result.attempted
    assert repr(result).startswith("Not yet: ") and "one tensor shaped like x" in result.message


def test_checker_tests_far_from_the_threshold():
    """Answers wrong only for |x| > 2.5 used to pass (the checker's points stopped at |x| = 2); the
    reference here is the formula 1/(1 + k|x|)^2 itself."""
    def cut_off(x, k):
        return torch.where(x.abs() < 2.5, 1 / (1 + k * x.abs()) ** 2, torch.zeros_like(x))

    def clipped(x, k):
        return 1 / (1 + k * x.abs().clamp(max=2.5)) ** 2

    for wrong in (cut_off, clipped):
        result = l05_bptt.check_fast_sigmoid_derivative(wrong)
        assert not result and result.attempted and "|x| > 2.5" in result.message, result.message
    # the right answer in float32 and in float64 is still Correct!
    assert l05_bptt.check_fast_sigmoid_derivative(lambda x, k: (1 + k * x.double().abs()) ** -2)
    stub = l05_bptt.check_fast_sigmoid_derivative(lambda x, k: None)
    assert not stub and not stub.attempted and "`<lambda>` returns nothing yet" in stub.message


def test_bench_reports_the_required_fields(monkeypatch):
    monkeypatch.setenv("SNNLESSON_MNIST_SOURCE", "offline")
    monkeypatch.setenv("SNNLESSON_BPTT_EPOCHS", "1")
    monkeypatch.setenv("SNNLESSON_BPTT_SEEDS", "0,1")
    monkeypatch.setenv("SNNLESSON_THREADS", "1")
    result = bptt.bench()
    for key in ("dataset", "epochs", "seeds", "runs", "train_seconds", "cpu_seconds", "test_accuracy",
                "torch_threads", "device"):
        assert key in result, key
    assert result["dataset"] == "mnist-5k" and result["epochs"] == 1 and result["seeds"] == [0, 1]
    assert result["torch_threads"] == 1
    accuracies = [run["test_accuracy"] for run in result["runs"]]
    # the seeds train differently (on 1,000 test digits two seeds can tie on the test accuracy alone)
    outcomes = [(run["test_accuracy"], run["train_accuracy_last_epoch"]) for run in result["runs"]]
    assert [run["seed"] for run in result["runs"]] == [0, 1] and outcomes[0] != outcomes[1]
    assert all(0.6 < a <= 1.0 for a in accuracies)
    assert result["test_accuracy"]["mean"] == pytest.approx(sum(accuracies) / 2, abs=1e-4)
    assert all(math.isfinite(run["train_seconds"]) and run["cpu_seconds"] > 0 for run in result["runs"])
    monkeypatch.setenv("SNNLESSON_BPTT_SEEDS", "one")
    with pytest.raises(ValueError, match="SNNLESSON_BPTT_SEEDS"):
        bptt.bench()
    monkeypatch.setenv("SNNLESSON_BPTT_SEEDS", "0")
    monkeypatch.setenv("SNNLESSON_BPTT_RECIPE", "fancy")
    with pytest.raises(ValueError, match="SNNLESSON_BPTT_RECIPE"):
        bptt.bench()


def test_set_neuron_parameters_changes_both_networks_alike():
    x = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(3)) * 3
    nets = [bptt.build_network(kind, num_steps=8, seed=1) for kind in ("snntorch", "scratch")]
    before = nets[0](x, record_hidden=True).spk_hidden.sum()
    for net in nets:
        net.set_neuron_parameters(beta=0.8, threshold=2.0)
    a, b = (net(x, record_hidden=True) for net in nets)
    assert torch.equal(a.mem_out, b.mem_out) and torch.equal(a.spk_hidden, b.spk_hidden)
    assert a.spk_hidden.sum() < before  # a higher threshold and a faster leak: fewer spikes
    with pytest.raises(ValueError, match="beta"):
        nets[0].set_neuron_parameters(beta=2.0, threshold=1.0)


# ------------------------------------------------------------------ the non-spiking baseline


def test_build_mlp_is_a_relu_network_of_the_same_size():
    mlp = bptt.build_mlp(num_hidden=20, seed=3)
    snn = bptt.build_network("scratch", num_hidden=20, seed=3)
    # the same layer sizes, and the same seed draws the same initial weights as the spiking network
    assert torch.equal(mlp[1].weight, snn.fc1.weight) and torch.equal(mlp[3].weight, snn.fc2.weight)
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    by_hand = torch.relu(x.flatten(1) @ snn.fc1.weight.T + snn.fc1.bias) @ snn.fc2.weight.T + snn.fc2.bias
    torch.testing.assert_close(mlp(x), by_hand)
    assert not torch.equal(bptt.build_mlp(num_hidden=20, seed=4)[1].weight, mlp[1].weight)
    with pytest.raises(ValueError, match="num_hidden"):
        bptt.build_mlp(num_hidden=0)
