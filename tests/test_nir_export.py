"""Tests of snnlesson.nir_export: the discrete-to-continuous neuron mapping and the NIR round trip.

Independent references: the mapping against the closed-form RC-circuit step (lesson 01's exact
solution and its forward-Euler step, computed here by hand); the exported graph read back with
``nir.read`` and run by snnTorch's own importer (``snntorch.import_nir.import_from_nir``), whose
spikes are compared with a network whose spike times are counted by hand below.
"""

import math

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir")
pytest.importorskip("nirtorch")

from snnlesson import bptt, cost, nir_export  # noqa: E402


@pytest.mark.parametrize("method", nir_export.METHODS)
@pytest.mark.parametrize("beta", [0.5, 0.9, 0.95, 0.999])
def test_lif_to_nir_inverts(method, beta):
    """nir_to_lif(lif_to_nir(beta)) gives beta back with input gain 1, for both discretisations."""
    p = nir_export.lif_to_nir(beta, 1.3, 1e-3, method)
    back, gain = nir_export.nir_to_lif(p["tau"], p["r"], 1e-3, method)
    assert back == pytest.approx(beta, rel=1e-12)
    assert gain == pytest.approx(1.0, rel=1e-12)
    assert (p["v_threshold"], p["v_leak"], p["v_reset"]) == (1.3, 0.0, 0.0)


def test_mapping_matches_the_rc_circuit_step():
    """The exact mapping reproduces the RC circuit's closed-form step with the input held over
    the step, v(dt) = r I + (v0 - r I) exp(-dt/tau); Euler's reproduces v0 + dt/tau (-v0 + r I)."""
    beta, dt, v0, current = 0.95, 1e-3, 0.4, 0.07
    p = nir_export.lif_to_nir(beta, 1.0, dt, "exact")
    exact = p["r"] * current + (v0 - p["r"] * current) * math.exp(-dt / p["tau"])
    assert exact == pytest.approx(beta * v0 + current, rel=1e-12)
    q = nir_export.lif_to_nir(beta, 1.0, dt, "euler")
    euler = v0 + dt / q["tau"] * (-v0 + q["r"] * current)
    assert euler == pytest.approx(beta * v0 + current, rel=1e-12)
    assert p["tau"] == pytest.approx(-dt / math.log(beta)) and q["tau"] == pytest.approx(dt / (1 - beta))
    # a graph exported exactly, read by an Euler stepper: beta' = 1 + ln(beta), lesson 01's gap
    assert nir_export.nir_to_lif(p["tau"], p["r"], dt, "euler")[0] == pytest.approx(1 + math.log(beta))


@pytest.mark.parametrize("bad", [dict(beta=1.0), dict(beta=0.0), dict(dt=-1e-3), dict(threshold=0.0),
                                 dict(method="rk4"), dict(beta=float("nan"))])
def test_lif_to_nir_refuses_bad_values(bad):
    args = {"beta": 0.9, "threshold": 1.0, "dt": 1e-3, "method": "exact", **bad}
    with pytest.raises(ValueError, match=next(iter(bad))):
        nir_export.lif_to_nir(**args)


def test_to_nir_refuses_a_foreign_model():
    with pytest.raises(TypeError, match="model"):
        nir_export.to_nir(torch.nn.Linear(3, 2))


def _hand_network():
    """One hidden neuron driven by pixel 0 (weight 1), beta 0.5, threshold 1; output 3 gets it with weight 1.5."""
    model = bptt.build_network("scratch", num_steps=10, beta=0.5, num_hidden=1, seed=0)
    with torch.no_grad():
        for layer in (model.fc1, model.fc2):
            layer.weight.zero_()
            layer.bias.zero_()
        model.fc1.weight[0, 0] = 1.0
        model.fc2.weight[3, 0] = 1.5
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 0, 0] = 0.6
    return model, image


def _steps(spikes):
    return torch.nonzero(spikes.flatten(1).sum(1)).flatten().tolist()


