"""The simplest learning rule: a spiking layer with Hebbian learning ("fire together, wire together").

The layer and rule of A. Lagacherie's article ("Understand Spiking Neural Network through code
implementation", The Deep Hub, 2024) on the course's discrete LIF neuron
(:func:`snnlesson.lif_discrete.step`) with reset to zero. Each step, with inputs ``x``
(one value per input), weights ``W`` ``[num_inputs, num_neurons]`` and membrane ``mem``:

.. math::

    \\text{mem} \\leftarrow \\beta\\,(1 - \\text{spk}_{\\rm prev})\\,\\text{mem} + x W, \\qquad
    \\text{spk}_j = [\\,\\text{mem}_j \\ge \\vartheta\\,],

with ``beta`` = 0.5 (the membrane halves every step; a neuron that fired starts again
from zero) and threshold :math:`\\vartheta = 0.6` (the article fires at ``>=``).
Then every connection into a neuron that fired changes by the learning rate
:math:`\\eta`: up if its input was above the threshold, down otherwise,

.. math::

    \\Delta W_{ij} = \\eta\\, \\text{spk}_j \\,\\big(2\\,[\\,x_i > \\vartheta\\,] - 1\\big).

Nothing stops this rule: a neuron that fires keeps strengthening the inputs
that made it fire, which makes it fire more, and the weights grow without
bound. The bounded variant clips every weight into ``[w_min, w_max]``.

Everything is torch; states and inputs may carry leading batch dimensions and live
on any device (the state is created where the inputs are).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from snnlesson import lif_discrete
from snnlesson._validate import (all_finite, check_bool, check_dtype_like, check_float_tensor, check_int, check_real,
                                 check_size, check_tensor)

__all__ = ["HebbianParams", "HebbianState", "fires_at_threshold", "hebbian_layer_step", "hebbian_update",
           "HebbianRun", "run_hebbian", "initial_weights"]


@dataclass(frozen=True)
class HebbianParams:
    """threshold (0.6, > 0), beta: decay factor of the membrane per step (0.5: halves), learning_rate
    (eta >= 0, at most 10), bounds: None for the plain (unbounded) rule, or (w_min, w_max) to clip the
    weights after each update."""

    threshold: float = 0.6
    beta: float = 0.5
    learning_rate: float = 0.01
    bounds: tuple[float, float] | None = None

    def __post_init__(self):
        object.__setattr__(self, "threshold", check_real("threshold", self.threshold, low=0.0, low_open=True))
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, high=1.0))
        object.__setattr__(self, "learning_rate", check_real("learning_rate", self.learning_rate, low=0.0,
                                                             high=10.0))
        if self.bounds is not None:
            if not isinstance(self.bounds, (tuple, list)):
                raise TypeError(f"bounds must be None or a pair (w_min, w_max), got {self.bounds!r}")
            if len(self.bounds) != 2:
                raise ValueError(f"bounds must be None or (w_min, w_max), got {self.bounds!r}")
            w_min, w_max = (check_real("bounds", b) for b in self.bounds)
            if w_min >= w_max:
                raise ValueError(f"bounds must have w_min < w_max, got {self.bounds!r}")
            object.__setattr__(self, "bounds", (w_min, w_max))

    @property
    def neuron(self) -> lif_discrete.LIFDiscreteParams:
        """The layer's neuron: the discrete LIF neuron with reset to zero."""
        return lif_discrete.LIFDiscreteParams(beta=self.beta, threshold=self.threshold, reset="zero")


class HebbianState(NamedTuple):
    """The layer's membrane ``mem`` ``[..., num_neurons]`` and its ``weights`` ``[num_inputs, num_neurons]``."""

    mem: torch.Tensor
    weights: torch.Tensor


def fires_at_threshold(x: torch.Tensor) -> torch.Tensor:
    """The article's spike function: 1 where ``x = mem - threshold >= 0`` (a membrane AT threshold fires)."""
    check_float_tensor("x", x)
    return (x >= 0).to(x.dtype)


def hebbian_layer_step(x: torch.Tensor, state: lif_discrete.LIFDiscreteState | None, weights: torch.Tensor,
                       params: HebbianParams) -> tuple[torch.Tensor, lif_discrete.LIFDiscreteState]:
    """One step of the layer: :func:`snnlesson.lif_discrete.step` on the input current ``x @ W``
    (reset to zero, firing at ``mem >= threshold``). Returns ``(spk, new_state)``; ``state=None`` starts at rest.

    ``x`` is ``[..., num_inputs]``; NaN or infinity in ``x`` or ``weights`` is a ``ValueError``."""
    _check_params(params)
    _check_shapes(x, weights)
    return lif_discrete.step(x @ weights, state, params.neuron, fires_at_threshold)


