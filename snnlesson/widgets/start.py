"""Lesson 00's explorer: one digit as a rate-coded spike raster."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from snnlesson.plot import raster, raster_points
from snnlesson.widgets.base import Explorer, int_slider, slider

__all__ = ["digit_raster_explorer"]


def digit_raster_explorer(image: torch.Tensor, *, seed: int = 0, num_steps: int = 50,
                          gain: float = 0.5) -> Explorer:
    """Sliders for the number of time steps and the gain of a rate code of ``image`` ``[1, 28, 28]``.

    Each pixel fires at each step with probability ``gain x intensity``
    (``snnlesson.encoding.rate``); the raster shows pixel index against time
    step. The same ``seed`` is used at every redraw, so a slider move changes
    the picture only through the parameter it names.
    """
    from snnlesson.encoding import rate

    if not isinstance(image, torch.Tensor) or image.shape[-2:] != (28, 28):
        raise ValueError(f"image must be a tensor [1, 28, 28], got {getattr(image, 'shape', type(image))}")
    fig, (ax_img, ax_raster) = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [1, 3]})
    ax_img.imshow(image.reshape(28, 28).numpy(), cmap="gray", vmin=0, vmax=1)
    ax_img.set_title("input digit (intensity 0-1)")
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    points = raster(torch.zeros(200, 784), ax=ax_raster, ylabel="pixel index (row-major)",
                    title="spikes")  # a title now, so tight_layout leaves room for the real one
    fig.tight_layout()

    def update(num_steps: int, gain: float) -> str:
        generator = torch.Generator().manual_seed(seed)
        spikes = rate(image, num_steps, gain=gain, generator=generator)
        steps, pixels = raster_points(spikes)
        points.set_offsets(np.column_stack([steps, pixels]) if len(steps) else np.empty((0, 2)))
        ax_raster.set_xlim(-0.5, num_steps - 0.5)
        total = int(spikes.sum())
        ax_raster.set_title(f"{total} spikes in {num_steps} steps")
        return f"{total} spikes; the brightest pixels fire in about {gain:.0%} of the steps"

    controls = {
        "num_steps": int_slider("time steps", num_steps, 5, 200),
        "gain": slider("gain", gain, 0.0, 1.0, 0.05),
    }
    return Explorer(fig, controls, update)
