"""Lesson 04's build exercises: SpikeProp's output-layer gradient and the hidden layer's delta.

Independent references: central finite differences of ``snnlesson.spikeprop.spike_time`` (for dt/dw)
and of the loss of the whole two-layer network (for y * delta of the hidden layer), on networks
built here, not the checkers' hidden ones. Every mistake below is written the way a student would
write it, independently of the checker's catalogue, and must get its own hint.
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import spikeprop as sp  # noqa: E402
from snnlesson.lessons import l04_spikeprop as lesson  # noqa: E402

P = sp.SRMParams()


# ----------------------------------------------------------------------------- right answers, written here


def eps(s, tau):
    return np.where(s > 0, s / tau * np.exp(1 - s / tau), 0.0)


def deps(s, tau):
    return np.where(s > 0, (1 / tau - s / tau ** 2) * math.e * np.exp(-s / tau), 0.0)


def right_output(t_in, t_out, target, w, params):
    dt_dw = np.zeros(w.shape)
    delta = np.zeros(len(t_out))
    for j in range(len(t_out)):          # loops on purpose: a second, plainer implementation
        slope = 0.0
        for i in range(len(t_in)):
            for k, d in enumerate(params.delays):
                slope += w[i, j, k] * deps(t_out[j] - t_in[i] - d, params.tau)
        for i in range(len(t_in)):
            for k, d in enumerate(params.delays):
                dt_dw[i, j, k] = -eps(t_out[j] - t_in[i] - d, params.tau) / slope
        delta[j] = (target[j] - t_out[j]) / slope
    return dt_dw, delta


def right_hidden(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params):
    out = np.zeros(len(t_hidden))
    for i in range(len(t_hidden)):
        back = sum(delta_out[j] * w_out[i, j, k] * deps(t_out[j] - t_hidden[i] - d, params.tau)
                   for j in range(len(t_out)) for k, d in enumerate(params.delays))
        slope = sum(w_hidden[h, i, k] * deps(t_hidden[i] - t_in[h] - d, params.tau)
                    for h in range(len(t_in)) for k, d in enumerate(params.delays))
        out[i] = back / slope
    return out


def network(seed=5, params=P, sizes=(3, 4, 2)):
    """A two-layer network (not one of the checkers') in which every neuron fires."""
    rng = np.random.default_rng(seed)
    t_in = np.array([0.0, 0.002, 0.0045])[: sizes[0]]
    w_hidden = rng.uniform(0.0, 0.1, (sizes[0], sizes[1], params.n_terminals))
    w_out = rng.uniform(0.0, 0.1, (sizes[1], sizes[2], params.n_terminals))
    w_out[-1] *= -0.3
    t_in, t_hidden, t_out = sp.forward(t_in, [w_hidden, w_out], params)
    assert np.isfinite(t_hidden).all() and np.isfinite(t_out).all()
    return t_in, w_hidden, t_hidden, w_out, t_out, t_out + np.array([0.002, -0.0015])


# ----------------------------------------------------------------------------- the references against finite differences


def test_reference_output_gradient_matches_finite_differences_of_spike_time():
    t_in, w_hidden, t_hidden, w_out, t_out, target = network()
    dt_dw, delta = lesson.output_layer_gradient(t_hidden, t_out, target, w_out, P)
    h = 1e-7
    numeric = np.zeros(w_out.shape)
    for index in np.ndindex(w_out.shape):      # one weight at a time, independent of the batched helper
        up, down = w_out.copy(), w_out.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (sp.spike_time(t_hidden, up, P)[index[1]] - sp.spike_time(t_hidden, down, P)[index[1]]) / (2 * h)
    np.testing.assert_allclose(dt_dw, numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())
    np.testing.assert_allclose(lesson.finite_difference_dt_dw(t_hidden, w_out, P), numeric, rtol=1e-12, atol=1e-15)
    assert (dt_dw == 0).any() and (dt_dw != 0).any()     # some terminals arrive after the output spike
    # dE/dw = (t - t_d) dt/dw = y delta: the two returned arrays agree with each other
    y = sp.kernel(t_out[None, :, None] - t_hidden[:, None, None] - P.delay_array, P.tau)
    np.testing.assert_allclose((t_out - target)[None, :, None] * dt_dw, y * delta[None, :, None], rtol=1e-12)
    np.testing.assert_allclose(dt_dw, right_output(t_hidden, t_out, target, w_out, P)[0], rtol=1e-12)


def test_reference_hidden_delta_matches_finite_differences_of_the_loss():
    t_in, w_hidden, t_hidden, w_out, t_out, target = network()
    _, delta_out = lesson.output_layer_gradient(t_hidden, t_out, target, w_out, P)
    delta = lesson.hidden_delta(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, P)
    y = sp.kernel(t_hidden[None, :, None] - t_in[:, None, None] - P.delay_array, P.tau)

    def loss(w):
        return sp.loss(sp.forward(t_in, [w, w_out], P)[-1], target)

    h = 1e-7
    numeric = np.zeros(w_hidden.shape)
    for index in np.ndindex(w_hidden.shape):
        up, down = w_hidden.copy(), w_hidden.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss(up) - loss(down)) / (2 * h)
    np.testing.assert_allclose(y * delta[None, :, None], numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())
    np.testing.assert_allclose(delta, right_hidden(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, P), rtol=1e-12)


