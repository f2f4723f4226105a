"""Lesson 05 (BPTT with surrogate gradients): explorers and figures.

* :func:`surrogate_explorer`: the Heaviside spike, its (dead) true derivative and the
  fast-sigmoid surrogate :math:`1/(1 + k|U - U_{thr}|)^2` as the slope ``k`` moves.
* :func:`surrogate_comparison`: the fast sigmoid beside snntorch's default surrogate, the arc tangent.
* :func:`network_explorer`: pick a test digit and see the output membranes and the
  hidden and output spike rasters of a trained network; change beta and the threshold
  at inference and see the prediction and the accuracy on a batch change.
* :func:`surrogate_runs` and :func:`surrogate_learning_explorer`: short trainings over a grid of
  slopes ``k`` and ``beta``, computed once; sliders pick a run and show its learning curve and accuracy
  beside the surrogate's shape.
* :func:`unrolled_graph`: the computational graph of the two-layer network unrolled in time.
* :func:`dead_gradient`: spike count against a weight (a staircase) and its gradient.
* :func:`per_class_figure`: test accuracy per digit class; :func:`hidden_rasters`: the hidden layer's
  spikes for one digit under different input codings.
* :func:`write_results` and :func:`load_results`: the trainings the lesson shows without running them
  (the tutorial's recipe, rate-coded input), made by this code and saved in ``snnlesson/_data``.
* Build exercises: :func:`check_spike_function` (a spike function with a surrogate gradient as a
  ``torch.autograd.Function``) and :func:`spike_gradient_comparison`, the figure that uses it;
  :func:`check_train_one_epoch` (one epoch of BPTT) and :func:`epoch_comparison`, which trains with it.
  Each checker's catalogue of typical mistakes is data (``SPIKE_ERRORS`` and ``_spike_mistakes``;
  ``EPOCH_MISTAKES`` and ``EPOCH_ERRORS``).
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import NullFormatter
from torch import nn

from snnlesson.checks import (CheckResult, _answer_array, _apart, _stub_function, call_answer, compare_arrays,
                              failed, is_stub, not_attempted, passed)
from snnlesson import _files, _machine, bptt, threads
from snnlesson._validate import check_choice, check_int, check_real
from snnlesson.explorer import Explorer, int_slider, log_slider, register_explorer, slider
from snnlesson._plotcheck import as_array, get_axes, get_axes_row
from snnlesson.plot import membrane_traces, raster, to_numpy
from snnlesson.surrogate import atan_derivative, fast_sigmoid_derivative

__all__ = ["surrogate_explorer", "surrogate_comparison", "network_explorer", "unrolled_graph", "dead_gradient", "SLOPES", "BETAS",
           "SurrogateRuns", "surrogate_runs", "surrogate_learning_explorer", "per_class_figure", "hidden_rasters",
           "check_spike_function", "spike_gradient_comparison", "check_train_one_epoch", "epoch_comparison", "check_fast_sigmoid_derivative",
           "RESULTS_NAME", "SAVED_RUNS", "write_results", "load_results", "SURROGATE_RUNS_NAME",
           "write_surrogate_runs", "load_surrogate_runs"]

BETA_RANGE = (0.5, 1.0)        # the beta slider
THRESHOLD_RANGE = (0.25, 3.0)  # the threshold slider
BETA_STEP, THRESHOLD_STEP = 0.05, 0.25  # the network explorer precomputes its accuracy on this grid


# ---------------------------------------------------------------------------------------------- surrogate


def surrogate_explorer(slope: float = 25.0, *, x_range: float = 1.0) -> Explorer:
    """Slider over the fast-sigmoid slope ``k`` (log scale, 1 to 100).

    Left: the spike :math:`S = \\Theta(U - U_{thr})`, the same for every ``k``, and the smooth
    stand-in whose derivative the backward pass uses, :math:`\\tilde S(x) = \\tfrac12 + x/(1+k|x|)`
    (the fast sigmoid, placed at the step's midpoint; it rises by only :math:`2/k` in all).
    Right: its derivative, the surrogate :math:`1/(1+k|x|)^2`, against the true one (zero except
    at the threshold). Both panels share the x-range ``[-x_range, x_range]``; all axes are fixed;
    the dotted lines mark where the surrogate falls to 1/2.
    """
    x_range = check_real("x_range", x_range, low=0.0, low_open=True)
    x = np.linspace(-x_range, x_range, 801)
    fig, (ax_s, ax_d) = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    ax_s.plot(x, (x > 0).astype(float), color="black", lw=2, label="spike (forward): Heaviside step")
    (smooth,) = ax_s.plot(x, np.zeros(x.size), color="tab:orange",
                          label="stand-in 1/2 + x/(1+k|x|) (backward)")
    ax_s.set_xlim(-x_range, x_range)
    ax_s.set_ylim(-0.05, 1.1)
    ax_s.set_xlabel("x = U - U_thr (threshold units)")
    ax_s.set_ylabel("spike S (0 or 1)")
    ax_s.set_title("the step and the stand-in whose slope is used", fontsize=10)
    ax_s.legend(fontsize=8, loc="upper left", framealpha=1)
    ax_d.axhline(0, color="black", lw=2, label="true dS/dU: 0 (infinite at 0)")
    (deriv,) = ax_d.plot(x, np.zeros(x.size), color="tab:orange", label="surrogate 1/(1+k|x|)^2")
    (half,) = ax_d.plot([], [], color="tab:orange", ls=":", lw=1, label="where it falls to 1/2")
    ax_d.set_ylim(-0.05, 1.1)
    ax_d.set_xlabel("x = U - U_thr (threshold units)")
    ax_d.set_ylabel("dS/dU (per threshold unit)")
    ax_d.set_title("its slope: the surrogate derivative", fontsize=10)
    ax_d.legend(fontsize=8, loc="upper left", framealpha=1)
    headline = fig.suptitle(" ", fontsize=10)
    fig.tight_layout()

    def update(slope):
        smooth.set_ydata(0.5 + x / (1 + slope * np.abs(x)))  # d/dx = 1/(1 + k|x|)^2, the curve on the right
        deriv.set_ydata(fast_sigmoid_derivative(torch.from_numpy(x), slope).numpy())
        half_width = (np.sqrt(2) - 1) / slope  # 1/(1 + k w)^2 = 1/2
        half.set_data([-half_width, -half_width, np.nan, half_width, half_width], [0, 0.5, np.nan, 0, 0.5])
        headline.set_text(f"slope k = {slope:.3g}: the surrogate falls to 1/2 at |U - U_thr| = {half_width:.3g}; "
                          f"the stand-in rises by 2/k = {2 / slope:.3g}")
        return (f"k = {slope:.3g}: the surrogate is 1 at the threshold and falls to 1/2 at "
                f"|U - U_thr| = {half_width:.3g}; larger k, narrower window of neurons that learn.")

    return Explorer(fig, {"slope": log_slider("slope k", slope, 0, 2, name="slope")}, update,
                    dynamic=[smooth, deriv, half, headline])


def surrogate_comparison(slope: float = 25.0, alpha: float = 2.0, *, x_range: float = 1.0, ax=None):
    r"""The two surrogate derivatives of this lesson side by side, against ``x = U - U_thr``.

    The fast sigmoid :math:`1/(1+k|x|)^2` (slope ``k``: snntorch's 25 in the article's networks, 5 in
    the lesson's recipe, ``bptt.LESSON_RECIPE``) and the arc
    tangent :math:`\frac{\alpha}{2}/(1 + (\frac{\pi}{2}\alpha x)^2)` (``alpha``; snntorch's default,
    used by ``snn.Leaky`` when no ``spike_grad`` is given). Both are 1 at the threshold for ``alpha = 2``;
    the dotted lines mark where each falls to half its peak: ``(sqrt(2) - 1)/k`` and ``2/(pi alpha)``.
    Returns the Axes.
    """
    slope = check_real("slope", slope, low=0.0, low_open=True)
    alpha = check_real("alpha", alpha, low=0.0, low_open=True)
    x_range = check_real("x_range", x_range, low=0.0, low_open=True)
    ax = get_axes(ax, figsize=(7.5, 3.4))
    x = torch.linspace(-x_range, x_range, 801, dtype=torch.float64)
    halves = {"fast": (np.sqrt(2) - 1) / slope, "atan": 2 / (np.pi * alpha)}
    for label, curve, half, color in (
            (f"fast sigmoid 1/(1+k|x|)^2, k = {slope:g}", fast_sigmoid_derivative(x, slope),
             halves["fast"], "tab:orange"),
            (f"arc tangent, alpha = {alpha:g} (snntorch's default)", atan_derivative(x, alpha), halves["atan"],
             "tab:blue")):
        ax.plot(x.numpy(), curve.numpy(), color=color, lw=2, label=label)
        peak = float(curve.max())
        ax.plot([-half, -half, np.nan, half, half], [0, peak / 2, np.nan, 0, peak / 2], color=color, ls=":", lw=1)
    ax.plot([], [], color="gray", ls=":", lw=1, label="where each falls to half its peak")
    ax.set_xlim(-x_range, x_range)
    ax.set_ylim(0, 1.6 * max(1.0, alpha / 2))  # room for the legend above the peaks
    ax.set_xlabel("x = U - U_thr (threshold units)")
    ax.set_ylabel("surrogate dS/dU (per threshold unit)")
    ax.set_title(f"two surrogate derivatives: half width {halves['fast']:.3f} (fast sigmoid) and "
                 f"{halves['atan']:.3f} (arc tangent)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right", framealpha=1)
    return ax


# ---------------------------------------------------------------------------------------------- trained network


_CHUNK = 128  # digits per chunk of the network explorer's batch runs


def _batch_runs(net: bptt.BaseSNN, images: torch.Tensor, labels: torch.Tensor, readout: str, betas, thresholds):
    """The batch's predictions, accuracy and hidden spike rate for every (beta, threshold) of the grid.

    The layer-1 input current ``I = W_1 x + b_1`` depends on neither beta nor the threshold: it is computed
    once, and each grid point runs only the two LIF layers (:func:`snnlesson.lif_discrete.unroll` of
    :func:`snnlesson.lif_discrete.step` with the Heaviside spike, the forward pass of every
    :class:`snnlesson.bptt.BaseSNN`; snntorch's ``Leaky`` computes the same) and ``W_2 S_1[t] + b_2``, step by
    step, keeping of the hidden layer only its spike count (no ``[num_steps, N, hidden]`` record: memory). Returns
    ``({(beta, threshold): {"predictions", "accuracy", "hidden_rate"}}, output membranes at the model's own
    beta and threshold [num_steps, N, 10])``, keys rounded to 6 decimals.
    """
    from snnlesson import lif_discrete

    own = (round(net.beta, 6), round(net.threshold, 6))
    seen, mem_own = {}, None
    with torch.inference_mode(), threads.policy():
        current = net._input_current(images, False)               # [N, hidden], the same at every step
        for beta in betas:
            for threshold in thresholds:
                key = (round(float(beta), 6), round(float(threshold), 6))
                if key in seen:
                    continue
                params = lif_discrete.LIFDiscreteParams(beta=key[0], threshold=key[1])

                def lif(x, state):
                    return lif_discrete.step(x, state, params, lif_discrete.heaviside)

                def hidden(x, state):  # keep only what the output layer and the spike rate need, not [T, N, hidden]
                    spk, state = lif(x, state)
                    return (net.fc2(spk), spk.sum()), state

                # the hidden layer CHUNK digits at a time: small tensors, little memory held at once
                parts = [lif_discrete.unroll(hidden, part, num_steps=net.num_steps)[0]
                         for part in current.split(_CHUNK)]
                current_out = torch.cat([out for out, _ in parts], 1)                       # [T, N, 10]
                hidden_spikes = torch.stack([count for _, count in parts])
                spk_out, states = lif_discrete.unroll(lif, current_out, record_states=True)   # [T, N, 10]
                predictions = bptt.class_scores(bptt.SNNRecord(spk_out, states.mem), readout).argmax(1)
                seen[key] = {"predictions": predictions, "accuracy": float((predictions == labels).float().mean()),
                             "hidden_rate": float(hidden_spikes.sum() / (current.numel() * net.num_steps))}
                if key == own:
                    mem_own = states.mem
    return seen, mem_own


def network_explorer(model, images, labels, *, index: int = 0, readout: str = "membrane") -> Explorer:
    """Explore a trained :func:`snnlesson.bptt.build_network` model on test digits.

    images, labels : a batch of test digits ``[N, 1, 28, 28]`` and ``[N]`` (a few hundred is plenty);
    the accuracy shown is on this batch. The model itself is not changed: the explorer
    runs a copy whose beta and threshold follow the sliders. The batch's accuracy is computed
    once, when the explorer is built, for every point of the sliders' grid (beta in steps of
    0.05, the threshold in steps of 0.25: 132 runs over the batch; the input current ``W_1 x`` does not
    depend on them and is computed once), so that a slider move only runs the network on the one digit
    shown. The line under the figure gives
    that accuracy and the share of hidden neuron-steps with a spike, over the batch and for the digit shown. The membrane axis is fixed:
    it holds the highest threshold and every membrane of the batch at the model's own beta and
    threshold, so that no digit's trace leaves the plot at the trained setting.
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
    # the batch's accuracy at every point of the sliders' grid (and at the model's own setting)
    betas = (*np.round(np.arange(BETA_RANGE[0], BETA_RANGE[1] + 1e-9, BETA_STEP), 2), model.beta)
    thresholds = (*np.round(np.arange(THRESHOLD_RANGE[0], THRESHOLD_RANGE[1] + 1e-9, THRESHOLD_STEP), 2),
                  model.threshold)
    seen, mem_out = _batch_runs(net, images, labels, readout, betas, thresholds)

    def batch_accuracy(beta, threshold):
        """Predictions and accuracy on the whole batch for this beta and threshold (a point of the grid)."""
        key = (round(beta, 6), round(threshold, 6))  # slider values carry float noise (0.6000000000000001)
        if key not in seen:
            seen.update(_batch_runs(net, images, labels, readout, (beta,), (threshold,))[0])
        return seen[key]

    def one_digit(index, beta, threshold):
        """The full record (hidden layer included) of one digit."""
        net.set_neuron_parameters(beta, threshold)
        with torch.inference_mode():
            return net(images[index:index + 1], record_hidden=True)

    # fixed membrane axis: 0, the highest threshold and every output membrane of the batch at the
    # model's own beta and threshold (a quantile clipped the winning trace of some digits)
    mem_out = to_numpy(mem_out)
    low, high = min(float(mem_out.min()), 0.0), max(float(mem_out.max()), THRESHOLD_RANGE[1])
    num_steps, num_hidden = mem_out.shape[0], net.num_hidden
    del mem_out

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
    threshold_line.set(color="black", lw=2.5, ls="--")  # the thick dashed threshold the lesson refers to
    ax_mem.get_legend().remove()
    ax_mem.legend(handles=[*lines, threshold_line], labels=[f"digit {d}" for d in range(10)] + ["threshold"],
                  fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax_mem.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
    ax_mem.set_xlim(0, num_steps - 1)
    ax_mem.set_title("output membranes U (one line per digit class)", fontsize=9)
    ax_mem.set_xlabel("time step t (steps)")
    ax_mem.set_ylabel("membrane U (a.u.; trained U_thr = 1)")
    hidden = raster(torch.zeros(num_steps, num_hidden), ax_hid, marker_size=1.0, ylabel="hidden neuron index")
    ax_hid.set_title(f"hidden layer spikes ({num_hidden} neurons; a dot = a spike)", fontsize=9)
    output = raster(torch.zeros(num_steps, 10), ax_out, marker_size=60, ylabel="output neuron (digit)")
    ax_out.set_yticks(range(10))
    ax_out.set_title("output layer spikes", fontsize=9)
    for ax in (ax_hid, ax_out):
        ax.set_xlabel("time step t (steps)")
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
                f"{threshold:.3g}: accuracy {100 * state['accuracy']:.1f}% on these {n} digits; the hidden "
                f"neurons spike on {100 * state['hidden_rate']:.1f}% of their steps over these {n} digits "
                f"({100 * hidden_rate:.1f}% for this digit).")

    controls = {
        "index": int_slider("test digit", index, 0, n - 1, name="index"),
        "beta": slider("beta (decay per step)", model.beta, *BETA_RANGE, BETA_STEP, name="beta"),
        "threshold": slider("threshold U_thr", model.threshold, *THRESHOLD_RANGE, THRESHOLD_STEP, name="threshold"),
    }
    return Explorer(fig, controls, update,
                    dynamic=[image, *lines, threshold_line, hidden, output, ax_img.title, headline])


# ------------------------------------------------------------------------------------ slope, beta and learning

#: The grid of the learning explorer: fast-sigmoid slopes k (a factor 5 apart, snntorch's 25 among them) and betas.
SLOPES = (0.2, 1.0, 5.0, 25.0, 125.0, 625.0)
BETAS = (0.5, 0.8, 0.95)


class SurrogateRuns(NamedTuple):
    """Short trainings over a grid: ``histories[(slope, beta)]`` is a :class:`snnlesson.training.History`."""

    slopes: tuple
    betas: tuple
    histories: dict
    settings: dict


def _grid(name: str, values, low: float, high: float, low_open: bool) -> tuple:
    if isinstance(values, (str, bytes)) or not isinstance(values, (tuple, list)) or not 1 <= len(values) <= 12:
        raise TypeError(f"{name} must be a list of 1 to 12 numbers, got {values!r}")
    values = tuple(check_real(name, v, low=low, high=high, low_open=low_open) for v in values)
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"{name} must increase strictly, got {values}")
    return values


def surrogate_runs(train_data, test_data, *, slopes=SLOPES, betas=BETAS, num_hidden: int = 100, num_steps: int = 10,
                   num_train: int = 1000, epochs: int = 3, seed: int = 0) -> SurrogateRuns:
    """Train a small 784-``num_hidden``-10 spiking network once per (slope, beta) of the grid.

    Every run starts from the same initial weights (``seed``) and sees the same ``num_train``
    digits (a seeded random pick from ``train_data``) in the same order, with the lesson's
    recipe otherwise (Adam, lr 2e-3 one-cycle, batches of 100, cross-entropy of the mean output
    membrane); the runs differ only in the surrogate's slope and in beta. Each run takes a
    fraction of a second on a CPU with the defaults (18 runs). The test accuracy is measured on
    all of ``test_data`` after each epoch.
    """
    slopes = _grid("slopes", slopes, 0.0, 1e6, True)
    betas = _grid("betas", betas, 0.0, 1.0, False)
    num_hidden = check_int("num_hidden", num_hidden, minimum=1, maximum=2000)
    num_steps = check_int("num_steps", num_steps, minimum=1, maximum=100)
    epochs = check_int("epochs", epochs, minimum=1, maximum=20)
    num_train = check_int("num_train", num_train, minimum=1)
    images, labels = bptt.mnist_tensors(train_data, "train_data")
    test = bptt.mnist_tensors(test_data, "test_data")
    if num_train > len(labels):
        raise ValueError(f"num_train must be at most the {len(labels)} digits of train_data, got {num_train}")
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(check_int("seed", seed)))[:num_train]
    train_set = (images[pick], labels[pick])
    histories = {}
    for beta in betas:
        for slope in slopes:
            recipe = bptt.Recipe(epochs=epochs, batch_size=100, lr=2e-3, schedule="onecycle",
                                 loss="ce_mean_membrane", num_steps=num_steps, beta=beta, slope=slope)
            model = bptt.build_network("scratch", num_steps=num_steps, beta=beta, slope=slope,
                                       num_hidden=num_hidden, seed=seed)
            histories[(slope, beta)] = bptt.train(model, train_set, test, recipe, seed=seed, progress=False)
    settings = {"num_hidden": num_hidden, "num_steps": num_steps, "num_train": num_train, "epochs": epochs,
                "num_test": len(test[1]), "seed": seed}
    return SurrogateRuns(slopes, betas, histories, settings)


