"""Lesson 03 (STDP): its figures, its two explorers and the exercise checker.

* :func:`window_figure`: the STDP window W(delta_t), with the pairs of a few spike timings marked.
* :func:`pairing_figure`: one synapse, pre/post pairs at a fixed delta_t, its weight step by step.
* :func:`traces_figure`: the online rule: presynaptic trace, postsynaptic trace and the weight,
  ending on the double sum.
* :func:`competition_figure`: weight histograms before/after (additive and multiplicative bounds)
  and the output rate over time.
* :func:`correlation_figure`: a correlated group among the competing inputs wins: final weights, mean over time.
* :func:`input_raster_figure`: the pattern-detection input, pattern windows shaded.
* :func:`pattern_figure`: pattern detection: latency of every output spike, the potential at the
  start and at the end, the final weights.
* :func:`window_explorer`: sliders for A+, A-, tau+, tau- and the bound rule.
* :func:`competition_explorer`: input rate, A-/A+ and time over precomputed competition runs.
* :func:`check_stdp_window`: the exercise "write the window".
* :func:`check_online_stdp`: the build exercise "write the online rule" (all-to-all, then nearest);
  :func:`online_rule` is the package's answer, :func:`online_rule_figure` draws the reader's beside it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from snnlesson import stdp_competition as comp
from snnlesson import stdp_pattern as pat
from snnlesson._validate import check_array, check_int, check_real, check_record, check_size, check_spike_times
from snnlesson.checks import (CheckResult, _answer_array, _answer_number, _apart, _close, call_answer, diagnose,
                             failed, is_stub, not_attempted, passed)
from snnlesson.explorer import Explorer, dropdown, register_explorer, slider
from snnlesson.stdp import STDPParams, apply_change, online_stdp, pair_sum, window

__all__ = ["window_figure", "pairing_figure", "traces_figure", "competition_figure", "competition_grid",
           "pattern_figure", "input_raster_figure", "correlation_figure", "window_explorer", "competition_explorer", "check_stdp_window", "rate_curve",
           "online_rule", "online_rule_figure", "check_online_stdp"]

PRE_COLOR, POST_COLOR, W_COLOR = "tab:blue", "tab:red", "black"


# ------------------------------------------------------------------------------------------ figures


def window_figure(params: STDPParams = STDPParams(), ax=None, *, marks=(-0.03, -0.01, 0.01, 0.03)):
    """W(delta_t) over +-100 ms (delta_t = t_post - t_pre), with ``marks`` (s) as dots."""
    _check_ax(ax)
    marks = check_array("marks", marks, ndim=1, allow_empty=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.2))
    dt = np.linspace(-0.1, 0.1, 2001)
    ax.axhline(0, color="gray", lw=0.6)
    ax.axvline(0, color="gray", lw=0.6)
    ax.plot(1e3 * dt[dt > 0], window(dt[dt > 0], params), color=POST_COLOR,
            label=r"pre before post: $A_+ e^{-\Delta t/\tau_+}$")
    ax.plot(1e3 * dt[dt < 0], window(dt[dt < 0], params), color=PRE_COLOR,
            label=r"post before pre: $-A_- e^{\Delta t/\tau_-}$")
    ax.plot(1e3 * marks, window(marks, params), "o", color="black", ms=4, label="the pairs in the text")
    ax.set_xlabel(r"$\Delta t = t_\mathrm{post} - t_\mathrm{pre}$ (ms)")
    ax.set_ylabel(r"weight change $W(\Delta t)$")
    ax.set_title("the STDP window", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def _check_ax(ax) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")


def _spike_ticks(ax, times, y, color, label):
    ax.plot(times, np.full(len(times), y), ls="", marker="|", ms=12, mew=1.5, color=color, label=label)


def pairing_figure(delta_ts=(0.01, -0.01), num_pairs: int = 5, params: STDPParams = STDPParams(), *,
                   period: float = 0.2, weight: float = 0.5):
    """One synapse receiving ``num_pairs`` pre/post pairs at each delta_t in turn (one pair per ``period`` s).

    Returns ``(fig, run)``; ``run`` is the :class:`~snnlesson.stdp.OnlineSTDPResult`.
    """
    delta_ts = check_array("delta_ts", delta_ts, ndim=1).tolist()
    num_pairs = check_int("num_pairs", num_pairs, minimum=1, maximum=1000)
    period = check_real("period", period, low=0.0, low_open=True)
    weight = check_real("weight", weight)
    largest = max(abs(d) for d in delta_ts)
    if period <= largest:
        raise ValueError(f"period ({period!r} s) must be longer than the largest |delta_t| in delta_ts "
                         f"({largest!r} s), so that the pairs do not overlap")
    pre, post = [], []
    k = 0
    for d in delta_ts:
        for _ in range(num_pairs):
            t0 = 0.05 + k * period
            pre.append(t0 if d >= 0 else t0 - d)
            post.append(t0 + d if d >= 0 else t0)
            k += 1
    run = online_stdp(np.array(pre), np.array(post), params, weights=weight)
    t_stop = k * period + 0.05
    fig, (ax_s, ax_w) = plt.subplots(2, 1, figsize=(7.5, 3.8), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    _spike_ticks(ax_s, pre, 1, PRE_COLOR, "presynaptic spike")
    _spike_ticks(ax_s, post, 0, POST_COLOR, "postsynaptic spike")
    ax_s.set_yticks([0, 1], ["post", "pre"])
    ax_s.set_ylim(-0.7, 1.7)
    ax_s.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax_s.set_title(", then ".join(f"{num_pairs} pairs at Δt = {1e3 * d:+.0f} ms" for d in delta_ts), fontsize=10)
    times = np.concatenate([[0.0], np.repeat(run.times, 2), [t_stop]])
    values = np.repeat(run.history[:, 0], 2)
    ax_w.plot(times, values, color=W_COLOR, label="weight w")
    ax_w.set_xlim(0, t_stop)
    ax_w.set_xlabel("time (s)")
    ax_w.set_ylabel("weight w")
    ax_w.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig, run


def traces_figure(pre_times, post_times, params: STDPParams, *, t_stop: float | None = None):
    """The online rule at work on one synapse (no bounds, weight from 0): traces and the weight.

    The weight ends exactly at :func:`~snnlesson.stdp.pair_sum` (dashed). Returns ``(fig, run)``.
    """
    pre, post = check_spike_times("pre_times", pre_times), check_spike_times("post_times", post_times)
    if pre.size + post.size > 1000:
        raise ValueError(f"pre_times and post_times hold {pre.size + post.size} spikes; this figure draws at most 1000")
    t_last = max(pre.max(initial=0), post.max(initial=0))
    t_stop = float(t_last + 0.05) if t_stop is None else check_real("t_stop", t_stop, low=t_last, low_open=True)
    run = online_stdp(pre, post, params, weights=0.0)
    grid = np.linspace(0, t_stop, 3001)

    def trace(spikes, tau, reset):
        x = np.zeros_like(grid)
        for s in spikes:  # a handful of spikes: the trace is a sum of decaying exponentials
            after = grid >= s
            if reset:  # nearest: the trace is set to 1, forgetting what came before
                x[after] = 0.0
            x[after] += np.exp(-(grid[after] - s) / tau)
        return x

    nearest = params.pairing != "all-to-all"
    fig, (ax_x, ax_y, ax_w) = plt.subplots(3, 1, figsize=(7.5, 5.2), sharex=True)
    ax_x.plot(grid, trace(pre, params.tau_plus, nearest), color=PRE_COLOR, label="presynaptic trace x")
    _spike_ticks(ax_x, pre, -0.25, PRE_COLOR, "presynaptic spike")
    ax_y.plot(grid, trace(post, params.tau_minus, nearest), color=POST_COLOR, label="postsynaptic trace y")
    _spike_ticks(ax_y, post, -0.25, POST_COLOR, "postsynaptic spike")
    times = np.concatenate([[0.0], np.repeat(run.times, 2), [t_stop]])
    ax_w.plot(times, np.repeat(run.history[:, 0], 2), color=W_COLOR, label="weight w (online)")
    ax_w.axhline(pair_sum(pre, post, params), color="tab:green", ls="--", label="double sum Σ W(t_post - t_pre)")
    for ax, label in ((ax_x, "x"), (ax_y, "y")):
        ax.set_ylabel(f"trace {label}")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax_w.set_ylabel("weight change")
    ax_w.set_xlabel("time (s)")
    ax_w.set_xlim(-0.02 * t_stop, t_stop)  # padded: a spike at t = 0 stays clear of the axis spine
    ax_w.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax_x.set_title(f"online STDP with traces ({params.pairing} pairing)", fontsize=10)
    fig.tight_layout()
    return fig, run


def rate_curve(spike_times, t_stop: float, bin_width: float = 2.0):
    """Bin centres (s) and the output rate (Hz) in bins of ``bin_width`` s."""
    spike_times = check_array("spike_times", spike_times, ndim=1, allow_empty=True)
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    bin_width = check_real("bin_width", bin_width, low=0.0, low_open=True)
    check_size(f"the bins [t_stop / bin_width = {t_stop / bin_width:.3g}]", t_stop / bin_width + 1, 8)
    edges = np.arange(0.0, t_stop + 1e-9, bin_width)
    counts, _ = np.histogram(spike_times, bins=edges)
    return 0.5 * (edges[1:] + edges[:-1]), counts / bin_width


def competition_figure(additive: comp.CompetitionResult, multiplicative: comp.CompetitionResult | None = None,
                       g_max: float = comp.G_MAX):
    """Weight histograms (before, after with additive and multiplicative bounds) and the output rates."""
    for name, run in (("additive", additive), ("multiplicative", multiplicative)):
        if not isinstance(run, comp.CompetitionResult) and not (name == "multiplicative" and run is None):
            raise TypeError(f"{name} must be a CompetitionResult (from simulate_competition), got {type(run).__name__}")
        if run is not None:
            check_record(name, run, allow_inf=True)
    g_max = check_real("g_max", g_max, low=0.0, low_open=True)
    fig, (ax_h, ax_r) = plt.subplots(1, 2, figsize=(10.5, 3.4))
    bins = np.linspace(0, 1, 21)
    counts = [ax_h.hist(additive.initial_weights / g_max, bins=bins, color="lightgray", edgecolor="gray",
                        label="before (uniform)")[0],
              ax_h.hist(additive.weights / g_max, bins=bins, histtype="step", lw=2, color="tab:purple",
                        label=f"after {additive.t_stop:g} s, additive")[0]]
    ax_r.plot(*rate_curve(additive.spike_times, additive.t_stop), color="tab:purple", label="additive")
    if multiplicative is not None:
        counts.append(ax_h.hist(multiplicative.weights / g_max, bins=bins, histtype="step", lw=2,
                                color="tab:orange", label=f"after {multiplicative.t_stop:g} s, multiplicative")[0])
        ax_r.plot(*rate_curve(multiplicative.spike_times, multiplicative.t_stop), color="tab:orange",
                  label="multiplicative")
    ax_h.set_xlabel(r"weight $w / g_\mathrm{max}$")
    ax_h.set_ylabel("number of synapses")
    ax_h.set_title("synaptic weights", fontsize=10)
    ax_h.set_ylim(0, 1.5 * max(c.max() for c in counts))  # head room: the legend stays above the bars
    ax_h.legend(fontsize=8, loc="upper center")
    ax_r.set_xlabel("time (s)")
    ax_r.set_ylabel("output rate (Hz)")
    ax_r.set_ylim(bottom=0)
    ax_r.set_title("output rate (2 s bins)", fontsize=10)
    ax_r.legend(fontsize=8)
    fig.tight_layout()
    return fig


def correlation_figure(result: comp.CompetitionResult, num_correlated: int,
                       control: comp.CompetitionResult | None = None, g_max: float = comp.G_MAX):
    """A correlated group among the inputs: final weight of every input (group first), and the mean weight of
    the group and of the others over time; ``control`` (the same inputs without correlation) dashed."""
    for name, run in (("result", result), ("control", control)):
        if not isinstance(run, comp.CompetitionResult) and not (name == "control" and run is None):
            raise TypeError(f"{name} must be a CompetitionResult (from simulate_competition), got {type(run).__name__}")
        if run is not None:
            check_record(name, run, allow_inf=True)
    n = result.weights.size
    num_correlated = check_int("num_correlated", num_correlated, minimum=1, maximum=n - 1)
    g_max = check_real("g_max", g_max, low=0.0, low_open=True)
    group, rest = slice(0, num_correlated), slice(num_correlated, n)
    fig, (ax_w, ax_t) = plt.subplots(1, 2, figsize=(10.5, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
    index = np.arange(n)
    ax_w.plot(index[rest], result.weights[rest] / g_max, ".", ms=2, color="gray",
              label=f"the other {n - num_correlated} inputs (independent)")
    ax_w.plot(index[group], result.weights[group] / g_max, ".", ms=3, color="tab:green",
              label=f"the correlated group ({num_correlated} inputs)")
    ax_w.set_xlim(-0.01 * n, 1.01 * n)
    ax_w.set_ylim(-0.05, 1.05)
    ax_w.set_xlabel("input index")
    ax_w.set_ylabel(r"final weight $w / g_\mathrm{max}$")
    ax_w.set_title(f"weights after {result.t_stop:g} s", fontsize=10)
    ax_w.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, markerscale=4)
    t = result.snapshot_times
    ax_t.plot(t, result.snapshots[:, group].mean(axis=1) / g_max, color="tab:green", label="correlated group")
    ax_t.plot(t, result.snapshots[:, rest].mean(axis=1) / g_max, color="gray", label="the other inputs")
    if control is not None:
        ax_t.plot(control.snapshot_times, control.snapshots[:, group].mean(axis=1) / g_max, color="tab:green",
                  ls="--", label="the same group, no correlation")
    ax_t.set_ylim(0, 1.05)
    ax_t.set_xlabel("time (s)")
    ax_t.set_ylabel(r"mean weight $w / g_\mathrm{max}$")
    ax_t.set_title("mean weights over time", fontsize=10)
    ax_t.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def input_raster_figure(inp: pat.PatternInput, t_start: float = 0.0, length: float = 0.5, num_shown: int = 100):
    """Raster of ``num_shown`` afferents (half from the pattern, half not) over ``length`` s, pattern windows
    shaded; the hidden pattern is invisible to the eye."""
    if not isinstance(inp, pat.PatternInput):
        raise TypeError(f"inp must be a PatternInput (from pattern_input), got {type(inp).__name__}")
    check_record("inp", inp, allow_inf=True)
    p = inp.params
    t_start = check_real("t_start", t_start, low=0.0, high=inp.t_stop, high_open=True)
    length = check_real("length", length, low=0.0, low_open=True, high=inp.t_stop - t_start)
    num_shown = check_int("num_shown", num_shown, minimum=2,
                          maximum=2 * min(p.num_pattern, p.num_afferents - p.num_pattern))
    half = num_shown // 2
    shown = np.concatenate([np.arange(half), p.num_pattern + np.arange(num_shown - half)])
    row = np.full(p.num_afferents, -1)
    row[shown] = np.arange(num_shown)
    t, a = inp.window(t_start, t_start + length)
    keep = row[a] >= 0
    fig, ax = plt.subplots(figsize=(9.0, 3.6))
    for s in inp.pattern_starts[(inp.pattern_starts > t_start - p.pattern_length)
                                & (inp.pattern_starts < t_start + length)]:
        ax.axvspan(s, s + p.pattern_length, color="tab:green", alpha=0.15, lw=0)
    ax.plot(t[keep], row[a[keep]], "|", ms=3, color="black")
    ax.axhline(half - 0.5, color="gray", lw=0.6)
    ax.set_xlim(t_start, t_start + length)
    ax.set_ylim(-0.5, num_shown - 0.5)
    ax.set_yticks([half / 2, half + (num_shown - half) / 2],
                  [f"{half} pattern\nafferents", f"{num_shown - half} other\nafferents"])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("afferent")
    ax.set_title(f"{num_shown} of the {p.num_afferents} afferents, {length:g} s of input", fontsize=10)
    ax.legend(handles=[Line2D([], [], ls="", marker="|", color="black", label="input spike"),
                       Patch(color="tab:green", alpha=0.3, label="pattern window")],
              fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def pattern_figure(inp: pat.PatternInput, result: pat.PatternResult, windows=((0.0, 0.5), (None, 0.5)), *,
                   threshold: float = 500.0):
    """Latency of every output spike against time; the potential at the start and at the end (pattern
    windows shaded); the final weights of pattern and other afferents.

    ``windows``: ``(start, length)`` of the two potential panels (start ``None``: the end of the run);
    the potential must have been recorded there (``simulate_pattern(..., record=...)``).
    """
    if not isinstance(inp, pat.PatternInput):
        raise TypeError(f"inp must be a PatternInput (from pattern_input), got {type(inp).__name__}")
    if not isinstance(result, pat.PatternResult):
        raise TypeError(f"result must be a PatternResult (from simulate_pattern), got {type(result).__name__}")
    check_record("inp", inp, allow_inf=True)
    check_record("result", result, allow_inf=True)
    if isinstance(windows, (str, bytes)) or not isinstance(windows, (list, tuple)) or len(windows) < 2 \
            or not all(isinstance(w, (list, tuple)) and len(w) == 2 for w in windows):
        raise TypeError(f"windows must be two (start, length) pairs in seconds (start None: the end), got {windows!r}")
    windows = [(None if start is None else check_real(f"windows[{i}] start", start),
                check_real(f"windows[{i}] length", length, low=0.0, low_open=True))
               for i, (start, length) in enumerate(windows[:2])]
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    p = inp.params
    t_stop = inp.t_stop
    lat = pat.latencies(result.spike_times, inp.pattern_starts, p.pattern_length)
    fig = plt.figure(figsize=(10.5, 6.2))
    grid = fig.add_gridspec(2, 6)
    ax_l = fig.add_subplot(grid[0, :4])
    ax_w = fig.add_subplot(grid[0, 4:])
    hit = ~np.isnan(lat)
    ax_l.plot(result.spike_times[hit], 1e3 * lat[hit], ".", ms=3, color="tab:green",
              label="inside a pattern window: latency")
    ax_l.plot(result.spike_times[~hit], np.full((~hit).sum(), -4.0), "|", ms=6, color="tab:red",
              label="outside every pattern window (false alarm)")
    ax_l.set_xlim(0, t_stop)
    ax_l.set_ylim(-8, 1e3 * p.pattern_length)
    ax_l.set_xlabel("time (s)")
    ax_l.set_ylabel("latency after pattern start (ms)")
    ax_l.set_title(f"{result.spike_times.size} output spikes", fontsize=10)
    ax_l.legend(fontsize=7, loc="upper right")
    index = np.arange(p.num_afferents)
    ax_w.plot(index[:p.num_pattern], result.weights[:p.num_pattern], ".", ms=1.5, color="tab:green",
              label="pattern afferents")
    ax_w.plot(index[p.num_pattern:], result.weights[p.num_pattern:], ".", ms=1.5, color="gray",
              label="other afferents")
    ax_w.set_xlabel("afferent index")
    ax_w.set_ylabel("final weight w")
    ax_w.set_ylim(-0.05, 1.05)
    ax_w.set_title("weights at the end", fontsize=10)
    ax_w.legend(fontsize=7, loc="upper right", markerscale=5)
    for col, (start, length) in enumerate(windows[:2]):
        ax = fig.add_subplot(grid[1, 3 * col:3 * col + 3])
        start = t_stop - length if start is None else start
        keep = (result.trace_times >= start) & (result.trace_times < start + length)
        for s in inp.pattern_starts[(inp.pattern_starts > start - p.pattern_length)
                                    & (inp.pattern_starts < start + length)]:
            ax.axvspan(s, s + p.pattern_length, color="tab:green", alpha=0.15, lw=0)
        ax.plot(result.trace_times[keep], result.trace_u[keep], color="black", lw=0.6)
        ax.axhline(threshold, color="tab:red", ls="--", lw=0.8)
        ax.set_xlim(start, start + length)
        ax.set_ylim(-1.4 * threshold, 2.3 * threshold)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("potential u (a.u.)")
        ax.set_title(f"{'start' if col == 0 else 'end'} of learning", fontsize=10)
        ax.legend(handles=[Line2D([], [], color="black", lw=0.8, label="potential u"),
                           Line2D([], [], color="tab:red", ls="--", lw=0.8, label="threshold"),
                           Patch(color="tab:green", alpha=0.3, label="pattern window")],
                  fontsize=7, loc="lower right", ncol=3)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------- explorers

_DT_GRID = np.linspace(-0.1, 0.1, 401)
_W_GRID = np.linspace(0.0, 1.0, 101)


def window_explorer(a_plus: float = 0.01, a_minus: float = 0.0105, tau_plus: float = 0.02,
                    tau_minus: float = 0.02, bound_rule: str = "additive") -> Explorer:
    """Sliders for A+, A-, tau+ (s), tau- (s) and the bound rule.

    Left: the window W(delta_t) (fixed axes). Right: the change one pair at delta_t = +-10 ms makes,
    as a function of the current weight w in [0, 1] (the bound rule decides how it depends on w).
    The status line gives the window's area A+ tau+ - A- tau-: negative means that uncorrelated
    spikes weaken the synapse on average.
    """
    fig, (ax_w, ax_b) = plt.subplots(1, 2, figsize=(10.0, 3.4), gridspec_kw={"width_ratios": [1.4, 1]})
    for ax in (ax_w, ax_b):
        ax.axhline(0, color="gray", lw=0.6)
    ax_w.axvline(0, color="gray", lw=0.6)
    (pot_line,) = ax_w.plot([], [], color=POST_COLOR, label="pre before post (potentiation)")
    (dep_line,) = ax_w.plot([], [], color=PRE_COLOR, label="post before pre (depression)")
    ax_w.set_xlim(-100, 100)
    ax_w.set_ylim(-0.052, 0.052)
    ax_w.set_xlabel(r"$\Delta t = t_\mathrm{post} - t_\mathrm{pre}$ (ms)")
    ax_w.set_ylabel(r"$W(\Delta t)$ (weight units)")
    ax_w.legend(fontsize=7, loc="upper left")
    ax_w.set_title(" ", fontsize=10)
    (up_line,) = ax_b.plot([], [], color=POST_COLOR, label="one pair at Δt = +10 ms")
    (down_line,) = ax_b.plot([], [], color=PRE_COLOR, label="one pair at Δt = -10 ms")
    ax_b.set_xlim(0, 1)
    ax_b.set_ylim(-0.052, 0.052)
    ax_b.set_xlabel(r"current weight w ($w_\mathrm{min}=0$, $w_\mathrm{max}=1$)")
    ax_b.set_ylabel(r"weight change $\Delta w$")
    ax_b.legend(fontsize=7, loc="upper right")
    ax_b.set_title(" ", fontsize=10)
    fig.tight_layout()

    def update(a_plus, a_minus, tau_plus, tau_minus, bound_rule):
        p = STDPParams(a_plus=a_plus, a_minus=a_minus, tau_plus=tau_plus, tau_minus=tau_minus,
                       bound_rule=bound_rule)
        w = window(_DT_GRID, p)
        pos, neg = _DT_GRID >= 0, _DT_GRID <= 0
        pot_line.set_data(1e3 * _DT_GRID[pos], np.where(_DT_GRID[pos] > 0, w[pos], a_plus))
        dep_line.set_data(1e3 * _DT_GRID[neg], np.where(_DT_GRID[neg] < 0, w[neg], -a_minus))
        up = apply_change(_W_GRID, window(0.01, p), 0.0, p) - _W_GRID
        down = apply_change(_W_GRID, 0.0, -window(-0.01, p), p) - _W_GRID
        up_line.set_data(_W_GRID, up)
        down_line.set_data(_W_GRID, down)
        area = a_plus * tau_plus - a_minus * tau_minus
        ax_w.set_title(f"the window: area A+τ+ − A−τ− = {1e3 * area:+.3f} × 10⁻³ s", fontsize=10)
        ax_b.set_title(f"{bound_rule} bounds", fontsize=10)
        return (f"area of the window A+ tau+ - A- tau- = {area:+.2e} s: "
                + ("depression wins for uncorrelated spikes" if area < 0 else
                   "potentiation wins for uncorrelated spikes" if area > 0 else "balanced"))

    controls = {
        "a_plus": slider("A+", a_plus, 0.0, 0.05, 0.001, name="a_plus", readout_format=".3f"),
        "a_minus": slider("A−", a_minus, 0.0, 0.05, 0.0005, name="a_minus", readout_format=".4f"),
        "tau_plus": slider("τ+ (s)", tau_plus, 0.002, 0.06, 0.001, name="tau_plus"),
        "tau_minus": slider("τ− (s)", tau_minus, 0.002, 0.06, 0.001, name="tau_minus"),
        "bound_rule": dropdown("bound rule", bound_rule, ["additive", "multiplicative"], name="bound_rule"),
    }
    return Explorer(fig, controls, update,
                    dynamic=[pot_line, dep_line, up_line, down_line, ax_w.title, ax_b.title])


def competition_grid(rates=(10.0, 20.0), ratios=(1.0, 1.05, 1.1), t_stop: float = 50.0, *, seed: int = 0,
                     num_inputs: int = 1000) -> dict:
    """Competition runs for every (input rate Hz, A-/A+) pair: ``{(rate, ratio): CompetitionResult}``."""
    rates = check_array("rates", rates, ndim=1).tolist()
    ratios = check_array("ratios", ratios, ndim=1).tolist()
    if min(rates) < 0 or min(ratios) < 0:
        raise ValueError(f"rates (Hz) and ratios (A-/A+) must be >= 0, got rates={rates}, ratios={ratios}")
    runs = {}
    for rate in rates:
        for ratio in ratios:
            params = comp.CompetitionParams(num_inputs=num_inputs, rate=float(rate))
            runs[(float(rate), float(ratio))] = comp.simulate_competition(
                t_stop, params, comp.song_stdp(ratio=float(ratio)), seed=seed)
    return runs


def competition_explorer(runs: dict, time: float | None = None) -> Explorer:
    """Explore precomputed competition runs (:func:`competition_grid`): input rate, A-/A+ and time.

    Left: the weight histogram at the chosen time (over [0, g_max], 20 bins). Right: the output
    rate over the whole run, with a marker at the chosen time. Every slider move only looks up
    results computed in advance.
    """
    if not isinstance(runs, dict) or not runs:
        raise TypeError("runs must be a non-empty dict {(rate, ratio): CompetitionResult} from competition_grid")
    if not all(isinstance(k, tuple) and len(k) == 2 and isinstance(r, comp.CompetitionResult) for k, r in runs.items()):
        raise TypeError("runs must map (rate, ratio) pairs to CompetitionResults, as competition_grid returns")
    for r in runs.values():
        check_record("runs", r, allow_inf=True)
    rates = sorted({k[0] for k in runs})
    ratios = sorted({k[1] for k in runs})
    first = next(iter(runs.values()))
    t_stop = first.t_stop
    time = t_stop if time is None else check_real("time", time, low=0.0, high=t_stop)
    g_max = comp.G_MAX
    bins = np.linspace(0, 1, 21)
    curves = {key: rate_curve(r.spike_times, r.t_stop) for key, r in runs.items()}
    top = max(c[1].max(initial=0) for c in curves.values())

    fig, (ax_h, ax_r) = plt.subplots(1, 2, figsize=(10.0, 3.9))
    counts0, _ = np.histogram(first.initial_weights / g_max, bins=bins)
    ax_h.stairs(counts0, bins, color="gray", ls=":", label="at t = 0 (uniform)")
    hist = ax_h.stairs(counts0, bins, color="tab:purple", lw=2, label="at the chosen time")
    ax_h.set_xlim(0, 1)
    ax_h.set_ylim(0, 0.5 * first.weights.size)
    ax_h.set_xlabel(r"weight $w / g_\mathrm{max}$")
    ax_h.set_ylabel("number of synapses")
    # legends below the axes, off the data: a curve or a bar may reach any corner of its panel
    below = {"fontsize": 7, "loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncol": 2}
    ax_h.legend(**below)
    ax_h.set_title(" ", fontsize=10)
    (rate_line,) = ax_r.plot([], [], color="tab:purple", label="output rate")
    now = ax_r.axvline(time, color="gray", ls="--", lw=1, label="chosen time")
    ax_r.set_xlim(-0.02 * t_stop, 1.02 * t_stop)  # padded: the time marker at 0 or t_stop clears the spines
    # Rates run from a few Hz (strong depression) to hundreds (runaway at A-/A+ = 1): a log scale
    # (linear below 1 Hz, so a silent bin still shows as 0) keeps every run readable on one fixed axis.
    ax_r.set_yscale("symlog", linthresh=1.0)
    ax_r.set_ylim(0, 1.5 * max(top, 1.0))
    ax_r.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))  # 1, 10, 100 rather than 10^0 ...
    ax_r.set_xlabel("time (s)")
    ax_r.set_ylabel("output rate (Hz, 2 s bins; log scale)")
    ax_r.legend(**below)
    ax_r.set_title(" ", fontsize=10)
    fig.tight_layout()

    def update(rate, ratio, time):
        run = runs[(rate, ratio)]
        k = int(np.argmin(np.abs(run.snapshot_times - time)))
        counts, _ = np.histogram(run.snapshots[k] / g_max, bins=bins)
        hist.set_data(counts, bins)
        rate_line.set_data(*curves[(rate, ratio)])
        now.set_xdata([time, time])
        low, high = comp.weight_fractions(run.snapshots[k], g_max)
        ax_h.set_title(f"t = {run.snapshot_times[k]:.0f} s: {100 * low:.0f}% below 0.2 g_max, "
                       f"{100 * high:.0f}% above 0.8 g_max", fontsize=10)
        out = comp.output_rate(run.spike_times, max(0.0, time - 5.0), max(time, 5.0))
        ax_r.set_title(f"{rate:g} Hz inputs, A−/A+ = {ratio:g}", fontsize=10)
        return f"output rate around t = {time:.0f} s: {out:.1f} Hz"

    controls = {
        "rate": dropdown("input rate (Hz)", rates[0], rates, name="rate"),
        "ratio": dropdown("A−/A+", ratios[len(ratios) // 2], ratios, name="ratio"),
        "time": slider("time (s)", time, 0.0, t_stop, float(first.snapshot_times[1] - first.snapshot_times[0]),
                       name="time"),
    }
    return Explorer(fig, controls, update, dynamic=[hist, rate_line, now, ax_h.title, ax_r.title])


@register_explorer("window_explorer")
def _demo_window_explorer() -> Explorer:
    return window_explorer()


@register_explorer("competition_explorer")
def _demo_competition_explorer() -> Explorer:
    return competition_explorer(competition_grid(rates=(10.0, 20.0), ratios=(1.0, 1.05), t_stop=10.0))


# ----------------------------------------------------------------------------------------- exercise


class _Returned:
    """The reader's return value, boxed so that ``call_answer`` does not take a list holding ``None``
    (one missing value) for an untouched stub."""

    def __init__(self, value):
        self.value = value


#: The delta_t (s) the window checker tries: both sides, with several values within 5 ms of 0
#: (a window wrong only near 0 must not pass), and 0 itself.
_WINDOW_DELTA_T = np.array([-0.06, -0.02, -0.005, -0.002, -0.0004, 0.0, 0.0003, 0.001, 0.0025, 0.004, 0.015, 0.05])


def check_stdp_window(fn) -> CheckResult:
    """Exercise: ``fn(delta_t, a_plus, a_minus, tau_plus, tau_minus)`` should return W(delta_t) for an
    array of delta_t = t_post - t_pre (s): a_plus exp(-delta_t/tau_plus) for delta_t > 0,
    -a_minus exp(delta_t/tau_minus) for delta_t < 0, 0 at 0. Reference: :func:`snnlesson.stdp.window`.
    """
    if is_stub(fn):
        return not_attempted()
    if not callable(fn):
        return failed(f"your answer should be a function of (delta_t, a_plus, a_minus, tau_plus, tau_minus), "
                      f"got {type(fn).__name__}.")
    delta_t = _WINDOW_DELTA_T
    cases = [(0.01, 0.0105, 0.02, 0.02), (0.03, 0.02, 0.0168, 0.0337), (0.5, 0.25, 0.01, 0.04)]
    for a_plus, a_minus, tau_plus, tau_minus in cases:
        case = (f"a_plus={a_plus}, a_minus={a_minus}, tau_plus={tau_plus}, tau_minus={tau_minus}, "
                f"delta_t={delta_t.tolist()}")
        p = STDPParams(a_plus=a_plus, a_minus=a_minus, tau_plus=tau_plus, tau_minus=tau_minus)
        expected = window(delta_t, p)
        boxed, problem = call_answer(lambda *args: _Returned(fn(*args)),
                                     (delta_t.copy(), a_plus, a_minus, tau_plus, tau_minus), case)
        if problem is not None:
            return problem
        got = boxed.value
        if got is None or got is Ellipsis:
            return not_attempted(f"`{getattr(fn, '__name__', 'your function')}` returns nothing yet: replace `...` "
                                 "in its body with your code and `return` the array of weight changes.")
        if isinstance(got, (list, tuple)) and len(got) == delta_t.size and any(v is None for v in got):
            missing = [float(d) for d, v in zip(delta_t, got) if v is None]
            at_zero = missing == [0.0]
            return failed(f"your function returned None at delta_t = {', '.join(f'{m:g}' for m in missing)} s: "
                          + ("the value at delta_t = 0 is missing. W(0) = 0: a pre and a post spike at the same "
                             "instant change nothing, so return 0.0 there." if at_zero else
                             "every delta_t needs a number.") + f" (for {case})")
        got, problem = _answer_array("your function's result", got, case=case)
        if problem is not None:
            return problem
        if got.shape != expected.shape:
            return failed(f"your function returned shape {got.shape}; expected one value per delta_t, "
                          f"shape {expected.shape} (for {case}).")
        if _close(got, expected):
            continue
        d = delta_t
        hints = [
            (np.where(d > 0, a_plus * np.exp(-d / tau_plus), a_minus * np.exp(d / tau_minus)) * (d != 0),
             "the depression side must be negative: -a_minus * exp(delta_t / tau_minus)."),
            (np.where(d < 0, a_plus * np.exp(d / tau_plus), np.where(d > 0, -a_minus * np.exp(-d / tau_minus), 0)),
             "the sides are swapped: delta_t = t_post - t_pre > 0 (pre before post) potentiates."),
            (np.where(d > 0, a_plus * np.exp(-d / tau_minus), np.where(d < 0, -a_minus * np.exp(d / tau_plus), 0)),
             "tau_plus belongs to the potentiation side (delta_t > 0), tau_minus to depression."),
            (np.where(d > 0, a_minus * np.exp(-d / tau_plus), np.where(d < 0, -a_plus * np.exp(d / tau_minus), 0)),
             "a_plus and a_minus are swapped: a_plus is the height of the potentiation side (delta_t > 0), "
             "a_minus of the depression side (delta_t < 0)."),
            (np.where(d > 0, a_plus * np.exp(d / tau_plus), np.where(d < 0, -a_minus * np.exp(-d / tau_minus), 0)),
             "the window must decay away from 0: exp(-delta_t / tau_plus) for delta_t > 0 and "
             "exp(+delta_t / tau_minus) for delta_t < 0."),
            (np.where(d >= 0, a_plus * np.exp(-d / tau_plus), -a_minus * np.exp(d / tau_minus)),
             "W(0) must be 0: use delta_t > 0 for potentiation, not >=."),
            (np.where(d > 0, a_plus * np.exp(-d / tau_plus), -a_minus * np.exp(d / tau_minus)),
             "W(0) must be 0: a pre and a post spike at the same instant change nothing."),
        ]
        for wrong, hint in hints:
            if _close(got, wrong, scale=expected):
                return failed(f"{hint} (for {case})")
        i = int(np.argmax(np.abs(got - expected)))
        shown_got, shown_expected = _apart(got[i], expected[i])
        return failed(f"at delta_t = {d[i]:g} s you return {shown_got}, expected {shown_expected} (for {case}).")
    return passed("your window equals snnlesson.stdp.window on every case: potentiation for pre-before-post, "
                  "depression for post-before-pre, and 0 at delta_t = 0.")


# ------------------------------------------------------------------------- build exercise: online rule


def online_rule(pre_times, post_times, a_plus: float, a_minus: float, tau_plus: float, tau_minus: float,
                nearest: bool = False) -> float:
    """The package's answer to the build exercise: the total weight change of one synapse (no bounds, from 0)
    under the online trace rule, all-to-all or (``nearest=True``) nearest pairing; times in seconds.
    It is :func:`snnlesson.stdp.online_stdp` with ``bound_rule="none"``."""
    if not isinstance(nearest, (bool, np.bool_)):
        raise TypeError(f"nearest must be True or False, got {nearest!r:.60}")
    params = STDPParams(a_plus=a_plus, a_minus=a_minus, tau_plus=tau_plus, tau_minus=tau_minus, bound_rule="none",
                        pairing="nearest" if nearest else "all-to-all")
    return float(online_stdp(pre_times, post_times, params, weights=0.0, history=False).weights[0])


def _trace_rule(pre, post, a_plus, a_minus, tau_plus, tau_minus, nearest=False, *, decay=True, swap_tau=False,
                coincident="together", depression_sign=-1.0, reset=(True, True), swap_a=False, time_scale=1.0,
                tau_scale=1.0, elapsed=True, own_trace=False):
    """The event loop of the exercise with switches that make one typical mistake each (defaults: right)."""
    if swap_a:
        a_plus, a_minus = a_minus, a_plus
    tau_x, tau_y = (tau_minus, tau_plus) if swap_tau else (tau_plus, tau_minus)
    tau_x, tau_y = tau_x * tau_scale, tau_y * tau_scale
    pre, post = np.asarray(pre, float) * time_scale, np.asarray(post, float) * time_scale
    if coincident == "together":
        events = [(t, t in pre, t in post) for t in np.union1d(pre, post)]
    else:  # one spike at a time; at a shared time "pre first" or "post first"
        first_pre = coincident == "pre first"
        events = sorted([(t, True, False) for t in pre] + [(t, False, True) for t in post],
                        key=lambda e: (e[0], not e[1] if first_pre else e[1]))
    x = y = w = 0.0
    t_last = 0.0
    for t, pre_here, post_here in events:
        if decay:
            x *= np.exp(-((t - t_last) if elapsed else t) / tau_x)
            y *= np.exp(-((t - t_last) if elapsed else t) / tau_y)
        t_last = t
        if post_here:
            w += a_plus * (y if own_trace else x)
        if pre_here:
            w += depression_sign * a_minus * (x if own_trace else y)
        if pre_here:
            x = 1.0 if nearest and reset[0] else x + 1.0
        if post_here:
            y = 1.0 if nearest and reset[1] else y + 1.0
    return w


#: Seconds the reader's online rule may run on one hidden case before it is stopped.
ONLINE_TIME_LIMIT_S = 5.0

# hidden spike trains (s): coincident pre/post spikes, a first spike well after t = 0, bursts and gaps
_ONLINE_CASES = (
    (np.array([0.005, 0.012, 0.030, 0.031, 0.060, 0.071]), np.array([0.012, 0.020, 0.045, 0.060, 0.062]),
     0.01, 0.012, 0.017, 0.034),
    (np.array([0.041, 0.043, 0.090, 0.118, 0.150, 0.152, 0.155, 0.240, 0.300]),
     np.array([0.050, 0.118, 0.151, 0.200, 0.240, 0.245]), 0.03, 0.02, 0.02, 0.045),
    (np.round(np.sort(np.random.default_rng(19).choice(np.arange(1, 400), 24, replace=False)) * 1e-3, 3),
     np.round(np.sort(np.random.default_rng(23).choice(np.arange(1, 400), 12, replace=False)) * 1e-3, 3),
     0.5, 0.25, 0.01, 0.03),
)
for _pre, _post, *_ in _ONLINE_CASES[:2]:  # the hand-made cases must hold spikes at a shared time
    assert np.intersect1d(_pre, _post).size >= 2


def _online_mistakes(pre, post, a_plus, a_minus, tau_plus, tau_minus, nearest):
    """The mistake catalogue: (what the mistake returns for this case, hint)."""
    def rule(**mistake):
        return lambda: _trace_rule(pre, post, a_plus, a_minus, tau_plus, tau_minus, nearest, **mistake)

    return [
        (rule(decay=False), "the traces never decay: before using them at a spike, multiply x by "
                            "exp(-(t - t_last) / tau_plus) and y by exp(-(t - t_last) / tau_minus)."),
        (rule(swap_tau=True), "the time constants are swapped: the presynaptic trace x decays with tau_plus "
                              "(it drives potentiation), the postsynaptic trace y with tau_minus."),
        (rule(elapsed=False), "decay by the time since the last event, exp(-(t - t_last) / tau), not by "
                              "exp(-t / tau) with the absolute time t."),
        (rule(coincident="pre first"), "at a time with both a pre- and a postsynaptic spike, your postsynaptic "
                                       "spike read x after the presynaptic spike at the same time had raised it. "
                                       "Update the weight from both traces first, then let the spikes move the "
                                       "traces (W(0) = 0: spikes at the same instant do not pair)."),
        (rule(coincident="post first"), "at a time with both a pre- and a postsynaptic spike, your presynaptic "
                                        "spike read y after the postsynaptic spike at the same time had raised it. "
                                        "Update the weight from both traces first, then let the spikes move the "
                                        "traces (W(0) = 0: spikes at the same instant do not pair)."),
        (rule(depression_sign=+1.0), "depression must lower the weight: at a presynaptic spike, w -= a_minus * y."),
        (rule(swap_a=True), "a_plus and a_minus are swapped: a postsynaptic spike potentiates by a_plus * x, a "
                            "presynaptic spike depresses by a_minus * y."),
        (rule(own_trace=True), "each spike must read the OTHER neuron's trace: a postsynaptic spike potentiates "
                               "by a_plus * x (the presynaptic trace), a presynaptic spike depresses by a_minus * y."),
        (rule(reset=(False, False)), "with nearest=True a spike must SET its trace to 1 (x = 1.0), not add 1 "
                                     "(x += 1 is all-to-all): only the nearest earlier spike counts."),
        (rule(reset=(False, True)), "with nearest=True the presynaptic trace must be set to 1 at a presynaptic "
                                    "spike too (x = 1.0, not x += 1)."),
        (rule(reset=(True, False)), "with nearest=True the postsynaptic trace must be set to 1 at a postsynaptic "
                                    "spike too (y = 1.0, not y += 1)."),
        (rule(time_scale=1e3), "your traces have decayed to almost nothing before the next spike: the spike "
                               "times and tau_plus, tau_minus are all in seconds; do not convert one of them to ms."),
        (rule(tau_scale=1e3), "your traces hardly decay: the spike times and tau_plus, tau_minus are all in "
                              "seconds; do not convert one of them to ms."),
    ]


def check_online_stdp(fn) -> CheckResult:
    """Build exercise: ``fn(pre_times, post_times, a_plus, a_minus, tau_plus, tau_minus, nearest=False)`` returns
    the total weight change (a number) of one synapse, from 0 and without bounds, under the online trace rule.

    Checked on hidden spike trains (with spikes at shared times): all-to-all against the double sum
    :func:`snnlesson.stdp.pair_sum`, then ``nearest=True`` against :func:`snnlesson.stdp.online_stdp` with
    nearest pairing. A wrong answer gets the hint of the catalogued mistake it matches (:func:`_online_mistakes`).
    """
    if is_stub(fn):
        return not_attempted()
    if not callable(fn):
        return failed("your answer should be a function of (pre_times, post_times, a_plus, a_minus, tau_plus, "
                      f"tau_minus, nearest=False), got {type(fn).__name__}.")
    name = getattr(fn, "__name__", "your function")
    for nearest in (False, True):
        for k, (pre, post, a_plus, a_minus, tau_plus, tau_minus) in enumerate(_ONLINE_CASES, 1):
            case = (f"hidden case {k}, nearest={nearest}: {pre.size} pre- and {post.size} postsynaptic spikes, "
                    f"a_plus={a_plus}, a_minus={a_minus}, tau_plus={tau_plus}, tau_minus={tau_minus}")
            params = STDPParams(a_plus=a_plus, a_minus=a_minus, tau_plus=tau_plus, tau_minus=tau_minus,
                                bound_rule="none", pairing="nearest" if nearest else "all-to-all")
            expected = (online_stdp(pre, post, params, weights=0.0, history=False).weights[0] if nearest
                        else pair_sum(pre, post, params))
            got, problem = call_answer(fn, (pre.copy(), post.copy(), a_plus, a_minus, tau_plus, tau_minus, nearest),
                                       case, time_limit_s=ONLINE_TIME_LIMIT_S)
            if problem is not None:
                return problem
            got, problem = _answer_number(got, f"the weight change `{name}` returned")
            if problem is not None:
                return failed(f"{problem.message} (for {case}; return the total weight change w, one number.)")
            scale = np.array([a_plus + a_minus])
            if _close(np.array([got]), np.array([expected]), scale=scale):
                continue
            shown_got, shown_expected = _apart(got, expected)
            what = "online_stdp with nearest pairing" if nearest else "the double sum pair_sum"
            problem = failed(f"for {case}, you return {shown_got}; {what} gives {shown_expected}."
                             + (" Your all-to-all rule is right; now nearest=True." if nearest else ""))
            return diagnose(problem, got, _online_mistakes(pre, post, a_plus, a_minus, tau_plus, tau_minus, nearest),
                            same=lambda a, b: _close(np.array([a]), np.array([b]), scale=scale))
    return passed("your online rule equals the double sum (all-to-all) and online_stdp's nearest pairing on every "
                  "hidden case, spikes at the same instant included.")


def online_rule_figure(rule, pre_times, post_times, params: STDPParams = STDPParams(), *, num_points: int = 60):
    """The weight change of one synapse over time under ``rule`` (the reader's function, or :func:`online_rule`),
    all-to-all and nearest, as markers beside the package's :func:`~snnlesson.stdp.online_stdp` (lines).

    ``rule`` is called on the spikes up to each of ``num_points`` times. Returns ``(fig, changes)``: the rule's
    final changes ``{"all-to-all": ..., "nearest": ...}``.
    """
    if not callable(rule):
        raise TypeError(f"rule must be a function like online_rule, got {type(rule).__name__}")
    pre, post = check_spike_times("pre_times", pre_times), check_spike_times("post_times", post_times)
    if not isinstance(params, STDPParams):
        raise TypeError(f"params must be an STDPParams, got {type(params).__name__}")
    num_points = check_int("num_points", num_points, minimum=2, maximum=500)
    if pre.size + post.size > 5000:
        raise ValueError(f"pre_times and post_times hold {pre.size + post.size} spikes; this figure takes at most 5000")
    t_stop = float(max(pre.max(initial=0.0), post.max(initial=0.0))) + 0.01
    checkpoints = np.linspace(0.0, t_stop, num_points)
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    changes = {}
    for pairing, color in (("all-to-all", "tab:purple"), ("nearest", "tab:orange")):
        p = STDPParams(a_plus=params.a_plus, a_minus=params.a_minus, tau_plus=params.tau_plus,
                       tau_minus=params.tau_minus, bound_rule="none", pairing=pairing)
        run = online_stdp(pre, post, p, weights=0.0)
        ax.plot(np.concatenate([[0.0], np.repeat(run.times, 2), [t_stop]]), np.repeat(run.history[:, 0], 2),
                color=color, lw=1, label=f"package's online_stdp, {pairing}")
        mine = [float(rule(pre[pre <= t], post[post <= t], params.a_plus, params.a_minus, params.tau_plus,
                           params.tau_minus, pairing == "nearest")) for t in checkpoints]
        ax.plot(checkpoints, mine, "o", ms=3, color=color, mfc="none", label=f"the rule used here, {pairing}")
        changes[pairing] = mine[-1]
    ax.axhline(0, color="gray", lw=0.6)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight change since t = 0")
    ax.set_title(f"one synapse, {pre.size} pre- and {post.size} postsynaptic spikes: "
                 "the online rule beside the package's", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig, changes
