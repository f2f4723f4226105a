"""Lesson 02 (encoding information in spikes): explorers and figures.

Explorers (each returns an :class:`~snnlesson.explorer.Explorer`):

* :func:`rate_explorer`: ``num_steps`` and ``gain`` of the Bernoulli rate code, and the image
  decoded back by counting spikes
* :func:`latency_explorer`: ``tau``, ``threshold`` and ``num_steps`` of the log latency code
* :func:`delta_explorer`: the delta code's ``threshold`` on a moving digit
* :func:`population_explorer`: the input value, number and width of the population code's
  Gaussian receptive fields, and the step at which each field fires
* :func:`dvs_explorer`: the event camera's contrast ``threshold`` and the frame shown

Figures: :func:`spike_count_histogram`, :func:`reconstruction_plot`, :func:`code_rasters`,
:func:`delta_figure`, :func:`dvs_strip`, :func:`event_count_plot`, :func:`encoder_comparison`.

Build exercises: :func:`check_rate_code` (the reader's Bernoulli rate encoder and decoder, judged by
an exact binomial test per pixel, false-alarm rate below :data:`RATE_FALSE_ALARM`) and
:func:`check_rank_order` (the reader's rank-order encoder, with :data:`RANK_ORDER_MISTAKES`). :func:`bench_encoding` times the
encoders (``python -m snnlesson.bench encoding``).
"""

from __future__ import annotations

import time
from math import lgamma

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import colormaps, ticker
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from snnlesson.checks import (CheckResult, _answer_array, _answer_number, call_answer, compare_arrays, diagnose,
                              failed, is_stub, not_attempted, passed)
from snnlesson import dvs, encoding
from snnlesson._validate import check_int, check_real, check_size
from snnlesson.explorer import (Explorer, as_image, as_video, int_slider, log_slider, register_explorer,
                                slider)
from snnlesson._plotcheck import as_array, get_axes
from snnlesson.plot import events_rgb, raster, signed_raster, window_shade

__all__ = ["RateCandidates", "rate_explorer", "latency_explorer", "delta_explorer", "population_explorer",
           "dvs_explorer",
           "spike_count_histogram", "reconstruction_plot", "code_rasters", "delta_figure", "dvs_strip",
           "event_count_plot", "encoder_comparison",
           "check_rate_code", "reference_rate_encode", "binomial_pvalues", "RATE_FALSE_ALARM", "check_rank_order",
           "RANK_ORDER_MISTAKES",
           "bench_encoding", "check_rate_count_stats", "check_latency_encoder", "check_dvs_event_count", "MAX_EVENTS"]

RATE_MAX_STEPS = 500      # top of the rate explorer's num_steps slider
LATENCY_MAX_STEPS = 200   # top of the latency explorer's num_steps slider
DELTA_SHIFT = 0.2         # ON spikes drawn this many steps early, OFF ones this many late: both stay visible


def _plain_log_ticks(ax, axes="y"):
    """Log-axis tick labels as plain numbers (1, 10, 100) rather than powers of ten."""
    for axis in ([ax.xaxis] if "x" in axes else []) + ([ax.yaxis] if "y" in axes else []):
        axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(ticker.NullFormatter())


def _pad_time_axis(ax, num_steps: int) -> None:
    """Time axis of a raster over steps 0..num_steps-1 with 2 % (at least half a step) of margin at each
    end, so that spikes at the first and last step stand clear of the spines even on a long axis."""
    pad = max(0.5, 0.02 * num_steps)
    ax.set_xlim(-pad, num_steps - 1 + pad)


def _no_ticks(*axes):
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])


# ---------------------------------------------------------------------------------------------- rate code


class RateCandidates:
    """Every spike a rate code of ``image`` can hold for ``num_steps <= max_steps`` and ``gain <= 1``.

    The rate code fires pixel *i* at step *t* when a uniform number ``U[t, i] < gain x_i``.
    Drawing ``U`` once for ``max_steps`` steps (``torch.rand`` with ``seed``, as
    :func:`snnlesson.encoding.rate` does) and keeping only the pairs with ``U < x`` (the only
    ones any gain up to 1 can fire) makes a slider move cheap: :meth:`spikes` filters them.
    The first ``num_steps`` steps equal ``encoding.rate(image, num_steps, gain,
    torch.Generator().manual_seed(seed))`` exactly.
    """

    def __init__(self, image, max_steps: int, seed: int):
        image = as_image(image, "image")
        max_steps = check_int("max_steps", max_steps, minimum=1)
        check_size(f"the uniform numbers [max_steps={max_steps}, {image.size}]", max_steps * image.size, 4)
        self.max_steps = max_steps
        generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
        uniform = torch.rand((max_steps, *image.shape), generator=generator).numpy().reshape(max_steps, -1)
        intensity = image.reshape(-1).astype(np.float32)
        self.steps, self.pixels = np.nonzero(uniform < intensity)
        self.uniform = uniform[self.steps, self.pixels]
        self.intensity = intensity[self.pixels]

    def spikes(self, num_steps: int, gain: float) -> tuple[np.ndarray, np.ndarray]:
        """(steps, pixels) of the spikes of a ``num_steps``-step train with this ``gain``, in step order."""
        num_steps = check_int("num_steps", num_steps, minimum=1, maximum=self.max_steps)
        gain = check_real("gain", gain, low=0.0, high=1.0)
        fires = (self.steps < num_steps) & (self.uniform < np.float32(gain) * self.intensity)
        return self.steps[fires], self.pixels[fires]


def rate_explorer(image, num_steps: int = 100, gain: float = 1.0, seed: int = 0) -> Explorer:
    """Rate-code one image: raster of every pixel and the image decoded back by counting spikes.

    image : ``[H, W]`` or ``[1, H, W]``, values in [0, 1]. Sliders: ``num_steps`` (1..500)
    and ``gain`` (0.05..1). The uniform random numbers are drawn once (``seed``) for 500
    steps, so the first ``num_steps`` steps are exactly
    ``encoding.rate(image, num_steps, gain, torch.Generator().manual_seed(seed))``: more steps
    extend the train, and the time axis stays fixed at 500 steps.
    """
    x = as_image(image, "image")
    seed = check_int("seed", seed)
    candidates = RateCandidates(x, RATE_MAX_STEPS, seed)

    fig, (ax_r, ax_d, ax_o) = plt.subplots(1, 3, figsize=(10, 3.3), gridspec_kw={"width_ratios": [2.4, 1, 1]})
    points = raster(np.zeros((RATE_MAX_STEPS, x.size)), ax=ax_r, marker_size=1,
                    ylabel="pixel index (row by row)", title=" ")
    shade = window_shade(ax_r, num_steps)
    _pad_time_axis(ax_r, RATE_MAX_STEPS)
    decoded = ax_d.imshow(x, cmap="gray", vmin=0, vmax=1)
    ax_d.set_title(" \n ", fontsize=9)
    ax_o.imshow(x, cmap="gray", vmin=0, vmax=1)
    ax_o.set_title("original\n(intensity 0 to 1)", fontsize=9)
    _no_ticks(ax_d, ax_o)
    fig.legend(handles=[Line2D([], [], ls="", marker="s", ms=3, color="black", label="spike"), shade],
               loc="lower left", bbox_to_anchor=(0.06, 0.0), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))   # the legend sits under the raster, never over spikes

    def update(num_steps, gain):
        steps, pixels = candidates.spikes(num_steps, gain)
        points.set_offsets(np.column_stack([steps, pixels]))
        shade.set_x(num_steps - 0.5)
        # decode by counting: x_hat = count / (gain T), as encoding.rate_decode does
        estimate = np.bincount(pixels, minlength=x.size).reshape(x.shape) / (gain * num_steps)
        decoded.set_data(estimate)
        error = float(np.sqrt(np.mean((estimate - x) ** 2)))
        ax_r.set_title(f"rate code: {steps.size:,} spikes in {num_steps} steps", fontsize=10)
        ax_d.set_title(f"decoded: count / (gain T)\nRMS error {error:.3f}", fontsize=9)
        return f"{steps.size:,} spikes in {num_steps} steps; RMS error of the decoded image {error:.3f}"

    controls = {"num_steps": int_slider("num_steps", num_steps, 1, RATE_MAX_STEPS),
                "gain": slider("gain", gain, 0.05, 1.0, 0.05)}
    return Explorer(fig, controls, update, dynamic=[points, shade, decoded, ax_r.title, ax_d.title])


# ---------------------------------------------------------------------------------------------- latency code


