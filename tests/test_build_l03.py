"""Lesson 03's build exercise: the online STDP rule with traces (all-to-all, then nearest), its checker and
its mistake catalogue. Every catalogued mistake is written here as a student would write it (independently of
the checker's own catalogue) and must get "Not yet:" with its own hint."""

import functools
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlesson import checks  # noqa: E402
from snnlesson.lessons import l03_stdp as lesson  # noqa: E402
from snnlesson.stdp import STDPParams, online_stdp, pair_sum  # noqa: E402


def student(pre_times, post_times, a_plus, a_minus, tau_plus, tau_minus, nearest=False, mistake=None):
    """A student's event loop: one merged, sorted list of (time, kind) events; at a shared time the weight is
    updated from both traces before either trace jumps. ``mistake`` makes one typical error."""
    if mistake == "A swapped":
        a_plus, a_minus = a_minus, a_plus
    tp, tm = (tau_minus, tau_plus) if mistake == "tau swapped" else (tau_plus, tau_minus)
    if mistake == "tau in ms":
        tp, tm = 1000 * tp, 1000 * tm
    scale = 1000.0 if mistake == "times in ms" else 1.0
    events = sorted([(scale * t, "pre") for t in pre_times] + [(scale * t, "post") for t in post_times],
                    key=lambda e: (e[0], e[1] == ("pre" if mistake == "post first" else "post")))
    x, y, w, last = 0.0, 0.0, 0.0, 0.0
    i = 0
    while i < len(events):
        t = events[i][0]
        if mistake in ("pre first", "post first"):   # one event at a time, even at a shared time
            group = [events[i]]
        else:
            group = [e for e in events[i:] if e[0] == t]
        if mistake != "no decay":
            elapsed = t if mistake == "absolute time" else t - last
            x = x * math.exp(-elapsed / tp)
            y = y * math.exp(-elapsed / tm)
        last = t
        kinds = {kind for _, kind in group}
        if "post" in kinds:
            w = w + a_plus * (y if mistake == "own trace" else x)
        if "pre" in kinds:
            w = w + (1 if mistake == "depression sign" else -1) * a_minus * (x if mistake == "own trace" else y)
        if "pre" in kinds:
            x = 1.0 if nearest and mistake not in ("increment", "increment x") else x + 1.0
        if "post" in kinds:
            y = 1.0 if nearest and mistake not in ("increment", "increment y") else y + 1.0
        i += len(group)
    return w


MISTAKES = {  # mistake: a phrase of its hint
    "no decay": "the traces never decay",
    "tau swapped": "the time constants are swapped",
    "absolute time": "time since the last event",
    "pre first": "your postsynaptic spike read x after the presynaptic spike at the same time",
    "post first": "your presynaptic spike read y after the postsynaptic spike at the same time",
    "depression sign": "depression must lower the weight",
    "A swapped": "a_plus and a_minus are swapped",
    "own trace": "the OTHER neuron's trace",
    "increment": "must SET its trace to 1 (x = 1.0), not add 1",
    "increment x": "the presynaptic trace must be set to 1",
    "increment y": "the postsynaptic trace must be set to 1",
    "times in ms": "decayed to almost nothing",
    "tau in ms": "your traces hardly decay",
}


def test_the_right_rule_is_correct_and_the_students_loop_equals_the_double_sum():
    """Reference: the double sum pair_sum (all-to-all) and online_stdp's nearest pairing, itself checked
    against a direct nearest-neighbour sum in tests/test_stdp.py."""
    result = lesson.check_online_stdp(student)
    assert result and repr(result).startswith("Correct!"), result
    assert lesson.check_online_stdp(lesson.online_rule)
    rng = np.random.default_rng(5)
    pre, post = np.sort(rng.uniform(0, 1, 40)), np.sort(rng.uniform(0, 1, 15))
    p = STDPParams(a_plus=0.02, a_minus=0.015, tau_plus=0.015, tau_minus=0.03, bound_rule="none")
    assert student(pre, post, 0.02, 0.015, 0.015, 0.03) == pytest.approx(pair_sum(pre, post, p), abs=1e-14)
    assert lesson.online_rule(pre, post, 0.02, 0.015, 0.015, 0.03) == pytest.approx(pair_sum(pre, post, p), abs=1e-14)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_every_catalogued_mistake_gets_its_own_hint(mistake):
    result = lesson.check_online_stdp(functools.partial(student, mistake=mistake))
    assert not result and result.attempted, result
    assert repr(result).startswith("Not yet:") and "Hint:" in result.message, result.message
    assert MISTAKES[mistake] in result.message, (mistake, result.message)
    others = [phrase for m, phrase in MISTAKES.items() if m != mistake and phrase not in MISTAKES[mistake]]
    assert not any(phrase in result.message for phrase in others), result.message


