"""Lesson 02 explorers: rate, latency and delta codes, and the event camera.

Each function returns an :class:`~snnlesson.widgets.base.Explorer` (sliders above
one figure drawn once; a slider move changes the artists' data in place).

- :func:`rate_explorer`: ``num_steps`` and ``gain`` of the Bernoulli rate code
- :func:`latency_explorer`: ``tau``, ``threshold`` and ``num_steps`` of the log latency code
- :func:`delta_explorer`: the delta code's ``threshold`` on a moving digit
- :func:`dvs_explorer`: the event camera's contrast ``threshold`` and the frame shown

:func:`bench_encoding` times the encoders and one explorer update
(``python -m snnlesson.bench encoding``).
"""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
import torch

from snnlesson import dvs, encoding
from snnlesson.plot import events_rgb, raster, raster_points, signed_raster, signed_raster_points, to_numpy
from snnlesson.widgets.base import Explorer, int_slider, log_slider, slider

__all__ = ["rate_explorer", "latency_explorer", "delta_explorer", "dvs_explorer", "bench_encoding"]


def _image(image) -> torch.Tensor:
    """A single image as a float tensor ``[H, W]`` with values in [0, 1]."""
    x = torch.as_tensor(to_numpy(image), dtype=torch.float32).squeeze()
    if x.dim() != 2:
        raise ValueError(f"image must be one picture [H, W] or [1, H, W], got shape {tuple(np.shape(image))}")
    if float(x.min()) < 0 or float(x.max()) > 1 or torch.isnan(x).any():
        raise ValueError("image values must lie in [0, 1]")
    return x


def _video(frames) -> torch.Tensor:
    """One video as a float tensor ``[T, H, W]``."""
    v = torch.as_tensor(to_numpy(frames), dtype=torch.float32)
    if v.dim() == 4 and v.shape[1] == 1:
        v = v[:, 0]
    if v.dim() != 3 or v.shape[0] < 2:
        raise ValueError(f"frames must be one video [T, H, W] or [T, 1, H, W] with T >= 2, got {tuple(v.shape)}")
    return v


def _plain_log_ticks(ax, axes="y"):
    """Log-axis tick labels as plain numbers: faster to redraw than mathtext powers of ten."""
    for axis in ([ax.xaxis] if "x" in axes else []) + ([ax.yaxis] if "y" in axes else []):
        axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(ticker.NullFormatter())


def rate_explorer(image, num_steps: int = 100, gain: float = 1.0, seed: int = 0) -> Explorer:
    """Rate-code one image: raster of every pixel and the image decoded back by counting spikes.

    Sliders: ``num_steps`` (1..500) and ``gain`` (0.05..1). Spikes are drawn with a
    generator seeded by ``seed`` at every update, so a setting always shows the same train.
    """
    x = _image(image)
    fig, (ax_r, ax_i, ax_o) = plt.subplots(1, 3, figsize=(10, 3), gridspec_kw={"width_ratios": [2.2, 1, 1]},
                                           dpi=80)
    spikes = encoding.rate(x, num_steps, gain=gain, generator=torch.Generator().manual_seed(seed))
    scatter = raster(spikes, ax=ax_r, marker_size=1, ylabel="pixel index", title="rate code")
    decoded = ax_i.imshow(to_numpy(encoding.rate_decode(spikes, gain)), cmap="gray", vmin=0, vmax=1)
    ax_i.set_title("decoded: count / (gain T)")
    ax_o.imshow(to_numpy(x), cmap="gray", vmin=0, vmax=1)
    ax_o.set_title("original")
    for ax in (ax_i, ax_o):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()

    def update(num_steps, gain):
        s = encoding.rate(x, num_steps, gain=gain, generator=torch.Generator().manual_seed(seed))
        scatter.set_offsets(np.column_stack(raster_points(s)))
        ax_r.set_xlim(-0.5, num_steps - 0.5)
        estimate = encoding.rate_decode(s, gain)
        decoded.set_data(to_numpy(estimate))
        err = encoding.reconstruction_error(x, estimate)
        return f"{int(s.sum()):,} spikes in {num_steps} steps; RMS error of the decoded image {err:.3f}"

    controls = {"num_steps": int_slider("num_steps", num_steps, 1, 500),
                "gain": slider("gain", gain, 0.05, 1.0, 0.05)}
    return Explorer(fig, controls, update)


