"""Lesson 04 (SpikeProp): figures, the SRM explorer and the exercise checker.

Figures (each returns the matplotlib Figure): :func:`kernel_figure` (the alpha kernel and
one connection's 16 delayed terminals), :func:`time_vs_weight_figure` (a spike count is a step,
a spike time is smooth, until it jumps or the neuron falls silent), :func:`xor_training_figure`,
:func:`convergence_figure`, :func:`iris_output_figure`, :func:`timing_histogram`.

:func:`gradient_check` compares SpikeProp's gradient with central finite differences.
:func:`srm_explorer` shows the output neuron of an XOR network: its membrane potential, spike
time, target and loss under sliders, beside the (precomputed) training run.
:func:`check_kernel_derivative` checks the exercise.

Build exercises (the reader writes SpikeProp's backward pass): :func:`check_output_gradient` judges the
output layer's ``(dt_dw, delta)`` and :func:`check_hidden_delta` the hidden layer's ``delta``, on hidden
networks against finite differences of the package's spike times; :func:`output_layer_gradient` and
:func:`hidden_delta` are the package's answers. :func:`descent_figure` and :func:`xor_descent_figure` then
train with the reader's functions beside :func:`snnlesson.spikeprop.backward`.

Times are computed in seconds (``snnlesson.spikeprop``) and drawn in milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from snnlesson import _files
from snnlesson import spikeprop as sp
from snnlesson._validate import check_bool, check_int, check_real, check_record, check_seed, check_size
from snnlesson import spikeprop_training as tr
from snnlesson.checks import (CheckResult, _answer_array, _apart, _close, call_answer, diagnose, failed,
                             is_stub, not_attempted, passed)
from snnlesson.data import xor_spike_times
from snnlesson.explorer import Explorer, dropdown, int_slider, register_explorer, slider

__all__ = ["kernel_figure", "time_vs_weight", "time_vs_weight_figure", "gradient_check",
           "xor_training_figure", "convergence_study", "write_convergence", "convergence_figure", "iris_output_figure", "timing_histogram",
           "xor_snapshots", "srm_explorer", "check_kernel_derivative",
           "output_layer_gradient", "hidden_delta", "finite_difference_dt_dw", "check_output_gradient",
           "check_hidden_delta", "OUTPUT_GRADIENT_MISTAKES", "HIDDEN_DELTA_MISTAKES", "descend", "descent_figure",
           "xor_descent", "xor_descent_figure"]

MS = 1e3  # seconds -> milliseconds for the axes
XOR_NAMES = ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"]
COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red"]


def _sum_to_shape(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a per-pattern gradient over the dimensions that ``shape`` broadcast (the patterns)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1), keepdims=True)


def _check_result(name: str, value, keys: tuple, made_by: str) -> None:
    if not isinstance(value, dict) or not all(k in value for k in keys):
        raise TypeError(f"{name} must be the dict returned by {made_by}(), got {type(value).__name__}")


# ---------------------------------------------------------------------------------------------- the kernel


def kernel_figure(params: sp.SRMParams | None = None):
    """Left: the alpha kernel for three tau. Right: one input spike through 16 delayed, weighted terminals."""
    params = sp._check_params(params)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
    s = np.linspace(-0.002, 0.04, 800)
    for tau in (params.tau / 2, params.tau, params.tau * 2):
        ax1.plot(s * MS, sp.kernel(s, tau), label=f"τ = {tau * MS:g} ms")
    ax1.axvline(params.tau * MS, color="gray", ls=":", lw=1, label=f"s = τ = {params.tau * MS:g} ms")
    ax1.set(title="the alpha kernel ε(s) peaks at s = τ", xlabel="time since the spike arrived, s (ms)",
            ylabel="ε(s)", ylim=(-0.05, 1.55))   # head room: the legend sits above the curves
    ax1.legend(fontsize=8, loc="upper right")

    t = np.linspace(0, 0.04, 800)
    w = 0.25 * np.exp(-((np.arange(params.n_terminals) - 4.0) ** 2) / 8.0)    # a bump of terminal weights
    for k, d in enumerate(params.delays):
        ax2.plot(t * MS, w[k] * sp.kernel(t - d, params.tau), color="tab:gray", lw=0.7,
                 label="one terminal: w_k ε(t − d_k)" if k == 0 else None)
    u = sp.potential(t, np.zeros((1, 1)), w[None, None, :], params)[0, 0]
    ax2.plot(t * MS, u, color="tab:blue", lw=2, label="their sum u(t)")
    ax2.axhline(params.threshold, color="tab:red", ls="--", lw=1, label="threshold ϑ")
    t_spike = sp.spike_time(np.zeros((1, 1)), w[None, None, :], params)[0, 0]
    if np.isfinite(t_spike):
        ax2.axvline(t_spike * MS, color="k", lw=1, label=f"spike at {t_spike * MS:.1f} ms")
    ax2.set(title="one input spike, 16 terminals (delays 1…16 ms)", xlabel="time t (ms)",
            ylabel="membrane potential u (a.u.)", ylim=(-0.05, 1.95))
    ax2.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- time vs weight


def _two_input_neuron(params):
    """A neuron hearing spikes at 0 and 15 ms, one terminal each (delay 1 ms), weight w on both."""
    w = np.zeros((2, 1, params.n_terminals))
    w[:, 0, 0] = 1.0
    return np.array([[0.0, 0.015]]), w


def time_vs_weight(scales, params: sp.SRMParams | None = None) -> dict:
    """Spike count, spike time and SpikeProp's dt/dw of :func:`_two_input_neuron` for each weight ``w``.

    Returns ``{"w", "count", "time" (s, inf = silent), "dt_dw" (s per unit weight; nan where silent)}``.
    """
    params = sp._check_params(params)
    scales = sp._as_float_array("scales", scales)
    if scales.ndim != 1 or scales.size == 0 or not np.isfinite(scales).all():
        raise ValueError(f"scales must be a non-empty 1-d array of finite weights, got shape {scales.shape}")
    check_size(f"the time-vs-weight sweep of {scales.size} weights", scales.size * 2 * 16 * 40, 8)
    t_in, w = _two_input_neuron(params)
    ws = scales[:, None, None, None] * w                               # one network per weight value
    t_in_b = np.broadcast_to(t_in, (len(scales), 2))
    t = sp.spike_time(t_in_b, ws, params)[:, 0]
    # dt/dw for a common scale w: d t / d w = -sum_i eps(t - t_i - d) / (du/dt)
    times = [t_in_b, t[:, None]]
    fake_target = np.where(np.isfinite(t), t - 1.0, 1.0)[:, None]     # t - t_d = 1 s: then dE/dw = dt/dw
    _, (g,) = sp.backward(times, [ws], fake_target, params)
    dt_dw = np.where(np.isfinite(t), (g * w).sum(axis=(1, 2, 3)), np.nan)
    return {"w": scales, "count": np.isfinite(t).astype(int), "time": t, "dt_dw": dt_dw}


def time_vs_weight_figure(params: sp.SRMParams | None = None):
    """Three panels against the weight w: spike count (a step), spike time (smooth, then a jump),
    and SpikeProp's dt/dw (finite, exploding where the potential only grazes the threshold)."""
    params = sp._check_params(params)
    scales = np.linspace(0.6, 2.0, 1401)
    r = time_vs_weight(scales, params)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    axes[0].step(scales, r["count"], where="post", color="k")
    axes[0].set(title="spike count: flat, then a step", xlabel="weight w", ylabel="number of spikes",
                ylim=(-0.1, 1.3))
    t_ms = np.where(np.isfinite(r["time"]), r["time"] * MS, np.nan)
    first = scales >= 1.0
    axes[1].plot(scales[first], t_ms[first], color="tab:blue", label="fires on the 1st input")
    axes[1].plot(scales[~first], t_ms[~first], color="tab:orange", label="fires on the 2nd input")
    silent = ~np.isfinite(r["time"])
    if silent.any():
        axes[1].axvspan(scales[0], scales[silent].max(), color="0.9", label="silent: no time, no gradient")
    axes[1].set(title="spike time: smooth, but it jumps", xlabel="weight w", ylabel="spike time t (ms)")
    axes[1].legend(fontsize=8)
    axes[2].plot(scales[first], r["dt_dw"][first] * MS, color="tab:blue")
    axes[2].plot(scales[~first], r["dt_dw"][~first] * MS, color="tab:orange")
    axes[2].set(title="SpikeProp's dt/dw", xlabel="weight w", ylabel="dt/dw (ms per unit weight)",
                ylim=(-20, 1))
    for ax in axes:   # one weight axis for all three panels: read them together at the dotted w = 1
        ax.axvline(1.0, color="gray", ls=":", lw=1)
        ax.set_xlim(scales[0], scales[-1])
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- gradient check


