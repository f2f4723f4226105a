"""STDP (lesson 03): the window, the double sum, the online traces, competition and pattern detection.

Independent references: the analytic window; brute-force loops over spike pairs written here
(all-to-all, nearest and reduced-nearest pairing); a plain kernel-sum simulation of the
spike-response neuron; the published results of Song, Miller & Abbott (2000: bimodal weights,
falling output rate; multiplicative bounds: unimodal) and of Masquelier, Guyonneau & Thorpe
(2008) as replicated by Hathway & Goodman (2018: the pattern is found; nearest pairing fails).
"""

import dataclasses
import math

import numpy as np
import pytest

from snnlesson import stdp_competition as comp
from snnlesson import stdp_pattern as pat
from snnlesson.stdp import STDPParams, apply_change, online_stdp, pair_sum, window

# ----------------------------------------------------------------------------------- the window


def test_window_is_the_analytic_exponential_on_both_sides():
    p = STDPParams(a_plus=0.02, a_minus=0.03, tau_plus=0.015, tau_minus=0.04)
    assert window(0.01, p) == pytest.approx(0.02 * math.exp(-0.01 / 0.015), rel=1e-14)
    assert window(-0.01, p) == pytest.approx(-0.03 * math.exp(-0.01 / 0.04), rel=1e-14)
    assert window(0.0, p) == 0.0
    w = window(np.array([-0.05, -1e-6, 0.0, 1e-6, 0.05]), p)
    assert w.shape == (5,)
    assert list(np.sign(w)) == [-1, -1, 0, 1, 1]
    assert w[3] == pytest.approx(0.02, rel=1e-3) and w[1] == pytest.approx(-0.03, rel=1e-3)


def test_window_refuses_nan_and_text():
    with pytest.raises(ValueError, match="delta_t"):
        window(np.array([0.01, np.nan]))
    with pytest.raises(TypeError, match="delta_t"):
        window("soon")


@pytest.mark.parametrize("kwargs, name", [
    ({"tau_plus": -0.02}, "tau_plus"), ({"tau_minus": 0.0}, "tau_minus"), ({"a_minus": -0.01}, "a_minus"),
    ({"a_plus": -1.0}, "a_plus"), ({"w_min": 1.0, "w_max": 0.5}, "w_min"), ({"a_plus": float("nan")}, "a_plus"),
    ({"pairing": "closest"}, "pairing"), ({"bound_rule": "soft"}, "bound_rule"),
])
def test_params_refuse_bad_values_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        STDPParams(**kwargs)


@pytest.mark.parametrize("kwargs, name", [({"tau_plus": "20 ms"}, "tau_plus"), ({"a_plus": True}, "a_plus"),
                                          ({"pairing": 1}, "pairing")])
def test_params_refuse_wrong_types_naming_the_parameter(kwargs, name):
    with pytest.raises(TypeError, match=name):
        STDPParams(**kwargs)


# ------------------------------------------------------------------ the double sum and the traces


def brute_pair_sum(pre, post, p):
    total = 0.0
    for tn in post:
        for tf in pre:
            d = tn - tf
            total += p.a_plus * math.exp(-d / p.tau_plus) if d > 0 else (
                -p.a_minus * math.exp(d / p.tau_minus) if d < 0 else 0.0)
    return total


def random_trains(rng, num, rate=30.0, t_stop=1.0):
    return [np.sort(rng.uniform(0, t_stop, rng.poisson(rate * t_stop))) for _ in range(num)]


def test_pair_sum_equals_a_loop_over_pairs():
    rng = np.random.default_rng(1)
    p = STDPParams()
    pre, post = random_trains(rng, 2)
    assert pair_sum(pre, post, p) == pytest.approx(brute_pair_sum(pre, post, p), rel=1e-12, abs=1e-15)
    assert pair_sum([0.0], [0.01], p) == pytest.approx(p.a_plus * math.exp(-0.5), rel=1e-14)
    assert pair_sum([], [0.01], p) == 0.0


