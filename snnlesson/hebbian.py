"""The simplest learning rule: a spiking layer with Hebbian learning ("fire together, wire together").

The layer of the introductory article, in discrete steps. Each step, with inputs
``x`` (one value per input), weights ``W`` ``[num_inputs, num_neurons]`` and state ``s``:

.. math::

    s \\leftarrow \\text{decay}\\cdot s + x W, \\qquad o_j = [\\,s_j \\ge \\vartheta\\,], \\qquad s_j \\leftarrow 0 \\text{ where } o_j = 1,

with decay 0.5 (the state halves every step) and threshold :math:`\\vartheta = 0.6`.
Then every connection into a neuron that fired changes by the learning rate
:math:`\\eta`: up if its input was above the threshold, down otherwise,

.. math::

    \\Delta W_{ij} = \\eta\\, o_j \\,\\big(2\\,[\\,x_i > \\vartheta\\,] - 1\\big).

Nothing stops this rule: a neuron that fires keeps strengthening the inputs
that made it fire, which makes it fire more, and the weights grow without
bound. The bounded variant clips every weight into ``[w_min, w_max]``.

Everything is torch; states and inputs may carry leading batch dimensions.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import torch

__all__ = ["HebbianParams", "hebbian_layer_step", "hebbian_update", "HebbianRun", "run_hebbian",
           "initial_weights"]


def _real(name, value, *, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return value


@dataclass(frozen=True)
class HebbianParams:
    """threshold (0.6), decay of the state per step (0.5: halves), learning_rate (eta >= 0),
    bounds: None for the plain (unbounded) rule, or (w_min, w_max) to clip the weights after each update."""

    threshold: float = 0.6
    decay: float = 0.5
    learning_rate: float = 0.01
    bounds: tuple[float, float] | None = None

    def __post_init__(self):
        object.__setattr__(self, "threshold", _real("threshold", self.threshold, low=0.0, low_open=True))
        object.__setattr__(self, "decay", _real("decay", self.decay, low=0.0, high=1.0))
        object.__setattr__(self, "learning_rate", _real("learning_rate", self.learning_rate, low=0.0))
        if self.bounds is not None:
            if len(self.bounds) != 2:
                raise ValueError(f"bounds must be None or (w_min, w_max), got {self.bounds!r}")
            w_min, w_max = (_real("bounds", b) for b in self.bounds)
            if w_min >= w_max:
                raise ValueError(f"bounds must have w_min < w_max, got {self.bounds!r}")
            object.__setattr__(self, "bounds", (w_min, w_max))


def hebbian_layer_step(x: torch.Tensor, state: torch.Tensor, weights: torch.Tensor, params: HebbianParams
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of the layer: s = decay*s + x @ W; o = [s >= threshold]; s = 0 where o. Returns (o, s)."""
    state = params.decay * state + x @ weights
    spikes = (state >= params.threshold).to(state.dtype)
    state = state * (1.0 - spikes)
    return spikes, state


def hebbian_update(weights: torch.Tensor, x: torch.Tensor, spikes: torch.Tensor, params: HebbianParams
                   ) -> torch.Tensor:
    """The Hebbian rule: dW_ij = eta * o_j * (+1 if x_i > threshold else -1), clipped to ``params.bounds``.

    ``x`` is ``[..., num_inputs]`` and ``spikes`` ``[..., num_neurons]``; leading (batch)
    dimensions are summed over. Returns new weights (the input tensor is not changed).
    """
    sign = 2.0 * (x > params.threshold).to(weights.dtype) - 1.0  # +1 above threshold, -1 otherwise
    dw = params.learning_rate * torch.einsum("...i,...j->ij", sign, spikes.to(weights.dtype))
    weights = weights + dw
    if params.bounds is not None:
        weights = weights.clamp(*params.bounds)
    return weights


class HebbianRun(NamedTuple):
    """``spikes`` [num_steps, ..., num_neurons]; ``weights`` [num_steps + 1, num_inputs, num_neurons]
    (the initial weights first)."""

    spikes: torch.Tensor
    weights: torch.Tensor


def initial_weights(num_inputs: int, num_neurons: int, *, scale: float = 0.2,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Weights drawn uniformly from [0, scale): ``[num_inputs, num_neurons]``."""
    for name, n in (("num_inputs", num_inputs), ("num_neurons", num_neurons)):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    scale = _real("scale", scale, low=0.0)
    return scale * torch.rand(num_inputs, num_neurons, generator=generator)


def run_hebbian(inputs: torch.Tensor, weights: torch.Tensor, params: HebbianParams = HebbianParams(),
                *, learn: bool = True) -> HebbianRun:
    """Run the layer over time-first ``inputs`` [num_steps, ..., num_inputs], learning after every step.

    The state starts at zero. With ``learn=False`` the weights stay fixed.
    """
    if not isinstance(inputs, torch.Tensor) or inputs.ndim < 2 or inputs.shape[0] == 0:
        raise ValueError("inputs must be a time-first tensor [num_steps, ..., num_inputs] with num_steps > 0")
    if not isinstance(weights, torch.Tensor) or weights.ndim != 2 or weights.shape[0] != inputs.shape[-1]:
        raise ValueError(f"weights must be [num_inputs={inputs.shape[-1]}, num_neurons], "
                         f"got {tuple(getattr(weights, 'shape', ()))}")
    if not (torch.isfinite(inputs).all() and torch.isfinite(weights).all()):
        raise ValueError("inputs and weights must be finite, got NaN or infinity")
    state = torch.zeros(*inputs.shape[1:-1], weights.shape[1], dtype=weights.dtype)
    spikes, history = [], [weights]
    for x in inputs.to(weights.dtype):  # a loop over time steps
        o, state = hebbian_layer_step(x, state, weights, params)
        if learn:
            weights = hebbian_update(weights, x, o, params)
        spikes.append(o)
        history.append(weights)
    return HebbianRun(torch.stack(spikes), torch.stack(history))