def gradient_check(weights: list, input_times, target_times, params: sp.SRMParams | None = None, *,
                   n: int = 6, seed: int = 0, h: float = 1e-7) -> list:
    """SpikeProp's ``dE/dw`` against central finite differences for ``n`` random weights per layer.

    The weights are drawn among those with a non-zero gradient (a terminal whose spike arrives
    after its neuron fired has none). Returns a list of ``(layer, index, spikeprop, finite_difference)`` (s²).
    """
    params = sp._check_params(params)
    n = check_int("n", n, minimum=1)
    seed = check_seed("seed", seed)
    h = check_real("h", h, low=0.0, high=1e-3, low_open=True)
    times = sp.forward(input_times, weights, params)
    _, grads = sp.backward(times, weights, target_times, params)
    rng = np.random.default_rng(seed)

    def total_loss(ws):
        return sp.loss(sp.forward(input_times, ws, params)[-1], target_times).sum()

    rows = []
    for layer, w in enumerate(weights):
        g = _sum_to_shape(grads[layer], w.shape)             # over the patterns
        candidates = np.argwhere(g != 0)
        for row in rng.choice(len(candidates), size=min(n, len(candidates)), replace=False):
            index = tuple(int(i) for i in candidates[row])
            up = [x.copy() for x in weights]
            down = [x.copy() for x in weights]
            up[layer][index] += h
            down[layer][index] -= h
            rows.append((layer, index, float(g[index]), float((total_loss(up) - total_loss(down)) / (2 * h))))
    return rows


# ---------------------------------------------------------------------------------------------- XOR


def xor_training_figure(history: tr.History, network: int = 0):
    """Left: the output spike time of each XOR pattern against the epoch (targets dashed).
    Right: the loss of every network (log scale), the stop criterion dotted."""
    if not isinstance(history, tr.History):
        raise TypeError(f"history must be the History returned by training.train_xor, got {type(history).__name__}")
    check_record("history", history, allow_inf=True)
    network = check_int("network", network, minimum=0, maximum=len(history.epochs_to_converge) - 1)
    xor = xor_spike_times()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
    last = history.epochs_to_converge[network] if history.converged[network] else len(history.loss) - 1
    epochs = np.arange(last + 1)
    for p in range(4):
        t = history.output_times[: last + 1, network, p, 0]
        ax1.plot(epochs, np.where(np.isfinite(t), t * MS, np.nan), color=COLORS[p],
                 label=f"{XOR_NAMES[p]} → {xor.target_times[p, 0] * MS:g} ms")
    for k, target in enumerate((0.010, 0.016)):
        ax1.axhline(target * MS, color="k", ls="--", lw=0.8, label="targets 10 and 16 ms" if k == 0 else None)
    ax1.set(title=f"network {network}: output spike time per pattern", xlabel="epoch",
            ylabel="output spike time (ms)")
    # below the axes: inside, the legend would sit on the early, late spike times
    ax1.legend(fontsize=8, title="input → target", title_fontsize=8, ncol=3, loc="upper center",
               bbox_to_anchor=(0.5, -0.2))
    loss = np.where(np.isfinite(history.loss), history.loss * MS ** 2, np.nan)
    for k in range(loss.shape[1]):
        stop = history.epochs_to_converge[k] if history.converged[k] else loss.shape[0] - 1
        ax2.semilogy(np.arange(stop + 1), loss[: stop + 1, k], lw=0.8, color="tab:blue", alpha=0.6)
    ax2.axhline(1.0, color="k", ls=":", label="stop: ½ Σ (t − t_d)² = 1 ms²")
    ax2.set(title=f"loss of all {loss.shape[1]} networks", xlabel="epoch", ylabel="loss E (ms²)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


CONVERGENCE_NAME = "spikeprop_convergence.json"


def _convergence_settings(starts, runs, epochs, n_networks) -> dict:
    """The study's settings as JSON would store them (tuples become lists), checked."""
    if not isinstance(starts, dict) or not starts:
        raise TypeError(f"starts must be a non-empty dict {{title: (low, high)}}, got {type(starts).__name__}")
    if not isinstance(runs, dict) or not runs or not all(
            isinstance(r, (tuple, list)) and len(r) == 2 and isinstance(r[1], dict) for r in runs.values()):
        raise TypeError("runs must be a non-empty dict {name: (method, train keyword arguments)}, got "
                        f"{type(runs).__name__}")
    settings = {"starts": starts, "runs": runs, "epochs": check_int("epochs", epochs, minimum=1, maximum=100_000),
                "n_networks": check_int("n_networks", n_networks, minimum=1, maximum=1000)}
    return json.loads(json.dumps(settings))


#: The saved study is a few kB of JSON: a file far larger is not one.
CONVERGENCE_MAX_BYTES = 1024 ** 2


def _convergence_path(path=None) -> Path:
    return _files.data_path("path", path, CONVERGENCE_NAME)


def convergence_study(starts: dict, runs: dict, *, epochs: int = 300, n_networks: int = 20,
                      saved: bool = True) -> dict:
    """Train ``n_networks`` XOR networks per starting point and method; the epoch each one converged.

    starts : ``{panel title: (low, high)}``, the initial weights U(low, high) (``train_xor``'s ``init``);
    runs : ``{method name: (method, keyword arguments for train)}``. Network ``k`` of every run
    starts from the same weights (seed ``k``), at most ``epochs`` epochs each.

    Returns ``{panel title: {method name: epochs_to_converge}}`` (int arrays, -1: never), what
    :func:`convergence_figure` draws. With ``saved=True`` and the settings of the study saved with
    the course (lesson 04's, written by :func:`write_convergence`), the saved result is returned
    instead of training again (about 15 s of CPU); other settings, or ``saved=False``, train now.
    """
    settings = _convergence_settings(starts, runs, epochs, n_networks)
    if check_bool("saved", saved):
        path = _convergence_path()
        if path.is_file():
            stored = json.loads(_files.read_text("path", path, limit=CONVERGENCE_MAX_BYTES, what="the saved study"))
            if stored["settings"] == settings:
                return {title: {name: np.asarray(e, dtype=int) for name, e in panel.items()}
                        for title, panel in stored["epochs_to_converge"].items()}
    return {title: {name: tr.train_xor(settings["n_networks"], method, epochs=settings["epochs"], init=tuple(init),
                                       **kwargs)[1].epochs_to_converge
                    for name, (method, kwargs) in settings["runs"].items()}
            for title, init in settings["starts"].items()}


def write_convergence(starts: dict, runs: dict, *, epochs: int = 300, n_networks: int = 20, path=None) -> dict:
    """Train the study (:func:`convergence_study` with ``saved=False``) and save it as JSON; returns it.

    ``path``: default the file shipped with the package (``snnlesson/_data/spikeprop_convergence.json``),
    rewritten by ``python -m snnlesson.lessons.l04_spikeprop --convergence`` with the lesson's settings.
    """
    settings = _convergence_settings(starts, runs, epochs, n_networks)
    path = _files.check_destination("path", _convergence_path(path), what="the convergence study")  # before training
    panels = convergence_study(starts, runs, epochs=epochs, n_networks=n_networks, saved=False)
    record = {"settings": settings, "epochs_to_converge": {
        title: {name: [int(x) for x in e] for name, e in panel.items()} for title, panel in panels.items()}}
    _files.write_text_atomic("path", path, json.dumps(record, indent=1) + "\n", what="the convergence study")
    return panels


#: The study lesson 04 draws (section 5): two starts, four methods, 20 networks, 300 epochs.
LESSON_STARTS = {"start U(0, 0.1): every neuron fires": (0.0, 0.1),
                 "mixed-sign start U(-0.05, 0.1): many silent": (-0.05, 0.1)}
LESSON_RUNS = {"online, clip + boost": ("online", {}),
               "online, no fixes (plain)": ("online", dict(min_slope=0.0, silent_boost=0.0)),
               "RProp, clip + boost": ("rprop", {}), "RProp, clip only": ("rprop", dict(silent_boost=0.0))}


def convergence_figure(panels: dict, epochs: int = 1000):
    """Fraction of networks converged against the epoch, one panel per starting point.

    panels : ``{panel title: {method name: History or epochs_to_converge}}`` (as
    :func:`convergence_study` returns); the methods of one panel start from the same initial weights.
    """
    if not isinstance(panels, dict) or not panels or not all(
            isinstance(h, dict) and h and all(isinstance(x, (tr.History, np.ndarray)) for x in h.values())
            for h in panels.values()):
        raise TypeError("panels must be a non-empty dict {title: {method name: History or epochs_to_converge "
                        f"array}}}}, got {type(panels).__name__}")
    epochs = check_int("epochs", epochs, minimum=1, maximum=100_000)
    n_curves = max(len(h) for h in panels.values())
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.2 + 0.25 * n_curves), squeeze=False)
    styles = ["-", "--", "-.", ":"]   # methods that converge alike draw the same curve: keep each one visible
    for ax, (title, histories) in zip(axes[0], panels.items()):
        for k, (name, h) in enumerate(histories.items()):
            to_converge = np.asarray(h.epochs_to_converge if isinstance(h, tr.History) else h)
            reached = np.sort(to_converge[to_converge >= 0])
            grid = np.arange(epochs + 1)
            fraction = np.searchsorted(reached, grid, side="right") / len(to_converge)
            median = f", median {np.median(reached):.0f} epochs" if len(reached) else ""
            ax.plot(grid, fraction, ls=styles[k % len(styles)], lw=1.8,
                    label=f"{name}: {np.mean(to_converge >= 0):.0%} converged{median}")
        ax.set(title=title, xlabel="epoch", ylabel="fraction of networks converged", ylim=(0, 1.05),
               xlim=(0, epochs))
        # below the axes: inside, the legend would hide the curves that end low
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    fig.suptitle("XOR: networks with ½ Σ (t − t_d)² < 1 ms²", fontsize=11)
    fig.tight_layout()
    return fig


