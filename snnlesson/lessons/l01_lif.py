"""Lesson 01 (the LIF neuron): its explorer and the figures that compare models.

* :func:`lif_explorer`: one LIF neuron driven either by a Poisson spike train or by a
  constant current. Sliders: the membrane time constant ``tau_m`` (the decay rate is
  ``1/tau_m``), the synaptic weight, the threshold, the refractory period, the input
  rate and the current. Every move re-simulates the neuron exactly
  (:func:`snnlesson.lif.simulate`). The axes are fixed: moving the threshold moves its
  dashed line.
* :func:`candidate_input` / :func:`thin_input`: the explorer's input, a Poisson
  train whose spikes are kept or dropped as the rate slider moves (thinning).
* :func:`loglog_errors`: error against time step on log-log axes (exact vs Euler).
* :func:`discrete_firing_rate`: the firing rate of the discrete neuron
  (:mod:`snnlesson.lif_discrete`) under a constant input, to set beside the RC
  circuit's f-I curve.
* :func:`hebbian_weights_figure`: a layer's weights before and after Hebbian learning
  (one shared colour scale) and their mean over time.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D

from snnlesson import lif, lif_discrete
from snnlesson._validate import check_choice, check_int, check_real, check_size
from snnlesson.explorer import Explorer, dropdown, log_slider, register_explorer, slider
from snnlesson._plotcheck import as_array, get_axes
from snnlesson.plot import lif_trace_points

__all__ = ["lif_explorer", "candidate_input", "thin_input", "loglog_errors", "discrete_firing_rate",
           "hebbian_weights_figure", "MAX_INPUT_RATE", "INPUT_MODES"]

MAX_INPUT_RATE = 200.0  # Hz, the top of the input-rate slider
THRESHOLD_RANGE = (0.2, 3.0)  # the threshold slider's range; the y-axis holds the highest threshold
CURRENT_RANGE = (0.0, 3.0)  # the current slider's range (R I, in the units of V): V_inf stays on the axes
MAX_REFRACTORY = 0.02  # s, the top of the refractory-period slider
INPUT_MODES = ("poisson", "current")  # the explorer's input: a Poisson spike train or a constant current


def candidate_input(t_stop: float, *, max_rate: float = MAX_INPUT_RATE, seed: int = 0):
    """Spike times (s) of a Poisson train at ``max_rate`` Hz, each with a uniform mark in [0, 1).

    Keeping the spikes whose mark is below ``rate / max_rate`` gives a Poisson train at ``rate``
    (thinning); a higher rate only adds spikes, so the train changes smoothly with the slider.
    """
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    max_rate = check_real("max_rate", max_rate, low=0.0, low_open=True)
    check_size(f"the input train of max_rate x t_stop = {max_rate:g} Hz x {t_stop:g} s spikes", max_rate * t_stop, 16)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    times = np.sort(rng.uniform(0.0, t_stop, size=rng.poisson(max_rate * t_stop)))
    return times, rng.uniform(size=times.size)


def thin_input(times, marks, rate: float, *, max_rate: float = MAX_INPUT_RATE) -> np.ndarray:
    """The spikes of a :func:`candidate_input` train that make a Poisson train of ``rate`` Hz."""
    max_rate = check_real("max_rate", max_rate, low=0.0, low_open=True)
    rate = check_real("rate", rate, low=0.0)
    if rate > max_rate:
        raise ValueError(f"rate must lie in [0, max_rate] = [0, {max_rate:g}] Hz, got {rate!r}")
    times = as_array("times", times, ndim=1, min_size=0)
    marks = as_array("marks", marks, ndim=1, min_size=0)
    if marks.shape != times.shape:
        raise ValueError(f"times and marks must have one entry per spike each, got {times.size} times "
                         f"and {marks.size} marks")
    return times[marks < rate / max_rate]


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless n is 1: "1 output spike", "0 output spikes"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _steady_rate(spike_times) -> float:
    """1 / (mean inter-spike interval) in Hz, as :func:`snnlesson.lif.simulated_firing_rate` measures it."""
    return 1.0 / float(np.mean(np.diff(spike_times))) if len(spike_times) >= 2 else 0.0


def lif_explorer(tau_m: float = 0.05, weight: float = 0.35, threshold: float = 1.0,
                 input_rate: float = 60.0, *, refractory: float = 0.0, input_mode: str = "poisson",
                 current: float = 1.5, t_stop: float = 1.0, dt: float = 5e-4, seed: int = 0) -> Explorer:
    """Sliders over one LIF neuron's trace: tau_m (s), weight, threshold, refractory period (s),
    input rate (Hz) and constant current, and a menu choosing the input.

    ``input_mode="poisson"``: a Poisson train of ``input_rate`` Hz (fixed ``seed``), each spike
    adding ``weight`` to V. ``input_mode="current"``: a constant current ``current`` (with R = 1,
    in the units of V: the neuron relaxes towards V_inf = R I, drawn as a dotted line); the
    title then compares the simulated rate with the analytic f-I curve (:func:`snnlesson.lif.firing_rate`).
    The neuron starts at rest (0), resets to 0 and is held there for ``refractory`` s after each
    spike; the membrane is simulated exactly and sampled every ``dt`` s. The potential never
    exceeds the threshold, so a y-axis fixed from below 0 to above the slider's largest threshold
    holds every trace: the dashed threshold line moves, the axes do not.
    """
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    if dt > t_stop / 10:
        raise ValueError(f"dt must be at most t_stop / 10 (a trace of 10 samples or more), got dt={dt!r} s, "
                         f"t_stop={t_stop!r} s")
    check_size(f"the membrane trace of t_stop / dt = {t_stop:g} s / {dt:g} s samples", t_stop / dt, 16)
    check_choice("input_mode", input_mode, INPUT_MODES)
    times, marks = candidate_input(t_stop, seed=seed)
    top = THRESHOLD_RANGE[1]
    input_y, output_gap = -0.15 * top, 0.06 * top  # input ticks below 0; output marks just above threshold

    fig, ax = plt.subplots(figsize=(9.0, 3.4))
    (trace,) = ax.plot([], [], color="black", lw=1.0)
    (threshold_line,) = ax.plot([0, t_stop], [threshold, threshold], color="tab:red", ls="--", lw=1.0)
    (v_inf_line,) = ax.plot([], [], color="tab:green", ls=":", lw=1.5)
    inputs = ax.scatter([], [], marker="|", s=50, color="tab:blue")
    outputs = ax.scatter([], [], marker="v", s=30, color="tab:red", zorder=3)
    ax.set_xlim(0, t_stop)
    ax.set_ylim(input_y - 0.08 * top, top + 2 * output_gap)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("membrane potential V (a.u.)")
    ax.legend(handles=[Line2D([], [], color="black", lw=1.0, label="membrane potential V"),
                       Line2D([], [], color="tab:red", ls="--", lw=1.0, label="threshold"),
                       Line2D([], [], color="tab:blue", ls="", marker="|", ms=8, label="input spike (Poisson input)"),
                       Line2D([], [], color="tab:green", ls=":", lw=1.5, label="V∞ = R·I (constant current)"),
                       Line2D([], [], color="tab:red", ls="", marker="v", ms=5, label="output spike")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(" ", fontsize=10)  # reserve the room of the title set by update
    fig.tight_layout()

    def update(tau_m, weight, threshold, refractory, input_mode, input_rate, current):
        params = lif.LIFParams(tau_m=tau_m, threshold=threshold, refractory=refractory)
        if input_mode == "current":
            spikes_in = np.zeros(0)
            result = lif.simulate(params, t_stop, dt, current=current)
            v_inf_line.set_data([0, t_stop], [current, current])
        else:
            spikes_in = thin_input(times, marks, input_rate)
            result = lif.simulate(params, t_stop, dt, input_spikes=spikes_in, weights=weight)
            v_inf_line.set_data([], [])
        trace.set_data(*lif_trace_points(result, params))
        threshold_line.set_ydata([threshold, threshold])
        inputs.set_offsets(np.column_stack([spikes_in, np.full(spikes_in.size, input_y)]))
        outputs.set_offsets(np.column_stack([result.spike_times,
                                             np.full(result.spike_times.size, threshold + output_gap)]))
        n_out = result.spike_times.size
        out_spikes = _count(n_out, "output spike")
        if input_mode == "current":
            analytic = lif.firing_rate(params, current)
            measured = (f"{_steady_rate(result.spike_times):.1f} Hz" if n_out >= 2
                        else "too few to measure a rate")  # the rate is 1 / (mean interval between spikes)
            ax.set_title(f"constant current R·I = {current:.2f}: {out_spikes}, {measured} "
                         f"(f-I formula: {analytic:.1f} Hz)", fontsize=10)
            return (f"decay rate 1/tau_m = {1 / tau_m:.3g} /s; rheobase {lif.rheobase(params):.2f}; "
                    f"{out_spikes} (red) in {t_stop:g} s")
        ax.set_title(f"{out_spikes} from {_count(spikes_in.size, 'input spike')} in "
                     f"{t_stop:g} s (decay rate 1/tau_m = {1 / tau_m:.3g} /s)", fontsize=10)
        return (f"decay rate 1/tau_m = {1 / tau_m:.3g} /s; {_count(spikes_in.size, 'input spike')} (blue), "
                f"{out_spikes} (red) in {t_stop:g} s")

    controls = {
        "tau_m": log_slider("tau_m (s)", tau_m, -3, 0, name="tau_m"),
        "weight": slider("weight (jump of V per input spike)", weight, 0.0, 1.5, 0.01, name="weight"),
        "threshold": slider("threshold", threshold, *THRESHOLD_RANGE, 0.05),
        "refractory": slider("refractory period t_ref (s)", refractory, 0.0, MAX_REFRACTORY, 0.0005,
                             name="refractory"),
        "input_mode": dropdown("input", input_mode, [("Poisson spike train", "poisson"),
                                                     ("constant current", "current")], name="input_mode"),
        "input_rate": slider("input rate (Hz)", input_rate, 0.0, MAX_INPUT_RATE, 5.0, name="input_rate"),
        "current": slider("constant current R·I (units of V)", current, *CURRENT_RANGE, 0.05, name="current"),
    }

    def grey_out_unused(mode: str) -> None:
        # Each input mode uses its own sliders; the others are greyed out, not silently ignored.
        controls["weight"].disabled = controls["input_rate"].disabled = mode != "poisson"
        controls["current"].disabled = mode != "current"

    grey_out_unused(input_mode)
    controls["input_mode"].observe(lambda change: grey_out_unused(change["new"]), names="value")
    return Explorer(fig, controls, update, dynamic=[trace, threshold_line, v_inf_line, inputs, outputs, ax.title])


@register_explorer("lif_explorer")
def _demo_lif_explorer() -> Explorer:
    return lif_explorer()


def loglog_errors(dts, errors, ax=None, *, label=None, reference_order=1, ylabel="error"):
    """Error against time step on log-log axes, with a dashed line of slope ``reference_order``; returns the line.

    ``ylabel`` names the error and its unit (e.g. ``"error of the first spike time (s)"``).
    """
    dts = as_array("dts", dts, ndim=1, min_size=2)
    errors = as_array("errors", errors, ndim=1, min_size=2)
    if dts.shape != errors.shape:
        raise ValueError(f"dts and errors must have the same length, got {dts.size} and {errors.size}")
    if dts.min() <= 0 or errors.min() <= 0:
        raise ValueError("dts and errors must be > 0 (log-log axes)")
    reference_order = check_real("reference_order", reference_order)
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string (the error and its unit), got {ylabel!r}")
    ax = get_axes(ax, figsize=(4.5, 3.5))
    (line,) = ax.loglog(dts, errors, "o-", label=label)
    ref = errors[0] * (dts / dts[0]) ** reference_order
    ax.loglog(dts, ref, "k--", lw=0.8, label=f"slope {reference_order:g}")
    ax.set_xlabel("time step dt (s)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return line


def discrete_firing_rate(currents, *, tau_m: float = 0.02, dt: float = 1e-3, t_stop: float = 1.0,
                         threshold: float = 1.0, reset: str = "subtract", scale_input: bool = True) -> np.ndarray:
    """Firing rate (Hz) of the discrete LIF neuron (:func:`snnlesson.lif_discrete.run`) for each constant input.

    ``currents`` are values of R I (units of V, as in :func:`snnlesson.lif.firing_rate`). The
    neuron runs ``t_stop / dt`` steps with ``beta = exp(-dt / tau_m)`` and receives at every step
    ``(1 - beta) R I`` if ``scale_input`` (the exact discretisation of the RC circuit's input over one
    step) or ``R I`` itself if not (what a discrete model does with a number fed to it as input).
    The rate is the spike count divided by ``t_stop``. All currents run at once, as one batch.
    """
    currents = as_array("currents", currents, ndim=1)
    tau_m = check_real("tau_m", tau_m, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    if dt > t_stop:
        raise ValueError(f"dt ({dt!r} s) must not exceed t_stop ({t_stop!r} s)")
    if not isinstance(scale_input, bool):
        raise TypeError(f"scale_input must be True or False, got {scale_input!r}")
    num_steps = int(math.floor(t_stop / dt + 1e-9))
    check_size(f"the membranes of t_stop / dt = {num_steps} steps x {currents.size} currents",
               2 * num_steps * currents.size, 8)
    beta = lif_discrete.beta_from_tau(tau_m, dt)
    params = lif_discrete.LIFDiscreteParams(beta=beta, threshold=threshold, reset=reset)
    x = torch.as_tensor(currents, dtype=torch.float64) * ((1.0 - beta) if scale_input else 1.0)
    spk, _ = lif_discrete.run(x, params, num_steps=num_steps)
    return spk.sum(dim=0).numpy() / (num_steps * dt)


def hebbian_weights_figure(history, groups: dict, *, vmin: float = 0.0, vmax: float = 0.5, title=None):
    """Weights ``[num_steps + 1, num_inputs, num_neurons]`` of a Hebbian run: before, after (one colour bar
    for both) and the mean weight of each group of inputs over time. Returns the figure.

    ``groups`` maps a label to a boolean mask over inputs (as :func:`snnlesson.plot.weight_history`).
    """
    from snnlesson.plot import weight_history

    h = as_array("history", history, ndim=3)
    vmin, vmax = check_real("vmin", vmin), check_real("vmax", vmax)
    if not vmin < vmax:
        raise ValueError(f"vmin must be below vmax, got vmin={vmin!r}, vmax={vmax!r}")
    fig = plt.figure(figsize=(11, 3.4))
    grid = fig.add_gridspec(1, 5, width_ratios=[1, 1, 0.08, 0.45, 2.6], wspace=0.3)  # column 3: room for labels
    ax_before, ax_after = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    cax, ax_hist = fig.add_subplot(grid[2]), fig.add_subplot(grid[4])
    for ax, w, name in ((ax_before, h[0], "before"), (ax_after, h[-1], "after")):
        image = ax.imshow(w, aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_xticks(np.arange(w.shape[1]))
        ax.set_xlabel("neuron (index)")
        ax.set_title(name, fontsize=10)
    ax_before.set_ylabel("input (index)")
    ax_after.set_yticklabels([])
    fig.colorbar(image, cax=cax, label="weight (a.u.)")
    weight_history(h, groups, ax_hist, title=title)
    ax_hist.set_ylabel("mean weight (a.u.)")
    ax_hist.set_xlabel("time step")
    ax_hist.legend(fontsize=8, loc="center right")
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.16, top=0.88)
    return fig
