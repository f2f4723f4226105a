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


def raster_points(spikes) -> tuple[np.ndarray, np.ndarray]:
    """(step, neuron) coordinates of every spike in a time-first tensor ``[num_steps, *shape]``.

    Trailing dimensions are flattened, so a ``[T, 1, 28, 28]`` digit train gives
    neuron indices 0..783 in row-major pixel order. Counts above 1 plot once.
    """
    s = to_numpy(spikes)
    if s.ndim < 1 or s.size == 0:
        raise ValueError(f"spikes must be a non-empty time-first array, got shape {s.shape}")
    s = s.reshape(s.shape[0], -1)
    steps, neurons = np.nonzero(s)
    return steps, neurons


def raster(spikes, ax=None, *, dt=None, marker_size=2.0, color="black", title=None,
           ylabel="neuron index"):
    """Spike raster of a time-first tensor ``[num_steps, *shape]``; returns the scatter artist.

    With ``dt`` (seconds per step) the x-axis is in seconds, otherwise in steps.
    Update it in place with ``artist.set_offsets(np.column_stack(raster_points(new)))``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    steps, neurons = raster_points(spikes)
    x = steps * dt if dt is not None else steps
    num_steps = to_numpy(spikes).shape[0]
    num_neurons = int(np.prod(to_numpy(spikes).shape[1:], dtype=np.int64))
    artist = ax.scatter(x, neurons, s=marker_size, c=color, marker="|" if num_neurons < 50 else ".",
                        linewidths=1.0)
    ax.set_xlim(-0.5 if dt is None else 0, num_steps - 0.5 if dt is None else num_steps * dt)
    ax.set_ylim(-0.5, num_neurons - 0.5)
    ax.set_xlabel("time (s)" if dt is not None else "time step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
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
