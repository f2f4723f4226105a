"""Tests of snnlesson.cost: counting, energy arithmetic, simulation, quantisation and the shipped results.

Independent references: operation counts counted by hand on small rasters; energies computed by
hand from Horowitz's (2014) per-operation figures; the simulation against the network's own
forward pass (snntorch-equal, tested in test_bptt); quantisation against its defining bounds;
the shipped results against a re-run of the code that made them.
"""

import numpy as np
import pytest
import torch

from snnlesson import bptt, cost


def test_synops_hand_counted():
    """3 steps, 2 digits, 4 inputs, 5 outputs: digit 0 has 1 + 2 + 0 spikes, digit 1 has 4 + 0 + 1."""
    spikes = torch.tensor([[[1, 0, 0, 0], [1, 1, 1, 1]],
                           [[0, 1, 1, 0], [0, 0, 0, 0]],
                           [[0, 0, 0, 0], [0, 0, 1, 0]]], dtype=torch.float32)
    weight = torch.zeros(5, 4)
    per_step = cost.synops(spikes, weight)
    assert per_step.tolist() == [[5, 20], [10, 0], [0, 5]]
    assert per_step.sum(0).tolist() == [15, 25]
    assert cost.synops(spikes.bool(), torch.nn.Linear(4, 5)).sum().item() == 40
    assert cost.synops(spikes, (5, 4)).sum().item() == 40


def test_dense_macs():
    assert cost.dense_macs(torch.zeros(10, 784)) == 7840
    assert cost.dense_macs(torch.nn.Linear(100, 10), num_inputs=25) == 25_000


@pytest.mark.parametrize("spikes, weight, match", [
    (torch.full((2, 1, 4), 0.5), torch.zeros(3, 4), "spikes"),
    (torch.ones(2, 1, 3), torch.zeros(3, 4), "n_in"),
    (torch.ones(2, 4), torch.zeros(3, 4), "time-first"),
    (torch.ones(2, 1, 4), "weights", "weight"),
])
def test_synops_refuses_bad_input(spikes, weight, match):
    with pytest.raises((TypeError, ValueError), match=match):
        cost.synops(spikes, weight)


def test_energy_arithmetic():
    """Horowitz (2014), 45 nm: float32 MAC 4.6 pJ, add 0.9 pJ; int8 MAC 0.2 pJ, add 0.03 pJ."""
    assert cost.energy_pj(macs=1000, synops=2000) == pytest.approx(1000 * 4.6 + 2000 * 0.9)
    assert cost.energy_pj(macs=1000, synops=2000, precision="int8") == pytest.approx(200 + 60)
    assert cost.energy_pj(synops=1) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="precision"):
        cost.energy_pj(1, 1, "float16")
    with pytest.raises(ValueError, match="macs"):
        cost.energy_pj(-1, 0)


def _small_net(seed=0):
    model = bptt.build_network("scratch", num_steps=6, num_hidden=30, seed=seed)
    with torch.no_grad():
        model.fc1.weight.mul_(6.0)
        model.fc2.weight.mul_(3.0)
    images = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    return model, images


def test_network_counts_by_hand():
    model, images = _small_net()
    record = model(images, record_hidden=True)
    counts = cost.network_counts(model, images)
    assert counts["fc1"].kind == "MAC" and counts["fc1"].per_example == 784 * 30
    assert counts["fc1"].per_step.tolist() == [784 * 30] + [0] * 5
    hidden_spikes = record.spk_hidden.detach().sum().item() / len(images)
    assert counts["fc2"].kind == "SynOp"
    assert counts["fc2"].per_example == pytest.approx(10 * hidden_spikes)
    assert counts["fc2"].per_step.sum() == pytest.approx(10 * hidden_spikes)


def test_simulate_equals_the_network():
    """With the model's own settings simulate() is the network's forward pass, spike for spike."""
    model, images = _small_net()
    ours, theirs = cost.simulate(model, images), model(images, record_hidden=True)
    assert torch.equal(ours.spk_hidden, theirs.spk_hidden) and torch.equal(ours.spk_out, theirs.spk_out)
    assert torch.allclose(ours.mem_out, theirs.mem_out)
    zero = cost.simulate(model, images, reset="zero")
    assert not torch.equal(zero.spk_hidden, ours.spk_hidden)
    with pytest.raises(ValueError, match="reset"):
        cost.simulate(model, images, reset="none")


