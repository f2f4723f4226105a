"""Tests of snnlesson.spikeprop (the SRM neuron and SpikeProp's gradients) and snnlesson.spikeprop_training.

Independent references: the closed-form alpha kernel and its numerical derivative; a
hand-solved one-synapse neuron (spike time and dt/dw on paper); Lambert's W (scipy) for
any one-synapse crossing; a brute-force fine time grid for whole layers; central finite
differences of the loss; and torch autograd through the implicit function theorem.
"""

import math

import numpy as np
import pytest
import torch

from snnlesson import spikeprop as sp
from snnlesson import spikeprop_training as tr
from snnlesson.data import xor_spike_times

TAU = 0.007
P = sp.SRMParams()


def one_synapse(weight, terminal=0, n_terminals=16):
    w = np.zeros((1, 1, n_terminals))
    w[0, 0, terminal] = weight
    return w


def random_network(seed=1, sizes=(3, 4, 2), low=0.0, high=0.1):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, (a, b, 16)) for a, b in zip(sizes[:-1], sizes[1:])]


# ----------------------------------------------------------------------------- the kernel


def test_kernel_peaks_at_one_when_s_equals_tau_and_is_zero_before_the_arrival():
    s = np.array([-0.003, 0.0, TAU, 2 * TAU])
    got = sp.kernel(s, TAU)
    np.testing.assert_allclose(got, [0.0, 0.0, 1.0, 2 * math.exp(-1)], rtol=1e-14)
    grid = np.linspace(1e-5, 0.05, 20001)
    assert abs(grid[np.argmax(sp.kernel(grid, TAU))] - TAU) < 3e-6


def test_kernel_derivative_matches_central_differences_of_the_kernel():
    s = np.linspace(0.0005, 0.04, 200)
    h = 1e-8
    numeric = (sp.kernel(s + h, TAU) - sp.kernel(s - h, TAU)) / (2 * h)
    np.testing.assert_allclose(sp.kernel_derivative(s, TAU), numeric, rtol=1e-6, atol=1e-4)
    assert sp.kernel_derivative(np.array([-1.0, 0.0, np.inf]), TAU).tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------- the spike time


def test_one_synapse_spike_time_solved_by_hand():
    # w = 2/sqrt(e) makes w * eps(tau/2) = (2/sqrt(e)) * (1/2) * e^(1/2) = 1: the crossing is d + tau/2
    w = one_synapse(2 / math.sqrt(math.e), terminal=3)          # delay 4 ms
    t = sp.spike_time(np.array([[0.002]]), w, P)
    assert t.shape == (1, 1)
    assert t[0, 0] == pytest.approx(0.002 + 0.004 + TAU / 2, abs=1e-15)


def test_one_synapse_spike_time_equals_lambert_w():
    from scipy.special import lambertw

    weights = np.array([1.0001, 1.05, 1.5, 3.0, 10.0])
    t = sp.spike_time(np.zeros((5, 1)), np.stack([one_synapse(w) for w in weights]), P)   # one net per pattern
    # w (x/tau) e^(1 - x/tau) = 1  ->  x/tau = -W0(-1/(w e)) on the rising flank
    x = -TAU * np.real(lambertw(-1.0 / (weights * math.e), 0))
    np.testing.assert_allclose(t[:, 0], 0.001 + x, rtol=0, atol=1e-13)
    assert np.isinf(sp.spike_time(np.zeros((1, 1)), one_synapse(0.999), P)).all()


