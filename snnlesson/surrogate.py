r"""Spike functions with surrogate gradients: the Heaviside step forward, a smooth slope backward.

A neuron spikes when its membrane crosses the threshold, :math:`S = \Theta(U - U_{\rm thr})`.
The step :math:`\Theta` has derivative zero almost everywhere (and infinite at 0), so
gradient descent through it learns nothing: the *dead gradient*. A surrogate
gradient keeps :math:`\Theta` in the forward pass and uses, in the backward pass
only, the derivative of a smooth stand-in. With :math:`x = U - U_{\rm thr}`:

* fast sigmoid (Zenke & Ganguli 2018, "SuperSpike"), slope :math:`k`:
  :math:`\partial S/\partial x \approx 1 / (1 + k|x|)^2`;
* arc tangent (Fang et al. 2021; snntorch's default), :math:`\alpha`:
  :math:`\partial S/\partial x \approx \frac{\alpha}{2}\,\frac{1}{1 + (\frac{\pi}{2}\alpha x)^2}`.

Both equal ``snntorch.surrogate.fast_sigmoid(slope)`` and ``snntorch.surrogate.atan(alpha)``
in the forward and the backward pass (``x == 0`` gives no spike). :func:`fast_sigmoid`
and :func:`atan` return a spike function to pass as ``spike_fn`` to
:func:`snnlesson.lif_discrete.step`; :func:`heaviside` (re-exported from
``lif_discrete``) is the step without a surrogate (its gradient is zero).
"""

from __future__ import annotations

import math

import torch

from snnlesson._validate import check_real
from snnlesson.lif_discrete import heaviside

__all__ = ["FastSigmoidSpike", "ATanSpike", "FastSigmoid", "ATan", "fast_sigmoid", "atan",
           "fast_sigmoid_derivative", "atan_derivative", "heaviside"]


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside step forward, fast-sigmoid derivative backward: ``grad / (1 + slope * |x|)^2``.

    ``FastSigmoidSpike.apply(x, slope)`` checks its arguments like every public function
    (``x`` a float tensor without NaN, ``slope > 0``): an autograd Function is called directly too."""

    @staticmethod
    def forward(ctx, x, slope):
        x, slope = _check_apply(x, "slope", slope)
        ctx.save_for_backward(x)
        ctx.slope = slope
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (ctx.slope * x.abs() + 1.0) ** 2, None


class ATanSpike(torch.autograd.Function):
    """Heaviside step forward, arc-tangent derivative backward: ``grad * alpha/2 / (1 + (pi/2 * alpha * x)^2)``.

    ``ATanSpike.apply(x, alpha)`` checks ``x`` (a float tensor without NaN) and ``alpha > 0``."""

    @staticmethod
    def forward(ctx, x, alpha):
        x, alpha = _check_apply(x, "alpha", alpha)
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return ctx.alpha / 2 / (1 + (math.pi / 2 * ctx.alpha * x) ** 2) * grad_output, None


def _check_apply(x, name: str, width) -> tuple[torch.Tensor, float]:
    """The arguments of a surrogate spike Function's ``apply``: the shifted membrane ``x`` (the spike
    function's own check, :func:`heaviside`'s: a float tensor without NaN) and its width (> 0)."""
    heaviside(_tensor(x))
    return x, check_real(name, width, low=0.0, low_open=True)


def _tensor(x) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor (the shifted membrane U - U_thr), got dtype {x.dtype}")
    return x


def fast_sigmoid_derivative(x, slope: float = 25.0) -> torch.Tensor:
    """The fast-sigmoid surrogate derivative :math:`1 / (1 + k|x|)^2` itself (for plots and checks).

    ``x`` may be a number, a list or a tensor; returns a tensor of the default float dtype
    (or of ``x``'s float dtype).
    """
    slope = check_real("slope", slope, low=0.0, low_open=True)
    x = _as_float(x)
    return 1.0 / (1.0 + slope * x.abs()) ** 2


def atan_derivative(x, alpha: float = 2.0) -> torch.Tensor:
    """The arc-tangent surrogate derivative :math:`\\frac{\\alpha}{2} / (1 + (\\frac{\\pi}{2}\\alpha x)^2)` itself."""
    alpha = check_real("alpha", alpha, low=0.0, low_open=True)
    x = _as_float(x)
    return alpha / 2 / (1 + (math.pi / 2 * alpha * x) ** 2)


def _as_float(x) -> torch.Tensor:
    """``x`` as a float tensor (integers converted to the default float dtype); NaN is refused."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"x must hold real numbers, got dtype {x.dtype}")
        t = x if x.is_floating_point() else x.to(torch.get_default_dtype())
    elif isinstance(x, (str, bytes, bool)) or x is None:
        raise TypeError(f"x must be a number, a list of numbers or a tensor, got {x!r}")
    else:
        try:
            t = torch.as_tensor(x, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"x must be a number, a list of numbers or a tensor, got {type(x).__name__}") from err
    if t.device.type == "meta":
        raise ValueError("x is on the 'meta' device, which holds no data")
    if bool(torch.isnan(t).any()):
        raise ValueError("x contains NaN; the derivative is defined for numbers (infinity gives 0)")
    return t


class FastSigmoid:
    """Spike function ``spk = Theta(x)`` with the fast-sigmoid surrogate of slope ``slope`` (> 0).

    Call it on the shifted membrane ``x = U - U_thr``; ``derivative(x)`` gives the surrogate slope.
    """

    def __init__(self, slope: float = 25.0):
        self.slope = check_real("slope", slope, low=0.0, low_open=True)

    #: the forward pass alone (what a reset needs, without the autograd bookkeeping)
    forward_fn = staticmethod(heaviside)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return FastSigmoidSpike.apply(_tensor(x), self.slope)

    def derivative(self, x) -> torch.Tensor:
        return fast_sigmoid_derivative(x, self.slope)

    def __repr__(self) -> str:
        return f"fast_sigmoid(slope={self.slope:g})"

    def __eq__(self, other) -> bool:
        return isinstance(other, FastSigmoid) and other.slope == self.slope

    def __hash__(self) -> int:
        return hash(("fast_sigmoid", self.slope))


class ATan:
    """Spike function ``spk = Theta(x)`` with the arc-tangent surrogate of width ``alpha`` (> 0)."""

    def __init__(self, alpha: float = 2.0):
        self.alpha = check_real("alpha", alpha, low=0.0, low_open=True)

    #: the forward pass alone (what a reset needs, without the autograd bookkeeping)
    forward_fn = staticmethod(heaviside)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return ATanSpike.apply(_tensor(x), self.alpha)

    def derivative(self, x) -> torch.Tensor:
        return atan_derivative(x, self.alpha)

    def __repr__(self) -> str:
        return f"atan(alpha={self.alpha:g})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ATan) and other.alpha == self.alpha

    def __hash__(self) -> int:
        return hash(("atan", self.alpha))


def fast_sigmoid(slope: float = 25.0) -> FastSigmoid:
    """The fast-sigmoid spike function (snntorch: ``surrogate.fast_sigmoid(slope=25)``)."""
    return FastSigmoid(slope)


def atan(alpha: float = 2.0) -> ATan:
    """The arc-tangent spike function (snntorch's default: ``surrogate.atan(alpha=2.0)``)."""
    return ATan(alpha)