def xor_snapshots(seed: int = 0, epochs: int = 60, params: sp.SRMParams | None = None) -> dict:
    """One XOR network trained online, with its weights after every epoch (for the explorer).

    Returns ``{"weights": [list per epoch], "output_times": [epochs + 1, 4] (s), "epochs": int}``;
    training stops early once the network converged.
    """
    seed = check_seed("seed", seed)
    epochs = check_int("epochs", epochs, minimum=1, maximum=1000)
    xor = xor_spike_times()
    weights = tr.xor_weights(1, seed, params)
    snapshots = [[w[0].copy() for w in weights]]
    outputs = [sp.forward(xor.input_times, snapshots[0], params)[-1][:, 0]]
    for epoch in range(1, epochs + 1):
        weights, history = tr.train(weights, xor.input_times, xor.target_times, params, epochs=1,
                                    signs=tr.XOR_SIGNS, seed=seed + epoch)
        snapshots.append([w[0].copy() for w in weights])
        outputs.append(history.output_times[-1, 0, :, 0])
        if history.loss[-1, 0] < 1e-6:
            break
    return {"weights": snapshots, "output_times": np.array(outputs), "epochs": len(snapshots) - 1}


# ---------------------------------------------------------------------------------------------- Iris


def iris_output_figure(result: dict, network: int = 0):
    """The three output neurons' spike times for every test flower (first to fire wins)."""
    _check_result("result", result, ("spikes", "weights"), "training.train_iris")
    network = check_int("network", network, minimum=0, maximum=len(result["weights"][0]) - 1)
    spikes = result["spikes"]
    weights = [w[network] for w in result["weights"]]
    out = sp.forward(spikes.test_times, weights)[-1]                     # [n_test, 3]
    order = np.argsort(spikes.test_labels, kind="stable")
    out, labels = out[order], spikes.test_labels[order]
    predicted = tr.first_to_fire(out)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(labels))
    for c, name in enumerate(("setosa", "versicolor", "virginica")):
        t = np.where(np.isfinite(out[:, c]), out[:, c] * MS, np.nan)
        ax.plot(x, t, "o", ms=4, color=COLORS[c], label=f"output neuron '{name}'")
    wrong = predicted != labels
    if wrong.any():
        ax.plot(x[wrong], np.full(wrong.sum(), 11.0), "kx", ms=7, label="misclassified")
    for c in range(1, 3):
        ax.axvline(np.searchsorted(labels, c) - 0.5, color="gray", lw=0.8)
    for target in tr.IRIS_TARGETS:
        ax.axhline(target * MS, color="k", ls="--", lw=0.8)
    ax.set(title=f"Iris test flowers (sorted by class): {np.mean(~wrong):.1%} correct, first to fire wins",
           xlabel="test flower (setosa | versicolor | virginica)", ylabel="output spike time (ms)")
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    return fig


def timing_histogram(result: dict):
    """Histogram of the single output neuron's spike time per class (train and test flowers)."""
    _check_result("result", result, ("train_times", "test_times", "train_setosa", "test_setosa", "early", "late"),
                  "training.single_neuron_timing")
    fig, ax = plt.subplots(figsize=(7, 3.4))
    t = np.concatenate([result["train_times"], result["test_times"]]) * MS
    setosa = np.concatenate([result["train_setosa"], result["test_setosa"]])
    bins = np.linspace(min(t.min(), result["early"] * MS) - 0.5, max(t.max(), result["late"] * MS) + 0.5, 40)
    ax.hist(t[setosa], bins=bins, color="tab:blue", alpha=0.7, label="setosa")
    ax.hist(t[~setosa], bins=bins, color="tab:orange", alpha=0.7, label="versicolor and virginica")
    ax.axvline(result["early"] * MS, color="tab:blue", ls="--", label=f"target {result['early'] * MS:g} ms")
    ax.axvline(result["late"] * MS, color="tab:orange", ls="--", label=f"target {result['late'] * MS:g} ms")
    ax.set(title="one neuron, two classes: the answer is WHEN it fires\n(training and test flowers)",
           xlabel="output spike time (ms)",
           ylabel="number of flowers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- explorer


def srm_explorer(snapshots: dict | None = None, pattern: int = 1, epoch: int | None = None):
    """The output neuron of an XOR network: its potential u(t), spike time, target and loss.

    Sliders: ``epoch`` (which trained weights), ``pattern``, ``weight_scale`` (multiplies the output
    neuron's incoming weights), ``tau_ms`` and ``threshold`` (for the whole network). The right panel
    is the precomputed training run: each pattern's output spike time against the epoch; the
    marker shows the current network's answer.
    """
    if snapshots is None:
        snapshots = xor_snapshots()
    _check_result("snapshots", snapshots, ("weights", "output_times", "epochs"), "xor_snapshots")
    xor = xor_spike_times()
    n_epochs = snapshots["epochs"]
    epoch = n_epochs if epoch is None else check_int("epoch", epoch, minimum=0, maximum=n_epochs)
    pattern = check_int("pattern", pattern, minimum=0, maximum=3)
    base = sp.SRMParams()
    t_grid = np.linspace(0, 0.03, 601)

    fig, (ax, ax_train) = plt.subplots(1, 2, figsize=(11, 3.5), gridspec_kw={"width_ratios": [1.3, 1]})
    (u_line,) = ax.plot([], [], color="tab:blue", lw=2, label="u(t), output neuron")
    theta_line = ax.axhline(1.0, color="tab:red", ls="--", lw=1, label="threshold ϑ")
    spike_line = ax.axvline(0.0, color="k", lw=1.5, label="spike time t")
    target_line = ax.axvline(0.0, color="tab:green", ls=":", lw=2, label="target time t_d")
    ax.set(xlim=(0, t_grid[-1] * MS), ylim=(-1.0, 2.5), xlabel="time t (ms)",
           ylabel="membrane potential u (a.u.)")
    # below the axes: inside, the legend would hide the spike and target lines that cross it
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.2))

    epochs = np.arange(n_epochs + 1)
    for p in range(4):
        ax_train.plot(epochs, snapshots["output_times"][:, p] * MS, color=COLORS[p], lw=1,
                      label=f"{XOR_NAMES[p]} → {xor.target_times[p, 0] * MS:g} ms")
    for target in (0.010, 0.016):
        ax_train.axhline(target * MS, color="k", ls="--", lw=0.8)
    epoch_line = ax_train.axvline(epoch, color="gray", lw=1)
    (now,) = ax_train.plot([], [], "o", ms=8, mfc="none", mec="k", mew=2, label="this network now")
    ax_train.set(title="training (online SpikeProp)", xlabel="epoch", ylabel="output spike time (ms)",
                 xlim=(-0.5, n_epochs + 0.5), ylim=(5, 30))  # padded: the marker clears the spines
    # a figure legend (outside the axes) is part of the cached background: not redrawn on every move
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    fig.legend(*ax_train.get_legend_handles_labels(), fontsize=7, loc="center right", title="input → target",
               title_fontsize=7)

    def update(epoch, pattern, weight_scale, tau_ms, threshold):
        params = sp.SRMParams(tau=tau_ms / MS, threshold=threshold, delays=base.delays)
        w_hidden, w_out = snapshots["weights"][epoch]
        w_out = w_out * weight_scale
        t_in = xor.input_times[pattern][None]
        t_hidden = sp.spike_time(t_in, w_hidden, params)
        t_out = sp.spike_time(t_hidden, w_out, params)[0, 0]
        u = sp.potential(t_grid, t_hidden, w_out, params)[0, 0]
        u = np.where(t_grid <= t_out, u, np.nan)            # the neuron fires once: draw u up to its spike
        u_line.set_data(t_grid * MS, u)
        theta_line.set_ydata([threshold, threshold])
        target = xor.target_times[pattern, 0]
        target_line.set_xdata([target * MS, target * MS])
        epoch_line.set_xdata([epoch, epoch])
        if np.isfinite(t_out):
            spike_line.set_visible(True)
            spike_line.set_xdata([t_out * MS, t_out * MS])
            now.set_data([epoch], [t_out * MS])
            error = 0.5 * ((t_out - target) * MS) ** 2
            ax.set_title(f"t = {t_out * MS:.2f} ms, t_d = {target * MS:g} ms, E = {error:.2f} ms²", fontsize=10)
            return (f"epoch {epoch}, input {XOR_NAMES[pattern]}: spike at {t_out * MS:.2f} ms, target "
                    f"{target * MS:g} ms, loss ½(t − t_d)² = {error:.3f} ms²")
        spike_line.set_visible(False)
        now.set_data([], [])
        ax.set_title("silent: no spike time, no gradient", fontsize=10)
        return f"epoch {epoch}, input {XOR_NAMES[pattern]}: the output neuron is silent (no spike, no gradient)"

    controls = {
        "epoch": int_slider("epoch", epoch, 0, n_epochs),
        "pattern": dropdown("input", pattern, [(f"{XOR_NAMES[p]} → {xor.target_times[p, 0] * MS:g} ms", p)
                                               for p in range(4)], name="pattern"),
        "weight_scale": slider("weight scale", 1.0, 0.0, 1.5, 0.01, name="weight_scale"),
        "tau_ms": slider("τ (ms)", base.tau * MS, 3.0, 12.0, 0.1, name="tau_ms"),
        "threshold": slider("threshold ϑ", base.threshold, 0.5, 1.5, 0.01, name="threshold"),
    }
    return Explorer(fig, controls, update,
                    dynamic=[u_line, theta_line, spike_line, target_line, epoch_line, now, ax.title])