def _selection(description: str, options, value, name: str) -> widgets.SelectionSlider:
    if value not in options:
        raise ValueError(f"{name} must be one of the grid's values {list(options)}, got {value!r}")
    return widgets.SelectionSlider(options=[(f"{v:g}", v) for v in options], value=value, description=description,
                                   continuous_update=False, style={"description_width": "initial"},
                                   layout={"width": "420px"})


def surrogate_learning_explorer(runs: SurrogateRuns, *, slope: float = 25.0, beta: float = 0.95) -> Explorer:
    """Sliders over the grid of :func:`surrogate_runs`: the slope ``k`` and ``beta``; what they do to learning.

    Left: the surrogate derivative :math:`1/(1+k|x|)^2` for the chosen ``k``. Middle: the training
    loss per batch of every slope at the chosen ``beta`` (the chosen slope drawn thick). Right: the
    test accuracy after the last epoch for every (slope, beta) of the grid, the chosen one framed.
    All axes are fixed; the title states the chosen run's loss and accuracy.
    """
    if not isinstance(runs, SurrogateRuns):
        raise TypeError(f"runs must come from surrogate_runs(...), got {type(runs).__name__}")
    slope = check_real("slope", slope, low=0.0, low_open=True)
    beta = check_real("beta", beta, low=0.0, high=1.0)
    controls = {"slope": _selection("slope k", runs.slopes, slope, "slope"),
                "beta": _selection("beta (decay per step)", runs.betas, beta, "beta")}
    epochs, num_test = runs.settings["epochs"], runs.settings["num_test"]
    n_epochs = f"{epochs} epoch{'s' if epochs > 1 else ''}"
    accuracy = np.array([[100 * runs.histories[(k, b)].test_accuracy[-1] for k in runs.slopes] for b in runs.betas])
    losses = np.concatenate([np.asarray(h.batch_loss) for h in runs.histories.values()])
    num_batches = max(len(h.batch_loss) for h in runs.histories.values())

    x = np.linspace(-1.0, 1.0, 801)
    fig, (ax_d, ax_l, ax_h) = plt.subplots(1, 3, figsize=(13.5, 4.0), gridspec_kw={"width_ratios": [1, 1.25, 1.1]})
    ax_d.axhline(0, color="black", lw=2, label="true dS/dU: 0 (infinite at 0)")
    (deriv,) = ax_d.plot(x, np.zeros(x.size), color="tab:orange", lw=2, label="surrogate 1/(1+k|x|)^2")
    ax_d.set_xlim(-1, 1)
    ax_d.set_ylim(-0.05, 1.1)
    ax_d.set_xlabel("x = U - U_thr (threshold units)")
    ax_d.set_ylabel("dS/dU (per threshold unit)")
    ax_d.set_title("the surrogate for this k", fontsize=10)
    ax_d.legend(fontsize=8, loc="upper left", framealpha=1)

    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(runs.slopes)))
    curves = [ax_l.plot(np.arange(1, num_batches + 1), np.full(num_batches, np.nan), color=c, lw=1.2,
                        label=f"k = {k:g}")[0] for k, c in zip(runs.slopes, colors)]
    ax_l.set_yscale("log")
    ax_l.set_xlim(1, num_batches)
    low, high = 0.8 * losses.min(), 1.25 * losses.max()
    ax_l.set_ylim(low, high)
    ticks = [v for v in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10) if low <= v <= high]
    ax_l.set_yticks(ticks, [f"{v:g}" for v in ticks])
    ax_l.yaxis.set_minor_formatter(NullFormatter())
    ax_l.set_xlabel(f"training batch (100 digits each; {n_epochs})")
    ax_l.set_ylabel("training loss (cross-entropy, nats)")
    ax_l.set_title("learning curves at this beta (this k thick)", fontsize=10)
    ax_l.legend(fontsize=7, loc="upper right", framealpha=1, ncol=2)

    image = ax_h.imshow(accuracy, cmap="magma", aspect="auto", origin="lower")
    for i in range(len(runs.betas)):
        for j in range(len(runs.slopes)):
            bright = accuracy[i, j] > accuracy.min() + 0.6 * np.ptp(accuracy)
            ax_h.text(j, i, f"{accuracy[i, j]:.0f}", ha="center", va="center", fontsize=8,
                      color="black" if bright else "white")
    ax_h.set_xticks(range(len(runs.slopes)), [f"{k:g}" for k in runs.slopes])
    ax_h.set_yticks(range(len(runs.betas)), [f"{b:g}" for b in runs.betas])
    ax_h.set_xlabel("slope k (per threshold unit)")
    ax_h.set_ylabel("beta (decay per step, no unit)")
    ax_h.set_title(f"test accuracy after {n_epochs} ({num_test} digits)", fontsize=10)
    fig.colorbar(image, ax=ax_h, label="test accuracy (%)")
    (frame,) = ax_h.plot([], [], color="tab:cyan", lw=2.5)
    headline = fig.suptitle(" ", fontsize=10)
    fig.tight_layout()

    def update(slope, beta):
        deriv.set_ydata(fast_sigmoid_derivative(torch.from_numpy(x), slope).numpy())
        for k, curve in zip(runs.slopes, curves):
            loss = np.asarray(runs.histories[(k, beta)].batch_loss, dtype=float)
            curve.set_ydata(np.pad(loss, (0, num_batches - loss.size), constant_values=np.nan))
            curve.set_linewidth(3.0 if k == slope else 0.9)
            curve.set_alpha(1.0 if k == slope else 0.55)
        i, j = runs.betas.index(beta), runs.slopes.index(slope)
        frame.set_data([j - 0.5, j + 0.5, j + 0.5, j - 0.5, j - 0.5], [i - 0.5, i - 0.5, i + 0.5, i + 0.5, i - 0.5])
        history = runs.histories[(slope, beta)]
        text = (f"k = {slope:g}, beta = {beta:g}: final training loss {history.epoch_loss[-1]:.2f}, "
                f"test accuracy {100 * history.test_accuracy[-1]:.1f}% after {n_epochs}")
        headline.set_text(text)
        return text + f" (best of this grid: {accuracy.max():.1f}%)."

    return Explorer(fig, controls, update, dynamic=[deriv, *curves, frame, headline])


