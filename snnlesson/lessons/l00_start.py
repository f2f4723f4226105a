"""Lesson 00 (start here): one digit as a rate-coded spike raster, with two sliders.

:func:`digit_raster_figure` draws a digit beside its spike raster, and
:func:`digit_raster_explorer` adds sliders: at each time step of ``dt`` seconds
every pixel fires with probability ``p = gain x intensity`` (a rate of ``p / dt``
Hz; :func:`snnlesson.encoding.rate`). In both, the raster's y axis runs like the
image's: pixel 0 (row 0, the top row) at the top, one band of 28 pixel indices
per image row, level with that row of the picture beside it. The explorer's
time axis is fixed (up to the longest train the slider allows), so a longer
train grows to the right instead of being squeezed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from snnlesson.checks import (CheckResult, _answer_number, _reference, failed, is_stub, not_attempted, passed)
from snnlesson.explorer import Explorer, as_image, int_slider, register_explorer, slider
from snnlesson._validate import check_int, check_real
from snnlesson.lessons.l02_encoding import RateCandidates
from snnlesson.plot import raster, raster_points, window_shade

__all__ = ["digit_raster_explorer", "digit_raster_figure", "MAX_STEPS", "check_spike_count"]

MAX_STEPS = 200  # the top of the time-steps slider
ROW_TICK_EVERY = 4  # an image-row tick every 4 rows


def _digit_and_raster_axes(x: np.ndarray, spikes, *, dt: float, figsize):
    """A figure: the picture ``x`` on the left, its raster on the right, rows level with each other.

    The raster's y axis is flipped (pixel 0 at the top, like row 0 of the picture) and ticked in
    image rows; the picture is stretched to the raster's height, so image row r sits level with
    pixel indices ``width * r .. width * r + width - 1``. Returns ``(fig, ax_img, ax_raster, points)``.
    """
    height, width = x.shape
    fig, (ax_img, ax_raster) = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1, 3.2]})
    ax_img.imshow(x, cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax_img.set_title("the digit (intensity 0 to 1)", fontsize=10)
    ax_img.set_xlabel("image column")
    ax_img.set_ylabel("image row (row 0 at the top)")
    rows = np.arange(0, height, ROW_TICK_EVERY)
    ax_img.set_yticks(rows)
    points = raster(spikes, ax=ax_raster)
    ax_raster.set_ylim(height * width - 0.5, -0.5)  # pixel 0 at the top, like the picture
    ax_raster.set_yticks(rows * width)
    ax_raster.set_yticklabels([f"row {r}: {r * width}" for r in rows], fontsize=8)
    ax_raster.set_ylabel(f"pixel index = {width} × row + column")
    ax_raster.set_xlabel(f"time step (Δt = {dt * 1e3:g} ms)")
    return fig, ax_img, ax_raster, points


def digit_raster_figure(image, spikes, *, dt: float = 1e-3, title=None):
    """One digit ``[1, H, W]`` or ``[H, W]`` (values in [0, 1]) beside the raster of its spike train.

    ``spikes`` is time-first ``[num_steps, 1, H, W]`` or ``[num_steps, H, W]``; ``dt`` (s) is the
    duration of one step, written on the time axis. Returns the figure.
    """
    x = as_image(image, "image")
    dt = check_real("dt", dt, low=0.0, low_open=True)
    steps, pixels = raster_points(spikes)  # checks spikes
    num_pixels = int(np.prod(np.shape(spikes)[1:]))
    if num_pixels != x.size:
        raise ValueError(f"spikes must hold one train per pixel of image ({x.size}), got {num_pixels}")
    fig, _, ax_raster, _ = _digit_and_raster_axes(x, spikes, dt=dt, figsize=(9, 3.6))
    if title:
        ax_raster.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def digit_raster_explorer(image, *, seed: int = 0, num_steps: int = 50, gain: float = 0.5,
                          dt: float = 1e-3) -> Explorer:
    """Sliders for the number of time steps (5..200) and the gain (0..1) of a rate code of ``image``.

    image : one digit ``[1, 28, 28]`` or ``[28, 28]``, values in [0, 1].
    Each pixel fires at each step of ``dt`` seconds with probability ``gain x intensity``
    (a rate of ``gain x intensity / dt`` Hz); the raster shows pixel index (row 0 at the top,
    level with the picture) against time step. The random numbers are drawn once (``seed``)
    for all 200 steps, so the first ``num_steps`` steps are exactly
    ``encoding.rate(image, num_steps, gain, torch.Generator().manual_seed(seed))``: more
    steps extend the train, a higher gain adds spikes and removes none.
    """
    x = as_image(image, "image")
    seed = check_int("seed", seed)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    num_pixels = x.size
    candidates = RateCandidates(x, MAX_STEPS, seed)  # the random numbers, drawn once for 200 steps

    fig, _, ax_raster, points = _digit_and_raster_axes(x, np.zeros((MAX_STEPS, num_pixels)), dt=dt,
                                                       figsize=(9, 3.8))
    shade = window_shade(ax_raster, num_steps)
    ax_raster.legend(handles=[Line2D([], [], ls="", marker="s", ms=4, color="black", label="spike"), shade],
                     loc="lower left", bbox_to_anchor=(0.0, 1.1), ncol=2, fontsize=8, framealpha=1,
                     borderaxespad=0.0)
    ax_raster.set_title(" ", fontsize=10)  # reserve the room of the title set by update
    fig.tight_layout()

    def update(num_steps: int, gain: float) -> str:
        steps, pixels = candidates.spikes(num_steps, gain)
        points.set_offsets(np.column_stack([steps, pixels]))
        shade.set_x(num_steps - 0.5)
        ax_raster.set_title(f"{steps.size:,} spikes in {num_steps} steps = {num_steps * dt * 1e3:g} ms "
                            f"(gain {gain:.2f})", fontsize=10)
        return (f"{steps.size:,} spikes; a white pixel fires with probability {gain:.2f} per step, "
                f"a rate of {gain / dt:.0f} Hz")

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


# ------------------------------------------------ exercise checkers (moved from snnlesson.checks)


def check_spike_count(answer, spikes) -> CheckResult:
    """Lesson 00: how many spikes are in the time-first tensor ``spikes``?"""
    if is_stub(answer):
        return not_attempted("replace `...` with an expression that counts the spikes in `spikes`.")
    raster = _reference("spikes", spikes, min_ndim=1)
    expected = int(raster.sum())
    got, problem = _answer_number(answer, "the spike count", whole=True)
    if problem is not None:
        return problem
    steps = raster.shape[0]
    these = f"the {steps} time step{'s' if steps != 1 else ''} asked for"
    if got == expected:
        return passed(f"{these} hold{'s' if steps == 1 else ''} {expected} spikes.")
    per_step = raster.reshape(steps, -1).sum(axis=1)
    hint = (" It looks like you counted only one time step." if got in set(per_step.tolist()) else
            f" That is {'more' if got > expected else 'fewer'}: check the slice (time is the first axis, and "
            f"spikes[:{steps}] takes steps 0 to {steps - 1}), then sum over every axis, time steps and pixels.")
    return failed(f"you said {got}; {these} hold{'s' if steps == 1 else ''} {expected} spikes.{hint}")
