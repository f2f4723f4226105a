r"""The LIF neuron in discrete time, as deep-learning libraries write it (time counted in steps).

Sampling the RC circuit of :mod:`snnlesson.lif` every ``dt`` seconds, with the input
arriving as jumps, gives the iterative model (snntorch's ``Leaky``):

.. math::

    R[t] = \Theta(U[t-1] - U_{\rm thr}) \quad\text{(reset, from the previous step; no gradient)}

    U[t] = \beta\, U[t-1] + I[t] - R[t]\, U_{\rm thr}

    S[t] = \Theta(U[t] - U_{\rm thr})

with decay factor :math:`\beta = e^{-\Delta t / \tau_m}` per step (``beta``), threshold
:math:`U_{\rm thr}` (``threshold``), input :math:`I[t]` (``x``), membrane :math:`U` (``mem``)
and spikes :math:`S \in \{0, 1\}` (``spk``). A spike is "paid for" on the next step by
subtracting the threshold (``reset="subtract"``); ``"zero"`` empties the membrane
instead, :math:`U[t] = \beta (1 - R[t]) U[t-1] + I[t]`, and ``"none"`` never resets.

Norse-style, in four pieces:

* :class:`LIFDiscreteParams` (frozen, checked) and :class:`LIFDiscreteState` (``mem``);
* :func:`step`, the pure update over tensors of any shape (no loop over neurons);
  ``spike_fn`` is :func:`heaviside` here and a surrogate (:mod:`snnlesson.surrogate`)
  when a network learns by gradient descent;
* :func:`unroll`, THE loop over time of the package: it runs any step function over a
  time-first input and stacks what the step returns (and the states, if asked);
* :class:`SpikingNeuronLayer`, a thin ``nn.Module`` that keeps the state between calls.

Equal to ``snntorch.Leaky(beta, threshold, reset_mechanism=...)`` step for step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch
from torch import nn

from snnlesson._validate import (all_finite, check_bool, check_choice, check_device, check_float_tensor, check_int,
                                 check_real, check_size, check_state, check_tensor)

__all__ = ["LIFDiscreteParams", "LIFDiscreteState", "heaviside", "initial_state", "step", "unroll", "run",
           "beta_from_tau", "SpikingNeuronLayer", "run_layer", "RESETS"]

#: The reset mechanisms (as snntorch names them).
RESETS = ("subtract", "zero", "none")


@dataclass(frozen=True)
class LIFDiscreteParams:
    """Parameters of the discrete LIF neuron (checked when built).

    beta : decay factor of the membrane per step, ``exp(-dt / tau_m)``, in [0, 1] (:func:`beta_from_tau`)
    threshold : firing threshold ``U_thr`` (> 0), in the units of the input
    reset : ``"subtract"`` (default, snntorch's), ``"zero"`` or ``"none"``
    """

    beta: float = 0.95
    threshold: float = 1.0
    reset: str = "subtract"

    def __post_init__(self):
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, high=1.0))
        object.__setattr__(self, "threshold", check_real("threshold", self.threshold, low=0.0, low_open=True))
        check_choice("reset", self.reset, RESETS)


class LIFDiscreteState(NamedTuple):
    """The state of a layer of discrete LIF neurons: the membrane ``mem`` (same shape as the input)."""

    mem: torch.Tensor


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """The spike function without surrogate: 1 where ``x > 0``, else 0 (``x`` = U - U_thr; 0 gives no spike).

    NaN is a ``ValueError`` (it would compare false and silently read as "no spike"); one sum tests it."""
    check_float_tensor("x", x)
    _check_no_nan("x", x)
    return (x > 0).to(x.dtype)


def _check_no_nan(name: str, x: torch.Tensor) -> None:
    """NaN anywhere in ``x`` is a ``ValueError`` (infinity is allowed: +inf fires, -inf does not)."""
    total = x.detach().sum()
    if bool(torch.isnan(total)) and bool(torch.isnan(x.detach()).any()):
        raise ValueError(f"{name} contains NaN: a spike function cannot decide whether NaN fires")


def initial_state(x: torch.Tensor) -> LIFDiscreteState:
    """A resting state (``mem = 0``) of the shape, dtype and device of one step's input ``x``."""
    check_float_tensor("x", x)
    return LIFDiscreteState(torch.zeros_like(x))


def step(x: torch.Tensor, state: LIFDiscreteState | None, params: LIFDiscreteParams,
         spike_fn: Callable[[torch.Tensor], torch.Tensor] = heaviside
         ) -> tuple[torch.Tensor, LIFDiscreteState]:
    """One step of the discrete LIF neuron; returns ``(spk, new_state)``.

    .. math:: R = \\Theta(U[t-1] - U_{thr}),\\; U[t] = \\beta U[t-1] + I[t] - R\\,U_{thr},\\;
              S[t] = \\Theta(U[t] - U_{thr})

    ``x`` is the input of this step (any shape); ``state=None`` starts from rest on
    ``x``'s device. The reset ``R`` comes from the previous membrane, through the forward
    pass of the same ``spike_fn`` (its ``forward_fn`` attribute if it has one, e.g. the
    surrogates of :mod:`snnlesson.surrogate`), so a neuron that fired is the one that resets;
    it carries no gradient (as in snntorch): a surrogate acts only where spikes are emitted.
    A NaN or infinite input is refused (one sum per step, well under 1% of the step's time).
    """
    _check_step(x, state, params, spike_fn)
    mem = initial_state(x).mem if state is None else state.mem
    with torch.no_grad():  # did the neuron fire last step? (the spike function's forward, no gradient)
        reset = getattr(spike_fn, "forward_fn", spike_fn)(mem - params.threshold)
    if params.reset == "subtract":
        mem = params.beta * mem + x - reset * params.threshold  # leak, integrate, pay for the spike
    elif params.reset == "zero":
        mem = params.beta * (1 - reset) * mem + x
    else:
        mem = params.beta * mem + x
    spk = spike_fn(mem - params.threshold)                    # fire
    return spk, LIFDiscreteState(mem)


def _check_step(x, state, params, spike_fn) -> None:
    """Types, and a finite input (one sum, not a scan: the step runs inside loops over time)."""
    check_float_tensor("x", x)
    if not all_finite(x):
        raise ValueError("x must be finite: this step's input holds NaN or infinity")
    if state is not None and not (isinstance(state, LIFDiscreteState) and isinstance(state.mem, torch.Tensor)):
        raise TypeError(f"state must be a LIFDiscreteState (or None to start at rest), got {type(state).__name__}")
    if state is not None:
        check_state("state.mem", state.mem, x)
    if not isinstance(params, LIFDiscreteParams):
        raise TypeError(f"params must be a LIFDiscreteParams, got {type(params).__name__}")
    if not callable(spike_fn):
        raise TypeError(f"spike_fn must be a function of the shifted membrane (e.g. heaviside or "
                        f"snnlesson.surrogate.atan()), got {spike_fn!r}")


_all_finite = all_finite  # the shared one-sum test (snnlesson._validate)


def _stack(items):
    first = items[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(items)
    if isinstance(first, tuple):
        fields = [_stack([item[i] for item in items]) for i in range(len(first))]
        return type(first)(*fields) if hasattr(first, "_fields") else tuple(fields)
    raise TypeError(f"a step function must return tensors or tuples of tensors, got {type(first).__name__}")


def _nbytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, tuple):
        return sum(_nbytes(o) for o in obj)
    return 0


def unroll(step_fn: Callable, inputs: torch.Tensor, state=None, *, num_steps: int | None = None,
           record_states: bool = False):
    """Run ``step_fn(x, state) -> (out, state)`` over time; the one loop over time steps of the package.

    inputs : time-first ``[num_steps, ...]`` (one input per step), or, with ``num_steps``
        given, one input used at every step (a constant current).
    state : the state before the first step (``None``: the step function's resting state).

    Returns ``(outputs, final_state)``, or ``(outputs, states)`` with ``record_states=True``,
    where ``outputs`` stacks what the step returned (a tensor, or a tuple of tensors field by
    field) time-first, and ``states`` is the state after every step, stacked field by field
    (for the LIF step: ``states.mem`` is ``[num_steps, ...]``).
    Refuses an unroll whose record would exceed the size budget (``_validate.check_size``).
    NaN or infinity in ``inputs`` is a ``ValueError`` (one scan before the loop; :func:`step`
    itself checks types only).
    """
    if not callable(step_fn):
        raise TypeError(f"step_fn must be a function (x, state) -> (output, state), got {type(step_fn).__name__}")
    check_float_tensor("inputs", inputs)
    record_states = check_bool("record_states", record_states)
    if not _all_finite(inputs):
        raise ValueError("inputs contain NaN or infinity; every input must be a finite number")
    if num_steps is None:
        if inputs.ndim < 1 or inputs.shape[0] == 0:
            raise ValueError(f"inputs must be time-first [num_steps, ...] with num_steps > 0, "
                             f"got shape {tuple(inputs.shape)}")
        steps, constant = inputs.shape[0], False
    else:
        steps, constant = check_int("num_steps", num_steps, minimum=1), True
    outputs, states = [], []
    for t in range(steps):  # the loop over time steps
        out, state = step_fn(inputs if constant else inputs[t], state)
        if t == 0:
            per_step = _nbytes(out) + (_nbytes(state) if record_states else 0)
            check_size(f"the record of {steps} steps (num_steps)", steps * per_step, 1)
        outputs.append(out)
        if record_states:
            states.append(state)
    return _stack(outputs), (_stack(states) if record_states else state)


def run(inputs: torch.Tensor, params: LIFDiscreteParams = LIFDiscreteParams(),
        spike_fn: Callable[[torch.Tensor], torch.Tensor] = heaviside, *, num_steps: int | None = None
        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Unroll :func:`step` from rest; returns ``(spk, mem)``, each ``[num_steps, *shape]``.

    ``inputs`` is time-first ``[num_steps, *shape]``, or, with ``num_steps`` given, one input
    current ``[*shape]`` applied at every step. Any float dtype; state on the inputs' device.
    """
    if not isinstance(params, LIFDiscreteParams):
        raise TypeError(f"params must be a LIFDiscreteParams, got {type(params).__name__}")
    if not callable(spike_fn):
        raise TypeError(f"spike_fn must be a function of the shifted membrane, got {spike_fn!r}")
    inputs = check_tensor("inputs", inputs, min_ndim=0 if num_steps is not None else 1)

    def lif(x, state):
        return step(x, state, params, spike_fn)

    spk, states = unroll(lif, inputs, None, num_steps=num_steps, record_states=True)
    return spk, states.mem


def beta_from_tau(tau_m: float, dt: float) -> float:
    """Decay factor per step of an RC membrane with time constant ``tau_m`` sampled every ``dt`` (both s):
    ``beta = exp(-dt / tau_m)``."""
    tau_m = check_real("tau_m", tau_m, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    return math.exp(-dt / tau_m)


class SpikingNeuronLayer(nn.Module):
    """A layer of ``num_neurons`` discrete LIF neurons (reset by subtraction) around :func:`step`.

    The names are snnpytorch's: ``spiking_threshold`` is ``threshold`` and
    ``membrane_potential_decay_factor`` is ``beta`` (= exp(-dt / tau_m), in [0, 1]) of
    :class:`LIFDiscreteParams`; ``membrane_potential`` is ``mem``.

    Parameters
    ----------
    num_neurons : size of the last input dimension, > 0
    spiking_threshold : the threshold (> 0)
    membrane_potential_decay_factor : beta in [0, 1] (see :func:`beta_from_tau`)

    Call :meth:`initialize_states` before a new input sequence (or let the first
    ``forward`` create zero states of the input's shape, on its device); ``forward(x)``
    takes the input current of ONE step, ``[..., num_neurons]``, and returns that step's
    spikes. The membrane potential after the step is ``layer.membrane_potential``.
    """

    def __init__(self, num_neurons: int, spiking_threshold: float = 1.0,
                 membrane_potential_decay_factor: float = 0.9):
        super().__init__()
        self.num_neurons = check_int("num_neurons", num_neurons, minimum=1)
        check_real("spiking_threshold", spiking_threshold, low=0.0, low_open=True)
        check_real("membrane_potential_decay_factor", membrane_potential_decay_factor, low=0.0, high=1.0)
        self.params = LIFDiscreteParams(beta=membrane_potential_decay_factor, threshold=spiking_threshold)
        self.membrane_potential: torch.Tensor | None = None
        self.spikes: torch.Tensor | None = None

    @property
    def spiking_threshold(self) -> float:
        return self.params.threshold

    @property
    def membrane_potential_decay_factor(self) -> float:
        return self.params.beta

    def extra_repr(self) -> str:
        return (f"num_neurons={self.num_neurons}, spiking_threshold={self.spiking_threshold}, "
                f"membrane_potential_decay_factor={self.membrane_potential_decay_factor}")

    def initialize_states(self, layer_shape, model_device=None) -> None:
        """Zero membrane potential and spikes of shape ``layer_shape`` (e.g. ``(batch, num_neurons)``)."""
        if isinstance(layer_shape, bool):
            raise TypeError(f"layer_shape must be a shape such as (batch, num_neurons), got {layer_shape!r}")
        if isinstance(layer_shape, int):
            shape = (layer_shape,)
        else:
            try:
                shape = tuple(check_int("layer_shape", n, minimum=1) for n in layer_shape)
            except TypeError:
                raise TypeError(f"layer_shape must be a shape such as (batch, num_neurons), "
                                f"got {layer_shape!r}") from None
        if not shape or shape[-1] != self.num_neurons:
            raise ValueError(f"layer_shape must end with num_neurons={self.num_neurons}, got {shape}")
        check_size(f"the state of layer_shape={shape}", math.prod(shape), 4)
        model_device = check_device("model_device", model_device, allow_none=True)
        self.membrane_potential = torch.zeros(shape, device=model_device)
        self.spikes = torch.zeros(shape, device=model_device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_tensor("x", x, min_ndim=1)
        if x.shape[-1] != self.num_neurons:
            raise ValueError(f"x must have last dimension num_neurons={self.num_neurons}, got shape {tuple(x.shape)}")
        if (self.membrane_potential is None or self.membrane_potential.shape != x.shape
                or self.membrane_potential.device != x.device):
            self.initialize_states(x.shape, x.device)
        state = LIFDiscreteState(self.membrane_potential.to(x.dtype))
        spk, state = step(x, state, self.params)
        self.membrane_potential, self.spikes = state.mem, spk
        return spk


def run_layer(layer: SpikingNeuronLayer, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Feed a time-first input ``[num_steps, ..., num_neurons]`` through ``layer`` from zero state.

    Returns (spikes, membrane), both ``[num_steps, ..., num_neurons]``.
    """
    if not isinstance(layer, SpikingNeuronLayer):
        raise TypeError(f"layer must be a SpikingNeuronLayer, got {type(layer).__name__}")
    inputs = check_tensor("inputs", inputs, min_ndim=2)
    layer.initialize_states(inputs.shape[1:], inputs.device)

    def layer_step(x, state):
        spk = layer(x)
        return spk, LIFDiscreteState(layer.membrane_potential)

    spikes, states = unroll(layer_step, inputs, None, record_states=True)
    return spikes, states.mem