def test_nearest_mistakes_say_that_all_to_all_is_already_right():
    result = lesson.check_online_stdp(functools.partial(student, mistake="increment"))
    assert "Your all-to-all rule is right; now nearest=True." in result.message
    assert "nearest=False" not in result.message.split("Hint:")[0]


def test_stub_wrong_types_nan_shapes_errors_and_endless_loops(monkeypatch):
    def stub(pre_times, post_times, a_plus, a_minus, tau_plus, tau_minus, nearest=False):
        ...  # your code here

    result = lesson.check_online_stdp(stub)
    assert not result.attempted and repr(result).startswith("Not attempted yet:") and "stub" in result.message
    assert not lesson.check_online_stdp(...).attempted
    assert "should be a function" in lesson.check_online_stdp(0.5).message
    cases = {
        "is nan": lambda *a, **k: float("nan"),
        "(a bool)": lambda *a, **k: True,
        "remove the quotes": lambda *a, **k: "0.01",
        "single number, got an array of shape": lambda *a, **k: np.zeros(3),
        "raised ZeroDivisionError": lambda *a, **k: 1 / 0,
        "you return 0.01; the double sum pair_sum gives": lambda *a, **k: 0.01,
    }
    for phrase, fn in cases.items():
        result = lesson.check_online_stdp(fn)
        assert not result and result.attempted and phrase in result.message, (phrase, result.message)
        assert repr(result).startswith("Not yet:")

    def endless(*args, **kwargs):
        while True:
            pass

    monkeypatch.setattr(lesson, "ONLINE_TIME_LIMIT_S", 0.2)
    result = lesson.check_online_stdp(endless)
    assert not result and "did not return within 0.2 s" in result.message


def test_the_hidden_cases_are_not_the_notebooks_and_hold_shared_spike_times():
    for pre, post, *_ in lesson._ONLINE_CASES[:2]:
        assert np.intersect1d(pre, post).size >= 2
    assert np.intersect1d(*lesson._ONLINE_CASES[2][:2]).size >= 1
    # a hard-coded answer for one case fails on another
    first = lesson.online_rule(*lesson._ONLINE_CASES[0])
    assert not lesson.check_online_stdp(lambda *a, **k: first)


def test_answer_or_reference_and_the_figure_use_the_readers_rule():
    rng = np.random.default_rng(3)
    pre, post = np.sort(rng.uniform(0, 1, 60)), np.sort(rng.uniform(0, 1, 6))
    calls = []

    def mine(*args):
        calls.append(args)
        return student(*args)

    chosen = checks.answer_or_reference(mine, lesson.online_rule, lesson.check_online_stdp(student), "stdp_online")
    assert chosen is mine
    fig, changes = lesson.online_rule_figure(chosen, pre, post, STDPParams(), num_points=10)
    assert len(calls) == 20 and {c[-1] for c in calls} == {False, True}
    for pairing in ("all-to-all", "nearest"):
        p = STDPParams(bound_rule="none", pairing=pairing)
        assert changes[pairing] == pytest.approx(online_stdp(pre, post, p, weights=0.0).weights[0], abs=1e-12)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() and len(ax.get_legend().get_texts()) == 4
    fallback = checks.answer_or_reference(lambda *a: None, lesson.online_rule, lesson.check_online_stdp(None),
                                          "stdp_online")
    assert fallback is lesson.online_rule
    with pytest.raises(TypeError, match="rule"):
        lesson.online_rule_figure("mine", pre, post)
    with pytest.raises(TypeError, match="nearest"):
        lesson.online_rule(pre, post, 0.01, 0.01, 0.02, 0.02, nearest="yes")
    plt.close("all")
