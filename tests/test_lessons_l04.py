"""Lesson 04 material: figures, the SRM explorer and the kernel-derivative checker."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import spikeprop as sp  # noqa: E402
from snnlesson import spikeprop_training as tr  # noqa: E402
from snnlesson.lessons import l04_spikeprop as lesson  # noqa: E402


@pytest.fixture(scope="module")
def snapshots():
    return lesson.xor_snapshots(seed=0, epochs=30)


def _labelled(fig):
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), ax
    plt.close(fig)


# ----------------------------------------------------------------------------- figures


def test_time_vs_weight_dt_dw_matches_finite_differences_of_the_spike_time():
    # independent check: difference quotient of spike_time against the weight, on both smooth branches
    scales = np.array([0.8, 0.9, 1.2, 1.6])
    h = 1e-7
    r = lesson.time_vs_weight(scales)
    up, down = lesson.time_vs_weight(scales + h), lesson.time_vs_weight(scales - h)
    numeric = (up["time"] - down["time"]) / (2 * h)
    np.testing.assert_allclose(r["dt_dw"], numeric, rtol=1e-5)
    assert r["count"].tolist() == [1, 1, 1, 1]


def test_time_vs_weight_shows_the_jump_and_the_silence():
    r = lesson.time_vs_weight(np.array([0.6, 0.999, 1.001]))
    assert np.isinf(r["time"][0]) and r["count"][0] == 0 and np.isnan(r["dt_dw"][0])
    assert r["time"][1] - r["time"][2] > 0.008          # crossing the tangent point jumps by ~9 ms


def test_time_vs_weight_panels_share_one_weight_axis():
    # the text reads the three panels together at w = 1: their x-ranges must be identical
    fig = lesson.time_vs_weight_figure()
    limits = [ax.get_xlim() for ax in fig.axes]
    plt.close(fig)
    assert len(limits) == 3
    for lim in limits[1:]:
        np.testing.assert_allclose(lim, limits[0], rtol=0, atol=1e-12)
    assert limits[0][0] < 1.0 < limits[0][1]


def test_every_figure_has_titles_and_labelled_axes(snapshots):
    _labelled(lesson.kernel_figure())
    _labelled(lesson.time_vs_weight_figure())
    _, history = tr.train_xor(3, "online", epochs=40)
    _labelled(lesson.xor_training_figure(history))
    _labelled(lesson.convergence_figure({"a": {"online": history}}, epochs=40))
    result = tr.train_iris(seeds=(0,), epochs=3)
    _labelled(lesson.iris_output_figure(result))
    single = tr.single_neuron_timing(epochs=3)
    _labelled(lesson.timing_histogram(single))


def test_gradient_check_rows_agree():
    xor = tr.xor_weights(1, seed=2)
    from snnlesson.data import xor_spike_times

    data = xor_spike_times()
    rows = lesson.gradient_check([w[0] for w in xor], data.input_times, data.target_times, n=3)
    assert len(rows) == 6
    for _, _, ours, numeric in rows:
        assert ours != 0 and numeric == pytest.approx(ours, rel=1e-5)


def test_xor_snapshots_keep_the_weights_of_every_epoch(snapshots):
    from snnlesson.data import xor_spike_times

    n = snapshots["epochs"]
    assert len(snapshots["weights"]) == n + 1 and snapshots["output_times"].shape == (n + 1, 4)
    last = sp.forward(xor_spike_times().input_times, snapshots["weights"][-1])[-1][:, 0]
    np.testing.assert_allclose(last, snapshots["output_times"][-1], rtol=1e-12)
    assert not np.allclose(snapshots["output_times"][0], snapshots["output_times"][-1])


# ----------------------------------------------------------------------------- explorer


def test_explorer_moves_the_potential_and_the_spike_line(snapshots):
    ex = lesson.srm_explorer(snapshots, pattern=1)
    assert repr(ex) == "Explorer(controls=['epoch', 'pattern', 'weight_scale', 'tau_ms', 'threshold'])"
    ax, ax_train = ex.fig.axes[:2]
    u_line, spike_line = ax.lines[0], ax.lines[2]
    limits = (ax.get_xlim(), ax.get_ylim(), ax_train.get_xlim(), ax_train.get_ylim())
    u_before = np.array(u_line.get_ydata(), dtype=float)
    t_before = spike_line.get_xdata()[0]
    ex.controls["weight_scale"].value = 0.8
    assert spike_line.get_xdata()[0] > t_before                # weaker inputs: a later spike
    assert not np.allclose(np.nan_to_num(u_line.get_ydata()), np.nan_to_num(u_before))
    ex.controls["threshold"].value = 0.7
    assert ax.lines[1].get_ydata()[0] == pytest.approx(0.7)
    ex.controls["tau_ms"].value = 10.0
    ex.controls["epoch"].value = 0
    assert ax_train.lines[-2].get_xdata()[0] == 0              # the epoch marker moved
    assert "epoch 0" in ex.status.value and "loss" in ex.status.value
    assert (ax.get_xlim(), ax.get_ylim(), ax_train.get_xlim(), ax_train.get_ylim()) == limits
    assert ex.image.value[:4] == b"\x89PNG"
    plt.close(ex.fig)


def test_explorer_says_when_the_neuron_is_silent(snapshots):
    ex = lesson.srm_explorer(snapshots)
    ex.controls["weight_scale"].value = 0.02
    assert "silent" in ex.status.value and "silent" in ex.fig.axes[0].get_title()
    assert not ex.fig.axes[0].lines[2].get_visible()
    plt.close(ex.fig)


def test_explorer_spike_time_equals_the_model(snapshots):
    from snnlesson.data import xor_spike_times

    ex = lesson.srm_explorer(snapshots, pattern=3)
    ex.controls["epoch"].value = 5
    expected = sp.forward(xor_spike_times().input_times[3][None], snapshots["weights"][5])[-1][0, 0]
    assert ex.fig.axes[0].lines[2].get_xdata()[0] == pytest.approx(expected * 1e3, abs=1e-9)
    plt.close(ex.fig)


def test_explorer_is_registered_for_the_benchmark():
    from snnlesson.explorer import EXPLORER_DEMOS

    assert "srm_explorer" in EXPLORER_DEMOS


# ----------------------------------------------------------------------------- exercise checker


def stub(s, tau):
    ...


def right(s, tau):   # written from the product rule, independently of the reference
    x = s / tau
    return np.where(s > 0, (1.0 / tau - s / tau ** 2) * math.e * np.exp(-x), 0.0)


def test_checker_not_attempted_for_stubs():
    for answer in (..., None, stub):
        result = lesson.check_kernel_derivative(answer)
        assert not result and not result.attempted


@pytest.mark.parametrize("wrong, word", [
    (lambda s, t: (1 - s / t) * np.exp(1 - s / t) / t, "s <= 0"),
    (lambda s, t: np.where(s > 0, s / t * np.exp(1 - s / t), 0.0), "kernel"),
    (lambda s, t: np.where(s > 0, (1 - s / t) * np.exp(1 - s / t), 0.0), "divide by τ"),
    (lambda s, t: np.where(s > 0, (s / t - 1) * np.exp(1 - s / t) / t, 0.0), "sign"),
    (lambda s, t: np.where(s > 0, (1 - s / t) * np.exp(-s / t) / t, 0.0), "factor e"),
    (lambda s, t: np.zeros(3), "shape"),
    (lambda s, t: 1 / 0, "ZeroDivisionError"),
    (lambda s, t: np.where(s > 0, 2.0, 0.0), "at s ="),
    (lambda s, t: [str(v) for v in right(s, t)], "array of numbers"),   # the right numbers, as text
    (lambda s, t: torch.as_tensor(right(s, t), device="meta"), "cannot be read"),
])
def test_checker_says_what_is_wrong(wrong, word):
    result = lesson.check_kernel_derivative(wrong)
    assert not result and result.attempted
    assert word in result.message


def test_checker_accepts_the_right_answer():
    result = lesson.check_kernel_derivative(right)
    assert result and "Correct" in repr(result)


@pytest.mark.parametrize("call, error, name", [
    (lambda: lesson.srm_explorer({"weights": []}), TypeError, "snapshots"),
    (lambda: lesson.srm_explorer(pattern=4), ValueError, "pattern"),
    (lambda: lesson.kernel_figure(params=float("nan")), TypeError, "params"),
    (lambda: lesson.time_vs_weight([]), ValueError, "scales"),
    (lambda: lesson.xor_snapshots(epochs=0), ValueError, "epochs"),
    (lambda: lesson.timing_histogram({}), TypeError, "result"),
    (lambda: lesson.convergence_figure({}), TypeError, "panels"),
])
def test_lesson_functions_reject_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()


def _legend_outside(fig, ax) -> bool:
    """The legend of ``ax`` lies outside its plotting area (so it can hide no data)."""
    fig.canvas.draw()
    box, area = ax.get_legend().get_window_extent(), ax.bbox
    return box.y1 <= area.y0 or box.y0 >= area.y1 or box.x1 <= area.x0 or box.x0 >= area.x1


def test_legends_stay_off_the_spike_and_target_lines(snapshots):
    # the spike and target lines run the full height of the panel and the traces reach every corner,
    # so a legend inside the axes would sit on them (as it did, over the target line at 10 ms)
    ex = lesson.srm_explorer(snapshots, pattern=1)
    assert _legend_outside(ex.fig, ex.fig.axes[0])
    # the epoch marker sits on the last epoch: the limits are padded so that it clears the right spine
    ax_train = ex.fig.axes[1]
    assert ax_train.get_xlim()[1] > snapshots["epochs"]
    plt.close(ex.fig)
    _, history = tr.train_xor(n_seeds=2, method="online", epochs=5)
    fig = lesson.xor_training_figure(history, network=0)
    assert _legend_outside(fig, fig.axes[0])
    assert "targets 10 and 16 ms" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    # the convergence curves end anywhere from 0 to 1: its legend belongs outside too, and two
    # methods that converge alike (identical curves) must still both be visible (different dashes)
    fig = lesson.convergence_figure({"a": {"online": history, "online again": history}}, epochs=5)
    assert _legend_outside(fig, fig.axes[0])
    assert len({line.get_linestyle() for line in fig.axes[0].get_lines()}) == 2
    plt.close(fig)


def test_checker_accepts_the_right_derivative_computed_in_float32():
    # torch's default dtype: right to about 6e-8, which a 1e-9 tolerance used to call wrong
    assert lesson.check_kernel_derivative(lambda s, t: right(s, t).astype(np.float32))
    assert lesson.check_kernel_derivative(lambda s, t: torch.as_tensor(right(s, t), dtype=torch.float32))
    near_miss = lesson.check_kernel_derivative(lambda s, t: right(s, t) * (1 + 1e-5))
    assert not near_miss and "you return" in near_miss.message
