"""Lesson 02's explorers and figures: moving a slider shows exactly what the encoders give."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import data, dvs, encoding  # noqa: E402
from snnlesson.lessons import l02_encoding as l02  # noqa: E402
from snnlesson.plot import signed_raster_points  # noqa: E402


@pytest.fixture(scope="module")
def digit():
    images, _ = data.as_tensors(data.mnist(train=False, source="offline", verbose=False))
    return images[172, 0]


@pytest.fixture(scope="module")
def video():
    return data.moving_digits(1, num_frames=12, canvas=40, seed=0).frames[0]


def _offsets(artist):
    return np.asarray(artist.get_offsets())


def _points(spikes):
    """(step, pixel) of every spike of a time-first train: the encoders' own output, the reference."""
    return np.argwhere(spikes.reshape(spikes.shape[0], -1).numpy() != 0)


def test_rate_explorer_shows_the_rate_code_and_its_decoding(digit):
    ex = l02.rate_explorer(digit, num_steps=50, gain=1.0, seed=0)
    scatter, decoded = ex.fig.axes[0].collections[0], ex.fig.axes[1].images[0]
    xlim = ex.fig.axes[0].get_xlim()
    ex.controls["num_steps"].value = 200
    ex.controls["gain"].value = 0.5
    spikes = encoding.rate(digit, 200, gain=0.5, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(_offsets(scatter), _points(spikes))
    estimate = encoding.rate_decode(spikes, 0.5)
    np.testing.assert_allclose(decoded.get_array(), estimate.numpy(), rtol=1e-6)
    error = encoding.reconstruction_error(digit, estimate)
    assert f"RMS error {error:.3f}" in ex.fig.axes[1].get_title()
    pad = 0.02 * l02.RATE_MAX_STEPS   # step 0 stands clear of the spine
    assert ex.fig.axes[0].get_xlim() == xlim == (-pad, l02.RATE_MAX_STEPS - 1 + pad)  # fixed time axis
    assert ex.fig.axes[0].get_title() == f"rate code: {int(spikes.sum()):,} spikes in 200 steps"
    assert f"{int(spikes.sum()):,} spikes in 200 steps" in ex.status.value
    plt.close(ex.fig)


def test_rate_candidates_equal_the_encoder_for_every_window_and_gain(digit):
    candidates = l02.RateCandidates(digit.numpy(), 300, seed=7)
    for num_steps, gain in ((1, 0.05), (37, 0.35), (300, 1.0), (299, 0.95)):
        spikes = encoding.rate(digit, num_steps, gain=gain, generator=torch.Generator().manual_seed(7))
        np.testing.assert_array_equal(np.column_stack(candidates.spikes(num_steps, gain)), _points(spikes))


def test_latency_explorer_tau_threshold_and_window(digit):
    ex = l02.latency_explorer(digit, num_steps=50, tau=5.0, threshold=0.01)
    scatter, curve = ex.fig.axes[0].collections[0], ex.fig.axes[1].lines[0]
    window, thr_line = ex.fig.axes[1].lines[1], ex.fig.axes[1].lines[2]
    curve_before = np.nan_to_num(np.asarray(curve.get_ydata())).copy()
    ex.controls["tau"].value = 20.0
    ex.controls["threshold"].value = 0.3
    ex.controls["num_steps"].value = 30
    spikes = encoding.latency(digit, 30, threshold=0.3, tau=20.0, clip=True, bypass=True)
    shown = _offsets(scatter)
    np.testing.assert_array_equal(shown[np.lexsort((shown[:, 1], shown[:, 0]))], _points(spikes))
    assert not np.allclose(curve_before, np.nan_to_num(np.asarray(curve.get_ydata())))
    assert list(window.get_ydata()) == [29, 29] and list(thr_line.get_xdata()) == [0.3, 0.3]
    assert ex.fig.axes[1].get_ylim() == (0.01, 1000)
    above = int((digit >= 0.3).sum())
    assert ex.status.value.startswith(f"{above} of 784 pixels")
    assert ex.fig.axes[0].get_title() == f"latency code: {int(spikes.sum())} of 784 pixels spike in 30 steps"
    plt.close(ex.fig)


def test_delta_explorer_threshold_changes_on_off_spikes(video):
    ex = l02.delta_explorer(video, threshold=0.1)
    on_artist, off_artist = ex.fig.axes[0].collections[:2]
    n_before = len(_offsets(on_artist))
    ex.controls["threshold"].value = 0.8
    spikes = encoding.delta(video[:, 0].reshape(12, -1), 0.8, padding=True, off_spike=True)
    on, off = signed_raster_points(spikes)
    np.testing.assert_array_equal(_offsets(on_artist), on - [l02.DELTA_SHIFT, 0])   # ON drawn a little early,
    np.testing.assert_array_equal(_offsets(off_artist), off + [l02.DELTA_SHIFT, 0])  # OFF a little late
    assert 0 < len(on) < n_before
    frame = ex.fig.axes[1].images[0].get_array()
    mid = spikes[6].reshape(40, 40).numpy()
    assert ((frame[..., 2] < 1) == (mid > 0)).all()   # ON pixels lose blue (drawn red)
    assert ((frame[..., 0] < 1) == (mid < 0)).all()   # OFF pixels lose red (drawn blue)
    assert f"{len(on):,} ON and {len(off):,} OFF" in ex.fig.axes[0].get_title()
    plt.close(ex.fig)


def test_dvs_explorer_threshold_and_frame(video):
    ex = l02.dvs_explorer(video, threshold=0.2)
    event_img, marker = ex.fig.axes[1].images[0], ex.fig.axes[2].lines[1]
    img_before = np.asarray(event_img.get_array()).copy()
    ex.controls["threshold"].value = 1.0
    ev = dvs.events(video, ex.controls["threshold"].value)
    assert marker.get_ydata()[0] == ev.num_events > 0
    assert f"{ev.num_events:,} events in the video" in ex.status.value
    assert not np.array_equal(img_before, np.asarray(event_img.get_array()))
    ex.controls["frame"].value = 3
    counts = dvs.to_frames(ev, 12, 40, 40)
    np.testing.assert_array_equal(ex.fig.axes[0].images[0].get_array(), video[3, 0].numpy())
    assert f"{int(counts[3].sum()):,} at frame 3" in ex.status.value
    assert ex.fig.texts[0].get_text().startswith(f"frame 3: {int(counts[3, 0].sum()):,} ON")
    plt.close(ex.fig)


def test_dvs_explorer_shows_frame_zero_as_the_reference(video):
    ex = l02.dvs_explorer(video, threshold=0.2, frame=0)
    assert ex.controls["frame"].value == 0 and ex.controls["frame"].min == 0
    np.testing.assert_array_equal(ex.fig.axes[0].images[0].get_array(), video[0, 0].numpy())
    assert (np.asarray(ex.fig.axes[1].images[0].get_array()) == 1).all()  # white: no events
    assert ex.fig.texts[0].get_text().startswith("frame 0 sets each pixel's reference: no events")
    plt.close(ex.fig)


def test_explorers_reject_bad_input_naming_the_parameter(digit, video):
    with pytest.raises(ValueError, match="image must be one picture"):
        l02.rate_explorer(torch.rand(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"image values must lie in \[0, 1\]"):
        l02.latency_explorer(digit * 2)
    with pytest.raises(ValueError, match="frames must be one video .* T >= 2"):
        l02.dvs_explorer(torch.rand(1, 8, 8))
    with pytest.raises(ValueError, match="frames must be one video"):
        l02.delta_explorer(video[:1])
    with pytest.raises(ValueError, match=r"frame must be a frame index in \[0, 11\]"):
        l02.dvs_explorer(video, frame=12)
    with pytest.raises(ValueError, match="frame must be"):
        l02.dvs_explorer(video, frame=-1)
    with pytest.raises(ValueError, match="num_steps must lie"):
        l02.rate_explorer(digit, num_steps=1000)
    with pytest.raises(ValueError, match="threshold must lie"):
        l02.dvs_explorer(video, threshold=50.0)


def test_lesson_figures_label_their_axes(digit, video):
    ax = l02.spike_count_histogram(np.array([3, 4, 5, 5, 6]), num_steps=10, p=0.5)
    assert ax.get_xlabel() == "spike count in 10 steps" and len(ax.get_legend().get_texts()) == 4
    fig = l02.code_rasters({"rate": encoding.rate(digit, 20, generator=torch.Generator().manual_seed(0))})
    assert fig.axes[0].get_xlabel() == "time step"
    counts = dvs.to_frames(dvs.events(video, 0.2), 12, 40, 40)
    fig2 = l02.dvs_strip(video, counts, [1, 5])
    assert fig2.axes[2].get_title() == f"{int(counts[1, 0].sum())} ON / {int(counts[1, 1].sum())} OFF"
    ax3 = l02.event_count_plot([0.1, 0.2, 0.4], [400, 200, 100])
    assert ax3.get_xscale() == "log" and "contrast threshold" in ax3.get_xlabel()
    plt.close("all")


def _bohte_fields(n_fields, width_factor):
    """Centres and width of Bohte et al.'s (2002) receptive fields over [0, 1], written out independently:
    mu_i = (2i - 3) / 2 / (m - 2) for i = 1..m, sigma = 1 / (gamma (m - 2))."""
    i = np.arange(1, n_fields + 1)
    return (2 * i - 3) / 2 / (n_fields - 2), 1 / (width_factor * (n_fields - 2))


def _population_state(ex):
    top, bottom = ex.fig.axes[0], ex.fig.axes[1]
    fields = [np.asarray(seg).copy() for seg in top.collections[0].get_segments()]
    return (fields, _offsets(top.collections[1]).copy(), _offsets(bottom.collections[0]).copy(),
            _offsets(bottom.collections[1]).copy())


def test_population_explorer_draws_the_analytic_gaussians_and_the_encoders_spikes():
    """The drawn fields are checked against the analytic Gaussian exp(-(v - mu_i)^2 / 2 sigma^2) with
    Bohte et al.'s (2002) centres and width (computed here, not by the package); the spikes against
    round((T - 1)(1 - a_i)) for a_i >= 0.1 and against encoding.population itself."""
    ex = l02.population_explorer(value=0.3, n_fields=6, width_factor=1.5, num_steps=40)
    ex.controls["n_fields"].value = 9
    ex.controls["width_factor"].value = 2.0
    ex.controls["value"].value = 0.62
    centres, sigma = _bohte_fields(9, 2.0)
    fields, responses, spikes, silent = _population_state(ex)
    assert len(fields) == 9
    for mu, seg in zip(centres, fields):
        np.testing.assert_allclose(seg[:, 1], np.exp(-(seg[:, 0] - mu) ** 2 / (2 * sigma ** 2)), atol=1e-12)
        assert seg[np.argmax(seg[:, 1]), 0] == pytest.approx(mu, abs=0.003)     # peak at the centre
    a = np.exp(-(0.62 - centres) ** 2 / (2 * sigma ** 2))
    np.testing.assert_allclose(responses, np.column_stack([np.full(9, 0.62), a]), atol=1e-12)
    fires = a >= 0.1
    np.testing.assert_allclose(spikes, np.column_stack([centres[fires], np.round(39 * (1 - a[fires]))]), atol=1e-12)
    np.testing.assert_allclose(silent[:, 0], centres[~fires], atol=1e-12)
    train = encoding.population(torch.tensor([0.62]), 9, 0.0, 1.0, 40, width_factor=2.0)[:, 0]
    assert int(train.sum()) == len(spikes) and (train.argmax(0)[torch.from_numpy(fires)].numpy() == spikes[:, 1]).all()
    assert ex.fig.axes[1].get_title().startswith(f"v = 0.62: {fires.sum()} of 9 fields fire in 40 steps")
    assert f"\u03c3 = {sigma:.3g}" in ex.fig.axes[0].get_title()
    assert ex.fig.axes[0].get_xlim() == ex.fig.axes[1].get_xlim() == l02._POPULATION_XLIM   # fixed axes
    plt.close(ex.fig)


@pytest.mark.parametrize("control, new", [("value", 0.8), ("n_fields", 12), ("width_factor", 3.0)])
def test_population_explorer_each_control_changes_the_plotted_data(control, new):
    ex = l02.population_explorer(value=0.3, n_fields=6, width_factor=1.5, num_steps=40)
    fields, responses, spikes, _ = _population_state(ex)
    ex.controls[control].value = new
    fields2, responses2, spikes2, _ = _population_state(ex)
    fields_changed = len(fields) != len(fields2) or any(not np.array_equal(a, b) for a, b in zip(fields, fields2))
    assert fields_changed == (control != "value")     # the value moves along fixed fields
    assert not np.array_equal(responses, responses2)
    assert not np.array_equal(spikes, spikes2)
    plt.close(ex.fig)


def test_population_explorer_says_when_no_field_fires():
    # 3 narrow fields (sigma = 0.2) centred at -0.5, 0.5, 1.5: v = 0 is 0.5 from both neighbours, a = 0.04
    ex = l02.population_explorer(value=0.0, n_fields=3, width_factor=5.0)
    _, responses, spikes, silent = _population_state(ex)
    assert responses[:, 1].max() < 0.1 and len(spikes) == 0 and len(silent) == 3
    assert ex.fig.axes[1].get_title() == "v = 0.00: no field fires (every response is below 0.1)"
    with pytest.raises(ValueError, match="width_factor"):
        l02.population_explorer(width_factor=10.0)
    with pytest.raises(ValueError, match="value"):
        l02.population_explorer(value=1.5)
    plt.close(ex.fig)


def test_delta_figure_shows_the_encoders_spikes_with_on_visible(video):
    fig = l02.delta_figure(video, threshold=0.3, step=6)
    ax_r, ax_f = fig.axes
    spikes = encoding.delta(video[:, 0].reshape(12, -1), 0.3, padding=True, off_spike=True)
    on, off = signed_raster_points(spikes)
    on_artist, off_artist = ax_r.collections[:2]
    np.testing.assert_array_equal(_offsets(on_artist), on - [l02.DELTA_SHIFT, 0])
    np.testing.assert_array_equal(_offsets(off_artist), off + [l02.DELTA_SHIFT, 0])
    on_now = np.flatnonzero(spikes[6].numpy() > 0)
    np.testing.assert_array_equal(_offsets(ax_f.collections[0]), np.column_stack([on_now % 40, on_now // 40]))
    assert ax_r.get_legend() is None and fig.legends          # the legend sits under the figure
    assert ax_r.get_xlim()[0] < -0.2 and f"{len(on):,} ON" in ax_r.get_title()
    plt.close(fig)


def test_histogram_legend_sits_beside_the_data_and_states_the_window():
    ax = l02.spike_count_histogram(np.array([100, 120, 125, 130]), num_steps=1000, p=0.125, dt=1e-3)
    ax.figure.canvas.draw()
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
    assert ax.get_xlabel() == "spike count in 1000 steps (1 s at \u0394t = 1 ms)" and ax.get_title()
    plt.close("all")


def test_encoder_comparison_draws_each_encoders_raster_and_decoded_image(digit):
    spikes = encoding.rate(digit, 30, generator=torch.Generator().manual_seed(3))
    decoded = encoding.rate_decode(spikes)
    fig = l02.encoder_comparison(digit, {"mine": (spikes, decoded), "package": (spikes, decoded)}, title="t")
    ax_r, ax_d = fig.axes[0], fig.axes[1]
    np.testing.assert_array_equal(_offsets(ax_r.collections[0]), _points(spikes))
    assert ax_r.get_title() == f"mine: {int(spikes.sum()):,} spikes in 30 steps"
    error = encoding.reconstruction_error(digit, decoded)
    assert ax_d.get_title().endswith(f"RMS error {error:.3f}")
    np.testing.assert_allclose(ax_d.images[0].get_array(), decoded.numpy(), rtol=1e-6)
    assert ax_r.get_xlabel() and ax_r.get_ylabel() and len(fig.axes) == 4
    plt.close(fig)
    with pytest.raises(ValueError, match="rows"):
        l02.encoder_comparison(digit, {"mine": (spikes[:, :5], decoded)})
    with pytest.raises(TypeError, match="rows"):
        l02.encoder_comparison(digit, {})