def test_the_hidden_networks_exercise_what_the_catalogue_needs():
    for index in range(3):
        net = lesson._hidden_network(index)
        assert net["params"].threshold != 1.0 and net["params"] != P
        assert len(net["t_out"]) >= 2 and len(net["t_hidden"]) != len(net["t_out"]) or index == 1
        dt_dw, _ = lesson.output_layer_gradient(net["t_hidden"], net["t_out"], net["target"], net["w_out"],
                                                net["params"])
        late = dt_dw == 0
        assert late.any() and (net["w_out"][late] != 0).any()     # weighted terminals arriving after t_j


# ----------------------------------------------------------------------------- exercise 1: the output layer


def stub_output(t_in, t_out, target, w, params):
    ...


def _s(t_in, t_out, params, delays=True):
    return t_out[None, :, None] - t_in[:, None, None] - (params.delay_array if delays else 0)


def output_with(numerator="eps", denominator="deps", sign=-1.0, error_sign=1.0, scale=(1.0, 1.0), delays=True,
                causal=True, tau=None, slope_axes=(0, 2), error_unit=1.0):
    """A student's output_layer_gradient with one thing changed."""
    def answer(t_in, t_out, target, w, params):
        tau_ = params.tau if tau is None else tau
        s = _s(t_in, t_out, params, delays)
        if causal:
            y, dy = eps(s, tau_), deps(s, tau_)
        else:
            y, dy = s / tau_ * np.exp(1 - s / tau_), (1 - s / tau_) * np.exp(1 - s / tau_) / tau_
        kernels = {"eps": y, "deps": dy}
        slope = np.sum(w * kernels[denominator], axis=slope_axes) if denominator else np.ones(len(t_out))
        if slope_axes == (0, 1, 2):
            slope = np.full(len(t_out), slope)
        dt_dw = sign * kernels[numerator] / slope[None, :, None]
        delta = error_sign * (target - t_out) * error_unit / slope
        return dt_dw * scale[0], delta * scale[1]
    return answer


def tau_in_ms_output(t_in, t_out, target, w, params):
    return output_with(tau=params.tau * 1000)(t_in, t_out, target, w, params)


