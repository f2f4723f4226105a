"""Tests of snnlesson.encoding: rate, latency, rank order, population and delta codes.

Independent references: the binomial distribution (rate statistics), snntorch.spikegen
(latency and delta: identical tensors), Bohte et al. 2002's receptive-field formula
(population, recomputed here with plain Python), and the definition of rank order.
"""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from snntorch import spikegen

from snnlesson import checks, encoding
from snnlesson.lessons import l02_encoding  # noqa: E402

# ----------------------------------------------------------------- rate


def test_rate_shape_dtype_and_binary_values():
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    s = encoding.rate(x, 7, gain=0.5, generator=torch.Generator().manual_seed(1))
    assert s.shape == (7, 4, 1, 28, 28)
    assert s.dtype == torch.float32
    assert set(torch.unique(s).tolist()) <= {0.0, 1.0}


def test_rate_same_generator_seed_same_spikes_and_different_seed_differs():
    x = torch.full((100,), 0.5)
    a = encoding.rate(x, 50, generator=torch.Generator().manual_seed(3))
    b = encoding.rate(x, 50, generator=torch.Generator().manual_seed(3))
    c = encoding.rate(x, 50, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_rate_article_example_32_of_256_gives_about_125_spikes_binomial_mean_and_variance():
    # Reference: Binomial(T=1000, p=32/256): mean 125, variance 1000 * 0.125 * 0.875 = 109.375.
    # 20,000 independent pixels; the tolerances are 5 standard errors, so p = value/2 (mean 62.5),
    # p = 1 - value (875) or a Poisson-like variance (125) all fail.
    num_pixels, num_steps, p = 20_000, 1000, 32 / 256
    x = torch.full((num_pixels,), p)
    counts = encoding.rate(x, num_steps, generator=torch.Generator().manual_seed(0)).sum(dim=0).double()
    mean, var = num_steps * p, num_steps * p * (1 - p)
    se_mean = math.sqrt(var / num_pixels)                      # 0.074
    se_var = var * math.sqrt(2 / (num_pixels - 1))             # ~1.09 (Gaussian approximation)
    assert abs(float(counts.mean()) - mean) < 5 * se_mean
    assert abs(float(counts.var()) - var) < 5 * se_var
    # one pixel, as in the article: about 125 spikes (within 4 binomial standard deviations)
    one = encoding.rate(torch.tensor(p), num_steps, generator=torch.Generator().manual_seed(1)).sum()
    assert abs(float(one) - 125) < 4 * math.sqrt(var)


@pytest.mark.parametrize("gain", [1.0, 0.5, 0.2])
def test_rate_probability_per_step_is_gain_times_value(gain):
    values = torch.linspace(0, 1, 11)
    num_steps, reps = 4000, 20
    x = values.repeat(reps, 1)                                  # [20, 11]
    s = encoding.rate(x, num_steps, gain=gain, generator=torch.Generator().manual_seed(5))
    rate_est = s.mean(dim=(0, 1)).double()                      # per value, over 80,000 trials
    p = gain * values.double()
    se = torch.sqrt(p * (1 - p) / (num_steps * reps)).clamp_min(1e-12)
    assert torch.all((rate_est - p).abs() <= 5 * se + 1e-12), (rate_est, p)
    assert float(rate_est[0]) == 0.0                            # value 0 never fires
    if gain == 1.0:
        assert float(rate_est[-1]) == 1.0                       # value 1 always fires


def test_rate_decode_recovers_values_within_binomial_error():
    x = torch.rand(500, generator=torch.Generator().manual_seed(0))
    num_steps = 2000
    est = encoding.rate_decode(encoding.rate(x, num_steps, gain=0.5, generator=torch.Generator().manual_seed(1)),
                               gain=0.5)
    se = torch.sqrt(0.5 * x * (1 - 0.5 * x) / num_steps) / 0.5
    assert torch.all((est - x).abs() <= 5 * se + 1e-9)


def test_rate_rejects_gain_times_value_above_one():
    with pytest.raises(ValueError, match="gain"):
        encoding.rate(torch.tensor([0.8]), 10, gain=1.5)
    encoding.rate(torch.tensor([0.5]), 10, gain=2.0)            # 0.5 * 2 = 1 is allowed


@pytest.mark.parametrize("bad, match", [
    (torch.tensor([0.5, 1.2]), r"\[0, 1\]"),
    (torch.tensor([-0.1, 0.5]), r"\[0, 1\]"),
    (torch.tensor([0.5, float("nan")]), "NaN"),
    (torch.zeros(0), "empty"),
])
def test_rate_rejects_bad_data(bad, match):
    with pytest.raises(ValueError, match=match):
        encoding.rate(bad, 10)


@pytest.mark.parametrize("num_steps, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                              (True, TypeError), ("10", TypeError)])
def test_rate_rejects_bad_num_steps(num_steps, error):
    with pytest.raises(error, match="num_steps"):
        encoding.rate(torch.tensor([0.5]), num_steps)


@pytest.mark.parametrize("gain, error", [(-0.5, ValueError), (float("nan"), ValueError),
                                         (float("inf"), ValueError), ("1", TypeError)])
def test_rate_rejects_bad_gain(gain, error):
    with pytest.raises(error, match="gain"):
        encoding.rate(torch.tensor([0.5]), 10, gain=gain)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=20))
