"""Lesson 01 explorer: one LIF neuron driven by a Poisson spike train, redrawn in place.

Sliders: membrane time constant tau_m (the decay rate is 1/tau_m), synaptic weight,
threshold and input rate. Every move re-simulates the neuron exactly
(:func:`snnlesson.lif.simulate`) and changes the data of the existing artists.
:func:`bench_explorer` measures how long a slider move takes, figure-to-PNG included.
"""

from __future__ import annotations

import statistics
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from snnlesson import lif
from snnlesson.plot import lif_trace_points
from snnlesson.widgets.base import Explorer, log_slider, slider

__all__ = ["lif_explorer", "candidate_input", "thin_input", "bench_explorer"]

MAX_INPUT_RATE = 200.0  # Hz, the top of the input-rate slider


def candidate_input(t_stop: float, *, max_rate: float = MAX_INPUT_RATE, seed: int = 0):
    """Spike times (s) of a Poisson train at ``max_rate`` Hz, each with a uniform mark in [0, 1).

    Keeping the spikes whose mark is below ``rate / max_rate`` gives a Poisson train at ``rate``
    (thinning); a higher rate only adds spikes, so the train changes smoothly with the slider.
    """
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0.0, t_stop, size=rng.poisson(max_rate * t_stop)))
    return times, rng.uniform(size=times.size)


def thin_input(times, marks, rate: float, *, max_rate: float = MAX_INPUT_RATE) -> np.ndarray:
    """The spikes of a :func:`candidate_input` train that make a Poisson train of ``rate`` Hz."""
    if not 0.0 <= rate <= max_rate:
        raise ValueError(f"rate must be in [0, {max_rate}] Hz, got {rate!r}")
    return times[marks < rate / max_rate]


def lif_explorer(tau_m: float = 0.05, weight: float = 0.35, threshold: float = 1.0,
                 input_rate: float = 60.0, *, t_stop: float = 1.0, dt: float = 5e-4,
                 seed: int = 0) -> Explorer:
    """Sliders for tau_m (s), weight, threshold and input rate (Hz) over one LIF neuron's trace.

    The neuron starts at rest (0), resets to 0, has no refractory period and receives a
    Poisson train (fixed ``seed``); the membrane is simulated exactly and sampled every ``dt`` s.
    """
    times, marks = candidate_input(t_stop, seed=seed)
    # one axes, no legend, no title, few tick labels: text is what costs time when the figure is
    # re-drawn to PNG; the key (black V, dashed threshold, blue input ticks, red output spikes)
    # is in the status line
    fig, ax_v = plt.subplots(figsize=(7.0, 3.2))
    (trace,) = ax_v.plot([], [], color="black", lw=1.0)
    threshold_line = ax_v.axhline(threshold, color="tab:red", ls="--", lw=1.0)
    inputs_artist = ax_v.scatter([], [], marker="|", s=60, color="tab:blue")
    spikes_artist = ax_v.scatter([], [], marker="v", s=40, color="tab:red", zorder=3)
    ax_v.set_xlim(0, t_stop)
    ax_v.xaxis.set_major_locator(MaxNLocator(5))  # few tick labels: each costs time per redraw
    ax_v.yaxis.set_major_locator(MaxNLocator(4))
    ax_v.set_xlabel("time (s)")
    ax_v.set_ylabel("membrane potential V")
    fig.tight_layout()

    def update(tau_m, weight, threshold, input_rate):
        params = lif.LIFParams(tau_m=tau_m, threshold=threshold)
        spikes_in = thin_input(times, marks, input_rate)
        result = lif.simulate(params, t_stop, dt, input_spikes=spikes_in, weights=weight)
        trace.set_data(*lif_trace_points(result, params))
        threshold_line.set_ydata([threshold, threshold])
        inputs_artist.set_offsets(np.column_stack([spikes_in, np.full(spikes_in.shape, -0.12 * threshold)]))
        spike_y = np.full(result.spike_times.shape, threshold * 1.1)
        spikes_artist.set_offsets(np.column_stack([result.spike_times, spike_y]))
        ax_v.set_ylim(-0.2 * threshold, 1.2 * threshold)
        return (f"decay rate 1/tau_m = {1 / tau_m:.3g} /s; {len(spikes_in)} input spikes (blue), "
                f"{len(result.spike_times)} output spikes (red) in {t_stop:g} s; "
                "black: membrane potential V, dashed: threshold")

    controls = {
        "tau_m": log_slider("tau_m (s)", tau_m, -3, 0),
        "weight": slider("weight", weight, 0.0, 1.5, 0.01),
        "threshold": slider("threshold", threshold, 0.2, 3.0, 0.05),
        "input_rate": slider("input rate (Hz)", input_rate, 0.0, MAX_INPUT_RATE, 5.0),
    }
    return Explorer(fig, controls, update)


def bench_explorer(num_moves: int = 40) -> dict:
    """Milliseconds per slider move of :func:`lif_explorer`: simulate, update the artists and draw
    the figure to PNG (what :class:`~snnlesson.widgets.base.Explorer` sends to the notebook).

    Wall-clock times (median, max) depend on what else runs on the machine; the CPU time of this
    process per move (``median_cpu_ms_per_move``) is reported beside them.
    """
    import matplotlib

    matplotlib.use("Agg")
    explorer = lif_explorer()
    rng = np.random.default_rng(0)
    names = list(explorer.controls)
    move_ms, move_cpu_ms, simulate_ms = [], [], []
    for k in range(num_moves):
        control = explorer.controls[names[k % len(names)]]
        if hasattr(control, "base"):  # log slider: min/max are exponents
            new = control.base ** rng.uniform(control.min, control.max)
        else:
            new = round(rng.uniform(control.min, control.max) / control.step) * control.step
        start, start_cpu = time.perf_counter(), time.process_time()
        control.value = new  # calls update() and renders the PNG, synchronously
        move_ms.append(1e3 * (time.perf_counter() - start))
        move_cpu_ms.append(1e3 * (time.process_time() - start_cpu))
        values = explorer.values()
        start = time.perf_counter()
        spikes_in = thin_input(*candidate_input(1.0), values["input_rate"])
        lif.simulate(lif.LIFParams(tau_m=values["tau_m"], threshold=values["threshold"]), 1.0, 5e-4,
                     input_spikes=spikes_in, weights=values["weight"])
        simulate_ms.append(1e3 * (time.perf_counter() - start))
    plt.close(explorer.fig)
    return {"moves": num_moves, "median_ms_per_move": round(statistics.median(move_ms), 2),
            "max_ms_per_move": round(max(move_ms), 2),
            "median_cpu_ms_per_move": round(statistics.median(move_cpu_ms), 2),
            "median_ms_simulation_only": round(statistics.median(simulate_ms), 2),
            "png_bytes": len(explorer.image.value), "grid_points": int(round(1.0 / 5e-4)) + 1}