OUTPUT_MISTAKES = [
    ("sign flipped (missing minus)", output_with(sign=1.0), "wrong sign. A stronger excitatory weight"),
    ("error term t - t_d", output_with(error_sign=-1.0), "δ_j has the wrong sign"),
    ("sum of w y in the denominator", output_with(denominator="eps"), "which is just the threshold ϑ"),
    ("no denominator", output_with(denominator=None), "divide by the slope"),
    ("derivative in the numerator", output_with(numerator="deps"), "the numerator is the kernel itself"),
    ("inputs after t_j counted", output_with(causal=False), "cannot have moved the spike"),
    ("delays ignored", output_with(delays=False), "include each terminal's delay"),
    ("slope summed over all outputs", output_with(slope_axes=(0, 1, 2)), "one number per output neuron"),
    ("everything in ms", output_with(scale=(1e3, 1e6)), "you worked in milliseconds"),
    ("error in ms", output_with(error_unit=1e3), "the error t_j^d − t_j is in milliseconds"),
    ("tau in ms", lambda *a: tau_in_ms_output(*a), "in seconds like every time here"),
    ("tau hard-coded", output_with(tau=0.007), "these networks do not all have τ = 7 ms"),
]


def test_output_checker_not_attempted_for_stubs():
    for answer in (..., None, stub_output):
        result = lesson.check_output_gradient(answer)
        assert not result and not result.attempted
        assert repr(result).startswith("Not attempted yet:")


@pytest.mark.parametrize("name, answer, hint", OUTPUT_MISTAKES, ids=[m[0] for m in OUTPUT_MISTAKES])
def test_output_checker_names_each_mistake(name, answer, hint):
    result = lesson.check_output_gradient(answer)
    assert not result and result.attempted and repr(result).startswith("Not yet:"), name
    assert hint in result.message.split("Hint: ", 1)[1], result.message
    assert "hidden network 1" in result.message


def test_output_catalogue_has_a_distinct_hint_per_mistake():
    hints = [hint for _, hint in lesson.OUTPUT_GRADIENT_MISTAKES]
    assert len(hints) >= 5 and len(set(hints)) == len(hints)
    for _, _, hint in OUTPUT_MISTAKES:   # every mistake tested above has its own entry
        assert sum(hint in h for h in hints) == 1, hint


