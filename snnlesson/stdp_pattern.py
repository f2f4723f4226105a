"""A neuron that finds a hidden, repeating spike pattern with STDP (Masquelier, Guyonneau & Thorpe 2008).

**The input.** ``num_afferents`` (2000) afferents fire Poisson spikes at rates that drift
at random between 0 and ``max_rate`` (90 Hz; the rate changes by at most
``max_rate_change`` Hz/s, updated every ``dt`` = 1 ms), and every afferent fires at
least once every ``max_silence`` (50 ms). Time is cut into 50 ms windows; in a quarter of
them (never two in a row) the first ``num_pattern`` (1000) afferents replay the *same*
50 ms of spikes, each spike shifted by Gaussian jitter (1 ms), while the other afferents
go on at random. Then every afferent gets 10 Hz of extra Poisson noise, so that the
pattern changes neither the population rate nor any afferent's rate: nothing but spike
*timing* gives it away. As in the original code, a 150 s stretch of input is generated and
repeated.

**The neuron** is Gerstner's spike-response model (SRM): its potential is a sum of
kernels, one per input spike since its own last spike, plus an after-potential,

.. math::

    u(t) = \\eta(t - t_i) + \\sum_j w_j \\sum_{t_j^f > t_i} \\varepsilon(t - t_j^f), \\quad
    \\varepsilon(s) = K\\big(e^{-s/\\tau_m} - e^{-s/\\tau_s}\\big), \\quad
    \\eta(s) = \\vartheta\\big(K_1 e^{-s/\\tau_m} - K_2 (e^{-s/\\tau_m} - e^{-s/\\tau_s})\\big),

with :math:`\\tau_m` = 10 ms, :math:`\\tau_s` = 2.5 ms, ``K`` scaling the EPSP peak to 1,
:math:`K_1 = 2`, :math:`K_2 = 4`, threshold :math:`\\vartheta = 500` and a 1 ms refractory
period. Both kernels are sums of two decaying exponentials, so ``u`` is the difference of
two traces, :math:`u = A_m - A_s`, that decay with :math:`\\tau_m` and :math:`\\tau_s`; an
input spike adds :math:`K w_j` to both, a postsynaptic spike sets them to
:math:`(K_1 - K_2)\\vartheta` and :math:`-K_2\\vartheta`.

**The learning rule** is additive STDP with the *reduced nearest-neighbour* pairing
(:mod:`snnlesson.stdp`): A+ = 2^-5, A- = 0.85 A+, tau+ = 16.8 ms, tau- = 33.7 ms, weights in
[0, 1] starting at 0.475. Hathway & Goodman (2018, ReScience) showed that this pairing is
what makes the original work; all-to-all or plain nearest pairing depress every synapse
until the neuron falls silent.

**Events as events, in continuous time.** Input spikes are not put on a grid (the
original was event-driven too). The simulator takes the next few milliseconds of input
spikes at once and computes, vectorised, the weight each spike brings (after depression)
and the potential just before each spike (cumulative sums of the two traces). The first
spike time at which ``u`` has reached the threshold ends the block: the crossing is located
between that input spike and the one before it (bisection on the two exponentials), the
synapses are potentiated, the neuron resets, and the next block starts there. Inputs are
8 microseconds apart on average, so checking the threshold at input spikes misses nothing
visible.

The success criterion is the original one: over the last third of the run (150 s of 450 s),
the neuron fires in more than 98% of the pattern windows, never outside them, with a mean
latency below 10 ms after the pattern starts.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from snnlesson._validate import (check_array, check_int, check_real, check_record, check_seed, check_size,
                                 check_spike_times)
from snnlesson.stdp import STDPParams

__all__ = ["PatternInputParams", "PatternInput", "pattern_input", "SRMParams", "masquelier_stdp",
           "PatternResult", "simulate_pattern", "PatternScore", "score_pattern", "latencies",
           "run_pattern_experiment", "bench_pattern"]

_MIN_PATTERN_LENGTH = 1e-4  # s: a scoring window shorter than this holds no spike pattern


@dataclass(frozen=True)
class PatternInputParams:
    """How the input is made (times in seconds, rates in Hz); the defaults are the original's."""

    num_afferents: int = 2000
    num_pattern: int = 1000
    pattern_length: float = 0.05
    pattern_frequency: float = 0.25
    jitter: float = 0.001
    max_rate: float = 90.0
    max_rate_change: float = 1800.0
    max_silence: float = 0.05
    noise_rate: float = 10.0
    dt: float = 0.001
    period: float = 150.0

    def __post_init__(self):
        object.__setattr__(self, "num_afferents", check_int("num_afferents", self.num_afferents, 1, 30_000))
        object.__setattr__(self, "num_pattern", check_int("num_pattern", self.num_pattern, 0, self.num_afferents))
        for name in ("pattern_length", "dt", "period", "max_silence"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True))
        for name in ("jitter", "max_rate", "max_rate_change", "noise_rate"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0))
        object.__setattr__(self, "pattern_frequency",
                           check_real("pattern_frequency", self.pattern_frequency, low=0.0, high=0.5))
        if self.max_rate * self.dt > 1:
            raise ValueError(f"max_rate * dt ({self.max_rate * self.dt!r}) must be at most 1")
        if self.pattern_length < self.dt:
            raise ValueError(f"pattern_length ({self.pattern_length!r} s) must be at least dt ({self.dt!r} s)")


