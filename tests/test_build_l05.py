"""Lesson 05's build exercises: the spike function with a surrogate gradient and one training epoch.

Every catalogue mistake is written here as a student would write it and must get its own hint; the
stub, NaN, wrong shapes and types, a function that never returns and the right answer get their
exact verdicts. Independent references: the fast-sigmoid formula written out here, snntorch's
``surrogate.fast_sigmoid`` (the right spike function must agree with it), and a training loop
written out here (the right epoch must give its weights).
"""

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import bptt, checks, surrogate  # noqa: E402
from snnlesson.lessons import l05_bptt  # noqa: E402
from snnlesson.lessons.l05_bptt import check_spike_function, check_train_one_epoch  # noqa: E402

F = torch.nn.functional


# ------------------------------------------------------------------ exercise 1: the spike function


def spike_class(forward, backward, *, save=True, store_slope=True):
    """A torch.autograd.Function as a student writes it, from a forward and a backward formula."""

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, slope):
            spk = forward(x, slope)
            if save:
                ctx.save_for_backward(x if save is True else spk)
            if store_slope:
                ctx.slope = slope
            return spk

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return backward(x, ctx.slope, grad_output)

    return Spike


def step(x, k):
    return (x > 0).to(x.dtype)


def right(x, k, g):
    return g / (1 + k * x.abs()) ** 2, None


SPIKE_MISTAKES = {  # name: (the class a student writes, words of the hint it must get)
    "true derivative (zeros)": (spike_class(step, lambda x, k, g: (torch.zeros_like(g), None)), "dead gradient"),
    "sigmoid forward": (spike_class(lambda x, k: torch.sigmoid(k * x), right), "spikes, 0 or 1"),
    "fast sigmoid forward": (spike_class(lambda x, k: 0.5 + x / (1 + k * x.abs()), right), "spikes, 0 or 1"),
    "forgot grad_output": (spike_class(step, lambda x, k, g: (1 / (1 + k * x.abs()) ** 2, None)),
                           "multiply by grad_output"),
    "straight through": (spike_class(step, lambda x, k, g: (g.clone(), None)), "straight-through"),
    "not squared": (spike_class(step, lambda x, k, g: (g / (1 + k * x.abs()), None)), "square the denominator"),
    "k times the surrogate": (spike_class(step, lambda x, k, g: (g * k / (1 + k * x.abs()) ** 2, None)),
                              "inside the denominator only"),
    "k missing": (spike_class(step, lambda x, k, g: (g / (1 + x.abs()) ** 2, None)), "slope k is missing"),
    "k added": (spike_class(step, lambda x, k, g: (g / (k + x.abs()) ** 2, None)), "not 1 / (k + |x|)^2"),
    "k divides": (spike_class(step, lambda x, k, g: (g / (1 + x.abs() / k) ** 2, None)), "it does not divide"),
    "forgot abs": (spike_class(step, lambda x, k, g: (g / (1 + k * x) ** 2, None)), "absolute value"),
    "saved the spike": (spike_class(step, right, save="spike"), "not the output"),
    "one gradient only": (spike_class(step, lambda x, k, g: g / (1 + k * x.abs()) ** 2), "`grad_x, None`"),
    "nothing saved": (spike_class(step, right, save=False), "backward reads it back"),
    "slope not stored": (spike_class(step, right, store_slope=False), "ctx.slope = slope"),
    ">= at the threshold": (spike_class(lambda x, k: (x >= 0).to(x.dtype), right), "not x >= 0"),
    "inverted spikes": (spike_class(lambda x, k: (x < 0).to(x.dtype), right), "inverted"),
    "bool spikes": (spike_class(lambda x, k: x > 0, right), "a bool tensor carries no gradient"),
}


def test_the_right_spike_function_is_correct_and_equals_snntorch():
    ok = spike_class(step, right)
    result = check_spike_function(ok)
    assert result and repr(result).startswith("Correct!"), result
    assert check_spike_function(surrogate.FastSigmoidSpike)  # the package's reference
    snn_surrogate = pytest.importorskip("snntorch.surrogate")  # and the right answer equals snntorch's
    x = torch.randn(200, generator=torch.Generator().manual_seed(0))
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    torch.testing.assert_close(ok.apply(a, 25.0), snn_surrogate.fast_sigmoid(25.0)(b))
    ok.apply(a, 25.0).sum().backward()
    snn_surrogate.fast_sigmoid(25.0)(b).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def _assert_own_hint(result, name, catalogue):
    """``result`` is 'Not yet' with the hint of mistake ``name`` of ``catalogue`` and no other's."""
    hint = catalogue[name][1]
    assert not result and result.attempted and repr(result).startswith("Not yet: "), result
    assert "Hint:" in result.message and hint in result.message, (name, result.message)
    others = [h for n, (_, h) in catalogue.items() if h != hint]
    assert not any(h in result.message for h in others), (name, result.message)