# ---------------------------------------------------------------------------------------------- per class, input coding


def per_class_figure(accuracy: dict, ax=None):
    """Bars of the test accuracy per digit class, one group per entry of ``accuracy``; returns the axes.

    accuracy : label -> fractions correct ``[10]`` (from :func:`snnlesson.training.per_class_accuracy`).
    """
    if not isinstance(accuracy, dict) or not 1 <= len(accuracy) <= 6:
        raise TypeError(f"accuracy must be a dict of 1 to 6 entries label -> per-class accuracy [10], got {accuracy!r}")
    rows = {str(k): as_array(f"accuracy[{k!r}]", v, ndim=1) for k, v in accuracy.items()}
    for k, v in rows.items():
        if v.size != 10 or (v < 0).any() or (v > 1).any():
            raise ValueError(f"accuracy[{k!r}] must hold 10 fractions in [0, 1], got {v}")
    ax = get_axes(ax, figsize=(10, 3.6))
    width = 0.8 / len(rows)
    for n, (label, v) in enumerate(rows.items()):
        ax.bar(np.arange(10) + (n - (len(rows) - 1) / 2) * width, 100 * v, width, label=label)
    ax.set_xticks(range(10))
    ax.set_xlim(-0.6, 9.6)
    ax.set_ylim(0, 100)
    ax.set_xlabel("digit class (true label)")
    ax.set_ylabel("test accuracy of the class (%)")
    ax.set_title("which digits are recognised, class by class", fontsize=10, pad=22)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(rows), frameon=False)
    ax.figure.tight_layout()
    return ax