@register_explorer("srm_explorer")
def _demo_srm_explorer() -> Explorer:
    return srm_explorer()


# ---------------------------------------------------------------------------------------------- exercise


def check_kernel_derivative(fn) -> CheckResult:
    r"""Exercise: ``fn(s, tau)`` should return :math:`\varepsilon'(s) = \frac{1}{\tau}(1 - s/\tau)e^{1 - s/\tau}`
    for ``s > 0`` and 0 otherwise, for a NumPy array ``s`` (s).
    Reference: :func:`snnlesson.spikeprop.kernel_derivative`.
    """
    if is_stub(fn):
        return not_attempted()
    if not callable(fn):
        return failed(f"your answer should be a function of (s, tau), got {type(fn).__name__}.")
    s = np.array([-0.004, -0.0005, 0.0, 0.001, 0.0035, 0.007, 0.01, 0.02, 0.05])
    for tau in (0.007, 0.004, 0.012):
        case = f"tau={tau}, s={s.tolist()}"
        expected = sp.kernel_derivative(s, tau)
        got, problem = call_answer(fn, (s.copy(), tau), case, not_attempted(
            "your function returns nothing yet: replace `...` with your code and `return` the array of derivatives."))
        if problem is not None:
            return problem
        got, problem = _answer_array("your function's result", got, case=case)
        if problem is not None:
            return problem
        if got.shape != expected.shape:
            return failed(f"your function returned shape {got.shape}; expected one value per s, shape "
                          f"{expected.shape} (for {case}).")
        if _close(got, expected):
            continue
        x = s / tau
        positive = s > 0
        raw = (1 - x) * np.exp(1 - x) / tau
        hints = [
            (raw, "for s <= 0 the spike has not arrived yet: return 0 there (np.where(s > 0, ..., 0))."),
            (np.where(positive, x * np.exp(1 - x), 0.0), "that is the kernel ε(s) itself; differentiate it with "
                                                         "the product rule."),
            (np.where(positive, (1 - x) * np.exp(1 - x), 0.0), "divide by τ: d/ds of s/τ brings a factor 1/τ."),
            (np.where(positive, (x - 1) * np.exp(1 - x) / tau, 0.0), "the sign is flipped: the PSP rises "
                                                                     "(positive slope) while s < τ."),
            (np.where(positive, (1 - x) * np.exp(-x) / tau, 0.0), "keep the factor e of the kernel: "
                                                                  "exp(1 - s/τ), not exp(-s/τ)."),
            (np.where(positive, np.exp(1 - x) / tau, 0.0), "the product rule gives two terms: "
                                                           "(1/τ) e^(1−s/τ) and −(s/τ²) e^(1−s/τ)."),
        ]
        for wrong, hint in hints:
            if _close(got, wrong, scale=expected):
                return failed(f"{hint} (for {case})")
        i = int(np.argmax(np.abs(got - expected)))
        shown_got, shown_expected = _apart(got[i], expected[i])
        return failed(f"at s = {s[i]:g} s (tau = {tau:g} s) you return {shown_got}, expected {shown_expected}.")
    return passed("your ε'(s) equals snnlesson.spikeprop.kernel_derivative: positive while the PSP rises "
                  "(s < τ), zero at its peak s = τ, negative on its tail, and 0 before the spike arrives.")


# ---------------------------------------------------------------------------------------------- build exercises
#
# 1. check_output_gradient: the reader writes output_layer_gradient(t_in, t_out, target, w, params) ->
#    (dt_dw, delta) for one pattern of one output layer; the lesson then descends a neuron's spike time
#    onto a target with it (descent_figure).
# 2. check_hidden_delta: the reader writes hidden_delta(t_in, w_hidden, t_hidden, w_out, t_out, delta_out,
#    params) -> delta_hidden; the lesson then trains the XOR network with both (xor_descent_figure).
# Both are judged on hidden networks (other tau, threshold, delays and sizes than the notebook's) against
# the package's spike times: dt/dw against central finite differences of sp.spike_time, and delta_hidden
# through dE/dw = y delta against finite differences of the loss of sp.forward.


def _one_pattern(t_in, t_out, w, params, out_name="t_out", in_name="t_in", w_name="w"):
    params = sp._check_params(params)
    t_in = sp._check_times(in_name, t_in)
    t_out = sp._check_times(out_name, t_out, allow_inf=False)
    if t_in.ndim != 1 or t_out.ndim != 1:
        raise ValueError(f"{in_name} and {out_name} must be 1-d (one pattern), got shapes {t_in.shape} and "
                         f"{t_out.shape}")
    w = sp._check_weights(w_name, w, t_in.shape[-1], params)
    if w.ndim != 3 or w.shape[1] != t_out.shape[0]:
        raise ValueError(f"{w_name} must have shape [n_in={t_in.shape[0]}, n_out={t_out.shape[0]}, "
                         f"n_terminals={params.n_terminals}], got {w.shape}")
    return t_in, t_out, w, params


def output_layer_gradient(t_in, t_out, target, w, params: sp.SRMParams | None = None):
    r"""The package's answer to the first build exercise: one output layer, one pattern.

    t_in ``[n_in]`` and t_out ``[n_out]`` the layer's input and output spike times (s; every output
    fired), target ``[n_out]`` (s), w ``[n_in, n_out, n_terminals]``. Returns ``(dt_dw, delta)``:

    .. math::

        \frac{\partial t_j}{\partial w_{ij}^k} = -\frac{y_i^k(t_j)}{\sum_{i,k} w_{ij}^k\,\varepsilon'(t_j - t_i - d^k)},
        \qquad
        \delta_j = \frac{t_j^d - t_j}{\sum_{i,k} w_{ij}^k\,\varepsilon'(t_j - t_i - d^k)}

    (``[n_in, n_out, n_terminals]`` in s per unit weight, and ``[n_out]`` in s²), so that
    :math:`\partial E/\partial w_{ij}^k = (t_j - t_j^d)\,\partial t_j/\partial w_{ij}^k = y_i^k(t_j)\,\delta_j`.
    """
    t_in, t_out, w, params = _one_pattern(t_in, t_out, w, params)
    target = sp._check_times("target", target, allow_inf=False)
    if target.shape != t_out.shape:
        raise ValueError(f"target must have the shape of t_out {t_out.shape}, got {target.shape}")
    s = t_out[None, :, None] - t_in[:, None, None] - params.delay_array       # time since each terminal's arrival
    y = sp.kernel(s, params.tau)                                              # y_i^k(t_j), 0 before the arrival
    slope = np.sum(w * sp.kernel_derivative(s, params.tau), axis=(0, 2))      # du_j/dt at t_j
    _check_slope(slope, "t_in, t_out and w")
    return -y / slope[None, :, None], (target - t_out) / slope


