"""Tests for snnlesson.surrogate: spike functions with surrogate gradients.

Independent references: the derivative formulas written out here by hand, and
snntorch's own ``surrogate.fast_sigmoid`` and ``surrogate.atan`` (forward and backward).
"""

import math

import pytest
import torch

from snnlesson import surrogate

X = torch.tensor([-2.0, -0.3, -1e-3, 0.0, 1e-3, 0.1, 4.0])


@pytest.mark.parametrize("slope", [25.0, 5.0, 0.5])
def test_fast_sigmoid_forward_is_heaviside_and_backward_is_the_formula(slope):
    x = X.clone().requires_grad_()
    s = surrogate.fast_sigmoid(slope)(x)
    assert s.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]  # x == 0 gives no spike, as in snntorch
    weights = torch.arange(1.0, 8.0)
    (s * weights).sum().backward()
    expected = [w / (1 + slope * abs(v)) ** 2 for w, v in zip(weights.tolist(), X.tolist())]
    torch.testing.assert_close(x.grad, torch.tensor(expected), rtol=1e-6, atol=0)
    torch.testing.assert_close(surrogate.fast_sigmoid_derivative(X, slope), torch.tensor(expected) / weights,
                               rtol=1e-6, atol=0)


@pytest.mark.parametrize("alpha", [2.0, 0.5, 7.0])
def test_atan_forward_is_heaviside_and_backward_is_the_formula(alpha):
    x = X.clone().requires_grad_()
    s = surrogate.atan(alpha)(x)
    assert s.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    s.sum().backward()
    expected = [alpha / 2 / (1 + (math.pi / 2 * alpha * v) ** 2) for v in X.tolist()]
    torch.testing.assert_close(x.grad, torch.tensor(expected), rtol=1e-6, atol=0)
    torch.testing.assert_close(surrogate.atan_derivative(X, alpha), torch.tensor(expected), rtol=1e-6, atol=0)
    # the derivative of (1/pi) arctan(pi alpha x / 2) + 1/2, the smooth stand-in, by central differences
    h = 1e-6
    xs = X.double()
    smooth = lambda v: torch.atan(math.pi / 2 * alpha * v) / math.pi + 0.5
    torch.testing.assert_close(((smooth(xs + h) - smooth(xs - h)) / (2 * h)).float(), torch.tensor(expected),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("ours, theirs, width", [("fast_sigmoid", "fast_sigmoid", 7.0),
                                                 ("fast_sigmoid", "fast_sigmoid", 25.0),
                                                 ("atan", "atan", 2.0), ("atan", "atan", 0.3)])
def test_equal_to_snntorch_forward_and_backward(ours, theirs, width):
    snn_surrogate = pytest.importorskip("snntorch.surrogate")
    x = torch.randn(1000, generator=torch.Generator().manual_seed(0))
    x[:5] = 0.0  # the tie at the threshold
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    g = torch.randn(1000, generator=torch.Generator().manual_seed(1))
    sa = getattr(surrogate, ours)(width)(a)
    sb = getattr(snn_surrogate, theirs)(width)(b)
    assert torch.equal(sa, sb)
    (sa * g).sum().backward()
    (sb * g).sum().backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-6, atol=1e-7)


def test_heaviside_alone_gives_zero_gradient_and_surrogate_does_not():
    """The dead-gradient problem: nudging a weight changes no spike, so the finite-difference gradient is 0."""
    w = torch.full((3,), 0.3, dtype=torch.float64, requires_grad=True)  # away from w * x = 1
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    eps = 1e-6
    count = lambda weights: float(surrogate.heaviside(weights * x - 1.0).sum())
    fd = [(count(w.detach() + eps * torch.eye(3, dtype=torch.float64)[i]) - count(w.detach())) / eps
          for i in range(3)]
    assert fd == [0.0, 0.0, 0.0]
    surrogate.fast_sigmoid()(w * x - 1.0).sum().backward()
    torch.testing.assert_close(w.grad, x / (1 + 25 * (w.detach() * x - 1.0).abs()) ** 2)


def test_spike_functions_keep_dtype_and_compare_by_width():
    x = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    assert surrogate.atan()(x).dtype == torch.float64
    assert surrogate.fast_sigmoid(3) == surrogate.fast_sigmoid(3.0) != surrogate.fast_sigmoid(4)
    assert repr(surrogate.atan(2)) == "atan(alpha=2)"


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_widths_raise_value_error(bad):
    with pytest.raises(ValueError, match="slope"):
        surrogate.fast_sigmoid(bad)
    with pytest.raises(ValueError, match="slope"):
        surrogate.fast_sigmoid_derivative(torch.zeros(3), bad)
    with pytest.raises(ValueError, match="alpha"):
        surrogate.atan(bad)
    with pytest.raises(ValueError, match="alpha"):
        surrogate.atan_derivative(torch.zeros(3), bad)


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="slope"):
        surrogate.fast_sigmoid("25")
    with pytest.raises(TypeError, match="alpha"):
        surrogate.atan(True)
    with pytest.raises(TypeError, match="x"):
        surrogate.fast_sigmoid()([0.1, 0.2])
    with pytest.raises(TypeError, match="floating"):
        surrogate.atan()(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="x"):
        surrogate.fast_sigmoid_derivative("0.1")
