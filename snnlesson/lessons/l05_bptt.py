"""Lesson 05 (BPTT with surrogate gradients): explorers and figures.

* :func:`surrogate_explorer`: the Heaviside spike, its (dead) true derivative and the
  fast-sigmoid surrogate :math:`1/(1 + k|U - U_{thr}|)^2` as the slope ``k`` moves.
* :func:`network_explorer`: pick a test digit and see the output membranes and the
  hidden and output spike rasters of a trained network; change beta and the threshold
  at inference and see the prediction and the accuracy on a batch change.
* :func:`unrolled_graph`: the computational graph of one LIF layer unrolled in time.
* :func:`dead_gradient`: spike count against a weight (a staircase) and its gradient.
"""

from __future__ import annotations

import copy

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from snnlesson import bptt
from snnlesson._validate import check_choice, check_int, check_real
from snnlesson.explorer import Explorer, int_slider, log_slider, register_explorer, slider
from snnlesson._plotcheck import as_array, get_axes
from snnlesson.plot import membrane_traces, raster, to_numpy
from snnlesson.surrogate import fast_sigmoid_derivative

__all__ = ["surrogate_explorer", "network_explorer", "unrolled_graph", "dead_gradient"]

BETA_RANGE = (0.5, 1.0)        # the beta slider
THRESHOLD_RANGE = (0.25, 3.0)  # the threshold slider
BETA_STEP, THRESHOLD_STEP = 0.05, 0.25  # the network explorer precomputes its accuracy on this grid


# ---------------------------------------------------------------------------------------------- surrogate


def surrogate_explorer(slope: float = 25.0, *, x_range: float = 1.0) -> Explorer:
    """Slider over the fast-sigmoid slope ``k`` (log scale, 1 to 100).

    Left: the spike :math:`S = \\Theta(U - U_{thr})`, the same for every ``k``, and the smooth
    stand-in whose derivative the backward pass uses, :math:`\\tfrac12 + \\tfrac12 kx/(1+k|x|)`.
    Right: the surrogate derivative against the true one (zero except at the threshold).
    Both axes are fixed; the dotted lines mark where the surrogate falls to 1/2.
    """
    x_range = check_real("x_range", x_range, low=0.0, low_open=True)
    x = np.linspace(-x_range, x_range, 801)
    fig, (ax_s, ax_d) = plt.subplots(1, 2, figsize=(10, 3.4))
    ax_s.plot(x, (x > 0).astype(float), color="black", lw=2, label="spike (forward): Heaviside")
    (smooth,) = ax_s.plot(x, np.zeros(x.size), color="tab:orange", label="smooth stand-in (backward)")
    ax_s.set_xlim(-x_range, x_range)
    ax_s.set_ylim(-0.05, 1.1)
    ax_s.set_xlabel("U - U_thr (threshold units)")
    ax_s.set_ylabel("spike S (0 or 1)")
    ax_s.set_title("forward: a step; backward: a smooth step", fontsize=10)
    ax_s.legend(fontsize=8, loc="upper left", framealpha=1)
    ax_d.axhline(0, color="black", lw=2, label="true dS/dU: 0 (infinite at 0)")
    (deriv,) = ax_d.plot(x, np.zeros(x.size), color="tab:orange", label="surrogate 1/(1+k|x|)^2")
    (half,) = ax_d.plot([], [], color="tab:orange", ls=":", lw=1, label="where it falls to 1/2")
    ax_d.set_xlim(-x_range, x_range)
    ax_d.set_ylim(-0.05, 1.1)
    ax_d.set_xlabel("U - U_thr (threshold units)")
    ax_d.set_ylabel("dS/dU (per threshold unit)")
    ax_d.legend(fontsize=8, loc="upper left", framealpha=1)
    headline = fig.suptitle(" ", fontsize=10)
    fig.tight_layout()

    def update(slope):
        smooth.set_ydata(0.5 + 0.5 * slope * x / (1 + slope * np.abs(x)))
        deriv.set_ydata(fast_sigmoid_derivative(torch.from_numpy(x), slope).numpy())
        half_width = (np.sqrt(2) - 1) / slope  # 1/(1 + k w)^2 = 1/2
        half.set_data([-half_width, -half_width, np.nan, half_width, half_width], [0, 0.5, np.nan, 0, 0.5])
        headline.set_text(f"slope k = {slope:.3g}: the surrogate falls to 1/2 at |U - U_thr| = {half_width:.3g}")
        return (f"k = {slope:.3g}: the surrogate is 1 at the threshold and falls to 1/2 at "
                f"|U - U_thr| = {half_width:.3g}; larger k, narrower window of neurons that learn.")

    return Explorer(fig, {"slope": log_slider("slope k", slope, 0, 2, name="slope")}, update,
                    dynamic=[smooth, deriv, half, headline])


