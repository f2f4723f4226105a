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
* Build exercise, the simulation loop: :func:`check_lif_loop` (hidden inputs, a catalogue of typical
  mistakes) and :func:`simulate_lif_reference`, the package's loop in the exercise's form.
* Exercise, the mystery neuron: :class:`MysteryNeuron` (hidden tau_m and threshold, probed with
  currents), :func:`check_mystery_neuron` and :func:`estimate_neuron_reference`.
* The neuron under noise: :func:`white_noise_current`, :func:`isi_cv` and :func:`noise_figure`.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D

from snnlesson.checks import (ANSWER_RTOL, CheckResult, _answer_array, _answer_number, _apart, _stub_function,
                              call_answer, compare_arrays, diagnose, failed, is_stub, not_attempted, passed)
from snnlesson import lif, lif_discrete
from snnlesson._validate import check_array, check_choice, check_int, check_real, check_size
from snnlesson.explorer import Explorer, dropdown, log_slider, register_explorer, slider
from snnlesson._plotcheck import as_array, get_axes
from snnlesson.plot import lif_trace_points

__all__ = ["lif_explorer", "candidate_input", "thin_input", "loglog_errors", "discrete_firing_rate",
           "hebbian_weights_figure", "MAX_INPUT_RATE", "INPUT_MODES",
           "simulate_lif_reference", "check_lif_loop", "LOOP_TIME_LIMIT_S",
           "MysteryNeuron", "estimate_neuron_reference", "check_mystery_neuron", "MYSTERY_TIME_LIMIT_S",
           "white_noise_current", "isi_cv", "noise_figure", "check_euler_step", "check_decay_factor"]

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


# ------------------------------------------------------ build exercise: the simulation loop

#: Seconds the reader's loop may run on one hidden case before it is stopped (a correct loop needs milliseconds).
LOOP_TIME_LIMIT_S = 5.0


def simulate_lif_reference(current, dt: float, tau_m: float, v_rest: float, v_reset: float, threshold: float,
                           resistance: float, t_ref: float):
    """The package's answer to the loop exercise, in the exercise's form: forward Euler on the grid
    t_k = k dt (``snnlesson.lif.simulate(..., method="euler")``).

    ``current[k]`` (one value per step) drives V from t_k to t_{k+1}:
    V_{k+1} = V_k + dt/tau_m (-(V_k - v_rest) + R I_k); where V_{k+1} >= threshold the neuron fires at
    t_{k+1}, V_{k+1} = v_reset, and the next round(t_ref / dt) steps are held at v_reset (t_ref a whole
    number of steps). Returns ``(v, spikes)``: NumPy arrays of ``len(current) + 1`` values, ``v[0] = v_rest``,
    ``spikes[k]`` True where the neuron fired (and was reset) at t_k.
    """
    current = check_array("current", current, ndim=1, allow_empty=False)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    t_ref = check_real("t_ref", t_ref, low=0.0)
    check_size(f"the simulation of len(current) = {current.size} steps", current.size, 8)
    params = lif.LIFParams(tau_m=tau_m, threshold=threshold, v_rest=v_rest, v_reset=v_reset,
                           resistance=resistance, refractory=t_ref)
    n = current.size
    result = lif.simulate(params, n * dt, dt, current=np.append(current, 0.0), method="euler")
    if result.v.size != n + 1:  # pragma: no cover - n * dt / dt rounds to n for every n a lesson uses
        raise ValueError(f"could not place {n} steps of dt={dt!r} s on the grid")
    spikes = np.zeros(n + 1, dtype=bool)
    # each reported (interpolated) spike time lies in (t_k, t_{k+1}]: the reset is at t_{k+1}
    spikes[np.ceil(np.round(result.spike_times / dt, 6)).astype(int)] = True
    return result.v, spikes