def _check_slope(slope: np.ndarray, names: str) -> None:
    """A spike time has a gradient only where the potential crosses the threshold with a slope."""
    if not (np.all(np.isfinite(slope)) and np.all(slope != 0)):
        bad = np.flatnonzero(~np.isfinite(slope) | (slope == 0)).tolist()
        raise ValueError(f"{names} give du/dt = 0 at the spike of neuron(s) {bad}: there the spike time has no "
                         "gradient; the spike times must be the ones these weights produce")


def hidden_delta(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params: sp.SRMParams | None = None):
    r"""The package's answer to the second build exercise: the hidden layer's :math:`\delta_i`, one pattern.

    t_in ``[n_in]``, t_hidden ``[n_hidden]``, t_out ``[n_out]`` (s; every neuron fired),
    w_hidden ``[n_in, n_hidden, K]``, w_out ``[n_hidden, n_out, K]``, delta_out ``[n_out]`` (the output
    layer's :math:`\delta_j`, s²). Returns ``[n_hidden]`` (s²):

    .. math::

        \delta_i = \frac{\sum_j \delta_j \sum_k w_{ij}^k\,\varepsilon'(t_j - t_i - d^k)}
                        {\sum_{h,l} w_{hi}^l\,\varepsilon'(t_i - t_h - d^l)} .
    """
    t_in, t_hidden, w_hidden, params = _one_pattern(t_in, t_hidden, w_hidden, params, "t_hidden", w_name="w_hidden")
    t_hidden, t_out, w_out, params = _one_pattern(t_hidden, t_out, w_out, params, in_name="t_hidden", w_name="w_out")
    delta_out = sp._check_times("delta_out", delta_out, allow_inf=False)
    if delta_out.shape != t_out.shape:
        raise ValueError(f"delta_out must have the shape of t_out {t_out.shape}, got {delta_out.shape}")
    d, tau = params.delay_array, params.tau
    s_out = t_out[None, :, None] - t_hidden[:, None, None] - d                # [n_hidden, n_out, K]
    back = np.sum(delta_out[None, :, None] * w_out * sp.kernel_derivative(s_out, tau), axis=(1, 2))
    s_in = t_hidden[None, :, None] - t_in[:, None, None] - d                  # [n_in, n_hidden, K]
    slope = np.sum(w_hidden * sp.kernel_derivative(s_in, tau), axis=(0, 2))   # du_i/dt at t_i
    _check_slope(slope, "t_in, t_hidden and w_hidden")
    return back / slope


#: Seconds the reader's function may run on one hidden network before it is stopped.
BUILD_TIME_LIMIT_S = 5.0

# The checkers' hidden networks: (tau, threshold, delays, n_in, n_hidden, n_out, seed). None of them is
# the notebook's neuron (tau 7 ms, threshold 1, 16 delays of 1..16 ms); the threshold is never 1 (so that
# "u(t_j) in the denominator" and "no denominator" give different numbers).
_HIDDEN_NETWORKS = (
    (0.005, 0.8, (0.0, 0.0015, 0.003, 0.006), 3, 4, 2, 11),
    (0.009, 1.3, tuple(k / 1000 for k in range(1, 9)), 4, 3, 3, 12),
    (0.007, 1.1, tuple(k / 1000 for k in range(1, 17)), 2, 3, 2, 13),
)


def _hidden_network(index: int) -> dict:
    """One hidden case: a two-layer network in which every neuron fires, some terminals arrive after
    their neuron fired, one hidden neuron is inhibitory, with targets 1-3 ms off the output spikes."""
    tau, threshold, delays, n_in, n_hidden, n_out, seed = _HIDDEN_NETWORKS[index]
    params = sp.SRMParams(tau=tau, threshold=threshold, delays=delays)
    rng = np.random.default_rng(seed)
    K = len(delays)
    for _ in range(1000):                       # the first draw in which every neuron fires well
        t_in = np.round(rng.uniform(0.0, 0.004, n_in), 4)
        t_in[0] = 0.0
        w_hidden = rng.uniform(-0.1, 0.6, (n_in, n_hidden, K)) * 8 / (n_in * K)
        w_out = rng.uniform(0.0, 0.6, (n_hidden, n_out, K)) * 8 / (n_hidden * K)
        w_out[-1] *= -0.3                       # the last hidden neuron is inhibitory
        t_hidden, t_out = sp.forward(t_in, [w_hidden, w_out], params)[1:]
        if not (np.isfinite(t_hidden).all() and np.isfinite(t_out).all()):
            continue
        slopes = [np.sum(w * sp.kernel_derivative(t_post[None, :, None] - t_pre[:, None, None] - params.delay_array,
                                                     tau), axis=(0, 2))
                  for t_pre, t_post, w in ((t_in, t_hidden, w_hidden), (t_hidden, t_out, w_out))]
        late = t_hidden[:, None] + params.delay_array[None, :] >= t_out.max()
        if min(s.min() for s in slopes) > 0.2 / tau and late.any():
            break
    else:  # pragma: no cover - the seeds above are known to work
        raise RuntimeError(f"no usable hidden network {index}")
    target = t_out + rng.choice([-1.0, 1.0], n_out) * rng.uniform(0.001, 0.003, n_out)
    return {"params": params, "t_in": t_in, "w_hidden": w_hidden, "t_hidden": t_hidden, "w_out": w_out,
            "t_out": t_out, "target": target,
            "name": f"hidden network {index + 1} ({n_in}-{n_hidden}-{n_out}, {K} terminals, "
                    f"tau = {tau * MS:g} ms, threshold {threshold:g})"}


def finite_difference_dt_dw(t_in, w, params: sp.SRMParams | None = None, h: float = 1e-7) -> np.ndarray:
    """Central differences of :func:`snnlesson.spikeprop.spike_time` against every weight of one layer,
    for one pattern: ``[n_in, n_out, n_terminals]`` (s per unit weight), in one batched call
    (one network per nudged weight). Weight ``w[i, j, k]`` moves only output ``j``."""
    params = sp._check_params(params)
    t_in = sp._check_times("t_in", t_in)
    if t_in.ndim != 1:
        raise ValueError(f"t_in must be 1-d (one pattern), got shape {t_in.shape}")
    w = sp._check_weights("w", w, t_in.shape[0], params)
    if w.ndim != 3:
        raise ValueError(f"w must have shape [n_in, n_out, n_terminals], got {w.shape}")
    h = check_real("h", h, low=0.0, high=1e-3, low_open=True)
    n = w.size
    check_size(f"the finite differences of {n} weights", 2 * n * n, 8)
    bump = np.eye(n).reshape((n,) + w.shape) * h                              # one nudged weight per network
    t = sp.spike_time(t_in, np.concatenate([w + bump, w - bump]), params)     # [2n, n_out]
    if not np.isfinite(t).all():
        raise ValueError(f"with these t_in and w (nudged by h = {h:g}) an output neuron is silent: a spike time "
                         "that does not exist has no derivative")
    diff = (t[:n] - t[n:]) / (2 * h)                                          # d t_j / d w_n for every j
    own = np.broadcast_to(np.arange(w.shape[1])[None, :, None], w.shape).reshape(-1)
    return diff[np.arange(n), own].reshape(w.shape)


# --- the mistake catalogues: each entry is what a reader who made that mistake computes, and its hint


def _eps_raw(s, tau):          # the kernel's formula without "0 before the arrival"
    return s / tau * np.exp(1 - s / tau)


def _deps_raw(s, tau):
    return (1 - s / tau) * np.exp(1 - s / tau) / tau


def _out_parts(t_in, t_out, w, params, *, delays=True, tau=None, causal=True):
    """y, eps' and the slope of one output layer, with the switches a mistake turns."""
    tau = params.tau if tau is None else tau
    s = t_out[None, :, None] - t_in[:, None, None] - (params.delay_array if delays else 0.0)
    if causal:
        y, dy = sp.kernel(s, tau), sp.kernel_derivative(s, tau)
    else:
        y, dy = _eps_raw(s, tau), _deps_raw(s, tau)
    return y, dy, np.sum(w * dy, axis=(0, 2))