def latency_explorer(image, num_steps: int = 50, tau: float = 5.0, threshold: float = 0.01) -> Explorer:
    """Log latency code of one image (``clip=True``, ``bypass=True``): raster and the spike-time curve.

    Sliders: ``tau`` (0.1..100 steps), ``threshold`` (0.001..0.5) and ``num_steps`` (2..200).
    Pixels below the threshold stay silent; spikes later than the window are dropped.
    Both time axes are fixed (200 steps).
    """
    x = torch.from_numpy(as_image(image, "image"))
    # types first, before anything is drawn with them (the sliders below check the ranges)
    tau, threshold = check_real("tau", tau), check_real("threshold", threshold)
    num_steps = check_int("num_steps", num_steps)
    intensity = x.numpy().reshape(-1)
    fig, (ax_r, ax_c) = plt.subplots(1, 2, figsize=(10, 3.3), gridspec_kw={"width_ratios": [2, 1.2]})
    points = raster(np.zeros((LATENCY_MAX_STEPS, x.numel())), ax=ax_r, marker_size=2,
                    ylabel="pixel index (row by row)", title=" ")
    shade = window_shade(ax_r, num_steps, label="after the window")
    _pad_time_axis(ax_r, LATENCY_MAX_STEPS)
    grid = torch.linspace(0.0, 1.0, 401)
    (curve,) = ax_c.plot(grid, np.zeros(grid.numel()), color="tab:green", label="t = tau ln(x / (x - threshold))")
    (window,) = ax_c.plot([0, 1], [num_steps - 1] * 2, color="black", ls=":", label="last step of the window")
    (thr_line,) = ax_c.plot([threshold] * 2, [0.01, 1000], color="tab:red", ls="--", label="threshold")
    ax_c.set_yscale("log")
    ax_c.set_xlim(0, 1)
    ax_c.set_ylim(0.01, 1000)
    _plain_log_ticks(ax_c, "y")
    ax_c.set_xlabel("pixel intensity x (0 to 1)")
    ax_c.set_ylabel("spike time (steps)")
    ax_c.set_title("when a pixel fires", fontsize=10)
    fig.legend(handles=[Line2D([], [], ls="", marker="s", ms=3, color="black", label="spike"), shade,
                        curve, window, thr_line], loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))   # the legend sits under the panels, never over data

    def update(tau, threshold, num_steps):
        # encoding.latency(x, num_steps, threshold, tau, clip=True, bypass=True), for 784 pixels at once:
        # each pixel spikes once, at step round(t(x)), if it is above the threshold and fires in the window
        step = torch.round(encoding.latency_times(x, tau=tau, threshold=threshold)).numpy().reshape(-1)
        fires = (step <= num_steps - 1) & (intensity >= np.float32(threshold))
        pixels = np.flatnonzero(fires)
        steps = step[pixels]
        points.set_offsets(np.column_stack([steps, pixels]))
        shade.set_x(num_steps - 0.5)
        times = encoding.latency_times(grid, tau=tau, threshold=threshold).numpy()
        curve.set_ydata(np.where(grid.numpy() >= threshold, times, np.nan))
        window.set_ydata([num_steps - 1] * 2)
        thr_line.set_xdata([threshold] * 2)
        above = int((x >= threshold).sum())
        ax_r.set_title(f"latency code: {steps.size} of {x.numel()} pixels spike in {num_steps} steps",
                       fontsize=10)
        return (f"{above} of {x.numel()} pixels are above the threshold; {steps.size} of them spike inside "
                f"the {num_steps}-step window")

    controls = {"tau": log_slider("tau (steps)", tau, -1, 2, name="tau"),
                "threshold": slider("threshold", threshold, 0.001, 0.5, 0.001),
                "num_steps": int_slider("num_steps", num_steps, 2, LATENCY_MAX_STEPS)}
    return Explorer(fig, controls, update, dynamic=[points, shade, curve, window, thr_line, ax_r.title])


# ---------------------------------------------------------------------------------------------- delta code


def delta_explorer(frames, threshold: float = 0.3) -> Explorer:
    """Delta code (``padding=True``, ``off_spike=True``) of a video: ON/OFF raster and the spikes of one step.

    frames : one video ``[T, H, W]`` or ``[T, 1, H, W]`` (T >= 2), values in [0, 1].
    Slider: ``threshold`` (0.02..1). Every pixel of the video is one neuron.
    """
    v = as_video(frames, "frames")
    num_steps, h, w = v.shape
    flat = v.reshape(num_steps, -1)
    # the change since the previous step (padding=True: step 0 compares with itself), computed once;
    # a threshold move only compares it again, as encoding.delta(flat, threshold, True, True) does
    change = flat - np.concatenate([flat[:1], flat[:-1]])
    steps, pixels = np.nonzero(change)
    change = change[steps, pixels]
    mid = num_steps // 2
    fig, (ax_r, ax_f) = plt.subplots(1, 2, figsize=(10, 3.3), gridspec_kw={"width_ratios": [2, 1]})
    on_artist, off_artist = signed_raster(torch.zeros(num_steps, h * w), ax=ax_r, marker_size=1,
                                          ylabel="pixel index (row by row)", title=" ", shift=DELTA_SHIFT)
    ax_r.get_legend().remove()
    _pad_time_axis(ax_r, num_steps)
    fig.legend(handles=[on_artist, off_artist], loc="lower left", bbox_to_anchor=(0.06, 0.0), ncol=2,
               fontsize=8, markerscale=4, frameon=False)
    image = ax_f.imshow(np.ones((h, w, 3)))
    ax_f.set_title(f"spikes at step {mid} (red ON, blue OFF)", fontsize=9)
    _no_ticks(ax_f)
    fig.tight_layout(rect=(0, 0.07, 1, 1))   # the legend sits under the raster, never over spikes

    def update(threshold):
        is_on, is_off = change >= np.float32(threshold), change <= -np.float32(threshold)
        on = np.column_stack([steps[is_on], pixels[is_on]])
        off = np.column_stack([steps[is_off], pixels[is_off]])
        on_artist.set_offsets(on - [DELTA_SHIFT, 0])     # ON drawn a little early, OFF a little late,
        off_artist.set_offsets(off + [DELTA_SHIFT, 0])   # so that neither colour hides the other
        on_now = np.bincount(on[on[:, 0] == mid, 1], minlength=h * w).reshape(h, w)
        off_now = np.bincount(off[off[:, 0] == mid, 1], minlength=h * w).reshape(h, w)
        image.set_data(events_rgb(on_now, off_now, scale=1))
        ax_r.set_title(f"delta code, threshold {threshold:.2f}: {len(on):,} ON and {len(off):,} OFF spikes",
                       fontsize=10)
        return f"{len(on):,} ON and {len(off):,} OFF spikes over {num_steps} steps"

    return Explorer(fig, {"threshold": slider("threshold", threshold, 0.02, 1.0, 0.02)}, update,
                    dynamic=[on_artist, off_artist, image, ax_r.title])


# ---------------------------------------------------------------------------------------------- population code

POPULATION_MAX_FIELDS = 20   # top of the population explorer's n_fields slider
_POPULATION_XLIM = (-0.55, 1.55)  # holds every field centre for 3..20 fields over [0, 1]