def test_closed_form_between_arrivals_uses_p_and_q_as_documented():
    # independent check of the module docstring (and lesson 04's text): between two arrivals
    # u(T_m + x) = exp(-x/tau) (p_m + q_m x) with p_m = u(T_m) and q_m = u'(T_m+) + p_m/tau,
    # u and u' taken from the plain sum of kernels and kernel derivatives (not from spike_time)
    rng = np.random.default_rng(3)
    t_in = np.array([[0.0, 0.002, 0.0045]])
    w = rng.uniform(-0.05, 0.15, (3, 1, 16))
    arrivals = np.sort((t_in[0, :, None] + P.delay_array).ravel())
    T_m, T_next = arrivals[7], arrivals[8]
    x = np.linspace(0.0, T_next - T_m, 9)[:-1]
    u = sp.potential(T_m + x, t_in, w, P)[0, 0]
    p_m = sp.potential(np.array([T_m]), t_in, w, P)[0, 0, 0]
    s = T_m - t_in[0, :, None] - P.delay_array
    # the slope just after T_m: the terminal arriving at T_m (s = 0) already rises at e/tau per unit weight
    slope = float(np.sum(w[:, 0, :] * np.where(s >= 0, (1 - s / TAU) * np.exp(1 - s / TAU) / TAU, 0.0)))
    q_m = slope + p_m / TAU
    np.testing.assert_allclose(u, np.exp(-x / TAU) * (p_m + q_m * x), rtol=1e-12, atol=1e-14)
    assert abs(q_m - slope) > 1e-3 * abs(q_m)          # q_m is not the slope itself


def test_spike_times_agree_with_a_brute_force_grid_and_sit_on_the_threshold():
    rng = np.random.default_rng(0)
    t_in = rng.uniform(0, 0.01, (20, 5))
    t_in[rng.random(t_in.shape) < 0.2] = np.inf
    w = rng.uniform(-0.05, 0.15, (5, 6, 16)) * np.linspace(0.3, 1.0, 6)[:, None]   # weak to strong neurons
    t = sp.spike_time(t_in, w, P)
    grid = np.arange(0, 0.06, 1e-5)
    u = sp.potential(grid, t_in, w, P)
    above = u >= 1.0
    brute = np.where(above.any(-1), grid[np.argmax(above, -1)], np.inf)
    assert (np.isfinite(t) == np.isfinite(brute)).all()
    assert 0.5 < np.isfinite(t).mean() < 1.0          # both firing and silent neurons are tested
    fired = np.isfinite(t)
    assert np.max(np.abs(t[fired] - brute[fired])) <= 1e-5   # one grid step
    b, j = np.nonzero(fired)
    at_t = np.array([sp.potential(np.array([t[bb, jj]]), t_in[bb], w[:, jj:jj + 1], P)[0, 0] for bb, jj in zip(b, j)])
    np.testing.assert_allclose(at_t, 1.0, atol=1e-12)


def test_silent_cases_return_inf():
    t_in = np.array([[0.0, np.inf], [np.inf, np.inf]])
    w = np.full((2, 3, 16), 0.2)
    w[:, 1] = 0.0             # no weights: never fires
    w[:, 2] = -0.2            # inhibition only: never fires
    t = sp.spike_time(t_in, w, P)
    assert np.isfinite(t[0, 0]) and np.isinf(t[0, 1:]).all()
    assert np.isinf(t[1]).all()   # no input spike at all


def test_a_late_strong_input_cannot_undo_an_earlier_crossing():
    # fires at the first crossing; later inputs are ignored
    w = np.zeros((2, 1, 16))
    w[0, 0, 0] = 1.5
    w[1, 0, 0] = 5.0
    t_early_only = sp.spike_time(np.array([[0.0, np.inf]]), w, P)
    t_both = sp.spike_time(np.array([[0.0, 0.03]]), w, P)
    assert t_both[0, 0] == pytest.approx(t_early_only[0, 0], abs=1e-15)


def test_per_pattern_weights_broadcast_like_a_loop():
    rng = np.random.default_rng(3)
    t_in = rng.uniform(0, 0.006, (4, 3))
    w = rng.uniform(0, 0.1, (4, 3, 2, 16))          # one network per pattern
    batched = sp.spike_time(t_in, w, P)
    looped = np.stack([sp.spike_time(t_in[n:n + 1], w[n], P)[0] for n in range(4)])
    np.testing.assert_array_equal(batched, looped)


def test_forward_returns_every_layer_and_accepts_tensors():
    w = random_network()
    times = sp.forward(torch.tensor([[0.0, 0.006, 0.0]]), w, P)
    assert [t.shape for t in times] == [(1, 3), (1, 4), (1, 2)]
    assert all(t.dtype == np.float64 for t in times)


