"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000): one neuron, many inputs.

One conductance-based leaky integrate-and-fire neuron receives ``num_inputs``
independent Poisson spike trains (``rate`` Hz each) through excitatory synapses
with conductances ``w_j`` (in units of the leak conductance):

.. math::

    \\tau_m \\frac{dv}{dt} = E_L - v + g\\,(E_e - v), \\qquad
    \\tau_e \\frac{dg}{dt} = -g, \\qquad g \\leftarrow g + w_j \\text{ at a spike of input } j,

and fires when ``v`` exceeds ``v_threshold`` (then ``v = v_reset``). The synapses learn
with all-to-all, additive STDP (:mod:`snnlesson.stdp`). Because A- is slightly larger than
A+, uncorrelated input weakens a synapse; an input that happens to be strong makes the
neuron fire soon after its own spikes and is strengthened further. The synapses compete:
the final weights pile up at the two bounds (bimodal), and the output rate falls, whatever the
input rate. With soft bounds on both sides (``bound_rule="multiplicative"``, the multiplicative rule
of Rubin, Lee & Sompolinsky 2001) the competition is gone and the weights gather around one value
instead; van Rossum, Bi & Turrigiano (2000) found such a unimodal distribution with a related rule
(additive potentiation, depression proportional to w).

Defaults: the setup of Brian2's example ``examples/synapses/STDP.py`` (1000 inputs at 15 Hz,
tau_m 10 ms, E_L -74 mV, threshold -54 mV, reset -60 mV, E_e 0 mV, tau_e 5 ms, g_max 0.01,
A+ = 0.01 g_max, A- = 1.05 A+, tau+ = tau- = 20 ms, initial weights uniform in [0, g_max],
dt 0.1 ms). The synaptic drive is the conductance term ``g (E_e - v)`` of Song et al., as in
Brian2's example (the older Brian 1 version linearised it to a fixed ``g (E_e - v_reset)``).

**Events as events.** Per time step the neuron needs a few scalar operations; only about
``num_inputs * rate * dt`` = 1.5 input spikes arrive per step. The loop over steps is plain
Python on floats: each input spike adds its weight to ``g`` and is depressed by the decaying
postsynaptic trace; potentiation runs vectorised over all synapses only at the rare output
spikes, with each synapse's presynaptic trace read lazily (its value after its last spike,
decayed to now). The presynaptic traces depend only on the input, so their values after
each input spike are computed in advance, vectorised. Time step order (as in Brian): integrate
``v`` and ``g`` (forward Euler for ``v``, exact decay for ``g`` and the traces), test the
threshold (an output spike potentiates from the traces of earlier input spikes), deliver this
step's input spikes (conductance, then depression from the traces of earlier output spikes),
then reset. Input and output spikes in the same step do not pair (W(0) = 0).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from snnlesson._validate import check_array, check_int, check_real, check_seed, check_size, check_spike_times
from snnlesson.stdp import STDPParams, _apply_change

__all__ = ["CompetitionParams", "CompetitionResult", "song_stdp", "poisson_inputs", "competition_inputs",
           "simulate_competition", "weight_fractions", "is_bimodal", "output_rate", "bench_competition"]

G_MAX = 0.01