@pytest.mark.parametrize("bad, error", [([0.2, 0.1], ValueError), ([0.1, float("nan")], ValueError),
                                        ([[0.1, 0.2]], ValueError), ("0.1", TypeError)])
def test_spike_times_must_be_sorted_finite_numbers(bad, error):
    with pytest.raises(error, match="pre_times"):
        pair_sum(bad, [0.5])
    with pytest.raises(error, match="post_times"):
        online_stdp([0.5], bad)


def test_online_all_to_all_without_bounds_equals_the_double_sum():
    rng = np.random.default_rng(2)
    p = STDPParams(bound_rule="none", pairing="all-to-all")
    for _ in range(3):
        pres = random_trains(rng, 6, rate=40.0)
        post = np.sort(rng.uniform(0, 1, 25))
        result = online_stdp(pres, post, p, weights=0.0)
        expected = [pair_sum(q, post, p) for q in pres]
        np.testing.assert_allclose(result.weights, expected, rtol=0, atol=1e-12)
    # a pre and a post spike at the same time change nothing (W(0) = 0), online too
    same = online_stdp([0.1, 0.3], [0.3], p, weights=0.0)
    assert same.weights[0] == pytest.approx(brute_pair_sum([0.1, 0.3], [0.3], p), abs=1e-15)


def direct_nearest(pre, post, p, reduced=False):
    """Nearest-neighbour STDP from the spike lists: each post spike pairs with the latest pre spike before
    it, each pre spike with the latest post spike before it; ``reduced``: only if no spike of the same
    neuron came in between (the first post after a pre, the first pre after a post)."""
    total = 0.0
    for n, tn in enumerate(post):
        earlier = pre[pre < tn]
        if earlier.size and (not reduced or n == 0 or earlier[-1] > post[n - 1]):
            total += p.a_plus * math.exp(-(tn - earlier[-1]) / p.tau_plus)
    for f, tf in enumerate(pre):
        earlier = post[post < tf]
        if earlier.size and (not reduced or f == 0 or earlier[-1] > pre[f - 1]):
            total -= p.a_minus * math.exp(-(tf - earlier[-1]) / p.tau_minus)
    return total


@pytest.mark.parametrize("pairing", ["nearest", "reduced-nearest"])
def test_online_nearest_pairings_equal_a_direct_nearest_neighbour_computation(pairing):
    rng = np.random.default_rng(3)
    p = STDPParams(bound_rule="none", pairing=pairing)
    pres = random_trains(rng, 8, rate=60.0)
    post = np.sort(rng.uniform(0, 1, 20))
    result = online_stdp(pres, post, p, weights=0.0)
    expected = [direct_nearest(q, post, p, reduced=pairing == "reduced-nearest") for q in pres]
    np.testing.assert_allclose(result.weights, expected, rtol=0, atol=1e-12)
    # the three pairings differ on these trains
    ata = online_stdp(pres, post, dataclasses.replace(p, pairing="all-to-all"), weights=0.0)
    assert np.max(np.abs(ata.weights - result.weights)) > 1e-3


def test_one_pair_history_and_bounds():
    p = STDPParams(a_plus=0.3, a_minus=0.3, w_min=0.0, w_max=1.0)
    run = online_stdp([0.010, 0.050, 0.090], [0.015, 0.055, 0.095], p, weights=0.9)
    assert run.history.shape == (7, 1)
    assert np.all(run.history <= 1.0) and run.weights[0] == 1.0  # clipped at w_max
    soft = online_stdp([0.010], [0.015], dataclasses.replace(p, bound_rule="multiplicative"), weights=0.9)
    assert soft.weights[0] == pytest.approx(0.9 + 0.3 * math.exp(-0.25) * 0.1, rel=1e-12)
    assert apply_change(np.array([0.0]), 0.0, 0.5, dataclasses.replace(p, bound_rule="multiplicative"))[0] == 0.0
    with pytest.raises(ValueError, match="weights"):
        online_stdp([0.1], [0.2], p, weights=float("nan"))


