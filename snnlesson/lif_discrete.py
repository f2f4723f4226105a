"""The LIF neuron in discrete time, as deep-learning libraries write it (time counted in steps).

Sampling the RC circuit of :mod:`snnlesson.lif` every ``dt`` seconds with the input
arriving as jumps gives the iterative model

.. math::

    u^t = \\lambda\\, u^{t-1} + i^t - \\vartheta\\, o^{t-1}, \\qquad o^t = [\\,u^t > \\vartheta\\,],

with decay factor :math:`\\lambda = e^{-\\Delta t / \\tau_m}` (snntorch calls it ``beta``),
threshold :math:`\\vartheta`, input :math:`i^t` and spikes :math:`o^t \\in \\{0, 1\\}`.
A spike is "paid for" on the next step by subtracting the threshold ("reset by
subtraction"), exactly as ``snntorch.Leaky(beta=..., reset_mechanism="subtract")`` does.

:func:`lif_step` is the pure update over tensors of any shape (no loop over
neurons); :class:`SpikingNeuronLayer` is a thin ``nn.Module`` that keeps the state.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import torch
from torch import nn

__all__ = ["DiscreteLIFState", "lif_step", "beta_from_tau", "SpikingNeuronLayer", "run_layer"]


class DiscreteLIFState(NamedTuple):
    """Membrane potential ``u`` and last spikes ``o`` (same shape)."""

    u: torch.Tensor
    o: torch.Tensor


def beta_from_tau(tau_m: float, dt: float) -> float:
    """Decay factor per step of an RC membrane with time constant ``tau_m`` sampled every ``dt`` (both s):
    beta = exp(-dt / tau_m)."""
    for name, value in (("tau_m", tau_m), ("dt", dt)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return math.exp(-dt / tau_m)


def lif_step(x: torch.Tensor, state: DiscreteLIFState, beta: float, threshold: float
             ) -> tuple[torch.Tensor, DiscreteLIFState]:
    """One step: u = beta * u_prev + x - threshold * o_prev; o = [u > threshold]. Returns (o, new state)."""
    u = beta * state.u + x - threshold * state.o
    o = (u > threshold).to(u.dtype)
    return o, DiscreteLIFState(u, o)


def _check_decay(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0.0 <= beta <= 1.0:
        raise ValueError(f"membrane_potential_decay_factor must be a number in [0, 1], got {beta!r}")
    return float(beta)


class SpikingNeuronLayer(nn.Module):
    """A layer of ``num_neurons`` discrete LIF neurons with reset by subtraction.

    u^t = decay * u^{t-1} + x^t - threshold * o^{t-1};  o^t = [u^t > threshold].

    Parameters
    ----------
    num_neurons : size of the last input dimension, > 0
    spiking_threshold : the threshold theta, > 0
    membrane_potential_decay_factor : lambda = exp(-dt / tau_m) in [0, 1] (see :func:`beta_from_tau`)

    Call :meth:`initialize_states` before a new input sequence (or let the first
    ``forward`` create zero states of the input's shape); ``forward(x)`` takes the input
    current of ONE step, ``[..., num_neurons]``, and returns that step's spikes. The
    membrane potential after the step is ``layer.membrane_potential``.
    """

    def __init__(self, num_neurons: int, spiking_threshold: float = 1.0,
                 membrane_potential_decay_factor: float = 0.9):
        super().__init__()
        if isinstance(num_neurons, bool) or not isinstance(num_neurons, numbers.Integral) or num_neurons <= 0:
            raise ValueError(f"num_neurons must be a positive integer, got {num_neurons!r}")
        if (isinstance(spiking_threshold, bool) or not isinstance(spiking_threshold, numbers.Real)
                or not math.isfinite(spiking_threshold) or spiking_threshold <= 0):
            raise ValueError(f"spiking_threshold must be a finite number > 0, got {spiking_threshold!r}")
        self.num_neurons = int(num_neurons)
        self.spiking_threshold = float(spiking_threshold)
        self.membrane_potential_decay_factor = _check_decay(membrane_potential_decay_factor)
        self.membrane_potential: torch.Tensor | None = None
        self.spikes: torch.Tensor | None = None

    def extra_repr(self) -> str:
        return (f"num_neurons={self.num_neurons}, spiking_threshold={self.spiking_threshold}, "
                f"membrane_potential_decay_factor={self.membrane_potential_decay_factor}")

    def initialize_states(self, layer_shape, model_device=None) -> None:
        """Zero membrane potential and spikes of shape ``layer_shape`` (e.g. ``(batch, num_neurons)``)."""
        shape = tuple(layer_shape) if not isinstance(layer_shape, int) else (layer_shape,)
        if not shape or shape[-1] != self.num_neurons:
            raise ValueError(f"layer_shape must end with num_neurons={self.num_neurons}, got {shape}")
        self.membrane_potential = torch.zeros(shape, device=model_device)
        self.spikes = torch.zeros(shape, device=model_device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim == 0 or x.shape[-1] != self.num_neurons:
            raise ValueError(f"x must have last dimension num_neurons={self.num_neurons}, got shape {tuple(x.shape)}")
        if self.membrane_potential is None or self.membrane_potential.shape != x.shape:
            self.initialize_states(x.shape, x.device)
        state = DiscreteLIFState(self.membrane_potential.to(x.dtype), self.spikes.to(x.dtype))
        spikes, state = lif_step(x, state, self.membrane_potential_decay_factor, self.spiking_threshold)
        self.membrane_potential, self.spikes = state
        return spikes


def run_layer(layer: SpikingNeuronLayer, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Feed a time-first input ``[num_steps, ..., num_neurons]`` through ``layer`` from zero state.

    Returns (spikes, membrane), both ``[num_steps, ..., num_neurons]``.
    """
    if not isinstance(inputs, torch.Tensor) or inputs.ndim < 2 or inputs.shape[0] == 0:
        raise ValueError("inputs must be a time-first tensor [num_steps, ..., num_neurons] with num_steps > 0")
    layer.initialize_states(inputs.shape[1:], inputs.device)
    spikes, membrane = [], []
    for x in inputs:  # a loop over time steps
        spikes.append(layer(x))
        membrane.append(layer.membrane_potential)
    return torch.stack(spikes), torch.stack(membrane)