def test_rate_property_accepts_exactly_unit_interval_data(values):
    x = torch.tensor(values, dtype=torch.float32)
    if torch.isnan(x).any() or (x < 0).any() or (x > 1).any():
        with pytest.raises(ValueError, match="data"):
            encoding.rate(x, 3)
    else:
        s = encoding.rate(x, 3, generator=torch.Generator().manual_seed(0))
        assert s.shape == (3, len(values))
        assert torch.all(s[:, x == 0] == 0) and torch.all(s[:, x == 1] == 1)


# ----------------------------------------------------------------- latency: identical to snntorch


def _both(fn_ours, fn_ref):
    """Run both; return ('ok', ours, ref) or ('raise', ours_raised, ref_raised)."""
    results = []
    for fn in (fn_ours, fn_ref):
        try:
            results.append(fn())
        except Exception as err:  # noqa: BLE001 - snntorch raises bare Exception
            results.append(err)
    return results


LATENCY_CASES = list(itertools.product(
    [0.01, 0.2],          # threshold
    [1.0, 5.0, 0.3],      # tau
    [0, 2],               # first_spike_time
    [False, True],        # clip
    [False, True],        # normalize
    [False, True],        # linear
    [False, True],        # bypass
))


def _latency_data():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 6, generator=g)
    x[0, 0], x[1, 1], x[2, 2], x[3, 3] = 0.0, 1.0, 0.005, 0.2   # zero, one, sub-threshold, at threshold
    return x


@pytest.mark.parametrize("threshold, tau, first_spike_time, clip, normalize, linear, bypass", LATENCY_CASES)
def test_latency_equals_snntorch(threshold, tau, first_spike_time, clip, normalize, linear, bypass):
    x = _latency_data()
    kwargs = dict(threshold=threshold, tau=tau, first_spike_time=first_spike_time, clip=clip,
                  normalize=normalize, linear=linear, bypass=bypass)
    ours, ref = _both(lambda: encoding.latency(x, 12, **kwargs),
                      lambda: spikegen.latency(x, num_steps=12, **kwargs))
    if isinstance(ref, Exception):   # snntorch refuses (spikes past the window): so must we
        assert isinstance(ours, ValueError), f"snntorch raised {ref!r}, we returned {type(ours)}"
    else:
        assert isinstance(ours, torch.Tensor), ours
        assert torch.equal(ours, ref)


def test_latency_defaults_and_bypass_window_equal_snntorch():
    x = _latency_data()
    bright = x.clamp_min(0.05)                                  # default tau=1: every spike within 10 steps
    assert torch.equal(encoding.latency(bright, 10), spikegen.latency(bright, num_steps=10))
    assert torch.equal(encoding.latency(x, None, tau=5, bypass=True), spikegen.latency(x, tau=5, bypass=True))
    assert torch.equal(encoding.latency(x, 30, tau=5, bypass=True), spikegen.latency(x, num_steps=30, tau=5, bypass=True))
    t_ours = encoding.latency_times(x, 10, tau=3, normalize=True)
    t_ref, _ = spikegen.latency_code(x, num_steps=10, tau=3, normalize=True)
    assert torch.equal(t_ours, t_ref)