# --------------------------------------------------------------------------------- competition


def test_poisson_inputs_rate_grid_and_traces():
    steps, inputs, x = comp.poisson_inputs(200, 20.0, 20_000, 1e-4, seed=1, tau_plus=0.02)
    assert np.all(np.diff(steps) >= 0)
    counts = np.bincount(inputs, minlength=200)
    expected = 200 * 20.0 * 2.0
    assert abs(counts.sum() - expected) < 5 * math.sqrt(expected)
    assert len(set(zip(steps.tolist(), inputs.tolist()))) == steps.size  # at most one spike per step
    own = np.nonzero(inputs == 7)[0]
    t = steps[own] * 1e-4
    direct = [np.sum(np.exp(-(t[k] - t[:k + 1]) / 0.02)) for k in range(t.size)]
    np.testing.assert_allclose(x[own], direct, rtol=1e-12)
    again = comp.poisson_inputs(200, 20.0, 20_000, 1e-4, seed=1)
    np.testing.assert_array_equal(again[0], steps)


@pytest.mark.parametrize("bound_rule", ["additive", "multiplicative"])
@pytest.mark.parametrize("pairing", ["all-to-all", "nearest"])
def test_fast_competition_loop_learns_exactly_as_the_online_rule(bound_rule, pairing):
    params = comp.CompetitionParams(num_inputs=300, rate=50.0)
    rule = dataclasses.replace(comp.song_stdp(bound_rule=bound_rule), pairing=pairing)
    result = comp.simulate_competition(1.0, params, rule, seed=3)
    w0, steps, inputs, _ = comp.competition_inputs(1.0, params, rule, seed=3)
    assert result.spike_times.size > 20
    pres = [steps[inputs == j] * params.dt for j in range(params.num_inputs)]
    replay = online_stdp(pres, result.spike_times, rule, weights=w0, history=False)
    np.testing.assert_allclose(result.weights, replay.weights, rtol=0, atol=1e-15)
    assert np.max(np.abs(result.weights - w0)) > 1e-4


def test_additive_competition_makes_weights_bimodal_and_slows_the_neuron():
    # Song, Miller & Abbott (2000), Fig. 2: weights pile up at 0 and g_max; the rate drops (40 s suffice)
    result = comp.simulate_competition(40.0, seed=0)
    assert not comp.is_bimodal(result.initial_weights)
    assert comp.is_bimodal(result.weights)
    low, high = comp.weight_fractions(result.weights)
    assert low > 0.25 and high > 0.15
    assert comp.output_rate(result.spike_times, 35, 40) < 0.8 * comp.output_rate(result.spike_times, 0, 5)
    assert result.snapshots.shape == (41, 1000) and result.snapshot_times[-1] == pytest.approx(40.0)
    assert np.all((result.weights >= 0) & (result.weights <= comp.G_MAX))


def test_multiplicative_bounds_give_one_peak():
    # Rubin, Lee & Sompolinsky (2001): soft bounds on both sides keep the weights together in one peak
    result = comp.simulate_competition(20.0, stdp=comp.song_stdp(bound_rule="multiplicative"), seed=0)
    assert not comp.is_bimodal(result.weights)
    low, high = comp.weight_fractions(result.weights)
    assert low < 0.02 and high < 0.02
    assert np.std(result.weights) < 0.5 * np.std(result.initial_weights)


