r"""An event camera (dynamic vision sensor, DVS) emulator: frames in, ON/OFF events out.

Each pixel of a DVS watches its own log intensity :math:`L = \ln(I + \epsilon)` and
remembers the value :math:`L_{ref}` at its last event. Whenever

.. math:: |L(t) - L_{ref}| \ge C

(the contrast threshold :math:`C`) it emits an event ``(t, x, y, p)``: polarity
:math:`p = +1` (ON) for brighter, :math:`p = -1` (OFF) for darker, and moves its
reference by :math:`p\,C`. A change spanning :math:`n` thresholds gives :math:`n`
events; a pixel that does not change says nothing. The camera reports *changes*,
asynchronously per pixel, instead of whole frames at a fixed rate.

Here time is sampled by the frames: events are stamped with the index of the
frame where the change was seen (an emulator such as v2e interpolates sub-frame
times; we keep whole frames). Arrays are NumPy: this is a small event-driven
simulator, vectorised over pixels with one loop over frames.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from snnlesson._validate import as_real_array, check_int, check_real, check_size

__all__ = ["Events", "log_intensity", "events", "to_frames", "count_by_threshold"]

#: Default sensor floor :math:`\epsilon` for frames scaled to [0, 1].
DEFAULT_EPS = 0.1


class Events(NamedTuple):
    """Events as four equal-length int64 arrays, sorted by time ``t`` (frame index), then row, then column.

    ``x`` is the column, ``y`` the row, ``p`` the polarity (+1 ON, -1 OFF). A named tuple:
    ``t, x, y, p = events`` unpacks the arrays, ``len(events)`` is 4 (the fields) and
    ``events.num_events`` is the number of events.
    """

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    p: np.ndarray

    @property
    def num_events(self) -> int:
        return int(np.shape(self.t)[0])

    @property
    def num_on(self) -> int:
        return int(np.count_nonzero(np.asarray(self.p) > 0))

    @property
    def num_off(self) -> int:
        return int(np.count_nonzero(np.asarray(self.p) < 0))


def _video(frames) -> np.ndarray:
    """``frames`` as a float64 array ``[T, H, W]``; accepts ``[T, 1, H, W]`` and torch tensors."""
    video = as_real_array("frames", frames, what="an array or tensor of numbers")
    if video.ndim == 4 and video.shape[1] == 1:
        video = video[:, 0]
    if video.ndim != 3:
        raise ValueError(f"frames must have shape [T, H, W] or [T, 1, H, W], got {tuple(np.shape(frames))}")
    if video.size == 0:
        raise ValueError(f"frames must not be empty, got shape {video.shape}")
    if not np.all(np.isfinite(video)):
        raise ValueError("frames contain NaN or infinity; intensities must be finite numbers")
    if video.min() < 0:
        raise ValueError(f"frames are intensities and must be >= 0, got a minimum of {video.min():.6g}")
    return video


def log_intensity(frames, eps: float = DEFAULT_EPS) -> np.ndarray:
    r"""What a DVS pixel senses: :math:`L = \ln(I + \epsilon)`, float64 ``[T, H, W]``.

    ``eps`` (:math:`\epsilon`, default 0.1 for frames in [0, 1]) plays the sensor's
    dark current: it keeps the log of a black pixel finite (:math:`\ln 0.1 \approx -2.3`)
    and caps the events a black-to-white edge produces at
    :math:`\ln(1.1/0.1)/C \approx 2.4/C`. A smaller ``eps`` makes dark pixels
    (and their noise) far more eventful.
    """
    eps = check_real("eps", eps, low=0.0, low_open=True)
    return np.log(_video(frames) + eps)


def events(frames, threshold: float = 0.2, eps: float = DEFAULT_EPS) -> Events:
    r"""Emulate an event camera on a video ``[T, H, W]`` (or ``[T, 1, H, W]``), intensities >= 0.

    The first frame sets every pixel's reference :math:`L_{ref} = \ln(I_0 + \epsilon)`.
    At each later frame *k*:

    .. math:: n = \mathrm{trunc}\Big(\frac{L_k - L_{ref}}{C}\Big), \qquad
              L_{ref} \leftarrow L_{ref} + n\,C,

    and the pixel emits :math:`|n|` events with polarity :math:`\mathrm{sign}(n)` at
    ``t = k`` (identical records: between two frames there is no finer time to give
    them). A change smaller than ``threshold`` (:math:`C`, in natural-log units:
    0.2 is about a 22 % change of :math:`I + \epsilon`) is remembered, not lost: it
    adds up with later changes. The code keeps :math:`L_{ref} = L_0 + m\,C` with an integer
    :math:`m` per pixel (the same rule, without rounding drift). Vectorised over pixels,
    one loop over frames.
    """
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    log_i = log_intensity(frames, eps)
    # Log intensity in units of C relative to the first frame; the reference is
    # L_ref = L_0 + m C with an integer m per pixel, so returning to an earlier
    # intensity undoes its events exactly (no drift from adding C again and again).
    level = (log_i - log_i[0]) / threshold
    # every event crosses one threshold: the video's summed |change| of level bounds their number
    bound = float(np.abs(np.diff(level, axis=0)).sum()) + level.size if level.shape[0] > 1 else 0.0
    if not np.isfinite(bound) or bound > 2 ** 62:
        raise ValueError(f"threshold={threshold!r} is far too small for this video: it would give more events "
                         "than can be counted; use a contrast threshold around 0.05 to 1")
    check_size(f"the events of this video at threshold={threshold!r}", bound, 4 * 8)
    m = np.zeros(log_i.shape[1:], dtype=np.int64)
    ts, ys, xs, ps, total = [], [], [], [], 0
    for k in range(1, log_i.shape[0]):
        n = np.trunc(level[k] - m).astype(np.int64)      # signed number of thresholds crossed
        m += n                                             # the reference moves by one C per event
        y, x = np.nonzero(n)
        count = np.abs(n[y, x])
        total += int(count.sum())
        check_size(f"the events of this video at threshold={threshold!r}", total, 4 * 8)  # four int64 arrays
        ts.append(np.full(int(count.sum()), k, dtype=np.int64))
        ys.append(np.repeat(y, count))
        xs.append(np.repeat(x, count))
        ps.append(np.repeat(np.sign(n[y, x]), count))
    if not ts:
        empty = np.zeros(0, dtype=np.int64)
        return Events(empty, empty.copy(), empty.copy(), empty.copy())
    return Events(np.concatenate(ts), np.concatenate(xs).astype(np.int64),
                  np.concatenate(ys).astype(np.int64), np.concatenate(ps))


def to_frames(ev: Events, num_frames: int, height: int, width: int) -> np.ndarray:
    """Accumulate events into count images for display: int64 ``[num_frames, 2, height, width]``.

    Channel 0 counts ON events, channel 1 OFF events, per frame index ``t``
    (events with ``t`` outside ``0..num_frames-1`` raise ``ValueError``).
    """
    if not isinstance(ev, Events):
        raise TypeError(f"ev must be the Events returned by dvs.events, got {type(ev).__name__}")
    num_frames = check_int("num_frames", num_frames, minimum=1)
    height = check_int("height", height, minimum=1)
    width = check_int("width", width, minimum=1)
    if len({np.shape(a) for a in ev}) != 1 or np.ndim(ev.t) != 1:
        raise ValueError(f"ev must hold four 1-d arrays of equal length, got shapes {[np.shape(a) for a in ev]}")
    check_size(f"the count images [num_frames={num_frames}, 2, height={height}, width={width}]",
               num_frames * 2 * height * width, 8)
    if ev.num_events:
        for name, arr, size in (("t", ev.t, num_frames), ("y", ev.y, height), ("x", ev.x, width)):
            if arr.min() < 0 or arr.max() >= size:
                raise ValueError(f"event {name} values must lie in 0..{size - 1}, got {arr.min()}..{arr.max()}")
    counts = np.zeros((num_frames, 2, height, width), dtype=np.int64)
    channel = np.where(ev.p > 0, 0, 1)
    np.add.at(counts, (ev.t, channel, ev.y, ev.x), 1)
    return counts


def count_by_threshold(frames, thresholds, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Number of events of ``frames`` for each contrast threshold in ``thresholds`` (int64 array).

    For a given video the count falls roughly like ``1 / threshold``: each
    log-intensity change of size ``|dL|`` gives ``floor(|dL| / C)`` events.
    """
    values = [check_real("thresholds", c, low=0.0, low_open=True)
              for c in np.atleast_1d(as_real_array("thresholds", thresholds) if hasattr(thresholds, "device")
                                      else np.asarray(thresholds, dtype=object))]
    if not values:
        raise ValueError("thresholds must hold at least one contrast threshold")
    return np.array([events(frames, c, eps).num_events for c in values], dtype=np.int64)