def latency_explorer(image, num_steps: int = 50, tau: float = 5.0, threshold: float = 0.01) -> Explorer:
    """Log latency code of one image (``clip=True``, ``bypass=True``): raster and the spike-time curve.

    Sliders: ``tau`` (0.1..100 steps), ``threshold`` (0.001..0.5) and ``num_steps``.
    Pixels below the threshold stay silent; spikes later than the window are dropped.
    """
    x = _image(image)
    fig, (ax_r, ax_c) = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [2, 1]}, dpi=80)
    spikes = encoding.latency(x, num_steps, threshold=threshold, tau=tau, clip=True, bypass=True)
    scatter = raster(spikes, ax=ax_r, marker_size=2, ylabel="pixel index", title="latency code")
    grid = np.linspace(0.0, 1.0, 401)

    def curve(tau, threshold):
        g = torch.as_tensor(grid)
        t = encoding.latency_times(g, tau=tau, threshold=threshold).numpy()
        return np.where(grid >= threshold, t, np.nan)

    (line,) = ax_c.plot(grid, curve(tau, threshold), color="tab:green", label="t = tau ln(x / (x - threshold))")
    window = ax_c.axhline(num_steps - 1, color="k", ls=":", label="last step of the window")
    thr_line = ax_c.axvline(threshold, color="tab:red", ls="--", label="threshold")
    ax_c.set_yscale("log")
    ax_c.set_ylim(0.01, 1000)
    _plain_log_ticks(ax_c, "y")
    ax_c.set_xlabel("pixel intensity x")
    ax_c.set_ylabel("spike time (steps)")
    ax_c.legend(fontsize=7)
    fig.tight_layout()

    def update(tau, threshold, num_steps):
        s = encoding.latency(x, num_steps, threshold=threshold, tau=tau, clip=True, bypass=True)
        scatter.set_offsets(np.column_stack(raster_points(s)))
        ax_r.set_xlim(-0.5, num_steps - 0.5)
        line.set_ydata(curve(tau, threshold))
        window.set_ydata([num_steps - 1, num_steps - 1])
        thr_line.set_xdata([threshold, threshold])
        above = int((x >= threshold).sum())
        fired = int(s.sum())
        return (f"{above} of {x.numel()} pixels are above the threshold; {fired} of them spike inside "
                f"the {num_steps}-step window")

    controls = {"tau": log_slider("tau (steps)", tau, -1, 2),
                "threshold": slider("threshold", threshold, 0.001, 0.5, 0.001),
                "num_steps": int_slider("num_steps", num_steps, 2, 200)}
    return Explorer(fig, controls, update)


def delta_explorer(frames, threshold: float = 0.3) -> Explorer:
    """Delta code (``padding=True``, ``off_spike=True``) of a video: ON/OFF raster and the events of one frame.

    Slider: ``threshold`` (0.02..1). Every pixel of the ``[T, H, W]`` video is one neuron.
    """
    v = _video(frames)
    num_steps, h, w = v.shape
    flat = v.reshape(num_steps, -1)
    fig, (ax_r, ax_f) = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [2, 1]}, dpi=80)
    spikes = encoding.delta(flat, threshold, padding=True, off_spike=True)
    on_artist, off_artist = signed_raster(spikes, ax=ax_r, marker_size=1, ylabel="pixel index",
                                          title="delta code of the video")
    mid = num_steps // 2
    image = ax_f.imshow(events_rgb(spikes[mid].reshape(h, w) > 0, spikes[mid].reshape(h, w) < 0, scale=1))
    ax_f.set_title(f"spikes at step {mid} (red ON, blue OFF)")
    ax_f.set_xticks([])
    ax_f.set_yticks([])
    fig.tight_layout()

    def update(threshold):
        s = encoding.delta(flat, threshold, padding=True, off_spike=True)
        on, off = signed_raster_points(s)
        on_artist.set_offsets(on)
        off_artist.set_offsets(off)
        image.set_data(events_rgb(s[mid].reshape(h, w) > 0, s[mid].reshape(h, w) < 0, scale=1))
        return f"{len(on):,} ON and {len(off):,} OFF spikes over {num_steps} steps"

    return Explorer(fig, {"threshold": slider("threshold", threshold, 0.02, 1.0, 0.02)}, update)