def test_correlated_group_has_the_rate_and_the_correlation_asked_for():
    """Kuhn, Aertsen & Rotter (2003), multiple interaction process: children of a mother train at rate r/c,
    each keeping a spike with probability c, are Poisson at rate r with pairwise count correlation c (for
    r dt << 1); the other inputs stay independent. Traces: the direct sum over each input's earlier spikes."""
    params = comp.CompetitionParams(num_inputs=120, rate=15.0, num_correlated=60, correlation=0.2)
    _, steps, inputs, x = comp.competition_inputs(20.0, params, comp.song_stdp(), seed=1)
    assert np.all(np.diff(steps) >= 0) and len(set(zip(steps.tolist(), inputs.tolist()))) == steps.size
    counts = np.bincount(inputs, minlength=120)
    expected = 15.0 * 20.0
    assert abs(counts[:60].mean() - expected) < 5 * math.sqrt(expected / 60)
    assert abs(counts[60:].mean() - expected) < 5 * math.sqrt(expected / 60)
    raster = np.zeros((120, 200_000))
    raster[inputs, steps] = 1.0
    c = np.corrcoef(raster)
    pairs = np.triu_indices(60, 1)
    assert abs(c[:60, :60][pairs].mean() - 0.2) < 0.02      # ~1770 pairs, each with ~60 shared spikes
    assert abs(c[:60, 60:].mean()) < 0.005 and abs(c[60:, 60:][pairs].mean()) < 0.005
    for j in (3, 70):  # one input of the group, one independent input
        own = np.nonzero(inputs == j)[0]
        t = steps[own] * 1e-4
        direct = [np.sum(np.exp(-(t[k] - t[:k + 1]) / 0.02)) for k in range(t.size)]
        np.testing.assert_allclose(x[own], direct, rtol=1e-12)


def test_no_correlation_draws_exactly_the_independent_inputs():
    base = comp.competition_inputs(2.0, comp.CompetitionParams(num_inputs=50), comp.song_stdp(), seed=4)
    for params in (comp.CompetitionParams(num_inputs=50, num_correlated=20, correlation=0.0),
                   comp.CompetitionParams(num_inputs=50, num_correlated=0, correlation=0.3)):
        for a, b in zip(base, comp.competition_inputs(2.0, params, comp.song_stdp(), seed=4)):
            np.testing.assert_array_equal(a, b)
    whole = comp.CompetitionParams(num_inputs=30, num_correlated=30, correlation=1.0)  # 30 copies of one train
    _, steps, inputs, _ = comp.competition_inputs(2.0, whole, comp.song_stdp(), seed=4)
    trains = [steps[inputs == j] for j in range(30)]
    assert trains[0].size > 10 and all(np.array_equal(trains[0], t) for t in trains)


def test_fast_competition_loop_learns_as_the_online_rule_with_correlated_input():
    # many spikes arrive in the same step: the event loop must still equal the online rule
    params = comp.CompetitionParams(num_inputs=300, rate=50.0, num_correlated=100, correlation=0.3)
    rule = comp.song_stdp()
    result = comp.simulate_competition(1.0, params, rule, seed=2)
    w0, steps, inputs, _ = comp.competition_inputs(1.0, params, rule, seed=2)
    assert result.spike_times.size > 20
    pres = [steps[inputs == j] * params.dt for j in range(params.num_inputs)]
    replay = online_stdp(pres, result.spike_times, rule, weights=w0, history=False)
    np.testing.assert_allclose(result.weights, replay.weights, rtol=0, atol=1e-15)


def test_a_correlated_group_wins_the_competition():
    """Song, Miller & Abbott (2000): with additive STDP, correlated inputs are strengthened at the expense of
    the uncorrelated ones. The same inputs without correlation (same seed, same initial weights) do not win."""
    params = comp.CompetitionParams(num_correlated=100, correlation=0.1)
    result = comp.simulate_competition(30.0, params, seed=0)
    control = comp.simulate_competition(30.0, seed=0)
    np.testing.assert_array_equal(result.initial_weights, control.initial_weights)
    w, w_control = result.weights / comp.G_MAX, control.weights / comp.G_MAX
    assert np.mean(w[:100] > 0.8) > 0.95 and w[100:].mean() < 0.45
    assert abs(w_control[:100].mean() - w_control[100:].mean()) < 0.1


