"""Tests for snnlesson.lif_discrete: the one discrete LIF step, its parameters, and unroll.

Independent references: the membrane under constant input against its closed form
U[t] = I (1 - beta^t) / (1 - beta); ``snntorch.Leaky`` step for step (spikes, membranes
and gradients, for every reset mechanism and for two surrogates).
"""

import pytest
import torch

from snnlesson import lif_discrete as lif
from snnlesson import surrogate
from snnlesson._validate import set_max_bytes


def test_constant_input_matches_closed_form_and_resets_by_subtraction():
    beta, current = 0.9, torch.tensor([0.15])
    spk, mem = lif.run(current, lif.LIFDiscreteParams(beta=beta, threshold=1.0), num_steps=30)
    closed = [0.15 * (1 - beta ** t) / (1 - beta) for t in range(1, 31)]
    first = next(t for t, u in enumerate(closed) if u > 1.0)
    assert spk[:, 0].tolist().index(1.0) == first
    assert mem[:first + 1, 0].tolist() == pytest.approx(closed[:first + 1], rel=1e-5)
    # reset by subtraction on the step after the spike
    assert float(mem[first + 1]) == pytest.approx(beta * float(mem[first]) + 0.15 - 1.0, rel=1e-5)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("spike", ["fast_sigmoid", "atan"])
def test_step_equals_snntorch_leaky_forward_and_backward(reset, spike):
    snn = pytest.importorskip("snntorch")
    from snntorch import surrogate as snn_surrogate

    gen = torch.Generator().manual_seed(0)
    inputs = torch.rand(40, 4, 6, generator=gen) * 0.9
    w_a = torch.ones(6, requires_grad=True)
    w_b = torch.ones(6, requires_grad=True)
    params = lif.LIFDiscreteParams(beta=0.85, threshold=1.0, reset=reset)
    ours = getattr(surrogate, spike)()
    leaky = snn.Leaky(beta=0.85, threshold=1.0, reset_mechanism=reset, spike_grad=getattr(snn_surrogate, spike)())
    state, m = None, leaky.reset_mem()
    loss_a = loss_b = 0.0
    for x in inputs:
        spk_a, state = lif.step(x * w_a, state, params, ours)
        spk_b, m = leaky(x * w_b, m)
        assert torch.equal(spk_a, spk_b)
        torch.testing.assert_close(state.mem, m, rtol=0, atol=0)
        loss_a = loss_a + (spk_a * torch.arange(6.0)).sum()
        loss_b = loss_b + (spk_b * torch.arange(6.0)).sum()
    assert float(loss_a.detach()) > 0
    loss_a.backward()
    loss_b.backward()
    assert w_a.grad.abs().sum() > 0
    torch.testing.assert_close(w_a.grad, w_b.grad, rtol=1e-5, atol=1e-6)


def test_heaviside_gives_no_gradient_and_state_starts_on_the_inputs_dtype():
    x = torch.full((3,), 2.0, dtype=torch.float64, requires_grad=True)
    spk, state = lif.step(x, None, lif.LIFDiscreteParams())
    assert spk.tolist() == [1.0, 1.0, 1.0] and state.mem.dtype == torch.float64
    assert not spk.requires_grad  # the plain step: no gradient flows through a spike
    assert lif.initial_state(x).mem.tolist() == [0.0, 0.0, 0.0]


def test_unroll_constant_and_time_first_inputs_and_records_states():
    gen = torch.Generator().manual_seed(0)
    current = torch.rand(7, 3, generator=gen) * 0.6
    params = lif.LIFDiscreteParams(beta=0.8)

    def f(x, s):
        return lif.step(x, s, params)

    spk, states = lif.unroll(f, current, None, record_states=True)
    final_spk, final = lif.unroll(f, current, None)
    assert torch.equal(final.mem, states.mem[-1]) and torch.equal(final_spk, spk)
    state = None
    for t in range(7):
        s_t, state = lif.step(current[t], state, params)
        assert torch.equal(spk[t], s_t) and torch.equal(states.mem[t], state.mem)
    constant_spk, constant = lif.unroll(f, current[0], None, num_steps=7, record_states=True)
    ref_spk, ref_mem = lif.run(current[0].expand(7, 3), params)
    assert torch.equal(constant_spk, ref_spk) and torch.equal(constant.mem, ref_mem)


