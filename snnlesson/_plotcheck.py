"""Argument checks for figure functions (``snnlesson.plot`` and the lessons' figures).

Each check names the caller's parameter (``name``) in its ``TypeError``/``ValueError``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import is_color_like

from snnlesson._validate import _shown

__all__ = ["get_axes", "get_axes_row", "check_color", "as_array"]


def get_axes(ax, figsize=(6, 3), name: str = "ax"):
    """``ax`` if it is a matplotlib Axes, a new figure's Axes of ``figsize`` inches if it is None."""
    if ax is None:
        return plt.subplots(figsize=figsize)[1]
    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes or None, got {ax!r}")
    return ax


def get_axes_row(axes, count: int, figsize, what: str = "", name: str = "axes"):
    """``axes`` (as given) if it holds ``count`` matplotlib Axes; if it is None, a new figure's row of
    ``count`` Axes (a NumPy array, as ``plt.subplots`` gives).

    ``what`` says what each Axes is for, in the error message (e.g. ``"(loss, accuracy)"``).
    """
    if axes is None:
        return plt.subplots(1, count, figsize=figsize, squeeze=False)[1][0]
    if not (isinstance(axes, (tuple, list, np.ndarray)) and len(axes) == count
            and all(isinstance(a, Axes) for a in axes)):
        raise TypeError(f"{name} must be {count} matplotlib Axes {what} or None, got {axes!r}".replace("  ", " "))
    return axes


def check_color(name: str, color) -> str:
    """A matplotlib colour (a name such as ``"tab:red"``, a hex string, an RGB tuple)."""
    if isinstance(color, (bool, int, float)) or not is_color_like(color):
        raise ValueError(f"{name} must be a matplotlib colour such as 'black' or 'tab:red', got {color!r}")
    return color


def as_array(name: str, data, *, ndim: int | None = None, min_size: int = 1, finite: bool = True) -> np.ndarray:
    """``data`` (tensor, array or list of numbers) as a float NumPy array, checked: dimensions, size, finite."""
    if isinstance(data, torch.Tensor):
        if data.device.type == "meta":
            raise ValueError(f"{name} must hold values, got a tensor on the 'meta' device")
        data = data.detach().cpu()
        if data.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {data.dtype}")
        data = data.numpy()
    try:
        a = np.asarray(data)
        if a.dtype.kind not in "biuf":
            raise TypeError
        a = a.astype(float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers, got {_shown(data)}") from None
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} value(s), got shape {a.shape}")
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    return a