@pytest.mark.parametrize("kwargs, error, name", [
    ({"num_correlated": 1001}, ValueError, "num_correlated"), ({"num_correlated": -1}, ValueError, "num_correlated"),
    ({"num_correlated": 2.5}, TypeError, "num_correlated"), ({"correlation": 1.5}, ValueError, "correlation"),
    ({"correlation": -0.1}, ValueError, "correlation"), ({"correlation": float("nan")}, ValueError, "correlation"),
    ({"correlation": "high"}, TypeError, "correlation"),
    ({"num_correlated": 10, "correlation": 0.001}, ValueError, "correlation"),  # mother train above 1 per step
])
def test_correlated_group_refuses_bad_values(kwargs, error, name):
    with pytest.raises(error, match=name):
        comp.CompetitionParams(**kwargs)


@pytest.mark.parametrize("kwargs, name", [({"tau_m": -0.01}, "tau_m"), ({"rate": -1.0}, "rate"),
                                          ({"dt": 0.01}, "dt"), ({"v_threshold": -0.07}, "v_threshold"),
                                          ({"num_inputs": 0}, "num_inputs")])
def test_competition_params_refuse_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        comp.CompetitionParams(**kwargs)


def test_competition_refuses_bad_rules_and_weights():
    with pytest.raises(ValueError, match="pairing"):
        comp.simulate_competition(0.1, stdp=STDPParams(pairing="reduced-nearest", w_max=0.01))
    with pytest.raises(ValueError, match="initial_weights"):
        comp.simulate_competition(0.1, initial_weights=0.5)
    with pytest.raises(TypeError, match="stdp"):
        comp.simulate_competition(0.1, stdp="additive")
    with pytest.raises(ValueError, match="g_max"):
        comp.song_stdp(g_max=-0.01)


# ------------------------------------------------------------------------- pattern detection


def test_srm_kernel_peaks_at_one():
    n = pat.SRMParams()
    s = np.linspace(0, 0.05, 200_001)
    eps = n.k * (np.exp(-s / n.tau_m) - np.exp(-s / n.tau_s))
    assert eps.max() == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="tau_s"):
        pat.SRMParams(tau_s=0.02)
    with pytest.raises(ValueError, match="threshold"):
        pat.SRMParams(threshold=-1.0)


def test_pattern_input_hides_an_exact_repeat():
    p = pat.PatternInputParams(num_afferents=200, num_pattern=100, jitter=0.0, noise_rate=0.0)
    inp = pat.pattern_input(10.0, p, seed=4)
    starts = inp.pattern_starts
    assert starts.size == 50 and np.min(np.diff(starts)) >= 0.1 - 1e-9  # a quarter, never two in a row
    copies = []
    for s in starts[:5]:
        t, a = inp.window(s, s + 0.05)
        copies.append(sorted(zip(a[a < 100].tolist(), np.round(t[a < 100] - s, 9).tolist())))
    assert all(c == copies[0] for c in copies) and len(copies[0]) > 50
    full = pat.pattern_input(10.0, pat.PatternInputParams(num_afferents=200, num_pattern=100), seed=4)
    rate = full.times.size / (10.0 * 200)
    assert 55 < rate < 72  # 64 Hz on average in the original
    assert np.all(np.diff(full.times) >= 0) and np.all((full.times >= 0) & (full.times < 10.0))
    # no afferent is silent for more than 50 ms + one bin (noise only adds spikes); a pattern afferent's silence
    # can run into a pattern window, where its spikes are those of the pattern
    gaps = [np.max(np.diff(full.times[full.afferents == j])) for j in range(200)]
    assert max(gaps[100:]) <= 0.051 and max(gaps[:100]) < 0.11  # the forced spike lies in a 1 ms bin