def test_spike_penalty_loss():
    model, images = _small_net()
    labels = torch.arange(8) % 10
    record = model(images, record_hidden=True)
    base = bptt.recipe_loss(record, labels, "ce_mean_membrane")
    assert cost.spike_penalty_loss(record, labels, 0.0).item() == pytest.approx(base.item())
    rate = record.spk_hidden.mean().item()
    assert cost.spike_penalty_loss(record, labels, 2.0).item() == pytest.approx(base.item() + 2 * rate, rel=1e-6)
    with pytest.raises(ValueError, match="hidden"):
        cost.spike_penalty_loss(model(images), labels, 1.0)


@pytest.mark.parametrize("bits", [2, 4, 8, 16])
def test_quantize_round_trip(bits):
    """q * s is within s/2 of w; q uses at most 2^(b-1)-1 levels each side; the largest weight is exact."""
    w = torch.randn(50, 20, generator=torch.Generator().manual_seed(bits))
    q, s = cost.quantize(w, bits)
    levels = 2 ** (bits - 1) - 1
    assert q.dtype == torch.int32 and int(q.abs().max()) == levels
    assert s == pytest.approx(float(w.abs().max()) / levels)
    assert float((q.double() * s - w.double()).abs().max()) <= s / 2 + 1e-12
    assert cost.quantize(torch.zeros(3), bits)[1] == 1.0
    with pytest.raises(ValueError, match="bits"):
        cost.quantize(w, 1)


def test_quantize_network_is_the_integer_network():
    """The copy (q s, threshold 1) spikes like the integer layer (q, threshold 1/s): same membrane / s."""
    model, images = _small_net()
    copy, info = cost.quantize_network(model, 8)
    s = info["fc1"]["scale"]
    current_int = images.flatten(1) @ info["fc1"]["weight_int"].T.float() + torch.round(model.fc1.bias / s)
    from snnlesson import lif_discrete
    spk_int, _ = lif_discrete.run(current_int.double(), lif_discrete.LIFDiscreteParams(
        model.beta, info["fc1"]["threshold_int"]), num_steps=model.num_steps)
    assert torch.equal(spk_int.float(), copy(images, record_hidden=True).spk_hidden.detach())
    unique = torch.unique(copy.fc2.weight.detach() / info["fc2"]["scale"])
    assert torch.allclose(unique, torch.round(unique), atol=1e-4) and len(unique) <= 255
    agree = (copy(images).mem_out.mean(0).argmax(1) == model(images).mem_out.mean(0).argmax(1)).float().mean()
    assert agree >= 0.75
    assert torch.equal(model.fc1.weight, _small_net()[0].fc1.weight)   # the original is untouched


def test_shipped_results_are_small_and_complete():
    assert cost.NETWORK_NPZ.stat().st_size < 400_000 and cost.RESULTS_JSON.stat().st_size < 200_000
    results = cost.load_results()
    assert {(g["penalty"], g["num_steps"]) for g in results["grid"]} == {
        (p, s) for p in cost.PENALTIES for s in cost.STEP_COUNTS}
    for g in results["grid"]:
        assert np.asarray(g["raster"]).shape == (g["num_steps"], cost.COST_NETWORK["num_hidden"])
        assert len(g["fc2_synops_per_step"]) == g["num_steps"]


def test_shipped_network_reproduces_its_results():
    """The weights in cost_network.npz give the stored accuracy and counts of grid point (0, 10 steps)."""
    train_set, test_set = cost._offline_mnist()
    images, labels = bptt.mnist_tensors(test_set)
    stored = next(g for g in cost.load_results()["grid"] if (g["penalty"], g["num_steps"]) == (0.0, 10))
    summary = cost._summary(cost.load_network(), images, labels)
    assert summary["test_accuracy"] == pytest.approx(stored["test_accuracy"], abs=0.002)
    assert summary["fc2_synops_per_digit"] == pytest.approx(stored["fc2_synops_per_digit"], rel=0.01)


def test_precompute_piece_reproduces():
    """Re-running the short piece _precompute() also ran (penalty 4, 5 steps, 1 epoch, 512 digits, seed 0)
    gives its stored numbers: the code that made the shipped results is deterministic for its seed."""
    piece = cost.load_results()["reproducibility_piece"]
    train_set, test_set = cost._offline_mnist()
    _, again = cost._train_grid_point(piece["penalty"], piece["num_steps"], train_set, test_set,
                                     epochs=piece["epochs"], num_train=piece["num_train"])
    assert again["test_accuracy"] == pytest.approx(piece["test_accuracy"], abs=0.01)
    assert again["hidden_spikes_per_digit"] == pytest.approx(piece["hidden_spikes_per_digit"], rel=0.05)