class PatternInput(NamedTuple):
    """The input spikes of one period (they repeat every ``period`` s until ``t_stop``).

    times, afferents : sorted spike times (s) of one period and the afferent of each spike.
    pattern_starts : start times (s) of every pattern window until ``t_stop``.
    """

    times: np.ndarray
    afferents: np.ndarray
    pattern_starts: np.ndarray
    period: float
    t_stop: float
    params: PatternInputParams

    def take(self, index: int, t_stop: float) -> tuple[np.ndarray, np.ndarray]:
        """(times, afferents) of the spikes from the ``index``-th (counting repeats) until ``t_stop``."""
        index = check_int("index", index, minimum=0)
        t_stop = check_real("t_stop", t_stop)
        self._check_span(index // max(self.times.size, 1) * self.period, t_stop)
        n = self.times.size
        parts_t, parts_a = [], []
        r, lo = divmod(index, n) if n else (0, 0)
        while n and r * self.period < t_stop:
            hi = np.searchsorted(self.times, t_stop - r * self.period)
            if hi > lo:
                parts_t.append(self.times[lo:hi] + r * self.period)
                parts_a.append(self.afferents[lo:hi])
            if hi < n:
                break
            r, lo = r + 1, 0
        if not parts_t:
            return np.zeros(0), np.zeros(0, np.int16)
        return np.concatenate(parts_t), np.concatenate(parts_a)

    def window(self, t_start: float, t_stop: float) -> tuple[np.ndarray, np.ndarray]:
        """(times, afferents) of the spikes in [t_start, t_stop), repeats included."""
        t_start = check_real("t_start", t_start, low=0.0)
        t_stop = check_real("t_stop", t_stop, low=t_start)
        self._check_span(t_start, t_stop)
        parts_t, parts_a = [], []
        for r in range(int(t_start // self.period), int(math.ceil(t_stop / self.period))):
            lo = np.searchsorted(self.times, t_start - r * self.period)
            hi = np.searchsorted(self.times, t_stop - r * self.period)
            parts_t.append(self.times[lo:hi] + r * self.period)
            parts_a.append(self.afferents[lo:hi])
        return np.concatenate(parts_t), np.concatenate(parts_a)

    def _check_span(self, t_start: float, t_stop: float) -> None:
        """Refuse a stretch of input whose spikes would exceed the size budget (8-byte time + 2-byte afferent)."""
        repeats = max(0.0, t_stop - t_start) / self.period + 1
        check_size(f"the input spikes of [{t_start:g}, t_stop={t_stop:g}) s ({repeats:.3g} periods of "
                   f"{self.times.size} spikes)", repeats * self.times.size, 10)


def _background(p: PatternInputParams, duration: float, rng: np.random.Generator):
    """Spikes of every afferent with a drifting rate and no silence longer than max_silence.

    Every ``dt`` (1 ms) bin: an afferent fires with probability rate * dt, or surely if it has been
    silent for max_silence; the spike lies uniformly inside the bin. Then the rate moves by its
    speed (clipped to [0, max_rate]) and the speed by a random kick (clipped to +-max_rate_change).
    """
    n, dt = p.num_afferents, p.dt
    num_bins = int(round(duration / dt))
    rate_dt = rng.uniform(0.0, p.max_rate, n) * dt  # the firing probability in this bin
    speed_dt = rng.uniform(-p.max_rate_change, p.max_rate_change, n) * dt * dt  # its change per bin
    # a forced spike comes when a bin ends past the deadline (last spike + max_silence); a virtual
    # spike before 0 spreads the first deadlines
    deadline = p.max_silence - rng.uniform(0.0, p.max_silence, n)
    top, fastest = p.max_rate * dt, p.max_rate_change * dt * dt
    times, afferents = [], []
    block = 500
    for start in range(0, num_bins, block):  # random numbers are drawn per block of bins
        stop = min(start + block, num_bins)
        bin_end = (np.arange(start + 1, stop + 1) * dt)[:, None]
        fire_draw = rng.random((stop - start, n))
        spike_time = bin_end - dt * rng.random((stop - start, n))
        next_deadline = spike_time + p.max_silence
        kick = rng.uniform(-0.4 * fastest, 0.4 * fastest, (stop - start, n))
        fired = np.less(fire_draw, 0.0)
        for b in range(stop - start):  # a loop over 1 ms bins, vectorised over afferents
            np.less(fire_draw[b], rate_dt, out=fired[b])
            fired[b] |= deadline < bin_end[b, 0]
            deadline = np.where(fired[b], next_deadline[b], deadline)
            rate_dt += speed_dt
            np.clip(rate_dt, 0.0, top, out=rate_dt)
            speed_dt += kick[b]
            np.clip(speed_dt, -fastest, fastest, out=speed_dt)
        b_idx, a_idx = np.nonzero(fired)
        times.append(spike_time[b_idx, a_idx])
        afferents.append(a_idx)
    return np.concatenate(times), np.concatenate(afferents)


def pattern_input(t_stop: float, params: PatternInputParams = PatternInputParams(), *, seed: int = 0
                  ) -> PatternInput:
    """Make the input of Masquelier et al. (2008) for ``t_stop`` seconds (see the module docstring).

    One period (``min(t_stop, params.period)`` s) is generated and repeated. The pattern is the
    pattern afferents' spikes in the first pattern window; each window holds a freshly jittered copy.
    """
    if not isinstance(params, PatternInputParams):
        raise TypeError(f"params must be a PatternInputParams, got {type(params).__name__}")
    t_stop = check_real("t_stop", t_stop, low=0.0, low_open=True)
    rng = np.random.default_rng(check_seed("seed", seed))
    p = params
    num_windows = int(round(min(t_stop, p.period) / p.pattern_length))
    if num_windows < 2:
        raise ValueError(f"t_stop ({t_stop!r} s) must hold at least two pattern windows of {p.pattern_length} s")
    period = num_windows * p.pattern_length
    num_repeats = int(math.ceil(t_stop / period))
    check_size(f"the pattern starts [t_stop / period = {num_repeats} repeats, {num_windows} windows]",
               num_repeats * num_windows, 16)
    mean_rate = 0.6 * p.max_rate + 1.0 / p.max_silence + p.noise_rate
    check_size(f"the input spikes (about {p.num_afferents} afferents * {mean_rate:.0f} Hz * {period:g} s)",
               p.num_afferents * mean_rate * period, 10)
    times, afferents = _background(p, period, rng)

    # choose the pattern windows: a fraction pattern_frequency of all, never two in a row
    k = int(math.floor(num_windows * p.pattern_frequency))
    slots = np.sort(rng.choice(num_windows - k + 1, size=k, replace=False)) if k else np.zeros(0, int)
    windows = slots + np.arange(k)  # a gap of at least one window between pattern windows
    is_pattern = np.zeros(num_windows, dtype=bool)
    is_pattern[windows] = True
    if k:
        first = windows[0] * p.pattern_length
        in_first = (times >= first) & (times < first + p.pattern_length) & (afferents < p.num_pattern)
        pattern_t, pattern_a = times[in_first] - first, afferents[in_first]
        # the pattern afferents' own spikes inside pattern windows are replaced by jittered copies
        window_of = np.minimum((times / p.pattern_length).astype(int), num_windows - 1)
        keep = ~(is_pattern[window_of] & (afferents < p.num_pattern))
        copies_t = (windows[:, None] * p.pattern_length + pattern_t[None, :]
                    + rng.normal(0.0, p.jitter, (k, pattern_t.size))).ravel()
        copies_a = np.broadcast_to(pattern_a, (k, pattern_a.size)).ravel()
        times = np.concatenate([times[keep], copies_t])
        afferents = np.concatenate([afferents[keep], copies_a])
    noise_count = rng.poisson(p.noise_rate * period * p.num_afferents)
    times = np.concatenate([times, rng.uniform(0.0, period, noise_count)])
    afferents = np.concatenate([afferents, rng.integers(0, p.num_afferents, noise_count)])
    times = np.clip(times, 0.0, np.nextafter(period, 0.0))  # jitter may push a spike past an end
    order = np.argsort(times, kind="stable")
    repeats = np.arange(num_repeats)
    starts = (repeats[:, None] * period + windows[None, :] * p.pattern_length).ravel()
    return PatternInput(times[order], afferents[order].astype(np.int16), starts[starts < t_stop],
                        period, t_stop, p)


@dataclass(frozen=True)
class SRMParams:
    """The spike-response neuron (times in s; potentials in the arbitrary units of the original)."""

    tau_m: float = 0.010
    tau_s: float = 0.0025
    threshold: float = 500.0
    k1: float = 2.0
    k2: float = 4.0
    refractory: float = 0.001

    def __post_init__(self):
        for name in ("tau_m", "tau_s", "threshold"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True))
        for name in ("k1", "k2", "refractory"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0))
        if self.tau_s >= self.tau_m:
            raise ValueError(f"tau_s ({self.tau_s!r} s) must be below tau_m ({self.tau_m!r} s)")

    @property
    def k(self) -> float:
        """K: the EPSP kernel exp(-s/tau_m) - exp(-s/tau_s) times K peaks at 1."""
        s_peak = self.tau_m * self.tau_s / (self.tau_m - self.tau_s) * math.log(self.tau_m / self.tau_s)
        return 1.0 / (math.exp(-s_peak / self.tau_m) - math.exp(-s_peak / self.tau_s))


def masquelier_stdp(pairing: str = "reduced-nearest") -> STDPParams:
    """The rule of the original: additive, A+ = 2^-5, A- = 0.85 A+, tau+ 16.8 ms, tau- 33.7 ms, w in [0, 1]."""
    return STDPParams(a_plus=2.0 ** -5, a_minus=0.85 * 2.0 ** -5, tau_plus=0.0168, tau_minus=0.0337,
                      w_min=0.0, w_max=1.0, bound_rule="additive", pairing=pairing)


class PatternResult(NamedTuple):
    """Output of :func:`simulate_pattern` (NumPy arrays, times in s).

    spike_times : the output spikes. weights : the final weights.
    snapshot_times, snapshots : the weights every ``snapshot_every`` s (initial first).
    trace_times, trace_u : the potential at the input spikes inside the ``record`` windows
        (and at each output spike: the threshold, then the reset value 2 * threshold).
    """

    spike_times: np.ndarray
    weights: np.ndarray
    snapshot_times: np.ndarray
    snapshots: np.ndarray
    trace_times: np.ndarray
    trace_u: np.ndarray


def simulate_pattern(inp: PatternInput, neuron: SRMParams = SRMParams(), stdp: STDPParams | None = None, *,
                     initial_weight: float = 0.475, t_stop: float | None = None, snapshot_every: float = 1.0,
                     record=(), max_block: float = 0.03) -> PatternResult:
    """Simulate the SRM neuron learning from ``inp`` until ``t_stop`` (default ``inp.t_stop``) seconds.

    stdp : additive, pairing ``"reduced-nearest"`` (default :func:`masquelier_stdp`) or ``"nearest"``.
    record : ``(t_start, t_stop)`` windows in which to keep the potential (for plots).
    max_block : the longest stretch of input (s) handled in one vectorised block.
    """
    if not isinstance(inp, PatternInput):
        raise TypeError(f"inp must be a PatternInput (from pattern_input), got {type(inp).__name__}")
    check_record("inp", inp, allow_inf=True)
    if not isinstance(neuron, SRMParams):
        raise TypeError(f"neuron must be an SRMParams, got {type(neuron).__name__}")
    stdp = masquelier_stdp() if stdp is None else stdp
    if not isinstance(stdp, STDPParams):
        raise TypeError(f"stdp must be an STDPParams, got {type(stdp).__name__}")
    if stdp.pairing not in ("nearest", "reduced-nearest") or stdp.bound_rule != "additive":
        raise ValueError("stdp must be additive with pairing 'nearest' or 'reduced-nearest' here, got "
                         f"bound_rule={stdp.bound_rule!r}, pairing={stdp.pairing!r}")
    t_stop = inp.t_stop if t_stop is None else check_real("t_stop", t_stop, low=0.0, low_open=True, high=inp.t_stop)
    initial_weight = check_real("initial_weight", initial_weight, low=stdp.w_min, high=stdp.w_max)
    snapshot_every = check_real("snapshot_every", snapshot_every, low=0.0, low_open=True)
    max_block = check_real("max_block", max_block, low=1e-4, high=0.05)
    n_aff = inp.params.num_afferents
    check_size(f"the weight snapshots [t_stop / snapshot_every = {t_stop / snapshot_every:.3g}, {n_aff} afferents]",
               (t_stop / snapshot_every + 2) * n_aff, 8)
    if isinstance(record, (str, bytes)) or not isinstance(record, (list, tuple)):
        raise TypeError(f"record must be a list of (t_start, t_stop) windows in seconds, got {record!r}")
    if not all(isinstance(r, (list, tuple)) and len(r) == 2 for r in record):
        raise ValueError(f"record must be a list of (t_start, t_stop) windows in seconds, got {record!r}")
    record = [(check_real(f"record[{i}] start", a), check_real(f"record[{i}] stop", b))
              for i, (a, b) in enumerate(record)]

    tau_m, tau_s, theta = neuron.tau_m, neuron.tau_s, neuron.threshold
    k = neuron.k
    reduced = stdp.pairing == "reduced-nearest"
    w = np.full(n_aff, initial_weight)
    t_pre = np.full(n_aff, -np.inf)      # each afferent's last spike
    x_armed = np.zeros(n_aff, bool)      # its last spike may still potentiate (not used up)
    y_armed = np.zeros(n_aff, bool)      # the last output spike may still depress it
    t_post = -np.inf
    a_m = a_s = 0.0                      # the two traces, at time t0
    t0, t_ref_end = 0.0, 0.0
    i_next = 0                           # global index of the next input spike
    spikes, snaps, snap_t = [], [w.copy()], [0.0]
    trace_t, trace_u = [], []
    next_snap = snapshot_every
    block = max_block

    def potential(t, am, as_, t_ref):
        return am * math.exp(-(t - t_ref) / tau_m) - as_ * math.exp(-(t - t_ref) / tau_s)

    while t0 < t_stop:
        t_end = min(t0 + block, t_stop)
        t, j = inp.take(i_next, t_end)
        j = j.astype(np.intp)
        n = t.size
        if n:
            # depression: the weight each input spike brings is its synapse's weight after the
            # depression by its earlier spikes in this block (grouped by afferent, vectorised)
            order = np.argsort(j, kind="stable")
            js = j[order]
            starts = np.empty(n, bool)
            starts[0] = True
            np.not_equal(js[1:], js[:-1], out=starts[1:])
            first = np.empty(n, bool)
            first[order] = starts
            eligible = y_armed[j] & first if reduced else y_armed[j]
            dep = np.where(eligible, stdp.a_minus * np.exp(-(t - t_post) / stdp.tau_minus), 0.0)
            ds = dep[order]
            before = np.cumsum(ds) - ds                            # depression earlier in sorted order
            before -= before[np.flatnonzero(starts)][np.cumsum(starts) - 1]  # ... within the afferent
            dep_before = np.empty(n)
            dep_before[order] = before
            w_eff = np.maximum(w[j] - dep_before, stdp.w_min)
            # the potential just before each input spike: two traces, cumulative sums
            grow_m, grow_s = np.exp((t - t0) / tau_m), np.exp((t - t0) / tau_s)
            cm, cs = k * w_eff * grow_m, k * w_eff * grow_s
            u = (a_m + np.cumsum(cm) - cm) / grow_m - (a_s + np.cumsum(cs) - cs) / grow_s
            above = (u >= theta) & (t >= t_ref_end)
            cross = int(np.argmax(above)) if above.any() else n
        else:
            cross, u = 0, np.zeros(0)
        m = cross  # input spikes before the crossing are delivered
        if m:
            w_new = w - np.bincount(j[:m], weights=dep[:m], minlength=n_aff)
            np.maximum(w_new, stdp.w_min, out=w)
            np.maximum.at(t_pre, j[:m], t[:m])
            x_armed[j[:m]] = True
            if reduced:
                y_armed[j[:m][eligible[:m]]] = False
            for lo, hi in record:
                keep = (t[:m] >= lo) & (t[:m] < hi)
                if keep.any():
                    trace_t.append(t[:m][keep])
                    trace_u.append(u[:m][keep])
            # the traces just after the last delivered spike
            a_m = (a_m + np.sum(cm[:m])) / grow_m[m - 1]
            a_s = (a_s + np.sum(cs[:m])) / grow_s[m - 1]
            t0 = t[m - 1]
            i_next += m
        if cross < n:  # the neuron fires between input spike m-1 (or t0) and input spike m
            lo = max(t0, t_ref_end)
            hi = t[cross]
            if potential(lo, a_m, a_s, t0) < theta:
                for _ in range(40):  # bisection on the sum of two exponentials
                    mid = 0.5 * (lo + hi)
                    if potential(mid, a_m, a_s, t0) >= theta:
                        hi = mid
                    else:
                        lo = mid
                t_spike = hi
            else:
                t_spike = lo
            spikes.append(t_spike)
            # potentiation from every armed presynaptic trace, then reset
            pot = np.where(x_armed, stdp.a_plus * np.exp(-(t_spike - t_pre) / stdp.tau_plus), 0.0)
            np.clip(w + pot, stdp.w_min, stdp.w_max, out=w)
            if reduced:
                x_armed[:] = False
            y_armed[:] = True
            t_post = t_spike
            a_m, a_s = (neuron.k1 - neuron.k2) * theta, -neuron.k2 * theta
            t0, t_ref_end = t_spike, t_spike + neuron.refractory
            if any(lo_ <= t_spike < hi_ for lo_, hi_ in record):
                trace_t.append(np.array([t_spike, t_spike]))
                trace_u.append(np.array([theta, neuron.k1 * theta]))
            # the next block: about 1.5 inter-spike intervals long (a block cut short by a spike is wasted)
            isi = spikes[-1] - spikes[-2] if len(spikes) > 1 else max_block
            block = min(max_block, max(0.002, 1.5 * isi))
        else:
            if n == 0:  # no input: the traces decay
                a_m *= math.exp(-(t_end - t0) / tau_m)
                a_s *= math.exp(-(t_end - t0) / tau_s)
                t0 = t_end
            block = min(max_block, 1.5 * block)
            if t_end >= t_stop:
                break
        while next_snap <= t0 and next_snap <= t_stop:
            snaps.append(w.copy())
            snap_t.append(next_snap)
            next_snap += snapshot_every
    tt = np.concatenate(trace_t) if trace_t else np.zeros(0)
    uu = np.concatenate(trace_u) if trace_u else np.zeros(0)
    return PatternResult(np.array(spikes), w.copy(), np.array(snap_t), np.array(snaps), tt, uu)


def latencies(spike_times, pattern_starts, pattern_length: float = 0.05) -> np.ndarray:
    """For each output spike, the time (s) since the start of the pattern window it falls in, or NaN
    when it falls outside every pattern window (a false alarm). ``pattern_starts`` must be sorted;
    ``pattern_length`` is at least 0.1 ms (a shorter window holds no spike pattern)."""
    s = check_array("spike_times", spike_times, ndim=1, allow_empty=True)
    starts = check_spike_times("pattern_starts", pattern_starts, allow_empty=False)
    pattern_length = check_real("pattern_length", pattern_length, low=_MIN_PATTERN_LENGTH)
    return _latencies(s, starts, pattern_length)


def _latencies(s: np.ndarray, starts: np.ndarray, pattern_length: float) -> np.ndarray:
    """:func:`latencies` without the checks."""
    i = np.searchsorted(starts, s, side="right") - 1
    lat = np.full(s.shape, np.nan)
    ok = i >= 0
    since = s[ok] - starts[i[ok]]
    lat[np.flatnonzero(ok)[since < pattern_length]] = since[since < pattern_length]
    return lat


class PatternScore(NamedTuple):
    """How well the neuron detects the pattern in [t_start, t_stop): the original's criterion.

    hit_rate : fraction of pattern windows with at least one output spike.
    false_alarms : output spikes outside every pattern window.
    mean_latency : mean time (s) from window start to the output spikes inside windows,
        ``None`` when no output spike falls inside a window (a mean of nothing).
    success : hit_rate > 0.98, no false alarm, 0 < mean_latency < 10 ms.
    """

    hit_rate: float
    false_alarms: int
    mean_latency: float | None
    success: bool


def score_pattern(spike_times, pattern_starts, t_start: float, t_stop: float,
                  pattern_length: float = 0.05) -> PatternScore:
    """Score the output spikes in [t_start, t_stop) against the pattern windows starting there
    (both sorted, in s); the range must hold at least one whole pattern window."""
    s = check_spike_times("spike_times", spike_times)
    starts = check_spike_times("pattern_starts", pattern_starts, allow_empty=False)
    t_start, t_stop = check_real("t_start", t_start), check_real("t_stop", t_stop)
    pattern_length = check_real("pattern_length", pattern_length, low=_MIN_PATTERN_LENGTH)
    if t_stop <= t_start:
        raise ValueError(f"t_stop ({t_stop!r} s) must be after t_start ({t_start!r} s)")
    s = s[(s >= t_start) & (s < t_stop)]
    starts = starts[(starts >= t_start) & (starts + pattern_length <= t_stop)]
    if starts.size == 0:
        raise ValueError(f"no pattern window (pattern_starts, pattern_length={pattern_length!r} s) lies inside "
                         f"[t_start, t_stop) = [{t_start!r}, {t_stop!r}) s: nothing to score")
    lat = _latencies(s, starts, pattern_length)
    first = np.searchsorted(s, starts)
    hit = (first < s.size) & (s[np.minimum(first, max(s.size - 1, 0))] < starts + pattern_length) \
        if s.size else np.zeros(starts.size, bool)
    hit_rate = float(np.mean(hit))
    false_alarms = int(np.sum(np.isnan(lat)))
    mean_latency = float(np.nanmean(lat)) if np.any(~np.isnan(lat)) else None
    success = bool(hit_rate > 0.98 and false_alarms == 0 and mean_latency is not None
                   and 0.0 < mean_latency < 0.010)
    return PatternScore(hit_rate, false_alarms, mean_latency, success)


def run_pattern_experiment(t_stop: float = 450.0, *, seed: int = 0, stdp: STDPParams | None = None,
                           input_params: PatternInputParams = PatternInputParams(),
                           neuron: SRMParams = SRMParams(), record=()):
    """Make the input, simulate, and score the last third of the run: ``(input, result, score)``.

    ``score`` is ``None`` when the last third holds no whole pattern window (a run too short to score)."""
    if not isinstance(input_params, PatternInputParams):
        raise TypeError(f"input_params must be a PatternInputParams, got {type(input_params).__name__}")
    inp = pattern_input(t_stop, input_params, seed=seed)
    result = simulate_pattern(inp, neuron, stdp, record=record)
    last_third = inp.pattern_starts[(inp.pattern_starts >= t_stop * 2 / 3)
                                    & (inp.pattern_starts + input_params.pattern_length <= t_stop)]
    score = score_pattern(result.spike_times, inp.pattern_starts, t_stop * 2 / 3, t_stop,
                          input_params.pattern_length) if last_third.size else None
    return inp, result, score


def bench_pattern(num_seeds: int = 10, t_stop: float = 450.0) -> dict:
    """Success rate of the full 450 s experiment over ``num_seeds`` seeds (seeds 0, 1, ...), scored on the
    last 150 s; wall and CPU seconds of simulation per simulated second (input generation reported apart)."""
    num_seeds = check_int("num_seeds", num_seeds, minimum=1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    successes, sim_seconds, sim_cpu, input_seconds, scores = 0, 0.0, 0.0, 0.0, []
    for seed in range(num_seeds):
        start = time.perf_counter()
        inp = pattern_input(t_stop, seed=seed)
        input_seconds += time.perf_counter() - start
        start, start_cpu = time.perf_counter(), time.process_time()
        result = simulate_pattern(inp)
        sim_seconds += time.perf_counter() - start
        sim_cpu += time.process_time() - start_cpu
        score = score_pattern(result.spike_times, inp.pattern_starts, t_stop * 2 / 3, t_stop)
        successes += score.success
        scores.append({"seed": seed, "hit_rate": round(score.hit_rate, 4), "false_alarms": score.false_alarms,
                       "mean_latency_ms": None if score.mean_latency is None
                       else round(1e3 * score.mean_latency, 2), "success": score.success})
    return {"seeds": num_seeds, "t_stop": t_stop, "success_rate": successes / num_seeds,
            "seconds_per_simulated_second": round(sim_seconds / (num_seeds * t_stop), 5),
            "cpu_seconds_per_simulated_second": round(sim_cpu / (num_seeds * t_stop), 5),
            "load_average_1min_before": load,
            "input_seconds_per_simulated_second": round(input_seconds / (num_seeds * t_stop), 5),
            "per_seed": scores}
