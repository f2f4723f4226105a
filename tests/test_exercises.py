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


def stub_function(*args):
    ...


def _spikes():
    return (torch.rand(5, 1, 4, 4, generator=torch.Generator().manual_seed(0)) < 0.3).float()


def _latency(data, num_steps):
    k = torch.round((num_steps - 1) * (1 - data)).long()
    return (torch.arange(num_steps).reshape(num_steps, *[1] * data.dim()) == k).float()


# (checker, stub arguments, wrong arguments, a word the wrong answer's message must hold, right arguments)
EXERCISES = {
    "spike count": (lambda *a: checks.check_spike_count(*a, _spikes()),
                    [(...,), (None,)], (int(_spikes()[0].sum()),), "one time step",
                    (int(_spikes().sum()),)),
    "rate count stats": (checks.check_rate_count_stats,
                         [(..., ...), (125.0, ...)], (125.0, math.sqrt(125.0)), "Poisson",
                         (1000 * 0.125, math.sqrt(1000 * 0.125 * 0.875))),
    "latency encoder": (checks.check_latency_encoder,
                        [(...,), (stub_function,)], (lambda d, n: _latency(d, n).flip(0),), "reversed",
                        (_latency,)),
    "dvs event count": (lambda a: checks.check_dvs_event_count(a, 0.0, 1.0, 0.2, 0.1),
                        [(...,)], (12,), "round DOWN",
                        (math.floor((math.log(1.1) - math.log(0.1)) / 0.2),)),
    "euler step": (checks.check_euler_step,
                   [(...,), (stub_function,)], (lambda v, i, dt, tau, e, r: v + dt * (-(v - e) + r * i),), "tau_m",
                   (lambda v, i, dt, tau, e, r: v + dt / tau * (e - v + r * i),)),
    "decay factor": (lambda a: checks.check_decay_factor(a, tau_m=0.05, dt=2e-3),
                     [(...,)], (1 - 2e-3 / 0.05,), "Euler",
                     (math.exp(-2e-3 / 0.05),)),
    "fast sigmoid derivative": (checks.check_fast_sigmoid_derivative,
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