@dataclass(frozen=True)
class CompetitionParams:
    """The neuron and its inputs (potentials in volts, times in seconds, conductances in units of g_leak).

    num_inputs, rate : number of Poisson inputs and their rate (Hz).
    tau_m, e_l, v_threshold, v_reset : membrane time constant (s), leak reversal, threshold, reset (V).
    e_e, tau_e : excitatory reversal potential (V) and conductance decay time constant (s).
    dt : time step (s).
    num_correlated, correlation : the first ``num_correlated`` inputs form a correlated group (default none).
        Each of them is still a Poisson train at ``rate``, but all copy their spikes from one shared
        "mother" Poisson train at ``rate / correlation``, keeping each mother spike independently with
        probability ``correlation`` (the multiple interaction process of Kuhn, Aertsen & Rotter 2003). Two
        inputs of the group then share a fraction ``correlation`` of their spikes, at zero lag: the
        correlation coefficient of their spike counts in a step is ``correlation`` (to order rate * dt).
    """

    num_inputs: int = 1000
    rate: float = 15.0
    tau_m: float = 0.010
    e_l: float = -0.074
    v_threshold: float = -0.054
    v_reset: float = -0.060
    e_e: float = 0.0
    tau_e: float = 0.005
    dt: float = 1e-4
    num_correlated: int = 0
    correlation: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "num_inputs", check_int("num_inputs", self.num_inputs, minimum=1, maximum=100_000))
        object.__setattr__(self, "rate", check_real("rate", self.rate, low=0.0))
        for name in ("tau_m", "tau_e", "dt"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True))
        for name in ("e_l", "v_threshold", "v_reset", "e_e"):
            object.__setattr__(self, name, check_real(name, getattr(self, name)))
        if self.v_threshold <= self.v_reset:
            raise ValueError(f"v_threshold ({self.v_threshold!r}) must be above v_reset ({self.v_reset!r})")
        if self.dt > 0.1 * min(self.tau_m, self.tau_e):
            raise ValueError(f"dt ({self.dt!r} s) must be at most a tenth of tau_m and tau_e "
                             "(forward Euler needs small steps)")
        if self.rate * self.dt >= 1.0:
            raise ValueError(f"rate * dt ({self.rate * self.dt!r}) must be below 1: at most one spike per step")
        object.__setattr__(self, "num_correlated", check_int("num_correlated", self.num_correlated, minimum=0,
                                                             maximum=self.num_inputs))
        object.__setattr__(self, "correlation", check_real("correlation", self.correlation, low=0.0, high=1.0))
        if self.correlated and self.rate * self.dt / self.correlation >= 1.0:
            raise ValueError(f"rate * dt / correlation ({self.rate * self.dt / self.correlation!r}) must be below 1: "
                             "the shared mother train fires at rate / correlation, at most once per step")

    @property
    def correlated(self) -> bool:
        """Whether a correlated group exists (``num_correlated > 0``, ``correlation > 0``, ``rate > 0``)."""
        return self.num_correlated > 0 and self.correlation > 0 and self.rate > 0


def song_stdp(g_max: float = G_MAX, ratio: float = 1.05, bound_rule: str = "additive") -> STDPParams:
    """The STDP rule of the competition: A+ = 0.01 g_max, A- = ratio * A+, tau+- = 20 ms, bounds [0, g_max]."""
    g_max = check_real("g_max", g_max, low=0.0, low_open=True)
    ratio = check_real("ratio", ratio, low=0.0)
    return STDPParams(a_plus=0.01 * g_max, a_minus=ratio * 0.01 * g_max, tau_plus=0.02, tau_minus=0.02,
                      w_min=0.0, w_max=g_max, bound_rule=bound_rule, pairing="all-to-all")


