"""The shared figure primitives of snnlesson.plot: limits that show every spike, no silent NaN."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import plot  # noqa: E402


@pytest.mark.parametrize("dt", [None, 1e-3])
def test_a_spike_at_step_zero_stands_clear_of_the_spine(dt):
    spikes = torch.zeros(10, 3)
    spikes[0, 1] = 1.0                                              # the first step
    spikes[9, 2] = 1.0                                              # the last step
    fig, ax = plt.subplots()
    artist = plot.raster(spikes, ax, dt=dt)
    x = artist.get_offsets()[:, 0]
    left, right = ax.get_xlim()
    step = 1.0 if dt is None else dt
    assert left == pytest.approx(x.min() - 0.5 * step) and right == pytest.approx(x.max() + 0.5 * step)
    plt.close(fig)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_to_numpy_refuses_nan_and_infinity(bad):
    assert plot.to_numpy(torch.tensor([1, 2])).dtype == np.int64     # keeps the dtype
    with pytest.raises(ValueError, match="NaN or infinity"):
        plot.to_numpy(torch.tensor([0.0, bad]))
    with pytest.raises(ValueError, match="NaN or infinity"):
        plot.to_numpy(np.array([bad]))
