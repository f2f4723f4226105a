"""The leaky integrate-and-fire (LIF) neuron as an RC circuit, in continuous time (seconds).

A membrane is a capacitor ``C`` in parallel with a leak resistor ``R``. With the
membrane time constant :math:`\\tau_m = RC` the potential obeys

.. math::

    \\tau_m \\frac{dV}{dt} = -(V - E_m) + R\\,I(t),

an input spike at time :math:`t_k` with weight :math:`w_k` adds :math:`w_k` to
``V`` instantly, and when ``V`` reaches the threshold the neuron emits a spike,
resets to ``v_reset`` and stays there for the refractory period.

For a current that is constant on an interval the equation has the exact solution

.. math::

    V(t_0 + h) = V_\\infty + (V(t_0) - V_\\infty)\\, e^{-h/\\tau_m}, \\qquad V_\\infty = E_m + R I,

which :func:`exact_step` computes and :func:`simulate` uses between events;
:func:`euler_step` is the forward-Euler step it is compared against.
The "decay rate" of the lesson is :math:`1/\\tau_m` (per second): without
input, ``V - E_m`` shrinks by the factor :math:`e^{-t/\\tau_m}` in ``t`` seconds.

Everything here takes and returns seconds and NumPy arrays (a single neuron's
event-driven simulator is clearer in NumPy; the discrete, batched model in
:mod:`snnlesson.lif_discrete` is in torch).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from snnlesson._validate import _shown, as_real_array, check_array, check_bool, check_int, check_real, check_seed, check_size

__all__ = ["LIFParams", "LIFResult", "simulate", "exact_step", "euler_step",
           "time_to_first_spike", "firing_rate", "rheobase", "simulated_firing_rate",
           "poisson_bursts", "NoisyLIFResult", "simulate_noisy", "interspike_intervals"]

_MAX_GRID_POINTS = 10_000_000
_MAX_SPIKES = 1_000_000


@dataclass(frozen=True)
class LIFParams:
    """Parameters of one LIF neuron, validated on construction (times in seconds).

    tau_m : membrane time constant R*C (s), > 0. The decay rate is 1/tau_m (1/s).
    threshold : potential at which the neuron fires; must be above ``v_reset``.
    v_rest : resting potential E_m, where V relaxes without input.
    v_reset : potential right after a spike.
    resistance : membrane resistance R = 1/g_leak, > 0 (turns a current into a potential).
    refractory : time after a spike during which V is held at ``v_reset`` and inputs are ignored (s), >= 0.
    """

    tau_m: float = 0.02
    threshold: float = 1.0
    v_rest: float = 0.0
    v_reset: float = 0.0
    resistance: float = 1.0
    refractory: float = 0.0

    def __post_init__(self):
        for name in ("threshold", "v_rest", "v_reset"):
            object.__setattr__(self, name, check_real(name, getattr(self, name)))
        object.__setattr__(self, "tau_m", check_real("tau_m", self.tau_m, low=0.0, low_open=True))
        object.__setattr__(self, "resistance", check_real("resistance", self.resistance, low=0.0, low_open=True))
        object.__setattr__(self, "refractory", check_real("refractory", self.refractory, low=0.0))
        if self.threshold <= self.v_reset:
            raise ValueError(f"threshold ({self.threshold!r}) must be above v_reset ({self.v_reset!r}), "
                             "otherwise the neuron would fire again at once after every reset")

    @property
    def decay_rate(self) -> float:
        """1/tau_m, in 1/s: the rate at which V - v_rest decays without input."""
        return 1.0 / self.tau_m


class LIFResult(NamedTuple):
    """Output of :func:`simulate`: ``t`` (s) and ``v`` on the grid, ``spike_times`` (s)."""

    t: np.ndarray
    v: np.ndarray
    spike_times: np.ndarray


def _check_params(params) -> LIFParams:
    if not isinstance(params, LIFParams):
        raise TypeError(f"params must be an LIFParams, got {type(params).__name__}")
    return params


def _check_step(v, current, dt, params):
    _check_params(params)
    dt = _check_current_array(dt, "dt")
    if np.any(dt < 0):
        raise ValueError(f"dt must be >= 0 s (a time step or times since the start), got a minimum of {_shown(dt.min())}")
    return _check_current_array(v, "v"), _check_current_array(current), dt


def exact_step(v, current, dt, params: LIFParams):
    """Exact solution after ``dt`` seconds with a constant ``current``:
    V(t+dt) = V_inf + (V(t) - V_inf) exp(-dt/tau_m), V_inf = v_rest + R I.

    ``v``, ``current`` and ``dt`` (>= 0 s) may be numbers or arrays (NumPy float64 out)."""
    v, current, dt = _check_step(v, current, dt, params)
    v_inf = params.v_rest + params.resistance * current
    return v_inf + (v - v_inf) * np.exp(-dt / params.tau_m)


def euler_step(v, current, dt, params: LIFParams):
    """One forward-Euler step: V(t+dt) = V(t) + dt/tau_m * (-(V(t) - v_rest) + R I(t)).

    ``v``, ``current`` and ``dt`` (>= 0 s) may be numbers or arrays (NumPy float64 out)."""
    v, current, dt = _check_step(v, current, dt, params)
    return v + dt / params.tau_m * (-(v - params.v_rest) + params.resistance * current)


# ----------------------------------------------------------------------------- inputs


def _current_on_grid(current, t: np.ndarray) -> np.ndarray:
    """The current as one value per grid point; value k holds on [t_k, t_{k+1})."""
    if current is None:
        return np.zeros_like(t)
    if callable(current):
        try:  # a vectorised function of time (np.sin, lambdas over arrays) ...
            values = as_real_array("current", current(t))
            values = np.broadcast_to(values, t.shape).copy()
        except (TypeError, ValueError):  # ... or one that only takes a number (math.sin)
            values = np.array([float(current(float(tk))) for tk in t])
    elif isinstance(current, numbers.Real) and not isinstance(current, bool):
        values = np.full_like(t, float(current))
    else:
        values = as_real_array("current", current)
        if values.shape != t.shape:
            raise ValueError(f"current must be a number, a function of time or an array with one value "
                             f"per grid point (shape {t.shape}), got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("current must be finite everywhere, got NaN or infinity")
    return values


def _input_events(input_spikes, weights, t_stop: float) -> tuple[np.ndarray, np.ndarray]:
    """Sorted input spike times (s) and their weights."""
    if input_spikes is None:
        if weights is not None:
            raise ValueError("weights were given without input_spikes")
        return np.zeros(0), np.zeros(0)
    times = as_real_array("input_spikes", input_spikes).reshape(-1)
    if not np.all(np.isfinite(times)) or np.any(times < 0) or np.any(times > t_stop):
        raise ValueError(f"input_spikes must be finite times in [0, t_stop={t_stop}] s")
    w = np.ones_like(times) if weights is None else as_real_array("weights", weights)
    w = np.broadcast_to(w, times.shape) if w.ndim == 0 else w.reshape(-1)
    if w.shape != times.shape:
        raise ValueError(f"weights must be a number or one value per input spike ({times.size}), "
                         f"got {w.size} values")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite, got NaN or infinity")
    order = np.argsort(times, kind="stable")
    return times[order], np.array(w[order], dtype=float)


# ------------------------------------------------------------------------ simulators


def simulate(params: LIFParams, t_stop: float, dt: float, *, current=None, input_spikes=None,
             weights=None, method: str = "exact") -> LIFResult:
    """Simulate one LIF neuron from V = v_rest for ``t_stop`` seconds; ``v`` is recorded every ``dt`` s.

    Model: tau_m dV/dt = -(V - v_rest) + R I(t); an input spike at t_k adds ``weights[k]``
    to V; reaching ``threshold`` emits a spike, sets V = v_reset and holds it there
    (ignoring inputs) for ``params.refractory`` seconds.

    Parameters
    ----------
    params : :class:`LIFParams`
    t_stop, dt : duration and grid step (s); the grid is ``t = dt * arange(num_steps + 1)``
        with ``num_steps = floor(t_stop / dt)``.
    current : None (zero), a number, an array with one value per grid point, or a function of
        time (s). The current is piecewise constant: value k holds on [t_k, t_{k+1}); a function
        is evaluated at each interval's start t_k and held constant over that interval.
    input_spikes : times (s) of input spikes in [0, t_stop], in any order (spikes after the last
        grid point, when t_stop is not a multiple of dt, have no effect).
    weights : a number or one number per input spike (default 1.0): the jump they add to V.
    method : ``"exact"`` integrates the linear ODE exactly between events (grid points, input
        spikes, threshold crossings) and solves for each crossing time in closed form,
        t* = t0 + tau_m ln((V_inf - V0) / (V_inf - threshold)), so spike times are not rounded
        to the grid. ``"euler"`` is forward Euler on the grid: input spikes in (t_k, t_{k+1}]
        are added at t_{k+1}; at the first grid point t_{k+1} where V >= threshold the neuron
        resets, and the spike time is placed by linear interpolation of V between t_k and t_{k+1}
        (without it the spike time would carry an extra rounding error of up to dt). After a reset at
        t_{k+1}, every step that starts before t_{k+1} + t_ref is held at v_reset and the input spikes
        arriving in it are dropped: ceil(t_ref / dt) steps, t_ref itself when it is a multiple of dt.

    Returns
    -------
    :class:`LIFResult` with NumPy arrays ``t`` (s), ``v`` (V(t_k), after any jump, spike and
    reset at t_k) and ``spike_times`` (s).
    """
    if not isinstance(params, LIFParams):
        raise TypeError(f"params must be an LIFParams, got {type(params).__name__}")
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    if dt > t_stop:
        raise ValueError(f"dt ({dt!r} s) must not exceed t_stop ({t_stop!r} s)")
    if t_stop / dt + 1 > _MAX_GRID_POINTS:  # checked before int(): t_stop / dt may be infinite
        raise ValueError(f"t_stop / dt = {t_stop / dt:.3g} steps is too many (at most {_MAX_GRID_POINTS - 1}); "
                         "increase dt")
    num_steps = int(math.floor(t_stop / dt + 1e-9))
    if num_steps + 1 > _MAX_GRID_POINTS:
        raise ValueError(f"t_stop / dt = {num_steps} steps is too many (at most {_MAX_GRID_POINTS - 1}); "
                         "increase dt")
    if method not in ("exact", "euler"):
        raise ValueError(f"method must be 'exact' or 'euler', got {method!r}")
    t = dt * np.arange(num_steps + 1)
    i_grid = _current_on_grid(current, t)
    in_times, in_weights = _input_events(input_spikes, weights, t_stop)
    run = _simulate_exact if method == "exact" else _simulate_euler
    v, spikes = run(params, t, i_grid, in_times, in_weights)
    return LIFResult(t, v, np.asarray(spikes, dtype=float))


def _too_many_spikes():
    return ValueError(f"the neuron fired more than {_MAX_SPIKES} spikes; the current or weights are "
                      "too large for this refractory period (give a refractory period or a smaller current)")


def _simulate_exact(p: LIFParams, t, i_grid, in_times, in_weights):
    """Event-driven exact integration: a loop over grid intervals and the events inside them."""
    tau, thr, v_reset = p.tau_m, p.threshold, p.v_reset
    v = p.v_rest
    t_now, refractory_until = 0.0, -math.inf
    spikes: list[float] = []
    j, num_inputs = 0, len(in_times)

    def fire(at):
        nonlocal v, refractory_until
        spikes.append(at)
        if len(spikes) > _MAX_SPIKES:
            raise _too_many_spikes()
        v, refractory_until = v_reset, at + p.refractory

    def relax(until, v_inf):
        """Advance V from t_now to ``until`` with V_inf fixed, emitting every crossing on the way."""
        nonlocal v, t_now
        while t_now < until:
            if t_now < refractory_until:  # held at v_reset
                t_now, v = min(refractory_until, until), v_reset
            elif v >= thr:  # (only at the start, if v_rest >= threshold)
                fire(t_now)
            elif v_inf > thr and (t_cross := t_now + tau * math.log((v_inf - v) / (v_inf - thr))) <= until:
                t_now = t_cross
                fire(t_cross)
            else:
                v = v_inf + (v - v_inf) * math.exp(-(until - t_now) / tau)
                t_now = until

    def receive_inputs_at(time):
        """Apply every input spike at ``time``; fire if V reaches threshold."""
        nonlocal v, j
        while j < num_inputs and in_times[j] <= time:
            if time >= refractory_until:
                v += in_weights[j]
                if v >= thr:
                    fire(time)
            j += 1

    receive_inputs_at(0.0)
    if v >= thr and t_now >= refractory_until:  # resting above threshold
        fire(0.0)
    v_out = [v]
    v_inf_grid = (p.v_rest + p.resistance * i_grid).tolist()  # V_inf on each interval
    for t_next, v_inf in zip(t[1:].tolist(), v_inf_grid):
        while j < num_inputs and in_times[j] <= t_next:
            relax(in_times[j], v_inf)
            receive_inputs_at(in_times[j])
        relax(t_next, v_inf)
        v_out.append(v)
    return np.array(v_out), spikes


def _simulate_euler(p: LIFParams, t, i_grid, in_times, in_weights):
    """Forward Euler on the grid: V_{k+1} = V_k + dt/tau_m (-(V_k - v_rest) + R I_k) + inputs.

    A spike found at t_{k+1} resets V there; every step [t_j, t_{j+1}] whose start t_j lies in
    [t_{k+1}, t_{k+1} + t_ref) is held at v_reset, and input spikes arriving in it are dropped:
    ceil(t_ref / dt) held steps, so the held time is t_ref on the grid (rounded up to whole steps).
    """
    dt = float(t[1] - t[0]) if len(t) > 1 else 0.0
    # total input weight arriving in (t_k, t_{k+1}] is added at step k+1 (spikes at 0 at step 0)
    bins = np.ceil(np.round(in_times / dt, 9)).astype(int) if dt > 0 else np.zeros(len(in_times), int)
    jumps = np.bincount(bins, weights=in_weights, minlength=len(t))
    spikes: list[float] = []
    refractory_until = -math.inf
    eps = 1e-9 * dt
    v = p.v_rest + jumps[0]
    if v >= p.threshold:
        spikes.append(0.0)
        v, refractory_until = p.v_reset, p.refractory
    v_out = [v]
    for t_now, t_next, i_now, jump in zip(t[:-1].tolist(), t[1:].tolist(), i_grid.tolist(), jumps[1:].tolist()):
        if t_now < refractory_until - eps:  # the step STARTS inside the refractory period: held, inputs dropped
            v_next = p.v_reset
        else:
            v_next = euler_step(v, i_now, dt, p) + jump
            if v_next >= p.threshold:
                # report the crossing time by linear interpolation inside the step
                t_spike = max(t_now + dt * (p.threshold - v) / (v_next - v), t_now) if v < p.threshold else t_now
                spikes.append(t_spike)
                if len(spikes) > _MAX_SPIKES:
                    raise _too_many_spikes()
                v_next, refractory_until = p.v_reset, t_next + p.refractory
        v = v_next
        v_out.append(v)
    return np.array(v_out), spikes


# --------------------------------------------------------------- analytic results


def _check_current_array(current, name: str = "current") -> np.ndarray:
    """``current`` as a float64 array (a number gives a 0-d array); TypeError for non-numbers, ValueError for NaN."""
    if isinstance(current, (str, bytes, bool)) or current is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {current!r}")
    return check_array(name, current, allow_empty=True)


def rheobase(params: LIFParams) -> float:
    """The smallest constant current that ever makes the neuron fire: (threshold - v_rest) / R."""
    _check_params(params)
    return (params.threshold - params.v_rest) / params.resistance


def time_to_first_spike(params: LIFParams, current):
    """Time (s) from V = v_rest to the first spike for a constant current (``inf`` if it never fires).

    T = tau_m ln( (V_inf - v_rest) / (V_inf - threshold) ), V_inf = v_rest + R I, when V_inf > threshold.
    ``current`` may be a number or an array (the result has its shape).
    """
    _check_params(params)
    i = _check_current_array(current)
    v_inf = params.v_rest + params.resistance * i
    with np.errstate(divide="ignore", invalid="ignore"):
        t = params.tau_m * np.log((v_inf - params.v_rest) / (v_inf - params.threshold))
    t = np.where(v_inf > params.threshold, t, np.inf)
    if params.v_rest >= params.threshold:
        t = np.zeros_like(t)
    return float(t) if t.ndim == 0 else t


def firing_rate(params: LIFParams, current):
    """Steady firing rate (Hz) for a constant current: the f-I curve, refractory period included.

    f = 1 / ( t_ref + tau_m ln( (V_inf - v_reset) / (V_inf - threshold) ) ) when V_inf = v_rest + R I
    exceeds the threshold, else 0. ``current`` may be a number or an array.
    """
    _check_params(params)
    i = _check_current_array(current)
    v_inf = params.v_rest + params.resistance * i
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = params.refractory + params.tau_m * np.log((v_inf - params.v_reset) / (v_inf - params.threshold))
        rate = np.where(v_inf > params.threshold, 1.0 / isi, 0.0)
    return float(rate) if rate.ndim == 0 else rate


def simulated_firing_rate(params: LIFParams, currents, *, t_stop: float = 1.0, dt: float = 1e-3,
                          method: str = "exact") -> np.ndarray:
    """Firing rate (Hz) measured by :func:`simulate` for each constant current in ``currents``.

    The rate is 1 / (mean inter-spike interval) from the first spike on (0 with fewer than two
    spikes), so it estimates the same steady rate as :func:`firing_rate`. One simulation of
    the same neuron per current: a sweep of experiments, not a network.
    """
    _check_params(params)
    currents = _check_current_array(currents, "currents").reshape(-1)
    rates = np.zeros(currents.shape)
    for n, i in enumerate(currents):
        spikes = simulate(params, t_stop, dt, current=float(i), method=method).spike_times
        rates[n] = 1.0 / np.mean(np.diff(spikes)) if len(spikes) >= 2 else 0.0
    return rates


def poisson_bursts(rate: float, bursts=((0.0, 0.2), (0.6, 0.8)), *, seed: int = 0) -> np.ndarray:
    """Sorted spike times (s) of a Poisson process of ``rate`` Hz switched on only during ``bursts``.

    ``bursts`` is a sequence of (start, stop) windows in seconds. Same seed, same train.
    """
    rate = check_real("rate", rate, low=0.0)
    rng = np.random.default_rng(check_seed("seed", seed))
    try:
        windows = [tuple(b) for b in bursts]
    except TypeError:
        raise TypeError(f"bursts must be a sequence of (start, stop) windows in seconds, got {bursts!r}") from None
    if any(len(w) != 2 for w in windows):
        raise ValueError(f"bursts must be a sequence of (start, stop) windows in seconds, got {bursts!r}")
    windows = [(check_real("burst start", a, low=0.0), check_real("burst stop", b)) for a, b in windows]
    for start, stop in windows:
        if stop < start:
            raise ValueError(f"bursts must be (start, stop) with stop >= start, got ({start}, {stop})")
    expected = rate * sum(stop - start for start, stop in windows)
    check_size(f"the spike times of rate={rate!r} Hz over the bursts", 2 * expected + 100, 8)
    times = []
    for start, stop in windows:  # a handful of windows
        count = rng.poisson(rate * (stop - start))
        times.append(rng.uniform(start, stop, size=count))
    return np.sort(np.concatenate(times)) if times else np.zeros(0)


# ----------------------------------------------------------------- noisy drive


class NoisyLIFResult(NamedTuple):
    """Output of :func:`simulate_noisy`: ``t`` (s, the grid), ``spikes`` (bool, time-first
    ``[num_steps + 1, *mean_drive.shape, num_trials]``, True where the neuron fired and was reset at
    ``t[k]``) and ``v`` (the membrane on the grid, same shape, or ``None`` unless ``record_v``)."""

    t: np.ndarray
    spikes: np.ndarray
    v: np.ndarray | None


def simulate_noisy(params: LIFParams, mean_drive, sigma, t_stop: float, dt: float, *,
                   num_trials: int = 1, seed: int = 0, record_v: bool = False) -> NoisyLIFResult:
    """Many independent LIF neurons with white-noise drive, one NumPy update per time step.

    Model (``mu = R I`` the mean drive in units of V, eta(t) unit Gaussian white noise):

        tau_m dV/dt = -(V - v_rest) + mu + sigma sqrt(2 tau_m) eta(t).

    Without threshold, V fluctuates around V_inf = v_rest + mu with standard deviation ``sigma``
    (an Ornstein-Uhlenbeck process), so ``sigma`` is read in the units of V. Each step uses the
    process's exact update over ``dt``,

        V_{k+1} = V_inf + (V_k - V_inf) e^{-dt/tau_m} + sigma sqrt(1 - e^{-2 dt/tau_m}) xi_k,  xi_k ~ N(0, 1),

    then, where V_{k+1} >= threshold, records a spike at t_{k+1}, resets V to ``v_reset`` and holds it
    there for ceil(t_ref / dt) steps (as ``simulate(..., method="euler")``). Crossings that happen and
    undo themselves between two grid points are missed, so rates are slightly low, by an amount that
    shrinks like sqrt(dt / tau_m); take dt well below tau_m. With ``sigma = 0`` the neuron fires with
    intervals of whole steps close to 1 / :func:`firing_rate`.

    ``mean_drive`` and ``sigma`` (>= 0): numbers or arrays that broadcast together (e.g. currents
    ``(n,)`` and noise levels ``(m, 1)``), one neuron per pair and trial; trials are the last axis.
    Every neuron starts at v_rest. Same seed, same result. NumPy arrays out.
    """
    _check_params(params)
    mu = check_array("mean_drive", mean_drive)
    sigma = check_array("sigma", sigma)
    if np.any(sigma < 0):
        raise ValueError(f"sigma must be >= 0 (a standard deviation, units of V), got a minimum of {_shown(sigma.min())}")
    try:
        mu, sigma = np.broadcast_arrays(mu, sigma)
    except ValueError:
        raise ValueError(f"mean_drive (shape {mu.shape}) and sigma (shape {sigma.shape}) must broadcast "
                         "together") from None
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    if dt > t_stop:
        raise ValueError(f"dt ({dt!r} s) must not exceed t_stop ({t_stop!r} s)")
    num_trials = check_int("num_trials", num_trials, minimum=1)
    record_v = check_bool("record_v", record_v)
    rng = np.random.default_rng(check_seed("seed", seed))
    num_steps = int(math.floor(t_stop / dt + 1e-9))
    shape = (*mu.shape, num_trials)
    size = (num_steps + 1) * int(np.prod(shape))
    what = (f"t_stop / dt = {num_steps} steps x {mu.size} drive value(s) (mean_drive, sigma) x "
            f"num_trials = {num_trials}")
    check_size(f"the spike raster of {what}", size, 1)
    if record_v:
        check_size(f"the membrane traces (record_v) of {what}", size, 8)
    held_steps = math.ceil(params.refractory / dt - 1e-9)
    v_inf = np.broadcast_to((params.v_rest + mu)[..., None], shape)
    keep = math.exp(-dt / params.tau_m)
    kick = np.broadcast_to(sigma[..., None] * math.sqrt(1.0 - keep ** 2), shape)

    v = np.full(shape, params.v_rest)
    held = np.zeros(shape, dtype=int)  # steps each neuron is still held at v_reset
    spikes = np.zeros((num_steps + 1, *shape), dtype=bool)
    v_out = np.empty((num_steps + 1, *shape)) if record_v else None
    if record_v:
        v_out[0] = v
    for k in range(num_steps):  # one vectorised step for all neurons and trials
        free = held == 0
        v = np.where(free, v_inf + (v - v_inf) * keep + kick * rng.standard_normal(shape), params.v_reset)
        held = np.where(free, 0, held - 1)
        fired = v >= params.threshold
        v[fired] = params.v_reset
        held[fired] = held_steps
        spikes[k + 1] = fired
        if record_v:
            v_out[k + 1] = v
    return NoisyLIFResult(dt * np.arange(num_steps + 1), spikes, v_out)


def interspike_intervals(spikes, dt: float) -> np.ndarray:
    """All intervals (s) between consecutive spikes of the same neuron in a time-first raster
    ``[num_steps, ...]`` of bools or 0/1 (one train per column; intervals never span two trains)."""
    dt = check_real("dt", dt, low=0.0, low_open=True)
    raster = check_array("spikes", spikes, allow_empty=True)
    if raster.ndim < 1:
        raise ValueError(f"spikes must be a raster [num_steps, ...], got a single number {_shown(spikes)}")
    if not np.all((raster == 0) | (raster == 1)):
        raise ValueError("spikes must hold only 0 and 1 (or False and True), one entry per step and neuron")
    if raster.size == 0:
        return np.zeros(0)
    trains, steps = np.nonzero(raster.reshape(raster.shape[0], -1).T)  # sorted by train, then by time
    same_train = trains[1:] == trains[:-1]
    return dt * np.diff(steps)[same_train]
