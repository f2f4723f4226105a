"""Figure primitives every lesson shares: spike rasters, membrane traces, weight maps, image grids.

Every function takes an optional matplotlib ``ax`` and returns the artists it
drew, so explorers can update their data in place. Axes are labelled with units.
A figure that only one lesson draws lives in that lesson's module
(``snnlesson.lessons.lNN_*``).

* rasters: :func:`raster`, :func:`raster_points`, :func:`signed_raster`,
  :func:`signed_raster_points`, :func:`window_shade`
* traces: :func:`lif_trace_points`, :func:`membrane_trace` (continuous time),
  :func:`membrane_traces` (discrete time), :func:`training_curves`
* weights: :func:`weight_matrix`, :func:`weight_history`
* images: :func:`digits_grid`, :func:`image_row`, :func:`events_rgb`
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from snnlesson._plotcheck import as_array, check_color, get_axes, get_axes_row
from snnlesson._validate import check_int, check_real, check_record

__all__ = ["to_numpy",
           "raster", "raster_points", "signed_raster", "signed_raster_points", "window_shade",
           "lif_trace_points", "membrane_trace", "membrane_traces", "training_curves",
           "weight_matrix", "weight_history",
           "digits_grid", "image_row", "events_rgb"]


def to_numpy(x) -> np.ndarray:
    """A NumPy copy of a tensor or array (detached, on the CPU), with its dtype.

    NaN or infinity is refused: a plot would silently leave those points out.
    """
    if isinstance(x, torch.Tensor):
        if x.device.type == "meta":
            raise ValueError("x must hold values, got a tensor on the 'meta' device")
        array = x.detach().cpu().numpy()
    else:
        array = np.asarray(x)
    if array.dtype.kind == "c":  # matplotlib would silently draw the real part only
        raise TypeError(f"x must hold real numbers, got dtype {array.dtype}")
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        raise ValueError("x holds NaN or infinity: a plot would silently leave those points out")
    return array


def _spike_matrix(spikes) -> np.ndarray:
    """A time-first spike array ``[num_steps, *shape]`` flattened to ``[num_steps, num_neurons]``."""
    s = as_array("spikes", spikes, min_size=0, finite=False)
    if s.ndim < 1 or s.size == 0:
        raise ValueError(f"spikes must be a non-empty time-first array, got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("spikes must hold finite numbers (no NaN or inf)")
    return s.reshape(s.shape[0], -1)


def _check_marker_size(marker_size) -> float:
    return check_real("marker_size", marker_size, low=0.0, low_open=True)


def _format_raster_axes(ax, num_steps: int, num_neurons: int, *, dt=None, ylabel="neuron index", title=None):
    """Limits and labels shared by every raster: time (s or steps) against neuron index.

    Half a step of margin at each end, so that a spike at step 0 stands clear of the spine.
    """
    step = 1.0 if dt is None else dt
    ax.set_xlim(-0.5 * step, (num_steps - 0.5) * step)
    ax.set_ylim(-0.5, num_neurons - 0.5)
    ax.set_xlabel("time (s)" if dt is not None else "time step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)


def raster_points(spikes) -> tuple[np.ndarray, np.ndarray]:
    """(step, neuron) coordinates of every spike in a time-first tensor ``[num_steps, *shape]``.

    Trailing dimensions are flattened, so a ``[T, 1, 28, 28]`` digit train gives
    neuron indices 0..783 in row-major pixel order. Counts above 1 plot once.
    """
    steps, neurons = np.nonzero(_spike_matrix(spikes))
    return steps, neurons


def raster(spikes, ax=None, *, dt=None, marker_size=2.0, color="black", title=None,
           ylabel="neuron index"):
    """Spike raster of a time-first tensor ``[num_steps, *shape]``; returns the scatter artist.

    With ``dt`` (seconds per step) the x-axis is in seconds, otherwise in steps.
    Update it in place with ``artist.set_offsets(np.column_stack(raster_points(new)))``.
    """
    matrix = _spike_matrix(spikes)
    dt = None if dt is None else check_real("dt", dt, low=0.0, low_open=True)
    marker_size = _check_marker_size(marker_size)
    color = check_color("color", color)
    ax = get_axes(ax)
    steps, neurons = np.nonzero(matrix)
    x = steps * dt if dt is not None else steps
    num_steps, num_neurons = matrix.shape
    artist = ax.scatter(x, neurons, s=marker_size, c=color, marker="|" if num_neurons < 50 else ".",
                        linewidths=1.0)
    _format_raster_axes(ax, num_steps, num_neurons, dt=dt, ylabel=ylabel, title=title)
    return artist


def window_shade(ax, num_steps: int, *, color="0.88", label="after the last time step"):
    """A grey band over a time axis from step ``num_steps`` on; returns the Rectangle.

    For rasters drawn on a fixed time axis longer than the train: the band marks the
    steps the train does not reach. Move it with ``shade.set_x(new_num_steps - 0.5)``.
    """
    from matplotlib.patches import Rectangle

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {ax!r}")
    num_steps = check_int("num_steps", num_steps, minimum=0)
    shade = Rectangle((num_steps - 0.5, 0.0), 1e9, 1.0, transform=ax.get_xaxis_transform(),
                      facecolor=check_color("color", color), edgecolor="none", zorder=0, label=label)
    ax.add_patch(shade)
    return shade


def digits_grid(images, labels=None, ncols=8, ax=None, cmap="gray"):
    """Show images ``[N, 1, H, W]`` or ``[N, H, W]`` (values in [0, 1]) as one grid; returns the AxesImage."""
    imgs = as_array("images", images)
    ncols = check_int("ncols", ncols, minimum=1)
    if imgs.ndim == 4:
        imgs = imgs[:, 0]
    if imgs.ndim != 3 or imgs.shape[0] == 0:
        raise ValueError(f"images must have shape [N, H, W] or [N, 1, H, W] with N > 0, got {imgs.shape}")
    n, h, w = imgs.shape
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    grid = np.ones((nrows * (h + 2), ncols * (w + 2)))
    for i in range(n):  # a handful of tiles: a loop over pictures, not neurons
        r, c = divmod(i, ncols)
        grid[r * (h + 2) + 1:r * (h + 2) + 1 + h, c * (w + 2) + 1:c * (w + 2) + 1 + w] = imgs[i]
    if labels is not None:
        labels = as_array("labels", labels, ndim=1)
        if labels.size != n:
            raise ValueError(f"labels must hold one label per image ({n}), got {labels.size}")
    ax = get_axes(ax, figsize=(ncols * 0.8, nrows * 0.9))
    artist = ax.imshow(grid, cmap=cmap, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if labels is not None:
        for i in range(n):
            r, c = divmod(i, ncols)
            ax.text(c * (w + 2) + 2, r * (h + 2) + 6, str(int(labels[i])), color="yellow", fontsize=8)
    return artist


# ----------------------------------------------------------------- ON/OFF rasters and events


def signed_raster(spikes, ax=None, *, marker_size=2.0, on_color="tab:red", off_color="tab:blue",
                  title=None, ylabel="neuron index", shift=0.0):
    """Raster of a time-first train with +1 (ON) and -1 (OFF) spikes in two colours.

    ``shift`` (steps, 0 to 0.5) draws ON spikes that much early and OFF spikes that much
    late, so that in a dense raster neither colour hides the other (the legend says so).
    Returns ``(on_artist, off_artist)``; update with :func:`signed_raster_points` (plus the shift).
    """
    matrix = _spike_matrix(spikes)
    marker_size = _check_marker_size(marker_size)
    on_color, off_color = check_color("on_color", on_color), check_color("off_color", off_color)
    shift = check_real("shift", shift, low=0.0, high=0.5)
    ax = get_axes(ax)
    on, off = signed_raster_points(matrix)
    num_steps, num_neurons = matrix.shape
    marker = "|" if num_neurons < 50 else "."
    moved = f", drawn {shift:g} step %s" if shift else ""
    on_artist = ax.scatter(on[:, 0] - shift, on[:, 1], s=marker_size, c=on_color, marker=marker,
                           label="ON (+1)" + (moved % "early" if shift else ""))
    off_artist = ax.scatter(off[:, 0] + shift, off[:, 1], s=marker_size, c=off_color, marker=marker,
                            label="OFF (-1)" + (moved % "late" if shift else ""))
    _format_raster_axes(ax, num_steps, num_neurons, ylabel=ylabel, title=title)
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    return on_artist, off_artist


def signed_raster_points(spikes) -> tuple[np.ndarray, np.ndarray]:
    """``(on_xy, off_xy)``: ``[n, 2]`` (step, neuron) coordinates of positive and negative spikes."""
    s = _spike_matrix(spikes)
    return np.argwhere(s > 0).astype(float), np.argwhere(s < 0).astype(float)


def events_rgb(on_counts, off_counts, scale=None) -> np.ndarray:
    """An RGB image ``[H, W, 3]`` of event counts on white: ON events red, OFF events blue.

    ``scale`` is the count shown at full colour (default: the largest count, at least 1).
    """
    on = as_array("on_counts", on_counts)
    off = as_array("off_counts", off_counts)
    if on.min() < 0 or off.min() < 0:
        raise ValueError("on_counts and off_counts must be event counts >= 0")
    if on.shape != off.shape or on.ndim != 2:
        raise ValueError(f"on_counts and off_counts must be equal-shaped 2-D arrays, got {on.shape} and {off.shape}")
    if scale is None:
        scale = max(on.max(), off.max(), 1.0)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    on_n, off_n = np.clip(on / scale, 0, 1), np.clip(off / scale, 0, 1)
    rgb = np.ones(on.shape + (3,))
    rgb[..., 0] -= off_n          # OFF: remove red -> blue
    rgb[..., 1] -= np.maximum(on_n, off_n)
    rgb[..., 2] -= on_n           # ON: remove blue -> red
    return np.clip(rgb, 0, 1)


# ----------------------------------------------------------------- membrane traces and weights


def lif_trace_points(result, params) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) of a :func:`snnlesson.lif.simulate` result with every spike drawn as a rise to the
    threshold and a drop to ``v_reset`` at its exact time, for plotting the membrane trace."""
    from snnlesson.lif import LIFParams, LIFResult

    if not isinstance(result, LIFResult):
        raise TypeError(f"result must be the LIFResult of snnlesson.lif.simulate, got {type(result).__name__}")
    check_record("result", result)
    if not isinstance(params, LIFParams):
        raise TypeError(f"params must be a snnlesson.lif.LIFParams, got {type(params).__name__}")
    spikes = np.asarray(result.spike_times, dtype=float)
    t_all = np.concatenate([spikes, spikes, result.t])
    v_all = np.concatenate([np.full(spikes.shape, params.threshold), np.full(spikes.shape, params.v_reset),
                            result.v])
    # at equal times: threshold first, then reset, then the grid value (recorded after the reset)
    key = np.concatenate([np.zeros(spikes.size), np.ones(spikes.size), np.full(result.t.size, 2.0)])
    order = np.lexsort((key, t_all))
    return t_all[order], v_all[order]