def population_explorer(value: float = 0.3, n_fields: int = 6, width_factor: float = 1.5,
                        num_steps: int = 40) -> Explorer:
    r"""Population code of one intensity: Gaussian receptive fields (top) and the step each field fires (bottom).

    Field *i* (centre :math:`\mu_i`, width :math:`\sigma`, :func:`snnlesson.encoding.population_fields`
    over [0, 1]) responds :math:`a_i = \exp(-(v - \mu_i)^2 / 2\sigma^2)` and fires once, at step
    :math:`\mathrm{round}((T-1)(1 - a_i))`, or never when :math:`a_i < 0.1`
    (:func:`snnlesson.encoding.population`). Sliders: the input ``value`` (0..1), the number of
    fields ``n_fields`` (3..20) and ``width_factor`` :math:`\gamma` (0.3..5; larger is narrower:
    :math:`\sigma = 1 / (\gamma (m - 2))`). Both panels share the value axis, fixed to hold every
    centre; the bottom panel puts each field's spike at its centre.
    """
    value = check_real("value", value, low=0.0, high=1.0)
    num_steps = check_int("num_steps", num_steps, minimum=2, maximum=1000)
    grid = np.linspace(*_POPULATION_XLIM, 841)
    colormap = colormaps["viridis"]
    fig, (ax_f, ax_t) = plt.subplots(2, 1, figsize=(9, 5.6), sharex=True,
                                     gridspec_kw={"height_ratios": [1.2, 1]})
    for ax in (ax_f, ax_t):  # the encoded range is [0, 1]; centres may lie outside it
        ax.axvspan(_POPULATION_XLIM[0], 0.0, color="0.93", zorder=0)
        ax.axvspan(1.0, _POPULATION_XLIM[1], color="0.93", zorder=0)
    fields = LineCollection([], linewidths=1.5, label="receptive fields a_i(v)")
    ax_f.add_collection(fields)
    ax_f.axhline(0.1, color="tab:red", ls="--", lw=1, label="a = 0.1: weaker fields stay silent")
    (value_line,) = ax_f.plot([value] * 2, [0, 1.08], color="black", lw=1.2, label="input value v")
    responses = ax_f.scatter([], [], s=36, edgecolors="black", linewidths=0.8, zorder=3,
                             label="responses a_i(v)")
    ax_f.set_xlim(*_POPULATION_XLIM)
    ax_f.set_ylim(-0.05, 1.08)
    ax_f.set_ylabel("response a (0 to 1)")
    ax_f.set_title(" ", fontsize=10)
    ax_f.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=1)

    silent_level = num_steps + 2
    ax_t.axhspan(num_steps - 0.5 + 1, num_steps + 3.5, color="0.85", zorder=0)
    (value_line_t,) = ax_t.plot([value] * 2, [-2, num_steps + 3.5], color="black", lw=1.2)
    spikes = ax_t.scatter([], [], s=40, marker="s", edgecolors="black", linewidths=0.8, zorder=3,
                          label="spike of field i,\nat step round((T - 1)(1 - a_i))")
    silent = ax_t.scatter([], [], s=36, marker="x", color="0.45", zorder=3, label="silent field (a < 0.1)")
    ax_t.set_ylim(-2, num_steps + 3.5)
    ax_t.text(_POPULATION_XLIM[0] + 0.02, silent_level, "silent", va="center", fontsize=8, color="0.3")
    ax_t.set_xlabel("input value v and field centres \u03bc_i (intensity; grey: outside the encoded range 0 to 1)")
    ax_t.set_ylabel("spike time (steps)")
    ax_t.set_title(" ", fontsize=10)
    ax_t.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=1)
    fig.tight_layout()

    def update(value, n_fields, width_factor):
        centres, sigma = encoding.population_fields(n_fields, 0.0, 1.0, width_factor)
        centres = centres.numpy()
        colors = colormap(np.linspace(0.0, 0.9, n_fields))
        curves = np.exp(-(grid - centres[:, None]) ** 2 / (2 * sigma ** 2))          # a_i(v) on the grid
        fields.set_segments([np.column_stack([grid, c]) for c in curves])
        fields.set_color(colors)
        a = np.exp(-(value - centres) ** 2 / (2 * sigma ** 2))                         # a_i(value)
        responses.set_offsets(np.column_stack([np.full(n_fields, value), a]))
        responses.set_facecolor(colors)
        value_line.set_xdata([value] * 2)
        value_line_t.set_xdata([value] * 2)
        # the encoder's own spike train [num_steps, 1, n_fields]: the step each field fires, if it fires
        train = encoding.population(torch.tensor([value]), n_fields, 0.0, 1.0, num_steps,
                                    width_factor=width_factor)[:, 0].numpy()
        fires = train.any(axis=0)
        step = train.argmax(axis=0)
        spikes.set_offsets(np.column_stack([centres[fires], step[fires]]))
        spikes.set_facecolor(colors[fires])
        silent.set_offsets(np.column_stack([centres[~fires], np.full(int((~fires).sum()), silent_level)]))
        ax_f.set_title(f"{n_fields} Gaussian receptive fields over [0, 1]: width \u03c3 = {sigma:.3g} "
                       f"(\u03b3 = {width_factor:g})", fontsize=10)
        if not fires.any():  # narrow fields far apart: the value falls between them
            ax_t.set_title(f"v = {value:.2f}: no field fires (every response is below 0.1)", fontsize=10)
            return f"v = {value:.2f}: no field fires; all {n_fields} are silent"
        ax_t.set_title(f"v = {value:.2f}: {int(fires.sum())} of {n_fields} fields fire in {num_steps} steps, "
                       f"the first at step {int(step[fires].min())}", fontsize=10)
        order = np.argsort(step[fires], kind="stable")
        fired = ", ".join(f"field {i + 1} at step {k}" for i, k in
                          zip(np.flatnonzero(fires)[order][:4], step[fires][order][:4]))
        return f"v = {value:.2f}: {fired}{', ...' if fires.sum() > 4 else ''}; {int((~fires).sum())} silent"

    controls = {"value": slider("input value v", value, 0.0, 1.0, 0.01, name="value"),
                "n_fields": int_slider("n_fields", check_int("n_fields", n_fields, minimum=3), 3,
                                       POPULATION_MAX_FIELDS),
                "width_factor": slider("width_factor \u03b3", width_factor, 0.3, 5.0, 0.05, name="width_factor")}
    return Explorer(fig, controls, update, dynamic=[fields, responses, value_line, value_line_t, spikes, silent,
                                                    ax_f.title, ax_t.title])


# ---------------------------------------------------------------------------------------------- event camera


def dvs_explorer(frames, threshold: float = 0.2, frame: int | None = None, eps: float = dvs.DEFAULT_EPS) -> Explorer:
    """The event camera on a video: one frame, its ON/OFF events, and the event count against the threshold.

    frames : one video ``[T, H, W]`` or ``[T, 1, H, W]`` (T >= 2), values in [0, 1].
    Sliders: contrast ``threshold`` (0.01..10, natural-log units) and the ``frame`` shown
    (0..T-1, default the middle one). Frame 0 sets every pixel's reference, so it never has
    events: the explorer shows it and says so.
    """
    v = as_video(frames, "frames")
    num_frames, h, w = v.shape
    frame = num_frames // 2 if frame is None else check_int("frame", frame)
    if not 0 <= frame < num_frames:
        raise ValueError(f"frame must be a frame index in [0, {num_frames - 1}], got {frame}")
    eps = check_real("eps", eps, low=0.0, low_open=True)
    thresholds = np.geomspace(0.02, 5, 25)
    curve = dvs.count_by_threshold(v, thresholds, eps)
    cache = {}

    def counts_for(threshold):
        """Events and count images for a threshold; the frame slider reuses them."""
        if cache.get("threshold") != threshold:
            ev = dvs.events(v, threshold, eps)
            cache.update(threshold=threshold, events=ev, counts=dvs.to_frames(ev, num_frames, h, w))
        return cache["events"], cache["counts"]

    fig, (ax_v, ax_e, ax_c) = plt.subplots(1, 3, figsize=(10, 3.5))
    video_img = ax_v.imshow(v[frame], cmap="gray", vmin=0, vmax=1)
    event_img = ax_e.imshow(np.ones((h, w, 3)))
    _no_ticks(ax_v, ax_e)
    ax_v.set_title("video frame\n(intensity 0 to 1)", fontsize=9)
    ax_e.set_title("events at that frame\n(red ON, blue OFF)", fontsize=9)
    shown = curve > 0
    ax_c.loglog(thresholds[shown], curve[shown], ".-", color="0.4", label="whole video")
    (marker,) = ax_c.plot([threshold], [1.0], "o", color="tab:red", label="current threshold")
    ax_c.set_xlim(0.01, 10)
    ax_c.set_ylim(0.5, max(curve.max(), 1) * 3)
    _plain_log_ticks(ax_c, "xy")
    ax_c.set_xlabel("contrast threshold C (ln units)")
    ax_c.set_ylabel("events in the video")
    ax_c.set_title("events against threshold", fontsize=9)
    ax_c.legend(fontsize=7, loc="lower left", framealpha=1)
    headline = fig.suptitle(" ", fontsize=10)
    fig.tight_layout()

    def update(threshold, frame):
        ev, counts = counts_for(threshold)
        video_img.set_data(v[frame])
        event_img.set_data(events_rgb(counts[frame, 0], counts[frame, 1]))
        marker.set_data([threshold], [max(ev.num_events, 0.5)])
        on, off = int(counts[frame, 0].sum()), int(counts[frame, 1].sum())
        if frame == 0:
            headline.set_text(f"frame 0 sets each pixel's reference: no events; C = {threshold:.3g}: "
                         f"{ev.num_events:,} events in the video")
        else:
            headline.set_text(f"frame {frame}: {on:,} ON and {off:,} OFF events; C = {threshold:.3g}: "
                         f"{ev.num_events:,} events in the video")
        return (f"C = {threshold:.3g}: {ev.num_events:,} events in the video ({ev.num_on:,} ON, {ev.num_off:,} OFF); "
                f"{on + off:,} at frame {frame}")

    controls = {"threshold": log_slider("threshold C", threshold, -2, 1, name="threshold"),
                "frame": int_slider("frame", frame, 0, num_frames - 1)}
    return Explorer(fig, controls, update, dynamic=[video_img, event_img, marker, headline])


# ---------------------------------------------------------------------------------------------- benchmark demos


def _demo_digit():
    from snnlesson import data

    images, _ = data.as_tensors(data.mnist(train=False, source="offline", verbose=False))
    return images[172, 0]


def _demo_video(num_frames=20, canvas=64):
    from snnlesson import data

    return data.moving_digits(1, num_frames=num_frames, canvas=canvas, seed=0).frames[0]


@register_explorer("rate_explorer")
def _demo_rate_explorer():
    return rate_explorer(_demo_digit(), num_steps=100, gain=1.0)


@register_explorer("latency_explorer")
def _demo_latency_explorer():
    return latency_explorer(_demo_digit(), num_steps=50, tau=5.0, threshold=0.05)


@register_explorer("delta_explorer")
def _demo_delta_explorer():
    return delta_explorer(_demo_video(40, 48), threshold=0.3)


@register_explorer("population_explorer")
def _demo_population_explorer():
    return population_explorer(value=0.3, n_fields=6, width_factor=1.5, num_steps=40)


@register_explorer("dvs_explorer")
def _demo_dvs_explorer():
    return dvs_explorer(_demo_video(20, 64), threshold=0.2)


# ---------------------------------------------------------------------------------------------- figures