@pytest.mark.parametrize("name", SPIKE_MISTAKES)
def test_each_spike_mistake_gets_its_own_hint(name):
    _assert_own_hint(check_spike_function(SPIKE_MISTAKES[name][0]), name, SPIKE_MISTAKES)


def test_spike_checker_stub_nan_shape_type_and_time_limit(monkeypatch):
    class Stub(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, slope):
            ...  # your code here

        @staticmethod
        def backward(ctx, grad_output):
            ...  # your code here

    class BackwardStub(Stub):
        @staticmethod
        def forward(ctx, x, slope):
            return (x > 0).to(x.dtype)

    for stub in (Stub, ..., None):
        result = check_spike_function(stub)
        assert not result and not result.attempted and repr(result).startswith("Not attempted yet: ")
    half = check_spike_function(BackwardStub)
    assert half.attempted and not half and "backward returns nothing yet" in half.message
    nan = check_spike_function(spike_class(step, lambda x, k, g: (g * math.nan, None)))
    assert not nan and "NaN" in nan.message
    shape = check_spike_function(spike_class(lambda x, k: (x > 0).to(x.dtype).reshape(-1)[:5], right))
    assert not shape and "shape" in shape.message
    not_a_class = check_spike_function(lambda x, k: (x > 0).float())
    assert not not_a_class and "torch.autograd.Function" in not_a_class.message

    def forever(x, k):
        while True:
            pass

    monkeypatch.setattr(checks, "TIME_LIMIT_S", 0.5)
    slow = check_spike_function(spike_class(forever, right))
    assert not slow and "did not return within 0.5 s" in slow.message


def test_spike_gradient_comparison_draws_both_and_they_agree():
    ax, yours, package = l05_bptt.spike_gradient_comparison(spike_class(step, right))
    np.testing.assert_array_equal(yours, package)
    assert np.all(package[:100] > 0)  # silent neurons still get a surrogate gradient
    assert len(ax.lines) == 2 and ax.get_xlabel() and ax.get_ylabel() and "largest difference 0" in ax.get_title()
    _, wrong, package = l05_bptt.spike_gradient_comparison(SPIKE_MISTAKES["not squared"][0])
    assert not np.allclose(wrong, package)
    plt.close("all")
    with pytest.raises(TypeError, match="spike_class"):
        l05_bptt.spike_gradient_comparison(lambda x: x)


# ------------------------------------------------------------------ exercise 2: one training epoch


