"""Lesson 05's explorers and figures: moving a slider changes the plotted data to the right values."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import bptt  # noqa: E402
from snnlesson.lessons.l05_bptt import dead_gradient, network_explorer, surrogate_explorer, unrolled_graph  # noqa: E402


def test_surrogate_explorer_redraws_the_derivative_for_the_slope():
    ex = surrogate_explorer(slope=25.0)
    smooth, deriv = ex.fig.axes[0].lines[1], ex.fig.axes[1].lines[1]
    x = np.asarray(deriv.get_xdata())
    # the fast sigmoid's derivative, written out here (Zenke & Ganguli 2018; snntorch's fast_sigmoid)
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 25.0 * np.abs(x)) ** 2, rtol=1e-6)
    ylim = ex.fig.axes[1].get_ylim()
    ex.controls["slope"].value = 4.0
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 4.0 * np.abs(x)) ** 2, rtol=1e-6)
    np.testing.assert_allclose(smooth.get_ydata(), 0.5 + 0.5 * 4 * x / (1 + 4 * np.abs(x)), rtol=1e-6, atol=1e-7)
    half = ex.fig.axes[1].lines[2].get_xdata()[3]
    assert 1 / (1 + 4.0 * half) ** 2 == pytest.approx(0.5)
    assert ex.fig.axes[1].get_ylim() == ylim
    assert "k = 4" in ex.status.value and "slope k = 4" in ex.fig.texts[0].get_text()
    with pytest.raises(ValueError, match="slope"):
        surrogate_explorer(slope=0.0)
    with pytest.raises(ValueError, match="slope must lie"):
        surrogate_explorer(slope=1000.0)
    plt.close(ex.fig)


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
    ex = network_explorer(model, images, labels)
    ax_img, ax_mem, ax_hid, ax_out = ex.fig.axes
    mem_lines = ax_mem.lines[:10]
    hidden = ax_hid.collections[0]
    reference = model(images, record_hidden=True)  # the model itself, run by the test
    np.testing.assert_allclose(mem_lines[3].get_ydata(), reference.mem_out[:, 0, 3].detach(), rtol=1e-5, atol=1e-6)
    assert len(hidden.get_offsets()) == int(reference.spk_hidden[:, 0].sum()) > 0
    ylim = ax_mem.get_ylim()

    ex.controls["index"].value = 5
    np.testing.assert_allclose(mem_lines[3].get_ydata(), reference.mem_out[:, 5, 3].detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ax_img.images[0].get_array(), images[5, 0].numpy())
    assert f"label {int(labels[5])}" in ex.status.value and f"label {int(labels[5])}" in ax_img.get_title()

    ex.controls["threshold"].value = 2.0
    ex.controls["beta"].value = 0.8
    changed = bptt.build_network("scratch", num_steps=6, num_hidden=50, beta=0.8, threshold=2.0, seed=None)
    changed.load_state_dict(model.state_dict())
    expected = changed(images, record_hidden=True)
    np.testing.assert_allclose(mem_lines[3].get_ydata(), expected.mem_out[:, 5, 3].detach(), rtol=1e-5, atol=1e-6)
    assert len(hidden.get_offsets()) == int(expected.spk_hidden[:, 5].sum())
    assert list(ax_mem.lines[10].get_ydata()) == [2.0, 2.0]  # the threshold line moved ...
    assert ax_mem.get_ylim() == ylim                          # ... on fixed axes
    accuracy = float((expected.mem_out.mean(0).argmax(1) == labels).float().mean())
    assert f"accuracy {100 * accuracy:.1f}%" in ex.status.value
    assert f"accuracy {100 * accuracy:.1f}% on these 12 digits" in ex.fig.texts[0].get_text()
    assert model.beta == 0.95 and model.threshold == 1.0  # the explorer works on a copy
    assert repr(ex) == "Explorer(controls=['index', 'beta', 'threshold'])"
    labels_shown = [t.get_text() for t in ax_mem.get_legend().get_texts()]
    assert labels_shown == [f"digit {d}" for d in range(10)] + ["threshold"]
    plt.close(ex.fig)


def test_network_explorer_rejects_bad_arguments(small_network):
    model, images, labels = small_network
    with pytest.raises(ValueError, match="index"):
        network_explorer(model, images, labels, index=12)
    with pytest.raises(ValueError, match="labels"):
        network_explorer(model, images, labels[:3])
    with pytest.raises(TypeError, match="model"):
        network_explorer(torch.nn.Linear(784, 10), images, labels)
    with pytest.raises(ValueError, match="readout"):
        network_explorer(model, images, labels, readout="votes")
    model.set_neuron_parameters(0.95, 5.0)
    with pytest.raises(ValueError, match="model.threshold must lie"):
        network_explorer(model, images, labels)


def test_lesson_figures():
    ax = unrolled_graph(3)
    assert "U[3]" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="num_steps"):
        unrolled_graph(9)
    ax_c, ax_g = dead_gradient(np.array([0.0, 0.5, 1.0]), np.array([0, 0, 1]), np.array([0.1, 0.5, 0.2]))
    np.testing.assert_array_equal(ax_g.lines[0].get_ydata(), [0.0, 2.0])  # finite differences of the staircase
    with pytest.raises(ValueError, match="weights"):
        dead_gradient(np.zeros(3), np.zeros(2), np.zeros(3))
    plt.close("all")