def _loop(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref, *, reset="v_reset", held_extra=0,
          refractory=True, fires=np.greater_equal, spike_shift=0, update="euler"):
    """One way of writing the loop, right or with one mistake (the checker's catalogue; see _LOOP_MISTAKES)."""
    n = len(current)
    v = np.empty(n + 1)
    v[0] = v_rest
    spikes = np.zeros(n + 1, dtype=bool)
    n_ref = round(t_ref / dt) + held_extra if refractory else 0
    held, late = 0, False
    for k in range(n):
        if late:  # the reset of a spike at the previous step comes only now
            v[k + 1], late = v_reset, False
            continue
        if held > 0:
            v[k + 1], held = v_reset, held - 1
            continue
        drive = -(v[k] - v_rest) + resistance * current[k]
        if update == "swapped":
            v[k + 1] = v[k] + tau_m / dt * drive
        elif update == "leak_to_zero":
            v[k + 1] = v[k] + dt / tau_m * (-v[k] + resistance * current[k])
        elif update == "no_resistance":
            v[k + 1] = v[k] + dt / tau_m * (-(v[k] - v_rest) + current[k])
        elif update == "exact":
            v_inf = v_rest + resistance * current[k]
            v[k + 1] = v_inf + (v[k] - v_inf) * math.exp(-dt / tau_m)
        else:
            v[k + 1] = v[k] + dt / tau_m * drive
        if fires(v[k + 1], threshold):
            spikes[min(max(k + 1 + spike_shift, 0), n)] = True
            if reset == "none":
                pass
            elif reset == "late":  # the value above threshold stays, v_reset comes one step later
                late = True
            elif reset == "threshold":  # the trace shows the threshold at the spike, v_reset one step later
                v[k + 1], late = threshold, True
            else:
                v[k + 1] = {"v_reset": v_reset, "zero": 0.0, "rest": v_rest}[reset]
            held = max(n_ref, 0)
    return v, spikes


_LOOP_MISTAKES = [  # (keyword arguments of _loop that make the mistake, hint)
    (dict(reset="none", refractory=False),
     "your neuron is never reset: after a spike set V to v_reset (v[k+1] = v_reset), otherwise V stays above "
     "the threshold."),
    (dict(reset="none"),
     "your neuron is not reset at the step it fires: set v[k+1] = v_reset right where you record the spike "
     "(your v stays above the threshold there)."),
    (dict(reset="late"),
     "your reset comes one step late: v shows the value above the threshold at the spike and v_reset only a "
     "step later. Reset at the same step (v[k+1] = v_reset) and start the refractory count there."),
    (dict(reset="threshold"),
     "at a spike your v shows the threshold, and the reset comes a step later: the spike belongs in spikes; v "
     "at that step is v_reset."),
    (dict(reset="zero"),
     "you reset V to 0; reset it to v_reset (here v_reset is not 0)."),
    (dict(reset="rest"),
     "you reset V to v_rest; reset it to v_reset (they differ here)."),
    (dict(held_extra=-1),
     "the refractory period ends one step early: hold V at v_reset for round(t_ref / dt) whole steps after the "
     "spike (int(t_ref / dt) can truncate 5.999999999 to 5)."),
    (dict(held_extra=+1),
     "the refractory period lasts one step too long: hold V for round(t_ref / dt) steps after the spike step "
     "(math.ceil turns t_ref / dt = 10.000000000000002 into 11; and the spike step itself is not held)."),
    (dict(refractory=False),
     "there is no refractory period: after a spike hold V at v_reset for round(t_ref / dt) steps, ignoring the "
     "current."),
    (dict(fires=np.greater),
     "use >= for the threshold: the neuron fires when V reaches it. In this case V lands exactly on the "
     "threshold."),
    (dict(spike_shift=-1),
     "your spikes sit one step early: mark spikes[k+1], the grid point where V reached the threshold and "
     "was reset (the same index where v shows v_reset)."),
    (dict(spike_shift=+1),
     "your spikes sit one step late: mark spikes[k+1], the grid point where V reached the threshold and "
     "was reset (the same index where v shows v_reset)."),
    (dict(update="swapped"),
     "dt and tau_m are swapped: the Euler step is V + dt / tau_m * (-(V - v_rest) + R I)."),
    (dict(update="leak_to_zero"),
     "V leaks towards 0 in your step; it leaks towards v_rest: -(V - v_rest)."),
    (dict(update="no_resistance"),
     "multiply the current by the resistance: the drive is R I."),
    (dict(update="exact"),
     "that is the exact exponential update; this exercise asks for forward Euler steps (as in euler_step), "
     "which the lesson compares with the exact solution."),
]