def hidden_rasters(spikes: dict, *, num_shown: int = 100, axes=None):
    """Hidden-layer rasters of one digit, one panel per input coding; returns the axes.

    spikes : label -> hidden spikes ``[num_steps, hidden]`` (one digit). The first ``num_shown``
    neurons are drawn; each panel's title gives the spike count of the whole layer.
    """
    if not isinstance(spikes, dict) or not 1 <= len(spikes) <= 4:
        raise TypeError(f"spikes must be a dict of 1 to 4 entries label -> hidden spikes [num_steps, hidden], "
                        f"got {spikes!r}")
    num_shown = check_int("num_shown", num_shown, minimum=1, maximum=10_000)
    trains = {str(k): as_array(f"spikes[{k!r}]", v, ndim=2) for k, v in spikes.items()}
    axes = get_axes_row(axes, len(trains), (5 * len(trains), 3.4), "(one per entry of spikes)")
    for ax, (label, s) in zip(axes, trains.items()):
        raster(s[:, :num_shown], ax, marker_size=6.0, ylabel=f"hidden neuron (first {min(num_shown, s.shape[1])})")
        ax.set_xlabel("time step t (steps)")
        ax.set_title(f"{label}: {int(s.sum()):,} hidden spikes\n(all {s.shape[1]} neurons, {s.shape[0]} steps)",
                     fontsize=10)
    axes[0].figure.tight_layout()
    return axes


# ---------------------------------------------------------------------------------------------- saved results

#: The file, in ``snnlesson/_data``, of the trainings lesson 05 shows without running them (:func:`write_results`).
RESULTS_NAME = "l05_results.json"
#: The comparisons that :func:`write_results` trains: name -> (network kind, recipe, input coding).
SAVED_RUNS = {
    "lesson": ("scratch", bptt.LESSON_RECIPE, "direct"),      # the lesson's recipe, trained live in the notebook
    "article": ("snntorch", bptt.ARTICLE_RECIPE, "direct"),   # the tutorial's recipe, as many epochs as the lesson's
    "rate": ("scratch", bptt.LESSON_RECIPE, "rate"),          # the lesson's recipe on rate-coded spikes
}


#: The saved runs are about 50 kB of JSON: a file far larger is not theirs.
RESULTS_MAX_BYTES = 4 * 1024 ** 2


def _results_path(path=None) -> Path:
    return _files.data_path("path", path, RESULTS_NAME)


def _saved_run(name: str, train_data, test_data, *, epochs: int | None = None):
    """``(model, history)`` of one of :data:`SAVED_RUNS` (seed 0, the lesson's number of epochs)."""
    kind, recipe, encoding = SAVED_RUNS[name]
    recipe = replace(recipe, epochs=epochs or bptt.LESSON_RECIPE.epochs, encoding=encoding)
    model = bptt.build_network(kind, num_steps=recipe.num_steps, beta=recipe.beta, slope=recipe.slope, seed=0)
    history = bptt.train(model, train_data, test_data, recipe, seed=0, progress=False)
    return model, history


def write_results(path=None) -> dict:
    """Train the runs of :data:`SAVED_RUNS` on the offline MNIST subset as the lesson would, and save them (JSON).

    For each run: the test accuracy and mean training loss per epoch, the loss of every batch of the
    first epoch and the CPU time of the training and its tests (s, one thread, on the machine that wrote the
    file: CPU time, unlike wall-clock time, does not grow when other work shares the machine). For the
    rate-coded run also the sum of a test digit's pixel intensities and its spikes (input and hidden), on average and the hidden layer's spike train
    for the first test digit (``[num_steps, 1000]``, as a string of 0/1 digits, row by row), the
    raster the lesson draws. Returns the record; :func:`load_results` reads it back.
    """
    from snnlesson.data import mnist

    path = _files.check_destination("path", _results_path(path), what="lesson 05's saved runs")  # before training
    train_set, test_set = mnist(train=True, source="offline", verbose=False), mnist(train=False, source="offline",
                                                                                      verbose=False)
    train_data, test_data = bptt.mnist_tensors(train_set), bptt.mnist_tensors(test_set)
    record = {"timestamp": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "dataset": train_set.source, "train_digits": len(train_set), "test_digits": len(test_set),
              **_machine.provenance(("torch", "snntorch", "numpy")), "runs": {}}
    for name in SAVED_RUNS:
        with threads.policy(1):  # one thread: the same sums in the same order on every run on one CPU
            start = time.process_time()
            model, history = _saved_run(name, train_data, test_data)
            cpu_seconds = time.process_time() - start
        per_epoch = len(history.batch_loss) // len(history.epoch_loss)
        run = {"recipe": history.settings["recipe"], "network": SAVED_RUNS[name][0],
               "test_accuracy": [round(a, 4) for a in history.test_accuracy],
               "epoch_loss": [round(v, 4) for v in history.epoch_loss],
               "first_epoch_batch_loss": [round(v, 5) for v in history.batch_loss[:per_epoch]],
               "cpu_seconds": round(cpu_seconds, 1)}
        if name == "rate":
            images = test_data[0]
            spikes, _ = bptt.encode_input(images, "rate", model.num_steps, torch.Generator().manual_seed(0))
            with torch.no_grad(), threads.policy(1):
                hidden = model(spikes, time_first=True, record_hidden=True).spk_hidden
            run["pixel_sum_per_digit"] = round(float(images.sum()) / len(images), 1)
            run["input_spikes_per_digit"] = round(float(spikes.sum()) / len(images), 1)
            run["hidden_spikes_per_digit"] = round(float(hidden.sum()) / len(images), 1)
            run["first_digit_hidden_spikes"] = ["".join(str(int(v)) for v in row) for row in hidden[:, 0].tolist()]
        record["runs"][name] = run
    _files.write_text_atomic("path", path, json.dumps(record, indent=1) + "\n", what="lesson 05's saved runs")
    return record


def load_results(path=None) -> dict:
    """The record :func:`write_results` saved (default: the one shipped with the package), checked.

    ``record["runs"][name]`` for each name of :data:`SAVED_RUNS`; ``first_digit_hidden_spikes``
    comes back as a float tensor ``[num_steps, hidden]`` of 0s and 1s.
    """
    path = _results_path(path)
    try:
        text = _files.read_text("path", path, limit=RESULTS_MAX_BYTES, what="lesson 05's saved runs")
    except _files.FileProblem as err:
        raise ValueError(f"{err}: no saved results of lesson 05 there") from None
    try:
        record = json.loads(text)
        runs = record["runs"]
        for name in SAVED_RUNS:
            run = runs[name]
            if not run["test_accuracy"] or not all(0 <= a <= 1 for a in run["test_accuracy"]):
                raise ValueError(f"run {name!r} has no test accuracies in [0, 1]")
        rows = runs["rate"]["first_digit_hidden_spikes"]
        if not rows or any(set(row) - {"0", "1"} or len(row) != len(rows[0]) for row in rows):
            raise ValueError("first_digit_hidden_spikes must be rows of 0/1 digits of one length")
        runs["rate"]["first_digit_hidden_spikes"] = torch.tensor([[float(c) for c in row] for row in rows])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as err:
        raise ValueError(f"path {str(path)!r} is not a lesson-05 record from write_results: {err!r}") from err
    return record


#: The file, in ``snnlesson/_data``, of the grid of :func:`surrogate_runs` that the lesson shows
#: (:func:`write_surrogate_runs` made it; :func:`load_surrogate_runs` reads it).
SURROGATE_RUNS_NAME = "l05_surrogate_runs.json"


def _surrogate_runs_path(path=None) -> Path:
    return _files.data_path("path", path, SURROGATE_RUNS_NAME)