# ----------------------------------------------------------------------------- gradients


def test_one_synapse_gradient_solved_by_hand():
    # at t = d + tau/2 with w = 2/sqrt(e): dt/dw = -eps/(w eps') = -(1/w) / (w sqrt(e)/(2 tau)) = -tau sqrt(e)/2
    w0 = 2 / math.sqrt(math.e)
    w = one_synapse(w0)
    t_in = np.array([[0.0]])
    times = sp.forward(t_in, [w], P)
    target = np.array([[0.003]])
    loss, (grad,) = sp.backward(times, [w], target, P)
    t_a = 0.001 + TAU / 2
    assert loss[0] == pytest.approx(0.5 * (t_a - 0.003) ** 2, rel=1e-12)
    dt_dw = -TAU * math.sqrt(math.e) / 2
    assert grad[0, 0, 0, 0] == pytest.approx((t_a - 0.003) * dt_dw, rel=1e-10)
    # Bohte's form: delta = (t_d - t_a) / (w eps'(tau/2)), grad = y * delta with y = eps(tau/2) = sqrt(e)/2
    delta = (0.003 - t_a) / (w0 * math.sqrt(math.e) / (2 * TAU))
    assert grad[0, 0, 0, 0] == pytest.approx(math.sqrt(math.e) / 2 * delta, rel=1e-10)
    # terminals whose spike arrives after t_a do not contribute
    assert np.all(grad[0, 0, 0, 5:] == 0)


def _loss_sum(t_in, weights, target):
    return sp.loss(sp.forward(t_in, weights, P)[-1], target).sum()


def test_gradients_match_central_finite_differences():
    t_in = xor_spike_times().input_times
    target = xor_spike_times().target_times
    weights = random_network(seed=1, sizes=(3, 4, 1))
    times = sp.forward(t_in, weights, P)
    assert np.isfinite(times[-1]).all() and np.isfinite(times[1]).all()
    _, grads = sp.backward(times, weights, target, P)
    rng = np.random.default_rng(0)
    h = 1e-7
    for layer in range(2):
        g = grads[layer].sum(axis=0)
        for _ in range(25):
            idx = tuple(int(rng.integers(0, n)) for n in weights[layer].shape)
            up = [w.copy() for w in weights]
            down = [w.copy() for w in weights]
            up[layer][idx] += h
            down[layer][idx] -= h
            numeric = (_loss_sum(t_in, up, target) - _loss_sum(t_in, down, target)) / (2 * h)
            assert g[idx] == pytest.approx(numeric, rel=1e-5, abs=1e-13), (layer, idx)


def _torch_spike_time(t_in, w, t_hat):
    """Differentiable spike time via the implicit function theorem: t = t_hat - (u(t_hat) - theta) / u'(t_hat).

    t_hat and u' are constants (no gradient), so d t / d(w, t_in) = -(du/d(w, t_in)) / (du/dt) at the crossing.
    """
    d = torch.tensor(P.delays, dtype=torch.float64)
    fired = torch.isfinite(t_hat)
    t_safe = torch.where(fired, t_hat, torch.zeros_like(t_hat)).requires_grad_(True)
    in_fired = torch.isfinite(t_in)
    t_in_safe = torch.where(in_fired, t_in, torch.full_like(t_in, 1e3))   # far future: no contribution
    s = t_safe[..., None, :, None] - t_in_safe[..., :, None, None] - d
    live = s > 0
    s_pos = torch.where(live, s, torch.ones_like(s))
    eps = torch.where(live, s_pos / TAU * torch.exp(1 - s_pos / TAU), torch.zeros_like(s))
    u = (w * eps).sum(dim=(-3, -1))
    (du_dt,) = torch.autograd.grad(u.sum(), t_safe, retain_graph=True)
    t = t_safe.detach() - (u - P.threshold) / du_dt.detach()
    return torch.where(fired, t, t_hat)