def spike_count_histogram(counts, num_steps: int, p: float, ax=None, dt: float | None = None):
    """Histogram of spike counts against Binomial(T, p), Poisson(Tp) and Gaussian approximations.

    ``dt`` (seconds per step), when given, adds the window's duration to the x label.
    Returns the axes. The binomial is exact for a Bernoulli rate code; the Poisson
    has variance ``T p`` (too wide when ``p`` is not small); the Gaussian matches
    the binomial's mean ``T p`` and variance ``T p (1 - p)``.
    """
    counts = as_array("counts", counts).ravel()
    num_steps = check_int("num_steps", num_steps, minimum=1)
    p = check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    dt = None if dt is None else check_real("dt", dt, low=0.0, low_open=True)
    ax = get_axes(ax, figsize=(6, 3))
    lo, hi = int(counts.min()) - 5, int(counts.max()) + 6
    bins = np.arange(lo, hi + 1) - 0.5
    ax.hist(counts, bins=bins, density=True, color="0.8", label=f"{counts.size:,} simulated trains")
    k = np.arange(max(lo, 0), min(hi, num_steps) + 1)  # a count lies in 0..num_steps
    mean, var = num_steps * p, num_steps * p * (1 - p)
    log_binom = np.array([lgamma(num_steps + 1) - lgamma(j + 1) - lgamma(num_steps - j + 1) for j in k])
    binom = np.exp(log_binom + k * np.log(p) + (num_steps - k) * np.log1p(-p))
    poisson = np.exp(k * np.log(mean) - mean - np.array([lgamma(j + 1) for j in k]))
    grid = np.linspace(k[0], k[-1], 400)
    gauss = np.exp(-(grid - mean) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
    ax.plot(k, binom, "k.", label=f"binomial ({num_steps}, {p:g}): exact")
    ax.plot(k, poisson, "-", color="tab:orange", label=f"Poisson, mean {mean:g} (variance {mean:g})")
    ax.plot(grid, gauss, "--", color="tab:blue", label=f"Gaussian, mean {mean:g}, variance {var:.4g}")
    window = "" if dt is None else f" ({num_steps * dt:g} s at \u0394t = {dt * 1e3:g} ms)"
    ax.set_xlabel(f"spike count in {num_steps} steps{window}")
    ax.set_ylabel("probability (per count)")
    ax.set_title(f"spike count of a rate code with p = {p:g} per step", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))   # beside the histogram, not on it
    return ax