def write_surrogate_runs(path=None) -> SurrogateRuns:
    """Train :func:`surrogate_runs`' default grid (6 slopes x 3 betas: 18 small trainings) on the offline
    MNIST subset with one thread, as the lesson would, and save every run's :class:`snnlesson.training.History`
    as JSON (default: the file shipped with the package, ``snnlesson/_data/l05_surrogate_runs.json``).

    One thread: the same sums in the same order on every run on one machine. The record also holds the data
    set, the library versions, the CPU (:func:`snnlesson._machine.cpu`: another CPU's kernels can round
    differently, flip a spike and make a run part ways) and the CPU time of the grid (s). Returns the runs; :func:`load_surrogate_runs`
    reads them back.
    """
    from snnlesson.data import mnist

    path = _files.check_destination("path", _surrogate_runs_path(path), what="lesson 05's surrogate grid")
    train_set, test_set = (mnist(train=True, source="offline", verbose=False),
                           mnist(train=False, source="offline", verbose=False))
    with threads.policy(1):
        start = time.process_time()
        runs = surrogate_runs(train_set, test_set)
        cpu_seconds = time.process_time() - start
    record = {"timestamp": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "dataset": train_set.source, "train_digits": len(train_set), "test_digits": len(test_set),
              **_machine.provenance(("torch", "numpy")),
              "cpu_seconds": round(cpu_seconds, 1), "slopes": list(runs.slopes), "betas": list(runs.betas),
              "settings": runs.settings,
              "runs": [{"slope": slope, "beta": beta, "history": history.as_dict()}
                       for (slope, beta), history in runs.histories.items()]}
    _files.write_text_atomic("path", path, json.dumps(record, indent=1) + "\n", what="lesson 05's surrogate grid")
    return runs


def load_surrogate_runs(path=None) -> SurrogateRuns:
    """The grid :func:`write_surrogate_runs` saved (default: the one shipped with the package), checked, as
    :class:`SurrogateRuns` for :func:`surrogate_learning_explorer`; ``settings`` adds the data set's name."""
    from snnlesson.training import History

    path = _surrogate_runs_path(path)
    try:
        text = _files.read_text("path", path, limit=RESULTS_MAX_BYTES, what="lesson 05's surrogate grid")
    except _files.FileProblem as err:
        raise ValueError(f"{err}: no saved surrogate grid of lesson 05 there") from None
    try:
        record = json.loads(text)
        slopes = _grid("slopes", tuple(record["slopes"]), 0.0, 1e6, True)
        betas = _grid("betas", tuple(record["betas"]), 0.0, 1.0, False)
        histories = {(float(run["slope"]), float(run["beta"])): History.from_dict(run["history"])
                     for run in record["runs"]}
        if set(histories) != {(k, b) for k in slopes for b in betas}:
            raise ValueError("the runs do not cover the grid of slopes and betas exactly")
        for history in histories.values():
            if not history.batch_loss or not history.test_accuracy or not all(
                    0 <= a <= 1 for a in history.test_accuracy):
                raise ValueError("a run has no batch losses or no test accuracies in [0, 1]")
        settings = {**record["settings"], "dataset": record["dataset"]}
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as err:
        raise ValueError(f"path {str(path)!r} is not a lesson-05 surrogate grid from write_surrogate_runs: "
                         f"{err!r}") from err
    return SurrogateRuns(slopes, betas, histories, settings)


# ---------------------------------------------------------------------------------------------- benchmark demos


@register_explorer("surrogate_explorer")
def _demo_surrogate_explorer():
    return surrogate_explorer()


@register_explorer("surrogate_learning_explorer")
def _demo_surrogate_learning_explorer():
    """A small grid (3 slopes, 2 betas) on 300 offline digits: a fraction of a second to build."""
    from snnlesson import data

    images, labels = data.as_tensors(data.mnist(train=False, source="offline", verbose=False))
    runs = surrogate_runs((images[:200], labels[:200]), (images[200:300], labels[200:300]), slopes=(1.0, 25.0, 625.0),
                          betas=(0.8, 0.95), num_hidden=16, num_train=200, epochs=1)
    return surrogate_learning_explorer(runs)


@register_explorer("network_explorer")
def _demo_network_explorer():
    """The notebook's setting: 500 test digits, the lesson recipe's number of steps; an untrained network
    whose hidden layer spikes."""
    from snnlesson import data

    images, labels = data.as_tensors(data.mnist(train=False, source="offline", verbose=False))
    recipe = bptt.LESSON_RECIPE
    model = bptt.build_network("scratch", num_steps=recipe.num_steps, beta=recipe.beta, slope=recipe.slope, seed=0)
    with torch.no_grad():
        model.fc1.weight.mul_(4.0)  # an untrained hidden layer, made to spike as a trained one does
    return network_explorer(model, images[:500], labels[:500])


# ---------------------------------------------------------------------------------------------- figures


def unrolled_graph(num_steps: int = 3, ax=None):
    """The lesson's two-layer network unrolled over ``num_steps`` steps, and how its gradient flows; returns the axes.

    Forward (black): input current ``W1 x[t]`` -> hidden membrane ``U1[t]`` -> hidden spike ``S1[t]``
    (the Heaviside step Θ) -> ``W2 S1[t]`` -> output membrane ``U2[t]``; the leak ``beta`` from ``U[t-1]``
    to ``U[t]`` in both layers; the loss reads the mean output membrane,
    ``L = CE(mean_t U2[t], y)``. The reset (grey, dotted, from ``S1[t-1]`` to ``U1[t]``) carries no
    gradient; the output layer's spikes and resets are not drawn, since the loss never reads them.
    Backward (red): the gradient flows back along the same arrows and through time. Only the
    step from ``S1`` to ``U1`` (the spike nonlinearity) needs the surrogate: ``W2``'s gradient
    (``U2`` <- ``W2 S1``) never crosses a spike function.
    """
    num_steps = check_int("num_steps", num_steps, minimum=1, maximum=6)
    ax = get_axes(ax, figsize=(2.3 * num_steps + 1.6, 5.6))
    rows = {"x": 0.0, "U1": 1.0, "S1": 2.0, "U2": 3.0}
    names = {"x": "x[{t}]", "U1": "U1[{t}]", "S1": "S1[{t}]", "U2": "U2[{t}]"}
    box = dict(boxstyle="round,pad=0.35", fc="white", ec="black")
    red, grey = "tab:red", "0.45"

    def arrow(x0, y0, x1, y1, color="black", style="-", shrink_a=14, shrink_b=14):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color=color, ls=style, lw=1.3, shrinkA=shrink_a,
                                    shrinkB=shrink_b))

    def label(x, y, text, color="black", ha="center", fontsize=9):
        ax.text(x, y, text, ha=ha, va="center", fontsize=fontsize, color=color)

    dx = 0.09  # forward arrows left of the column, backward (red) arrows right of it
    for t in range(num_steps):
        for key, y in rows.items():
            ax.text(t, y, names[key].format(t=t + 1), ha="center", va="center", bbox=box, fontsize=10)
        for (low, high, text) in ((0, 1, "W1"), (1, 2, "Θ"), (2, 3, "W2")):
            arrow(t - dx, low, t - dx, high)
            arrow(t + dx, high, t + dx, low, color=red)
            label(t - dx - 0.06, (low + high) / 2, text, ha="right")
        label(t + dx + 0.05, 1.42, "surrogate\ndS1/dU1", color=red, ha="left", fontsize=8)
        arrow(t - dx, 3, t - dx, 3.8, shrink_b=0)  # up to the box that averages over time
        arrow(t + dx, 3.8, t + dx, 3, color=red, shrink_a=0)
        if t > 0:
            for y in (1.0, 3.0):
                arrow(t - 1, y + 0.06, t, y + 0.06)
                label(t - 0.5, y + 0.2, "β")
                arrow(t, y - 0.08, t - 1, y - 0.08, color=red)
            arrow(t - 1, 2, t, 1, style=":", color=grey)
    middle = (num_steps - 1) / 2
    ax.add_patch(FancyBboxPatch((-0.35, 3.8), num_steps - 0.3, 0.4, boxstyle="round,pad=0.02", fc="white",
                                ec="black"))
    ax.text(middle, 4.0, "mean over time: (1/T) Σ_t U2[t]", ha="center", va="center", fontsize=10)
    ax.text(middle, 4.85, "loss L = CE(mean U2, label y)", ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc="#fde0dc", ec="black"))
    arrow(middle - dx, 4.2, middle - dx, 4.85, shrink_a=0, shrink_b=12)
    arrow(middle + dx, 4.85, middle + dx, 4.2, color=red, shrink_a=12, shrink_b=0)
    ax.plot([], [], color="black", label="forward")
    ax.plot([], [], color=red, label="gradient (backward)")
    ax.plot([], [], color=grey, ls=":", label="reset: no gradient")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=3, fontsize=9, frameon=False)
    ax.set_xlim(-0.75, num_steps - 0.25)
    ax.set_ylim(-0.4, 5.25)
    ax.axis("off")
    ax.set_title("Two LIF layers unrolled in time. W2's gradient needs only S1 (no spike derivative);\n"
                 "W1's crosses the spike nonlinearity Θ, where the surrogate replaces dS1/dU1", fontsize=10)
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
    axes = get_axes_row(axes, 2, (10, 3.5), "(counts, surrogate gradient)")
    ax_c, ax_g = axes
    ax_c.step(w, c, where="post", color="black")
    ax_c.set_xlabel("input weight w (threshold units per unit input)")
    ax_c.set_ylabel("spike count in the window (spikes)")
    ax_c.set_title("forward: a staircase", fontsize=10)
    finite = np.diff(c) / np.diff(w)
    ax_g.plot(w[:-1], finite, color="black", lw=1, label="finite difference (true slope)")
    ax_g.plot(w, g, color="tab:orange", lw=2, label="surrogate gradient (autograd)")
    ax_g.set_yscale("symlog", linthresh=1.0)
    ax_g.set_xlabel("input weight w (threshold units per unit input)")
    ax_g.set_ylabel("d(spike count)/dw (spikes per unit w)")
    ax_g.set_title("backward: true slope zero almost everywhere,\nsurrogate bumpy but nonzero", fontsize=10, pad=26)
    ax_g.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax_g.figure.tight_layout()
    return axes


