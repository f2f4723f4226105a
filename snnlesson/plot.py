"""Plotting helpers shared by the lessons: spike rasters, membrane traces, digit grids.

Every function takes an optional matplotlib ``ax`` and returns the artists it
drew, so explorers can update their data in place. Axes are labelled with units.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["to_numpy", "raster", "raster_points", "digits_grid"]


def to_numpy(x) -> np.ndarray:
    """A NumPy copy of a tensor or array (detached, on the CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _spike_matrix(spikes) -> np.ndarray:
    """A time-first spike array ``[num_steps, *shape]`` flattened to ``[num_steps, num_neurons]``."""
    s = to_numpy(spikes)
    if s.ndim < 1 or s.size == 0:
        raise ValueError(f"spikes must be a non-empty time-first array, got shape {s.shape}")
    return s.reshape(s.shape[0], -1)


def _format_raster_axes(ax, num_steps: int, num_neurons: int, *, dt=None, ylabel="neuron index", title=None):
    """Limits and labels shared by every raster: time (s or steps) against neuron index."""
    ax.set_xlim(-0.5 if dt is None else 0, num_steps - 0.5 if dt is None else num_steps * dt)
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
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    matrix = _spike_matrix(spikes)
    steps, neurons = np.nonzero(matrix)
    x = steps * dt if dt is not None else steps
    num_steps, num_neurons = matrix.shape
    artist = ax.scatter(x, neurons, s=marker_size, c=color, marker="|" if num_neurons < 50 else ".",
                        linewidths=1.0)
    _format_raster_axes(ax, num_steps, num_neurons, dt=dt, ylabel=ylabel, title=title)
    return artist


def digits_grid(images, labels=None, ncols=8, ax=None, cmap="gray"):
    """Show images ``[N, 1, H, W]`` or ``[N, H, W]`` (values in [0, 1]) as one grid; returns the AxesImage."""
    imgs = to_numpy(images)
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
    if ax is None:
        _, ax = plt.subplots(figsize=(ncols * 0.8, nrows * 0.9))
    artist = ax.imshow(grid, cmap=cmap, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if labels is not None:
        labels = to_numpy(labels)
        for i in range(n):
            r, c = divmod(i, ncols)
            ax.text(c * (w + 2) + 2, r * (h + 2) + 6, str(int(labels[i])), color="yellow", fontsize=8)
    return artist


# ----------------------------------------------------------------- lesson 02: encoding and event cameras


def signed_raster(spikes, ax=None, *, marker_size=2.0, on_color="tab:red", off_color="tab:blue",
                  title=None, ylabel="neuron index"):
    """Raster of a time-first train with +1 (ON) and -1 (OFF) spikes in two colours.

    Returns ``(on_artist, off_artist)``; update with :func:`signed_raster_points`.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    matrix = _spike_matrix(spikes)
    on, off = signed_raster_points(matrix)
    num_steps, num_neurons = matrix.shape
    marker = "|" if num_neurons < 50 else "."
    on_artist = ax.scatter(on[:, 0], on[:, 1], s=marker_size, c=on_color, marker=marker, label="ON (+1)")
    off_artist = ax.scatter(off[:, 0], off[:, 1], s=marker_size, c=off_color, marker=marker, label="OFF (-1)")
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
    on = to_numpy(on_counts).astype(float)
    off = to_numpy(off_counts).astype(float)
    if on.shape != off.shape or on.ndim != 2:
        raise ValueError(f"on_counts and off_counts must be equal-shaped 2-D arrays, got {on.shape} and {off.shape}")
    if scale is None:
        scale = max(on.max(), off.max(), 1.0)
    on_n, off_n = np.clip(on / scale, 0, 1), np.clip(off / scale, 0, 1)
    rgb = np.ones(on.shape + (3,))
    rgb[..., 0] -= off_n          # OFF: remove red -> blue
    rgb[..., 1] -= np.maximum(on_n, off_n)
    rgb[..., 2] -= on_n           # ON: remove blue -> red
    return np.clip(rgb, 0, 1)


def spike_count_histogram(counts, num_steps: int, p: float, ax=None):
    """Histogram of spike counts against Binomial(T, p), Poisson(Tp) and Gaussian approximations.

    Returns the axes. The binomial is exact for a Bernoulli rate code; the Poisson
    has variance ``T p`` (too wide when ``p`` is not small); the Gaussian matches
    the binomial's mean ``T p`` and variance ``T p (1 - p)``.
    """
    from math import lgamma

    counts = to_numpy(counts).ravel()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    lo, hi = int(counts.min()) - 5, int(counts.max()) + 6
    bins = np.arange(lo, hi + 1) - 0.5
    ax.hist(counts, bins=bins, density=True, color="0.8", label=f"{counts.size:,} simulated trains")
    k = np.arange(max(lo, 0), hi + 1)
    mean, var = num_steps * p, num_steps * p * (1 - p)
    log_binom = np.array([lgamma(num_steps + 1) - lgamma(j + 1) - lgamma(num_steps - j + 1) for j in k])
    binom = np.exp(log_binom + k * np.log(p) + (num_steps - k) * np.log1p(-p))
    poisson = np.exp(k * np.log(mean) - mean - np.array([lgamma(j + 1) for j in k]))
    grid = np.linspace(k[0], k[-1], 400)
    gauss = np.exp(-(grid - mean) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
    ax.plot(k, binom, "k.", label=f"binomial ({num_steps}, {p:g}): exact")
    ax.plot(k, poisson, "-", color="tab:orange", label=f"Poisson, mean {mean:g} (variance {mean:g})")
    ax.plot(grid, gauss, "--", color="tab:blue", label=f"Gaussian, mean {mean:g}, variance {var:.4g}")
    ax.set_xlabel(f"spike count in {num_steps} steps")
    ax.set_ylabel("probability")
    ax.legend(fontsize=7)
    return ax


def reconstruction_plot(curve: dict, ax=None):
    """Plot :func:`snnlesson.encoding.reconstruction_curve` (log-log) with the two scaling laws; returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    steps = np.asarray(curve["num_steps"], dtype=float)
    ax.loglog(steps, curve["rate"], "o-", color="tab:red", label="rate code (decoded by counting)")
    ax.loglog(steps, curve["latency"], "s-", color="tab:green", label="latency code (linear, decoded by timing)")
    ax.loglog(steps, curve["rate"][0] * np.sqrt(steps[0] / steps), ":", color="tab:red", label=r"$\propto 1/\sqrt{T}$")
    ax.loglog(steps, curve["latency"][0] * (steps[0] - 1) / (steps - 1), ":", color="tab:green",
              label=r"$\propto 1/(T-1)$")
    ax.set_xlabel("number of time steps T")
    ax.set_ylabel("RMS reconstruction error (intensity)")
    ax.legend(fontsize=7)
    return ax


# ----------------------------------------------------------------- lesson 01: the LIF neuron


def lif_trace_points(result, params) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) of a :func:`snnlesson.lif.simulate` result with every spike drawn as a rise to the
    threshold and a drop to ``v_reset`` at its exact time, for plotting the membrane trace."""
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
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.5))
    (line,) = ax.plot(*lif_trace_points(result, params), lw=1.0, color=color, label=label)
    ax.axhline(params.threshold, color="tab:red", ls="--", lw=0.8)
    if len(result.spike_times):
        ax.plot(result.spike_times, np.full(len(result.spike_times), params.threshold * 1.08), "v",
                color=line.get_color(), ms=5)
    if input_spikes is not None and len(input_spikes):
        ax.plot(input_spikes, np.full(len(input_spikes), -0.1 * params.threshold), "|", color="tab:blue", ms=8)
    ax.set_xlim(result.t[0], result.t[-1])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("membrane V")
    if title:
        ax.set_title(title, fontsize=10)
    return line


def loglog_errors(dts, errors, ax=None, *, label=None, reference_order=1):
    """Error against time step on log-log axes, with a dashed line of slope ``reference_order``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.5))
    dts, errors = np.asarray(dts, float), np.asarray(errors, float)
    (line,) = ax.loglog(dts, errors, "o-", label=label)
    ref = errors[0] * (dts / dts[0]) ** reference_order
    ax.loglog(dts, ref, "k--", lw=0.8, label=f"slope {reference_order}")
    ax.set_xlabel("time step dt (s)")
    ax.set_ylabel("error")
    ax.legend(fontsize=8)
    return line


