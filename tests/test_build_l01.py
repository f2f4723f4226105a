"""Lesson 01's build exercises: the simulation loop (check_lif_loop) and the mystery neuron
(check_mystery_neuron), plus the noise helpers. Every catalogue mistake is written here as a student
would write it, independently of the checker's own catalogue, and must get its own hint."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlesson import lif  # noqa: E402
from snnlesson.lessons import l01_lif  # noqa: E402


# ------------------------------------------------------------------ the simulation loop


def student_loop(*, compare=">=", reset_to="v_reset", reset_when="now", held=lambda t_ref, dt: round(t_ref / dt),
                 step="euler", spike_offset=0):
    """A student's loop, written with lists and a while loop (not the checker's code), with one knob per mistake."""
    def simulate_lif(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref):
        v, spikes = [v_rest], [False]
        wait, pending_reset, k = 0, False, 0
        while k < len(current):
            if pending_reset:
                v.append(v_reset)
                spikes.append(False)
                pending_reset = False
            elif wait > 0:
                v.append(v_reset)
                spikes.append(False)
                wait -= 1
            else:
                if step == "swapped":
                    new = v[-1] + tau_m / dt * (-(v[-1] - v_rest) + resistance * current[k])
                else:
                    new = v[-1] + dt / tau_m * (-(v[-1] - v_rest) + resistance * current[k])
                crossed = new >= threshold if compare == ">=" else new > threshold
                spikes.append(bool(crossed))
                if crossed:
                    if reset_to == "nothing":
                        pass
                    elif reset_when == "next":
                        new, pending_reset = (threshold if reset_to == "threshold" else new), True
                    else:
                        new = {"v_reset": v_reset, "zero": 0.0}[reset_to]
                    wait = held(t_ref, dt)
                v.append(new)
            k += 1
        spikes = np.array(spikes)
        if spike_offset:
            spikes = np.roll(spikes, spike_offset)
        return np.array(v), spikes
    return simulate_lif


RIGHT = student_loop()


def nma_style(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref):
    """Threshold checked at the start of the next step (as in many tutorials): the same neuron."""
    n = len(current)
    v = np.zeros(n + 1)
    v[0] = v_rest
    spikes = np.zeros(n + 1, bool)
    tr = 0
    for it in range(n):
        if tr > 0:
            v[it] = v_reset
            tr -= 1
        elif v[it] >= threshold:
            spikes[it] = True
            v[it] = v_reset
            tr = round(t_ref / dt)
        v[it + 1] = v[it] + (-(v[it] - v_rest) + resistance * current[it]) * dt / tau_m
    return v, spikes


@pytest.mark.parametrize("answer", [RIGHT, nma_style], ids=["while-loop", "tutorial-style"])
def test_right_loops_are_correct(answer):
    result = l01_lif.check_lif_loop(answer)
    assert result and repr(result).startswith("Correct! "), result


MISTAKES = {  # name: (the student's function, a phrase its hint must hold)
    "no reset": (student_loop(reset_to="nothing"), "not reset at the step it fires"),
    "no reset, no refractory": (student_loop(reset_to="nothing", held=lambda t, dt: 0), "never reset"),
    "reset to 0": (student_loop(reset_to="zero"), "you reset V to 0"),
    "refractory one step short": (student_loop(held=lambda t, dt: round(t / dt) - 1), "ends one step early"),
    "refractory by int(), truncated": (student_loop(held=lambda t, dt: int(t / dt)), "ends one step early"),
    "refractory by ceil(), one too long": (student_loop(held=lambda t, dt: math.ceil(t / dt)), "one step too long"),
    "reset shown as threshold": (student_loop(reset_to="threshold", reset_when="next"), "your v shows the threshold"),
    "reset one step late": (student_loop(reset_when="next"), "your reset comes one step late"),
    "spike marked one step early": (student_loop(spike_offset=-1), "one step early: mark spikes[k+1]"),
    "spike marked one step late": (student_loop(spike_offset=+1), "one step late: mark spikes[k+1]"),
    "dt and tau_m swapped": (student_loop(step="swapped"), "dt and tau_m are swapped"),
    "> instead of >=": (student_loop(compare=">"), "use >="),
    "no refractory period": (student_loop(held=lambda t, dt: 0), "there is no refractory period"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_each_mistake_gets_its_own_hint(name):
    answer, phrase = MISTAKES[name]
    result = l01_lif.check_lif_loop(answer)
    assert not result and result.attempted and repr(result).startswith("Not yet: "), result
    assert phrase in result.message, result.message
    others = [p for n, (_, p) in MISTAKES.items() if p != phrase]
    assert not any(p in result.message for p in others), result.message


def test_more_mistakes_of_the_step_itself():
    def leak(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref):
        n = len(current)
        v, spikes, held = np.full(n + 1, float(v_rest)), np.zeros(n + 1, bool), 0
        for k in range(n):
            if held:
                v[k + 1], held = v_reset, held - 1
                continue
            v[k + 1] = v[k] + dt / tau_m * (-v[k] + resistance * current[k])  # leaks towards 0
            if v[k + 1] >= threshold:
                spikes[k + 1], v[k + 1], held = True, v_reset, round(t_ref / dt)
        return v, spikes

    def exact(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref):
        n = len(current)
        v, spikes, held = np.full(n + 1, float(v_rest)), np.zeros(n + 1, bool), 0
        for k in range(n):
            if held:
                v[k + 1], held = v_reset, held - 1
                continue
            v_inf = v_rest + resistance * current[k]
            v[k + 1] = v_inf + (v[k] - v_inf) * math.exp(-dt / tau_m)
            if v[k + 1] >= threshold:
                spikes[k + 1], v[k + 1], held = True, v_reset, round(t_ref / dt)
        return v, spikes

    def no_resistance(current, dt, tau_m, v_rest, v_reset, threshold, resistance, t_ref):
        return RIGHT(current, dt, tau_m, v_rest, v_reset, threshold, 1.0, t_ref)  # R I written as I

    assert "multiply the current by the resistance" in l01_lif.check_lif_loop(no_resistance).message
    assert "leaks towards v_rest" in l01_lif.check_lif_loop(leak).message
    assert "exact exponential update" in l01_lif.check_lif_loop(exact).message


def test_broken_answers_get_clear_messages(monkeypatch):
    def returns_nan(*args):
        v, s = RIGHT(*args)
        return v * np.nan, s

    def only_v(*args):
        return RIGHT(*args)[0]

    def spike_times(*args):
        v, s = RIGHT(*args)
        return v, np.flatnonzero(s) * args[1]

    def without_v0(*args):
        v, s = RIGHT(*args)
        return v[1:], s[1:]

    def text(*args):
        return "v", "spikes"

    def stub(*args):
        ...

    def forever(*args):
        while True:
            pass

    assert "NaN" in l01_lif.check_lif_loop(returns_nan).message
    assert "return two arrays" in l01_lif.check_lif_loop(only_v).message
    assert "Spike times or indices are not asked for" in l01_lif.check_lif_loop(spike_times).message
    assert "v[0] = v_rest" in l01_lif.check_lif_loop(without_v0).message
    assert "should be a number or an array" in l01_lif.check_lif_loop(text).message
    for not_yet in (..., None, stub):
        result = l01_lif.check_lif_loop(not_yet)
        assert not result and not result.attempted and repr(result).startswith("Not attempted yet: ")
    assert "should be a function" in l01_lif.check_lif_loop(3.0).message
    raises = l01_lif.check_lif_loop(lambda *a: 1 / 0)
    assert not raises and "ZeroDivisionError" in raises.message
    monkeypatch.setattr(l01_lif, "LOOP_TIME_LIMIT_S", 0.3)
    stopped = l01_lif.check_lif_loop(forever)
    assert not stopped and "did not return within 0.3 s" in stopped.message


def test_a_hard_coded_answer_fails():
    """The notebook's own inputs are not the checker's: an answer that returns the lesson's figure data fails."""
    shown = l01_lif.simulate_lif_reference(np.full(1000, 2.0), 1e-3, 0.02, 0.0, 0.0, 1.0, 1.0, 0.005)
    result = l01_lif.check_lif_loop(lambda *args: shown)
    assert not result and result.attempted