def test_latency_log_code_matches_rc_charging_formula():
    # independent: t = tau ln(x / (x - threshold)) computed in float64 with math.log
    values = [0.02, 0.1, 0.5, 0.9, 1.0]
    t = encoding.latency_times(torch.tensor(values, dtype=torch.float64), tau=4.0, threshold=0.01)
    expected = [4.0 * math.log(v / (v - 0.01)) for v in values]
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-12)


def test_latency_brighter_fires_earlier_one_spike_each():
    x = torch.tensor([0.1, 0.3, 0.6, 0.95])
    s = encoding.latency(x, 20, linear=True, normalize=True)
    assert torch.all(s.sum(dim=0) == 1)
    steps = s.argmax(dim=0)
    assert torch.all(steps[1:] < steps[:-1])


def test_latency_decode_linear_error_is_at_most_half_a_step():
    x = torch.rand(2000, generator=torch.Generator().manual_seed(0)) * 0.98 + 0.02
    for num_steps in (5, 17, 100):
        s = encoding.latency(x, num_steps, linear=True, normalize=True, clip=True)
        est = encoding.latency_decode(s, linear=True, normalize=True)
        assert float((est - x).abs().max()) <= 0.5 / (num_steps - 1) + 1e-6


def test_latency_decode_log_code_round_trips_within_half_a_step():
    x = torch.rand(500, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 0.9 + 0.05
    s = encoding.latency(x, 200, tau=20.0, threshold=0.01)
    est = encoding.latency_decode(s, tau=20.0, threshold=0.01)
    fired_step = s.argmax(dim=0).double()
    ok = est < 1.0                                              # step 0 decodes to the top of the range
    t_est = encoding.latency_times(est[ok], tau=20.0, threshold=0.01)
    assert float((t_est - fired_step[ok]).abs().max()) <= 0.5 + 1e-9
    with pytest.raises(ValueError, match="normalis"):
        encoding.latency_decode(s, normalize=True)


@pytest.mark.parametrize("kwargs, match", [
    (dict(data=torch.tensor([1.5]), num_steps=5), r"\[0, 1\]"),
    (dict(data=torch.tensor([float("nan")]), num_steps=5), "NaN"),
    (dict(data=torch.tensor([0.5]), num_steps=5, tau=-1.0), "tau"),
    (dict(data=torch.tensor([0.5]), num_steps=5, threshold=1.0), "threshold"),
    (dict(data=torch.tensor([0.5]), num_steps=None), "num_steps"),
    (dict(data=torch.tensor([0.5]), num_steps=5, first_spike_time=7), "first_spike_time"),
    (dict(data=torch.tensor([0.02]), num_steps=3, tau=50.0), "bypass"),
])
def test_latency_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        encoding.latency(**kwargs)


# ----------------------------------------------------------------- delta: identical to snntorch


@pytest.mark.parametrize("threshold, padding, off_spike",
                         list(itertools.product([0.1, 0.5, 1.0], [False, True], [False, True])))
def test_delta_equals_snntorch(threshold, padding, off_spike):
    g = torch.Generator().manual_seed(2)
    data = torch.cumsum(torch.randn(30, 3, 5, generator=g) * 0.4, dim=0)
    ours = encoding.delta(data, threshold, padding=padding, off_spike=off_spike)
    assert torch.equal(ours, spikegen.delta(data, threshold=threshold, padding=padding, off_spike=off_spike))


def test_delta_docstring_example_and_bad_threshold():
    b = torch.tensor([1, 2, 0, 2, 2.9])
    assert encoding.delta(b, 1, off_spike=True).tolist() == [1, 1, -1, 1, 0]
    assert encoding.delta(b, 1, padding=True, off_spike=True).tolist() == [0, 1, -1, 1, 0]
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            encoding.delta(b, bad)


# ----------------------------------------------------------------- rank order


def test_rank_order_article_image_larger_values_first_zero_silent():
    image = torch.tensor([[255.0, 207.0], [32.0, 0.0]]) / 256
    s = encoding.rank_order(image, 4)
    assert s.shape == (4, 2, 2)
    assert s[:, 1, 1].sum() == 0                                # zero: silent
    assert s[0, 0, 0] == 1                                      # the largest fires at step 0
    steps = s.argmax(dim=0)
    assert steps[0, 0] < steps[0, 1] < steps[1, 0]
    assert torch.all(s.sum(dim=0) == torch.tensor([[1, 1], [1, 0]]))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=30), st.integers(1, 40))
