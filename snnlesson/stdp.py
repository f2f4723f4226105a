"""Spike-timing-dependent plasticity (STDP): the learning window, its double sum and its online form.

A synapse from a presynaptic neuron ``j`` onto a postsynaptic neuron ``i`` changes
by a window ``W`` of the time between a postsynaptic spike and a presynaptic spike,
summed over pairs of spikes (the introductory article's rule):

.. math::

    \\Delta w_j = \\sum_f \\sum_n W\\big(t_i^n - t_j^f\\big), \\qquad
    W(\\Delta t) = \\begin{cases}
        \\;\\;A_+\\, e^{-\\Delta t/\\tau_+} & \\Delta t > 0 \\text{ (pre before post: potentiation)}\\\\
        -A_-\\, e^{\\Delta t/\\tau_-} & \\Delta t < 0 \\text{ (post before pre: depression)}\\\\
        \\;\\;0 & \\Delta t = 0 .
    \\end{cases}

Times are in seconds. ``W(0) = 0``: a pre- and a postsynaptic spike at the very same
instant change nothing (in continuous time this has probability zero; on a time grid
it is a convention, and every function here follows it).

The **online** form needs no list of past spikes. Each synapse keeps a presynaptic
trace :math:`x_j` and a postsynaptic trace :math:`y_j`, which decay exponentially,

.. math::

    \\tau_+ \\frac{dx_j}{dt} = -x_j, \\qquad \\tau_- \\frac{dy_j}{dt} = -y_j,

and spikes do the rest:

* at a presynaptic spike of ``j``: :math:`w_j \\leftarrow w_j - A_- y_j`, then :math:`x_j` jumps;
* at a postsynaptic spike: :math:`w_j \\leftarrow w_j + A_+ x_j` for every ``j``, then :math:`y_j` jumps.

How a trace jumps sets which spike pairs count (``pairing``):

* ``"all-to-all"``: :math:`x \\leftarrow x + 1` — every pair counts; this *is* the double sum;
* ``"nearest"``: :math:`x \\leftarrow 1` — only the nearest earlier spike of the other side counts;
* ``"reduced-nearest"``: as ``"nearest"``, and a trace is used up (set to 0) once it has changed
  the weight, so only the *first* postsynaptic spike after a presynaptic spike potentiates and only
  the first presynaptic spike after a postsynaptic spike depresses (Morrison, Diesmann & Gerstner 2008;
  the rule of Masquelier, Guyonneau & Thorpe 2008, as Hathway & Goodman 2018 found).

Weights are kept in ``[w_min, w_max]`` by the ``bound_rule``:

* ``"additive"``: add the change, then clip (hard bounds; Song, Miller & Abbott 2000);
* ``"multiplicative"``: scale potentiation by :math:`(w_{max} - w)/(w_{max} - w_{min})` and
  depression by :math:`(w - w_{min})/(w_{max} - w_{min})`: soft bounds on both sides, the "multiplicative"
  rule of Rubin, Lee & Sompolinsky (2001). (van Rossum, Bi & Turrigiano 2000 use a related rule:
  potentiation additive, only depression proportional to w.)
* ``"none"``: no bounds (for checking the online rule against :func:`pair_sum`).

Everything here is NumPy, vectorised over synapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from snnlesson._validate import (_shown, check_array, check_bool, check_choice, check_real, check_size,
                                 check_spike_times)

__all__ = ["STDPParams", "window", "pair_sum", "apply_change", "online_stdp", "OnlineSTDPResult",
           "PAIRINGS", "BOUND_RULES"]

PAIRINGS = ("all-to-all", "nearest", "reduced-nearest")
BOUND_RULES = ("additive", "multiplicative", "none")


@dataclass(frozen=True)
class STDPParams:
    """Parameters of the STDP rule, validated on construction (times in seconds).

    a_plus, a_minus : amplitudes A+ and A- (>= 0) of potentiation and depression, in weight units.
    tau_plus, tau_minus : time constants of the two sides of the window (s), > 0.
    w_min, w_max : the weight bounds, w_min < w_max (ignored by ``bound_rule="none"``).
    bound_rule : ``"additive"`` (hard clipping), ``"multiplicative"`` (soft bounds) or ``"none"``.
    pairing : ``"all-to-all"``, ``"nearest"`` or ``"reduced-nearest"`` (see the module docstring).

    The defaults are the classic window of Song, Miller & Abbott (2000): tau+ = tau- = 20 ms,
    A- = 1.05 A+ (depression slightly stronger, so uncorrelated spikes weaken a synapse).
    """

    a_plus: float = 0.01
    a_minus: float = 0.0105
    tau_plus: float = 0.02
    tau_minus: float = 0.02
    w_min: float = 0.0
    w_max: float = 1.0
    bound_rule: str = "additive"
    pairing: str = "all-to-all"

    def __post_init__(self):
        for name in ("a_plus", "a_minus"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0))
        for name in ("tau_plus", "tau_minus"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True))
        for name in ("w_min", "w_max"):
            object.__setattr__(self, name, check_real(name, getattr(self, name)))
        if self.w_min >= self.w_max:
            raise ValueError(f"w_min ({self.w_min!r}) must be below w_max ({self.w_max!r})")
        check_choice("bound_rule", self.bound_rule, BOUND_RULES)
        check_choice("pairing", self.pairing, PAIRINGS)


def _check_params(params) -> STDPParams:
    if not isinstance(params, STDPParams):
        raise TypeError(f"params must be an STDPParams, got {type(params).__name__}")
    return params


def window(delta_t, params: STDPParams = STDPParams()):
    """The STDP window W(delta_t) for delta_t = t_post - t_pre (s); a number or an array.

    W = a_plus exp(-delta_t / tau_plus) for delta_t > 0, -a_minus exp(delta_t / tau_minus)
    for delta_t < 0, and 0 for delta_t = 0. Returns a float for a number, else a NumPy array.
    """
    _check_params(params)
    dt = check_array("delta_t", delta_t, allow_empty=True)
    with np.errstate(over="ignore"):
        potentiation = params.a_plus * np.exp(-np.abs(dt) / params.tau_plus)
        depression = -params.a_minus * np.exp(-np.abs(dt) / params.tau_minus)
    w = np.where(dt > 0, potentiation, np.where(dt < 0, depression, 0.0))
    return float(w) if w.ndim == 0 else w


def pair_sum(pre_times, post_times, params: STDPParams = STDPParams()) -> float:
    """The article's double sum: Delta w = sum over every (post, pre) pair of W(t_post - t_pre).

    ``pre_times`` and ``post_times`` are sorted spike times (s) of one synapse's two neurons.
    All pairs count, whatever ``params.pairing`` says, and no bound is applied: this is the
    total change that the all-to-all rule accumulates from these spikes.
    """
    _check_params(params)
    pre = check_spike_times("pre_times", pre_times)
    post = check_spike_times("post_times", post_times)
    check_size(f"the pair matrix [len(post_times)={post.size}, len(pre_times)={pre.size}]",
               pre.size * post.size, 8)
    return float(np.sum(window(post[:, None] - pre[None, :], params)))


def apply_change(weights, potentiation, depression, params: STDPParams):
    """New weights after adding ``potentiation`` (>= 0) and subtracting ``depression`` (>= 0).

    ``"additive"``: w + p - d clipped to [w_min, w_max]; ``"multiplicative"``:
    w + p (w_max - w)/range - d (w - w_min)/range, clipped (soft bounds); ``"none"``: w + p - d.
    Works on NumPy arrays and on Python floats (the three must broadcast together); finite values only.
    """
    _check_params(params)
    weights = check_array("weights", weights)
    potentiation = check_array("potentiation", potentiation)
    depression = check_array("depression", depression)
    for name, value in (("potentiation", potentiation), ("depression", depression)):
        if np.any(value < 0):
            raise ValueError(f"{name} must be >= 0 (the rule gives the sign), got a minimum of {_shown(value.min())}")
    try:
        np.broadcast_shapes(weights.shape, potentiation.shape, depression.shape)
    except ValueError:
        raise ValueError(f"weights {weights.shape}, potentiation {potentiation.shape} and depression "
                         f"{depression.shape} must have shapes that broadcast together") from None
    return _apply_change(weights, potentiation, depression, params)


def _apply_change(weights, potentiation, depression, params: STDPParams):
    """:func:`apply_change` without the checks, for the loops that call it at every spike."""
    if params.bound_rule == "none":
        return weights + potentiation - depression
    if params.bound_rule == "multiplicative":
        span = params.w_max - params.w_min
        weights = (weights + potentiation * (params.w_max - weights) / span
                   - depression * (weights - params.w_min) / span)
    else:
        weights = weights + potentiation - depression
    return np.clip(weights, params.w_min, params.w_max)


class OnlineSTDPResult(NamedTuple):
    """Output of :func:`online_stdp`.

    weights : the final weights ``[num_synapses]``.
    times : the event times (s), one per distinct spike time, sorted.
    history : the weights after each event time, ``[len(times) + 1, num_synapses]`` (initial first;
        only initial and final with ``history=False``).
    """

    weights: np.ndarray
    times: np.ndarray
    history: np.ndarray


def online_stdp(pre_times, post_times, params: STDPParams = STDPParams(), weights=None, *,
                history: bool = True) -> OnlineSTDPResult:
    """Apply STDP online, with decaying traces, to synapses driven by given spike trains.

    pre_times : sorted spike times (s) of one presynaptic neuron, or a list of such arrays (one per synapse).
    post_times : sorted spike times (s) of the postsynaptic neuron.
    weights : initial weights, a number or one per synapse (default: (w_min + w_max) / 2).
    history : record the weights after every event time (``False``: only the initial and final ones).

    The traces are decayed lazily: each keeps its value and the time it was last changed, and is
    multiplied by exp(-elapsed / tau) when read. Spikes are processed in time order; at a time with
    both pre- and postsynaptic spikes, every change is computed from the traces *before* that time
    (so W(0) = 0), potentiation before depression. With ``pairing="all-to-all"`` and ``bound_rule="none"`` the total change equals
    :func:`pair_sum` for every synapse.
    """
    _check_params(params)
    history = check_bool("history", history)
    if isinstance(pre_times, (list, tuple)) and len(pre_times) > 0 and not np.isscalar(pre_times[0]):
        trains = [check_spike_times(f"pre_times[{k}]", p) for k, p in enumerate(pre_times)]
    else:
        trains = [check_spike_times("pre_times", pre_times)]
    post = check_spike_times("post_times", post_times)
    num_synapses = len(trains)
    if weights is None:
        w = np.full(num_synapses, 0.5 * (params.w_min + params.w_max))
    else:
        w = check_array("weights", weights)
        if w.ndim > 1 or w.size not in (1, num_synapses):
            raise ValueError(f"weights must be a number or one per synapse ({num_synapses}), got shape {w.shape}")
        w = np.array(np.broadcast_to(w, (num_synapses,)))

    # one list of events: (time, synapse) for presynaptic spikes, synapse -1 for postsynaptic ones
    ev_t = np.concatenate([*trains, post])
    ev_syn = np.concatenate([np.full(len(p), k) for k, p in enumerate(trains)] + [np.full(post.size, -1)])
    if history:
        check_size("the weight history [events, num_synapses]", (ev_t.size + 1) * num_synapses, 8)
    order = np.argsort(ev_t, kind="stable")
    ev_t, ev_syn = ev_t[order], ev_syn[order].astype(int)
    times, starts = np.unique(ev_t, return_index=True)
    stops = np.append(starts[1:], ev_t.size)

    jump = {"all-to-all": None, "nearest": 1.0, "reduced-nearest": 1.0}[params.pairing]
    used_up = params.pairing == "reduced-nearest"
    x, t_x = np.zeros(num_synapses), np.zeros(num_synapses)  # presynaptic traces, when last set
    y, t_y = np.zeros(num_synapses), 0.0                      # postsynaptic traces, when last set
    record = [w.copy()]
    for t, a, b in zip(times.tolist(), starts.tolist(), stops.tolist()):  # a loop over spike times
        syn = ev_syn[a:b]
        post_here = bool(np.any(syn < 0))
        pre = syn[syn >= 0]
        # read both traces as they were just before t (W(0) = 0)
        x_now = x * np.exp(-(t - t_x) / params.tau_plus)
        y_now = y * np.exp(-(t - t_y) / params.tau_minus)
        if post_here:  # potentiation first, then depression (it matters only where a bound clips)
            w = _apply_change(w, params.a_plus * x_now, 0.0, params)
        if pre.size:
            w[pre] = _apply_change(w[pre], 0.0, params.a_minus * y_now[pre], params)
        # then the spikes at t update the traces
        if post_here:
            if used_up:
                x_now = np.zeros(num_synapses)
            y = y_now + 1.0 if jump is None else np.full(num_synapses, jump)
            t_y = t
        elif used_up:
            y = y_now.copy()
            y[pre] = 0.0
            t_y = t
        if pre.size:
            x_now[pre] = x_now[pre] + 1.0 if jump is None else jump
        x, t_x = x_now, np.full(num_synapses, t)
        if history:
            record.append(w.copy())
    if not history:
        record.append(w.copy())
    return OnlineSTDPResult(w, times, np.array(record))