@pytest.mark.parametrize("dt, t_ref", [(1e-3, 5e-3), (2e-4, 1.2e-3), (3e-4, 3e-3), (1e-3, 0.0)])
def test_reference_equals_a_plain_euler_loop(dt, t_ref):
    """The package's answer (lif.simulate, method="euler") against the loop written out in this file."""
    rng = np.random.default_rng(4)
    current = np.abs(1.2 + 0.8 * rng.standard_normal(600))
    args = (current, dt, 0.015, -0.1, 0.2, 1.0, 1.5, t_ref)
    v_ref, spikes_ref = l01_lif.simulate_lif_reference(*args)
    v, spikes = RIGHT(*args)
    assert spikes_ref.dtype == bool and spikes_ref.sum() > 3
    np.testing.assert_array_equal(spikes_ref, spikes)
    np.testing.assert_allclose(v_ref, v, rtol=1e-12, atol=1e-12)


def test_reference_checks_its_arguments():
    with pytest.raises(ValueError, match="current"):
        l01_lif.simulate_lif_reference(np.zeros(0), 1e-3, 0.02, 0.0, 0.0, 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="tau_m"):
        l01_lif.simulate_lif_reference(np.zeros(5), 1e-3, -0.02, 0.0, 0.0, 1.0, 1.0, 0.0)