@pytest.mark.parametrize("answer, words", [
    (lambda *a: (np.full((4, 2, 4), np.nan), np.zeros(2)), "NaN or infinity"),
    (lambda *a: (np.zeros((4, 2)), np.zeros(2)), "shape (4, 2)"),
    (lambda *a: np.zeros((4, 2, 4)), "as a tuple"),
    (lambda *a: ("dt", "delta"), "array of numbers"),
    (lambda *a: (np.zeros((4, 2, 4)), None), "delta is None"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
    (lambda *a: (np.zeros((4, 2, 4)), np.zeros(2)), "expected"),             # a hard-coded answer
    (lambda *a: (right_output(*a)[0] * (1 + 1e-4), right_output(*a)[1]), "is -"),   # a near miss, no hint
])
def test_output_checker_says_what_is_wrong(answer, words):
    result = lesson.check_output_gradient(answer)
    assert not result and result.attempted
    assert words in result.message, result.message
    if words == "is -":
        assert "Hint" not in result.message


def test_output_checker_refuses_a_non_function_and_stops_a_loop(monkeypatch):
    assert "should be a function" in lesson.check_output_gradient(3.0).message

    def never(*args):
        while True:
            pass

    monkeypatch.setattr(lesson, "BUILD_TIME_LIMIT_S", 0.3)
    result = lesson.check_output_gradient(never)
    assert not result and "did not return within 0.3 s" in result.message


def test_output_checker_accepts_the_right_answer_also_in_float32_and_torch():
    for answer in (right_output, lesson.output_layer_gradient,
                   lambda *a: tuple(x.astype(np.float32) for x in right_output(*a)),
                   lambda *a: tuple(torch.as_tensor(x) for x in right_output(*a)),
                   lambda *a: [x.tolist() for x in right_output(*a)]):
        result = lesson.check_output_gradient(answer)
        assert result and repr(result).startswith("Correct!"), result.message


def test_output_checker_does_not_change_the_readers_inputs_between_cases():
    seen = []

    def spy(t_in, t_out, target, w, params):
        seen.append(params)
        result = right_output(t_in, t_out, target, w, params)
        w[...] = 0.0            # a careless in-place change must not leak into the next case
        return result

    assert lesson.check_output_gradient(spy)
    assert len(seen) == 3 and len({(p.tau, p.threshold, p.n_terminals) for p in seen}) == 3


# ----------------------------------------------------------------------------- exercise 2: the hidden layer


def stub_hidden(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params):
    ...


def hidden_with(back="deps", den="deps", sign=1.0, weights=True, delays=True, causal=True, tau=None):
    def answer(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params):
        tau_ = params.tau if tau is None else tau
        d = params.delay_array if delays else 0.0
        s_out = t_out[None, :, None] - t_hidden[:, None, None] - d
        s_in = t_hidden[None, :, None] - t_in[:, None, None] - d
        raw = {"eps": lambda s: s / tau_ * np.exp(1 - s / tau_),
               "deps": lambda s: (1 - s / tau_) * np.exp(1 - s / tau_) / tau_}
        masked = {"eps": lambda s: eps(s, tau_), "deps": lambda s: deps(s, tau_)}
        k = masked if causal else raw
        numerator = np.sum(delta_out[None, :, None] * (w_out if weights else 1.0) * k[back](s_out), axis=(1, 2))
        numerator = numerator * np.ones(len(t_hidden))
        slope = np.sum(w_hidden * k[den](s_in), axis=(0, 2)) if den else 1.0
        return sign * numerator / slope
    return answer


def tau_in_ms_hidden(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params):
    return hidden_with(tau=params.tau * 1000)(t_in, w_hidden, t_hidden, w_out, t_out, delta_out, params)


HIDDEN_MISTAKES = [
    ("sign flipped", hidden_with(sign=-1.0), "the sign is flipped"),
    ("kernel in the numerator", hidden_with(back="eps"), "in the numerator use the kernel's derivative"),
    ("kernel in the denominator", hidden_with(den="eps"), "just the threshold ϑ"),
    ("no denominator", hidden_with(den=None), "divide by the hidden neuron's own slope"),
    ("weights left out", hidden_with(weights=False), "weight each output's δ_j"),
    ("inputs after the spike counted", hidden_with(causal=False), "plays no part"),
    ("delays ignored", hidden_with(delays=False), "include the delays"),
    ("tau in ms", tau_in_ms_hidden, "in seconds like every time here"),
    ("tau hard-coded", hidden_with(tau=0.007), "these networks do not all have τ = 7 ms"),
]


def test_hidden_checker_not_attempted_for_stubs():
    for answer in (..., None, stub_hidden):
        result = lesson.check_hidden_delta(answer)
        assert not result and not result.attempted


@pytest.mark.parametrize("name, answer, hint", HIDDEN_MISTAKES, ids=[m[0] for m in HIDDEN_MISTAKES])
def test_hidden_checker_names_each_mistake(name, answer, hint):
    result = lesson.check_hidden_delta(answer)
    assert not result and result.attempted and repr(result).startswith("Not yet:"), name
    assert hint in result.message.split("Hint: ", 1)[1], result.message


def test_hidden_catalogue_has_a_distinct_hint_per_mistake():
    hints = [hint for _, hint in lesson.HIDDEN_DELTA_MISTAKES]
    assert len(hints) >= 5 and len(set(hints)) == len(hints)
    for _, _, hint in HIDDEN_MISTAKES:
        assert sum(hint in h for h in hints) == 1, hint


@pytest.mark.parametrize("answer, words", [
    (lambda *a: np.full(4, np.inf), "NaN or infinity"),
    (lambda *a: np.zeros(2), "shape (2,)"),
    (lambda *a: "delta", "array of numbers"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
    (lambda *a: np.array([-7.15e-06, -6.09e-06, -4.91e-06, 2.71e-06]), "expected"),   # rounded numbers typed in
])
def test_hidden_checker_says_what_is_wrong(answer, words):
    result = lesson.check_hidden_delta(answer)
    assert not result and result.attempted and words in result.message, result.message


def test_hidden_checker_stops_a_loop_and_accepts_the_right_answer(monkeypatch):
    def never(*args):
        while True:
            pass

    monkeypatch.setattr(lesson, "BUILD_TIME_LIMIT_S", 0.3)
    assert "did not return" in lesson.check_hidden_delta(never).message
    monkeypatch.undo()
    for answer in (right_hidden, lesson.hidden_delta, lambda *a: torch.as_tensor(right_hidden(*a), dtype=torch.float32)):
        result = lesson.check_hidden_delta(answer)
        assert result and repr(result).startswith("Correct!"), result.message


# ----------------------------------------------------------------------------- what the lesson does with them


def test_descent_with_the_readers_gradient_equals_the_package_and_reaches_the_target():
    for target in (0.007, 0.013):
        mine, package = lesson.descend(right_output, target), lesson.descend(None, target)
        np.testing.assert_allclose(mine["times"], package["times"], rtol=1e-9)
        assert abs(mine["times"][-1] - target) < abs(mine["times"][0] - target) / 10
    wrong = lesson.descend(OUTPUT_MISTAKES[0][1], 0.013)          # the sign mistake walks away from the target
    assert abs(wrong["times"][-1] - 0.013) > abs(wrong["times"][0] - 0.013) or not np.isfinite(wrong["times"][-1])


def test_xor_descent_with_the_readers_backward_pass_equals_the_package():
    mine = lesson.xor_descent(right_output, right_hidden, epochs=8)
    package = lesson.xor_descent(None, None, epochs=8)
    np.testing.assert_allclose(mine["output_times"], package["output_times"], rtol=1e-9)
    assert package["loss"][-1] < package["loss"][0] / 2
    other = lesson.xor_descent(right_output, HIDDEN_MISTAKES[0][1], epochs=8)   # a wrong hidden delta differs
    assert not np.allclose(other["output_times"], package["output_times"])


def test_build_figures_are_labelled():
    for fig in (lesson.descent_figure(lesson.output_layer_gradient),
                lesson.xor_descent_figure(lesson.output_layer_gradient, lesson.hidden_delta, epochs=3)):
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
            assert ax.get_legend() is not None
        plt.close(fig)


@pytest.mark.parametrize("call, error, name", [
    (lambda: lesson.output_layer_gradient([0.0], [np.nan], [0.01], np.zeros((1, 1, 16))), ValueError, "t_out"),
    (lambda: lesson.output_layer_gradient([0.0], [0.01], [0.01, 0.02], np.zeros((1, 1, 16))), ValueError, "target"),
    (lambda: lesson.output_layer_gradient([0.0], [0.01], [0.01], np.zeros((1, 1, 3))), ValueError, "w"),
    (lambda: lesson.hidden_delta([0.0], np.zeros((1, 1, 16)), [0.01], np.zeros((1, 1, 16)), [0.02], [1.0, 2.0]),
     ValueError, "delta_out"),
    (lambda: lesson.finite_difference_dt_dw([0.0], np.zeros((1, 1, 16)), h=0.0), ValueError, "h"),
    (lambda: lesson.descend("f", 0.01), TypeError, "gradient_fn"),
    (lambda: lesson.descend(None, -0.01), ValueError, "target"),
    (lambda: lesson.xor_descent(right_output, None), ValueError, "both"),
    (lambda: lesson.xor_descent(None, None, epochs=0), ValueError, "epochs"),
    (lambda: lesson.descent_figure(None, label=3), TypeError, "label"),
])
def test_build_helpers_reject_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()