def test_rank_order_property_spike_order_is_value_order(values, num_steps):
    x = torch.tensor(values, dtype=torch.float32)
    s = encoding.rank_order(x, num_steps)
    nonzero = x > 0
    assert torch.all(s.sum(dim=0) == nonzero.float())           # one spike per non-zero input
    steps = s.argmax(dim=0)
    distinct = len(torch.unique(x[nonzero]))
    for i, j in itertools.combinations(torch.nonzero(nonzero).flatten().tolist(), 2):
        if x[i] == x[j]:
            assert steps[i] == steps[j]
        elif x[i] > x[j]:
            assert steps[i] <= steps[j] if distinct > num_steps else steps[i] < steps[j]
        else:
            assert steps[j] <= steps[i] if distinct > num_steps else steps[j] < steps[i]
    if nonzero.any():
        assert steps[int(torch.argmax(x))] == 0


def test_rank_order_batch_dims_ranks_each_sample_separately():
    x = torch.rand(3, 1, 5, 5, generator=torch.Generator().manual_seed(0))
    batched = encoding.rank_order(x, 30, batch_dims=1)
    for b in range(3):
        assert torch.equal(batched[:, b], encoding.rank_order(x[b], 30))


def test_rank_order_decode_thorpe_modulation():
    image = torch.tensor([[255.0, 207.0], [32.0, 0.0]]) / 256
    decoded = encoding.rank_order_decode(encoding.rank_order(image, 4), modulation=0.8)
    np.testing.assert_allclose(decoded.numpy(), [[1.0, 0.8], [0.64, 0.0]], rtol=1e-6)
    # only the order survives: a rescaled image decodes to the same values
    again = encoding.rank_order_decode(encoding.rank_order(image ** 3, 4), modulation=0.8)
    assert torch.equal(decoded, again)
    with pytest.raises(ValueError, match="modulation"):
        encoding.rank_order_decode(encoding.rank_order(image, 4), modulation=1.5)


def test_rank_order_rejects_negative_and_nan():
    with pytest.raises(ValueError, match=">= 0"):
        encoding.rank_order(torch.tensor([0.5, -0.1]), 5)
    with pytest.raises(ValueError, match="NaN"):
        encoding.rank_order(torch.tensor([0.5, float("nan")]), 5)


# ----------------------------------------------------------------- population (Bohte et al. 2002)


@pytest.mark.parametrize("m, v_min, v_max, width_factor", [(5, 0.0, 1.0, 1.5), (8, 4.3, 7.9, 1.5),
                                                            (12, -2.0, 3.0, 2.0)])