def poisson_inputs(num_inputs: int, rate: float, num_steps: int, dt: float, *, seed: int = 0,
                   tau_plus: float | None = None):
    """Poisson spike trains on a time grid: each input fires in each step with probability rate*dt.

    Returns ``(steps, inputs)``: the step index and the input index of every spike, sorted by step
    (NumPy int arrays). Inter-spike intervals are drawn as geometric numbers of steps, vectorised.
    With ``tau_plus`` (s) a third array is returned: each input's all-to-all presynaptic trace right
    after each of its spikes, x_k = x_{k-1} exp(-(t_k - t_{k-1}) / tau_plus) + 1 (it depends on the
    input alone, so it is computed here, vectorised over inputs, with a loop over spike ranks).
    """
    num_inputs = check_int("num_inputs", num_inputs, minimum=1)
    num_steps = check_int("num_steps", num_steps, minimum=1)
    rate = check_real("rate", rate, low=0.0)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    p = rate * dt
    if p >= 1:
        raise ValueError(f"rate * dt must be below 1, got {p!r}")
    rng = np.random.default_rng(check_seed("seed", seed))
    mean = num_steps * p
    width = int(mean + 8 * math.sqrt(mean) + 10) if p > 0 else 1  # enough intervals for every train
    check_size(f"the spike intervals [num_inputs={num_inputs}, about num_steps * rate * dt = {width}]",
               num_inputs * width, 8)
    if p == 0:
        steps = np.full((1, num_inputs), num_steps)
    else:  # [rank, input]: the r-th spike step of every input (an interval past the end counts as num_steps + 1)
        draws = rng.geometric(p, size=(width, num_inputs))
        # a draw is >= 1; for p near 0 NumPy 1.x overflows to the most negative integer: that is a huge interval
        intervals = np.where(draws < 1, num_steps + 1, np.minimum(draws, num_steps + 1))
        steps = np.cumsum(intervals, axis=0) - 1
    if np.any(steps[-1] < num_steps):  # astronomically unlikely
        raise RuntimeError("poisson_inputs drew too few intervals; please report this as a bug")
    keep = steps < num_steps
    order = np.argsort(steps[keep])
    flat_steps = steps[keep][order]
    flat_inputs = np.broadcast_to(np.arange(num_inputs), steps.shape)[keep][order]
    if tau_plus is None:
        return flat_steps, flat_inputs
    tau_plus = check_real("tau_plus", tau_plus, low=0.0, low_open=True)
    return flat_steps, flat_inputs, _traces_after(steps, dt, tau_plus)[keep][order]


def _traces_after(steps: np.ndarray, dt: float, tau_plus: float) -> np.ndarray:
    """All-to-all presynaptic traces right after each spike, x_k = x_{k-1} exp(-(t_k - t_{k-1}) / tau_plus) + 1,
    for spike steps ``[rank, input]`` (each column non-decreasing; padding past the last spike is ignored)."""
    decay = np.exp(-np.diff(steps, axis=0) * (dt / tau_plus))
    x = np.ones(steps.shape)
    for r in range(1, steps.shape[0]):  # a loop over spike ranks, vectorised over inputs
        x[r] += x[r - 1] * decay[r - 1]
    return x


def _correlated_group(num_inputs: int, rate: float, correlation: float, num_steps: int, dt: float,
                      rng: np.random.Generator, tau_plus: float):
    """``(steps, inputs, x_after)`` of a group of inputs that copy a shared mother train (see CompetitionParams)."""
    p_mother = rate * dt / correlation
    check_size(f"the mother train's spikes times num_correlated (about {num_steps * p_mother * num_inputs:.3g})",
               num_steps * p_mother * num_inputs, 8)
    mother = np.flatnonzero(rng.random(num_steps) < p_mother)            # the shared train's steps
    kept = rng.random((mother.size, num_inputs)) < correlation            # [mother spike, input]
    rank = np.cumsum(kept, axis=0) - 1                                    # each copy's rank in its own train
    width = max(int(rank[-1].max(initial=-1)) + 1, 1) if mother.size else 1
    steps = np.broadcast_to(num_steps + 1 + np.arange(width)[:, None], (width, num_inputs)).copy()  # padding
    member = np.broadcast_to(np.arange(num_inputs), kept.shape)
    steps[rank[kept], member[kept]] = np.broadcast_to(mother[:, None], kept.shape)[kept]
    x = _traces_after(steps, dt, tau_plus)
    real = steps < num_steps
    col = np.broadcast_to(np.arange(num_inputs), steps.shape)
    order = np.argsort(steps[real], kind="stable")
    return steps[real][order], col[real][order], x[real][order]


