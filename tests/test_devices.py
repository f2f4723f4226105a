"""Every model's step runs on the device of its inputs, and its state is created there.

CPU always; CUDA where available (skipped otherwise). PyTorch's ``meta`` device (tensors
without data) is refused with a clear error: the steps check their inputs and states for NaN,
which needs data (issue 21), so a state created on the wrong device is caught on CUDA only.
"""

import pytest
import torch
from torch import nn

from snnlesson import bptt, hebbian, lif_discrete, surrogate, training
from snnlesson._validate import check_device

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
PURE_DEVICES = DEVICES


def same_device(tensor, device):
    return tensor.device.type == torch.device(device).type


@pytest.mark.parametrize("device", PURE_DEVICES)
@pytest.mark.parametrize("spike_fn", [lif_discrete.heaviside, surrogate.fast_sigmoid(), surrogate.atan()])
def test_lif_step_and_unroll_stay_on_the_inputs_device(device, spike_fn):
    x = torch.ones(5, 3, 4, device=device)
    params = lif_discrete.LIFDiscreteParams(beta=0.9, reset="zero")
    spk, state = lif_discrete.step(x[0], None, params, spike_fn)
    assert same_device(spk, device) and same_device(state.mem, device)
    spk, states = lif_discrete.unroll(lambda i, s: lif_discrete.step(i, s, params, spike_fn), x,
                                      record_states=True)
    assert spk.shape == (5, 3, 4) and same_device(spk, device) and same_device(states.mem, device)


def test_the_pure_steps_refuse_the_meta_device_by_name():
    params = lif_discrete.LIFDiscreteParams(beta=0.9, reset="zero")
    with pytest.raises(ValueError, match="x is on the 'meta' device"):
        lif_discrete.step(torch.ones(3, 4, device="meta"), None, params)
    with pytest.raises(ValueError, match="weights is on the 'meta' device"):
        hebbian.hebbian_layer_step(torch.ones(2, 6), None, torch.full((6, 3), 0.2, device="meta"),
                                   hebbian.HebbianParams())


@pytest.mark.parametrize("device", PURE_DEVICES)
def test_hebbian_step_and_update_stay_on_the_inputs_device(device):
    params = hebbian.HebbianParams()
    x = torch.ones(2, 6, device=device)
    weights = torch.full((6, 3), 0.2, device=device)
    spk, state = hebbian.hebbian_layer_step(x, None, weights, params)
    assert same_device(spk, device) and same_device(state.mem, device)
    assert same_device(hebbian.hebbian_update(weights, x, spk, params), device)


@pytest.mark.parametrize("device", DEVICES)
def test_layers_and_runs_on_the_inputs_device(device):
    inputs = torch.rand(6, 2, 4, generator=torch.Generator().manual_seed(0)).to(device) * 2
    spikes, membrane = lif_discrete.run_layer(lif_discrete.SpikingNeuronLayer(4), inputs)
    assert same_device(spikes, device) and same_device(membrane, device) and spikes.sum() > 0
    spk, mem = lif_discrete.run(inputs, lif_discrete.LIFDiscreteParams(beta=0.9))  # the layer's default
    assert torch.equal(spk, spikes)
    weights = hebbian.initial_weights(4, 3, generator=torch.Generator(device=device).manual_seed(1))
    assert same_device(weights, device)
    run = hebbian.run_hebbian(inputs, weights)  # created its state on the CPU before: failed on a GPU
    assert same_device(run.spikes, device) and same_device(run.weights, device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["scratch", "snntorch"])
def test_bptt_networks_train_and_predict_on_the_chosen_device(device, kind):
    model = bptt.build_network(kind, num_steps=3, num_hidden=20, slope=bptt.LESSON_RECIPE.slope, seed=0)
    images = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(16) % 10
    history = bptt.train(model, (images, labels), recipe=bptt.LESSON_RECIPE, num_steps=3, epochs=1,
                         batch_size=8, progress=False, device=device)
    assert history.device == str(torch.device(device))
    assert same_device(next(model.parameters()), device)
    record = model(images[:4].to(device), record_hidden=True)
    assert all(same_device(t, device) for t in record)
    predicted = training.predict(model, images, readout=bptt.class_scores)
    assert predicted.device.type == "cpu"  # predictions come back to the CPU


@pytest.mark.parametrize("device", DEVICES)
def test_generic_training_on_the_chosen_device(device):
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    data = (torch.randn(20, 3), torch.randint(0, 2, (20,)))
    training.train(model, data, loss_fn=nn.functional.cross_entropy, epochs=1, batch_size=5, progress=False,
                   device=device)
    assert same_device(model.weight, device)
    assert 0.0 <= training.evaluate(model, data, readout=lambda out: out) <= 1.0


def test_devices_that_do_not_exist_are_refused_clearly():
    assert check_device("device", "cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="not a device name"):
        check_device("device", "gpu")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(ValueError, match="device="):
        check_device("device", f"cuda:{count}" if count else "cuda")
    with pytest.raises(TypeError, match="device"):
        check_device("device", True)
    with pytest.raises(ValueError, match="device"):
        bptt.train(bptt.build_network(num_steps=2, num_hidden=4, slope=bptt.LESSON_RECIPE.slope),
                   (torch.rand(4, 784), torch.arange(4)),
                   num_steps=2, device="cuda:99", progress=False)