def _output_mistake(kind: str):
    def answer(t_in, t_out, target, w, params):
        y, dy, slope = _out_parts(t_in, t_out, w, params, delays=kind != "delays",
                                  tau={"tau_ms": params.tau * MS, "tau_default": 0.007}.get(kind),
                                  causal=kind != "causal")
        error = target - t_out
        if kind == "sum_y":
            slope = np.sum(w * y, axis=(0, 2))
        elif kind == "no_slope":
            slope = np.ones_like(slope)
        elif kind == "slope_all":
            slope = np.full_like(slope, np.sum(w * dy))
        elif kind == "error_ms":
            error = error * MS
        numerator = dy if kind == "dy_numerator" else y
        dt_dw = (1 if kind == "sign" else -1) * numerator / slope[None, :, None]
        delta = (-error if kind == "error_sign" else error) / slope
        if kind == "all_ms":
            dt_dw, delta = dt_dw * MS, delta * MS ** 2
        return dt_dw, delta
    return answer


OUTPUT_GRADIENT_MISTAKES = [(_output_mistake(kind), hint) for kind, hint in (
    ("sign", "∂t_j/∂w has the wrong sign. A stronger excitatory weight makes the neuron fire earlier: "
             "differentiating u_j(t_j(w), w) = ϑ gives ∂t_j/∂w = −y/(∂u_j/∂t), with a minus sign."),
    ("error_sign", "δ_j has the wrong sign: it is target minus actual, δ_j = (t_j^d − t_j)/(∂u_j/∂t), so that "
                   "∂E/∂w = (t_j − t_j^d) ∂t_j/∂w = y δ_j."),
    ("sum_y", "your denominator sums w·ε, the kernel itself: that is u_j(t_j), which is just the threshold ϑ at "
              "the spike. The denominator is the slope ∂u_j/∂t = Σ_{i,k} w ε'(t_j − t_i − d^k), with the "
              "kernel's derivative."),
    ("no_slope", "divide by the slope ∂u_j/∂t = Σ_{i,k} w ε'(t_j − t_i − d^k) at the spike: both ∂t_j/∂w and "
                 "δ_j have it in the denominator (a steep crossing moves little when a weight changes)."),
    ("dy_numerator", "the numerator is the kernel itself, y = ε(t_j − t_i − d^k) (what the weight adds to u_j "
                     "at t_j), not its derivative; ε' belongs in the denominator only."),
    ("causal", "a terminal whose spike arrives after t_j (t_i + d^k ≥ t_j) cannot have moved the spike: its ε "
               "and ε' must be 0. Use the kernel only for s > 0 (np.where(s > 0, ..., 0), or sp.kernel and "
               "sp.kernel_derivative)."),
    ("delays", "include each terminal's delay: terminal k of input i arrives at t_i + d^k, so "
               "s = t_j − t_i − d^k (params.delay_array)."),
    ("slope_all", "the slope ∂u_j/∂t is one number per output neuron j: sum w ε' over the inputs i and the "
                  "terminals k only (axis=(0, 2)), not over the output neurons too."),
    ("all_ms", "you worked in milliseconds: ∂t/∂w comes out 1000 times and δ 10⁶ times too large. Keep every "
               "time in seconds, as the arguments are given."),
    ("error_ms", "the error t_j^d − t_j is in milliseconds while the slope is per second: keep both in seconds."),
    ("tau_ms", "τ is params.tau, in seconds like every time here; you used it in milliseconds."),
    ("tau_default", "use params.tau (and params.delay_array): these networks do not all have τ = 7 ms."),
)]


def _hidden_mistake(kind: str):
    def answer(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params):
        tau = {"tau_ms": params.tau * MS, "tau_default": 0.007}.get(kind, params.tau)
        d = 0.0 if kind == "delays" else params.delay_array
        s_out = t_out[None, :, None] - t_hidden[:, None, None] - d
        s_in = t_hidden[None, :, None] - t_in[:, None, None] - d
        deriv = _deps_raw if kind == "causal" else sp.kernel_derivative
        back_kernel = sp.kernel(s_out, tau) if kind == "kernel_numerator" else deriv(s_out, tau)
        weights_out = np.ones_like(w_out) if kind == "no_weights" else w_out
        back = np.sum(delta_out[None, :, None] * weights_out * back_kernel, axis=(1, 2))
        if kind == "kernel_denominator":
            slope = np.sum(w_hidden * sp.kernel(s_in, tau), axis=(0, 2))
        elif kind == "no_slope":
            slope = np.ones_like(back)
        else:
            slope = np.sum(w_hidden * deriv(s_in, tau), axis=(0, 2))
        return (-1 if kind == "sign" else 1) * back / slope
    return answer


HIDDEN_DELTA_MISTAKES = [(_hidden_mistake(kind), hint) for kind, hint in (
    ("sign", "the sign is flipped. A later hidden spike shifts its PSPs later, so ∂t_j/∂t_i = "
             "+Σ_k w_ij^k ε'(t_j − t_i − d^k)/(∂u_j/∂t); with ∂E/∂t_i = −Σ_j δ_j Σ_k w_ij^k ε'(·) and "
             "∂t_i/∂w = −y/(∂u_i/∂t) the two minus signs cancel: δ_i = +Σ_j δ_j Σ_k w_ij^k ε'(·) / Σ w ε'(·)."),
    ("kernel_numerator", "in the numerator use the kernel's derivative ε'(t_j − t_i − d^k): moving t_i shifts the "
                         "PSP in time, and a shift changes u_j by −w ε', not by w ε."),
    ("kernel_denominator", "the denominator is the hidden neuron's slope Σ_{h,l} w_hi^l ε'(t_i − t_h − d^l) at its "
                           "own spike; with ε instead of ε' it is u_i(t_i), just the threshold ϑ."),
    ("no_slope", "divide by the hidden neuron's own slope ∂u_i/∂t = Σ_{h,l} w_hi^l ε'(t_i − t_h − d^l) at t_i: "
                 "it comes from ∂t_i/∂w_hi^l = −y_h^l(t_i)/(∂u_i/∂t)."),
    ("no_weights", "weight each output's δ_j by its connection from neuron i: the numerator is "
                   "Σ_j δ_j Σ_k w_ij^k ε'(t_j − t_i − d^k) (use w_out)."),
    ("causal", "a terminal that arrives after the spike it would feed (s ≤ 0) plays no part: ε'(s) must be 0 "
               "there, in both sums (np.where(s > 0, ..., 0), or sp.kernel_derivative)."),
    ("delays", "include the delays d^k (params.delay_array) in both sums: s = t_j − t_i − d^k and "
               "s = t_i − t_h − d^l."),
    ("tau_ms", "τ is params.tau, in seconds like every time here; you used it in milliseconds."),
    ("tau_default", "use params.tau (and params.delay_array): these networks do not all have τ = 7 ms."),
)]


def _same_arrays(got, value) -> bool:
    """A reader's arrays equal a mistake's (each within the answer tolerance, same shapes, finite)."""
    got, value = (got, value) if isinstance(got, tuple) else ((got,), (value,))
    return len(got) == len(value) and all(
        g.shape == np.shape(v) and np.all(np.isfinite(v)) and _close(g, np.asarray(v, dtype=float))
        for g, v in zip(got, value))


def _read_arrays(got, names: tuple, shapes: tuple, case: str):
    """The reader's result as float arrays: ``(arrays, problem)``. ``arrays`` is None when the result is not
    finite numbers; ``problem`` (or None) also says when a shape is not the expected one (the catalogue may
    still recognise the mistake behind a wrong shape, such as one value per connection instead of per terminal).
    """
    if len(names) > 1:
        if not isinstance(got, (tuple, list)) or len(got) != len(names):
            return None, failed(f"return the {len(names)} arrays ({', '.join(names)}) as a tuple, "
                                f"got {type(got).__name__} (for {case}).")
    else:
        got = (got,)
    arrays = []
    for name, value in zip(names, got):
        if is_stub(value):
            return None, failed(f"your {name} is None (for {case}): return the array itself.")
        array, problem = _answer_array(f"your {name}", value, case=case)
        if problem is not None:
            return None, problem
        if not np.all(np.isfinite(array)):
            return None, failed(f"your {name} contains NaN or infinity (for {case}): look for a division by a "
                                "slope of 0, or for inf − inf.")
        arrays.append(array)
    for name, shape, array in zip(names, shapes, arrays):
        if array.shape != shape:
            return tuple(arrays), failed(f"your {name} has shape {array.shape}, expected {shape} (for {case}).")
    return tuple(arrays), None


def _boxed(fn):
    """``fn`` with its result in a list: only a bare ``None`` (a stub's body) reads as "not attempted";
    a half-written ``(dt_dw, None)`` is judged, and told which part is missing."""
    def boxed(*args):
        got = fn(*args)
        return None if got is None or got is Ellipsis else [got]
    return boxed


