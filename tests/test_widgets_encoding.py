"""Explorer tests for lesson 02: moving a slider changes the plotted data to what the encoders give."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import data, dvs, encoding  # noqa: E402
from snnlesson.plot import raster_points, signed_raster_points  # noqa: E402
from snnlesson.widgets import encoding as widgets_encoding  # noqa: E402


@pytest.fixture(scope="module")
def digit():
    images, _ = data.as_tensors(data.mnist(train=False, verbose=False))
    return images[0]


@pytest.fixture(scope="module")
def video():
    return data.moving_digits(1, num_frames=12, canvas=40, seed=0).frames[0]


def _offsets(artist):
    return np.asarray(artist.get_offsets())


def test_rate_explorer_redraws_raster_and_decoded_image(digit):
    ex = widgets_encoding.rate_explorer(digit, num_steps=50, gain=1.0, seed=0)
    scatter, decoded = ex.fig.axes[0].collections[0], ex.fig.axes[1].images[0]
    before = _offsets(scatter).copy()
    ex.controls["num_steps"].value = 200
    ex.controls["gain"].value = 0.5
    spikes = encoding.rate(digit[0], 200, gain=0.5, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(_offsets(scatter), np.column_stack(raster_points(spikes)))
    assert _offsets(scatter).shape != before.shape
    np.testing.assert_allclose(decoded.get_array(), encoding.rate_decode(spikes, 0.5).numpy())
    assert ex.fig.axes[0].get_xlim()[1] == pytest.approx(199.5)
    assert f"{int(spikes.sum()):,} spikes in 200 steps" in ex.status.value
    assert ex.last_update_seconds is not None
    plt.close(ex.fig)


def test_latency_explorer_tau_and_threshold_move_spikes_and_curve(digit):
    ex = widgets_encoding.latency_explorer(digit, num_steps=50, tau=5.0, threshold=0.01)
    scatter = ex.fig.axes[0].collections[0]
    line = ex.fig.axes[1].lines[0]
    curve_before = np.asarray(line.get_ydata()).copy()
    ex.controls["tau"].value = 20.0
    ex.controls["threshold"].value = 0.3
    spikes = encoding.latency(digit[0], 50, threshold=0.3, tau=20.0, clip=True, bypass=True)
    np.testing.assert_array_equal(_offsets(scatter), np.column_stack(raster_points(spikes)))
    assert not np.allclose(np.nan_to_num(curve_before), np.nan_to_num(np.asarray(line.get_ydata())))
    above = int((digit[0] >= 0.3).sum())
    assert ex.status.value.startswith(f"{above} of 784 pixels")
    plt.close(ex.fig)


def test_delta_explorer_threshold_changes_on_off_spikes(video):
    ex = widgets_encoding.delta_explorer(video, threshold=0.1)
    on_artist, off_artist = ex.fig.axes[0].collections[:2]
    n_before = len(_offsets(on_artist))
    ex.controls["threshold"].value = 0.8
    spikes = encoding.delta(video[:, 0].reshape(12, -1), 0.8, padding=True, off_spike=True)
    on, off = signed_raster_points(spikes)
    np.testing.assert_array_equal(_offsets(on_artist), on)
    np.testing.assert_array_equal(_offsets(off_artist), off)
    assert len(on) < n_before
    plt.close(ex.fig)


def test_dvs_explorer_threshold_and_frame(video):
    ex = widgets_encoding.dvs_explorer(video, threshold=0.2)
    event_img = ex.fig.axes[1].images[0]
    marker = ex.fig.axes[2].lines[1]
    img_before = np.asarray(event_img.get_array()).copy()
    ex.controls["threshold"].value = 1.0
    ev = dvs.events(video, ex.controls["threshold"].value)
    assert marker.get_ydata()[0] == len(ev)
    assert f"{len(ev):,} events in the video" in ex.status.value
    assert not np.array_equal(img_before, np.asarray(event_img.get_array()))
    ex.controls["frame"].value = 3
    counts = dvs.to_frames(ev, 12, 40, 40)
    np.testing.assert_array_equal(ex.fig.axes[0].images[0].get_array(), video[3, 0].numpy())
    assert f"{int(counts[3].sum()):,} at frame 3" in ex.status.value
    plt.close(ex.fig)


def test_explorers_reject_bad_images():
    with pytest.raises(ValueError, match="image"):
        widgets_encoding.rate_explorer(torch.rand(2, 3, 4, 5))
    with pytest.raises(ValueError, match="frames"):
        widgets_encoding.dvs_explorer(torch.rand(1, 8, 8))
