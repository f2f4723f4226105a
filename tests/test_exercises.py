"""The exercise checkers of lessons 00, 01, 02 and 05 answer the three kinds of answer a student gives.

* the untouched stub (``...``, ``None``, or a function whose body is still
  ``...``) gets "not attempted yet", never an error and never "Correct";
* a wrong answer gets "Not yet" and says what is wrong;
* the right answer, written independently here from the textbook formula
  (the Euler step, exp(-dt/tau_m), the binomial moments, the fast sigmoid's
  derivative, floor(delta log I / C)), gets "Correct".
"""

import math

import numpy as np
import pytest
import torch

from snnlesson import checks
from snnlesson.lessons import l00_start, l01_lif, l02_encoding, l05_bptt  # noqa: E402


def stub_function(*args):
    ...


def _spikes():
    return (torch.rand(5, 1, 4, 4, generator=torch.Generator().manual_seed(0)) < 0.3).float()


def _latency(data, num_steps):
    k = torch.round((num_steps - 1) * (1 - data)).long()
    return (torch.arange(num_steps).reshape(num_steps, *[1] * data.dim()) == k).float()


# (checker, stub arguments, wrong arguments, a word the wrong answer's message must hold, right arguments)
EXERCISES = {
    "spike count": (lambda *a: l00_start.check_spike_count(*a, _spikes()),
                    [(...,), (None,)], (int(_spikes()[0].sum()),), "one time step",
                    (int(_spikes().sum()),)),
    "rate count stats": (l02_encoding.check_rate_count_stats,
                         [(..., ...), (125.0, ...)], (125.0, math.sqrt(125.0)), "Poisson",
                         (1000 * 0.125, math.sqrt(1000 * 0.125 * 0.875))),
    "latency encoder": (l02_encoding.check_latency_encoder,
                        [(...,), (stub_function,)], (lambda d, n: _latency(d, n).flip(0),), "reversed",
                        (_latency,)),
    "dvs event count": (lambda a: l02_encoding.check_dvs_event_count(a, 0.0, 1.0, 0.2, 0.1),
                        [(...,)], (12,), "round DOWN",
                        (math.floor((math.log(1.1) - math.log(0.1)) / 0.2),)),
    "euler step": (l01_lif.check_euler_step,
                   [(...,), (stub_function,)], (lambda v, i, dt, tau, e, r: v + dt * (-(v - e) + r * i),), "tau_m",
                   (lambda v, i, dt, tau, e, r: v + dt / tau * (e - v + r * i),)),
    "decay factor": (lambda a: l01_lif.check_decay_factor(a, tau_m=0.05, dt=2e-3),
                     [(...,)], (1 - 2e-3 / 0.05,), "Euler",
                     (math.exp(-2e-3 / 0.05),)),
    "fast sigmoid derivative": (l05_bptt.check_fast_sigmoid_derivative,
                                [(...,), (stub_function,)], (lambda x, k: 1 / (1 + k * x.abs()),), "square",
                                (lambda x, k: (1 + k * x.abs()) ** -2.0,)),
}


@pytest.mark.parametrize("name", EXERCISES)
def test_stub_is_not_attempted_yet(name):
    checker, stubs, *_ = EXERCISES[name]
    for stub in stubs:
        result = checker(*stub)
        assert not result and not result.attempted, (name, stub, result)
        assert repr(result).startswith("Not attempted yet: ")
        assert "Not attempted yet" in result._repr_markdown_()


@pytest.mark.parametrize("name", EXERCISES)
def test_wrong_answer_says_what_is_wrong(name):
    checker, _, wrong, word, _ = EXERCISES[name]
    result = checker(*wrong)
    assert not result and result.attempted, (name, result)
    assert repr(result).startswith("Not yet: ") and word.lower() in result.message.lower(), result.message


@pytest.mark.parametrize("name", EXERCISES)
def test_right_answer_is_correct(name):
    checker, *_, right = EXERCISES[name]
    result = checker(*right)
    assert result and result.attempted and repr(result).startswith("Correct! "), (name, result)


def test_is_stub():
    assert checks.is_stub(...) and checks.is_stub(None) and checks.is_stub((1.0, ...))
    assert not checks.is_stub(0) and not checks.is_stub(np.zeros(3)) and not checks.is_stub(torch.zeros(2))
    assert not checks.is_stub(stub_function)  # a function is judged by what it returns


# Right answers a student computes in float32, torch's default dtype, are right to about 6e-8;
# the textbook formulas are written here again, in torch.
RIGHT_IN_FLOAT32 = {
    "decay factor": lambda: l01_lif.check_decay_factor(torch.exp(torch.tensor(-2e-3 / 0.05)), tau_m=0.05, dt=2e-3),
    "euler step": lambda: l01_lif.check_euler_step(
        lambda v, i, dt, tau, e, r: (torch.as_tensor(v, dtype=torch.float32)
                                     + dt / tau * (e - torch.as_tensor(v, dtype=torch.float32)
                                                   + r * torch.as_tensor(i, dtype=torch.float32)))),
}


@pytest.mark.parametrize("name", RIGHT_IN_FLOAT32)
def test_a_right_answer_in_float32_is_correct(name):
    result = RIGHT_IN_FLOAT32[name]()
    assert result, result.message


def test_a_near_miss_is_shown_with_digits_that_differ():
    # 1e-5 off: six significant digits would print the same number twice
    result = l01_lif.check_decay_factor(math.exp(-2e-3 / 0.05) + 1e-5, tau_m=0.05, dt=2e-3)
    assert not result
    got, expected = result.message.split("you gave ")[1].split(". ")[0].split(", expected ")
    assert got != expected and float(got) == pytest.approx(math.exp(-0.04) + 1e-5, abs=1e-6)
    problem = checks.compare_arrays("x", 0.2650001, 0.265, rtol=1e-9, atol=0.0)
    assert "got 0.2650001, expected 0.265" in problem.message


@pytest.mark.parametrize("answer, hint", [
    (int(_spikes()[1:4].sum()), "check the slice"),         # the wrong steps: 1 to 3 instead of 0 to 2
    (int(_spikes()[1:3].sum()), "fewer: check the slice"),   # steps 1 and 2 only
    (int(_spikes().sum()), "more: check the slice"),         # every step
    (int(_spikes()[0].sum()), "one time step"),
])
def test_spike_count_hints_name_the_slicing_mistake(answer, hint):
    result = l00_start.check_spike_count(answer, _spikes()[:3])
    assert not result and hint in result.message, result.message
    assert "the 3 time steps asked for hold" in result.message


def test_dvs_count_in_log10_is_told_to_use_ln():
    log10_answer = math.floor((math.log10(1.1) - math.log10(0.1)) / 0.2)  # 5, as |1 - 0| / 0.2 happens to be
    result = l02_encoding.check_dvs_event_count(log10_answer, 0.0, 1.0, 0.2, 0.1)
    assert not result and "natural logarithm" in result.message