# ------------------------------------------------------------------ the mystery neuron


def good_estimate(neuron):
    return l01_lif.estimate_neuron_reference(neuron)


def test_the_reference_estimate_is_accurate_on_many_neurons():
    """Checked against the hidden values themselves, on neurons the checker does not use."""
    for seed in range(20):
        neuron = l01_lif.MysteryNeuron(seed)
        tau, threshold = neuron.reveal()
        tau_est, threshold_est = l01_lif.estimate_neuron_reference(neuron)
        assert 0.008 <= tau <= 0.04 and -58 <= threshold <= -46
        assert abs(tau_est - tau) <= 0.02 * tau and abs(threshold_est - threshold) <= 0.3


def test_the_mystery_neuron_is_an_lif_neuron_in_physiological_units():
    neuron = l01_lif.MysteryNeuron(3)
    tau, threshold = neuron.reveal()
    weak = neuron(0.05, t_stop=0.5)
    assert weak.v[0] == -70.0 and weak.v[-1] == pytest.approx(-65.0, abs=1e-6)  # R I = 100 MΩ x 0.05 nA = 5 mV
    k = np.searchsorted(weak.t, tau)
    assert weak.v[k] == pytest.approx(-70 + 5 * (1 - math.exp(-1)), abs=1e-6)
    rheobase = (threshold + 70.0) / 100.0
    assert len(neuron(rheobase * 0.99, t_stop=1.0).spike_times) == 0
    assert len(neuron(rheobase * 1.05, t_stop=1.0).spike_times) > 0
    assert l01_lif.MysteryNeuron(3).reveal() == (tau, threshold) and l01_lif.MysteryNeuron(4).reveal() != (tau, threshold)
    with pytest.raises(ValueError, match="t_stop"):
        neuron(0.1, t_stop=100.0)


def _wrong(transform):
    def estimate_neuron(neuron):
        tau, threshold = l01_lif.estimate_neuron_reference(neuron)
        return transform(tau, threshold)
    return estimate_neuron


MYSTERY_MISTAKES = {
    "tau in ms": (_wrong(lambda tau, thr: (1e3 * tau, thr)), "milliseconds; give tau_m in seconds"),
    "decay rate": (_wrong(lambda tau, thr: (1 / tau, thr)), "decay rate 1/tau_m"),
    "half-rise time": (_wrong(lambda tau, thr: (tau * math.log(2), thr)), "HALF way"),
    "90% rise time": (_wrong(lambda tau, thr: (tau * math.log(10), thr)), "90-95% of the way"),
    "rheobase current": (_wrong(lambda tau, thr: (tau, (thr + 70.0) / 100.0)), "rheobase CURRENT"),
    "threshold from rest": (_wrong(lambda tau, thr: (tau, thr + 70.0)), "measured from rest"),
    "threshold in volts": (_wrong(lambda tau, thr: (tau, thr / 1e3)), "volts"),
    "swapped": (_wrong(lambda tau, thr: (thr, tau)), "swapped"),
}


