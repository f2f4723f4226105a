"""Tests of snnlesson.dvs, the event-camera emulator.

Independent reference: a per-pixel, event-by-event transcription of the DVS rule
("while |ln(I + eps) - L_ref| >= C: emit an event, move L_ref by one C"), written
here with Python loops and math.log, against the vectorised emulator.
"""

import math

import numpy as np
import pytest
import torch

from snnlesson import checks, data, dvs
from snnlesson.lessons import l02_encoding  # noqa: E402


def reference_events(video, threshold, eps):
    """Slow, obviously-correct DVS: one pixel at a time, one event at a time."""
    t_len, h, w = video.shape
    out = []
    for y in range(h):
        for x in range(w):
            ref = math.log(video[0, y, x] + eps)
            for t in range(1, t_len):
                level = math.log(video[t, y, x] + eps)
                while abs(level - ref) >= threshold:
                    p = 1 if level > ref else -1
                    out.append((t, y, x, p))
                    ref += p * threshold
    return sorted(out)


def as_tuples(ev):
    return sorted(zip(ev.t.tolist(), ev.y.tolist(), ev.x.tolist(), ev.p.tolist()))


def test_brightening_pixel_gives_on_events_darkening_gives_off():
    video = np.zeros((2, 1, 2))
    video[1, 0, 0] = 1.0                 # brightens 0 -> 1
    video[:, 0, 1] = [1.0, 0.0]          # darkens 1 -> 0
    ev = dvs.events(video, threshold=0.2, eps=0.1)
    expected_n = math.floor(math.log(1.1 / 0.1) / 0.2)          # 11 thresholds
    on, off = ev.p > 0, ev.p < 0
    assert on.sum() == expected_n and off.sum() == expected_n
    assert np.all(ev.x[on] == 0) and np.all(ev.x[off] == 1)
    assert np.all(ev.t == 1) and np.all(ev.y == 0)


def test_one_change_spanning_several_thresholds_gives_several_events():
    video = np.array([0.5, 0.5 * math.exp(3.5 * 0.3)]).reshape(2, 1, 1)   # up by 3.5 thresholds of 0.3
    ev = dvs.events(video, threshold=0.3, eps=1e-9)
    assert ev.num_events == 3 and np.all(ev.p == 1)


def test_reference_is_updated_at_each_event_so_slow_ramps_still_fire():
    # each frame brightens by 0.65 C in log units: a frame-difference detector would never fire;
    # the DVS accumulates since its last event: crossings at 1.3, 2.6, 3.25, 4.55, 5.2, 6.5 thresholds.
    eps, c = 1e-9, 0.25
    levels = np.exp(np.arange(11) * 0.65 * c)
    ev = dvs.events(levels.reshape(-1, 1, 1), threshold=c, eps=eps)
    assert ev.num_events == math.floor(10 * 0.65) == 6
    assert np.all(ev.p == 1)
    assert ev.t.tolist() == [2, 4, 5, 7, 8, 10]


def test_returning_to_an_intensity_gives_as_many_off_as_on_events():
    video = np.tile(np.array([0.0, 0.9, 0.0, 0.3, 0.0, 1.0, 0.0]).reshape(-1, 1, 1), (1, 3, 3))
    for c in (0.1, 0.2, 0.3, 0.7):
        ev = dvs.events(video, c, eps=0.1)
        assert ev.num_on == ev.num_off > 0
        for t in (1, 3, 5):                                      # each flash up is undone by the next frame
            assert np.sum(ev.p[ev.t == t]) == -np.sum(ev.p[ev.t == t + 1])


def test_static_pixels_emit_nothing():
    video = np.full((10, 8, 8), 0.37)
    assert dvs.events(video, 0.05).num_events == 0
    video[4:, 2, 3] = 0.9                                        # one pixel changes once
    ev = dvs.events(video, 0.05)
    assert ev.num_events > 0 and set(zip(ev.y.tolist(), ev.x.tolist())) == {(2, 3)} and np.all(ev.t == 4)


@pytest.mark.parametrize("threshold, eps", [(0.1, 0.1), (0.35, 0.02), (1.0, 0.5)])
def test_matches_event_by_event_reference_on_random_video(threshold, eps):
    rng = np.random.default_rng(0)
    video = rng.random((12, 5, 6)) ** 2 * 0.98 + 0.01           # no exact repeats: no ties at a threshold
    assert as_tuples(dvs.events(video, threshold, eps)) == reference_events(video, threshold, eps)


def test_named_tuple_fields_equal_length_sorted_by_time_and_channel_axis_accepted():
    videos = data.moving_digits(1, num_frames=12, canvas=32, seed=3)
    frames = videos.frames[0]                                    # torch [T, 1, H, W]
    ev = dvs.events(frames, 0.2)
    assert isinstance(ev, dvs.Events) and isinstance(ev, tuple) and ev._fields == ("t", "x", "y", "p")
    assert len(ev) == 4 and len({len(a) for a in ev}) == 1 and ev.num_events > 0
    assert all(a.dtype == np.int64 for a in ev)
    assert np.all(np.diff(ev.t) >= 0)
    assert set(np.unique(ev.p).tolist()) == {-1, 1}
    same = dvs.events(frames[:, 0].numpy(), 0.2)
    assert all(np.array_equal(a, b) for a, b in zip(ev, same))


