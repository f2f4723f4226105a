"""Lesson 01's explorer: moving a slider changes the plotted data; the axes stay fixed."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlesson import checks, lif  # noqa: E402
from snnlesson.lessons.l01_lif import (candidate_input, discrete_firing_rate, hebbian_weights_figure,  # noqa: E402
                                       lif_explorer, loglog_errors, thin_input)
from snnlesson.lessons import l01_lif  # noqa: E402


@pytest.fixture
def explorer():
    ex = lif_explorer(tau_m=0.05, weight=0.35, threshold=1.0, input_rate=60.0)
    yield ex
    plt.close(ex.fig)


def artists(explorer):
    ax = explorer.fig.axes[0]
    trace, threshold_line = ax.lines[0], ax.lines[1]  # ax.lines[2]: the V_inf line of the current mode
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
    assert labels == ["membrane potential V", "threshold", "input spike (Poisson input)",
                      "V∞ = R·I (constant current)", "output spike"]
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
    with pytest.raises(ValueError, match="refractory must lie"):
        lif_explorer(refractory=0.5)
    with pytest.raises(ValueError, match="input_mode"):
        lif_explorer(input_mode="sine")
    with pytest.raises(ValueError, match="current must lie"):
        lif_explorer(current=-1.0)


def test_loglog_errors_draws_the_reference_slope():
    line = loglog_errors([1e-3, 1e-4], [1e-2, 1e-3], label="Euler")
    ax = line.axes
    ref = ax.lines[1]
    np.testing.assert_allclose(ref.get_ydata(), [1e-2, 1e-3])  # slope 1 through the first point
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "time step dt (s)"
    plt.close(ax.figure)


def test_refractory_slider_holds_the_neuron_after_each_spike(explorer):
    """Poisson input: with t_ref = 20 ms no two output spikes are closer than 20 ms, and some are dropped."""
    _, _, _, spikes = artists(explorer)
    explorer.controls["weight"].value = 1.0  # every input spike fires the neuron when it is not refractory
    free = spikes.get_offsets()[:, 0].copy()
    assert np.min(np.diff(free)) < 0.02  # without a refractory period some spikes come closer than 20 ms
    explorer.controls["refractory"].value = 0.02
    held = spikes.get_offsets()[:, 0]
    assert len(held) < len(free)
    assert np.min(np.diff(held)) >= 0.02 - 1e-12
    trace = artists(explorer)[0]
    t, v = trace.get_xdata(), trace.get_ydata()
    inside = (t > held[0] + 1e-9) & (t < held[0] + 0.02 - 1e-9)  # the 20 ms after the first spike
    assert inside.any() and np.all(v[inside] == 0.0)  # held at the reset potential


def test_constant_current_mode_fires_at_the_analytic_f_i_rate(explorer):
    """Checked against the closed-form LIF f-I curve written out here (not the package's firing_rate):
    f = 1 / (t_ref + tau_m ln(R I / (R I - threshold))) for reset and rest at 0."""
    trace, _, inputs, spikes = artists(explorer)
    v_inf = explorer.fig.axes[0].lines[2]
    assert len(v_inf.get_xdata()) == 0  # the V_inf line is hidden with Poisson input
    explorer.controls["input_mode"].value = "current"
    assert len(inputs.get_offsets()) == 0  # no input spikes
    assert list(v_inf.get_ydata()) == [1.5, 1.5]
    for tau_m, t_ref, current in ((0.05, 0.0, 1.5), (0.02, 0.005, 2.5), (0.01, 0.002, 3.0)):
        explorer.controls["tau_m"].value = tau_m
        explorer.controls["refractory"].value = t_ref
        explorer.controls["current"].value = current
        out = spikes.get_offsets()[:, 0]
        expected = 1.0 / (t_ref + tau_m * np.log(current / (current - 1.0)))
        measured = 1.0 / np.mean(np.diff(out))
        assert measured == pytest.approx(expected, rel=1e-6)
        first = 1.0 / expected - t_ref  # no refractory period before the first spike
        assert out[0] == pytest.approx(first, rel=1e-9)
        assert len(out) == int((1.0 - first) * expected) + 1  # then one spike every 1/f seconds
        assert f"{measured:.1f} Hz (f-I formula: {expected:.1f} Hz)" in explorer.fig.axes[0].get_title()
    before = np.array(trace.get_ydata(), copy=True)
    explorer.controls["current"].value = 0.8  # below the rheobase: no spike, V relaxes towards 0.8
    assert len(spikes.get_offsets()) == 0
    assert trace.get_ydata()[-1] == pytest.approx(0.8, abs=1e-6) and not np.array_equal(before, trace.get_ydata())
    assert "0 output spikes, too few to measure a rate (f-I formula: 0.0 Hz)" in explorer.fig.axes[0].get_title()
    explorer.controls["input_mode"].value = "poisson"
    assert len(inputs.get_offsets()) > 0 and len(v_inf.get_xdata()) == 0


def test_current_slider_changes_nothing_in_poisson_mode_and_weight_nothing_in_current_mode(explorer):
    trace = artists(explorer)[0]
    before = np.array(trace.get_ydata(), copy=True)
    explorer.controls["current"].value = 2.5
    np.testing.assert_array_equal(trace.get_ydata(), before)
    explorer.controls["input_mode"].value = "current"
    in_current = np.array(trace.get_ydata(), copy=True)
    assert not np.array_equal(in_current, before)
    explorer.controls["weight"].value = 1.2
    np.testing.assert_array_equal(trace.get_ydata(), in_current)


def test_the_sliders_an_input_mode_ignores_are_greyed_out(explorer):
    controls = explorer.controls
    unused = {"poisson": {"current"}, "current": {"weight", "input_rate"}}
    for mode in ("poisson", "current", "poisson"):
        controls["input_mode"].value = mode
        greyed = {name for name in ("weight", "input_rate", "current") if controls[name].disabled}
        assert greyed == unused[mode], mode
        assert not any(controls[name].disabled for name in ("tau_m", "threshold", "refractory", "input_mode"))
    assert lif_explorer(input_mode="current").controls["weight"].disabled


def test_discrete_firing_rate_against_the_rc_circuit_and_a_hand_count():
    """With the (1 - beta) factor and reset to zero, the discrete neuron fires close to the RC circuit's
    analytic f-I curve at low rates; without it, it fires far too fast. The subtract-reset count is checked
    against a plain loop written here."""
    currents = np.array([0.5, 1.5, 3.0])
    scaled = discrete_firing_rate(currents, reset="zero")
    analytic = lif.firing_rate(lif.LIFParams(tau_m=0.02), currents)
    assert scaled[0] == 0.0 and analytic[0] == 0.0
    np.testing.assert_allclose(scaled[1:], analytic[1:], rtol=0.12)
    raw = discrete_firing_rate(currents, scale_input=False)
    assert raw[0] > 400  # R I = 0.5, below the rheobase of the RC circuit, still fires hundreds of times a second
    beta, mem, count = np.exp(-1e-3 / 0.02), 0.0, 0
    for _ in range(1000):  # reset by subtraction, as lif_discrete.step, for R I = 3.0
        mem = beta * mem + (1 - beta) * 3.0 - (1.0 if mem > 1.0 else 0.0)
        count += mem > 1.0
    assert discrete_firing_rate([3.0])[0] == count
    with pytest.raises(TypeError, match="scale_input"):
        discrete_firing_rate(currents, scale_input="no")
    with pytest.raises(ValueError, match="dt"):
        discrete_firing_rate(currents, dt=2.0)


def test_hebbian_figure_has_one_colour_bar_for_two_weight_maps():
    history = np.zeros((5, 4, 2))
    history[-1, :2] = 0.5
    fig = hebbian_weights_figure(history, {"first": np.array([1, 1, 0, 0], bool), "rest": np.array([0, 0, 1, 1], bool)})
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    np.testing.assert_array_equal(images[1].get_array(), history[-1])
    colorbars = [ax for ax in fig.axes if ax.get_ylabel() == "weight (a.u.)"]
    assert len(colorbars) == 1
    assert fig.axes[-1].get_ylabel() == "mean weight (a.u.)" and fig.axes[-1].get_legend() is not None
    with pytest.raises(ValueError, match="vmin"):
        hebbian_weights_figure(history, {"a": np.ones(4, bool)}, vmin=1.0, vmax=0.0)
    plt.close(fig)


def test_the_title_says_1_output_spike_in_the_singular(explorer):
    """A count of one is written "1 output spike" (it read "1 output spikes"); other counts stay plural."""
    explorer.controls["input_rate"].value = 60.0
    explorer.controls["tau_m"].value = 0.01  # one output spike from this train (the lesson's Try answer)
    title = explorer.fig.axes[0].get_title()
    assert title.startswith("1 output spike from ") and "1 output spikes" not in title, title
    assert "1 output spike (red)" in explorer.status.value
    explorer.controls["input_mode"].value = "current"
    explorer.controls["current"].value = 0.8
    assert "0 output spikes," in explorer.fig.axes[0].get_title()


# ------------------------------------------------- exercise 2: the decay factor (l01_lif.check_decay_factor)

TAU_EX, DT_EX = 0.05, 2e-3  # the notebook's case


@pytest.mark.parametrize("answer, hint", [
    (math.exp(-TAU_EX / DT_EX), "dt and tau_m are swapped"),          # exp(-25) = 1.4e-11
    (math.exp(-2.0 / TAU_EX), "milliseconds and seconds are mixed"),   # dt in ms, tau_m in s: exp(-40)
    (math.exp(-DT_EX / 50.0), "milliseconds and seconds are mixed"),  # dt in s, tau_m in ms
    (1 - DT_EX / TAU_EX, "forward Euler's factor"),
    (1 / (1 + DT_EX / TAU_EX), "backward Euler's factor"),
    (math.exp(DT_EX / TAU_EX), "needs a minus sign"),
    (DT_EX / TAU_EX, "the fraction lost per step"),
    (0, "between 0 and 1"),
    (0.0, "between 0 and 1"),
    (1e-7, "put t = dt"),  # tiny but not any mistake's value: the general hint
    (-0.96, "between 0 and 1"),
    (1.0, "between 0 and 1"),
])
def test_decay_factor_hints_name_the_mistake(answer, hint):
    """Each wrong beta gets its own hint; the swap hint only for exp(-tau_m/dt) itself (it was given to any
    answer below 1e-6, 0 and exp(-40) included). The right value exp(-dt/tau_m) is written out here."""
    result = l01_lif.check_decay_factor(answer, tau_m=TAU_EX, dt=DT_EX)
    assert not result and result.attempted, result
    assert hint in result.message, result.message
    if "swapped" not in hint:
        assert "swapped" not in result.message, result.message


def test_decay_factor_right_answers_and_stub():
    assert l01_lif.check_decay_factor(math.exp(-DT_EX / TAU_EX), tau_m=TAU_EX, dt=DT_EX)
    assert l01_lif.check_decay_factor(np.float32(math.exp(-DT_EX / TAU_EX)), tau_m=TAU_EX, dt=DT_EX)
    assert l01_lif.check_decay_factor(math.exp(-0.05), tau_m=0.02, dt=1e-3)
    stub = l01_lif.check_decay_factor(..., tau_m=TAU_EX, dt=DT_EX)
    assert not stub and not stub.attempted
    text = l01_lif.check_decay_factor("0.96", tau_m=TAU_EX, dt=DT_EX)
    assert not text and "quotes" in text.message
