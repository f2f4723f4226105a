"""Lesson 05 explorers: the surrogate derivative's slope, and a trained spiking network opened up.

* :func:`surrogate_explorer`: the Heaviside spike, its (dead) true derivative and the
  fast-sigmoid surrogate :math:`1/(1 + k|U - U_{thr}|)^2` as the slope ``k`` moves.
* :func:`network_explorer`: pick a test digit and see the output membranes and the
  hidden and output spike rasters of a trained network; change beta and the threshold
  at inference and see the prediction and the accuracy on a batch change.
"""

from __future__ import annotations

import copy

import matplotlib.pyplot as plt
import numpy as np
import torch

from snnlesson import bptt
from snnlesson.plot import membrane_traces, raster, raster_points, to_numpy
from snnlesson.widgets.base import Explorer, int_slider, log_slider, slider

__all__ = ["surrogate_explorer", "network_explorer"]


def surrogate_explorer(slope: float = 25.0, *, x_range: float = 1.0) -> Explorer:
    """Slider over the fast-sigmoid slope ``k`` (log scale, 1 to 100).

    Left: the spike :math:`S = \\Theta(U - U_{thr})`, the same for every ``k``, and the smooth
    stand-in whose derivative the backward pass uses, :math:`\\tfrac12 + \\tfrac12 kx/(1+k|x|)`.
    Right: the surrogate derivative against the true one (zero except at the threshold).
    """
    bptt._check_positive("slope", slope)
    bptt._check_positive("x_range", x_range)
    x = torch.linspace(-x_range, x_range, 801)
    fig, (ax_s, ax_d) = plt.subplots(1, 2, figsize=(10, 3.2))
    ax_s.plot(x, (x > 0).float(), color="black", lw=2, label="spike (forward): Heaviside")
    smooth, = ax_s.plot([], [], color="tab:orange", label="smooth stand-in (backward)")
    ax_s.set_xlabel("U - U_thr (threshold units)")
    ax_s.set_ylabel("spike S")
    ax_s.legend(fontsize=8, loc="upper left")
    ax_d.axhline(0, color="black", lw=2, label="true dS/dU: 0 (infinite at 0)")
    deriv, = ax_d.plot([], [], color="tab:orange", label="surrogate 1/(1+k|x|)^2")
    ax_d.set_xlabel("U - U_thr (threshold units)")
    ax_d.set_ylabel("dS/dU (per threshold unit)")
    ax_d.set_ylim(-0.05, 1.1)
    ax_d.legend(fontsize=8, loc="upper left")
    fig.tight_layout()

    def update(slope):
        smooth.set_data(x, 0.5 + 0.5 * slope * x / (1 + slope * x.abs()))
        deriv.set_data(x, bptt.fast_sigmoid_derivative(x, slope))
        half_width = (np.sqrt(2) - 1) / slope  # where the derivative falls to 1/2
        return (f"k = {slope:.3g}: the surrogate is 1 at the threshold and falls to 1/2 at "
                f"|U - U_thr| = {half_width:.3g}; larger k, narrower window of neurons that learn.")

    return Explorer(fig, {"slope": log_slider("slope k", slope, 0, 2)}, update)


def network_explorer(model, images, labels, *, index: int = 0, readout: str = "membrane") -> Explorer:
    """Explore a trained :func:`snnlesson.bptt.build_network` model on test digits.

    images, labels : a batch of test digits ``[N, 1, 28, 28]`` and ``[N]`` (a few hundred is plenty);
    the accuracy shown is on this batch. The model itself is not changed: the explorer
    runs a copy whose beta and threshold follow the sliders.
    """
    if not isinstance(model, bptt._SNNBase):
        raise TypeError(f"model must come from snnlesson.bptt.build_network, got {type(model).__name__}")
    images, labels = bptt._as_tensors((images, labels))
    n = images.shape[0]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n - 1}], got {index!r}")
    bptt._check_choice("readout", readout, ("membrane", "spike_count"))
    net = copy.deepcopy(model).cpu().eval()
    cache = {}

    def run(beta, threshold):
        key = (round(beta, 6), round(threshold, 6))
        if key not in cache:
            net.set_neuron_parameters(beta, threshold)
            with torch.no_grad():
                record = net(images, record_hidden=True)
            cache.clear()  # keep one setting: the hidden record of a batch is large
            cache[key] = record
        return cache[key]

    record = run(model.beta, model.threshold)
    fig = plt.figure(figsize=(11, 6))
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 2.2, 2.2])
    ax_img = fig.add_subplot(grid[0, 0])
    ax_mem = fig.add_subplot(grid[0, 1:])
    ax_hid = fig.add_subplot(grid[1, :2])
    ax_out = fig.add_subplot(grid[1, 2])
    image = ax_img.imshow(to_numpy(images[index, 0]), cmap="gray", vmin=0, vmax=1)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    lines = membrane_traces(record.mem_out[:, index], ax_mem, threshold=model.threshold, labels=list(range(10)))
    thr_line = ax_mem.lines[-1]
    hidden = raster(record.spk_hidden[:, index], ax_hid, marker_size=1.0, ylabel="hidden neuron")
    ax_hid.set_title("hidden layer spikes (1000 neurons)", fontsize=9)
    output = raster(record.spk_out[:, index], ax_out, marker_size=60, ylabel="output neuron (digit)")
    ax_out.set_yticks(range(10))
    ax_out.set_title("output layer spikes", fontsize=9)
    fig.tight_layout()

    def update(index, beta, threshold):
        rec = run(beta, threshold)
        image.set_data(to_numpy(images[index, 0]))
        mem = to_numpy(rec.mem_out[:, index])
        for i, line in enumerate(lines):
            line.set_ydata(mem[:, i])
        thr_line.set_ydata([threshold, threshold])
        low, high = min(mem.min(), 0.0), max(mem.max(), threshold)
        ax_mem.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
        hidden.set_offsets(np.column_stack(raster_points(rec.spk_hidden[:, index])))
        output.set_offsets(np.column_stack(raster_points(rec.spk_out[:, index])))
        scores = bptt._scores(rec, readout)
        predictions = scores.argmax(1)
        accuracy = float((predictions == labels).float().mean())
        predicted, label = int(predictions[index]), int(labels[index])
        rate = float(rec.spk_hidden.mean())
        ax_img.set_title(f"label {label}, predicted {predicted}", fontsize=9,
                         color="black" if predicted == label else "red")
        return (f"digit #{index}: label {label}, predicted {predicted}. With beta = {beta:.3g} and threshold = "
                f"{threshold:.3g}: accuracy {100 * accuracy:.1f}% on these {n} digits; hidden neurons spike "
                f"on {100 * rate:.1f}% of steps.")

    controls = {
        "index": int_slider("test digit", index, 0, n - 1),
        "beta": slider("beta (decay per step)", model.beta, 0.5, 1.0, 0.01),
        "threshold": slider("threshold U_thr", model.threshold, 0.25, 3.0, 0.05),
    }
    return Explorer(fig, controls, update)