def _loop_cases():
    """The checker's hidden cases: (description, arguments). Not the lesson's inputs."""
    rng = np.random.default_rng(20261207)
    t = np.arange(400) * 3e-4
    varying = np.concatenate([0.62 + 0.3 * np.sin(2 * np.pi * 9 * t) + 0.1 * rng.standard_normal(400),
                              np.zeros(12)])
    landing = np.concatenate([[2.0, 0.0, 0.0], np.full(20, 1.5), [2.0], np.zeros(8)])  # R I = 4: V lands on 1
    steady = np.concatenate([np.full(250, 2.5), np.zeros(10)])
    ramp = np.concatenate([np.linspace(0.0, 3.0, 150), np.zeros(10)])
    return [
        ("a varying current, dt = 0.3 ms, tau_m = 12 ms, v_rest = -0.2, v_reset = 0.3, threshold = 1, R = 2, "
         "t_ref = 3 ms", (varying, 3e-4, 0.012, -0.2, 0.3, 1.0, 2.0, 3e-3)),
        ("a current whose first step lands V exactly on the threshold (dt = 2**-10 s, tau_m = 2**-8 s, "
         "R = 2, threshold 1, t_ref = 2 steps)", (landing, 2.0 ** -10, 2.0 ** -8, 0.0, 0.0, 1.0, 2.0, 2 * 2.0 ** -10)),
        ("a constant current, dt = 0.1 ms, tau_m = 5 ms, v_rest = 0.1, v_reset = -0.1, threshold = 0.8, "
         "R = 0.5, t_ref = 0.6 ms", (steady, 1e-4, 0.005, 0.1, -0.1, 0.8, 0.5, 6e-4)),
        ("a ramp, dt = 1 ms, tau_m = 20 ms, v_rest = 0, v_reset = 0.2, threshold = 1, R = 1, t_ref = 0",
         (ramp, 1e-3, 0.02, 0.0, 0.2, 1.0, 1.0, 0.0)),
    ]


def _same_loop(got, expected) -> bool:
    (v, spikes), (v_exp, spikes_exp) = got, expected
    return (v.shape == v_exp.shape and spikes.shape == spikes_exp.shape and np.array_equal(spikes != 0, spikes_exp)
            and np.allclose(v, v_exp, rtol=ANSWER_RTOL, atol=1e-9, equal_nan=True))


