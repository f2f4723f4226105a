"""Lesson 00 (start here): one digit as a rate-coded spike raster, with two sliders.

:func:`digit_raster_explorer` shows a digit and its rate code
(:func:`snnlesson.encoding.rate`): at each time step every pixel fires with
probability ``gain x intensity``. The time axis is fixed (up to the longest
train the slider allows), so a longer train grows to the right instead of
being squeezed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from snnlesson.explorer import Explorer, as_image, int_slider, register_explorer, slider
from snnlesson._validate import check_int
from snnlesson.lessons.l02_encoding import RateCandidates
from snnlesson.plot import raster, window_shade

__all__ = ["digit_raster_explorer", "MAX_STEPS"]

MAX_STEPS = 200  # the top of the time-steps slider


def digit_raster_explorer(image, *, seed: int = 0, num_steps: int = 50, gain: float = 0.5) -> Explorer:
    """Sliders for the number of time steps (5..200) and the gain (0..1) of a rate code of ``image``.

    image : one digit ``[1, 28, 28]`` or ``[28, 28]``, values in [0, 1].
    Each pixel fires at each step with probability ``gain x intensity``; the raster
    shows pixel index against time step. The random numbers are drawn once (``seed``)
    for all 200 steps, so the first ``num_steps`` steps are exactly
    ``encoding.rate(image, num_steps, gain, torch.Generator().manual_seed(seed))``: more
    steps extend the train, a higher gain adds spikes and removes none.
    """
    x = as_image(image, "image")
    seed = check_int("seed", seed)
    num_pixels = x.size
    candidates = RateCandidates(x, MAX_STEPS, seed)  # the random numbers, drawn once for 200 steps

    fig, (ax_img, ax_raster) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1, 3]})
    ax_img.imshow(x, cmap="gray", vmin=0, vmax=1)
    ax_img.set_title("input digit (intensity 0 to 1)", fontsize=10)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    points = raster(np.zeros((MAX_STEPS, num_pixels)), ax=ax_raster, ylabel="pixel index (row by row)",
                    title="spikes")
    shade = window_shade(ax_raster, num_steps)
    ax_raster.legend(handles=[Line2D([], [], ls="", marker="s", ms=4, color="black", label="spike"),
                              shade], loc="upper right", fontsize=8, framealpha=1)
    fig.tight_layout()

    def update(num_steps: int, gain: float) -> str:
        steps, pixels = candidates.spikes(num_steps, gain)
        points.set_offsets(np.column_stack([steps, pixels]))
        shade.set_x(num_steps - 0.5)
        ax_raster.set_title(f"{steps.size:,} spikes in {num_steps} steps (gain {gain:.2f})", fontsize=10)
        return f"{steps.size:,} spikes; the brightest pixels fire in about {gain:.0%} of the steps"

    controls = {
        "num_steps": int_slider("time steps", num_steps, 5, MAX_STEPS, name="num_steps"),
        "gain": slider("gain", gain, 0.0, 1.0, 0.05),
    }
    return Explorer(fig, controls, update, dynamic=[points, shade, ax_raster.title])


@register_explorer("digit_raster_explorer")
def _demo_digit_raster_explorer() -> Explorer:
    from snnlesson import data

    images, _ = data.as_tensors(data.mnist(train=False, source="offline", verbose=False))
    return digit_raster_explorer(images[0], seed=0)