# ---------------------------------------------------------------------------------------------- trained network


def network_explorer(model, images, labels, *, index: int = 0, readout: str = "membrane") -> Explorer:
    """Explore a trained :func:`snnlesson.bptt.build_network` model on test digits.

    images, labels : a batch of test digits ``[N, 1, 28, 28]`` and ``[N]`` (a few hundred is plenty);
    the accuracy shown is on this batch. The model itself is not changed: the explorer
    runs a copy whose beta and threshold follow the sliders. The batch's accuracy is computed
    once, when the explorer is built, for every point of the sliders' grid (beta in steps of
    0.05, the threshold in steps of 0.25: 132 runs over the batch, a few seconds for 500 digits),
    so that a slider move only runs the network on the one digit shown. The membrane axis is fixed:
    it holds the highest threshold and the batch's membranes at the model's own beta and
    threshold (all but the most extreme 0.1%).
    """
    if not isinstance(model, bptt.BaseSNN):
        raise TypeError(f"model must come from snnlesson.bptt.build_network, got {type(model).__name__}")
    for name, value in (("images", images), ("labels", labels)):
        if isinstance(value, torch.Tensor) and value.device.type == "meta":
            raise ValueError(f"{name} must hold values, got a tensor on the 'meta' device")
    images, labels = bptt.mnist_tensors((images, labels), "images")
    n = images.shape[0]
    index = check_int("index", index)
    if not 0 <= index < n:
        raise ValueError(f"index must be a digit index in [0, {n - 1}], got {index}")
    check_choice("readout", readout, bptt.READOUTS)
    for name, value, (low, high) in (("model.beta", model.beta, BETA_RANGE),
                                     ("model.threshold", model.threshold, THRESHOLD_RANGE)):
        if not low <= value <= high:
            raise ValueError(f"{name} must lie in the slider's range [{low}, {high}], got {value}")
    net = copy.deepcopy(model).cpu().eval()
    images = images.cpu()
    labels = labels.cpu()
    seen = {}  # (beta, threshold) -> the batch's predictions and accuracy, filled for the whole grid below

    def batch_accuracy(beta, threshold):
        """Predictions and accuracy on the whole batch for this beta and threshold."""
        key = (round(beta, 6), round(threshold, 6))  # slider values carry float noise (0.6000000000000001)
        if key not in seen:
            net.set_neuron_parameters(beta, threshold)
            with torch.inference_mode():
                predictions = bptt.class_scores(net(images), readout).argmax(1)
            seen[key] = {"predictions": predictions, "accuracy": float((predictions == labels).float().mean())}
        return seen[key]

    def one_digit(index, beta, threshold):
        """The full record (hidden layer included) of one digit."""
        net.set_neuron_parameters(beta, threshold)
        with torch.inference_mode():
            return net(images[index:index + 1], record_hidden=True)

    # the batch's accuracy at every point of the sliders' grid (and at the model's own setting)
    for beta in (*np.round(np.arange(BETA_RANGE[0], BETA_RANGE[1] + 1e-9, BETA_STEP), 2), model.beta):
        for threshold in (*np.round(np.arange(THRESHOLD_RANGE[0], THRESHOLD_RANGE[1] + 1e-9, THRESHOLD_STEP), 2),
                          model.threshold):
            batch_accuracy(float(beta), float(threshold))

    # fixed membrane axis: 0, the highest threshold and all but the most extreme 0.1% of the batch's
    # output membranes at the model's own beta and threshold
    net.set_neuron_parameters(model.beta, model.threshold)
    with torch.inference_mode():
        mem_out = to_numpy(net(images).mem_out)
    low, high = np.quantile(mem_out, [0.001, 0.999])
    low, high = min(low, 0.0), max(high, THRESHOLD_RANGE[1])
    num_steps, num_hidden = mem_out.shape[0], net.num_hidden

    fig = plt.figure(figsize=(10.5, 5.6))
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 2.2, 2.2])
    ax_img = fig.add_subplot(grid[0, 0])
    ax_mem = fig.add_subplot(grid[0, 1:])
    ax_hid = fig.add_subplot(grid[1, :2])
    ax_out = fig.add_subplot(grid[1, 2])
    image = ax_img.imshow(to_numpy(images[index, 0]), cmap="gray", vmin=0, vmax=1)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    ax_img.set_title(" \n ", fontsize=9)
    lines = membrane_traces(np.zeros((num_steps, 10)), ax_mem, threshold=model.threshold, labels=list(range(10)))
    threshold_line = ax_mem.lines[-1]
    ax_mem.get_legend().remove()
    ax_mem.legend(handles=[*lines, threshold_line], labels=[f"digit {d}" for d in range(10)] + ["threshold"],
                  fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax_mem.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
    ax_mem.set_xlim(0, num_steps - 1)
    ax_mem.set_title("output membranes U (one line per digit class)", fontsize=9)
    hidden = raster(torch.zeros(num_steps, num_hidden), ax_hid, marker_size=1.0, ylabel="hidden neuron index")
    ax_hid.set_title(f"hidden layer spikes ({num_hidden} neurons)", fontsize=9)
    output = raster(torch.zeros(num_steps, 10), ax_out, marker_size=60, ylabel="output neuron (digit)")
    ax_out.set_yticks(range(10))
    ax_out.set_title("output layer spikes", fontsize=9)
    ax_hid.legend(handles=[Line2D([], [], ls="", marker="s", ms=3, color="black", label="spike")],
                  loc="upper right", fontsize=7, framealpha=1)
    headline = fig.suptitle(" ", fontsize=10)
    fig.tight_layout()

    def update(index, beta, threshold):
        state = batch_accuracy(beta, threshold)
        record = one_digit(index, beta, threshold)
        image.set_data(to_numpy(images[index, 0]))
        mem = to_numpy(record.mem_out[:, 0])
        for digit, line in enumerate(lines):
            line.set_ydata(mem[:, digit])
        threshold_line.set_ydata([threshold, threshold])
        hidden.set_offsets(np.argwhere(to_numpy(record.spk_hidden[:, 0]) > 0))
        output.set_offsets(np.argwhere(to_numpy(record.spk_out[:, 0]) > 0))
        predicted, label = int(state["predictions"][index]), int(labels[index])
        ax_img.set_title(f"test digit #{index}\nlabel {label}, predicted {predicted}", fontsize=9,
                         color="black" if predicted == label else "red")
        headline.set_text(f"beta = {beta:.2f}, threshold = {threshold:.2f}: accuracy "
                          f"{100 * state['accuracy']:.1f}% on these {n} digits")
        hidden_rate = float(record.spk_hidden.mean())
        return (f"digit #{index}: label {label}, predicted {predicted}. With beta = {beta:.3g} and threshold = "
                f"{threshold:.3g}: accuracy {100 * state['accuracy']:.1f}% on these {n} digits; this digit's "
                f"hidden neurons spike on {100 * hidden_rate:.1f}% of steps.")

    controls = {
        "index": int_slider("test digit", index, 0, n - 1, name="index"),
        "beta": slider("beta (decay per step)", model.beta, *BETA_RANGE, BETA_STEP, name="beta"),
        "threshold": slider("threshold U_thr", model.threshold, *THRESHOLD_RANGE, THRESHOLD_STEP, name="threshold"),
    }
    return Explorer(fig, controls, update,
                    dynamic=[image, *lines, threshold_line, hidden, output, ax_img.title, headline])


# ---------------------------------------------------------------------------------------------- benchmark demos


@register_explorer("surrogate_explorer")
def _demo_surrogate_explorer():
    return surrogate_explorer()


@register_explorer("network_explorer")
def _demo_network_explorer():
    """The notebook's setting: 500 test digits; an untrained network whose hidden layer spikes."""
    from snnlesson import data

    images, labels = data.as_tensors(data.mnist(train=False, source="offline", verbose=False))
    model = bptt.build_network("scratch", seed=0)
    with torch.no_grad():
        model.fc1.weight.mul_(4.0)  # an untrained hidden layer, made to spike as a trained one does
    return network_explorer(model, images[:500], labels[:500])


# ---------------------------------------------------------------------------------------------- figures


def unrolled_graph(num_steps: int = 4, ax=None):
    """The computational graph of one LIF layer unrolled over ``num_steps`` steps; returns the axes.

    Forward arrows (black): input current ``W x[t]`` -> membrane ``U[t]`` -> spike ``S[t]`` -> loss ``L[t]``,
    and the leak ``beta`` from ``U[t-1]`` to ``U[t]``; the reset from ``S[t-1]`` (dotted, no gradient).
    Backward (red): the gradient flows back along the same arrows, through time.
    """
    num_steps = check_int("num_steps", num_steps, minimum=1, maximum=8)
    ax = get_axes(ax, figsize=(2.4 * num_steps + 1, 4.2))
    rows = {"x": 0.0, "U": 1.0, "S": 2.0, "L": 3.0}
    names = {"x": "W x[{t}]", "U": "U[{t}]", "S": "S[{t}]", "L": "L[{t}]"}
    box = dict(boxstyle="round,pad=0.35", fc="white", ec="black")

    def arrow(x0, y0, x1, y1, color="black", style="-", text=None, rad=0.0, dx=0.0):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color=color, ls=style, lw=1.3,
                                    shrinkA=14, shrinkB=14, connectionstyle=f"arc3,rad={rad}"))
        if text:
            ax.text((x0 + x1) / 2 + dx, (y0 + y1) / 2 + (0.12 if dx == 0 else 0.0), text,
                    ha="center", va="center", fontsize=9, color=color)

    for t in range(num_steps):  # a handful of boxes and arrows per step
        for key, y in rows.items():
            ax.text(t, y, names[key].format(t=t + 1), ha="center", va="center", bbox=box, fontsize=10)
        arrow(t, 0, t, 1)
        arrow(t, 1, t, 2, text="Θ", dx=-0.12)
        arrow(t, 2, t, 3)
        arrow(t + 0.15, 3, t + 0.15, 2, color="tab:red")
        arrow(t + 0.15, 2, t + 0.15, 1, color="tab:red", text="surrogate", dx=0.33)
        if t > 0:
            arrow(t - 1, 1, t, 1, text="β")
            arrow(t, 0.85, t - 1, 0.85, color="tab:red")
            arrow(t - 1, 2, t, 1, style=":", color="gray")
    ax.set_xlim(-0.6, num_steps - 0.4)
    ax.set_ylim(-0.5, 3.5)
    ax.axis("off")
    ax.set_title("LIF layer unrolled in time: forward (black), gradient (red), reset without gradient (dotted)",
                 fontsize=10)
    return ax