def test_unroll_stacks_tuple_outputs_field_by_field():
    """A step may return several things (here spikes and a running count); unroll stacks each."""
    def counting(x, total):
        total = x if total is None else total + x
        return (x * 2, total), total

    (doubled, totals), final = lif.unroll(counting, torch.arange(5.0).reshape(5, 1))
    assert doubled.flatten().tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert totals.flatten().tolist() == [0.0, 1.0, 3.0, 6.0, 10.0] and float(final) == 10.0


def test_unroll_refuses_a_record_beyond_the_size_budget():
    previous = set_max_bytes(10_000)
    try:
        with pytest.raises(ValueError, match="num_steps.*would need"):
            lif.run(torch.ones(100), num_steps=10**12)  # used to hang
        spk, mem = lif.run(torch.ones(100), num_steps=10)  # 8 kB: allowed
        assert spk.shape == (10, 100)
    finally:
        set_max_bytes(previous)


def test_zero_reset_starts_again_from_zero_and_none_never_resets():
    x = torch.full((5, 1), 0.7)
    spk, mem = lif.run(x, lif.LIFDiscreteParams(beta=1.0, threshold=1.0, reset="zero"))
    assert spk.flatten().tolist() == [0, 1, 0, 1, 0] and mem.flatten().tolist() == pytest.approx(
        [0.7, 1.4, 0.7, 1.4, 0.7])
    spk, mem = lif.run(x, lif.LIFDiscreteParams(beta=1.0, threshold=1.0, reset="none"))
    assert spk.flatten().tolist() == [0, 1, 1, 1, 1] and float(mem[-1]) == pytest.approx(3.5)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"beta": 1.5}, ValueError, "beta"), ({"beta": float("nan")}, ValueError, "beta"),
    ({"beta": "0.9"}, TypeError, "beta"), ({"threshold": 0.0}, ValueError, "threshold"),
    ({"threshold": True}, TypeError, "threshold"), ({"reset": "soft"}, ValueError, "reset"),
    ({"reset": 0}, TypeError, "reset"),
])
def test_params_reject_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        lif.LIFDiscreteParams(**kwargs)


def test_params_are_frozen_and_run_rejects_bad_input():
    params = lif.LIFDiscreteParams()
    with pytest.raises(AttributeError):
        params.beta = 0.5
    with pytest.raises(TypeError, match="params"):
        lif.run(torch.ones(3, 2), {"beta": 0.9})
    with pytest.raises(ValueError, match="inputs"):
        lif.run(torch.tensor([[float("nan")]]), params)
    with pytest.raises(ValueError, match="num_steps"):
        lif.run(torch.ones(2), params, num_steps=0)
    for bad in (float("nan"), float("inf")):                          # one step, no silent NaN membrane
        x = torch.ones(2, 3)
        x[1, 2] = bad
        with pytest.raises(ValueError, match="x must be finite"):
            lif.step(x, None, params)
    with pytest.raises(TypeError, match="step_fn"):
        lif.unroll("step", torch.ones(3))
    with pytest.raises(ValueError, match="time-first"):
        lif.unroll(lambda x, s: (x, s), torch.ones(0, 3))


def test_beta_from_tau_types_and_values():
    assert lif.beta_from_tau(0.02, 1e-3) == pytest.approx(0.951229424500714)
    with pytest.raises(TypeError, match="tau_m"):
        lif.beta_from_tau("20ms", 1e-3)
    with pytest.raises(ValueError, match="dt"):
        lif.beta_from_tau(0.02, -1e-3)
