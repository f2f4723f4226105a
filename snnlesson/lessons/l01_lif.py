"""Lesson 01 (the LIF neuron): its explorer and the figure of the integration error.

* :func:`lif_explorer`: one LIF neuron driven by a Poisson spike train. Sliders: the
  membrane time constant ``tau_m`` (the decay rate is ``1/tau_m``), the synaptic
  weight, the threshold and the input rate. Every move re-simulates the neuron
  exactly (:func:`snnlesson.lif.simulate`). The axes are fixed: moving the
  threshold moves its dashed line.
* :func:`candidate_input` / :func:`thin_input`: the explorer's input, a Poisson
  train whose spikes are kept or dropped as the rate slider moves (thinning).
* :func:`loglog_errors`: error against time step on log-log axes (exact vs Euler).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from snnlesson import lif
from snnlesson._validate import check_int, check_real, check_size
from snnlesson.explorer import Explorer, log_slider, register_explorer, slider
from snnlesson._plotcheck import as_array, get_axes
from snnlesson.plot import lif_trace_points

__all__ = ["lif_explorer", "candidate_input", "thin_input", "loglog_errors", "MAX_INPUT_RATE"]

MAX_INPUT_RATE = 200.0  # Hz, the top of the input-rate slider
THRESHOLD_RANGE = (0.2, 3.0)  # the threshold slider's range; the y-axis holds the highest threshold


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


def lif_explorer(tau_m: float = 0.05, weight: float = 0.35, threshold: float = 1.0,
                 input_rate: float = 60.0, *, t_stop: float = 1.0, dt: float = 5e-4,
                 seed: int = 0) -> Explorer:
    """Sliders for tau_m (s), weight, threshold and input rate (Hz) over one LIF neuron's trace.

    The neuron starts at rest (0), resets to 0, has no refractory period and receives a
    Poisson train (fixed ``seed``); the membrane is simulated exactly and sampled every
    ``dt`` s. The potential never exceeds the threshold, so a y-axis fixed from below 0 to
    above the slider's largest threshold holds every trace: the dashed threshold line
    moves, the axes do not.
    """
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    if dt > t_stop / 10:
        raise ValueError(f"dt must be at most t_stop / 10 (a trace of 10 samples or more), got dt={dt!r} s, "
                         f"t_stop={t_stop!r} s")
    check_size(f"the membrane trace of t_stop / dt = {t_stop:g} s / {dt:g} s samples", t_stop / dt, 16)
    times, marks = candidate_input(t_stop, seed=seed)
    top = THRESHOLD_RANGE[1]
    input_y, output_gap = -0.15 * top, 0.06 * top  # input ticks below 0; output marks just above threshold

    fig, ax = plt.subplots(figsize=(9.0, 3.4))
    (trace,) = ax.plot([], [], color="black", lw=1.0)
    (threshold_line,) = ax.plot([0, t_stop], [threshold, threshold], color="tab:red", ls="--", lw=1.0)
    inputs = ax.scatter([], [], marker="|", s=50, color="tab:blue")
    outputs = ax.scatter([], [], marker="v", s=30, color="tab:red", zorder=3)
    ax.set_xlim(0, t_stop)
    ax.set_ylim(input_y - 0.08 * top, top + 2 * output_gap)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("membrane potential V (a.u.)")
    ax.legend(handles=[Line2D([], [], color="black", lw=1.0, label="membrane potential V"),
                       Line2D([], [], color="tab:red", ls="--", lw=1.0, label="threshold"),
                       Line2D([], [], color="tab:blue", ls="", marker="|", ms=8, label="input spike"),
                       Line2D([], [], color="tab:red", ls="", marker="v", ms=5, label="output spike")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(" ", fontsize=10)  # reserve the room of the title set by update
    fig.tight_layout()

    def update(tau_m, weight, threshold, input_rate):
        params = lif.LIFParams(tau_m=tau_m, threshold=threshold)
        spikes_in = thin_input(times, marks, input_rate)
        result = lif.simulate(params, t_stop, dt, input_spikes=spikes_in, weights=weight)
        trace.set_data(*lif_trace_points(result, params))
        threshold_line.set_ydata([threshold, threshold])
        inputs.set_offsets(np.column_stack([spikes_in, np.full(spikes_in.size, input_y)]))
        outputs.set_offsets(np.column_stack([result.spike_times,
                                             np.full(result.spike_times.size, threshold + output_gap)]))
        ax.set_title(f"{result.spike_times.size} output spikes from {spikes_in.size} input spikes in "
                     f"{t_stop:g} s (decay rate 1/tau_m = {1 / tau_m:.3g} /s)", fontsize=10)
        return (f"decay rate 1/tau_m = {1 / tau_m:.3g} /s; {spikes_in.size} input spikes (blue), "
                f"{result.spike_times.size} output spikes (red) in {t_stop:g} s")

    controls = {
        "tau_m": log_slider("tau_m (s)", tau_m, -3, 0, name="tau_m"),
        "weight": slider("weight (jump of V per input spike)", weight, 0.0, 1.5, 0.01, name="weight"),
        "threshold": slider("threshold", threshold, *THRESHOLD_RANGE, 0.05),
        "input_rate": slider("input rate (Hz)", input_rate, 0.0, MAX_INPUT_RATE, 5.0, name="input_rate"),
    }
    return Explorer(fig, controls, update, dynamic=[trace, threshold_line, inputs, outputs, ax.title])


@register_explorer("lif_explorer")
def _demo_lif_explorer() -> Explorer:
    return lif_explorer()


def loglog_errors(dts, errors, ax=None, *, label=None, reference_order=1):
    """Error against time step on log-log axes, with a dashed line of slope ``reference_order``; returns the line."""
    dts = as_array("dts", dts, ndim=1, min_size=2)
    errors = as_array("errors", errors, ndim=1, min_size=2)
    if dts.shape != errors.shape:
        raise ValueError(f"dts and errors must have the same length, got {dts.size} and {errors.size}")
    if dts.min() <= 0 or errors.min() <= 0:
        raise ValueError("dts and errors must be > 0 (log-log axes)")
    reference_order = check_real("reference_order", reference_order)
    ax = get_axes(ax, figsize=(4.5, 3.5))
    (line,) = ax.loglog(dts, errors, "o-", label=label)
    ref = errors[0] * (dts / dts[0]) ** reference_order
    ax.loglog(dts, ref, "k--", lw=0.8, label=f"slope {reference_order}")
    ax.set_xlabel("time step dt (s)")
    ax.set_ylabel("error")
    ax.legend(fontsize=8)
    return line
