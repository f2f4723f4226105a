"""The lesson-01 explorer: moving a slider changes the plotted data of the existing artists."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlesson import lif  # noqa: E402
from snnlesson.widgets.lif import candidate_input, lif_explorer, thin_input  # noqa: E402


@pytest.fixture
def explorer():
    return lif_explorer(tau_m=0.05, weight=0.35, threshold=1.0, input_rate=60.0)


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


def test_weight_slider_changes_trace_and_spikes(explorer):
    trace, _, _, spikes = artists(explorer)
    before_v = np.array(trace.get_ydata(), copy=True)
    before_spikes = len(spikes.get_offsets())
    explorer.controls["weight"].value = 0.7
    assert trace is artists(explorer)[0]  # same artist, new data
    assert not np.array_equal(trace.get_ydata(), before_v)
    assert len(spikes.get_offsets()) > before_spikes
    assert explorer.last_update_seconds is not None
    assert "output spikes" in explorer.status.value


def test_threshold_slider_moves_threshold_line_and_silences_neuron(explorer):
    _, threshold_line, _, spikes = artists(explorer)
    explorer.controls["threshold"].value = 3.0
    assert list(threshold_line.get_ydata()) == [3.0, 3.0]
    assert len(spikes.get_offsets()) == 0
    assert explorer.fig.axes[0].get_ylim()[1] == pytest.approx(3.6)


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


def test_thinning_is_nested_and_checks_rate():
    times, marks = candidate_input(1.0, seed=4)
    low, high = thin_input(times, marks, 20.0), thin_input(times, marks, 120.0)
    assert set(low) <= set(high)
    with pytest.raises(ValueError, match="rate"):
        thin_input(times, marks, 500.0)


def test_repr_is_stable(explorer):
    assert repr(explorer) == "Explorer(controls=['tau_m', 'weight', 'threshold', 'input_rate'])"