def reference_srm(inp, neuron, rule, w0, t_stop):
    """A plain event loop from the kernels: u = eta(t - t_post) + sum of w * eps over inputs since then,
    evaluated at every input spike; the crossing located by bisection as in the simulator."""
    k, theta = neuron.k, neuron.threshold
    w = np.full(inp.params.num_afferents, w0)
    t_pre = np.full(w.size, -np.inf)
    x_armed = np.zeros(w.size, bool)
    y_armed = np.zeros(w.size, bool)
    t_post, t_ref = -np.inf, 0.0
    psp_t, psp_w, spikes = [], [], []

    def u(t):
        s = t - t_post
        value = 0.0 if s == np.inf else theta * (neuron.k1 * math.exp(-s / neuron.tau_m) - neuron.k2 * (
            math.exp(-s / neuron.tau_m) - math.exp(-s / neuron.tau_s)))
        for tf, wf in zip(psp_t, psp_w):
            value += wf * k * (math.exp(-(t - tf) / neuron.tau_m) - math.exp(-(t - tf) / neuron.tau_s))
        return value

    times, aff = inp.window(0.0, t_stop)
    prev = 0.0
    for t, j in zip(times.tolist(), aff.tolist()):
        if t >= t_ref and u(t) >= theta:
            lo, hi = max(prev, t_ref), t
            if u(lo) < theta:
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (lo, mid) if u(mid) >= theta else (mid, hi)
            else:
                hi = lo
            spikes.append(hi)
            w = np.clip(w + np.where(x_armed, rule.a_plus * np.exp(-(hi - t_pre) / rule.tau_plus), 0), 0, 1)
            x_armed[:] = False
            y_armed[:] = True
            t_post, t_ref, psp_t, psp_w = hi, hi + neuron.refractory, [], []
        psp_t.append(t)
        psp_w.append(w[j])
        if y_armed[j]:
            w[j] = max(w[j] - rule.a_minus * math.exp(-(t - t_post) / rule.tau_minus), 0.0)
            y_armed[j] = False
        t_pre[j], x_armed[j] = t, True
        prev = t
    return np.array(spikes), w


def test_pattern_simulator_equals_a_plain_kernel_loop_and_the_online_rule():
    p = pat.PatternInputParams(num_afferents=40, num_pattern=20)
    inp = pat.pattern_input(1.0, p, seed=5)
    neuron = pat.SRMParams(threshold=8.0)
    rule = pat.masquelier_stdp()
    result = pat.simulate_pattern(inp, neuron, rule, initial_weight=0.6)
    spikes, weights = reference_srm(inp, neuron, rule, 0.6, 1.0)
    assert spikes.size > 10
    np.testing.assert_allclose(result.spike_times, spikes, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.weights, weights, rtol=0, atol=1e-9)
    # the same weights from snnlesson.stdp's online rule, given the input and output spikes
    times, aff = inp.window(0.0, 1.0)
    replay = online_stdp([times[aff == j] for j in range(40)], result.spike_times, rule, weights=0.6,
                         history=False)
    np.testing.assert_allclose(result.weights, replay.weights, rtol=0, atol=1e-12)


def test_the_neuron_finds_the_pattern_and_nearest_pairing_does_not():
    # Masquelier et al. (2008): selective after about 13.5 s (700 discharges), latency below 10 ms.
    inp = pat.pattern_input(30.0, seed=1)
    result = pat.simulate_pattern(inp)
    early = pat.score_pattern(result.spike_times, inp.pattern_starts, 0.0, 5.0)
    late = pat.score_pattern(result.spike_times, inp.pattern_starts, 20.0, 30.0)
    assert early.false_alarms > 100 and not early.success
    assert late.success and late.hit_rate > 0.98 and late.false_alarms == 0 and late.mean_latency < 0.010
    # the strongest synapses all come from pattern afferents (Hathway & Goodman 2018, Fig. 4)
    assert np.sum(result.weights[:1000] > 0.95) > 50 and np.sum(result.weights[1000:] > 0.95) == 0
    assert np.mean(result.weights[1000:]) < 0.2  # from 0.475
    # Hathway & Goodman (2018): with plain nearest pairing the neuron falls silent within seconds
    nearest = pat.simulate_pattern(inp, stdp=pat.masquelier_stdp("nearest"), t_stop=5.0)
    assert np.sum(nearest.spike_times > 2.0) == 0


