"""Lesson 03 material: the figures, the two explorers (a move changes the plotted data) and the checker."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import stdp_pattern as pat  # noqa: E402
from snnlesson.explorer import EXPLORER_DEMOS  # noqa: E402
from snnlesson.lessons import l03_stdp as lesson  # noqa: E402
from snnlesson.stdp import STDPParams, pair_sum, window  # noqa: E402


def test_window_explorer_moves_the_window_and_the_bound_panel():
    ex = lesson.window_explorer()
    ax_w, ax_b = ex.fig.axes
    pot, dep = ax_w.lines[-2], ax_w.lines[-1]
    up, down = ax_b.lines[-2], ax_b.lines[-1]
    limits = (ax_w.get_xlim(), ax_w.get_ylim(), ax_b.get_ylim())
    pot_before, dep_before = np.array(pot.get_ydata()), np.array(dep.get_ydata())
    assert np.max(pot_before) == pytest.approx(0.01)
    ex.controls["a_plus"].value = 0.03
    assert np.max(pot.get_ydata()) == pytest.approx(0.03)
    np.testing.assert_array_equal(dep.get_ydata(), dep_before)
    ex.controls["tau_minus"].value = 0.04
    x_ms = np.asarray(dep.get_xdata())
    np.testing.assert_allclose(dep.get_ydata()[x_ms < 0], window(x_ms[x_ms < 0] / 1e3, STDPParams(
        a_plus=0.03, a_minus=0.0105, tau_minus=0.04)), rtol=1e-12)
    assert "potentiation wins" in ex.status.value  # 0.03 * 0.02 > 0.0105 * 0.04
    flat = np.array(up.get_ydata())
    assert np.ptp(flat[(np.asarray(up.get_xdata()) < 0.9)]) < 1e-12  # additive: the same change for every w
    ex.controls["bound_rule"].value = "multiplicative"
    soft = np.asarray(up.get_ydata())
    assert soft[0] == pytest.approx(window(0.01, STDPParams(a_plus=0.03))) and soft[-1] == pytest.approx(0.0)
    assert np.asarray(down.get_ydata())[0] == pytest.approx(0.0)
    assert "multiplicative" in ax_b.get_title()
    assert (ax_w.get_xlim(), ax_w.get_ylim(), ax_b.get_ylim()) == limits
    assert repr(ex) == "Explorer(controls=['a_plus', 'a_minus', 'tau_plus', 'tau_minus', 'bound_rule'])"
    assert ex.image.value[:4] == b"\x89PNG" and ex.last_update_seconds is not None
    plt.close(ex.fig)


@pytest.fixture(scope="module")
def small_runs():
    return lesson.competition_grid(rates=(40.0, 60.0), ratios=(1.0, 1.1), t_stop=4.0, num_inputs=300)


def test_competition_explorer_looks_up_runs(small_runs):
    ex = lesson.competition_explorer(small_runs, time=4.0)
    ax_h, ax_r = ex.fig.axes
    hist = ax_h.patches[-1]
    rate_line = ax_r.lines[0]
    before = np.array(hist.get_data().values)
    ex.controls["time"].value = 1.0
    after = np.array(hist.get_data().values)
    run = small_runs[(40.0, 1.1)]
    np.testing.assert_array_equal(after, np.histogram(run.snapshots[1] / 0.01, bins=np.linspace(0, 1, 21))[0])
    assert not np.array_equal(before, after)
    assert list(ax_r.lines[1].get_xdata()) == [1.0, 1.0]
    curve_before = np.array(rate_line.get_ydata())
    ex.controls["rate"].value = 60.0
    assert not np.array_equal(rate_line.get_ydata(), curve_before)
    assert "60 Hz" in ax_r.get_title() and "t = 1 s" in ax_h.get_title()
    assert "output rate" in ex.status.value
    with pytest.raises(TypeError, match="runs"):
        lesson.competition_explorer({})
    plt.close(ex.fig)


def test_explorers_are_registered_for_the_benchmark():
    assert {"window_explorer", "competition_explorer"} <= set(EXPLORER_DEMOS)


def test_figures_show_what_the_text_says():
    ax = lesson.window_figure()
    assert "ms" in ax.get_xlabel() and ax.get_legend() is not None and ax.get_title()
    fig, run = lesson.pairing_figure(delta_ts=(0.01, -0.01), num_pairs=5)
    assert run.history[10, 0] - 0.5 == pytest.approx(5 * window(0.01), rel=1e-3)
    assert run.weights[0] - run.history[10, 0] == pytest.approx(5 * window(-0.01), rel=1e-3)
    pre, post = [0.008, 0.02, 0.3], [0.002, 0.31]
    fig, run = lesson.traces_figure(pre, post, STDPParams(bound_rule="none"))
    dashed = fig.axes[2].lines[1]
    assert dashed.get_ydata()[0] == pytest.approx(pair_sum(pre, post, STDPParams()))
    assert run.weights[0] == pytest.approx(pair_sum(pre, post, STDPParams()), abs=1e-14)
    assert all(a.get_ylabel() for a in fig.axes)
    plt.close("all")


def test_pattern_figures_on_a_small_run():
    params = pat.PatternInputParams(num_afferents=100, num_pattern=50)
    inp = pat.pattern_input(2.0, params, seed=0)
    result = pat.simulate_pattern(inp, pat.SRMParams(threshold=25.0), record=[(0.0, 0.5), (1.5, 2.0)])
    assert result.trace_times.size > 100
    fig = lesson.pattern_figure(inp, result, threshold=25.0)
    assert len(fig.axes) == 4 and all(a.get_xlabel() and a.get_ylabel() for a in fig.axes)
    assert f"{result.spike_times.size} output spikes" in fig.axes[0].get_title()
    fig = lesson.input_raster_figure(inp, num_shown=20)
    assert fig.axes[0].get_xlabel() == "time (s)" and fig.axes[0].get_legend() is not None
    plt.close("all")


def good(delta_t, a_plus, a_minus, tau_plus, tau_minus):
    d = np.asarray(delta_t, float)
    return np.where(d > 0, a_plus * np.exp(-d / tau_plus), np.where(d < 0, -a_minus * np.exp(d / tau_minus), 0.0))


def test_checker_stub_correct_and_wrong_answers():
    def stub(delta_t, a_plus, a_minus, tau_plus, tau_minus):
        ...

    result = lesson.check_stdp_window(stub)
    assert not result and not result.attempted and "returns nothing yet" in result.message
    assert not lesson.check_stdp_window(...).attempted
    assert lesson.check_stdp_window(good)
    wrong = {
        "negative": lambda d, ap, am, tp, tm: np.abs(good(d, ap, am, tp, tm)),
        "swapped": lambda d, ap, am, tp, tm: np.where(d < 0, ap * np.exp(d / tp),
                                                      np.where(d > 0, -am * np.exp(-d / tm), 0)),
        "tau_plus belongs": lambda d, ap, am, tp, tm: good(d, ap, am, tm, tp),
        "W(0) must be 0": lambda d, ap, am, tp, tm: np.where(d >= 0, ap * np.exp(-d / tp), -am * np.exp(d / tm)),
        "shape": lambda d, ap, am, tp, tm: good(d, ap, am, tp, tm)[:-1],
        "raised ZeroDivisionError": lambda d, ap, am, tp, tm: 1 / 0,
        "expected": lambda d, ap, am, tp, tm: 1.1 * good(d, ap, am, tp, tm),
        # the right numbers as text: np.asarray(..., dtype=float) would have converted them
        "array of numbers": lambda d, ap, am, tp, tm: [str(v) for v in good(d, ap, am, tp, tm)],
        "cannot be read": lambda d, ap, am, tp, tm: torch.as_tensor(good(d, ap, am, tp, tm), device="meta"),
    }
    for phrase, fn in wrong.items():
        result = lesson.check_stdp_window(fn)
        assert not result and result.attempted and phrase in result.message, (phrase, result.message)
    assert "function" in lesson.check_stdp_window(0.5).message


def _crosses(box, vertices) -> bool:
    """Whether a polyline of axis-aligned segments (display coordinates) enters ``box``."""
    for (x0, y0), (x1, y1) in zip(vertices[:-1], vertices[1:]):
        if min(x0, x1) < box.x1 and max(x0, x1) > box.x0 and min(y0, y1) < box.y1 and max(y0, y1) > box.y0:
            return True
    return False


def test_competition_figure_keeps_its_legend_off_the_bars():
    # a narrow, tall peak under the legend's default place (as multiplicative bounds give)
    from snnlesson import stdp_competition as comp
    rng = np.random.default_rng(0)
    start = rng.uniform(0, comp.G_MAX, 1000)
    peak = comp.G_MAX * np.clip(rng.normal(0.5, 0.02, 1000), 0, 1)
    short = comp.simulate_competition(0.2, comp.CompetitionParams(num_inputs=10), seed=0)
    additive = short._replace(initial_weights=start, weights=start)
    fig = lesson.competition_figure(additive, short._replace(initial_weights=start, weights=peak))
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    for patch in ax.patches:
        vertices = patch.get_transform().transform(patch.get_path().vertices)
        assert not _crosses(box, vertices), patch
    plt.close(fig)


def test_traces_figure_pads_time_so_a_spike_at_the_start_clears_the_spine():
    fig, _ = lesson.traces_figure([0.008, 0.3], [0.002, 0.31], STDPParams(bound_rule="none"))
    assert fig.axes[2].get_xlim()[0] < 0.0
    plt.close(fig)


def test_checker_accepts_the_right_window_computed_in_float32():
    # torch's default dtype: right to about 6e-8, which a 1e-9 tolerance used to call wrong
    assert lesson.check_stdp_window(lambda *a: good(*a).astype(np.float32))
    assert lesson.check_stdp_window(lambda *a: torch.as_tensor(good(*a), dtype=torch.float32))
    near_miss = lesson.check_stdp_window(lambda *a: good(*a) * (1 + 1e-5))
    assert not near_miss and "you return" in near_miss.message
    shown = near_miss.message.split("you return ")[1].split(" (for")[0]
    assert shown.split(", expected ")[0] != shown.split(", expected ")[1]   # digits that differ


def test_competition_rates_of_every_run_stay_readable_on_the_fixed_rate_axis(small_runs):
    # a runaway run (hundreds of Hz) fixed a linear axis so high that a 20 Hz curve lay flat on the floor
    ex = lesson.competition_explorer(small_runs, time=4.0)
    ax_r = ex.fig.axes[1]
    rate_line = ax_r.lines[0]
    for rate in ex.controls["rate"].options:
        for ratio in ex.controls["ratio"].options:
            ex.controls["rate"].value, ex.controls["ratio"].value = rate, ratio
            t, r = map(np.asarray, rate_line.get_data())
            _, y_top = ax_r.transAxes.inverted().transform(ax_r.transData.transform((t[0], r.max())))
            assert r.max() <= 1.0 or y_top > 0.3, (rate, ratio, r.max(), y_top)  # the curve's peak, in axes height
            assert y_top <= 1.0
    plt.close(ex.fig)


def test_checker_tries_delta_t_near_zero_on_both_sides():
    """A window that is 0 within 3 ms of delta_t = 0 (right elsewhere) used to pass: the old checker's
    delta_t jumped from -5 ms to +4 ms. Reference: snnlesson.stdp.window, W(+-1 ms) = A+-e^(-1/tau)."""
    def flat_near_zero(d, ap, am, tp, tm):
        return np.where(np.abs(np.asarray(d)) < 0.003, 0.0, good(d, ap, am, tp, tm))

    def wrong_sign_just_before_zero(d, ap, am, tp, tm):  # potentiation leaks 3 ms into delta_t < 0
        d = np.asarray(d, float)
        return np.where((d < 0) & (d > -0.003), ap * np.exp(d / tp), good(d, ap, am, tp, tm))

    for fn in (flat_near_zero, wrong_sign_just_before_zero):
        result = lesson.check_stdp_window(fn)
        assert not result and result.attempted and "you return" in result.message, result.message
    near = lesson._WINDOW_DELTA_T[np.abs(lesson._WINDOW_DELTA_T) < 0.005]
    assert (near < 0).sum() >= 2 and (near > 0).sum() >= 2 and 0.0 in near


def test_checker_says_not_yet_for_a_missing_value_at_zero():
    """A list with None at delta_t = 0 is an attempt with one value missing, not an untouched stub."""
    def none_at_zero(delta_t, a_plus, a_minus, tau_plus, tau_minus):
        return [a_plus * np.exp(-d / tau_plus) if d > 0 else -a_minus * np.exp(d / tau_minus) if d < 0 else None
                for d in delta_t]

    result = lesson.check_stdp_window(none_at_zero)
    assert not result and result.attempted, result
    assert repr(result).startswith("Not yet:") and "value at delta_t = 0 is missing" in result.message
    assert "W(0) = 0" in result.message

    def none_everywhere_negative(delta_t, a_plus, a_minus, tau_plus, tau_minus):
        return [a_plus * np.exp(-d / tau_plus) if d > 0 else 0.0 if d == 0 else None for d in delta_t]

    result = lesson.check_stdp_window(none_everywhere_negative)
    assert not result and result.attempted and "every delta_t needs a number" in result.message
    # a function that returns nothing at all is still "not attempted yet"
    assert not lesson.check_stdp_window(lambda *a: None).attempted


def test_checker_hints_swapped_amplitudes():
    def swapped(d, ap, am, tp, tm):
        return good(d, am, ap, tp, tm)

    result = lesson.check_stdp_window(swapped)
    assert not result and "a_plus and a_minus are swapped" in result.message, result.message


def test_competition_explorer_legends_stay_off_every_curve(small_runs):
    """The legends sit outside both panels, so no rate curve (the runaway A-/A+ = 1 run reaches the top right)
    and no histogram bar can hide behind one, at any setting."""
    ex = lesson.competition_explorer(small_runs, time=4.0)
    ex.fig.canvas.draw()
    for ax in ex.fig.axes:
        legend_box, axes_box = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert not legend_box.overlaps(axes_box), (legend_box, axes_box)
        assert legend_box.y0 >= 0  # still on the figure
    plt.close(ex.fig)


def test_correlation_figure_draws_the_group_apart_from_the_rest():
    from snnlesson import stdp_competition as comp
    params = comp.CompetitionParams(num_inputs=200, rate=40.0, num_correlated=40, correlation=0.2)
    run = comp.simulate_competition(2.0, params, seed=0)
    control = comp.simulate_competition(2.0, comp.CompetitionParams(num_inputs=200, rate=40.0), seed=0)
    fig = lesson.correlation_figure(run, 40, control)
    ax_w, ax_t = fig.axes
    rest, grp = ax_w.lines
    np.testing.assert_allclose(grp.get_ydata(), run.weights[:40] / comp.G_MAX)
    np.testing.assert_allclose(rest.get_ydata(), run.weights[40:] / comp.G_MAX)
    np.testing.assert_allclose(ax_t.lines[0].get_ydata(), run.snapshots[:, :40].mean(axis=1) / comp.G_MAX)
    np.testing.assert_allclose(ax_t.lines[2].get_ydata(), control.snapshots[:, :40].mean(axis=1) / comp.G_MAX)
    assert len(ax_t.lines) == 3 and all(a.get_xlabel() and a.get_ylabel() and a.get_title() for a in fig.axes)
    assert "correlated group" in [t.get_text() for t in ax_t.get_legend().get_texts()]
    with pytest.raises(ValueError, match="num_correlated"):
        lesson.correlation_figure(run, 200)
    with pytest.raises(TypeError, match="control"):
        lesson.correlation_figure(run, 40, control="none")
    plt.close(fig)
