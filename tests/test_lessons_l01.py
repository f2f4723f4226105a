"""Lesson 01's explorer: moving a slider changes the plotted data; the axes stay fixed."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlesson import lif  # noqa: E402
from snnlesson.lessons.l01_lif import candidate_input, lif_explorer, loglog_errors, thin_input  # noqa: E402


@pytest.fixture
def explorer():
    ex = lif_explorer(tau_m=0.05, weight=0.35, threshold=1.0, input_rate=60.0)
    yield ex
    plt.close(ex.fig)


def artists(explorer):
    ax = explorer.fig.axes[0]
    trace, threshold_line = ax.lines[0], ax.lines[1]
    inputs, spikes = ax.collections[0], ax.collections[1]
    return trace, threshold_line, inputs, spikes


def test_initial_trace_is_the_exact_simulation(explorer):
    trace, _, inputs, spikes = artists(explorer)
    spikes_in = thin_input(*candidate_input(1.0), 60.0)
    result = lif.simulate(lif.LIFParams(tau_m=0.05, threshold=1.0), 1.0, 5e-4, input_spikes=spikes_in, weights=0.35)
    np.testing.assert_array_equal(spikes.get_offsets()[:, 0], result.spike_times)
    np.testing.assert_array_equal(inputs.get_offsets()[:, 0], spikes_in)
    assert np.max(trace.get_ydata()) == pytest.approx(1.0)  # rises to threshold at the spikes
    assert len(result.spike_times) > 0
    assert explorer.fig.axes[0].get_title().startswith(f"{len(result.spike_times)} output spikes from "
                                                       f"{len(spikes_in)} input spikes")


def test_weight_slider_changes_trace_and_spikes(explorer):
    trace, _, _, spikes = artists(explorer)
    before_v = np.array(trace.get_ydata(), copy=True)
    before_spikes = len(spikes.get_offsets())
    explorer.controls["weight"].value = 0.7
    assert trace is artists(explorer)[0]  # same artist, new data
    assert not np.array_equal(trace.get_ydata(), before_v)
    assert len(spikes.get_offsets()) > before_spikes
    assert "output spikes" in explorer.status.value


def test_threshold_slider_moves_the_line_on_fixed_axes(explorer):
    _, threshold_line, _, spikes = artists(explorer)
    ax = explorer.fig.axes[0]
    ylim, xlim = ax.get_ylim(), ax.get_xlim()
    y_before = ax.transData.transform((0.5, 1.0))[1]
    explorer.controls["threshold"].value = 3.0
    assert list(threshold_line.get_ydata()) == [3.0, 3.0]
    assert ax.get_ylim() == ylim and ax.get_xlim() == xlim
    y_after = ax.transData.transform((0.5, 3.0))[1]
    assert y_after - y_before > 0.4 * ax.bbox.height  # the line moved up on screen (2 of ~4 units)
    assert len(spikes.get_offsets()) == 0
    assert ylim[0] < 0 and ylim[1] > 3.0  # the highest threshold and the input ticks fit


def test_rate_and_tau_sliders(explorer):
    _, _, inputs, spikes = artists(explorer)
    n_inputs = len(inputs.get_offsets())
    explorer.controls["input_rate"].value = 150.0
    assert len(inputs.get_offsets()) > n_inputs
    explorer.controls["input_rate"].value = 0.0
    assert len(inputs.get_offsets()) == 0 and len(spikes.get_offsets()) == 0
    explorer.controls["input_rate"].value = 100.0
    explorer.controls["tau_m"].value = 0.002  # fast decay: 0.35 inputs never add up to 1
    assert len(spikes.get_offsets()) == 0
    assert "1/tau_m = 500" in explorer.status.value


def test_the_picture_has_a_legend_and_labels_with_units(explorer):
    ax = explorer.fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["membrane potential V", "threshold", "input spike", "output spike"]
    assert ax.get_xlabel() == "time (s)" and "(" in ax.get_ylabel()


def test_thinning_is_nested_and_checks_rate():
    times, marks = candidate_input(1.0, seed=4)
    low, high = thin_input(times, marks, 20.0), thin_input(times, marks, 120.0)
    assert set(low) <= set(high)
    assert abs(len(high) - 120) < 4 * np.sqrt(120)  # a Poisson count of mean 120
    with pytest.raises(ValueError, match="rate"):
        thin_input(times, marks, 500.0)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="threshold must lie"):
        lif_explorer(threshold=5.0)
    with pytest.raises(ValueError, match="tau_m must lie"):
        lif_explorer(tau_m=2.0)
    with pytest.raises(ValueError, match="input_rate must lie"):
        lif_explorer(input_rate=-1.0)
    with pytest.raises(ValueError, match="dt"):
        lif_explorer(dt=2.0)
    with pytest.raises(TypeError, match="seed"):
        lif_explorer(seed="zero")


def test_loglog_errors_draws_the_reference_slope():
    line = loglog_errors([1e-3, 1e-4], [1e-2, 1e-3], label="Euler")
    ax = line.axes
    ref = ax.lines[1]
    np.testing.assert_allclose(ref.get_ydata(), [1e-2, 1e-3])  # slope 1 through the first point
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "time step dt (s)"
    plt.close(ax.figure)