@pytest.mark.parametrize("name", MYSTERY_MISTAKES)
def test_each_mystery_mistake_gets_its_own_hint(name):
    answer, phrase = MYSTERY_MISTAKES[name]
    result = l01_lif.check_mystery_neuron(answer)
    assert not result and result.attempted and repr(result).startswith("Not yet: "), result
    assert phrase in result.message, result.message


def test_mystery_checker_accepts_right_and_refuses_broken_answers(monkeypatch):
    assert l01_lif.check_mystery_neuron(good_estimate)
    # the lesson's own neuron, hard-coded: right for seed 1 only
    shown = l01_lif.MysteryNeuron(1).reveal()
    hard_coded = l01_lif.check_mystery_neuron(lambda neuron: shown)
    assert not hard_coded and hard_coded.attempted
    assert "Hint:" in l01_lif.check_mystery_neuron(_wrong(lambda tau, thr: (tau, thr - 3.0))).message
    assert "not a finite number" in l01_lif.check_mystery_neuron(lambda n: (float("nan"), -50.0)).message
    assert "return two numbers" in l01_lif.check_mystery_neuron(lambda n: 0.02).message
    assert "remove the quotes" in l01_lif.check_mystery_neuron(lambda n: ("0.02", "-50")).message
    for not_yet in (..., None, lambda n: None):
        result = l01_lif.check_mystery_neuron(not_yet)
        assert not result and not result.attempted

    def forever(neuron):
        while True:
            neuron(0.1, t_stop=0.01)

    monkeypatch.setattr(l01_lif, "MYSTERY_TIME_LIMIT_S", 0.3)
    stopped = l01_lif.check_mystery_neuron(forever)
    assert not stopped and "did not return within 0.3 s" in stopped.message


# ------------------------------------------------------------------ noise helpers


def test_white_noise_current_drives_an_euler_loop_to_the_ou_statistics():
    """Euler-Maruyama of the OU equation: the free membrane's variance is sigma^2 / (1 - dt / (2 tau_m))
    (analytic for the discrete AR(1) recursion) around the mean drive."""
    tau, dt, mu, sigma = 0.02, 2e-4, 0.4, 0.2
    current = l01_lif.white_noise_current(mu, sigma, tau_m=tau, dt=dt, num_steps=200_000, seed=1)
    v, spikes = RIGHT(current, dt, tau, 0.0, 0.0, 100.0, 1.0, 0.0)  # threshold out of reach
    v = v[1000:]
    assert not spikes.any()
    assert v.mean() == pytest.approx(mu, abs=0.01)
    assert v.std() == pytest.approx(sigma / math.sqrt(1 - dt / (2 * tau)), rel=0.04)
    np.testing.assert_array_equal(current, l01_lif.white_noise_current(mu, sigma, tau_m=tau, dt=dt,
                                                                       num_steps=200_000, seed=1))
    with pytest.raises(ValueError, match="sigma"):
        l01_lif.white_noise_current(mu, -1.0, tau_m=tau, dt=dt, num_steps=10)


def test_isi_cv_and_the_noise_figure():
    assert l01_lif.isi_cv([0.1, 0.1, 0.1]) == pytest.approx(0.0, abs=1e-12)
    assert l01_lif.isi_cv([0.1, 0.3]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least 2"):
        l01_lif.isi_cv([0.1])
    rng = np.random.default_rng(0)
    assert l01_lif.isi_cv(rng.exponential(0.1, 20_000)) == pytest.approx(1.0, abs=0.03)  # Poisson: CV = 1
    params = lif.LIFParams(refractory=0.002)
    run = lif.simulate_noisy(params, [1.5, 0.8], [0.1, 0.3], 0.5, 5e-4, num_trials=4, seed=0, record_v=True)
    isis = [lif.interspike_intervals(run.spikes[:, j], 5e-4) for j in range(2)]
    drives = np.linspace(0, 2, 5)
    fig = l01_lif.noise_figure([run.v[:, 0, 0], run.v[:, 1, 0]], ["a", "b"], isis, drives,
                               np.zeros((2, 5)), [0.0, 0.3], lif.firing_rate(params, drives), dt=5e-4)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    assert "CV = " in fig.axes[1].get_legend().get_texts()[0].get_text()
    plt.close(fig)