def test_round_trip_through_snntorch_matches_hand_count(tmp_path):
    """Written with nir.write, read with nir.read, run by snnTorch: spike times counted by hand.

    Input 0.6 per step, beta 0.5: U = 0.6, 0.9, 1.05 (spike at step 2). NIR's reset to 0 starts
    over (spikes at 2, 5, 8); the course's reset by subtraction keeps 0.05: U = 0.125, 0.6625,
    0.93125, 1.065625 (spikes at 2 and 6). The output neuron (weight 1.5) fires with each hidden spike.
    """
    model, image = _hand_network()
    path = tmp_path / "hand.nir"
    nir.write(path, nir_export.to_nir(model, method="euler"))
    graph = nir.read(path)
    assert set(graph.nodes) >= {"fc1", "lif1", "fc2", "lif2"}
    imported = nir_export.run_snntorch(nir_export.import_snntorch(graph), image, 10)
    assert _steps(imported["spk_hidden"]) == [2, 5, 8]
    assert _steps(imported["spk_out"]) == [2, 5, 8]
    assert torch.nonzero(imported["spk_out"][2, 0]).flatten().tolist() == [3]
    ours = model(image, record_hidden=True)
    assert _steps(ours.spk_hidden) == [2, 6]
    zero = cost.simulate(model, image, reset="zero")
    assert _steps(zero.spk_hidden) == [2, 5, 8]


def _random_network():
    model = bptt.build_network("scratch", num_steps=10, num_hidden=60, seed=3)
    with torch.no_grad():
        model.fc1.weight.mul_(8.0)
        model.fc2.weight.mul_(3.0)
    images = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    return model, images


def test_euler_export_equals_zero_reset_network_exactly(tmp_path):
    """With the Euler mapping at snnTorch's step, snnTorch's network is ours with reset to zero:
    every spike equal (hidden and output); with our reset by subtraction it is not."""
    model, images = _random_network()
    nir.write(tmp_path / "n.nir", nir_export.to_nir(model, dt=nir_export.SNNTORCH_DT, method="euler"))
    imported = nir_export.run_snntorch(nir_export.import_snntorch(nir.read(tmp_path / "n.nir")), images, 10)
    zero = cost.simulate(model, images, reset="zero")
    agreement = nir_export.compare({"spk_hidden": zero.spk_hidden, "spk_out": zero.spk_out}, imported)
    assert agreement["hidden_spikes_equal"] == 1.0 and agreement["output_spikes_equal"] == 1.0
    assert agreement["predictions_equal"] == 1.0
    ours = model(images, record_hidden=True)
    differs = nir_export.compare({"spk_hidden": ours.spk_hidden, "spk_out": ours.spk_out}, imported)
    assert differs["hidden_spikes_equal"] < 1.0


def test_exact_export_read_by_euler_differs(tmp_path):
    """Exported with beta = exp(-dt/tau), snnTorch (Euler) runs beta' = 1 + ln(beta): some spikes move."""
    model, images = _random_network()
    imported = nir_export.run_snntorch(nir_export.import_snntorch(nir_export.to_nir(model, method="exact")),
                                       images, 10)
    zero = cost.simulate(model, images, reset="zero")
    agreement = nir_export.compare({"spk_hidden": zero.spk_hidden, "spk_out": zero.spk_out}, imported)
    assert 0.9 < agreement["hidden_spikes_equal"] < 1.0


def test_nir_file_keeps_the_weights(tmp_path):
    model, _ = _random_network()
    nir.write(tmp_path / "w.nir", nir_export.to_nir(model))
    graph = nir.read(tmp_path / "w.nir")
    np.testing.assert_array_equal(graph.nodes["fc1"].weight, model.fc1.weight.detach().numpy())
    np.testing.assert_array_equal(graph.nodes["fc2"].bias, model.fc2.bias.detach().numpy())
    assert np.allclose(graph.nodes["lif1"].tau, 1e-4 / (1 - model.beta))


def test_spike_predictions_break_ties_by_first_spike():
    spk = torch.zeros(4, 2, 3)
    spk[[1, 3], 0, 0] = 1    # example 0: neuron 0 twice (steps 1, 3), neuron 2 twice (steps 0, 2)
    spk[[0, 2], 0, 2] = 1
    spk[3, 1, 1] = 1          # example 1: one spike, neuron 1
    assert nir_export.spike_predictions(spk).tolist() == [2, 1]
