"""Lesson 00's explorer and exercise checker, driven without a browser."""

import numpy as np
import pytest
import torch

from snnlesson import checks, data
from snnlesson.widgets.start import digit_raster_explorer

pytest.importorskip("snnlesson.encoding")


@pytest.fixture(scope="module")
def digit():
    return data.as_tensors(data.mnist(train=False, source="offline", verbose=False))[0][0]


def _points(explorer):
    return explorer.fig.axes[1].collections[0].get_offsets().copy()


def test_slider_moves_change_the_plotted_raster(digit):
    explorer = digit_raster_explorer(digit, seed=0, num_steps=40, gain=0.5)
    before = _points(explorer)
    assert len(before) > 0 and before[:, 0].max() < 40
    explorer.controls["num_steps"].value = 120
    longer = _points(explorer)
    assert longer[:, 0].max() >= 40 and len(longer) > len(before)
    assert explorer.fig.axes[1].get_xlim() == (-0.5, 119.5)
    explorer.controls["gain"].value = 0.0
    assert len(_points(explorer)) == 0
    assert "0 spikes" in explorer.fig.axes[1].get_title()


def test_redraws_with_the_same_values_are_identical(digit):
    explorer = digit_raster_explorer(digit, seed=3)
    first = _points(explorer)
    explorer.controls["gain"].value = 0.9
    explorer.controls["gain"].value = 0.5
    assert np.array_equal(first, _points(explorer))


def test_spikes_come_only_from_pixels_with_ink(digit):
    explorer = digit_raster_explorer(digit, seed=1, num_steps=200, gain=1.0)
    pixels = _points(explorer)[:, 1].astype(int)
    assert (digit.reshape(-1)[pixels] > 0).all()


def test_explorer_rejects_a_non_digit():
    with pytest.raises(ValueError, match="image"):
        digit_raster_explorer(torch.zeros(3, 3))


def test_spike_count_checker_says_what_is_wrong():
    spikes = torch.zeros(5, 1, 2, 2)
    spikes[0, 0, 0, 0] = spikes[2, 0, 1, 1] = spikes[2, 0, 0, 1] = 1
    assert checks.check_spike_count(3, spikes)
    result = checks.check_spike_count(1, spikes)
    assert not result and "holds 3 spikes" in result.message and "one time step" in result.message
    assert "whole number" in checks.check_spike_count("many", spikes).message