def weight_matrix(weights, ax=None, *, title=None, vmin=None, vmax=None, cmap="viridis"):
    """Weights ``[num_inputs, num_neurons]`` as an image (inputs down, neurons across); returns the AxesImage."""
    w = to_numpy(weights)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D [num_inputs, num_neurons], got shape {w.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5, 3.5))
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
    h = to_numpy(history)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    lines = []
    for label, mask in groups.items():
        (line,) = ax.plot(h[:, to_numpy(mask).astype(bool)].mean(axis=(1, 2)), linestyle, label=label)
        lines.append(line)
    ax.set_xlabel("time step")
    ax.set_ylabel("mean weight")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return lines


# ----------------------------------------------------------------- lesson 02 (continued): code grids, DVS


def code_rasters(codes: dict, ncols: int = 3, *, marker_size=None, panel_size=(4.2, 2.6)):
    """One raster per entry of ``codes`` (name -> time-first spike train) in a grid; returns the figure.

    Trains with negative spikes (delta / OFF) are drawn in two colours.
    """
    if not codes:
        raise ValueError("codes must name at least one spike train")
    n = len(codes)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False)
    for ax, (name, spikes) in zip(axes.flat, codes.items()):  # one panel per code
        s = to_numpy(spikes)
        size = marker_size if marker_size is not None else (40.0 if s[0].size < 50 else 1.0)
        if (s < 0).any():
            signed_raster(s, ax=ax, marker_size=size, title=name)
        else:
            raster(s, ax=ax, marker_size=size, title=name)
        ax.set_title(f"{name}\n{int(np.abs(s).sum()):,} spikes", fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def image_row(images: dict, *, cmap="gray", size=2.2):
    """Show images (title -> ``[H, W]`` array, values in [0, 1]) side by side; returns the figure."""
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.4), squeeze=False)
    for ax, (title, image) in zip(axes.flat, images.items()):
        ax.imshow(to_numpy(image).squeeze(), cmap=cmap, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def dvs_strip(frames, event_counts, frame_indices):
    """Frames (top row) above their ON/OFF events (bottom row: red ON, blue OFF); returns the figure.

    ``frames`` is a video ``[T, H, W]`` or ``[T, 1, H, W]``; ``event_counts`` is
    ``snnlesson.dvs.to_frames(...)`` ``[T, 2, H, W]``.
    """
    video = to_numpy(frames)
    if video.ndim == 4:
        video = video[:, 0]
    counts = to_numpy(event_counts)
    scale = max(int(counts[list(frame_indices)].max()), 1)
    fig, axes = plt.subplots(2, len(frame_indices), figsize=(1.9 * len(frame_indices), 4.1), squeeze=False)
    for col, k in enumerate(frame_indices):
        axes[0, col].imshow(video[k], cmap="gray", vmin=0, vmax=1)
        axes[0, col].set_title(f"frame {k}", fontsize=9)
        axes[1, col].imshow(events_rgb(counts[k, 0], counts[k, 1], scale=scale))
        axes[1, col].set_title(f"{int(counts[k, 0].sum())} ON / {int(counts[k, 1].sum())} OFF", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("intensity")
    axes[1, 0].set_ylabel("events")
    fig.tight_layout()
    return fig


def event_count_plot(thresholds, counts, ax=None):
    """Events against contrast threshold (log-log) with a ``1/C`` guide; returns the axes."""
    c = np.asarray(thresholds, dtype=float)
    n = np.asarray(counts, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    shown = n > 0
    ax.loglog(c[shown], n[shown], "o-", color="tab:purple", label="emulated DVS")
    i = int(np.argmax(shown))
    ax.loglog(c, n[i] * c[i] / c, ":", color="0.4", label=r"$\propto 1/C$")
    ax.set_xlabel("contrast threshold C (natural-log units)")
    ax.set_ylabel("number of events")
    ax.set_ylim(max(n[shown].min() / 3, 0.5), n.max() * 3)
    ax.legend(fontsize=8)
    return ax


# --- lesson 05: BPTT with surrogate gradients


def membrane_traces(mem, ax=None, *, threshold=None, labels=None, highlight=None):
    """Membrane potentials ``[num_steps, neurons]`` against the time step; returns the list of lines.

    ``threshold`` draws a dashed line; ``highlight`` (a neuron index) is drawn thick.
    Update in place with ``line.set_ydata(new[:, i])``.
    """
    m = to_numpy(mem)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"mem must be a non-empty [num_steps, neurons] array, got shape {m.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
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
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.2))
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



def unrolled_graph(num_steps: int = 4, ax=None):
    """The computational graph of one LIF layer unrolled over ``num_steps`` steps; returns the axes.

    Forward arrows (black): input current ``W x[t]`` -> membrane ``U[t]`` -> spike ``S[t]`` -> loss ``L[t]``,
    and the leak ``beta`` from ``U[t-1]`` to ``U[t]``; the reset from ``S[t-1]`` (dotted, no gradient).
    Backward (red): the gradient flows back along the same arrows, through time.
    """
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or not 1 <= num_steps <= 8:
        raise ValueError(f"num_steps must be an integer in [1, 8], got {num_steps!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.4 * num_steps + 1, 4.2))
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

    for t in range(num_steps):
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
    w, c, g = to_numpy(weights), to_numpy(counts), to_numpy(surrogate_gradient)
    if not (w.ndim == c.ndim == g.ndim == 1 and w.size == c.size == g.size >= 2):
        raise ValueError(f"weights, counts and surrogate_gradient must be 1-D of the same length >= 2, "
                         f"got shapes {w.shape}, {c.shape}, {g.shape}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.2))
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