def membrane_trace(result, params, ax=None, *, input_spikes=None, label=None, color=None, title=None):
    """Membrane potential of a simulated LIF neuron with its threshold and spikes; returns the line.

    ``input_spikes`` (s), when given, are marked as ticks along the bottom of the axes.
    """
    points = lif_trace_points(result, params)
    if input_spikes is not None:
        input_spikes = as_array("input_spikes", input_spikes, ndim=1, min_size=0)
    ax = get_axes(ax, figsize=(7, 2.5))
    (line,) = ax.plot(*points, lw=1.0, color=color, label=label)
    ax.axhline(params.threshold, color="tab:red", ls="--", lw=0.8)
    if len(result.spike_times):
        ax.plot(result.spike_times, np.full(len(result.spike_times), params.threshold * 1.08), "v",
                color=line.get_color(), ms=5)
    if input_spikes is not None and len(input_spikes):
        ax.plot(input_spikes, np.full(len(input_spikes), -0.1 * params.threshold), "|", color="tab:blue", ms=8)
    ax.set_xlim(result.t[0], result.t[-1])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("membrane potential V (a.u.)")
    if title:
        ax.set_title(title, fontsize=10)
    return line


def weight_matrix(weights, ax=None, *, title=None, vmin=None, vmax=None, cmap="viridis"):
    """Weights ``[num_inputs, num_neurons]`` as an image (inputs down, neurons across); returns the AxesImage."""
    w = as_array("weights", weights)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D [num_inputs, num_neurons], got shape {w.shape}")
    ax = get_axes(ax, figsize=(2.5, 3.5))
    image = ax.imshow(w, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="weight")
    ax.set_xticks(np.arange(w.shape[1]))
    ax.set_xlabel("neuron")
    ax.set_ylabel("input")
    if title:
        ax.set_title(title, fontsize=10)
    return image