# ------------------------------------------------------------------------------------ build exercises


def _is_stub_method(fn) -> bool:
    """Whether ``fn`` (a function) still has the stub body ``...`` (it compiles to ``return None``)."""
    def stub(*args):
        ...

    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    return code is not None and code.co_code == stub.__code__.co_code


#: (text in the error the reader's spike function raised, hint)
SPIKE_ERRORS = [
    ("incorrect number of gradients", "backward must return one gradient per input of forward, in order: "
     "forward(ctx, x, slope) takes x and slope, so return `grad_x, None` (the slope needs no gradient)."),
    ("not enough values to unpack (expected 1, got 0)", "forward must save x for the backward pass with "
     "`ctx.save_for_backward(x)`; backward reads it back with `(x,) = ctx.saved_tensors`."),
    ("has no attribute 'slope'", "store the slope in forward, `ctx.slope = slope` (a number: "
     "save_for_backward is for tensors), and read `ctx.slope` in backward."),
    ("does not require grad", "forward must return float spikes, e.g. `(x > 0).to(x.dtype)`: a bool tensor "
     "carries no gradient."),
]


def _spike_mistakes(x: torch.Tensor, slope: float, grad: torch.Tensor):
    """The catalogue for the backward pass: (the gradient a reader with that mistake gets, hint)."""
    x, g, k = x.double(), grad.double(), slope
    return [
        (torch.zeros_like(x), "that is the true derivative of the step, zero almost everywhere: the dead gradient. "
                              "The backward pass must return the surrogate instead."),
        (1 / (1 + k * x.abs()) ** 2, "multiply by grad_output: the chain rule passes on grad_output times the "
                                     "local (surrogate) derivative."),
        (g, "you passed grad_output through unchanged (the straight-through estimator); multiply it by the "
            "surrogate 1 / (1 + k|x|)^2."),
        (g / (1 + k * x.abs()), "square the denominator: the surrogate is 1 / (1 + k|x|)^2."),
        (g * k / (1 + k * x.abs()) ** 2, "the slope k belongs inside the denominator only: 1 / (1 + k|x|)^2 is 1 at "
                                         "the threshold."),
        (g / (1 + x.abs()) ** 2, "the slope k is missing: 1 / (1 + k|x|)^2, with k = ctx.slope."),
        (g / (k + x.abs()) ** 2, "the slope k multiplies |x|: 1 / (1 + k|x|)^2, not 1 / (k + |x|)^2."),
        (g / (1 + x.abs() / k) ** 2, "the slope k multiplies |x|, it does not divide it: 1 / (1 + k|x|)^2."),
        (g / (1 + k * x) ** 2, "use the absolute value |x|: the surrogate is symmetric about the threshold."),
        (g / (1 + k * (x > 0).double()) ** 2, "you computed the surrogate of the spike (0 or 1), not of x: save "
                                              "the input x in forward (ctx.save_for_backward(x)), not the output."),
    ]


def check_spike_function(spike_class) -> "checks.CheckResult":
    """Build exercise: a spike function with a surrogate gradient as a ``torch.autograd.Function``.

    ``spike_class.apply(x, slope)`` must give ``Theta(x)`` (1 where x > 0, else 0; x = U - U_thr)
    forward, and ``grad_output / (1 + slope |x|)^2`` backward (the reference:
    :class:`snnlesson.surrogate.FastSigmoidSpike`, equal to ``snntorch.surrogate.fast_sigmoid``).
    Hidden inputs: three random cases (exact ties at 0, |x| up to 10), random ``grad_output``.
    """
    from snnlesson import checks

    if checks.is_stub(spike_class):
        return checks.not_attempted()
    if not callable(getattr(spike_class, "apply", None)):
        return checks.failed(f"your answer should be a torch.autograd.Function subclass (with forward and backward), "
                             f"got {type(spike_class).__name__}.")
    gen = torch.Generator().manual_seed(2105)
    cases = []
    for shape, scale, slope in (((300,), 0.8, 25.0), ((4, 50), 2.5, 3.0), ((120,), 10.0, 0.7)):
        x = torch.randn(shape, generator=gen) * scale
        x.view(-1)[:3] = 0.0                                      # spikes are defined at the threshold too
        grad = torch.rand(shape, generator=gen) * 1.5 + 0.25     # a gradient arriving from above, not all ones
        cases.append((x, slope, grad))

    def run(x, slope, grad):
        x = x.clone().requires_grad_()
        spk = spike_class.apply(x, slope)
        if spk is None:
            return None
        if not isinstance(spk, torch.Tensor):
            return {"spk": spk, "grad": None, "ran_backward": False}
        if _is_stub_method(getattr(spike_class, "backward", None)):
            return {"spk": spk, "grad": None, "ran_backward": False, "stub_backward": True}
        (spk * grad).sum().backward()
        return {"spk": spk.detach(), "grad": x.grad, "ran_backward": True}

    for x, slope, grad in cases:
        case = f"x of shape {tuple(x.shape)}, slope={slope:g}"
        got, problem = checks.call_answer(run, (x, slope, grad), case, stub=checks.not_attempted(
            "forward returns nothing yet: replace `...` in forward and backward with your code."))
        if problem is not None:
            for text, hint in SPIKE_ERRORS:
                if text in problem.message:
                    return checks.failed(f"{problem.message} Hint: {hint}")
            return problem
        # the forward pass
        spk, unreadable = checks._answer_array("the spikes forward returned", got["spk"], case=case)
        if unreadable is not None:
            return unreadable
        expected_spk = (x > 0).double().numpy()
        if spk.shape != expected_spk.shape:
            return checks.failed(f"forward returned spikes of shape {spk.shape}, expected {expected_spk.shape} "
                                 f"(the shape of x) (for {case}).")
        if not np.array_equal(spk, expected_spk):
            xs = x.double().numpy()
            if not np.all(np.isin(spk, (0.0, 1.0))):
                hint = ("forward must return spikes, 0 or 1: the Heaviside step (x > 0). A smooth function such as "
                        "a sigmoid belongs in the backward pass only, through its derivative.")
            elif np.array_equal(spk, (xs >= 0).astype(float)):
                hint = ("at x = 0 exactly (the membrane exactly at the threshold) there is no spike in snnlesson and "
                        "snntorch: use x > 0, not x >= 0.")
            elif np.array_equal(spk, (xs < 0).astype(float)):
                hint = "the spikes are inverted: a neuron fires when its membrane is ABOVE the threshold, x > 0."
            else:
                hint = "forward must return (x > 0) as 0/1 floats, where x = U - U_thr."
            return checks.failed(f"forward's spikes differ from the Heaviside step (x > 0) (for {case}). Hint: {hint}")
        if got.get("stub_backward"):
            return checks.failed("forward is right; backward returns nothing yet: replace its `...` with "
                                 "`return grad_output * (surrogate derivative), None`.")
        if got["grad"] is None:
            return checks.failed(f"x received no gradient (for {case}): backward must return the gradient for x "
                                 "first (then None for the slope).")
        expected = (grad.double() / (1 + slope * x.double().abs()) ** 2).numpy()
        problem = checks.compare_arrays("the gradient backward gave x", got["grad"], expected, rtol=1e-5, atol=1e-7,
                                        case=case)
        if problem is not None:
            return checks.diagnose(problem, got["grad"], [(m.numpy(), hint) for m, hint in
                                                           _spike_mistakes(x, slope, grad)],
                                   same=lambda a, b: checks.compare_arrays("", a, b, rtol=1e-5, atol=1e-7) is None)
    return checks.passed("forward gives 0/1 spikes (x > 0) and backward grad_output / (1 + k|x|)^2 on every hidden "
                         "case, like snnlesson.surrogate.FastSigmoidSpike and snntorch's fast_sigmoid.")