def test_population_fields_follow_bohte_formula(m, v_min, v_max, width_factor):
    centres, sigma = encoding.population_fields(m, v_min, v_max, width_factor=width_factor)
    expected = [v_min + (2 * i - 3) / 2 * (v_max - v_min) / (m - 2) for i in range(1, m + 1)]
    np.testing.assert_allclose(centres.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert sigma == pytest.approx((v_max - v_min) / (width_factor * (m - 2)), rel=1e-12)


def test_population_fields_hand_computed_example():
    # m = 5 on [0, 1]: spacing 1/3, centres -1/6, 1/6, 1/2, 5/6, 7/6; sigma = 1 / (1.5 * 3) = 2/9
    centres, sigma = encoding.population_fields(5, 0.0, 1.0)
    np.testing.assert_allclose(centres.numpy(), [-1 / 6, 1 / 6, 1 / 2, 5 / 6, 7 / 6], atol=1e-12)
    assert sigma == pytest.approx(2 / 9)


def test_population_strongest_first_weak_silent_and_spike_steps():
    values = torch.tensor([0.0, 0.3, 0.5, 0.77, 1.0])
    m, num_steps = 6, 11
    s = encoding.population(values, m, 0.0, 1.0, num_steps)
    assert s.shape == (num_steps, 5, m)
    centres = [0.0 + (2 * i - 3) / 2 * 1.0 / (m - 2) for i in range(1, m + 1)]
    sigma = 1.0 / (1.5 * (m - 2))
    for k, v in enumerate(values.tolist()):
        response = [math.exp(-(v - c) ** 2 / (2 * sigma ** 2)) for c in centres]
        for i, a in enumerate(response):
            train = s[:, k, i]
            if a < 0.1:
                assert train.sum() == 0
            else:
                assert train.sum() == 1 and int(train.argmax()) == round((num_steps - 1) * (1 - a))
        strongest = int(np.argmax(response))
        fired = s[:, k].sum(dim=0) > 0
        steps = torch.where(fired, s[:, k].argmax(dim=0), torch.full((m,), num_steps))
        assert steps[strongest] == steps.min()                  # no field fires before the strongest
    # a value on a centre fires that field at step 0
    on_centre = encoding.population(torch.tensor([centres[2]]), m, 0.0, 1.0, num_steps)
    assert on_centre[0, 0, 2] == 1


def test_population_times_inf_when_silent():
    t = encoding.population_times(torch.tensor([0.0]), 5, 0.0, 1.0, t_max=10.0)
    assert torch.isinf(t[0, -1])                                 # the far field never fires
    assert torch.all(torch.isfinite(t[0, :2]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_fields=2), "n_fields"), (dict(v_min=1.0, v_max=1.0), "v_max"),
    (dict(width_factor=0.0), "width_factor"), (dict(values=torch.tensor([float("nan")])), "NaN"),
    (dict(num_steps=0), "num_steps"),
])
def test_population_rejects_bad_input(kwargs, match):
    args = dict(values=torch.tensor([0.5]), n_fields=5, v_min=0.0, v_max=1.0, num_steps=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        encoding.population(**args)


# ----------------------------------------------------------------- reconstruction and checkers


def test_reconstruction_curve_latency_beats_rate_and_both_improve():
    x = torch.rand(400, generator=torch.Generator().manual_seed(0))
    x[:50] = 0.0                                                # black pixels: silent, decoded exactly
    curve = encoding.reconstruction_curve(x, [10, 100, 1000], generator=torch.Generator().manual_seed(1))
    assert np.all(np.diff(curve["rate"]) < 0) and np.all(np.diff(curve["latency"]) < 0)
    assert np.all(curve["latency"] < curve["rate"])
    # latency: uniform rounding error 1/(sqrt(12)(T-1)); rate: sqrt(<x(1-x)>/T)
    steps, fraction_nonzero = np.array([10, 100, 1000]), 350 / 400
    np.testing.assert_allclose(curve["latency"], np.sqrt(fraction_nonzero) / (math.sqrt(12) * (steps - 1)), rtol=0.25)
    np.testing.assert_allclose(curve["rate"], np.sqrt(float((x * (1 - x)).mean()) / steps),
                               rtol=0.2)


def test_check_latency_encoder_accepts_solution_and_explains_mistakes():
    def solution(data, num_steps):
        step = torch.round((num_steps - 1) * (1 - data)).long()
        t = torch.arange(num_steps).reshape(-1, *[1] * data.dim())
        return (t == step).float()

    assert l02_encoding.check_latency_encoder(solution)
    reversed_ = l02_encoding.check_latency_encoder(lambda d, n: solution(d, n).flip(0))
    assert not reversed_ and "FIRST" in reversed_.message
    time_last = l02_encoding.check_latency_encoder(lambda d, n: solution(d, n).movedim(0, -1))
    assert not time_last and "first axis" in time_last.message.lower()
    raising = l02_encoding.check_latency_encoder(lambda d, n: 1 / 0)
    assert not raising and "ZeroDivisionError" in raising.message


def _exercise_latency(data, num_steps):
    """The lesson's exercise, written from its definition: input x fires at round((T - 1)(1 - x))."""
    step = torch.round((num_steps - 1) * (1 - data)).long()
    return (torch.arange(num_steps).reshape(-1, *[1] * data.dim()) == step).float()


def test_exercise_latency_code_and_snntorch_agree_up_to_51_steps_and_above_001():
    """Independent reference: snntorch.spikegen.latency(linear=True, normalize=True) itself.

    It caps spike times at (T - 1)(1 - threshold) with threshold 0.01: in windows of up to 51
    steps the cap rounds to the last step (49.5 rounds half to even, to 50), so the trains are
    identical; from 52 steps on, inputs below 0.01 fire at round(0.99 (T - 1)) instead of T - 1.
    Inputs >= 0.01 agree in every window. The lesson and its checker say exactly this.
    """
    x = torch.cat([torch.tensor([0.0, 0.001, 0.0039, 0.005, 0.0099, 0.01, 0.0101]), torch.arange(256) / 255])
    dim = x < 0.01
    for num_steps in (2, 5, 20, 50, 51, 52, 100, 200, 1000, 5000):
        ref = spikegen.latency(x, num_steps=num_steps, linear=True, normalize=True)
        ours = _exercise_latency(x, num_steps)
        assert torch.equal(ref[:, ~dim], ours[:, ~dim]), num_steps          # >= 0.01: always the same
        if num_steps <= 51:
            assert torch.equal(ref, ours), num_steps
        else:
            assert ours[-1, x == 0].all() and not ref[-1, x == 0].any()     # the exercise: 0 fires last
            assert ref[round(0.99 * (num_steps - 1)), dim].all(), num_steps  # snntorch: the cap
        assert torch.equal(encoding.latency(x, num_steps, linear=True, normalize=True), ref)


def test_check_latency_encoder_tests_long_windows_and_names_snntorchs_cap():
    """The checker once used only windows of 5-20 steps, where the cap is invisible, and said the
    answer equalled snntorch's for any window. Now: long windows, and the difference named."""
    right = l02_encoding.check_latency_encoder(_exercise_latency)
    assert right and "T <= 51" in right.message and "0.01" in right.message
    capped = l02_encoding.check_latency_encoder(lambda d, n: encoding.latency(d, n, linear=True, normalize=True))
    assert not capped and capped.attempted
    assert "num_steps=200" in capped.message and "expected step 199" in capped.message
    assert "snntorch.spikegen.latency's cap" in capped.message and "= 197" in capped.message
    # snntorch's own function, as a student might call it: the same verdict
    via_snntorch = l02_encoding.check_latency_encoder(
        lambda d, n: spikegen.latency(d.float(), num_steps=n, linear=True, normalize=True))
    assert not via_snntorch and "cap" in via_snntorch.message


def test_check_rate_count_stats():
    assert l02_encoding.check_rate_count_stats(125, 10.46)
    poisson = l02_encoding.check_rate_count_stats(125, math.sqrt(125))
    assert not poisson and "Poisson" in poisson.message
    assert not l02_encoding.check_rate_count_stats(62.5, 10.46)


# ------------------------------------------------ bad input from the bad-input issue (each once failed)

def test_flags_must_be_bools_not_strings():
    """The string "False" is truthy: a flag given as text must be refused, not taken as True."""
    for call, name in ((lambda: encoding.delta(torch.rand(3, 2), padding="False"), "padding"),
                       (lambda: encoding.delta(torch.rand(3, 2), off_spike="no"), "off_spike"),
                       (lambda: encoding.latency(torch.rand(4), 5, normalize="True"), "normalize"),
                       (lambda: encoding.latency(torch.rand(4), 5, linear=1), "linear"),
                       (lambda: encoding.latency(torch.rand(4), 5, clip="False"), "clip"),
                       (lambda: encoding.latency_decode(encoding.latency(torch.tensor([0.1, 0.4, 0.7, 1.0]), 5),
                                                         normalize="x"),
                        "normalize")):
        with pytest.raises(TypeError, match=name):
            call()


def test_normalised_latency_with_a_vanishing_threshold_is_an_error_not_a_silent_empty_train():
    """threshold=1e-8 in float32: every input reaches it at t = 0, and normalising divided 0 by 0
    (NaN times, an all-zero train). It must say so instead."""
    with pytest.raises(ValueError, match="threshold"):
        encoding.latency(torch.tensor([1.0, 0.5]), 5, threshold=1e-8, normalize=True)
    # a usable threshold still normalises: the latest input lands on the last step
    spikes = encoding.latency(torch.tensor([1.0, 0.5]), 5, threshold=0.01, normalize=True)
    assert spikes.sum(0).tolist() == [1.0, 1.0] and spikes[-1, 1] == 1


def test_spike_trains_beyond_the_size_budget_are_refused_with_their_size():
    for call in (lambda: encoding.rate(torch.rand(5), 10**12),
                 lambda: encoding.latency(torch.rand(5), 10**12),
                 lambda: encoding.rank_order(torch.rand(5), 10**12),
                 lambda: encoding.population_fields(10**11, 0.0, 1.0)):
        with pytest.raises(ValueError, match=r"(num_steps|n_fields)=.*would need"):
            call()