def _first_difference(names, got, expected, case: str) -> CheckResult:
    for name, g, e in zip(names, got, expected):
        if not _close(g, e):
            i = np.unravel_index(int(np.argmax(np.abs(g - e))), e.shape)
            shown_got, shown_expected = _apart(g[i] + 0.0, e[i] + 0.0)   # + 0.0: no "-0"
            return failed(f"your {name}[{', '.join(str(int(k)) for k in i)}] is {shown_got}, expected "
                          f"{shown_expected} (for {case}).")
    return failed(f"your result differs from the expected one (for {case}).")


def check_output_gradient(fn) -> CheckResult:
    r"""Build exercise: ``fn(t_in, t_out, target, w, params)`` returns ``(dt_dw, delta)`` of one output layer
    for one pattern (see :func:`output_layer_gradient`, the reference).

    Judged on three hidden networks (other τ, thresholds, delays and sizes than the notebook's): ``dt_dw``
    against central finite differences of :func:`snnlesson.spikeprop.spike_time` and the closed form, ``delta``
    against the closed form; a wrong answer is matched against :data:`OUTPUT_GRADIENT_MISTAKES`.
    """
    stub = not_attempted("`output_layer_gradient` returns nothing yet: replace `...` with your code and `return` "
                         "the pair (dt_dw, delta).")
    if is_stub(fn):
        return stub
    if not callable(fn):
        return failed(f"your answer should be a function of (t_in, t_out, target, w, params), got "
                      f"{type(fn).__name__}.")
    names = ("dt_dw", "delta")
    worst = 0.0
    for index in range(len(_HIDDEN_NETWORKS)):
        net = _hidden_network(index)
        args = (net["t_hidden"], net["t_out"], net["target"], net["w_out"], net["params"])
        case = f"the output layer of {net['name']}"
        got, problem = call_answer(_boxed(fn), tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args),
                                   case, stub, time_limit_s=BUILD_TIME_LIMIT_S)
        if problem is not None:
            return problem
        got = got[0]
        got, problem = _read_arrays(got, names, (net["w_out"].shape, net["t_out"].shape), case)
        mistakes = [(lambda m=m: m(*args), hint) for m, hint in OUTPUT_GRADIENT_MISTAKES]
        if problem is not None:
            return problem if got is None else diagnose(problem, got, mistakes, same=_same_arrays)
        expected = output_layer_gradient(*args)
        numeric = finite_difference_dt_dw(net["t_hidden"], net["w_out"], net["params"])
        scale = np.abs(numeric).max()
        if np.abs(expected[0] - numeric).max() > 1e-5 * scale:  # pragma: no cover - a package bug, not the reader's
            raise RuntimeError(f"the reference dt_dw disagrees with finite differences on {net['name']}")
        if _same_arrays(got, expected):
            worst = max(worst, float(np.abs(got[0] - numeric).max() / scale))
            continue
        return diagnose(_first_difference(names, got, expected, case), got, mistakes, same=_same_arrays)
    if worst > 1e-4:  # pragma: no cover - right to 1e-6 of a reference that matches to 1e-5
        return failed(f"your ∂t_j/∂w differs from finite differences of sp.spike_time by {worst:.0e} of its "
                      "largest value.")
    return passed("on three hidden networks your ∂t_j/∂w matches finite differences of sp.spike_time (nudge one "
                  "weight, rerun the neuron) and your δ_j = (t_j^d − t_j)/(∂u_j/∂t).")


def check_hidden_delta(fn) -> CheckResult:
    r"""Build exercise: ``fn(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params)`` returns the hidden
    layer's ``delta`` for one pattern (see :func:`hidden_delta`, the reference).

    Judged on three hidden networks: :math:`\partial E/\partial w_{hi}^l = y_h^l(t_i)\,\delta_i` against central
    finite differences of the loss of the two-layer network (:func:`snnlesson.spikeprop.spike_time`), and
    ``delta`` against the closed form; a wrong answer is matched against :data:`HIDDEN_DELTA_MISTAKES`.
    """
    stub = not_attempted("`hidden_delta` returns nothing yet: replace `...` with your code and `return` the "
                         "array of δ_i, one per hidden neuron.")
    if is_stub(fn):
        return stub
    if not callable(fn):
        return failed(f"your answer should be a function of (t_in, w_hidden, t_hidden, w_out, t_out, delta_out, "
                      f"params), got {type(fn).__name__}.")
    worst = 0.0
    for index in range(len(_HIDDEN_NETWORKS)):
        net = _hidden_network(index)
        params = net["params"]
        _, delta_out = output_layer_gradient(net["t_hidden"], net["t_out"], net["target"], net["w_out"], params)
        args = (net["t_in"], net["w_hidden"], net["t_hidden"], net["w_out"], net["t_out"], delta_out, params)
        case = f"the hidden layer of {net['name']}"
        got, problem = call_answer(_boxed(fn), tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args),
                                   case, stub, time_limit_s=BUILD_TIME_LIMIT_S)
        if problem is not None:
            return problem
        got = got[0]
        got, problem = _read_arrays(got, ("delta",), (net["t_hidden"].shape,), case)
        mistakes = [(lambda m=m: (m(*args),), hint) for m, hint in HIDDEN_DELTA_MISTAKES]
        if problem is not None:
            return problem if got is None else diagnose(problem, got, mistakes, same=_same_arrays)
        expected = hidden_delta(*args)
        # dE/dw_hidden = y * delta, against central differences of the loss through both layers
        w = net["w_hidden"]
        n, h = w.size, 1e-7
        bump = np.eye(n).reshape((n,) + w.shape) * h
        t_out = sp.spike_time(sp.spike_time(net["t_in"], np.concatenate([w + bump, w - bump]), params),
                              net["w_out"], params)
        loss = 0.5 * np.sum((t_out - net["target"]) ** 2, axis=-1)
        numeric = ((loss[:n] - loss[n:]) / (2 * h)).reshape(w.shape)
        y = sp.kernel(net["t_hidden"][None, :, None] - net["t_in"][:, None, None] - params.delay_array, params.tau)
        scale = np.abs(numeric).max()
        if np.abs(y * expected[None, :, None] - numeric).max() > 1e-5 * scale:  # pragma: no cover - a package bug
            raise RuntimeError(f"the reference delta disagrees with finite differences on {net['name']}")
        if _same_arrays(got, (expected,)):
            worst = max(worst, float(np.abs(y * got[0][None, :, None] - numeric).max() / scale))
            continue
        return diagnose(_first_difference(("delta",), got, (expected,), case), got, mistakes, same=_same_arrays)
    if worst > 1e-4:  # pragma: no cover - right to 1e-6 of a reference that matches to 1e-5
        return failed(f"y δ_i differs from finite differences of the loss by {worst:.0e} of its largest value.")
    return passed("on three hidden networks y_h(t_i) δ_i with your δ_i matches ∂E/∂w of the hidden layer from "
                  "finite differences of the loss (nudge one weight, rerun both layers).")


# --- what the lesson does with the reader's functions


def _as_array(value, what: str) -> np.ndarray:
    array, problem = _answer_array(what, value)
    if problem is not None:
        raise TypeError(problem.message)
    return array


DESCENT_INPUTS = np.array([0.0, 0.002, 0.005])   # the one neuron's three input spikes (s)


def descend(gradient_fn, target: float, steps: int = 25, learning_rate: float = 1e3, seed: int = 4,
            params: sp.SRMParams | None = None) -> dict:
    """Gradient descent of one neuron's spike time onto ``target`` (s) with a reader's ``gradient_fn``.

    The neuron hears :data:`DESCENT_INPUTS` through 16 terminals each (weights from U(0, 0.1), ``seed``).
    Each step: :math:`w \\leftarrow w - \\eta\\,(t - t^d)\\,\\partial t/\\partial w` with ``dt_dw`` from
    ``gradient_fn(t_in, t_out, target, w, params)`` (the first build exercise); ``gradient_fn=None`` uses
    :func:`snnlesson.spikeprop.backward` instead. Returns ``{"times": [steps + 1] (s), "weights": [first, last]}``.
    """
    params = sp._check_params(params)
    target = check_real("target (s)", target, low=0.0, low_open=True, high=0.1)
    steps = check_int("steps", steps, minimum=1, maximum=1000)
    learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True, high=1e6)
    if gradient_fn is not None and not callable(gradient_fn):
        raise TypeError(f"gradient_fn must be a function or None, got {type(gradient_fn).__name__}")
    w = np.random.default_rng(check_seed("seed", seed)).uniform(0.0, 0.1, (3, 1, params.n_terminals))
    first, times, goal = w.copy(), [], np.array([target])
    for _ in range(steps + 1):
        t = sp.spike_time(DESCENT_INPUTS, w, params)
        times.append(t[0])
        if len(times) > steps or not np.isfinite(t).all():
            break
        if gradient_fn is None:
            _, (grad,) = sp.backward([DESCENT_INPUTS, t], [w], goal, params)
        else:
            dt_dw = _as_array(gradient_fn(DESCENT_INPUTS.copy(), t.copy(), goal.copy(), w.copy(), params)[0],
                              "dt_dw")
            grad = (t - goal)[None, :, None] * dt_dw                            # dE/dw = (t - t_d) dt/dw
        w = w - learning_rate * grad
    return {"times": np.array(times), "weights": [first, w]}


