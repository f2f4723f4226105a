"""Lesson 04 (SpikeProp): figures, the SRM explorer and the exercise checker.

Figures (each returns the matplotlib Figure): :func:`kernel_figure` (the alpha kernel and
one connection's 16 delayed terminals), :func:`time_vs_weight_figure` (a spike count is a step,
a spike time is smooth, until it jumps or the neuron falls silent), :func:`xor_training_figure`,
:func:`convergence_figure`, :func:`iris_output_figure`, :func:`timing_histogram`.

:func:`gradient_check` compares SpikeProp's gradient with central finite differences.
:func:`srm_explorer` shows the output neuron of an XOR network: its membrane potential, spike
time, target and loss under sliders, beside the (precomputed) training run.
:func:`check_kernel_derivative` checks the exercise.

Times are computed in seconds (``snnlesson.spikeprop``) and drawn in milliseconds.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snnlesson import spikeprop as sp
from snnlesson._validate import check_int, check_real, check_seed, check_size
from snnlesson import spikeprop_training as tr
from snnlesson.checks import (CheckResult, _answer_array, _apart, _close, call_answer, failed,
                             is_stub, not_attempted, passed)
from snnlesson.data import xor_spike_times
from snnlesson.explorer import Explorer, dropdown, int_slider, register_explorer, slider

__all__ = ["kernel_figure", "time_vs_weight", "time_vs_weight_figure", "gradient_check",
           "xor_training_figure", "convergence_figure", "iris_output_figure", "timing_histogram",
           "xor_snapshots", "srm_explorer", "check_kernel_derivative"]

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


def convergence_figure(panels: dict, epochs: int = 1000):
    """Fraction of networks converged against the epoch, one panel per starting point.

    panels : ``{panel title: {method name: History}}``; the methods of one panel start from the same
    initial weights.
    """
    if not isinstance(panels, dict) or not panels or not all(
            isinstance(h, dict) and h and all(isinstance(x, tr.History) for x in h.values()) for h in panels.values()):
        raise TypeError("panels must be a non-empty dict {title: {method name: History}}, got "
                        f"{type(panels).__name__}")
    epochs = check_int("epochs", epochs, minimum=1, maximum=100_000)
    n_curves = max(len(h) for h in panels.values())
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.2 + 0.25 * n_curves), squeeze=False)
    styles = ["-", "--", "-.", ":"]   # methods that converge alike draw the same curve: keep each one visible
    for ax, (title, histories) in zip(axes[0], panels.items()):
        for k, (name, h) in enumerate(histories.items()):
            reached = np.sort(h.epochs_to_converge[h.converged])
            grid = np.arange(epochs + 1)
            fraction = np.searchsorted(reached, grid, side="right") / len(h.epochs_to_converge)
            median = f", median {np.median(reached):.0f} epochs" if len(reached) else ""
            ax.plot(grid, fraction, ls=styles[k % len(styles)], lw=1.8,
                    label=f"{name}: {h.converged.mean():.0%} converged{median}")
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