def reconstruction_plot(curve: dict, ax=None):
    """Plot :func:`snnlesson.encoding.reconstruction_curve` (log-log) with the two scaling laws; returns the axes."""
    if not isinstance(curve, dict) or not {"num_steps", "rate", "latency"} <= set(curve):
        raise TypeError("curve must be the dict of snnlesson.encoding.reconstruction_curve "
                        f"(num_steps, rate, latency), got {type(curve).__name__}")
    steps = as_array("curve['num_steps']", curve["num_steps"], ndim=1)
    for key in ("rate", "latency"):
        if as_array(f"curve[{key!r}]", curve[key], ndim=1).shape != steps.shape:
            raise ValueError(f"curve[{key!r}] must hold one error per number of steps ({steps.size})")
    ax = get_axes(ax, figsize=(5, 3.5))
    ax.loglog(steps, curve["rate"], "o-", color="tab:red", label="rate code (decoded by counting)")
    ax.loglog(steps, curve["latency"], "s-", color="tab:green", label="latency code (linear, decoded by timing)")
    ax.loglog(steps, curve["rate"][0] * np.sqrt(steps[0] / steps), ":", color="tab:red", label=r"$\propto 1/\sqrt{T}$")
    ax.loglog(steps, curve["latency"][0] * (steps[0] - 1) / (steps - 1), ":", color="tab:green",
              label=r"$\propto 1/(T-1)$")
    ax.set_xlabel("number of time steps T")
    ax.set_ylabel("RMS reconstruction error (intensity)")
    ax.set_title("decoding error against the window", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    return ax


def code_rasters(codes: dict, ncols: int = 3, *, marker_size=None, panel_size=(4.2, 2.6)):
    """One raster per entry of ``codes`` (name -> time-first spike train) in a grid; returns the figure.

    Trains with negative spikes (delta / OFF) are drawn in two colours.
    """
    if not isinstance(codes, dict) or not codes:
        raise TypeError(f"codes must be a non-empty dict name -> spike train, got {type(codes).__name__}")
    ncols = check_int("ncols", ncols, minimum=1)
    if marker_size is not None:
        marker_size = check_real("marker_size", marker_size, low=0.0, low_open=True)
    if (isinstance(panel_size, (str, bytes)) or not hasattr(panel_size, "__len__") or len(panel_size) != 2):
        raise TypeError(f"panel_size must be (width, height) in inches, got {panel_size!r}")
    panel_size = tuple(check_real("panel_size", v, low=0.0, low_open=True, high=50.0) for v in panel_size)
    n = len(codes)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False)
    for ax, (name, spikes) in zip(axes.flat, codes.items()):  # one panel per code
        s = as_array(f"codes[{name!r}]", spikes)
        size = marker_size if marker_size is not None else (40.0 if s[0].size < 50 else 1.0)
        if (s < 0).any():
            signed_raster(s, ax=ax, marker_size=size, title=name, shift=DELTA_SHIFT)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=7, markerscale=3,
                      frameon=False)   # under the panel, never over spikes
        else:
            raster(s, ax=ax, marker_size=size, title=name)
        _pad_time_axis(ax, s.shape[0])
        ax.set_title(f"{name}\n{int(np.abs(s).sum()):,} spikes", fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def delta_figure(frames, threshold: float = 0.3, step: int | None = None):
    """Delta code (``padding=True``, ``off_spike=True``) of a video: ON/OFF raster and one frame with its spikes.

    frames : one video ``[T, H, W]`` or ``[T, 1, H, W]`` (T >= 2), values in [0, 1]. Left: the raster of
    every pixel (ON red, drawn ``DELTA_SHIFT`` step early; OFF blue, as much late), with ``step``
    (default the middle one) marked; right: that frame in grey with its ON and OFF spikes on top.
    Returns the figure.
    """
    v = as_video(frames, "frames")
    num_steps, h, w = v.shape
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    step = num_steps // 2 if step is None else check_int("step", step, minimum=0, maximum=num_steps - 1)
    spikes = encoding.delta(torch.from_numpy(v).reshape(num_steps, -1), threshold, padding=True,
                            off_spike=True).numpy()
    fig, (ax_r, ax_f) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [2, 1]})
    on_artist, off_artist = signed_raster(spikes, ax=ax_r, marker_size=1, ylabel="pixel index (row by row)",
                                          shift=DELTA_SHIFT)
    ax_r.get_legend().remove()
    _pad_time_axis(ax_r, num_steps)
    marked = ax_r.axvline(step, color="0.4", ls="--", lw=0.8, zorder=0, label=f"step {step}, shown right")
    ax_r.set_title(f"delta code of the moving digit, threshold {threshold:g}: {int((spikes > 0).sum()):,} ON "
                   f"and {int((spikes < 0).sum()):,} OFF spikes", fontsize=10)
    ax_f.imshow(v[step], cmap="gray", vmin=0, vmax=1)
    rows_on, cols_on = np.divmod(np.flatnonzero(spikes[step] > 0), w)
    rows_off, cols_off = np.divmod(np.flatnonzero(spikes[step] < 0), w)
    ax_f.scatter(cols_on, rows_on, s=6, c="tab:red", marker="s", linewidths=0)
    ax_f.scatter(cols_off, rows_off, s=6, c="tab:blue", marker="s", linewidths=0)
    ax_f.set_title(f"frame {step} (grey) with its spikes\n(red ON, blue OFF)", fontsize=9)
    _no_ticks(ax_f)
    fig.legend(handles=[on_artist, off_artist, marked], loc="lower left", bbox_to_anchor=(0.06, 0.0), ncol=3,
               fontsize=8, markerscale=4, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def dvs_strip(frames, event_counts, frame_indices):
    """Frames (top row) above their ON/OFF events (bottom row: red ON, blue OFF); returns the figure.

    ``frames`` is a video ``[T, H, W]`` or ``[T, 1, H, W]``; ``event_counts`` is
    ``snnlesson.dvs.to_frames(...)`` ``[T, 2, H, W]``.
    """
    video = as_video(frames, "frames")
    counts = as_array("event_counts", event_counts)
    if counts.shape != (video.shape[0], 2, *video.shape[1:]) or counts.min() < 0:
        raise ValueError(f"event_counts must be dvs.to_frames counts [T, 2, H, W] = "
                         f"{[video.shape[0], 2, *video.shape[1:]]} (>= 0), got shape {list(counts.shape)}")
    if isinstance(frame_indices, (str, bytes)) or not hasattr(frame_indices, "__len__") or not len(frame_indices):
        raise TypeError(f"frame_indices must be a non-empty list of frame indices, got {frame_indices!r}")
    frame_indices = [check_int("frame_indices", k, minimum=0, maximum=video.shape[0] - 1) for k in frame_indices]
    scale = max(int(counts[frame_indices].max()), 1)
    fig, axes = plt.subplots(2, len(frame_indices), figsize=(1.9 * len(frame_indices), 4.7), squeeze=False)
    for col, k in enumerate(frame_indices):
        axes[0, col].imshow(video[k], cmap="gray", vmin=0, vmax=1)
        axes[0, col].set_title(f"frame {k}", fontsize=9)
        axes[1, col].imshow(events_rgb(counts[k, 0], counts[k, 1], scale=scale))
        axes[1, col].set_title(f"{int(counts[k, 0].sum())} ON / {int(counts[k, 1].sum())} OFF", fontsize=8)
    _no_ticks(*axes.flat)
    axes[0, 0].set_ylabel("intensity (0 to 1)")
    axes[1, 0].set_ylabel("events")
    fig.suptitle("video frames (top) and the events stamped with their frame index\n(bottom: red ON, blue OFF; "
                 "deeper colour, more events)", fontsize=10)
    fig.tight_layout()
    return fig


def event_count_plot(thresholds, counts, ax=None):
    """Events against contrast threshold (log-log) with a ``1/C`` guide; returns the axes."""
    c = as_array("thresholds", thresholds, ndim=1)
    n = as_array("counts", counts, ndim=1)
    if c.shape != n.shape:
        raise ValueError(f"counts must hold one count per threshold ({c.size}), got {n.size}")
    if c.min() <= 0:
        raise ValueError("thresholds must be > 0 (log axes)")
    if n.min() < 0 or n.max() <= 0:
        raise ValueError("counts must be >= 0 with at least one event")
    ax = get_axes(ax, figsize=(5, 3.2))
    shown = n > 0
    ax.loglog(c[shown], n[shown], "o-", color="tab:purple", label="emulated DVS")
    i = int(np.argmax(shown))
    ax.loglog(c, n[i] * c[i] / c, ":", color="0.4", label=r"$\propto 1/C$")
    ax.set_xlabel("contrast threshold C (natural-log units)")
    ax.set_ylabel("number of events in the video")
    ax.set_title("fewer events for a higher contrast threshold", fontsize=10)
    ax.set_ylim(max(n[shown].min() / 3, 0.5), n.max() * 3)
    ax.legend(fontsize=8)
    return ax


# ---------------------------------------------------------------------------------------------- benchmark


def bench_encoding() -> dict:
    """Speed of the encoders on an MNIST-sized batch and of the DVS emulator (explorers: the explorers benchmark)."""
    from snnlesson import data

    generator = torch.Generator().manual_seed(0)
    images = torch.rand(128, 1, 28, 28, generator=generator)
    result = {}
    for name, fn in (("rate", lambda: encoding.rate(images, 100, gain=0.5, generator=generator)),
                     ("latency", lambda: encoding.latency(images, 100, tau=5, clip=True, bypass=True)),
                     ("rank_order", lambda: encoding.rank_order(images, 100, batch_dims=1))):
        fn()
        start = time.perf_counter()
        for _ in range(5):
            fn()
        result[f"{name}_128x1x28x28_100steps_ms"] = round((time.perf_counter() - start) / 5 * 1e3, 2)
    videos = data.moving_digits(1, num_frames=20, canvas=64, seed=0)
    start = time.perf_counter()
    ev = dvs.events(videos.frames[0], 0.2)
    result["dvs_events_20x64x64_ms"] = round((time.perf_counter() - start) * 1e3, 2)
    result["dvs_num_events"] = ev.num_events
    return result


# ---------------------------------------------------------------------------------------------- build exercises

#: The probability that :func:`check_rate_code` calls a right encoder wrong, at most (a per-pixel exact
#: binomial test at level RATE_FALSE_ALARM / number of pixels tested, Bonferroni; the other random checks
#: add less than 1e-30).
RATE_FALSE_ALARM = 1e-6
_RATE_STEPS = 160       # steps of every hidden rate-code case


def reference_rate_encode(images, num_steps, generator, gain=1.0):
    """The package's rate code with the exercise's signature: p = min(gain * x, 1) (the exercise clips;
    :func:`snnlesson.encoding.rate` refuses p > 1 instead)."""
    x = encoding._as_tensor("images", images)
    encoding._check_unit_interval("images", x)
    gain = check_real("gain", gain, low=0.0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (or None), got {type(generator).__name__}")
    return encoding.rate(torch.clamp(gain * x, 0.0, 1.0), num_steps, generator=generator)


def binomial_pvalues(counts, num_steps: int, p) -> np.ndarray:
    r"""Exact two-sided binomial test of each count: :math:`\min(1, 2\min(P(X \le k), P(X \ge k)))`,
    :math:`X \sim \mathrm{Binomial}(T, p)`, elementwise over ``counts`` and ``p`` (equal shapes).

    A valid (conservative) p-value: under the null hypothesis :math:`P(\text{p-value} \le \alpha) \le \alpha`.
    ``p`` = 0 or 1 is allowed: the only possible count has p-value 1, any other 0.
    """
    num_steps = check_int("num_steps", num_steps, minimum=1)
    counts, p = as_array("counts", counts), as_array("p", p)
    if counts.shape != p.shape:
        raise ValueError(f"counts and p must have the same shape, got {counts.shape} and {p.shape}")
    if p.min(initial=0.0) < 0 or p.max(initial=0.0) > 1:
        raise ValueError("p must hold probabilities in [0, 1]")
    check_size(f"the binomial table [{counts.size}, num_steps + 1 = {num_steps + 1}]", counts.size * (num_steps + 1), 8)
    k_obs = torch.as_tensor(counts, dtype=torch.float64).reshape(-1, 1)
    prob = torch.as_tensor(p, dtype=torch.float64).reshape(-1, 1)
    k = torch.arange(num_steps + 1, dtype=torch.float64)
    log_pmf = (torch.lgamma(torch.tensor(num_steps + 1.0, dtype=torch.float64)) - torch.lgamma(k + 1) - torch.lgamma(num_steps - k + 1)
               + torch.special.xlogy(k, prob) + torch.special.xlogy(num_steps - k, 1 - prob))
    pmf = torch.exp(log_pmf)                                   # [pixels, T + 1]
    cdf = torch.cumsum(pmf, dim=1)                             # P(X <= k)
    sf = torch.flip(torch.cumsum(torch.flip(pmf, [1]), dim=1), [1])   # P(X >= k)
    index = k_obs.round().long().clamp(0, num_steps)
    tail = torch.minimum(cdf.gather(1, index), sf.gather(1, index))
    outside = (k_obs < 0) | (k_obs > num_steps) | (k_obs != k_obs.round())
    pvalue = torch.where(outside, torch.zeros_like(tail), torch.clamp(2 * tail, max=1.0))
    return pvalue.reshape(np.shape(counts)).numpy()


def _rate_cases(seed: int):
    """Hidden inputs: (images, gain). Intensities 0 and 1, three pairs of equal spike probabilities in
    (0.25, 0.875), the rest random; the second case has gain 2.5, so that gain * x > 1 for every x > 0.4."""
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(2, 3, 7, generator=g)
    flat = a.view(-1)
    flat[:3], flat[3:5] = 0.0, 1.0
    flat[5:11] = (0.3 + 0.4 * torch.rand(3, generator=g)).repeat_interleave(2)   # three equal pairs
    b = torch.rand(5, 6, generator=g)
    b.view(-1)[:2] = 0.0
    b.view(-1)[2:8] = (0.1 + 0.25 * torch.rand(3, generator=g)).repeat_interleave(2)   # p = 2.5 x below 1
    return [(a, 1.0), (b, 2.5)]


def _equal_pairs(p: torch.Tensor):
    """Indices (i, j) of flat entries holding the same probability strictly between 0 and 1."""
    flat = p.reshape(-1)
    i, j = torch.triu_indices(flat.numel(), flat.numel(), offset=1)
    keep = (flat[i] == flat[j]) & (flat[i] > 0) & (flat[i] < 1)
    return i[keep], j[keep]


def _spike_train(got, images, num_steps, p, case):
    """The reader's spike train as a float64 tensor, or a failed result saying what is wrong with it."""
    if not isinstance(got, torch.Tensor):
        return None, failed(f"rate_encode should return a torch tensor of spikes, got {type(got).__name__} "
                            f"(for {case}).")
    expected_shape = (num_steps, *images.shape)
    if tuple(got.shape) != expected_shape:
        hint = (" Time must be the FIRST axis: [num_steps, *images.shape] (draw torch.rand((num_steps, "
                "*images.shape), ...)), not the last." if tuple(got.shape) == (*images.shape, num_steps) else "")
        return None, failed(f"the spike train has shape {tuple(got.shape)}, expected {expected_shape} "
                            f"(for {case}).{hint}")
    if not got.is_floating_point():
        return None, failed(f"the spike train has dtype {got.dtype}; return float spikes (add .float()), "
                            f"which a network and rate_decode can sum (for {case}).")
    try:
        s = got.detach().cpu().double()
    except Exception as err:  # e.g. a "meta" tensor holds no values
        return None, failed(f"the spike train's values cannot be read ({type(err).__name__}) (for {case}).")
    if not torch.isfinite(s).all():
        return None, failed(f"the spike train contains NaN or infinity (for {case}).")
    if not torch.all((s == 0) | (s == 1)):
        if torch.allclose(s, p.double().expand_as(s), atol=1e-6):
            return None, failed(f"your train holds the probabilities p themselves, not spikes (for {case}). "
                                "Hint: draw a spike: 1 where a uniform random number is below p, else 0.")
        return None, failed(f"a spike train holds only 0 and 1, yours has other values such as "
                            f"{float(s[(s != 0) & (s != 1)][0]):.4g} (for {case}).")
    return s, None


def _rate_statistics(s, p, num_steps, alpha):
    """Indices of the pixels whose spike counts fail the binomial test at level ``alpha``."""
    pvalues = binomial_pvalues(s.sum(dim=0).numpy(), num_steps, p.double().numpy())
    return np.flatnonzero(pvalues.reshape(-1) < alpha), pvalues


def _rate_mistakes(x, gain):
    """The statistical catalogue: (the spike probability a mistaken encoder gives, hint)."""
    p = torch.clamp(gain * x, 0.0, 1.0)
    return [
        (1 - p, "bright pixels spike rarely and dark ones often: a spike is `rand < p`, not `rand > p`."),
        (x, "the gain is ignored: the probability per step is gain * images, clipped to at most 1."),
        (torch.clamp(x / gain, 0.0, 1.0), "multiply by the gain, do not divide: p = gain * images."),
    ]


def check_rate_code(rate_encode, rate_decode, *, seed: int = 90210) -> CheckResult:
    r"""Exercise: ``rate_encode(images, num_steps, generator, gain)`` and ``rate_decode(spikes)``.

    The encoder must return float spikes ``[num_steps, *images.shape]`` of 0/1, each a Bernoulli draw
    with :math:`p = \min(g\,x, 1)`, from ``generator`` (same seed, same spikes; another seed, other
    spikes). The decoder returns the mean over time, :math:`\hat x = \frac1T \sum_t S[t]`.

    Hidden inputs (72 pixels in two cases, 160 steps, gains 1 and 2.5; ``seed`` picks them and the
    generators' seeds). Randomness is judged by statistics: each pixel's spike count must pass an
    exact two-sided binomial test (:func:`binomial_pvalues`) at level :data:`RATE_FALSE_ALARM` / 72,
    so a right encoder is called wrong with probability below 1e-6 per check (Bonferroni). Other
    random checks (frames not all equal, equal pixels not spiking in lockstep, another seed giving
    other spikes) fail a right encoder with probability below 1e-30. A mistake is named when the
    counts pass the same test under the probability that mistake gives (:func:`_rate_mistakes`).
    """
    if is_stub(rate_encode) and is_stub(rate_decode):
        return not_attempted("write rate_encode and rate_decode (replace `...` in their bodies), then run the "
                             "cell again.")
    if not callable(rate_encode):
        return failed(f"rate_encode should be a function of (images, num_steps, generator, gain), got "
                      f"{type(rate_encode).__name__}.")
    seed = check_int("seed", seed, minimum=0)
    cases = _rate_cases(seed)
    num_tests = sum(x.numel() for x, _ in cases)
    alpha = RATE_FALSE_ALARM / num_tests
    num_steps = _RATE_STEPS
    stub = not_attempted("`rate_encode` returns nothing yet: replace `...` in its body with your code and "
                         "`return` the spike train.")
    for n, (x, gain) in enumerate(cases):
        case = f"images of shape {tuple(x.shape)}, num_steps={num_steps}, gain={gain:g}"
        p = torch.clamp(gain * x, 0.0, 1.0)
        generator = torch.Generator().manual_seed(seed + 1 + n)
        state = generator.get_state()
        got, problem = call_answer(rate_encode, (x.clone(), num_steps, generator, gain), case, stub)
        if problem is not None:
            if gain * float(x.max()) > 1 and problem.attempted and "raised" in problem.message:
                return failed(f"{problem.message} Hint: here gain * images exceeds 1 for some pixels; clip the "
                              "probability to at most 1 (torch.clamp(gain * images, max=1)).")
            return problem
        s, problem = _spike_train(got, x, num_steps, p, case)
        if problem is not None:
            return problem
        if torch.equal(generator.get_state(), state):
            return failed(f"your spikes do not come from the generator you were given (its state did not change; "
                          f"for {case}). Hint: pass it to the random draw: torch.rand(..., generator=generator); "
                          "the global random numbers (torch.rand without it, torch.manual_seed) make the spikes "
                          "ignore the seed.")
        again, problem = call_answer(rate_encode, (x.clone(), num_steps, torch.Generator().manual_seed(seed + 1 + n),
                                                   gain), case, stub)
        if problem is None:
            again, problem = _spike_train(again, x, num_steps, p, case)
        if problem is not None:
            return problem
        if not torch.equal(again, s):
            return failed(f"two runs with generators of the same seed gave different spikes (for {case}). Hint: "
                          "draw every random number from the generator you were given (generator=generator), "
                          "none from torch's global random numbers.")
        other, problem = call_answer(rate_encode, (x.clone(), num_steps,
                                                   torch.Generator().manual_seed(seed + 1000 + n), gain), case, stub)
        if problem is None:
            other, problem = _spike_train(other, x, num_steps, p, case)
        if problem is not None:
            return problem
        if torch.equal(other, s):
            return failed(f"generators with different seeds gave the same spikes (for {case}). Hint: the spikes "
                          "must depend on the generator: draw them with torch.rand(..., generator=generator).")
        if torch.equal(s, s[:1].expand_as(s)):
            return failed(f"every time step holds the same frame of spikes (for {case}). Hint: draw new random "
                          "numbers for every step: torch.rand((num_steps, *images.shape), ...), not one frame "
                          "repeated.")
        i, j = _equal_pairs(p)
        flat = s.reshape(num_steps, -1)
        if len(i) and torch.equal(flat[:, i], flat[:, j]):
            return failed(f"pixels of equal intensity spike at exactly the same steps (for {case}). Hint: every "
                          "pixel needs its own random number at every step: draw a tensor of shape "
                          "(num_steps, *images.shape), not one number per step.")
        bad, _ = _rate_statistics(s, p, num_steps, alpha)
        if bad.size:
            k = int(bad[0])
            count = int(s.reshape(num_steps, -1)[:, k].sum())
            problem = failed(f"a pixel of intensity {float(x.reshape(-1)[k]):.3f} (spike probability "
                             f"{float(p.reshape(-1)[k]):.3f} per step) spiked {count} times in {num_steps} steps; "
                             f"a right encoder gives {num_steps * float(p.reshape(-1)[k]):.1f} on average, and "
                             f"a count this far off has a chance below {alpha:.1e} (for {case}).")
            mistakes = [(alt, hint) for alt, hint in _rate_mistakes(x, gain) if not torch.equal(alt, p)]
            return diagnose(problem, s, mistakes,
                            same=lambda got, alt: _rate_statistics(got, alt, num_steps, alpha)[0].size == 0)
    if not callable(rate_decode):
        return failed(f"rate_decode should be a function of (spikes), got {type(rate_decode).__name__}.")
    spikes = (torch.rand(37, 4, 5, generator=torch.Generator().manual_seed(seed + 7)) < 0.4).float()
    expected = spikes.mean(dim=0)
    case = f"spikes of shape {tuple(spikes.shape)}"
    got, problem = call_answer(rate_decode, (spikes.clone(),), case, not_attempted(
        "rate_encode is right. Now `rate_decode` returns nothing yet: replace `...` in its body with your code "
        "and `return` the estimated intensities."))
    if problem is not None:
        return problem
    problem = compare_arrays("the decoded intensity", got, expected, rtol=1e-5, atol=1e-7, case=case)
    if problem is not None:
        num_steps = spikes.shape[0]
        return diagnose(problem, got, [
            (spikes.sum(dim=0), "that is the spike count; divide it by the number of steps: spikes.mean(dim=0)."),
            (spikes.sum(dim=0) / (num_steps - 1), "divide the count by T, the number of steps (spikes.shape[0]), "
                                                  "not T - 1."),
            (spikes.mean(), "you averaged over everything; average over time only (dim=0), one value per pixel."),
            (spikes.mean(dim=-1), "average over the FIRST axis, time (dim=0), not the last."),
            (spikes[0], "that is the first time step only; average over all of them: spikes.mean(dim=0)."),
            (spikes[-1], "that is the last time step only; average over all of them: spikes.mean(dim=0)."),
        ], same=lambda a, b: compare_arrays("", a, b, rtol=1e-5, atol=1e-7) is None)
    return passed(f"rate_encode draws Bernoulli(min(gain x, 1)) spikes from your generator (every one of "
                  f"{num_tests} hidden pixels passed an exact binomial test, which a right encoder fails with a "
                  f"chance below {RATE_FALSE_ALARM:g}; same seed, same spikes), and rate_decode averages over time.")


def _rank_order_variant(values, num_steps, *, descending=True, dense=True, zeros_fire=False, step_rule="floor",
                        time_last=False, from_step_on=False):
    """The rank-order code, or one of its typical mistakes (for the checker's catalogue).

    Right: ``descending``, ``dense`` (equal values share a rank), zeros silent, step
    ``floor(r T / R)``, time first, one spike per input: :func:`snnlesson.encoding.rank_order`.
    """
    flat = values.reshape(-1)
    fires = torch.ones_like(flat, dtype=torch.bool) if zeros_fire else flat > 0
    levels = torch.unique(flat[fires])                          # ascending
    if dense:
        rank = (levels > flat[:, None]).sum(1) if descending else (levels < flat[:, None]).sum(1)
        num_ranks = len(levels)
    else:  # ties broken by position: each firing input its own rank
        order = torch.argsort(torch.where(fires, flat, torch.full_like(flat, -1.0)), descending=descending,
                              stable=True)
        if not descending:
            order = order[torch.isin(order, torch.nonzero(fires).reshape(-1))]
        rank = torch.empty_like(flat, dtype=torch.long)
        rank[order[:int(fires.sum())]] = torch.arange(int(fires.sum()))
        num_ranks = int(fires.sum())
    num_ranks = max(num_ranks, 1)
    step = {"floor": lambda r: r * num_steps // num_ranks,
            "round": lambda r: torch.round(r * num_steps / num_ranks).long(),
            "rank": lambda r: r,
            "from_one": lambda r: (r + 1) * num_steps // num_ranks,
            "stretch": lambda r: r * (num_steps - 1) // max(num_ranks - 1, 1)}[step_rule](rank)
    t = torch.arange(num_steps)[:, None]
    spikes = (((t >= step) if from_step_on else (t == step)) & fires).float()
    spikes = spikes.reshape(num_steps, *values.shape)
    return spikes.movedim(0, -1) if time_last else spikes


#: The rank-order checker's catalogue: (the variant's options, hint).
RANK_ORDER_MISTAKES = [
    (dict(descending=False), "the smallest value fires first; the LARGEST must (rank 0 for the largest)."),
    (dict(dense=False), "equal values must share a rank (and a step): rank the distinct values, e.g. with "
                        "torch.unique, not the inputs one by one."),
    (dict(zeros_fire=True), "zeros must stay silent and must not count as a rank: rank only the non-zero values."),
    (dict(step_rule="rank"), "rank r fires at step floor(r T / R), spread over the window, not at step r."),
    (dict(step_rule="round"), "round DOWN: the step is floor(r T / R) (integer division r * T // R)."),
    (dict(step_rule="from_one"), "count ranks from 0 for the largest value, so that it fires at step 0."),
    (dict(step_rule="stretch"), "the step is floor(r T / R): the last rank does not have to land on step T - 1."),
    (dict(from_step_on=True), "each input spikes ONCE, at its step (t == step), not at every step from then on."),
    (dict(time_last=True), "time must be the FIRST axis: [num_steps, *values.shape]."),
]


def _rank_order_cases():
    """Hidden inputs: ties, zeros, more ranks than steps, a window R does not divide, one non-zero value."""
    g = torch.Generator().manual_seed(4242)
    b = torch.rand(3, 4, generator=g)
    b[0, 1] = b[2, 3] = 0.0
    c = (torch.randint(0, 9, (5, 6), generator=g) / 8.0)          # 9 levels, many ties and zeros
    return [(torch.tensor([0.3, 0.0, 0.9, 0.3, 0.5, 0.0, 0.1]), 12),
            (b, 7),
            (c, 50),
            (torch.tensor([[0.0, 0.6], [0.0, 0.0]]), 5)]


def check_rank_order(rank_order_encode) -> CheckResult:
    r"""Exercise: ``rank_order_encode(values, num_steps)``, the rank-order code of :func:`snnlesson.encoding.rank_order`.

    The distinct non-zero values are ranked, :math:`r = 0` for the largest; rank :math:`r` of
    :math:`R` fires once, at step :math:`\lfloor r T / R \rfloor`; zeros stay silent; output
    ``[num_steps, *values.shape]`` of 0/1. Hidden inputs with ties, zeros, more ranks than steps,
    and a single non-zero value; the catalogue :data:`RANK_ORDER_MISTAKES` names the usual mistakes.
    """
    if is_stub(rank_order_encode):
        return not_attempted()
    if not callable(rank_order_encode):
        return failed(f"rank_order_encode should be a function of (values, num_steps), got "
                      f"{type(rank_order_encode).__name__}.")
    for values, num_steps in _rank_order_cases():
        case = f"values {[round(v, 3) for v in values.reshape(-1).tolist()]} of shape {tuple(values.shape)}, " \
               f"num_steps={num_steps}"
        expected = encoding.rank_order(values, num_steps)
        got, problem = call_answer(rank_order_encode, (values.clone(), num_steps), case)
        if problem is not None:
            return problem
        problem = compare_arrays("the spike train", got, expected, rtol=0.0, atol=0.0, case=case)
        if problem is None:
            continue
        problem = diagnose(problem, got, [(lambda o=options: _rank_order_variant(values, num_steps, **o), hint)
                                          for options, hint in RANK_ORDER_MISTAKES],
                           same=lambda a, b: compare_arrays("", a, b, rtol=0.0, atol=0.0) is None)
        array = _answer_array("", got)[0] if "Hint:" not in problem.message else None
        if array is not None and array.shape == tuple(expected.shape) and np.all(np.isfinite(array)):
            s = torch.from_numpy(array).reshape(num_steps, -1)
            if not torch.all((s == 0) | (s == 1)):
                return failed(f"a spike train holds only 0 and 1 (for {case}).")
            flat = values.reshape(-1)
            counts = s.sum(0)
            wrong = torch.nonzero(((flat > 0) & (counts != 1)) | ((flat == 0) & (counts != 0))).reshape(-1)
            if len(wrong):
                k = int(wrong[0])
                return failed(f"the input {float(flat[k]):.3g} spikes {int(counts[k])} times; every non-zero input "
                              f"spikes once and zeros never (for {case}).")
            got_step = s.argmax(0)
            exp_step = expected.reshape(num_steps, -1).argmax(0)
            k = int(torch.nonzero(got_step != exp_step).reshape(-1)[0])
            return failed(f"the input {float(flat[k]):.3g} spikes at step {int(got_step[k])}, expected step "
                          f"{int(exp_step[k])} = floor(r T / R) (for {case}).")
        return problem
    return passed("the largest value fires at step 0 and rank r of R at step floor(r T / R); equal values share a "
                  "step and zeros stay silent, on every hidden input (the same trains as "
                  "snnlesson.encoding.rank_order).")


def encoder_comparison(image, rows: dict, *, title: str = ""):
    """Each encoder's raster beside the image it decodes back to, one row per encoder; returns the figure.

    ``rows`` maps a label to ``(spikes, decoded)``: a time-first train ``[num_steps, H, W]`` of ``image``
    and the decoded ``[H, W]`` image (intensity 0 to 1); the decoded panel's title gives its RMS error.
    """
    x = as_image(image, "image")
    if not isinstance(rows, dict) or not rows:
        raise TypeError(f"rows must be a non-empty dict label -> (spikes, decoded), got {type(rows).__name__}")
    fig, axes = plt.subplots(len(rows), 2, figsize=(9, 2.9 * len(rows)), squeeze=False,
                             gridspec_kw={"width_ratios": [2.6, 1]})
    for (ax_r, ax_d), (label, pair) in zip(axes, rows.items()):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"rows[{label!r}] must be a pair (spikes, decoded)")
        spikes = as_array(f"rows[{label!r}] spikes", pair[0])
        decoded = as_array(f"rows[{label!r}] decoded", pair[1])
        if spikes.ndim < 2 or spikes[0].size != x.size or decoded.size != x.size:
            raise ValueError(f"rows[{label!r}] must hold spikes [num_steps, {x.shape[0]}, {x.shape[1]}] and a decoded "
                             f"image of {x.size} values, got shapes {spikes.shape} and {decoded.shape}")
        decoded = decoded.reshape(x.shape)
        raster(spikes, ax=ax_r, marker_size=1, ylabel="pixel index (row by row)")
        _pad_time_axis(ax_r, spikes.shape[0])
        ax_r.set_title(f"{label}: {int(spikes.sum()):,} spikes in {spikes.shape[0]} steps", fontsize=10)
        ax_d.imshow(decoded, cmap="gray", vmin=0, vmax=1)
        error = float(np.sqrt(np.mean((decoded - x) ** 2)))
        ax_d.set_title(f"decoded (black 0, white 1)\nRMS error {error:.3f}", fontsize=9)
        _no_ticks(ax_d)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------ exercise checkers (moved from snnlesson.checks)


def check_rate_count_stats(mean, std, num_steps: int = 1000, p: float = 32 / 256) -> CheckResult:
    """Lesson 02: mean and standard deviation of the spike count of a rate-coded pixel.

    A Bernoulli rate code with probability ``p`` per step gives a Binomial(T, p)
    count: mean ``T p``, standard deviation ``sqrt(T p (1 - p))``. Accepts answers
    rounded to 0.5 (mean) and 0.05 (standard deviation).
    """
    if is_stub((mean, std)):
        return not_attempted("replace both `...` with expressions for the mean and the standard deviation.")
    num_steps = check_int("num_steps", num_steps, minimum=1)
    p = check_real("p", p, low=0.0, high=1.0)
    mean, problem = _answer_number(mean, "the mean")
    if problem is not None:
        return problem
    std, problem = _answer_number(std, "the standard deviation")
    if problem is not None:
        return problem
    exp_mean = num_steps * p
    exp_var = num_steps * p * (1 - p)
    exp_std = exp_var ** 0.5
    if abs(mean - exp_mean) > 0.5:
        if abs(mean - p) < 1e-3:
            hint = " That is the probability per step; multiply by the number of steps."
        elif abs(mean - num_steps * (1 - p)) < 0.5:
            hint = " That counts the silent steps: a pixel of value p spikes with probability p."
        else:
            hint = " Each of the T steps spikes with probability p, so the mean count is T p."
        return failed(f"the mean count is {exp_mean:g}, you said {mean:g}.{hint}")
    if abs(std - exp_std) > 0.05:
        if abs(std - exp_mean ** 0.5) < 0.05:
            hint = (" That is the Poisson value sqrt(T p); the count of T Bernoulli steps is binomial, "
                    "with variance T p (1 - p).")
        elif abs(std - exp_var) < 0.5:
            hint = " That is the variance; the standard deviation is its square root."
        else:
            hint = " The count is Binomial(T, p): variance T p (1 - p)."
        return failed(f"the standard deviation is {exp_std:.3f}, you said {std:g}.{hint}")
    return passed(f"the count is Binomial({num_steps}, {p:g}): mean {exp_mean:g}, standard deviation "
                  f"{exp_std:.2f} (a Poisson count would have {exp_mean ** 0.5:.2f}).")


def check_latency_encoder(fn) -> CheckResult:
    """Lesson 02: ``fn(data, num_steps)`` should be the linear, normalised latency code.

    The reference is the exercise's definition: input ``x`` spikes once, at step
    ``round((num_steps - 1) * (1 - x))``, in windows of 5 to 1,000 steps.
    ``snntorch.spikegen.latency(data, num_steps, linear=True, normalize=True)`` (and
    ``snnlesson.encoding.latency`` with the same arguments) agrees for every input
    >= 0.01 (its default ``threshold``) in any window, and for every input when
    ``num_steps <= 51``; in longer windows it caps the spike time at
    ``(num_steps - 1) * (1 - 0.01)``, so inputs below 0.01 fire at step
    ``round(0.99 * (num_steps - 1))`` instead of the last step. That capped answer
    gets its own hint.
    """
    import torch

    from snnlesson import encoding

    if is_stub(fn):
        return not_attempted()
    if not callable(fn):
        return failed(f"your answer should be a function of (data, num_steps), got {type(fn).__name__}.")
    cases = [(torch.tensor([0.0, 0.25, 0.5, 1.0]), 5),
             (torch.tensor([[1.0, 0.9], [0.1, 0.02]]), 10),
             (torch.rand(3, 4, generator=torch.Generator().manual_seed(2)), 20),
             (torch.tensor([0.0, 0.002, 0.0039, 0.0099, 0.01, 0.3, 0.77, 1.0]), 200),   # long windows:
             (torch.rand(2, 3, generator=torch.Generator().manual_seed(5)) * 0.02, 1000)]  # dim inputs too
    for data, num_steps in cases:
        case = f"data of shape {tuple(data.shape)} and num_steps={num_steps}"
        step = torch.round((num_steps - 1) * (1 - data)).long()   # the exercise's definition, no cap
        expected = (torch.arange(num_steps).reshape(num_steps, *[1] * data.dim()) == step).to(data.dtype)
        got, problem = call_answer(fn, (data.clone(), num_steps), case)
        if problem is not None:
            return problem
        got, problem = _answer_array("the spike train your function returned", got, case=case)
        if problem is not None:
            return problem
        got = torch.from_numpy(got)
        if tuple(got.shape) != tuple(expected.shape):
            hint = (" Time must be the FIRST axis: [num_steps, *data.shape]."
                    if tuple(got.shape) == (*data.shape, num_steps) else "")
            return failed(f"the spike train has shape {tuple(got.shape)}, expected {tuple(expected.shape)} "
                          f"(for {case}).{hint}")
        if not torch.all((got == 0) | (got == 1)):
            return failed(f"spike trains hold only 0 and 1 (for {case}).")
        per_input = got.sum(dim=0)
        if not torch.all(per_input == 1):
            return failed(f"every input should spike exactly once, but some spike {int(per_input.max())} or "
                          f"{int(per_input.min())} times (for {case}).")
        if torch.equal(got, expected.double()):
            continue
        if torch.equal(got, expected.flip(0).double()):
            return failed(f"your spikes are reversed in time (for {case}): bright inputs must fire FIRST; "
                          "the spike step is (num_steps - 1) * (1 - x).")
        got_step, exp_step = got.argmax(dim=0), expected.argmax(dim=0)
        truncated = torch.floor((num_steps - 1) * (1 - data)).long()
        if torch.equal(got_step, truncated) and not torch.equal(truncated, exp_step):
            return failed(f"your steps are truncated (for {case}); round them to the nearest step with torch.round.")
        i = int(torch.nonzero((got_step != exp_step).reshape(-1))[0])
        problem = (f"the input {float(data.reshape(-1)[i]):.4g} spikes at step {int(got_step.reshape(-1)[i])}, "
                   f"expected step {int(exp_step.reshape(-1)[i])} (for {case}).")
        if torch.equal(got, encoding.latency(data, num_steps, linear=True, normalize=True).double()):
            return failed(f"{problem} Hint: that is snntorch.spikegen.latency's cap: inputs below its threshold "
                          f"0.01 fire at step round(0.99 * (num_steps - 1)) = {round(0.99 * (num_steps - 1))}. "
                          "The exercise's code has no cap: every input fires at round((num_steps - 1) * (1 - x)), "
                          "so 0 fires at the last step.")
        return failed(problem)
    return passed("your encoder fires every input at round((T - 1)(1 - x)), in windows of 5 to 1,000 steps. "
                  "snntorch.spikegen.latency(data, T, linear=True, normalize=True) gives the same trains for "
                  "every input >= 0.01 (its default threshold), and for all inputs when T <= 51; in longer "
                  "windows it caps the spike time at (T - 1)(1 - 0.01), so inputs below 0.01 fire at step "
                  "round(0.99 (T - 1)) (197 for T = 200) instead of the last step.")


MAX_EVENTS = 10_000  # check_dvs_event_count: the largest event count a reference run may produce


def check_dvs_event_count(answer, intensity_before: float = 0.0, intensity_after: float = 1.0,
                          threshold: float = 0.2, eps: float = 0.1) -> CheckResult:
    """Lesson 02: how many events does one DVS pixel emit when its intensity jumps once?

    The reference runs :func:`snnlesson.dvs.events` on a one-pixel, two-frame video:
    ``floor(|ln(I_after + eps) - ln(I_before + eps)| / threshold)`` events.
    """
    from snnlesson import dvs

    if is_stub(answer):
        return not_attempted("replace `...` with the number of events (an expression, or a whole number).")
    intensity_before = check_real("intensity_before", intensity_before, low=0.0)
    intensity_after = check_real("intensity_after", intensity_after, low=0.0)
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    eps = check_real("eps", eps, low=0.0, low_open=True)
    log_change = abs(np.log(intensity_after + eps) - np.log(intensity_before + eps))
    if log_change / threshold > MAX_EVENTS:
        raise ValueError(f"threshold={threshold:g} is too small for this change: the pixel would emit about "
                         f"{log_change / threshold:.3g} events (at most {MAX_EVENTS:,} allowed)")
    video = np.array([intensity_before, intensity_after], dtype=float).reshape(2, 1, 1)
    ev = dvs.events(video, threshold, eps)
    expected = ev.num_events
    got, problem = _answer_number(answer, "the number of events", whole=True)
    if problem is not None:
        return problem
    polarity = "ON" if intensity_after > intensity_before else "OFF"
    linear = int(abs(intensity_after - intensity_before) / threshold)  # two likely mistakes: no log, log10
    in_log10 = int(abs(np.log10(intensity_after + eps) - np.log10(intensity_before + eps)) / threshold)
    if got == expected:
        return passed(f"{expected} {polarity} events: ln({intensity_after:g} + {eps:g}) - ln({intensity_before:g} "
                      f"+ {eps:g}) spans {expected} whole thresholds of {threshold:g}.")
    if got == round(log_change / threshold) or got == int(np.ceil(log_change / threshold)):
        hint = " Only whole thresholds fire: round DOWN; the remainder is kept for the next change."
    elif got in (linear, in_log10):
        # both mistakes can give the same count (5 for the defaults): then both hints are given
        hint = ((" A DVS pixel compares LOG intensities, ln(I + eps), not intensities." if got == linear else "")
                + (" Use the natural logarithm, ln (math.log or np.log), not log10." if got == in_log10 else ""))
    else:
        hint = " Count how many thresholds fit into |ln(I_after + eps) - ln(I_before + eps)|."
    return failed(f"you said {got}, the pixel emits {expected} events.{hint}")