def test_gradients_match_autograd_through_the_implicit_function_theorem():
    t_in_np = np.array([[0.0, 0.006, 0.0], [0.006, 0.0, 0.0], [0.002, 0.004, 0.0]])
    target_np = np.array([[0.016, 0.012], [0.010, 0.013], [0.015, 0.011]])
    weights = random_network(seed=4, sizes=(3, 5, 2))
    times = sp.forward(t_in_np, weights, P)
    _, grads = sp.backward(times, weights, target_np, P)

    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    t = torch.tensor(t_in_np)
    for w, t_hat in zip(ws, times[1:]):
        t = _torch_spike_time(t, w, torch.tensor(t_hat))
    loss = 0.5 * ((t - torch.tensor(target_np)) ** 2).sum()
    loss.backward()
    for g_ours, w in zip(grads, ws):
        np.testing.assert_allclose(g_ours.sum(axis=0), w.grad.numpy(), rtol=1e-9, atol=1e-16)
    assert np.abs(grads[0]).max() > 0      # the hidden layer really receives a gradient


def test_min_slope_clips_du_dt_in_delta():
    # a neuron that barely reaches the threshold has a tiny slope and a huge exact gradient
    w = one_synapse(1.00001)
    times = sp.forward(np.array([[0.0]]), [w], P)
    target = np.array([[0.005]])
    _, (exact,) = sp.backward(times, [w], target, P)
    _, (clipped,) = sp.backward(times, [w], target, P, min_slope=100.0)
    s = times[1][0, 0] - 0.001
    slope = 1.00001 * sp.kernel_derivative(np.array(s), TAU)
    assert 0 < slope < 100.0
    y = sp.kernel(np.array(s), TAU)
    err = times[1][0, 0] - 0.005
    assert exact[0, 0, 0, 0] == pytest.approx(-err * y / slope, rel=1e-9)
    assert clipped[0, 0, 0, 0] == pytest.approx(-err * y / 100.0, rel=1e-9)
    assert abs(exact[0, 0, 0, 0]) > 10 * abs(clipped[0, 0, 0, 0])


def test_silent_neurons_pass_no_gradient_and_their_loss_is_infinite():
    weights = random_network(seed=1, sizes=(3, 4, 1))
    weights[1][:] = 0.0                          # the output can never fire
    times = sp.forward(xor_spike_times().input_times, weights, P)
    loss, grads = sp.backward(times, weights, xor_spike_times().target_times, P)
    assert np.isinf(loss).all()
    assert all(np.all(g == 0) for g in grads)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, name", [({"tau": -0.007}, "tau"), ({"tau": 0.0}, "tau"),
                                          ({"threshold": float("nan")}, "threshold"),
                                          ({"delays": (0.001, -0.002)}, r"delays\[1\]"),
                                          ({"delays": ()}, "delays")])
def test_params_reject_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        sp.SRMParams(**kwargs)


def test_params_reject_wrong_types():
    with pytest.raises(TypeError, match="tau"):
        sp.SRMParams(tau="7 ms")
    with pytest.raises(TypeError, match="delays"):
        sp.SRMParams(delays=0.001)
    with pytest.raises(TypeError, match="params"):
        sp.spike_time(np.zeros((1, 1)), one_synapse(1.0), params={"tau": 0.007})


def test_spike_time_rejects_nan_and_minus_inf_input_times():
    with pytest.raises(ValueError, match="input_times.*NaN"):
        sp.spike_time(np.array([[0.0, np.nan]]), np.zeros((2, 1, 16)), P)
    with pytest.raises(ValueError, match="input_times.*-inf"):
        sp.spike_time(np.array([[0.0, -np.inf]]), np.zeros((2, 1, 16)), P)
    with pytest.raises(TypeError, match="input_times"):
        sp.spike_time("0 ms", np.zeros((1, 1, 16)), P)


@pytest.mark.parametrize("shape", [(3, 1, 16), (2, 1, 15), (2, 16), (2, 0, 16)])
def test_spike_time_rejects_mismatched_weight_shapes(shape):
    with pytest.raises(ValueError, match="weights"):
        sp.spike_time(np.zeros((1, 2)), np.zeros(shape), P)