def test_moving_digit_events_only_where_the_image_changed_and_frames_accumulate():
    videos = data.moving_digits(1, num_frames=10, canvas=40, seed=1)
    video = videos.frames[0, :, 0].numpy()
    ev = dvs.events(video, 0.3)
    changed = np.abs(np.diff(video, axis=0)) > 0                  # [T-1, H, W]
    ever_changed = changed.any(axis=0)
    assert np.all(ever_changed[ev.y, ev.x])
    counts = dvs.to_frames(ev, 10, 40, 40)
    assert counts.shape == (10, 2, 40, 40)
    assert counts[:, 0].sum() == ev.num_on and counts[:, 1].sum() == ev.num_off
    assert counts[0].sum() == 0                                   # the first frame is the reference
    # the count at a pixel and frame equals floor(|change in log intensity since the last event| / C) summed
    assert counts.sum() == ev.num_events


def test_event_count_falls_with_threshold():
    videos = data.moving_digits(1, num_frames=10, canvas=32, seed=0)
    counts = dvs.count_by_threshold(videos.frames[0], [0.05, 0.1, 0.2, 0.4, 0.8])
    assert np.all(np.diff(counts) < 0)
    assert counts[0] > 0
    assert dvs.count_by_threshold(videos.frames[0], [100.0])[0] == 0


def test_log_intensity_documents_eps():
    frames = np.array([[[0.0, 1.0]]])
    np.testing.assert_allclose(dvs.log_intensity(frames, eps=0.1), np.log([[[0.1, 1.1]]]))


@pytest.mark.parametrize("frames, kwargs, error, match", [
    (np.zeros((3, 4, 4)), dict(threshold=0.0), ValueError, "threshold"),
    (np.zeros((3, 4, 4)), dict(threshold=-1.0), ValueError, "threshold"),
    (np.zeros((3, 4, 4)), dict(threshold=float("nan")), ValueError, "threshold"),
    (np.zeros((3, 4, 4)), dict(threshold="big"), TypeError, "threshold"),
    (np.zeros((3, 4, 4)), dict(eps=0.0), ValueError, "eps"),
    (-np.ones((3, 4, 4)), {}, ValueError, ">= 0"),
    (np.full((3, 4, 4), np.nan), {}, ValueError, "NaN"),
    (np.zeros((4, 4)), {}, ValueError, "shape"),
    (np.zeros((3, 2, 4, 4)), {}, ValueError, "shape"),
    (np.zeros((0, 4, 4)), {}, ValueError, "empty"),
])
def test_bad_input_raises_clear_errors(frames, kwargs, error, match):
    with pytest.raises(error, match=match):
        dvs.events(frames, **kwargs)


def test_to_frames_rejects_out_of_range_events():
    ev = dvs.events(np.array([0.0, 1.0]).reshape(2, 1, 1), 0.5)
    with pytest.raises(ValueError, match="t values"):
        dvs.to_frames(ev, 1, 1, 1)
    with pytest.raises(TypeError, match="Events"):
        dvs.to_frames((1, 2, 3, 4), 2, 1, 1)


def test_check_dvs_event_count():
    assert l02_encoding.check_dvs_event_count(11)
    rounded = l02_encoding.check_dvs_event_count(12)
    assert not rounded and "DOWN" in rounded.message
    linear = l02_encoding.check_dvs_event_count(5)
    assert not linear and "LOG" in linear.message
    assert l02_encoding.check_dvs_event_count(2, 1.0, 0.2, threshold=0.5, eps=0.1)   # ln(1.1/0.3)=1.30 -> 2 OFF
    assert not l02_encoding.check_dvs_event_count(torch.tensor(1.5))


def test_events_unpack_and_reject_unequal_lengths():
    ev = dvs.events(np.array([0.0, 1.0]).reshape(2, 1, 1), 0.2)
    t, x, y, p = ev
    assert ev.num_events == len(t) == 11 and np.all(p == 1) and len(ev) == 4
    bad = dvs.Events(np.zeros(2, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(2, dtype=np.int64),
                     np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="equal length"):
        dvs.to_frames(bad, 1, 1, 1)


def test_size_budget_refuses_a_tiny_threshold():
    """A threshold of 1e-9 asked for 283 GiB of events before; now a clear error names the threshold."""
    with pytest.raises(ValueError, match=r"threshold=1e-09.*would need"):
        dvs.events(np.random.default_rng(0).random((4, 8, 8)), 1e-9)
    with pytest.raises(ValueError, match="would need"):
        dvs.to_frames(dvs.events(np.zeros((2, 1, 1)), 0.2), 10**6, 10**4, 10**4)
    with pytest.raises(TypeError, match="num_frames"):
        dvs.to_frames(dvs.events(np.zeros((2, 1, 1)), 0.2), 2.0, 1, 1)