def dvs_explorer(frames, threshold: float = 0.2, frame: int | None = None, eps: float = dvs.DEFAULT_EPS) -> Explorer:
    """The event camera on a video: one frame, its ON/OFF events, and the event count against the threshold.

    Sliders: contrast ``threshold`` (0.01..10, natural-log units) and the ``frame`` shown.
    """
    v = _video(frames)
    num_frames, h, w = v.shape
    frame = num_frames // 2 if frame is None else frame
    thresholds = np.geomspace(0.02, 5, 25)
    curve = dvs.count_by_threshold(v, thresholds, eps)
    fig, (ax_v, ax_e, ax_c) = plt.subplots(1, 3, figsize=(10, 3.2), dpi=80)
    video_img = ax_v.imshow(to_numpy(v[frame]), cmap="gray", vmin=0, vmax=1)
    ev = dvs.events(v, threshold, eps)
    counts = dvs.to_frames(ev, num_frames, h, w)
    event_img = ax_e.imshow(events_rgb(counts[frame, 0], counts[frame, 1]))
    for ax in (ax_v, ax_e):
        ax.set_xticks([])
        ax.set_yticks([])
    ax_v.set_title("frame")
    ax_e.set_title("events (red ON, blue OFF)")
    ax_c.loglog(thresholds, np.maximum(curve, 0.5), ".-", color="0.4")
    (marker,) = ax_c.loglog([threshold], [max(len(ev), 0.5)], "o", color="tab:red")
    ax_c.set_xlabel("contrast threshold C (ln units)")
    ax_c.set_ylabel("events in the video")
    ax_c.set_ylim(0.5, max(curve.max(), 1) * 2)
    _plain_log_ticks(ax_c, "xy")
    fig.tight_layout()

    def update(threshold, frame):
        ev = dvs.events(v, threshold, eps)
        counts = dvs.to_frames(ev, num_frames, h, w)
        video_img.set_data(to_numpy(v[frame]))
        event_img.set_data(events_rgb(counts[frame, 0], counts[frame, 1]))
        ax_e.set_title(f"events at frame {frame} (red ON, blue OFF)")
        marker.set_data([threshold], [max(len(ev), 0.5)])
        return (f"C = {threshold:.3g}: {len(ev):,} events in the video ({ev.num_on:,} ON, {ev.num_off:,} OFF); "
                f"{int(counts[frame].sum()):,} at frame {frame}")

    controls = {"threshold": log_slider("threshold C", threshold, -2, 1),
                "frame": int_slider("frame", frame, 1, num_frames - 1)}
    return Explorer(fig, controls, update)


def bench_encoding() -> dict:
    """Speed of the encoders on an MNIST-sized batch, of the DVS emulator, and of explorer updates."""
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
    result["dvs_num_events"] = len(ev)
    for name, make, control, value in (
            ("rate_explorer", lambda: rate_explorer(images[0]), "num_steps", 300),
            ("dvs_explorer", lambda: dvs_explorer(videos.frames[0]), "threshold", 0.5)):
        explorer = make()
        explorer.controls[control].value = value
        result[f"{name}_update_ms"] = round(explorer.last_update_seconds * 1e3, 1)
        plt.close(explorer.fig)
    return result