def spike_gradient_comparison(spike_class, *, slope: float = 25.0, num_steps: int = 25, ax=None):
    """Section 2's experiment with a reader's spike function beside the package's.

    501 LIF neurons, each driven by a constant current equal to its weight ``w`` in [0, 0.5], run
    ``num_steps`` steps; the surrogate gradient of each neuron's spike count with respect to its
    weight is drawn for ``spike_class`` (``spike_class.apply(x, slope)``) and for
    :class:`snnlesson.surrogate.FastSigmoidSpike`. Returns ``(ax, gradient_yours, gradient_package)``.
    """
    from snnlesson import lif_discrete
    from snnlesson.surrogate import FastSigmoidSpike

    if not callable(getattr(spike_class, "apply", None)):
        raise TypeError(f"spike_class must be a torch.autograd.Function subclass, got {spike_class!r:.60}")
    slope = check_real("slope", slope, low=0.0, low_open=True)
    num_steps = check_int("num_steps", num_steps, minimum=1, maximum=1000)
    ax = get_axes(ax, figsize=(8, 3.4))
    params = lif_discrete.LIFDiscreteParams(beta=0.95, threshold=1.0)
    grads = []
    for cls in (spike_class, FastSigmoidSpike):
        weights = torch.linspace(0.0, 0.5, 501, requires_grad=True)
        spikes, _ = lif_discrete.run(weights, params, lambda x, cls=cls: cls.apply(x, slope), num_steps=num_steps)
        spikes.sum().backward()
        grads.append(weights.grad.detach().numpy())
    w = np.linspace(0.0, 0.5, 501)
    ax.plot(w, grads[1], color="tab:orange", lw=4, alpha=0.6, label="the package's FastSigmoidSpike")
    ax.plot(w, grads[0], color="black", lw=1, ls="--", label="your spike function")
    ax.set_xlabel("weight w (input current per step, threshold units)")
    ax.set_ylabel("d(spike count)/dw (surrogate)")
    ax.set_title(f"gradient of the spike count over {num_steps} steps: largest difference "
                 f"{float(np.abs(grads[0] - grads[1]).max()):.2g}", fontsize=10)
    ax.legend(fontsize=8, loc="upper right", framealpha=1)
    return ax, grads[0], grads[1]


def _epoch_variant(*, zero_grad=True, backward=True, step=True, reset=True, readout="mean", steps="all",
                   detach=False, returns="mean"):
    """A training epoch with one typical mistake switched on (the catalogue of check_train_one_epoch)."""

    def train_one_epoch(net, loader, optimizer, num_steps):
        losses, state = [], None
        for images, labels in loader:
            if reset:
                state = None
            elif state is not None:  # carried over from the last batch (detached, or backward would fail)
                state = tuple(m.detach() for m in state)
            mems = []
            for t in range(num_steps if steps != "one" else 1):
                x = images if (steps != "first_only" or t == 0) else torch.zeros_like(images)
                _, mem, state = net(x, state)
                if detach:
                    state = tuple(m.detach() for m in state)
                mems.append(mem)
            mems = torch.stack(mems)
            if readout == "mean":
                loss = nn.functional.cross_entropy(mems.mean(0), labels)
            elif readout == "last":
                loss = nn.functional.cross_entropy(mems[-1], labels)
            else:  # the tutorial's loss, summed over steps
                loss = sum(nn.functional.cross_entropy(m, labels) for m in mems)
            if zero_grad:
                optimizer.zero_grad()
            if backward:
                loss.backward()
            if step:
                optimizer.step()
            losses.append(loss.item())
        return {"mean": sum(losses) / len(losses), "last": losses[-1], "sum": sum(losses)}[returns]

    return train_one_epoch

#: The catalogue of check_train_one_epoch: (keyword arguments of _epoch_variant, hint).
EPOCH_MISTAKES = [
    ({"zero_grad": False}, "call optimizer.zero_grad() before loss.backward() in every batch: without it the "
                           "gradients of all earlier batches add up in .grad."),
    ({"backward": False}, "call loss.backward() (this is the backpropagation through time) before "
                          "optimizer.step(): without it there is no gradient and no weight moves."),
    ({"step": False}, "call optimizer.step() after loss.backward(): the gradients are computed but the weights "
                      "never change."),
    ({"reset": False}, "start every batch from rest, `state = None`: a new batch holds other digits, and the "
                       "membranes of the last batch must not carry over."),
    ({"readout": "last"}, "the loss reads only the last step's membrane; the lesson's loss is the cross-entropy "
                          "of the membrane averaged over all steps, CE(mean_t U_out[t], y)."),
    ({"readout": "sum"}, "that is the tutorial's loss, the cross-entropy at every step summed; the lesson's is "
                         "the cross-entropy of the membrane averaged over the steps, CE(mean_t U_out[t], y)."),
    ({"steps": "one"}, "run the network for num_steps steps, feeding the images at every step: you ran one step."),
    ({"steps": "first_only"}, "feed the images at every step (direct input: the same current at each step), not "
                              "only at the first."),
    ({"detach": True}, "do not detach the state inside the loop over time: BPTT needs the gradient to flow back "
                       "through the membranes of earlier steps."),
    ({"returns": "last"}, "return the mean of the batches' losses, not the last batch's."),
    ({"returns": "sum"}, "return the mean of the batches' losses, not their sum."),
]

EPOCH_ERRORS = [
    ("backward through the graph a second time", "start every batch from rest, `state = None`: the state of the "
     "last batch belongs to a graph that backward already used."),
    ("does not require grad", "the loss has no gradient: do not detach the membranes (or wrap the loop in "
     "torch.no_grad()) before computing the loss."),
]