def dead_gradient(weights, counts, surrogate_gradient, axes=None):
    """Spike count against a weight (a staircase), and its gradient: finite differences vs the surrogate.

    weights : ``[N]`` increasing weight values; counts : ``[N]`` spike counts; surrogate_gradient : ``[N]``
    d(count)/d(weight) from autograd with the surrogate. Returns the two axes.
    """
    w = as_array("weights", weights, ndim=1, min_size=2)
    c = as_array("counts", counts, ndim=1, min_size=2)
    g = as_array("surrogate_gradient", surrogate_gradient, ndim=1, min_size=2)
    if not w.size == c.size == g.size:
        raise ValueError(f"weights, counts and surrogate_gradient must be 1-D of the same length >= 2, "
                         f"got shapes {w.shape}, {c.shape}, {g.shape}")
    if not (np.diff(w) > 0).all():
        raise ValueError("weights must increase")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    elif not (isinstance(axes, (tuple, list, np.ndarray)) and len(axes) == 2
              and all(isinstance(a, Axes) for a in axes)):
        raise TypeError(f"axes must be two matplotlib Axes or None, got {axes!r}")
    ax_c, ax_g = axes
    ax_c.step(w, c, where="post", color="black")
    ax_c.set_xlabel("input weight w")
    ax_c.set_ylabel("spike count in the window")
    ax_c.set_title("forward: a staircase", fontsize=10)
    finite = np.diff(c) / np.diff(w)
    ax_g.plot(w[:-1], finite, color="black", lw=1, label="finite difference (true slope)")
    ax_g.plot(w, g, color="tab:orange", lw=2, label="surrogate gradient (autograd)")
    ax_g.set_yscale("symlog", linthresh=1.0)
    ax_g.set_xlabel("input weight w")
    ax_g.set_ylabel("d(spike count) / dw")
    ax_g.set_title("backward: zero almost everywhere, or a smooth surrogate", fontsize=10)
    ax_g.legend(fontsize=8)
    ax_g.figure.tight_layout()
    return axes