def weight_history(history, groups: dict, ax=None, *, title=None, linestyle="-"):
    """Mean weight of each group of inputs over learning steps; ``history`` is ``[num_steps + 1, num_inputs, num_neurons]``
    and ``groups`` maps a label to a boolean mask over inputs. Returns the lines."""
    h = as_array("history", history, ndim=3)
    if not isinstance(groups, dict) or not groups:
        raise TypeError(f"groups must be a non-empty dict label -> boolean mask over inputs, got {groups!r}")
    masks = {}
    for label, mask in groups.items():
        mask = as_array("groups", mask, ndim=1).astype(bool)
        if mask.size != h.shape[1]:
            raise ValueError(f"groups masks must have one entry per input ({h.shape[1]}), got {mask.size}")
        masks[label] = mask
    try:
        Line2D([], [], linestyle=linestyle)
    except (TypeError, ValueError):
        raise ValueError(f"linestyle must be a matplotlib line style such as '-' or '--', got {linestyle!r}") from None
    ax = get_axes(ax, figsize=(5, 3))
    lines = []
    for label, mask in masks.items():
        (line,) = ax.plot(h[:, mask].mean(axis=(1, 2)), linestyle=linestyle, label=label)
        lines.append(line)
    ax.set_xlabel("time step")
    ax.set_ylabel("mean weight")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return lines