def _loop_answer(got, n: int, case: str):
    """The reader's (v, spikes) as float arrays: ``((v, spikes), None)`` or ``(None, failed result)``."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        kind = f"one array of shape {np.shape(got)}" if isinstance(got, np.ndarray) else type(got).__name__
        return None, failed(f"return two arrays, (v, spikes); your function returned {kind} (for {case}).")
    v, problem = _answer_array("v (the first array you returned)", got[0], case=case)
    if problem is not None:
        return None, problem
    spikes, problem = _answer_array("spikes (the second array you returned)", got[1], case=case)
    if problem is not None:
        return None, problem
    if v.shape != (n + 1,):
        hint = (" Start with v[0] = v_rest at t = 0, then one value after each step." if v.shape == (n,) else "")
        return None, failed(f"v has shape {v.shape}; it needs len(current) + 1 = {n + 1} values (for {case}).{hint}")
    if not np.all(np.isfinite(v)):
        return None, failed(f"v contains NaN or infinity (for {case}): look for a division by zero or a value "
                            "that is never set (np.empty holds garbage until you write it).")
    if spikes.shape != (n + 1,):
        return None, failed(f"spikes has shape {spikes.shape}; it needs one entry per grid point, {n + 1} "
                            f"(for {case}), True where the neuron fired. Spike times or indices are not asked for.")
    if not np.all((spikes == 0) | (spikes == 1)):
        return None, failed(f"spikes should hold only True/False (or 1/0), one per grid point (for {case}).")
    return (v, spikes), None


def _loop_difference(got, expected, dt: float, case: str) -> CheckResult:
    (v, spikes), (v_exp, spikes_exp) = got, expected
    mine, theirs = np.flatnonzero(spikes != 0), np.flatnonzero(spikes_exp)
    if not np.array_equal(mine, theirs):
        def shown(indices):
            listed = ", ".join(str(int(i)) for i in indices[:6])
            return f"[{listed}{', ...' if indices.size > 6 else ''}] ({indices.size} spikes)"
        return failed(f"for {case}: the neuron should fire at grid points {shown(theirs)}, yours fires at "
                      f"{shown(mine)}.")
    k = int(np.argmax(~np.isclose(v, v_exp, rtol=ANSWER_RTOL, atol=1e-9)))
    return failed(f"for {case}: v[{k}] (t = {k * dt * 1e3:.4g} ms) is {v[k]:.6g}, expected {v_exp[k]:.6g}.")


def check_lif_loop(simulate_lif) -> CheckResult:
    """Build exercise: ``simulate_lif(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref)``
    must return ``(v, spikes)`` as :func:`simulate_lif_reference` does (forward Euler, threshold with >=,
    reset to v_reset at the spike step, round(t_ref / dt) held steps), on hidden inputs.

    A wrong answer is compared with a catalogue of typical mistakes (``_LOOP_MISTAKES``) and gets that
    mistake's hint; a function that runs past :data:`LOOP_TIME_LIMIT_S` on one case is stopped.
    """
    if is_stub(simulate_lif):
        return not_attempted()
    if not callable(simulate_lif):
        return failed(f"simulate_lif should be a function, got {type(simulate_lif).__name__}.")
    cases = _loop_cases()
    for case, args in cases:
        current, dt = args[0], args[1]
        expected = simulate_lif_reference(*args)
        got, problem = call_answer(simulate_lif, (current.copy(), *args[1:]), case, time_limit_s=LOOP_TIME_LIMIT_S)
        if problem is not None:
            return problem
        got, problem = _loop_answer(got, current.size, case)
        if problem is not None:
            return problem
        if _same_loop(got, expected):
            continue
        problem = _loop_difference(got, expected, dt, case)
        mistakes = [(lambda kw=kw: _loop(*args, **kw), hint) for kw, hint in _LOOP_MISTAKES]
        return diagnose(problem, got, mistakes, same=_same_loop)
    return passed(f"your loop gives the same v and spikes as the package's Euler simulation on {len(cases)} hidden "
                  "inputs (reset, refractory period and a threshold landing included).")


# ------------------------------------------------------------------ the mystery neuron

MYSTERY_V_REST = -70.0  # mV: rest and reset potential of every mystery neuron
MYSTERY_RESISTANCE = 100.0  # MΩ: 1 nA drives V 100 mV above rest (MΩ x nA = mV)
MYSTERY_DT = 1e-4  # s: the probe's recording step
MYSTERY_TAU_RANGE = (0.008, 0.040)  # s
MYSTERY_THRESHOLD_RANGE = (-58.0, -46.0)  # mV
MYSTERY_TOLERANCE = {"tau_m": 0.05, "threshold": 0.5}  # relative (tau_m), mV (threshold)
MYSTERY_TIME_LIMIT_S = 10.0  # s the reader's estimate may take per neuron (the worked solution needs milliseconds)


class MysteryNeuron:
    """An LIF neuron with a hidden tau_m and threshold, drawn from ``seed``: probe it with currents.

    Known: rest and reset at -70 mV, R = 100 MΩ, refractory period 2 ms. Hidden: tau_m (8-40 ms) and
    the threshold (-58 to -46 mV). Calling it, ``neuron(current, t_stop=0.2)``, simulates it exactly from
    rest (``snnlesson.lif.simulate``): ``current`` in nA, a number or one value per 0.1 ms step
    (``t_stop / 1e-4 + 1`` values); the result has ``t`` (s), ``v`` (mV) and ``spike_times`` (s).
    """

    def __init__(self, seed: int):
        rng = np.random.default_rng(check_int("seed", seed, minimum=0))
        tau_m = round(float(rng.uniform(*MYSTERY_TAU_RANGE)), 4)
        threshold = round(float(rng.uniform(*MYSTERY_THRESHOLD_RANGE)), 1)
        self._params = lif.LIFParams(tau_m=tau_m, threshold=threshold, v_rest=MYSTERY_V_REST,
                                     v_reset=MYSTERY_V_REST, resistance=MYSTERY_RESISTANCE, refractory=0.002)
        self.seed = int(seed)

    def __call__(self, current, t_stop: float = 0.2) -> lif.LIFResult:
        t_stop = check_real("t_stop", t_stop, low=MYSTERY_DT, high=10.0)
        return lif.simulate(self._params, t_stop, MYSTERY_DT, current=current)

    def reveal(self) -> tuple[float, float]:
        """The hidden (tau_m in s, threshold in mV)."""
        return self._params.tau_m, self._params.threshold

    def __repr__(self) -> str:
        return f"MysteryNeuron(seed={self.seed})"


def estimate_neuron_reference(neuron) -> tuple[float, float]:
    """The package's answer to the mystery-neuron exercise: (tau_m in s, threshold in mV) from two probes.

    tau_m: a weak step current (0.05 nA, 5 mV, below any threshold) makes V rise as
    V_inf - (V_inf - v_rest) e^{-t/tau_m}, which covers 1 - 1/e = 63% of its way at t = tau_m.
    Threshold: a strong current (0.4 nA drives V towards -30 mV) fires it; the highest V recorded is
    the threshold less at most one step's rise (about 0.2 mV here).
    """
    if not isinstance(neuron, MysteryNeuron):
        raise TypeError(f"neuron must be a MysteryNeuron, got {type(neuron).__name__}")
    weak = neuron(0.05, t_stop=0.3)
    rise = weak.v - weak.v[0]
    tau_m = float(weak.t[np.argmax(rise >= (1 - math.exp(-1)) * rise[-1])])
    strong = neuron(0.4, t_stop=0.2)
    return tau_m, float(strong.v.max())


def _mystery_seeds() -> list[int]:
    """The checker's hidden neurons (not the lesson's): seeds drawn once from a fixed generator."""
    return [int(s) for s in np.random.default_rng(7_1907).integers(100, 10_000, size=3)]


def check_mystery_neuron(estimate_neuron) -> CheckResult:
    """Exercise: ``estimate_neuron(neuron)`` probes a :class:`MysteryNeuron` and returns
    ``(tau_m in s, threshold in mV)``. Judged on hidden neurons: tau_m within 5%, threshold within 0.5 mV.
    Typical slips (ms for s, the rheobase current for the threshold, ...) get their own hint."""
    if is_stub(estimate_neuron):
        return not_attempted()
    if not callable(estimate_neuron):
        return failed(f"estimate_neuron should be a function, got {type(estimate_neuron).__name__}.")
    seeds = _mystery_seeds()
    for seed in seeds:
        neuron = MysteryNeuron(seed)
        case = f"a hidden neuron ({neuron!r})"
        got, problem = call_answer(estimate_neuron, (neuron,), case, time_limit_s=MYSTERY_TIME_LIMIT_S)
        if problem is not None:
            return problem
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return failed(f"return two numbers, (tau_m, threshold); your function returned "
                          f"{type(got).__name__} (for {case}).")
        tau_got, problem = _answer_number(got[0], "tau_m (the first number)")
        if problem is not None:
            return problem
        thr_got, problem = _answer_number(got[1], "the threshold (the second number)")
        if problem is not None:
            return problem
        tau, thr = neuron.reveal()
        rheobase = (thr - MYSTERY_V_REST) / MYSTERY_RESISTANCE

        def near_tau(value, target):
            return abs(value - target) <= MYSTERY_TOLERANCE["tau_m"] * abs(target)

        def near_thr(value, target, scale=1.0):
            return abs(value - target) <= MYSTERY_TOLERANCE["threshold"] * scale

        tau_ok, thr_ok = near_tau(tau_got, tau), near_thr(thr_got, thr)
        if tau_ok and thr_ok:
            continue
        if near_tau(thr_got, tau) and near_thr(tau_got, thr):
            return failed(f"the two numbers are swapped (for {case}): return (tau_m, threshold), in this order.")
        mistakes = []
        if not tau_ok:
            problem = failed(f"tau_m is off by more than 5% for {case}: you said {tau_got:.4g} s.")
            mistakes += [
                (lambda: near_tau(tau_got, 1e3 * tau), "that looks like milliseconds; give tau_m in seconds."),
                (lambda: near_tau(tau_got, 1 / tau), "that is the decay rate 1/tau_m (per second), not tau_m."),
                (lambda: near_tau(tau_got, tau * math.log(2)),
                 "that is the time to rise HALF way (tau_m ln 2); tau_m is the time to rise 1 - 1/e = 63% of the way."),
                (lambda: near_tau(tau_got, tau * math.log(10)) or near_tau(tau_got, tau * math.log(20)),
                 "that is the time to rise 90-95% of the way; tau_m is the time to rise 1 - 1/e = 63% of the way."),
            ]
            hint = ("Hint: with a weak constant current V rises towards V_inf like 1 - e^{-t/tau_m}: find when it "
                    "has covered 63% of its rise, or fit the exponential.")
        else:
            problem = failed(f"the threshold is off by more than {MYSTERY_TOLERANCE['threshold']:g} mV for {case}: "
                             f"you said {thr_got:.4g}.")
            mistakes += [
                (lambda: near_thr(thr_got, rheobase, scale=0.05 / 1.0),
                 "that is the rheobase CURRENT (nA); the threshold is the potential it drives V to: "
                 "v_rest + R I_rh (mV)."),
                (lambda: near_thr(thr_got, thr - MYSTERY_V_REST),
                 "that is the threshold measured from rest; give the potential itself (v_rest + that), in mV."),
                (lambda: near_thr(thr_got, thr / 1e3, scale=1e-3), "that looks like volts; give the threshold in mV."),
            ]
            hint = ("Hint: drive the neuron hard enough to fire; V climbs to the threshold before each reset. Or find "
                    "the weakest current that fires (the rheobase I_rh): the threshold is v_rest + R I_rh.")
        for matches, mistake_hint in mistakes:
            if matches():
                return failed(f"{problem.message} Hint: {mistake_hint}")
        return failed(f"{problem.message} {hint}")
    return passed(f"your estimates are within 5% (tau_m) and {MYSTERY_TOLERANCE['threshold']:g} mV (threshold) "
                  f"for {len(seeds)} hidden neurons.")


# ------------------------------------------------------------------ the neuron under noise


def white_noise_current(mean_drive: float, sigma: float, tau_m: float, dt: float, num_steps: int, *,
                        seed: int = 0) -> np.ndarray:
    """R I_k for ``num_steps`` Euler steps (units of V; with R = 1 it is the current itself) such that the
    forward-Euler loop V_{k+1} = V_k + dt/tau_m (-(V_k - v_rest) + R I_k) is the Euler-Maruyama step of
    tau_m dV/dt = -(V - v_rest) + mu + sigma sqrt(2 tau_m) eta(t) (:func:`snnlesson.lif.simulate_noisy`):
    R I_k = mu + sigma sqrt(2 tau_m / dt) xi_k, xi_k ~ N(0, 1). Same seed, same current."""
    mean_drive = check_real("mean_drive", mean_drive)
    sigma = check_real("sigma", sigma, low=0.0)
    tau_m = check_real("tau_m", tau_m, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    num_steps = check_int("num_steps", num_steps, minimum=1)
    check_size(f"the current of num_steps = {num_steps} steps", num_steps, 8)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    return mean_drive + sigma * math.sqrt(2 * tau_m / dt) * rng.standard_normal(num_steps)


def isi_cv(intervals) -> float:
    """Coefficient of variation of inter-spike intervals (s, > 0): standard deviation / mean; needs 2 or more."""
    intervals = check_array("intervals", intervals, ndim=1, allow_empty=True)
    if intervals.size < 2:
        raise ValueError(f"intervals must hold at least 2 intervals to give a CV, got {intervals.size}")
    if np.any(intervals <= 0):
        raise ValueError(f"intervals must be > 0 s, got a minimum of {float(intervals.min())!r}")
    return float(intervals.std() / intervals.mean())


def noise_figure(traces, labels, isis, currents, rates, sigmas, analytic, *, dt: float, threshold: float = 1.0,
                 t_show: float = 0.4):
    """Three panels: membrane traces under noise, their ISI histograms (CV in the legend), and f-I curves
    for several noise levels beside the noiseless analytic curve. Returns the figure.

    ``traces``: one V trace per neuron (sampled every ``dt`` s); ``isis``: their intervals (s); ``rates``:
    ``[len(sigmas), len(currents)]`` (Hz); ``analytic``: the noiseless f-I curve at ``currents``.
    """
    dt = check_real("dt", dt, low=0.0, low_open=True)
    threshold = check_real("threshold", threshold)
    t_show = check_real("t_show", t_show, low=0.0, low_open=True)
    if isinstance(traces, (str, bytes)) or not hasattr(traces, "__len__"):
        raise TypeError(f"traces must be a list of membrane traces, got {type(traces).__name__}")
    traces = [check_array(f"traces[{k}]", v, ndim=1) for k, v in enumerate(traces)]
    if not isinstance(labels, (list, tuple)) or not all(isinstance(x, str) for x in labels):
        raise TypeError(f"labels must be a list of strings, one per trace, got {labels!r:.60}")
    if isinstance(isis, (str, bytes)) or not hasattr(isis, "__len__"):
        raise TypeError(f"isis must be a list of interval arrays, one per trace, got {type(isis).__name__}")
    isis = [check_array(f"isis[{k}]", i, ndim=1, allow_empty=True) for k, i in enumerate(isis)]
    if not (len(traces) == len(labels) == len(isis)) or not traces:
        raise ValueError(f"traces, labels and isis must have one entry per neuron each (at least one), got "
                         f"{len(traces)}, {len(labels)} and {len(isis)}")
    currents = check_array("currents", currents, ndim=1)
    sigmas = check_array("sigmas", sigmas, ndim=1)
    rates = check_array("rates", rates, ndim=2)
    analytic = check_array("analytic", analytic, ndim=1)
    if rates.shape != (sigmas.size, currents.size) or analytic.shape != currents.shape:
        raise ValueError(f"rates must have shape (len(sigmas), len(currents)) = {(sigmas.size, currents.size)} and "
                         f"analytic one value per current, got {rates.shape} and {analytic.shape}")
    fig, (ax_v, ax_h, ax_f) = plt.subplots(1, 3, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    n_show = int(round(t_show / dt)) + 1
    for k, (v, label) in enumerate(zip(traces, labels)):
        v = np.asarray(v)[:n_show]
        ax_v.plot(dt * np.arange(v.size), v + 1.6 * k, lw=0.7, color=f"C{k}", label=label)
        ax_v.axhline(threshold + 1.6 * k, color="tab:red", ls="--", lw=0.8)
    ax_v.plot([], [], color="tab:red", ls="--", lw=0.8, label="threshold")
    ax_v.set(xlabel="time (s)", ylabel="V (a.u.; second trace shifted up by 1.6)", xlim=(0, t_show),
             ylim=(-0.3, threshold + 1.6 * (len(traces) - 1) + 0.9))  # room above for the legend
    ax_v.set_title("membrane under white-noise drive", fontsize=10)
    ax_v.legend(fontsize=7, loc="upper right")
    top = max([float(np.percentile(i, 99)) for i in isis if len(i)] + [1e-3]) * 1e3
    bins = np.linspace(0, top, 40)
    for k, (intervals, label) in enumerate(zip(isis, labels)):
        ax_h.hist(np.asarray(intervals) * 1e3, bins=bins, density=True, alpha=0.6, color=f"C{k}",
                  label=f"{label}: CV = {isi_cv(intervals):.2f}")
    ax_h.set(xlabel="inter-spike interval (ms)", ylabel="probability density (1/ms)")
    ax_h.set_title("interval histograms", fontsize=10)
    ax_h.legend(fontsize=7)
    ax_f.plot(currents, analytic, "k-", lw=1.2, label="analytic, no noise")
    for k, (sigma, r) in enumerate(zip(sigmas, rates)):
        ax_f.plot(currents, r, "o-", ms=3, lw=0.8, color=f"C{k + 2}", label=f"simulated, σ = {sigma:g}")
    ax_f.set(xlabel="mean drive R·I (units of V; threshold 1)", ylabel="firing rate (Hz)")
    ax_f.set_title("noise smooths the f-I curve", fontsize=10)
    ax_f.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


# ------------------------------------------------ exercise checkers (moved from snnlesson.checks)


def check_euler_step(euler_step) -> CheckResult:
    """Lesson 01: ``euler_step(v, current, dt, tau_m, v_rest, resistance)`` must return
    v + dt / tau_m * (-(v - v_rest) + resistance * current) (times in seconds)."""
    cases = [  # (v, current, dt, tau_m, v_rest, resistance)
        (0.2, 1.5, 1e-3, 0.02, 0.0, 1.0),
        (-0.065, 2e-9, 1e-4, 0.01, -0.070, 1e7),
        (0.5, 0.0, 2e-3, 0.05, 0.1, 2.0),
        (np.array([0.0, 0.3, 0.9]), np.array([1.0, 0.5, 0.0]), 5e-4, 0.03, -0.2, 3.0),
    ]
    mistakes = [  # (what the reader may have written, hint)
        (lambda v, i, dt, tau, e, r: v + (-(v - e) + r * i) / tau,
         "the step does not scale with dt: multiply the slope dV/dt by dt."),
        (lambda v, i, dt, tau, e, r: v + dt * (-(v - e) + r * i),
         "divide by tau_m: the slope is dV/dt = (-(V - v_rest) + R I) / tau_m."),
        (lambda v, i, dt, tau, e, r: v + dt / tau * ((v - e) + r * i),
         "the leak has the wrong sign: it pulls V back towards v_rest, -(V - v_rest)."),
        (lambda v, i, dt, tau, e, r: v + dt / tau * (-(v - e) + i),
         "multiply the current by the resistance: the drive is R I."),
        (lambda v, i, dt, tau, e, r: v + dt / tau * (-v + r * i),
         "V leaks towards v_rest, not towards 0: use -(V - v_rest)."),
        (lambda v, i, dt, tau, e, r: dt / tau * (-(v - e) + r * i),
         "you returned only the change dV; return the new potential V + dV."),
        (lambda v, i, dt, tau, e, r: (e + r * i) + (v - e - r * i) * np.exp(-dt / tau),
         "that is the exact exponential step; the exercise asks for forward Euler, V + dt * dV/dt."),
    ]
    if is_stub(euler_step):
        return not_attempted()
    if not callable(euler_step):
        return failed(f"euler_step should be a function, got {type(euler_step).__name__}.")
    for v, current, dt, tau_m, v_rest, resistance in cases:
        case = (f"v={v}, current={current}, dt={dt}, tau_m={tau_m}, v_rest={v_rest}, "
                f"resistance={resistance}")
        expected = v + dt / tau_m * (-(v - v_rest) + resistance * current)
        try:
            got = euler_step(v, current, dt, tau_m, v_rest, resistance)
        except Exception as error:  # the reader's code raised: say so
            return failed(f"euler_step raised {type(error).__name__}: {error} for {case}.")
        if is_stub(got):
            return _stub_function("euler_step")
        problem = compare_arrays("the new potential", got, expected, rtol=ANSWER_RTOL, atol=1e-12, case=case)
        if problem is not None:
            for mistake, hint in mistakes:
                if compare_arrays("", got, mistake(v, current, dt, tau_m, v_rest, resistance),
                                  rtol=ANSWER_RTOL, atol=1e-12) is None:
                    return failed(f"{problem.message} Hint: {hint}")
            return problem
    return passed("V(t + dt) = V + dt/tau_m * (-(V - v_rest) + R I) on every case.")


def check_decay_factor(answer, tau_m: float = 0.02, dt: float = 1e-3) -> CheckResult:
    """Lesson 01: the decay factor beta of the discrete model for ``tau_m`` and ``dt`` (s): exp(-dt/tau_m)."""
    if is_stub(answer):
        return not_attempted("replace `...` with an expression for beta.")
    tau_m = check_real("tau_m (s)", tau_m, low=0.0, low_open=True)
    dt = check_real("dt (s)", dt, low=0.0, low_open=True)
    expected = float(np.exp(-dt / tau_m))
    got, problem = _answer_number(answer, "the decay factor")
    if problem is not None:
        return problem
    if abs(got - expected) <= ANSWER_RTOL * expected:
        return passed(f"beta = exp(-dt/tau_m) = {expected:.6f}.")
    mixed = ("milliseconds and seconds are mixed: give dt and tau_m in the same unit (here seconds, "
             f"dt = {dt:g}, tau_m = {tau_m:g}).")
    hints = [(1 - dt / tau_m, "that is 1 - dt/tau_m, forward Euler's factor: close, but the exact decay over "
                              "one step is exp(-dt/tau_m)."),
             (1 / (1 + dt / tau_m), "that is 1/(1 + dt/tau_m), backward Euler's factor: close, but the exact "
                                    "decay over one step is exp(-dt/tau_m)."),
             (dt / tau_m, "that is dt/tau_m, the fraction lost per step (roughly); beta is what is kept."),
             (float(np.exp(-tau_m / dt)), "dt and tau_m are swapped: beta = exp(-dt/tau_m)."),
             (float(np.exp(dt / tau_m)), "the exponent needs a minus sign: a leak shrinks V."),
             (float(np.exp(-1e3 * dt / tau_m)), mixed),  # dt in ms, tau_m in s
             (float(np.exp(-1e-3 * dt / tau_m)), mixed)]  # dt in s, tau_m in ms
    for value, hint in hints:  # relative to each value: a tiny answer matches only a tiny value close to it
        if value != 0 and abs(got - value) <= ANSWER_RTOL * abs(value):
            return failed(f"you gave {got:.6g}, expected {expected:.6f}: {hint}")
    if not 0 < got < 1:
        return failed(f"you gave {got:.6g}, expected {expected:.6f}: beta is the fraction of V kept over one "
                      "step, so it lies between 0 and 1 (close to 1 when dt is much shorter than tau_m).")
    shown_got, shown_expected = _apart(got, expected)
    return failed(f"you gave {shown_got}, expected {shown_expected}. Without input, V shrinks by the factor "
                  "exp(-t/tau_m) in t seconds; put t = dt.")