def test_spike_time_rejects_batches_that_do_not_broadcast_and_bad_iterations():
    with pytest.raises(ValueError, match="input_times.*weights.*broadcast"):
        sp.spike_time(np.zeros((3, 2)), np.zeros((4, 2, 1, 16)), P)
    with pytest.raises(ValueError, match="max_iterations"):
        sp.spike_time(np.zeros((1, 1)), one_synapse(1.5), P, max_iterations=0)


def test_spike_time_rejects_nan_weights_and_inputs_spanning_ages():
    w = np.zeros((2, 1, 16))
    w[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="weights"):
        sp.spike_time(np.zeros((1, 2)), w, P)
    with pytest.raises(ValueError, match="span"):
        sp.spike_time(np.array([[0.0, 10.0]]), np.zeros((2, 1, 16)), P)


def test_backward_and_loss_reject_mismatched_targets():
    weights = random_network(sizes=(3, 4, 2))
    times = sp.forward(np.zeros((1, 3)), weights, P)
    with pytest.raises(ValueError, match="target_times"):
        sp.backward(times, weights, np.zeros((1, 3)), P)
    with pytest.raises(ValueError, match="target_times.*NaN"):
        sp.backward(times, weights, np.array([[0.01, np.nan]]), P)
    with pytest.raises(ValueError, match="min_slope"):
        sp.backward(times, weights, np.full((1, 2), 0.01), P, min_slope=-1.0)


def test_train_rejects_a_target_earlier_than_every_input():
    xor = xor_spike_times()
    targets = xor.target_times.copy()
    targets[2] = 0.004                       # the pattern's first input spike is at 0 ms ... fine
    inputs = xor.input_times + 0.005         # ... but now every input comes at 5 ms or later
    with pytest.raises(ValueError, match="target_times.*pattern 2"):
        tr.train(tr.xor_weights(1), inputs, targets, epochs=1)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"method": "adam"}, ValueError, "method"), ({"epochs": -1}, ValueError, "epochs"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"), ({"epochs": 2.5}, TypeError, "epochs"),
    ({"signs": [None, [1, 1, 1, 1, 0]]}, ValueError, "signs"),
])
def test_train_rejects_bad_arguments(kwargs, error, name):
    xor = xor_spike_times()
    with pytest.raises(error, match=name):
        tr.train(tr.xor_weights(1), xor.input_times, xor.target_times, **kwargs)


# ----------------------------------------------------------------------------- training


def test_online_spikeprop_learns_xor_for_a_few_seeds():
    weights, history = tr.train_xor(4, "online", epochs=300)
    assert history.converged.all()
    final = tr._evaluate(weights, xor_spike_times().input_times, P)[-1][..., 0]       # [4 nets, 4 patterns]
    target = xor_spike_times().target_times[:, 0]
    assert np.all(0.5 * ((final - target) ** 2).sum(axis=1) < 1e-6)       # the stop criterion, 1 ms²
    assert np.all((final < 0.013) == (xor_spike_times().labels == 1))     # true fires nearer 10 ms, false 16
    # the inhibitory hidden neuron stayed inhibitory
    assert np.all(weights[1][:, 4] <= 0) and np.all(weights[1][:, :4] >= 0)
    # networks stop learning once converged: their loss is then constant
    h = history.loss
    for k, e in enumerate(history.epochs_to_converge):
        assert np.all(h[e:, k] == h[e, k]) and h[e, k] < 1e-6


def test_batch_and_rprop_reduce_the_loss():
    for method in ("batch", "rprop"):
        _, history = tr.train_xor(3, method, epochs=40, stop_loss=None)
        assert np.all(history.loss[-1] < 0.5 * history.loss[0]), method


def test_a_silent_output_is_woken_only_by_the_boost():
    xor = xor_spike_times()
    weights = tr.xor_weights(2)
    weights[1][:] = 0.0                                           # the output is silent everywhere
    _, stuck = tr.train(weights, xor.input_times, xor.target_times, epochs=3, silent_boost=0.0,
                        signs=tr.XOR_SIGNS)
    assert np.isinf(stuck.output_times[-1]).all()                 # no gradient, no way out
    _, woken = tr.train(weights, xor.input_times, xor.target_times, epochs=3, silent_boost=0.02,
                        signs=tr.XOR_SIGNS)
    assert np.isfinite(woken.output_times[-1]).all()