# ----------------------------------------------------------------- images


def image_row(images: dict, *, cmap="gray", size=2.2):
    """Show images (title -> ``[H, W]`` array, values in [0, 1]) side by side; returns the figure."""
    if not isinstance(images, dict) or not images:
        raise TypeError(f"images must be a non-empty dict title -> image, got {type(images).__name__}")
    size = check_real("size", size, low=0.0, low_open=True, high=20.0)
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.4), squeeze=False)
    for ax, (title, image) in zip(axes.flat, images.items()):
        ax.imshow(as_array("images", image).squeeze(), cmap=cmap, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------- discrete-time traces and training


def membrane_traces(mem, ax=None, *, threshold=None, labels=None, highlight=None):
    """Membrane potentials ``[num_steps, neurons]`` against the time step; returns the list of lines.

    ``threshold`` draws a dashed line; ``highlight`` (a neuron index) is drawn thick.
    Update in place with ``line.set_ydata(new[:, i])``.
    """
    m = as_array("mem", mem, min_size=0)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"mem must be a non-empty [num_steps, neurons] array, got shape {m.shape}")
    if labels is not None and (isinstance(labels, str) or not hasattr(labels, "__len__")
                               or len(labels) != m.shape[1]):
        raise ValueError(f"labels must hold one label per neuron ({m.shape[1]}), got {labels!r}")
    if threshold is not None:
        threshold = check_real("threshold", threshold)
    if highlight is not None:
        highlight = check_int("highlight", highlight, minimum=0, maximum=m.shape[1] - 1)
    ax = get_axes(ax)
    steps = np.arange(m.shape[0])
    colors = plt.cm.tab10(np.arange(m.shape[1]) % 10)
    lines = [ax.plot(steps, m[:, i], color=colors[i], lw=2.5 if i == highlight else 1.0,
                     label=str(labels[i]) if labels is not None else None)[0] for i in range(m.shape[1])]
    if threshold is not None:
        ax.axhline(threshold, color="gray", ls="--", lw=1, label="threshold")
    ax.set_xlabel("time step")
    ax.set_ylabel("membrane potential U (dimensionless)")
    if labels is not None:
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    return lines


def training_curves(history, axes=None):
    """Loss per batch and accuracy per epoch from a ``snnlesson.bptt.History``; returns the two axes."""
    if not all(hasattr(history, a) for a in ("batch_loss", "train_accuracy", "test_accuracy")):
        raise TypeError(f"history must be a training History (batch_loss, train_accuracy, test_accuracy), "
                        f"got {type(history).__name__}")
    axes = get_axes_row(axes, 2, (10, 3.2), "(loss, accuracy)")
    ax_loss, ax_acc = axes
    loss = np.asarray(history.batch_loss, dtype=float)
    if loss.size == 0:
        raise ValueError("history has no recorded batches")
    ax_loss.plot(np.arange(1, loss.size + 1), loss, lw=0.6, color="tab:blue", alpha=0.5, label="per batch")
    window = max(1, loss.size // 50)
    smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
    ax_loss.plot(np.arange(window, loss.size + 1), smooth, color="tab:blue", label=f"mean of {window}")
    ax_loss.set_xlabel("training batch")
    ax_loss.set_ylabel("loss (cross-entropy, nats)")
    ax_loss.set_yscale("log")
    ax_loss.legend(fontsize=8)
    epochs = np.arange(1, len(history.train_accuracy) + 1)
    ax_acc.plot(epochs, 100 * np.asarray(history.train_accuracy), "o-", label="train (during the epoch)")
    if len(history.test_accuracy) == len(epochs):
        ax_acc.plot(epochs, 100 * np.asarray(history.test_accuracy), "s-", label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.set_xticks(epochs)
    ax_acc.legend(fontsize=8)
    ax_acc.figure.tight_layout()
    return axes