def test_score_counts_hits_false_alarms_and_latency():
    score = pat.score_pattern([0.01, 0.31, 0.32, 0.45], [0.0, 0.3, 0.6], 0.0, 1.0)
    assert score.hit_rate == pytest.approx(2 / 3) and score.false_alarms == 1
    assert score.mean_latency == pytest.approx(np.mean([0.01, 0.01, 0.02]))
    assert not score.success
    lat = pat.latencies([0.01, 0.2], [0.0])
    assert lat[0] == pytest.approx(0.01) and np.isnan(lat[1])
    silent = pat.score_pattern([], [0.0, 0.3, 0.6], 0.0, 1.0)         # no output spike: no mean, no NaN
    assert silent.hit_rate == 0 and silent.false_alarms == 0 and silent.mean_latency is None
    assert not silent.success
    with pytest.raises(ValueError, match="pattern_length"):            # a window too short to hold a pattern
        pat.latencies([0.01], [0.0], pattern_length=1e-9)


def test_pattern_refuses_bad_input():
    with pytest.raises(ValueError, match="pattern_frequency"):
        pat.PatternInputParams(pattern_frequency=0.9)
    with pytest.raises(ValueError, match="num_pattern"):
        pat.PatternInputParams(num_afferents=10, num_pattern=20)
    with pytest.raises(ValueError, match="jitter"):
        pat.PatternInputParams(jitter=-0.001)
    with pytest.raises(TypeError, match="inp"):
        pat.simulate_pattern([0.1, 0.2])
    inp = pat.pattern_input(0.5, pat.PatternInputParams(num_afferents=10, num_pattern=5), seed=0)
    with pytest.raises(ValueError, match="pairing"):
        pat.simulate_pattern(inp, stdp=STDPParams(pairing="all-to-all"))
    with pytest.raises(ValueError, match="initial_weight"):
        pat.simulate_pattern(inp, initial_weight=2.0)


# ------------------------------------------------------------------------- bad input, one kind each


def test_wrong_types_are_a_type_error_naming_the_parameter():
    w = np.array([0.5, 0.2])
    with pytest.raises(TypeError, match="params must be an STDPParams"):  # a record that is not one
        apply_change(w, 0.01, 0.0, None)
    with pytest.raises(TypeError, match="stdp must be an STDPParams"):
        comp.competition_inputs(0.05, comp.CompetitionParams(num_inputs=4), "1")
    with pytest.raises(TypeError, match="seed"):  # a float seed
        comp.poisson_inputs(4, 10.0, 20, 1e-3, seed=1.5)
    with pytest.raises(TypeError, match="t_stop"):  # a bool where a number belongs
        comp.output_rate([0.01], 0.0, False)
    with pytest.raises(TypeError, match="history"):  # the string "False" is not a flag
        online_stdp([0.01], [0.02], history="False")
    with pytest.raises(TypeError, match="record"):
        pat.run_pattern_experiment(0.2, input_params=pat.PatternInputParams(num_afferents=4, num_pattern=2),
                                   record=None)