def test_first_to_fire_reads_the_earliest_output():
    t = np.array([[0.012, 0.011, 0.02], [np.inf, 0.015, np.inf], [np.inf, np.inf, np.inf]])
    assert tr.first_to_fire(t).tolist() == [1, 1, -1]


def test_iris_spike_times_are_a_stratified_population_code_with_a_reference():
    spikes = tr.iris_spike_times()
    assert spikes.train_times.shape == (99, 49) and spikes.test_times.shape == (51, 49)
    assert np.bincount(spikes.test_labels).tolist() == [17, 17, 17]
    assert np.all(spikes.train_times[:, -1] == 0) and np.all(spikes.test_times[:, -1] == 0)
    finite = spikes.train_times[np.isfinite(spikes.train_times)]
    assert finite.min() >= 0 and finite.max() <= spikes.t_max
    # the nearest field centre is at most half a spacing h away; with sigma = h / 1.5 its response is
    # at least exp(-(h/2)^2 / (2 sigma^2)) = exp(-2.25/8), so every feature fires by t_max (1 - exp(-2.25/8))
    per_feature = spikes.train_times[:, :48].reshape(99, 4, 12)
    earliest = per_feature.min(axis=-1)
    assert earliest.max() <= spikes.t_max * (1 - math.exp(-2.25 / 8)) + 1e-12
    assert earliest.min() < 0.01 * spikes.t_max


def test_iris_learns_far_above_chance_in_a_few_epochs():
    result = tr.train_iris(seeds=(0,), epochs=25)        # chance is 1/3
    assert result["train_accuracy"][0] > 0.8 and result["test_accuracy"][0] > 0.8
    history = result["history"]
    assert history.loss[-1, 0] < 0.2 * history.loss[0, 0]


def test_single_neuron_fires_earlier_for_setosa():
    result = tr.single_neuron_timing(epochs=15)
    t, setosa = result["test_times"], result["test_setosa"]
    assert np.isfinite(t).all()
    assert np.max(t[setosa]) < np.min(t[~setosa])        # one threshold on time separates the classes


def test_layer_backward_checks_its_arguments():
    t_in, t_out, w = np.zeros((1, 3)), np.array([[0.016]]), np.full((3, 1, 16), 0.05)
    with pytest.raises(ValueError, match="grad_out"):
        sp.layer_backward(np.array([[np.nan]]), t_in, t_out, w, P)
    with pytest.raises(ValueError, match="t_out"):
        sp.layer_backward(np.zeros((1, 2)), t_in, np.zeros((1, 2)), w, P)
    with pytest.raises(ValueError, match="min_slope"):
        sp.layer_backward(np.zeros((1, 1)), t_in, t_out, w, P, min_slope=float("nan"))
    with pytest.raises(TypeError, match="weights"):
        sp.backward([t_in, t_out], None, np.array([[0.016]]), P)
    with pytest.raises(ValueError, match="weights"):
        sp.backward([t_in, t_out], [], np.array([[0.016]]), P)


@pytest.mark.parametrize("call, error, name", [
    (lambda: tr.init_weights(None), TypeError, "sizes"),
    (lambda: tr.init_weights((3, 0, 1)), ValueError, r"sizes\[1\]"),
    (lambda: tr.init_weights((3, 5, 1), n_networks=10 ** 12), ValueError, "n_networks"),
    (lambda: tr.train_xor(10 ** 12), ValueError, "n_seeds"),
    (lambda: tr.train_xor(1, init=(0.1, 0.0)), ValueError, "init"),
    (lambda: tr.iris_spike_times(test_fraction=0.001), ValueError, "test_fraction"),
    (lambda: tr.iris_spike_times(n_fields=10 ** 9), ValueError, "n_fields"),
    (lambda: tr.iris_weights(n_hidden=0), ValueError, "n_hidden"),
    (lambda: tr.train_iris(seeds=()), ValueError, "seeds"),
    (lambda: tr.train_iris(spikes="iris"), TypeError, "spikes"),
])
def test_training_helpers_reject_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()
