"""Lesson 02's build exercises: the rate encoder/decoder and the rank-order encoder checkers.

Each catalogue mistake is written here as a student would write it, and must get its own hint;
the right answers must be Correct!. Independent references: scipy.stats.binom (the exact
binomial test's tails), snnlesson.encoding.rank_order (the definition k = floor(r T / R)).
"""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from snnlesson import checks, encoding
from snnlesson.lessons import l02_encoding as l02

# ----------------------------------------------------------------- rate code


def right_encode(images, num_steps, generator, gain=1.0):
    p = torch.clamp(gain * images, max=1.0)
    return (torch.rand((num_steps, *images.shape), generator=generator) < p).float()


def bernoulli_encode(images, num_steps, generator, gain=1.0):   # another right answer: other draws
    p = torch.clamp(gain * images, max=1.0).expand(num_steps, *images.shape)
    return torch.bernoulli(p, generator=generator)


def right_decode(spikes):
    return spikes.mean(dim=0)


def stub(*args):
    ...


def _wrong(**change):
    """A student's encoder with one mistake."""
    def encode(images, num_steps, generator, gain=1.0):
        p = gain * images if change.get("no_clip") else torch.clamp(gain * images, max=1.0)
        if change.get("no_gain"):
            p = images
        if change.get("divide_gain"):
            p = torch.clamp(images / gain, max=1.0)
        if change.get("probabilities"):
            return p.expand(num_steps, *images.shape).clone()
        if change.get("no_clip"):
            return torch.bernoulli(p.expand(num_steps, *images.shape), generator=generator)
        if change.get("global_rng"):
            u = torch.rand((num_steps, *images.shape))
        elif change.get("reseeded"):
            torch.manual_seed(0)
            u = torch.rand((num_steps, *images.shape))
        elif change.get("same_frame"):
            u = torch.rand(images.shape, generator=generator).expand(num_steps, *images.shape)
        elif change.get("shared_number"):
            u = torch.rand((num_steps, *[1] * images.dim()), generator=generator)
        else:
            u = torch.rand((num_steps, *images.shape), generator=generator)
        spikes = (u > p) if change.get("inverted") else (u < p)
        if change.get("bool"):
            return spikes
        spikes = spikes.float()
        return spikes.movedim(0, -1) if change.get("time_last") else spikes
    return encode


@pytest.mark.parametrize("encode", [right_encode, bernoulli_encode])
def test_right_rate_code_is_correct(encode):
    result = l02.check_rate_code(encode, right_decode)
    assert result and repr(result).startswith("Correct!") and "1e-06" in result.message


@pytest.mark.parametrize("change, hint", [
    (dict(time_last=True), "Time must be the FIRST axis"),
    (dict(inverted=True), "`rand < p`, not `rand > p`"),
    (dict(same_frame=True), "same frame of spikes"),
    (dict(shared_number=True), "its own random number at every step"),
    (dict(global_rng=True), "do not come from the generator"),
    (dict(reseeded=True), "do not come from the generator"),
    (dict(no_clip=True), "clip the probability to at most 1"),
    (dict(no_gain=True), "the gain is ignored"),
    (dict(divide_gain=True), "do not divide"),
    (dict(probabilities=True), "the probabilities p themselves, not spikes"),
    (dict(bool=True), "add .float()"),
])
def test_each_rate_encoder_mistake_gets_its_hint(change, hint):
    result = l02.check_rate_code(_wrong(**change), right_decode)
    assert not result and result.attempted and repr(result).startswith("Not yet:"), result
    assert hint in result.message, result.message


@pytest.mark.parametrize("decode, hint", [
    (lambda s: s.sum(dim=0), "that is the spike count"),
    (lambda s: s.sum(dim=0) / (s.shape[0] - 1), "not T - 1"),
    (lambda s: s.mean(), "averaged over everything"),
    (lambda s: s.mean(dim=-1), "FIRST axis, time"),
    (lambda s: s[0], "first time step only"),
    (lambda s: s[-1], "last time step only"),
])
def test_each_rate_decoder_mistake_gets_its_hint(decode, hint):
    result = l02.check_rate_code(right_encode, decode)
    assert not result and result.attempted and hint in result.message, result.message


def test_rate_code_stub_nan_wrong_type_and_endless_loop():
    assert not l02.check_rate_code(..., ...).attempted
    both = l02.check_rate_code(stub, stub)
    assert not both.attempted and "rate_encode" in both.message
    decoder_left = l02.check_rate_code(right_encode, stub)
    assert not decoder_left.attempted and "rate_encode is right" in decoder_left.message
    nan = l02.check_rate_code(lambda x, n, g, gain=1.0: torch.full((n, *x.shape), math.nan), right_decode)
    assert not nan and "NaN" in nan.message
    numpy_out = l02.check_rate_code(lambda x, n, g, gain=1.0: right_encode(x, n, g, gain).numpy(), right_decode)
    assert not numpy_out and "torch tensor" in numpy_out.message
    shape = l02.check_rate_code(lambda x, n, g, gain=1.0: right_encode(x, n, g, gain)[:-1], right_decode)
    assert not shape and "shape" in shape.message
    assert "function" in l02.check_rate_code(42, right_decode).message
    nan_decode = l02.check_rate_code(right_encode, lambda s: s.mean(0) * math.nan)
    assert not nan_decode and "NaN" in nan_decode.message

    def endless(images, num_steps, generator, gain=1.0):
        while True:
            pass

    original = checks.TIME_LIMIT_S
    checks.TIME_LIMIT_S = 0.2
    try:
        stopped = l02.check_rate_code(endless, right_decode)
    finally:
        checks.TIME_LIMIT_S = original
    assert not stopped and "did not return" in stopped.message