class CompetitionResult(NamedTuple):
    """Output of :func:`simulate_competition` (NumPy arrays).

    initial_weights, weights : the weights before and after (units of g_leak).
    spike_times : the output neuron's spike times (s).
    snapshot_times, snapshots : the weights every ``snapshot_every`` s, ``[num_snapshots, num_inputs]``.
    t_stop : the simulated time (s).
    """

    initial_weights: np.ndarray
    weights: np.ndarray
    spike_times: np.ndarray
    snapshot_times: np.ndarray
    snapshots: np.ndarray
    t_stop: float


def competition_inputs(t_stop: float, params: CompetitionParams, stdp: STDPParams, *, seed: int = 0,
                       initial_weights=None):
    """What :func:`simulate_competition` draws for a ``seed``: ``(initial_weights, steps, inputs, x_after)``.

    The initial weights (uniform in [w_min, w_max] unless given), the input spikes as step and input
    indices sorted by step (:func:`poisson_inputs`), and each input's presynaptic trace after each spike.
    """
    if not isinstance(params, CompetitionParams):
        raise TypeError(f"params must be a CompetitionParams, got {type(params).__name__}")
    if not isinstance(stdp, STDPParams):
        raise TypeError(f"stdp must be an STDPParams, got {type(stdp).__name__}")
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    num_steps = int(round(t_stop / params.dt))
    if num_steps < 1:
        raise ValueError(f"t_stop ({t_stop!r} s) must be at least one step dt ({params.dt!r} s)")
    n_in = params.num_inputs
    check_size(f"the input spikes (about num_inputs * rate * t_stop = {n_in * params.rate * t_stop:.3g})",
               3 * n_in * params.rate * t_stop, 8)
    rng = np.random.default_rng(check_seed("seed", seed))
    if initial_weights is None:
        w0 = rng.uniform(stdp.w_min, stdp.w_max, size=n_in)
    else:
        w0 = check_array("initial_weights", initial_weights)
        if w0.ndim > 1 or w0.size not in (1, n_in):
            raise ValueError(f"initial_weights must be a number or one per input ({n_in}), got shape {w0.shape}")
        w0 = np.array(np.broadcast_to(w0, (n_in,)))
        if not np.all((w0 >= stdp.w_min) & (w0 <= stdp.w_max)):
            raise ValueError(f"initial_weights must lie in [w_min, w_max] = [{stdp.w_min}, {stdp.w_max}]")
    n_group = params.num_correlated if params.correlated else 0
    steps, inputs, x_after = poisson_inputs(n_in - n_group, params.rate, num_steps, params.dt,
                                            seed=int(rng.integers(2 ** 62)), tau_plus=stdp.tau_plus) \
        if n_group < n_in else (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    if n_group:  # the correlated group is inputs 0 .. n_group - 1; the independent ones follow
        g_steps, g_inputs, g_x = _correlated_group(n_group, params.rate, params.correlation, num_steps, params.dt,
                                                   np.random.default_rng(int(rng.integers(2 ** 62))), stdp.tau_plus)
        steps, inputs, x_after = (np.concatenate([g_steps, steps]), np.concatenate([g_inputs, inputs + n_group]),
                                  np.concatenate([g_x, x_after]))
        order = np.argsort(steps, kind="stable")
        steps, inputs, x_after = steps[order], inputs[order], x_after[order]
    if stdp.pairing == "nearest":
        x_after = np.ones(steps.size)  # the trace is set to 1 at every presynaptic spike
    return w0, steps, inputs, x_after


def simulate_competition(t_stop: float = 100.0, params: CompetitionParams = CompetitionParams(),
                         stdp: STDPParams | None = None, *, seed: int = 0, initial_weights=None,
                         snapshot_every: float = 1.0) -> CompetitionResult:
    """Simulate the neuron and its learning synapses for ``t_stop`` seconds.

    stdp : the rule (default :func:`song_stdp`: additive, g_max 0.01); pairing ``"all-to-all"``
        or ``"nearest"``. initial_weights : default uniform in [w_min, w_max] (seeded).
    seed : seeds the inputs and the initial weights.
    """
    if not isinstance(params, CompetitionParams):
        raise TypeError(f"params must be a CompetitionParams, got {type(params).__name__}")
    stdp = song_stdp() if stdp is None else stdp
    if not isinstance(stdp, STDPParams):
        raise TypeError(f"stdp must be an STDPParams, got {type(stdp).__name__}")
    if stdp.pairing not in ("all-to-all", "nearest"):
        raise ValueError(f"stdp.pairing must be 'all-to-all' or 'nearest' here, got {stdp.pairing!r}")
    if stdp.bound_rule == "none":
        raise ValueError("stdp.bound_rule must be 'additive' or 'multiplicative' here: conductances must stay >= 0")
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    snapshot_every = check_real("snapshot_every", snapshot_every, low=0.0, low_open=True)
    dt, n_in = params.dt, params.num_inputs
    num_steps = int(round(t_stop / dt))
    check_size(f"the step table [t_stop / dt = {num_steps} steps]", num_steps, 8)
    snap_steps = max(1, int(round(snapshot_every / dt)))
    check_size(f"the weight snapshots [t_stop / snapshot_every = {num_steps // snap_steps + 1}, num_inputs={n_in}]",
               (num_steps // snap_steps + 2) * n_in, 8)
    w0, steps, inputs, x_after = competition_inputs(t_stop, params, stdp, seed=seed,
                                                    initial_weights=initial_weights)
    # the event table: how many input spikes arrive in each step, and which inputs they come from
    counts = np.bincount(steps, minlength=num_steps).tolist()
    inputs_list = inputs.tolist()
    ev_steps = np.append(steps, 0)  # index -1 (no spike yet): trace 0
    x_after = np.append(x_after, 0.0)

    w = w0.tolist()
    last_event = np.full(n_in, -1)  # index of each input's latest delivered spike (-1: none yet)
    delivered = 0  # input spikes before this index have been delivered to last_event
    v, g, y = params.e_l, 0.0, 0.0  # membrane, conductance, postsynaptic trace
    dt_tau = dt / params.tau_m
    e_l, e_e, v_th, v_reset = params.e_l, params.e_e, params.v_threshold, params.v_reset
    decay_g = math.exp(-dt / params.tau_e)
    decay_y = math.exp(-dt / stdp.tau_minus)
    a_minus, w_min = stdp.a_minus, stdp.w_min
    soft = a_minus / (stdp.w_max - stdp.w_min) if stdp.bound_rule == "multiplicative" else None
    nearest = stdp.pairing == "nearest"
    snapshots, snapshot_times, out_spikes = [w0.copy()], [0.0], []
    e = 0  # index of the next input spike
    for block in range(0, num_steps, snap_steps):
        for n, c in enumerate(counts[block:block + snap_steps], block):  # time steps: scalar work only
            v += dt_tau * (e_l - v + g * (e_e - v))
            g *= decay_g
            y *= decay_y
            fired = v > v_th
            if fired:  # rare: potentiate every synapse from its presynaptic trace, vectorised
                np.maximum.at(last_event, inputs[delivered:e], np.arange(delivered, e))
                delivered = e
                x_now = x_after[last_event] * np.exp(-(n - ev_steps[last_event]) * (dt / stdp.tau_plus))
                w = _apply_change(np.array(w), stdp.a_plus * x_now, 0.0, stdp).tolist()
                out_spikes.append(n * dt)
            if c:  # this step's input spikes: conductance, then depression from the postsynaptic trace
                if soft is None:
                    depression = a_minus * y
                    for k in inputs_list[e:e + c]:
                        wk = w[k]
                        g += wk
                        wk -= depression
                        w[k] = wk if wk > w_min else w_min
                else:  # soft bound: depression proportional to w - w_min
                    depression = soft * y
                    for k in inputs_list[e:e + c]:
                        wk = w[k]
                        g += wk
                        w[k] = wk - depression * (wk - w_min)
                e += c
            if fired:
                y = 1.0 if nearest else y + 1.0
                v = v_reset
        snapshots.append(np.array(w))
        snapshot_times.append(min(block + snap_steps, num_steps) * dt)
    return CompetitionResult(w0, np.array(w), np.array(out_spikes), np.array(snapshot_times),
                             np.array(snapshots), num_steps * dt)


def weight_fractions(weights, w_max: float = G_MAX, *, low: float = 0.2, high: float = 0.8) -> tuple[float, float]:
    """Fractions of ``weights`` below ``low * w_max`` and above ``high * w_max``."""
    w = check_array("weights", weights)
    w_max = check_real("w_max", w_max, low=0.0, low_open=True)
    low = check_real("low", low, low=0.0, high=1.0)
    high = check_real("high", high, low=0.0, high=1.0)
    if low > high:
        raise ValueError(f"low must be <= high (fractions of w_max), got low={low!r} and high={high!r}")
    return float(np.mean(w < low * w_max)), float(np.mean(w > high * w_max))


def is_bimodal(weights, w_max: float = G_MAX, w_min: float = 0.0) -> bool:
    """The weights have piled up at both bounds: in a 10-bin histogram over [w_min, w_max] the two end
    bins are the two largest, and more weights lie in the outer fifths than in the middle three fifths."""
    w = check_array("weights", weights)
    w_max, w_min = check_real("w_max", w_max), check_real("w_min", w_min)
    if w_min >= w_max:
        raise ValueError(f"w_min ({w_min!r}) must be below w_max ({w_max!r})")
    counts, _ = np.histogram(w, bins=10, range=(w_min, w_max))
    ends_largest = set(np.argsort(counts, kind="stable")[-2:].tolist()) == {0, 9}
    outer = counts[:2].sum() + counts[-2:].sum()
    return bool(ends_largest and outer > counts[2:8].sum())


def output_rate(spike_times, t_start: float, t_stop: float) -> float:
    """The output neuron's mean rate (Hz) in [t_start, t_stop)."""
    s = check_spike_times("spike_times", spike_times)
    t_start = check_real("t_start", t_start)
    t_stop = check_real("t_stop", t_stop)
    if t_stop <= t_start:
        raise ValueError(f"t_stop ({t_stop!r} s) must be after t_start ({t_start!r} s)")
    return float(np.sum((s >= t_start) & (s < t_stop)) / (t_stop - t_start))


def bench_competition(t_stop: float = 100.0, seed: int = 0) -> dict:
    """The full 100 s run at dt = 0.1 ms: wall and CPU time (input generation included), the fractions of
    final weights below 0.2 g_max and above 0.8 g_max, the output rates (Hz) in the first and last 10 s;
    the same for multiplicative bounds. The machine's 1-minute load average is reported beside the times."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    start, start_cpu = time.perf_counter(), time.process_time()
    result = simulate_competition(t_stop, seed=seed)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    frac_low, frac_high = weight_fractions(result.weights)
    mult = simulate_competition(t_stop, stdp=song_stdp(bound_rule="multiplicative"), seed=seed)
    m_low, m_high = weight_fractions(mult.weights)
    return {"t_stop": t_stop, "wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
            "load_average_1min_before": load, "frac_low": round(frac_low, 4),
            "frac_high": round(frac_high, 4), "bimodal": is_bimodal(result.weights),
            "rate_first_10s": round(output_rate(result.spike_times, 0.0, min(10.0, t_stop)), 2),
            "rate_last_10s": round(output_rate(result.spike_times, max(0.0, t_stop - 10.0), t_stop), 2),
            "multiplicative": {"frac_low": round(m_low, 4), "frac_high": round(m_high, 4),
                               "bimodal": is_bimodal(mult.weights),
                               "mean_weight_over_g_max": round(float(np.mean(mult.weights)) / G_MAX, 4)}}