def _epoch_case(seed: int, num_inputs: int, num_hidden: int, num_outputs: int, batches: int, batch_size: int,
                num_steps: int):
    """A hidden tiny case: a StepSNN in float64 (so that no spike flips on rounding) and its batches."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = bptt.StepSNN(num_inputs, num_hidden, num_outputs, beta=0.9, threshold=1.0, slope=5.0).double()
    with torch.no_grad():
        net.fc1.weight.mul_(3.0)  # enough input current that the hidden layer spikes
    loader = [(torch.rand(batch_size, num_inputs, generator=gen, dtype=torch.float64) * 1.5,
               torch.randint(0, num_outputs, (batch_size,), generator=gen)) for _ in range(batches)]
    return net, loader, num_steps


def _run_epoch(fn, net, loader, num_steps):
    """``fn`` on a copy of ``net`` with its own SGD: (returned value, parameters after, whether .grad was set)."""
    net = copy.deepcopy(net)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    value = fn(net, [(x.clone(), y.clone()) for x, y in loader], optimizer, num_steps)
    params = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    return value, params, any(p.grad is not None for p in net.parameters())


def check_train_one_epoch(train_one_epoch) -> "checks.CheckResult":
    """Build exercise: ``train_one_epoch(net, loader, optimizer, num_steps)``, one epoch of BPTT.

    Reference: :func:`snnlesson.bptt.train_one_epoch`. Hidden cases: tiny :class:`snnlesson.bptt.StepSNN`
    networks in float64 with SGD, a few batches; the returned mean loss and every parameter after the
    epoch must match the reference's (same initial weights, same batches).
    """
    from snnlesson import checks

    if checks.is_stub(train_one_epoch):
        return checks.not_attempted()
    if not callable(train_one_epoch):
        return checks.failed(f"train_one_epoch should be a function of (net, loader, optimizer, num_steps), got "
                             f"{type(train_one_epoch).__name__}.")
    cases = [(_epoch_case(11, 12, 16, 4, 4, 6, 6), "a 12-16-4 network, 4 batches of 6, num_steps=6"),
             (_epoch_case(12, 7, 9, 3, 3, 5, 3), "a 7-9-3 network, 3 batches of 5, num_steps=3")]
    for (net, loader, num_steps), case in cases:
        exp_value, exp_params, _ = _run_epoch(bptt.train_one_epoch, net, loader, num_steps)
        got, problem = checks.call_answer(lambda *a: [_run_epoch(train_one_epoch, *a)], (net, loader, num_steps),
                                          case, stub=None)
        if problem is not None:
            for text, hint in EPOCH_ERRORS:
                if text in problem.message:
                    return checks.failed(f"{problem.message} Hint: {hint}")
            return problem
        value, params, has_grad = got[0]
        if checks.is_stub(value):
            return checks.not_attempted("`train_one_epoch` returns nothing yet: replace `...` with your code and "
                                        "`return` the mean loss.")
        value, problem = checks._answer_number(value, "the mean loss your function returned")
        if problem is not None:
            return problem

        def same(got_run, mistake_run):
            return (abs(got_run[0] - mistake_run[0]) <= 1e-6 * max(1.0, abs(mistake_run[0]))
                    and torch.allclose(got_run[1], mistake_run[1], rtol=1e-6, atol=1e-9)
                    and got_run[2] == mistake_run[2])

        if same((value, params, has_grad), (exp_value, exp_params, True)):
            continue
        if torch.equal(params, torch.cat([p.detach().reshape(-1) for p in net.parameters()])):
            problem = checks.failed(f"the weights did not change (for {case}).")
        elif not torch.allclose(params, exp_params, rtol=1e-6, atol=1e-9):
            problem = checks.failed(f"the weights after the epoch differ from the reference's (for {case}; largest "
                                    f"difference {float((params - exp_params).abs().max()):.3g}).")
        else:
            shown, expected = checks._apart(value, exp_value)
            problem = checks.failed(f"the weights are right, but you returned {shown}, expected the mean loss "
                                    f"{expected} (for {case}).")
        mistakes = [(lambda kw=kw: _run_epoch(_epoch_variant(**kw), net, loader, num_steps), hint)
                    for kw, hint in EPOCH_MISTAKES]
        return checks.diagnose(problem, (value, params, has_grad), mistakes, same=same)
    return checks.passed("your epoch gives the reference's mean loss and the same weights afterwards, on every "
                         "hidden network and data set.")


def _step_accuracy(net, images: torch.Tensor, labels: torch.Tensor, num_steps: int) -> float:
    """Test accuracy of a StepSNN: the class with the largest output membrane averaged over the steps."""
    with torch.no_grad():
        state, total = None, 0.0
        for _ in range(num_steps):
            _, mem, state = net(images, state)
            total = total + mem
    return float((total.argmax(1) == labels).float().mean())


def epoch_comparison(train_one_epoch, train_data, test_data, *, num_train: int = 600, epochs: int = 3,
                     num_hidden: int = 100, num_steps: int = 10, batch_size: int = 50, lr: float = 2e-3,
                     seed: int = 0, axes=None) -> dict:
    """Train two identical small networks, one with ``train_one_epoch`` and one with the package's
    :func:`snnlesson.bptt.train_one_epoch`, and draw their loss and test accuracy epoch by epoch.

    Both: a 784-``num_hidden``-10 :class:`snnlesson.bptt.StepSNN` from the same initial weights
    (``seed``), Adam with learning rate ``lr``, ``num_train`` digits picked from ``train_data``,
    shuffled into batches of ``batch_size`` in the same order (a ``DataLoader`` seeded with ``seed``).
    Returns ``{"yours": {"loss": [...], "accuracy": [...]}, "package": {...}}`` (mean training loss
    and test accuracy after each epoch) and draws them on two Axes (new ones if ``axes`` is None).
    """
    if not callable(train_one_epoch):
        raise TypeError(f"train_one_epoch must be a function, got {type(train_one_epoch).__name__}")
    num_train = check_int("num_train", num_train, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1, maximum=20)
    num_hidden = check_int("num_hidden", num_hidden, minimum=1, maximum=2000)
    num_steps = check_int("num_steps", num_steps, minimum=1, maximum=100)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True, high=1.0)
    seed = check_int("seed", seed, minimum=0)
    images, labels = bptt.mnist_tensors(train_data, "train_data")
    test_images, test_labels = bptt.mnist_tensors(test_data, "test_data")
    if num_train > len(labels):
        raise ValueError(f"num_train must be at most the {len(labels)} digits of train_data, got {num_train}")
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))[:num_train]
    data = torch.utils.data.TensorDataset(images[pick].flatten(1), labels[pick])
    results = {}
    for name, fn in (("yours", train_one_epoch), ("package", bptt.train_one_epoch)):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = bptt.StepSNN(bptt.NUM_INPUTS, num_hidden, bptt.NUM_OUTPUTS)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        # a batch larger than the data is the whole data (older torch allocates a list of batch_size first)
        loader = torch.utils.data.DataLoader(data, batch_size=min(batch_size, num_train), shuffle=True,
                                             generator=torch.Generator().manual_seed(seed))
        losses, accuracies = [], []
        with threads.policy(max_threads=1):  # a small network: one thread is fastest, and never waits for a busy core
            for _ in range(epochs):
                losses.append(float(fn(net, loader, optimizer, num_steps)))
                accuracies.append(_step_accuracy(net, test_images.flatten(1), test_labels, num_steps))
        results[name] = {"loss": losses, "accuracy": accuracies}
    ax_loss, ax_acc = get_axes_row(axes, 2, (10, 3.2), "(loss, accuracy)")
    epoch_axis = np.arange(1, epochs + 1)
    for name, style in (("package", dict(color="tab:orange", lw=5, alpha=0.5, marker="o", ms=10,
                                         label="the package's train_one_epoch")),
                        ("yours", dict(color="black", lw=1.2, ls="--", marker="x", ms=8,
                                       label="your train_one_epoch"))):
        ax_loss.plot(epoch_axis, results[name]["loss"], **style)
        ax_acc.plot(epoch_axis, [100 * a for a in results[name]["accuracy"]], **style)
    for ax in (ax_loss, ax_acc):
        ax.set_xticks(epoch_axis)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8, framealpha=1)
    ax_loss.set_ylabel("mean training loss (cross-entropy)")
    ax_loss.set_title(f"training loss, {num_train} digits, 784-{num_hidden}-10", fontsize=10)
    ax_acc.set_ylabel("test accuracy (%)")
    ax_acc.set_title(f"test accuracy on {len(test_labels):,} digits", fontsize=10)
    ax_loss.figure.tight_layout()
    return results


# ------------------------------------------------ exercise checkers (moved from snnlesson.checks)


def check_fast_sigmoid_derivative(answer) -> CheckResult:
    """Lesson 05: ``answer(x, slope)`` should return the fast-sigmoid surrogate ``1 / (1 + slope * |x|)**2``.

    Reference: :func:`snnlesson.surrogate.fast_sigmoid_derivative` (the backward pass of
    ``snntorch.surrogate.fast_sigmoid``).
    """
    import torch

    from snnlesson.surrogate import fast_sigmoid_derivative

    if is_stub(answer):
        return not_attempted()
    if not callable(answer):
        return failed(f"your answer should be a function of (x, slope), got {type(answer).__name__}.")
    shown = torch.tensor([-1.0, -0.2, -0.01, 0.0, 0.03, 0.5, 2.0])
    # hidden points out to +-10 (a wrong answer far from the threshold must not pass)
    hidden = torch.cat([torch.tensor([-10.0, -6.5, -3.7, -2.6, 2.6, 3.3, 7.25, 10.0]),
                        torch.rand(12, generator=torch.Generator().manual_seed(5)) * 20 - 10])
    x = torch.cat([shown, hidden])
    name = getattr(answer, "__name__", "your function")
    for slope in (25.0, 5.0, 1.0, 0.3):
        case = f"slope={slope:g}, x = {x.numel()} points from -10 to 10"
        expected = fast_sigmoid_derivative(x, slope)
        # wrapped in a list, so that a tuple holding None (such as a backward's `(grad, None)`) is a wrong
        # answer, not the stub
        got, problem = call_answer(lambda x_, k_: [answer(x_, k_)], (x.clone(), slope), case,
                                   stub=_stub_function(name))
        if problem is not None:
            return problem
        got = got[0]
        if isinstance(got, (tuple, list)) and any(g is None or g is Ellipsis or hasattr(g, "detach") for g in got):
            return failed(f"`{name}` returned a {type(got).__name__} of {len(got)} items (for {case}); return one "
                          "tensor shaped like x. (A `torch.autograd.Function`'s backward returns one gradient per "
                          "input, like `(grad, None)`; this function returns only the derivative itself.)")
        problem = compare_arrays("the derivative", got, expected, rtol=1e-5, atol=1e-7, case=case)
        if problem is None:
            continue
        g, unreadable = _answer_array("the derivative", got)
        if unreadable is not None or g.shape != tuple(x.shape):
            return problem
        xs, k = x.numpy().astype(float), slope
        worst = int(np.argmax(np.abs(g - expected.numpy())))
        shown_got, shown_expected = _apart(g[worst], float(expected[worst]))
        problem = failed(f"the derivative for slope={k:g} at x = {xs[worst]:.4g}: got {shown_got}, expected "
                         f"{shown_expected}.")
        hints = [
            (1.0 / (1.0 + k * np.abs(xs)), "you forgot to square the denominator (1 + k|x|)."),
            (k / (1.0 + k * np.abs(xs)) ** 2, "the surrogate is 1 at the threshold: do not multiply by the slope k."),
            (1.0 / (1.0 + k * xs) ** 2, "use the absolute value |x|: the surrogate is symmetric about the threshold."),
            (xs / (1.0 + k * np.abs(xs)), "that is the smooth function itself, x / (1 + k|x|); "
                                          "the backward pass needs its derivative."),
            ((xs > 0).astype(float), "that is the forward pass (the spike), not its surrogate derivative."),
        ]
        for wrong, hint in hints:
            if g.shape == wrong.shape and np.allclose(g, wrong, rtol=1e-5, atol=1e-7, equal_nan=True):
                return failed(f"{problem.message} Hint: {hint}")
        far = np.abs(xs) > 2.5
        if np.allclose(g[~far], expected.numpy()[~far], rtol=1e-5, atol=1e-7):
            return failed(f"{problem.message} Hint: your function is right near the threshold but not far from "
                          "it (|x| > 2.5); the formula 1 / (1 + k|x|)^2 holds for every x, without a cut-off.")
        return failed(f"{problem.message} Hint: the derivative is 1 / (1 + k|x|)^2.")
    return passed("the fast-sigmoid surrogate 1 / (1 + k|x|)^2 matches for every slope and input.")