def hebbian_update(weights: torch.Tensor, x: torch.Tensor, spikes: torch.Tensor, params: HebbianParams
                   ) -> torch.Tensor:
    """The Hebbian rule: dW_ij = eta * o_j * (+1 if x_i > threshold else -1), clipped to ``params.bounds``.

    ``x`` is ``[..., num_inputs]`` and ``spikes`` ``[..., num_neurons]``; leading (batch)
    dimensions are summed over. Returns new weights (the input tensor is not changed).
    """
    _check_params(params)
    _check_shapes(x, weights)
    check_float_tensor("spikes", spikes)
    if spikes.device != weights.device:
        raise ValueError(f"spikes (on {spikes.device}) and weights (on {weights.device}) must be on the same device")
    if not all_finite(spikes):
        raise ValueError("spikes contains NaN or infinity; spikes are 0 or 1")
    if spikes.shape != x.shape[:-1] + weights.shape[1:]:
        raise ValueError(f"spikes must be [..., num_neurons={weights.shape[1]}] with the batch dimensions of x "
                         f"{tuple(x.shape[:-1])}, got {tuple(spikes.shape)}")
    sign = 2.0 * (x > params.threshold).to(weights.dtype) - 1.0  # +1 above threshold, -1 otherwise
    dw = params.learning_rate * torch.einsum("...i,...j->ij", sign, spikes.to(weights.dtype))
    weights = weights + dw
    if params.bounds is not None:
        weights = weights.clamp(*params.bounds)
    return weights


def _check_params(params) -> None:
    if not isinstance(params, HebbianParams):
        raise TypeError(f"params must be a HebbianParams, got {type(params).__name__}")


def _check_shapes(x, weights) -> None:
    check_float_tensor("weights", weights)
    check_dtype_like("x", x, weights, "weights", convert=False)
    for name, t in (("x", x), ("weights", weights)):
        if not all_finite(t):
            raise ValueError(f"{name} contains NaN or infinity; every value must be a finite number")
    if weights.ndim != 2 or weights.numel() == 0:
        raise ValueError(f"weights must be [num_inputs, num_neurons], got shape {tuple(weights.shape)}")
    if x.ndim == 0 or x.shape[-1] != weights.shape[0]:
        raise ValueError(f"x must be [..., num_inputs={weights.shape[0]}], got shape {tuple(x.shape)}")


class HebbianRun(NamedTuple):
    """``spikes`` [num_steps, ..., num_neurons]; ``weights`` [num_steps + 1, num_inputs, num_neurons]
    (the initial weights first)."""

    spikes: torch.Tensor
    weights: torch.Tensor


def initial_weights(num_inputs: int, num_neurons: int, *, scale: float = 0.2,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Weights drawn uniformly from [0, scale): ``[num_inputs, num_neurons]`` float32 (on the generator's device)."""
    num_inputs = check_int("num_inputs", num_inputs, minimum=1)
    num_neurons = check_int("num_neurons", num_neurons, minimum=1)
    scale = check_real("scale", scale, low=0.0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    check_size(f"weights [num_inputs={num_inputs}, num_neurons={num_neurons}]", num_inputs * num_neurons, 4)
    device = generator.device if generator is not None else None
    return scale * torch.rand(num_inputs, num_neurons, generator=generator, device=device)


def run_hebbian(inputs: torch.Tensor, weights: torch.Tensor, params: HebbianParams = HebbianParams(),
                *, learn: bool = True) -> HebbianRun:
    """Run the layer over time-first ``inputs`` [num_steps, ..., num_inputs], learning after every step.

    The membrane starts at zero, on the inputs' device (``weights`` must be on the same device).
    With ``learn=False`` the weights stay fixed. Inputs are used in the weights' float dtype.
    """
    inputs = check_tensor("inputs", inputs, min_ndim=2)
    weights = check_tensor("weights", weights, ndim=2)
    _check_params(params)
    learn = check_bool("learn", learn)
    if weights.shape[0] != inputs.shape[-1]:
        raise ValueError(f"weights must be [num_inputs={inputs.shape[-1]}, num_neurons], "
                         f"got {tuple(weights.shape)}")
    if weights.device != inputs.device:
        raise ValueError(f"inputs (on {inputs.device}) and weights (on {weights.device}) must be on the same device")

    def learn_step(x, state):
        spk, neuron = hebbian_layer_step(x, None if state.mem is None else lif_discrete.LIFDiscreteState(state.mem),
                                         state.weights, params)
        new_weights = hebbian_update(state.weights, x, spk, params) if learn else state.weights
        return spk, HebbianState(neuron.mem, new_weights)

    spikes, states = lif_discrete.unroll(learn_step, inputs.to(weights.dtype), HebbianState(None, weights),
                                         record_states=True)
    return HebbianRun(spikes, torch.cat([weights.unsqueeze(0), states.weights]))