def test_nan_and_wrong_values_are_a_value_error_never_a_nan_result():
    p = STDPParams()
    with pytest.raises(ValueError, match="weights contains NaN"):  # NaN in: an error, not NaN out
        apply_change(np.array([0.5, np.nan]), 0.01, 0.0, p)
    with pytest.raises(ValueError, match="depression must be >= 0"):
        apply_change(np.array([0.5]), 0.0, -0.1, p)
    with pytest.raises(ValueError, match="pattern_length must be >= 0.0001"):
        pat.latencies([0.01], [0.0], pattern_length=0.0)
    with pytest.raises(ValueError, match="t_stop .* must be after t_start"):
        comp.output_rate([0.01], 0.0, 0.0)
    with pytest.raises(ValueError, match="weights must not be empty"):  # no weights: no fraction
        comp.weight_fractions([])
    with pytest.raises(ValueError, match="spike_times must have 1 dimension"):
        pat.latencies([[0.01, 0.02]], [0.0])
    with pytest.raises(ValueError, match=r"no pattern window .* \[t_start, t_stop\)"):  # nothing to score: no NaN rate
        pat.score_pattern([0.01], [0.0, 0.1], 1e11, 2e11)
    with pytest.raises(ValueError, match="period"):  # pairs that would overlap
        from snnlesson.lessons.l03_stdp import pairing_figure
        pairing_figure(delta_ts=(0.3,), period=0.2)


def test_sizes_beyond_the_budget_are_refused_with_the_size_needed():
    inp = pat.pattern_input(0.2, pat.PatternInputParams(num_afferents=20, num_pattern=10), seed=0)
    with pytest.raises(ValueError, match="snapshot_every.*would need"):
        pat.simulate_pattern(inp, snapshot_every=1e-300)
    with pytest.raises(ValueError, match="t_stop must be <= 0.2"):  # longer than the input
        pat.simulate_pattern(inp, t_stop=1e11)
    with pytest.raises(ValueError, match="t_stop / period.*would need"):
        pat.pattern_input(1e11, pat.PatternInputParams(num_afferents=20, num_pattern=10))
    with pytest.raises(ValueError, match="num_steps.*would need"):
        comp.poisson_inputs(4, 10.0, 10 ** 11, 1e-3)
    with pytest.raises(ValueError, match="t_stop=1e\\+11.*would need"):
        inp.window(0.0, 1e11)
    from snnlesson.lessons.l03_stdp import rate_curve
    with pytest.raises(ValueError, match="bin_width.*would need"):
        rate_curve([0.5], 1.0, bin_width=1e-300)


def test_a_rate_too_small_to_fire_gives_no_spikes_not_an_error():
    # the geometric intervals of p = 1e-304 overflow int64; they are capped at the run's end
    steps, inputs = comp.poisson_inputs(4, 1e-300, 20, 1e-3)
    assert steps.size == 0 and inputs.size == 0
    steps, _ = comp.poisson_inputs(50, 100.0, 1000, 1e-3, seed=3)  # the cap changes no ordinary draw
    assert 0.05 < steps.size / (50 * 1000) < 0.15


def test_a_run_too_short_to_score_has_no_score():
    inp, result, score = pat.run_pattern_experiment(
        0.2, input_params=pat.PatternInputParams(num_afferents=20, num_pattern=10))
    last_third = inp.pattern_starts[(inp.pattern_starts >= 0.2 * 2 / 3) & (inp.pattern_starts + 0.05 <= 0.2)]
    assert (score is None) == (last_third.size == 0)


def test_benchmark_functions_report_the_issue_keys():
    c = comp.bench_competition(t_stop=1.0)
    assert {"t_stop", "wall_seconds", "frac_low", "frac_high", "rate_first_10s", "rate_last_10s"} <= set(c)
    assert c["rate_first_10s"] > 0 and 0 <= c["frac_low"] <= 1
    p = pat.bench_pattern(num_seeds=1, t_stop=1.0)
    assert p["seeds"] == 1 and 0 <= p["success_rate"] <= 1 and p["seconds_per_simulated_second"] > 0
    assert len(p["per_seed"]) == 1 and p["per_seed"][0]["false_alarms"] > 0  # 1 s is too short to learn
