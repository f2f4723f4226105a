"""Lesson 00's explorer, driven without a browser: the raster is the rate code of the digit."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import data, encoding  # noqa: E402
from snnlesson.lessons.l00_start import MAX_STEPS, digit_raster_explorer, digit_raster_figure  # noqa: E402


@pytest.fixture(scope="module")
def digit():
    return data.as_tensors(data.mnist(train=False, source="offline", verbose=False))[0][0]


def _points(explorer):
    return np.asarray(explorer.fig.axes[1].collections[0].get_offsets()).copy()


def _expected(digit, num_steps, gain, seed):
    """(step, pixel) of every spike of snnlesson.encoding.rate with the same seed: the independent reference."""
    spikes = encoding.rate(digit, num_steps, gain=gain, generator=torch.Generator().manual_seed(seed))
    return np.argwhere(spikes.reshape(num_steps, -1).numpy() > 0)


def test_raster_is_the_rate_code_and_follows_both_sliders(digit):
    ex = digit_raster_explorer(digit, seed=0, num_steps=40, gain=0.5)
    np.testing.assert_array_equal(_points(ex), _expected(digit, 40, 0.5, 0))
    ex.controls["num_steps"].value = 120
    np.testing.assert_array_equal(_points(ex), _expected(digit, 120, 0.5, 0))
    ex.controls["gain"].value = 0.85
    np.testing.assert_array_equal(_points(ex), _expected(digit, 120, 0.85, 0))
    assert ex.fig.axes[1].get_title() == f"{len(_points(ex)):,} spikes in 120 steps = 120 ms (gain 0.85)"
    assert "a rate of 850 Hz" in ex.status.value  # p = r dt with dt = 1 ms
    ex.controls["gain"].value = 0.0
    assert len(_points(ex)) == 0 and "0 spikes" in ex.fig.axes[1].get_title()
    plt.close(ex.fig)


def test_time_axis_is_fixed_and_the_window_shade_moves(digit):
    ex = digit_raster_explorer(digit, num_steps=50)
    shade = ex.fig.axes[1].patches[0]
    assert ex.fig.axes[1].get_xlim() == (-0.5, MAX_STEPS - 0.5)
    assert shade.get_x() == 49.5
    ex.controls["num_steps"].value = 150
    assert ex.fig.axes[1].get_xlim() == (-0.5, MAX_STEPS - 0.5)
    assert shade.get_x() == 149.5
    assert "spike" in [t.get_text() for t in ex.fig.axes[1].get_legend().get_texts()]
    plt.close(ex.fig)


def test_more_steps_or_more_gain_only_add_spikes(digit):
    ex = digit_raster_explorer(digit, seed=3, num_steps=60, gain=0.4)
    before = {tuple(p) for p in _points(ex)}
    ex.controls["num_steps"].value = 90
    ex.controls["gain"].value = 0.6
    after = {tuple(p) for p in _points(ex)}
    assert before < after
    ex.controls["gain"].value = 0.4
    ex.controls["num_steps"].value = 60
    assert {tuple(p) for p in _points(ex)} == before  # same values, same picture
    plt.close(ex.fig)


def test_spikes_come_only_from_pixels_with_ink(digit):
    ex = digit_raster_explorer(digit, seed=1, num_steps=200, gain=1.0)
    pixels = _points(ex)[:, 1].astype(int)
    assert (digit.reshape(-1)[pixels] > 0).all()
    plt.close(ex.fig)


def test_bad_arguments_name_the_parameter(digit):
    with pytest.raises(ValueError, match="image must be one picture"):
        digit_raster_explorer(torch.zeros(3, 3, 3))
    with pytest.raises(ValueError, match=r"image values must lie in \[0, 1\]"):
        digit_raster_explorer(digit * 255)
    with pytest.raises(ValueError, match="num_steps must lie"):
        digit_raster_explorer(digit, num_steps=500)
    with pytest.raises(ValueError, match="gain must lie"):
        digit_raster_explorer(digit, gain=1.5)
    with pytest.raises(TypeError, match="seed"):
        digit_raster_explorer(digit, seed=0.5)


def _screen_y(ax, y):
    return ax.transData.transform((0.0, y))[1]


def _check_rows_line_up(ax_img, ax_raster):
    """Row 0 at the top of both panels, and image row r level with pixel indices 28 r .. 28 r + 27."""
    assert ax_raster.get_ylim() == (783.5, -0.5)  # inverted: pixel 0 at the top
    assert ax_img.get_ylim() == (27.5, -0.5)      # imshow: row 0 at the top
    for row in (0, 5, 27):
        assert _screen_y(ax_img, row) == pytest.approx(_screen_y(ax_raster, 28 * row + 13.5), abs=0.6)
    assert _screen_y(ax_raster, 0) > _screen_y(ax_raster, 783)  # higher on screen
    assert "28 × row + column" in ax_raster.get_ylabel() and "Δt = 1 ms" in ax_raster.get_xlabel()


def test_explorer_raster_is_not_upside_down(digit):
    ex = digit_raster_explorer(digit, num_steps=50)
    ex.fig.canvas.draw()
    _check_rows_line_up(*ex.fig.axes[:2])
    plt.close(ex.fig)


def test_static_figure_rows_line_up_and_step_zero_clears_the_spine(digit):
    spikes = encoding.rate(digit, 30, gain=0.5, generator=torch.Generator().manual_seed(0))
    fig = digit_raster_figure(digit, spikes, title="a digit")
    fig.canvas.draw()
    ax_img, ax_raster = fig.axes[:2]
    _check_rows_line_up(ax_img, ax_raster)
    assert ax_raster.get_xlim() == (-0.5, 29.5)  # half a step of margin: spikes at step 0 stand clear
    np.testing.assert_array_equal(np.asarray(ax_raster.collections[0].get_offsets()), _expected(digit, 30, 0.5, 0))
    with pytest.raises(ValueError, match="one train per pixel"):
        digit_raster_figure(digit, spikes[:, :, :10])
    plt.close(fig)
