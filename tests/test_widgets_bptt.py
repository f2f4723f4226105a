"""Explorer tests for lesson 05: moving a slider changes the plotted data to the right values."""

import numpy as np
import pytest
import torch

from snnlesson import bptt
from snnlesson.widgets.bptt import network_explorer, surrogate_explorer


def test_surrogate_explorer_redraws_the_derivative_for_the_slope():
    explorer = surrogate_explorer(slope=25.0)
    deriv = explorer.fig.axes[1].lines[-1]
    x = np.asarray(deriv.get_xdata())
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 25.0 * np.abs(x)) ** 2, rtol=1e-6)
    explorer.controls["slope"].value = 4.0
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 4.0 * np.abs(x)) ** 2, rtol=1e-6)
    assert "k = 4" in explorer.status.value
    assert explorer.last_update_seconds < 1.0
    with pytest.raises(ValueError, match="slope"):
        surrogate_explorer(slope=0.0)


@pytest.fixture
def small_network():
    model = bptt.build_network("scratch", num_steps=6, num_hidden=50, seed=0)
    with torch.no_grad():
        model.fc1.weight.mul_(4.0)  # make the untrained hidden layer spike
    gen = torch.Generator().manual_seed(0)
    images, labels = torch.rand(12, 1, 28, 28, generator=gen), torch.randint(0, 10, (12,), generator=gen)
    return model, images, labels


def test_network_explorer_follows_digit_beta_and_threshold(small_network):
    model, images, labels = small_network
    explorer = network_explorer(model, images, labels)
    mem_lines = explorer.fig.axes[1].lines[:10]
    hidden = explorer.fig.axes[2].collections[0]
    reference = model(images, record_hidden=True)
    np.testing.assert_allclose(mem_lines[3].get_ydata(), reference.mem_out[:, 0, 3].detach(), rtol=1e-5, atol=1e-6)
    assert len(hidden.get_offsets()) == int(reference.spk_hidden[:, 0].sum())

    explorer.controls["index"].value = 5
    np.testing.assert_allclose(mem_lines[3].get_ydata(), reference.mem_out[:, 5, 3].detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(explorer.fig.axes[0].images[0].get_array(), images[5, 0].numpy())
    assert f"label {int(labels[5])}" in explorer.status.value

    explorer.controls["threshold"].value = 2.0
    explorer.controls["beta"].value = 0.8
    changed = bptt.build_network("scratch", num_steps=6, num_hidden=50, beta=0.8, threshold=2.0, seed=None)
    changed.load_state_dict(model.state_dict())
    expected = changed(images, record_hidden=True)
    np.testing.assert_allclose(mem_lines[3].get_ydata(), expected.mem_out[:, 5, 3].detach(), rtol=1e-5, atol=1e-6)
    assert len(hidden.get_offsets()) == int(expected.spk_hidden[:, 5].sum())
    accuracy = float((expected.mem_out.mean(0).argmax(1) == labels).float().mean())
    assert f"accuracy {100 * accuracy:.1f}%" in explorer.status.value
    assert model.beta == 0.95 and model.threshold == 1.0  # the explorer works on a copy
    assert repr(explorer) == "Explorer(controls=['index', 'beta', 'threshold'])"


def test_network_explorer_rejects_bad_arguments(small_network):
    model, images, labels = small_network
    with pytest.raises(ValueError, match="index"):
        network_explorer(model, images, labels, index=12)
    with pytest.raises(ValueError, match="labels"):
        network_explorer(model, images, labels[:3])
    with pytest.raises(TypeError, match="model"):
        network_explorer(torch.nn.Linear(784, 10), images, labels)
