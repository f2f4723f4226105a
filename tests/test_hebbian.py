"""Tests of snnlesson.hebbian against a loop-based transcription of the introductory article's rule."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snnlesson.hebbian import (HebbianParams, hebbian_layer_step, hebbian_update, initial_weights,
                               run_hebbian)


def reference_run(inputs, weights, threshold=0.6, learning_rate=0.01, bounds=None):
    """The rule written as loops over neurons and inputs, one plain float at a time (the reference)."""
    w = [[float(v) for v in row] for row in weights]
    num_inputs, num_neurons = len(w), len(w[0])
    state = [0.0] * num_neurons
    all_spikes, history = [], []
    for x in inputs.tolist():
        spikes = [0.0] * num_neurons
        for j in range(num_neurons):
            state[j] = state[j] / 2 + sum(x[i] * w[i][j] for i in range(num_inputs))
            if state[j] >= threshold:
                spikes[j] = 1.0
                state[j] = 0.0
        for j in range(num_neurons):
            if spikes[j]:
                for i in range(num_inputs):
                    w[i][j] += learning_rate if x[i] > threshold else -learning_rate
                    if bounds is not None:
                        w[i][j] = min(max(w[i][j], bounds[0]), bounds[1])
        all_spikes.append(spikes)
        history.append([row[:] for row in w])
    return torch.tensor(all_spikes, dtype=torch.float64), torch.tensor(history, dtype=torch.float64)


def random_inputs(num_steps=80, num_inputs=12, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(num_steps, num_inputs, generator=generator, dtype=torch.float64)


@pytest.mark.parametrize("bounds", [None, (0.0, 0.3)])
def test_vectorised_rule_equals_loop_reference(bounds):
    inputs = random_inputs()
    generator = torch.Generator().manual_seed(1)
    weights = initial_weights(12, 5, scale=0.2, generator=generator).double()
    params = HebbianParams(threshold=0.6, beta=0.5, learning_rate=0.01, bounds=bounds)
    run = run_hebbian(inputs, weights, params)
    ref_spikes, ref_weights = reference_run(inputs, weights, bounds=bounds)
    assert 0 < run.spikes.sum() < run.spikes.numel()  # both firing and silence were exercised
    torch.testing.assert_close(run.spikes, ref_spikes, rtol=0, atol=0)
    torch.testing.assert_close(run.weights[1:], ref_weights, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(run.weights[0], weights)


def test_layer_step_by_hand():
    """Membrane halves, adds x @ W, fires at >= 0.6; a neuron that fired starts the next step from 0."""
    params = HebbianParams()
    weights = torch.tensor([[0.4, 0.1], [0.2, 0.1]])
    x = torch.tensor([1.0, 1.0])
    spikes, state = hebbian_layer_step(x, None, weights, params)
    assert spikes.tolist() == [1.0, 0.0] and state.mem.tolist() == pytest.approx([0.6, 0.2])
    spikes, state = hebbian_layer_step(x, state, weights, params)  # 0 + 0.6 >= 0.6 fires; 0.1 + 0.2 = 0.3
    assert spikes.tolist() == [1.0, 0.0] and state.mem.tolist() == pytest.approx([0.6, 0.3])


def test_layer_is_the_discrete_lif_neuron_with_reset_to_zero():
    """The shared step: equal to snntorch.Leaky(reset_mechanism="zero") wherever no membrane sits exactly
    at the threshold (the article fires at >=, snntorch at >)."""
    snn = pytest.importorskip("snntorch")
    inputs = random_inputs(60, 12, seed=4).float()
    weights = initial_weights(12, 6, scale=0.3, generator=torch.Generator().manual_seed(2))
    run = run_hebbian(inputs, weights, HebbianParams(), learn=False)
    leaky = snn.Leaky(beta=0.5, threshold=0.6, reset_mechanism="zero")
    mem, spikes = leaky.reset_mem(), []
    for x in inputs:
        spk, mem = leaky(x @ weights, mem)
        spikes.append(spk)
    assert 0 < run.spikes.sum() < run.spikes.numel()
    assert torch.equal(run.spikes, torch.stack(spikes))


def test_update_strengthens_active_inputs_to_firing_neurons_only():
    params = HebbianParams(learning_rate=0.1)
    weights = torch.zeros(3, 2)
    new = hebbian_update(weights, torch.tensor([0.9, 0.1, 0.6]), torch.tensor([1.0, 0.0]), params)
    # input 0 (0.9 > 0.6) up, inputs 1 and 2 (0.6 is not above 0.6) down, neuron 1 untouched
    assert new.flatten().tolist() == pytest.approx([0.1, 0.0, -0.1, 0.0, -0.1, 0.0])
    assert weights.abs().sum() == 0  # the input tensor is not modified


def test_unbounded_rule_runs_away_and_bounded_rule_stays_in_bounds():
    pattern = torch.zeros(10, dtype=torch.float64)
    pattern[:5] = 1.0
    inputs = pattern.expand(400, 10)
    weights = torch.full((10, 3), 0.15, dtype=torch.float64)
    free = run_hebbian(inputs, weights, HebbianParams(learning_rate=0.01))
    bounded = run_hebbian(inputs, weights, HebbianParams(learning_rate=0.01, bounds=(0.0, 1.0)))
    # the unbounded weights of the pattern inputs grow every time the neuron fires
    assert free.weights[-1, :5].min() > 1.5
    assert free.weights[-1, 5:].max() < -1.5
    assert bool((free.weights[1:, :5, 0] >= free.weights[:-1, :5, 0]).all())
    assert float(bounded.weights.max()) == 1.0 and float(bounded.weights.min()) == 0.0
    assert torch.all(bounded.weights[-1, :5] == 1.0) and torch.all(bounded.weights[-1, 5:] == 0.0)


def test_batched_update_sums_over_batch():
    params = HebbianParams(learning_rate=0.1)
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    spikes = torch.tensor([[1.0], [1.0]])
    new = hebbian_update(torch.zeros(2, 1), x, spikes, params)
    assert new.flatten().tolist() == pytest.approx([0.2, 0.0])


def test_learn_false_keeps_weights_and_seeded_weights_repeat():
    weights = initial_weights(6, 2, generator=torch.Generator().manual_seed(3))
    again = initial_weights(6, 2, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(weights, again)
    run = run_hebbian(random_inputs(20, 6).float(), weights, learn=False)
    assert torch.all(run.weights == weights)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(["threshold", "beta", "learning_rate"]),
       value=st.one_of(st.floats(max_value=-1e-9), st.just(float("nan")), st.just(float("inf"))))
def test_bad_params_raise_naming_them(name, value):
    with pytest.raises(ValueError, match=name):
        HebbianParams(**{name: value})


@settings(max_examples=30, deadline=None)
@given(low=st.floats(-5, 5), gap=st.floats(0, 5))
def test_empty_bounds_raise(low, gap):
    with pytest.raises(ValueError, match="bounds"):
        HebbianParams(bounds=(low, low - gap))


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="weights"):
        run_hebbian(torch.zeros(5, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="inputs"):
        run_hebbian(torch.zeros(3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="num_neurons"):
        initial_weights(3, 0)
    with pytest.raises(ValueError, match="inputs"):
        run_hebbian(torch.full((4, 3), float("nan")), torch.zeros(3, 2))


def test_bad_types_and_sizes_raise():
    with pytest.raises(TypeError, match="learn"):
        run_hebbian(torch.zeros(4, 3), torch.zeros(3, 2), learn="False")
    with pytest.raises(TypeError, match="threshold"):
        HebbianParams(threshold="0.6")
    with pytest.raises(ValueError, match="learning_rate"):
        HebbianParams(learning_rate=1e308)  # gave infinite weights before
    with pytest.raises(ValueError, match="would need"):
        initial_weights(10**6, 10**6)