def descent_figure(gradient_fn, targets=(0.007, 0.013), params: sp.SRMParams | None = None,
                   label: str = "my_output_gradient"):
    """Left: the spike time during gradient descent onto each target, with ``gradient_fn`` (markers, called
    ``label`` in the legend) and with the package's :func:`snnlesson.spikeprop.backward` (lines). Right: the
    potential before and after (after: with ``gradient_fn``)."""
    params = sp._check_params(params)
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    if isinstance(targets, (str, bytes)) or not isinstance(targets, (tuple, list, np.ndarray)):
        raise TypeError(f"targets must be a sequence of target times in seconds, got {type(targets).__name__}")
    if not 1 <= len(targets) <= 3:
        raise ValueError(f"targets must hold 1 to 3 target times, got {len(targets)}")
    targets = [check_real(f"targets[{n}] (s)", t, low=0.0, low_open=True, high=0.1) for n, t in enumerate(targets)]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    t_grid = np.linspace(0.0, 0.025, 501)
    for n, target in enumerate(targets):
        color = COLORS[1 + n]
        mine, package = descend(gradient_fn, target, params=params), descend(None, target, params=params)
        ax1.plot(np.arange(len(package["times"])), package["times"] * MS, color=color, lw=2, alpha=0.5,
                 label=f"sp.backward, target {target * MS:g} ms")
        ax1.plot(np.arange(len(mine["times"])), mine["times"] * MS, "o", ms=4, color=color,
                 label=f"{label}, target {target * MS:g} ms")
        ax1.axhline(target * MS, color=color, ls="--", lw=0.8)
        for k, (w, style) in enumerate(zip(mine["weights"], (":", "-"))):
            if k == 0 and n > 0:
                continue                                                     # one "before" curve suffices
            t_spike = sp.spike_time(DESCENT_INPUTS, w, params)[0]
            u = np.where(t_grid <= t_spike, sp.potential(t_grid, DESCENT_INPUTS, w, params)[0], np.nan)
            ax2.plot(t_grid * MS, u, ls=style, color="k" if k == 0 else color,
                     label="before training" if k == 0 else f"after, target {target * MS:g} ms")
        ax2.axvline(target * MS, color=color, ls="--", lw=0.8)
    ax1.set(title="the spike time walks down the gradient", xlabel="gradient step",
            ylabel="spike time t (ms)")
    ax1.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax2.axhline(params.threshold, color="tab:red", lw=1, label="threshold ϑ")
    ax2.set(title="the neuron's potential, drawn up to its spike", xlabel="time t (ms)",
            ylabel="membrane potential u (a.u.)", ylim=(-0.05, params.threshold * 1.15))
    ax2.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    return fig


def xor_descent(output_fn=None, hidden_fn=None, epochs: int = 60, learning_rate: float = 1e4, seed: int = 0,
                params: sp.SRMParams | None = None) -> dict:
    """Plain online SpikeProp on Bohte's 3-5-1 XOR network with a reader's backward pass.

    Each epoch visits the four patterns in order; per pattern the output layer's ``dt_dw, delta`` come from
    ``output_fn`` (first build exercise) and the hidden ``delta`` from ``hidden_fn`` (second), and
    :math:`\\partial E/\\partial w = (t_j - t_j^d)\\,\\partial t_j/\\partial w` (output) and :math:`y\\,\\delta_i`
    (hidden). ``None`` for both uses :func:`snnlesson.spikeprop.backward`. No slope clip, no boost; the
    inhibitory hidden neuron keeps its sign; a pattern on which a neuron is silent is skipped. Stops once
    :math:`\\frac12\\sum(t - t^d)^2 < 1` ms². Returns ``{"output_times": [epochs + 1, 4] (s), "loss": (s²)}``.
    """
    from snnlesson.data import xor_spike_times

    params = sp._check_params(params)
    epochs = check_int("epochs", epochs, minimum=1, maximum=1000)
    learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True, high=1e6)
    if (output_fn is None) != (hidden_fn is None):
        raise ValueError("give both output_fn and hidden_fn, or neither (the package's backward pass)")
    for name, fn in (("output_fn", output_fn), ("hidden_fn", hidden_fn)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function or None, got {type(fn).__name__}")
    xor = xor_spike_times()
    w_hidden, w_out = [w[0].copy() for w in tr.xor_weights(1, check_seed("seed", seed), params)]
    outputs = []
    for epoch in range(epochs + 1):
        out = sp.forward(xor.input_times, [w_hidden, w_out], params)[-1][:, 0]
        outputs.append(out)
        if epoch == epochs or sp.loss(out[:, None], xor.target_times).sum() < 1e-6:
            break
        for t_in, target in zip(xor.input_times, xor.target_times):
            times = sp.forward(t_in, [w_hidden, w_out], params)
            if not all(np.isfinite(t).all() for t in times):
                continue
            if output_fn is None:
                _, (g_hidden, g_out) = sp.backward(times, [w_hidden, w_out], target, params)
            else:
                _, t_hidden, t_out = times
                dt_dw, delta_out = (_as_array(a, "your result") for a in output_fn(
                    t_hidden.copy(), t_out.copy(), target.copy(), w_out.copy(), params))
                delta = _as_array(hidden_fn(t_in.copy(), w_hidden.copy(), t_hidden.copy(), w_out.copy(),
                                            t_out.copy(), delta_out.copy(), params), "your delta")
                g_out = (t_out - target)[None, :, None] * dt_dw
                y = sp.kernel(t_hidden[None, :, None] - t_in[:, None, None] - params.delay_array, params.tau)
                g_hidden = y * delta[None, :, None]
            w_hidden = w_hidden - learning_rate * g_hidden
            w_out = w_out - learning_rate * g_out
            tr._apply_signs([w_hidden, w_out], tr.XOR_SIGNS)           # the inhibitory hidden neuron stays so
    out = np.array(outputs)
    return {"output_times": out, "loss": 0.5 * np.sum((out - xor.target_times[:, 0]) ** 2, axis=1)}


def xor_descent_figure(output_fn, hidden_fn, epochs: int = 60, label: str = "your backward pass"):
    """The XOR network trained with the reader's backward pass (markers, ``label`` in the legend) beside the
    package's (lines): each pattern's output spike time against the epoch (left) and the loss (right)."""
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    from snnlesson.data import xor_spike_times

    mine = xor_descent(output_fn, hidden_fn, epochs)
    package = xor_descent(None, None, epochs)
    xor = xor_spike_times()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for p in range(4):
        ax1.plot(package["output_times"][:, p] * MS, color=COLORS[p], lw=2, alpha=0.5,
                 label=f"{XOR_NAMES[p]} → {xor.target_times[p, 0] * MS:g} ms")
        ax1.plot(mine["output_times"][:, p] * MS, "o", ms=3, color=COLORS[p])
    ax1.plot([], [], "o", ms=3, color="gray", label=f"{label} (markers)")
    ax1.plot([], [], color="gray", lw=2, alpha=0.5, label="sp.backward (lines)")
    ax1.set(title="XOR, plain online SpikeProp: output spike times", xlabel="epoch",
            ylabel="output spike time (ms)")
    ax1.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax2.semilogy(package["loss"] * MS ** 2, color="k", lw=2, alpha=0.5, label="sp.backward")
    ax2.semilogy(mine["loss"] * MS ** 2, "o", ms=3, color="tab:purple", label=label)
    ax2.axhline(1.0, color="k", ls=":", label="stop: ½ Σ (t − t_d)² = 1 ms²")
    ax2.set(title="loss over the four patterns", xlabel="epoch", ylabel="loss E (ms²)")
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    return fig


if __name__ == "__main__":  # python -m snnlesson.lessons.l04_spikeprop --convergence
    import sys

    if sys.argv[1:] != ["--convergence"]:
        sys.exit("usage: python -m snnlesson.lessons.l04_spikeprop --convergence   (retrains and rewrites the study)")
    write_convergence(LESSON_STARTS, LESSON_RUNS)