def test_a_right_rate_encoder_passes_for_many_seeds():
    """The stated false-alarm rate (below 1e-6 per check): 120 checks of two right encoders (60 seeds each) with other
    hidden inputs and generator seeds all pass, and the per-pixel tests' smallest p-value stays far
    above the level RATE_FALSE_ALARM / 72 (about 1.4e-8)."""
    for seed in range(60):
        for encode in (right_encode, bernoulli_encode):
            result = l02.check_rate_code(encode, right_decode, seed=seed)
            assert result, (seed, result.message)


def test_binomial_pvalues_equal_scipy_and_are_calibrated():
    """Independent reference: scipy.stats.binom's cdf and sf; under the null hypothesis the test
    rejects at most alpha of the time."""
    counts = np.array([0, 3, 20, 40, 80, 159, 160, 0, 160, 5])
    p = np.array([0.1, 0.02, 0.125, 0.25, 0.5, 0.99, 0.97, 0.0, 1.0, 0.0])
    expected = np.minimum(1.0, 2 * np.minimum(stats.binom.cdf(counts, 160, p), stats.binom.sf(counts - 1, 160, p)))
    expected[-1] = 0.0   # p = 0 cannot give 5 spikes
    np.testing.assert_allclose(l02.binomial_pvalues(counts, 160, p), expected, rtol=1e-9, atol=1e-300)
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.05, 0.95, 20_000)
    pvalues = l02.binomial_pvalues(rng.binomial(160, probs), 160, probs)
    for alpha in (0.01, 0.05):
        assert np.mean(pvalues < alpha) <= alpha * 1.15


# ----------------------------------------------------------------- rank order


def right_rank_order(values, num_steps):
    flat = values.reshape(-1)
    levels = torch.unique(flat[flat > 0])                 # the distinct non-zero values
    rank = (levels > flat[:, None]).sum(dim=1)            # 0 for the largest
    step = rank * num_steps // max(len(levels), 1)        # floor(r T / R)
    t = torch.arange(num_steps)[:, None]
    return ((t == step) & (flat > 0)).float().reshape(num_steps, *values.shape)


def _rank_mistake(kind):
    def encode(values, num_steps):
        flat = values.reshape(-1)
        fires = torch.ones_like(flat, dtype=torch.bool) if kind == "zeros fire" else flat > 0
        levels = torch.unique(flat[fires])
        if kind == "reversed":
            rank = (levels < flat[:, None]).sum(dim=1)
        elif kind == "ties":
            order = torch.argsort(flat, descending=True, stable=True)
            rank = torch.empty_like(order)
            rank[order] = torch.arange(len(flat))
            levels = flat[fires]
        else:
            rank = (levels > flat[:, None]).sum(dim=1)
        R = len(levels)
        step = {"rank as step": rank, "rounded": torch.round(rank * num_steps / R).long(),
                "ranks from 1": (rank + 1) * num_steps // R,
                "stretched": rank * (num_steps - 1) // max(R - 1, 1)}.get(kind, rank * num_steps // R)
        t = torch.arange(num_steps)[:, None]
        spikes = ((t >= step) if kind == "many spikes" else (t == step)) & fires
        spikes = spikes.float().reshape(num_steps, *values.shape)
        return spikes.movedim(0, -1) if kind == "time last" else spikes
    return encode


def test_right_rank_order_is_correct():
    result = checks.call_answer(l02.check_rank_order, (right_rank_order,), "")[0]
    assert result and repr(result).startswith("Correct!")
    for values, num_steps in l02._rank_order_cases():   # the checker's reference is the package's definition
        assert torch.equal(right_rank_order(values, num_steps), encoding.rank_order(values, num_steps))


@pytest.mark.parametrize("kind, hint", [
    ("reversed", "the LARGEST must"),
    ("ties", "equal values must share a rank"),
    ("zeros fire", "zeros must stay silent"),
    ("rank as step", "not at step r"),
    ("rounded", "round DOWN"),
    ("ranks from 1", "count ranks from 0"),
    ("stretched", "does not have to land on step T - 1"),
    ("many spikes", "each input spikes ONCE"),
    ("time last", "time must be the FIRST axis"),
])
def test_each_rank_order_mistake_gets_its_hint(kind, hint):
    result = l02.check_rank_order(_rank_mistake(kind))
    assert not result and result.attempted and repr(result).startswith("Not yet:"), result
    assert hint in result.message, result.message


def test_rank_order_stub_nan_wrong_type_and_endless_loop():
    assert not l02.check_rank_order(...).attempted and not l02.check_rank_order(stub).attempted
    assert "function" in l02.check_rank_order("spikes").message
    nan = l02.check_rank_order(lambda v, n: torch.full((n, *v.shape), math.nan))
    assert not nan and "NaN" in nan.message
    text = l02.check_rank_order(lambda v, n: "spikes")
    assert not text and text.attempted
    shape = l02.check_rank_order(lambda v, n: right_rank_order(v, n)[1:])
    assert not shape and "shape" in shape.message
    wrong_step = l02.check_rank_order(lambda v, n: right_rank_order(v, n).roll(1, dims=0))
    assert not wrong_step and "expected step" in wrong_step.message

    def endless(values, num_steps):
        while True:
            pass

    original = checks.TIME_LIMIT_S
    checks.TIME_LIMIT_S = 0.2
    try:
        stopped = l02.check_rank_order(endless)
    finally:
        checks.TIME_LIMIT_S = original
    assert not stopped and "did not return" in stopped.message