def by_hand(net, loader, optimizer, num_steps):
    """The epoch written out independently of the package (a student's right answer)."""
    total, count = 0.0, 0
    for images, labels in loader:
        state, summed = None, 0
        for _ in range(num_steps):
            _, mem, state = net(images, state)
            summed = summed + mem
        loss = F.cross_entropy(summed / num_steps, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, count = total + loss.item(), count + 1
    return total / count


def variant(**change):
    """A student's epoch with one mistake (the loop of by_hand, edited)."""
    def train_one_epoch(net, loader, optimizer, num_steps):
        losses, state = [], None
        for images, labels in loader:
            if not change.get("no_reset"):
                state = None
            mems = []
            for t in range(1 if change.get("one_step") else num_steps):
                x = images if t == 0 or not change.get("first_only") else 0 * images
                _, mem, state = net(x, state)
                if change.get("detach"):
                    state = tuple(m.detach() for m in state)
                mems.append(mem)
            if change.get("last"):
                loss = F.cross_entropy(mems[-1], labels)
            elif change.get("sum_steps"):
                loss = sum(F.cross_entropy(m, labels) for m in mems)
            else:
                loss = F.cross_entropy(torch.stack(mems).mean(0), labels)
            if not change.get("no_zero_grad"):
                optimizer.zero_grad()
            if not change.get("no_backward"):
                loss.backward()
            if not change.get("no_step"):
                optimizer.step()
            if change.get("no_reset"):
                state = tuple(m.detach() for m in state)
            losses.append(loss.item())
        if change.get("return_last"):
            return losses[-1]
        if change.get("return_sum"):
            return sum(losses)
        return sum(losses) / len(losses)
    return train_one_epoch


EPOCH_MISTAKES = {
    "no zero_grad": (variant(no_zero_grad=True), "optimizer.zero_grad()"),
    "no backward": (variant(no_backward=True), "call loss.backward()"),
    "no step": (variant(no_step=True), "call optimizer.step()"),
    "state not reset": (variant(no_reset=True), "start every batch from rest"),
    "last step only": (variant(last=True), "only the last step's membrane"),
    "loss summed over steps": (variant(sum_steps=True), "the tutorial's loss"),
    "one step only": (variant(one_step=True), "you ran one step"),
    "input at the first step only": (variant(first_only=True), "not only at the first"),
    "detached every step": (variant(detach=True), "do not detach the state"),
    "returns the last loss": (variant(return_last=True), "not the last batch's"),
    "returns the sum": (variant(return_sum=True), "not their sum"),
}


def test_the_right_epoch_is_correct():
    assert check_train_one_epoch(by_hand)
    result = check_train_one_epoch(bptt.train_one_epoch)
    assert result and repr(result).startswith("Correct!")


@pytest.mark.parametrize("name", EPOCH_MISTAKES)
def test_each_epoch_mistake_gets_its_own_hint(name):
    _assert_own_hint(check_train_one_epoch(EPOCH_MISTAKES[name][0]), name, EPOCH_MISTAKES)


def test_epoch_checker_errors_stub_nan_type_and_time_limit(monkeypatch):
    def carried_without_detach(net, loader, optimizer, num_steps):  # state kept across batches
        state, losses = None, []
        for images, labels in loader:
            mems = []
            for _ in range(num_steps):
                _, mem, state = net(images, state)
                mems.append(mem)
            loss = F.cross_entropy(torch.stack(mems).mean(0), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return sum(losses) / len(losses)

    result = check_train_one_epoch(carried_without_detach)
    assert not result and "start every batch from rest" in result.message

    def stub(net, loader, optimizer, num_steps):
        ...  # your code here

    for answer in (stub, ...):
        result = check_train_one_epoch(answer)
        assert not result and not result.attempted and repr(result).startswith("Not attempted yet: ")
    nan = check_train_one_epoch(lambda *args: math.nan)
    assert not nan and nan.attempted and "not a finite number" in nan.message
    text = check_train_one_epoch(lambda *args: "0.7")
    assert not text and "remove the quotes" in text.message
    array = check_train_one_epoch(lambda *args: torch.ones(3))
    assert not array and "single number" in array.message
    assert "function" in check_train_one_epoch(3).message

    def forever(*args):
        while True:
            pass

    monkeypatch.setattr(checks, "TIME_LIMIT_S", 0.5)
    slow = check_train_one_epoch(forever)
    assert not slow and "did not return within 0.5 s" in slow.message


def test_step_snn_is_scratch_snn_one_step_at_a_time():
    """StepSNN unrolled by hand equals ScratchSNN (the lesson's network) with the same weights."""
    scratch = bptt.build_network("scratch", num_steps=7, num_hidden=30, seed=2)
    net = bptt.StepSNN(num_hidden=30)
    net.load_state_dict(scratch.state_dict())
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2
    record = scratch(x)
    state, mems, spikes = None, [], []
    for _ in range(7):
        spk, mem, state = net(x, state)
        mems.append(mem)
        spikes.append(spk)
    torch.testing.assert_close(torch.stack(mems), record.mem_out)
    assert torch.equal(torch.stack(spikes), record.spk_out)
    with pytest.raises(ValueError, match="x must have shape"):
        net(torch.zeros(5, 10))
    with pytest.raises(TypeError, match="state"):
        net(x, state="rest")
    with pytest.raises(TypeError, match="optimizer"):
        bptt.train_one_epoch(net, [(x, torch.zeros(5, dtype=torch.long))], "adam", 3)
    for loader in ("1", None, 0.5, [torch.zeros(3)]):
        with pytest.raises(TypeError, match="loader"):
            bptt.train_one_epoch(net, loader, torch.optim.SGD(net.parameters(), lr=0.1), 3)
    with pytest.raises(ValueError, match="no batches"):
        bptt.train_one_epoch(net, [], torch.optim.SGD(net.parameters(), lr=0.1), 3)


def test_epoch_comparison_trains_both_alike_and_learns():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(120, 1, 28, 28, generator=gen)
    labels = (images.flatten(1)[:, :392].sum(1) > images.flatten(1)[:, 392:].sum(1)).long()  # a learnable rule
    test = (images[:40], labels[:40])
    axes = plt.subplots(1, 2)[1]
    results = l05_bptt.epoch_comparison(by_hand, (images, labels), test, num_train=120, epochs=3, num_hidden=20,
                                        num_steps=4, batch_size=20, lr=5e-3, axes=axes)
    assert results["yours"] == results["package"]
    assert results["package"]["loss"][-1] < results["package"]["loss"][0]  # it learns
    assert len(axes[0].lines) == 2 and axes[1].get_ylabel() == "test accuracy (%)"
    wrong = l05_bptt.epoch_comparison(variant(no_step=True), (images, labels), test, num_train=120, epochs=2,
                                      num_hidden=20, num_steps=4, batch_size=20)
    assert wrong["yours"]["loss"][1] == pytest.approx(wrong["yours"]["loss"][0], rel=1e-6)  # nothing learned
    assert wrong["package"]["loss"][1] < wrong["yours"]["loss"][1]
    plt.close("all")
    with pytest.raises(ValueError, match="num_train"):
        l05_bptt.epoch_comparison(by_hand, (images, labels), test, num_train=1000)
