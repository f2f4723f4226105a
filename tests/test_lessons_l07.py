"""Lesson 07: the SynOps build exercise's checker (every catalogued mistake, stubs, bad answers),
the sparsity explorer and the figures.

Reference for the checker: snnlesson.cost.synops, tested against hand counts in test_cost.py.
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import cost  # noqa: E402
from snnlesson.lessons import l07_cost  # noqa: E402


def right(spk_in, spk_out, weight):
    return spk_in.sum(dim=(0, 2)) * weight.shape[0]


def test_right_answer_is_correct():
    result = l07_cost.check_count_synops(right)
    assert result.ok and repr(result).startswith("Correct!")


def test_numpy_answer_is_correct():
    result = l07_cost.check_count_synops(lambda s, o, w: s.numpy().sum(axis=(0, 2)) * w.shape[0])
    assert result.ok


# each mistake as a student would write it, and the words its hint must contain
MISTAKES = [
    (lambda s, o, w: torch.full((s.shape[1],), float(s.shape[0] * s.shape[2] * w.shape[0])), "MACs"),
    (lambda s, o, w: s.sum((0, 2)) * w.shape[1], "OUTGOING"),
    (lambda s, o, w: s.sum(2) * w.shape[0], "one count per time step"),
    (lambda s, o, w: s.mean(0).sum(1) * w.shape[0], "averages over the time steps"),
    (lambda s, o, w: o.sum((0, 2)) * w.shape[0], "ARRIVE"),
    (lambda s, o, w: o.sum((0, 2)) * w.shape[1], "own output spikes, times n_in"),
    (lambda s, o, w: s.sum((0, 2)), "added to n_out membranes"),
    (lambda s, o, w: s.sum() * w.shape[0], "total of the whole batch"),
]


@pytest.mark.parametrize("mistake, hint", MISTAKES)
def test_each_mistake_gets_its_hint(mistake, hint):
    result = l07_cost.check_count_synops(mistake)
    assert not result.ok and result.attempted
    assert repr(result).startswith("Not yet:")
    assert hint in result.message


def test_catalogue_has_five_distinct_mistakes():
    gen = torch.Generator().manual_seed(0)
    s, o, w = (torch.rand(5, 3, 7, generator=gen) < 0.3).float(), (torch.rand(5, 3, 4, generator=gen) < 0.5).float(), \
        torch.zeros(4, 7)
    hints = [h for _, h in l07_cost._mistakes(s, o, w)]
    assert len(set(hints)) == len(hints) >= 5


def test_stub_and_not_a_function():
    def count_synops(spk_in, spk_out, weight):
        ...

    assert repr(l07_cost.check_count_synops(...)).startswith("Not attempted yet")
    assert repr(l07_cost.check_count_synops(count_synops)).startswith("Not attempted yet")
    assert "function" in l07_cost.check_count_synops(42).message


@pytest.mark.parametrize("answer, words", [
    (lambda s, o, w: torch.full((s.shape[1],), math.nan), "NaN"),
    (lambda s, o, w: torch.zeros(2, 2), "shape"),
    (lambda s, o, w: "many", "number"),
    (lambda s, o, w: 1 / 0, "ZeroDivisionError"),
    (lambda s, o, w: right(s, o, w) + 1, "expected"),
])
def test_bad_answers(answer, words):
    result = l07_cost.check_count_synops(answer)
    assert not result.ok and result.attempted and words in result.message


def test_never_returning_answer_is_stopped(monkeypatch):
    monkeypatch.setattr(l07_cost, "TIME_LIMIT_S", 0.3)

    def forever(s, o, w):
        while True:
            pass

    result = l07_cost.check_count_synops(forever)
    assert not result.ok and "did not return" in result.message


def test_hidden_cases_are_not_the_notebooks():
    """A function hard-coding a count for one raster fails."""
    result = l07_cost.check_count_synops(lambda s, o, w: torch.tensor([60.0, 60.0, 60.0]))
    assert not result.ok


def _data(artist):
    if hasattr(artist, "get_offsets"):
        return np.asarray(artist.get_offsets()).copy()
    if hasattr(artist, "get_array") and artist.get_array() is not None:
        return np.ma.filled(np.asarray(artist.get_array(), dtype=float), -1).copy()
    if hasattr(artist, "get_xydata"):
        return np.asarray(artist.get_xydata()).copy()
    if hasattr(artist, "get_height"):
        return np.array([artist.get_height()])
    return np.array([0.0])


def test_sparsity_explorer_moves():
    explorer = l07_cost.sparsity_explorer(penalty=0.0, num_steps=10)
    point, spikes, bar = explorer.dynamic[0], explorer.dynamic[1], explorer.dynamic[5]
    before = (_data(spikes), np.asarray(point.get_xydata()).copy(), bar.get_height())
    explorer.controls["penalty"].value = cost.PENALTIES[2]
    after = (_data(spikes), np.asarray(point.get_xydata()).copy(), bar.get_height())
    assert not np.array_equal(before[0], after[0])
    assert not np.array_equal(before[1], after[1])
    assert before[2] != after[2]
    explorer.controls["num_steps"].value = 5
    assert "5 steps" in explorer.status.value
    assert explorer.dynamic[2].get_x() == 4.5           # the shade starts after step 4
    assert _data(explorer.dynamic[1])[:, 0].max() <= 4
    plt.close(explorer.fig)


def test_sparsity_explorer_refuses_bad_values():
    with pytest.raises(ValueError, match="penalty"):
        l07_cost.sparsity_explorer(penalty=0.5)
    with pytest.raises(TypeError, match="results"):
        l07_cost.sparsity_explorer([1, 2])


def test_figures_have_titles_and_labels():
    model = cost.load_network()
    images = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    counts = cost.network_counts(model, images)
    fig = l07_cost.counts_figure(counts, {"fc1": 78_400, "fc2": 1_000})
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() or ax.get_xticklabels()
        assert ax.get_legend() is not None
    plt.close(fig)
    fig = l07_cost.energy_figure({"spiking": {"float32": 5e5, "int8": 2e4}, "ReLU": {"float32": 4e5, "int8": 1e4}})
    assert fig.axes[0].get_title() and fig.axes[0].get_ylabel() and fig.axes[0].get_legend()
    plt.close(fig)
