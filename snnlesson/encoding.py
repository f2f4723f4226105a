"""Encoding information in spikes: rate, latency, rank order, population and delta codes.

Every encoder is a plain function over tensors that returns a time-first spike
train ``[num_steps, *data.shape]`` of floats (0/1, or -1/0/+1 for ``delta``
with OFF spikes), like ``snntorch.spikegen``, so the output feeds snntorch
directly. ``population`` adds a trailing ``n_fields`` axis. Time is counted in
steps (there is no ``dt`` here); random encoders take a ``torch.Generator``.

==============  =============================================================
code            what a value becomes
==============  =============================================================
``rate``        a Bernoulli spike each step with probability ``gain * value``
``latency``     one spike whose delay shrinks as the value grows (RC charging)
``rank_order``  one spike per non-zero input; only the *order* carries meaning
``population``  a value seen by overlapping Gaussian receptive fields, the
                strongest field firing first (Bohte et al. 2002)
``delta``       a spike when the input changed by more than a threshold
==============  =============================================================

Decoders (``rate_decode``, ``latency_decode``, ``rank_order_decode``) turn
spikes back into values, so the lesson can measure what each code keeps.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from snnlesson._validate import as_real_array, check_bool, check_generator, check_int, check_real, check_size

__all__ = [
    "rate", "rate_decode",
    "latency", "latency_times", "latency_decode",
    "rank_order", "rank_order_decode",
    "population_fields", "population_times", "population",
    "delta",
    "reconstruction_error", "reconstruction_curve",
]


# ----------------------------------------------------------------- argument checks


def _as_tensor(name: str, data, *, allow_empty: bool = False) -> torch.Tensor:
    """``data`` as a floating-point tensor, rejecting non-numbers, NaN and empty input."""
    if isinstance(data, torch.Tensor):
        t = data
    else:
        t = torch.as_tensor(as_real_array(name, data, what="a tensor or an array of numbers"), dtype=torch.float32)
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    if t.device.type == "meta":
        raise ValueError(f"{name} is on the 'meta' device, which holds no data; use a CPU or CUDA tensor")
    if not t.is_floating_point():
        t = t.to(torch.float32)
    if t.numel() == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    if torch.isnan(t).any():
        raise ValueError(f"{name} contains NaN; every value must be a number")
    return t


def _check_unit_interval(name: str, t: torch.Tensor) -> None:
    lo, hi = float(t.min()), float(t.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got values from {lo:.6g} to {hi:.6g}; "
                         "scale it first (for 8-bit images divide by 255)")


def _time_axis(num_steps: int, ndim: int, device) -> torch.Tensor:
    """``0, 1, ..., num_steps-1`` shaped ``[num_steps, 1, ..., 1]`` to broadcast against data."""
    return torch.arange(num_steps, device=device).reshape(num_steps, *([1] * ndim))


def _check_train_size(num_steps: int, shape) -> None:
    """Refuse a spike train ``[num_steps, *shape]`` larger than the size budget (``_validate.check_size``)."""
    check_size(f"the spike train [num_steps={num_steps}, {', '.join(map(str, shape))}]",
               num_steps * math.prod(shape), 4)


def _one_spike_at(step: torch.Tensor, num_steps: int, fires: torch.Tensor, dtype) -> torch.Tensor:
    """Spike train ``[num_steps, *step.shape]`` with a single spike at ``step`` where ``fires``."""
    _check_train_size(num_steps, step.shape)
    t = _time_axis(num_steps, step.dim(), step.device)
    return ((t == step) & fires).to(dtype)


# ----------------------------------------------------------------- rate code


def rate(data, num_steps: int, gain: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Rate (Bernoulli, "Poisson") code: each step, each input spikes with probability ``gain * value``.

    .. math:: S[t, i] \sim \mathrm{Bernoulli}(p_i), \qquad p_i = g\,x_i, \qquad t = 0, \dots, T-1

    so the spike count of input *i* over ``num_steps`` = T steps is Binomial(T, p_i):
    mean ``T p_i`` and variance ``T p_i (1 - p_i)``. An intensity of 0.125 fires about
    125 times in 1,000 steps. Time is counted in steps; a step of duration
    :math:`\Delta t` turns the probability into a rate :math:`r = p / \Delta t` in Hz
    (0.125 at :math:`\Delta t` = 1 ms is 125 Hz).

    Parameters
    ----------
    data : tensor of any shape, values in [0, 1] (NaN is rejected)
    num_steps : number of time steps T (>= 1)
    gain : scales the probability; ``gain * value`` must stay <= 1. A probability
        above 1 raises ``ValueError`` rather than being clipped silently (snntorch
        clips), because clipping would make the count stop growing with the value.
    generator : torch.Generator for reproducible spikes (on ``data``'s device)

    Returns
    -------
    float tensor ``[num_steps, *data.shape]`` of 0/1, same dtype and device as ``data``
    (float32 for integer input). One random draw over the whole tensor: fast on
    batches such as ``[B, 1, 28, 28]``.
    """
    x = _as_tensor("data", data)
    num_steps = check_int("num_steps", num_steps, minimum=1)
    gain = check_real("gain", gain, low=0.0)
    check_generator("generator", generator)
    _check_unit_interval("data", x)
    p = gain * x
    if float(p.max()) > 1.0:
        raise ValueError(f"gain * data must be a probability <= 1, but gain={gain:g} times the largest "
                         f"value {float(x.max()):.6g} gives {float(p.max()):.6g}; lower the gain to at most "
                         f"{1.0 / float(x.max()):.6g}")
    _check_train_size(num_steps, x.shape)
    uniform = torch.rand((num_steps, *x.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (uniform < p).to(x.dtype)  # P(U < p) = p for U ~ Uniform[0, 1)


def rate_decode(spikes, gain: float = 1.0) -> torch.Tensor:
    r"""Estimate the encoded values from a rate-coded train: :math:`\hat x_i = \frac{1}{g T} \sum_t S[t, i]`.

    Unbiased for the Bernoulli code, with standard error :math:`\sqrt{p(1-p)/T}/g`:
    the error shrinks only as :math:`1/\sqrt{T}`.
    """
    s = _as_tensor("spikes", spikes)
    if s.dim() < 1:
        raise ValueError("spikes must be time-first [num_steps, ...], got a scalar")
    gain = check_real("gain", gain, low=0.0, low_open=True)
    return s.mean(dim=0) / gain


# ----------------------------------------------------------------- latency code


def latency_times(data, num_steps: int | None = None, threshold: float = 0.01, tau: float = 1.0,
                  first_spike_time: int = 0, normalize: bool = False, linear: bool = False,
                  epsilon: float = 1e-7) -> torch.Tensor:
    r"""Spike time (in steps, real-valued, before rounding) of each input for the latency code.

    Logarithmic code (default): an RC circuit charged by a constant input :math:`x`
    reaches the threshold :math:`\vartheta` at

    .. math:: t(x) = \tau \ln\frac{x}{x - \vartheta} \quad (x > \vartheta),

    so bright inputs fire early. Inputs at or below :math:`\vartheta` are treated as
    :math:`\vartheta + \epsilon` (they would never fire; they get the latest time).
    Linear code (``linear=True``): :math:`t(x) = \tau (1 - x)`, capped at
    :math:`\tau (1 - \vartheta)`.

    ``first_spike_time`` shifts every time; ``normalize=True`` stretches the times so
    that the latest one lands on step ``num_steps - 1`` (for the linear code it sets
    :math:`\tau = T - 1 - t_0`; for the log code it divides by the largest time).
    These are the same formulas, in the same floating-point order, as
    ``snntorch.spikegen.latency_code``.
    """
    x = _as_tensor("data", data)
    _check_unit_interval("data", x)
    threshold = check_real("threshold", threshold, low=0.0, high=1.0, low_open=True, high_open=True)
    tau = check_real("tau", tau, low=0.0, low_open=True)
    first_spike_time = check_int("first_spike_time", first_spike_time, minimum=0)
    epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)
    normalize, linear = check_bool("normalize", normalize), check_bool("linear", linear)
    if num_steps is not None:
        num_steps = check_int("num_steps", num_steps, minimum=1)
        if first_spike_time > num_steps - 1:
            raise ValueError(f"first_spike_time must be <= num_steps - 1 = {num_steps - 1}, got {first_spike_time}")
    if normalize and num_steps is None:
        raise ValueError("normalize=True needs num_steps (the latest spike is put on step num_steps - 1)")

    if linear:
        if normalize:
            tau = num_steps - 1 - first_spike_time
        # t = tau (1 - x), no later than tau (1 - threshold)
        return torch.clamp_max(-tau * (x - 1), -tau * (threshold - 1)) + first_spike_time

    x = torch.clamp(x, threshold + epsilon)          # below threshold: the latest time
    t = tau * torch.log(x / (x - threshold))         # RC charging time to threshold
    if first_spike_time > 0:
        t += first_spike_time
    if normalize:
        latest = torch.max(t - first_spike_time)
        if not latest > 0:  # every input reaches the threshold at once: nothing to stretch
            raise ValueError(f"threshold={threshold:g} is too small for normalize=True: in {x.dtype} every "
                             "input reaches it at time 0, so the times cannot be stretched; use a larger "
                             "threshold or normalize=False")
        t = (t - first_spike_time) * (num_steps - first_spike_time - 1) / latest + first_spike_time
    return t


def latency(data, num_steps: int | None, threshold: float = 0.01, tau: float = 1.0,
            first_spike_time: int = 0, clip: bool = False, normalize: bool = False,
            linear: bool = False, bypass: bool = False, epsilon: float = 1e-7) -> torch.Tensor:
    r"""Latency (time-to-first-spike) code: each input spikes once, at step ``round(t(x))``.

    ``t(x)`` is :func:`latency_times` (log code :math:`\tau \ln\frac{x}{x-\vartheta}`, or
    linear :math:`\tau(1-x)`). Gives exactly the tensors of ``snntorch.spikegen.latency``
    for the same arguments and defaults (``threshold=0.01``, ``tau=1``, ``clip``,
    ``normalize``, ``linear``, ``bypass``, ``epsilon=1e-7``, ``first_spike_time``);
    snntorch's ``interpolate``, ``on_target`` and ``off_target`` (for targets, not
    inputs) are not offered.

    - ``clip=True``: inputs below ``threshold`` stay silent (otherwise they fire last).
    - A spike time past ``num_steps - 1`` raises ``ValueError`` unless ``bypass=True``,
      which drops such spikes; with ``bypass=True`` and ``num_steps=None`` the window is
      made just long enough for the latest spike.
    - ``torch.round`` rounds half to even, as snntorch does.

    Returns a float tensor ``[num_steps, *data.shape]`` with one spike per input
    (fewer with ``clip`` or ``bypass``).
    """
    x = _as_tensor("data", data)
    clip, bypass = check_bool("clip", clip), check_bool("bypass", bypass)
    if num_steps is None and not bypass:
        raise ValueError("num_steps must be given (an integer >= 1); or set bypass=True to make the window "
                         "just long enough for the latest spike")
    t = latency_times(x, num_steps, threshold=threshold, tau=tau, first_spike_time=first_spike_time,
                      normalize=normalize, linear=linear, epsilon=epsilon)
    step = torch.round(t).long()
    if num_steps is None:
        num_steps = int(step.max()) + 1
    elif int(step.max()) > num_steps - 1 and not bypass:
        raise ValueError(f"the latest spike falls on step {int(step.max())}, past num_steps - 1 = "
                         f"{num_steps - 1}; lower tau, use normalize=True, or set bypass=True to drop "
                         "late spikes")
    fires = step <= num_steps - 1                     # bypass: late spikes are dropped
    if clip:
        fires = fires & ~(x < threshold)              # clip: sub-threshold inputs stay silent
    spikes = _one_spike_at(step, num_steps, fires, x.dtype)
    return spikes


def latency_decode(spikes, threshold: float = 0.01, tau: float = 1.0, first_spike_time: int = 0,
                   normalize: bool = False, linear: bool = False) -> torch.Tensor:
    r"""Invert the latency code: read each input's first spike step and solve :math:`t(x) = k`.

    Linear code: :math:`\hat x = 1 - (k - t_0)/\tau` (with ``normalize``,
    :math:`\tau = T - 1 - t_0`). Log code (``normalize=False`` only):
    :math:`\hat x = \vartheta / (1 - e^{-(k - t_0)/\tau})`. Estimates are clipped to
    [0, 1]; silent inputs decode to 0. Rounding to whole steps is the only error, so
    with the normalised linear code the error is at most :math:`1/(2(T-1))`.

    The normalised log code divides by the largest spike time of the data itself,
    which cannot be undone from the spikes: that case raises ``ValueError``.
    """
    s = _as_tensor("spikes", spikes)
    if s.dim() < 1:
        raise ValueError("spikes must be time-first [num_steps, ...], got a scalar")
    threshold = check_real("threshold", threshold, low=0.0, high=1.0, low_open=True, high_open=True)
    tau = check_real("tau", tau, low=0.0, low_open=True)
    first_spike_time = check_int("first_spike_time", first_spike_time, minimum=0)
    normalize, linear = check_bool("normalize", normalize), check_bool("linear", linear)
    num_steps = s.shape[0]
    fired = (s != 0).any(dim=0)
    k = (s != 0).to(torch.int8).argmax(dim=0).to(s.dtype)   # first spike step (0 where silent)
    delay = k - first_spike_time
    if linear:
        if normalize:
            tau = num_steps - 1 - first_spike_time
            if tau <= 0:
                raise ValueError(f"normalize=True needs num_steps > first_spike_time + 1, got num_steps={num_steps}")
        estimate = 1 - delay / tau
    else:
        if normalize:
            raise ValueError("the normalised log latency code cannot be inverted (it divides by the data's own "
                             "largest spike time); decode with normalize=False or linear=True")
        safe = torch.where(delay > 0, delay, torch.ones_like(delay))
        estimate = torch.where(delay > 0, threshold / (-torch.expm1(-safe / tau)),  # 1 - exp(-d/tau)
                               torch.ones_like(delay))                            # delay 0: brightest
    return torch.where(fired, estimate.clamp(0.0, 1.0), torch.zeros_like(estimate))


# ----------------------------------------------------------------- rank order code


def _dense_rank_descending(values: torch.Tensor) -> torch.Tensor:
    """Rank of each entry along the last axis, 0 for the largest; equal values share a rank."""
    order = torch.argsort(values, dim=-1, descending=True, stable=True)
    ordered = torch.gather(values, -1, order)
    is_new = torch.ones_like(ordered, dtype=torch.long)
    is_new[..., 1:] = (ordered[..., 1:] != ordered[..., :-1]).long()
    ranks_sorted = torch.cumsum(is_new, dim=-1) - 1
    return torch.empty_like(ranks_sorted).scatter_(-1, order, ranks_sorted)


def rank_order(data, num_steps: int, batch_dims: int = 0) -> torch.Tensor:
    r"""Rank order code (Thorpe & Gautrais 1998): one spike per non-zero input, larger values first.

    Inputs are ranked by value, :math:`r = 0` for the largest (equal values share a
    rank); rank :math:`r` of :math:`R` distinct non-zero values fires at step

    .. math:: k = \lfloor r\,T / R \rfloor,

    so the largest fires at step 0 and the order of the spikes is the order of the
    values. With :math:`R \le T` every rank has its own step; with more ranks than
    steps neighbours share a step. Zeros stay silent. Only the order survives: the
    values themselves are lost (see :func:`rank_order_decode`).

    ``batch_dims`` leading axes of ``data`` are independent samples ranked separately
    (``batch_dims=1`` for a batch ``[B, 1, 28, 28]``). Values must be >= 0.
    """
    x = _as_tensor("data", data)
    num_steps = check_int("num_steps", num_steps, minimum=1)
    batch_dims = check_int("batch_dims", batch_dims, minimum=0)
    if batch_dims >= x.dim() and x.dim() > 0:
        raise ValueError(f"batch_dims must be < data.dim() = {x.dim()}, got {batch_dims}")
    if float(x.min()) < 0:
        raise ValueError(f"data must be >= 0 (zeros stay silent), got a minimum of {float(x.min()):.6g}")
    flat = x.reshape(*x.shape[:batch_dims], -1)
    rank = _dense_rank_descending(flat)
    nonzero = flat > 0
    num_ranks = torch.where(nonzero, rank, torch.zeros_like(rank)).amax(dim=-1, keepdim=True) + 1
    step = torch.div(rank * num_steps, num_ranks, rounding_mode="floor")
    return _one_spike_at(step.reshape(x.shape), num_steps, nonzero.reshape(x.shape), x.dtype)


def rank_order_decode(spikes, modulation: float, batch_dims: int = 0) -> torch.Tensor:
    r"""Thorpe's decoder: the input whose spike arrived :math:`r`-th gets the weight :math:`m^r`.

    .. math:: \hat x_i = m^{\,\mathrm{order}(i)}, \qquad 0 < m \le 1,

    where :math:`\mathrm{order}(i)` counts the distinct spike times before input *i*'s
    first spike (simultaneous spikes share an order); silent inputs decode to 0. A
    neuron with weights :math:`w_i` would receive :math:`\sum_i m^{\mathrm{order}(i)} w_i`.
    The decoded image keeps which pixel was brighter, not by how much: 255 and 207
    become 1 and :math:`m`.
    """
    s = _as_tensor("spikes", spikes)
    if s.dim() < 1:
        raise ValueError("spikes must be time-first [num_steps, ...], got a scalar")
    modulation = check_real("modulation", modulation, low=0.0, high=1.0, low_open=True)
    batch_dims = check_int("batch_dims", batch_dims, minimum=0)
    shape = s.shape[1:]
    if batch_dims >= len(shape) and len(shape) > 0:
        raise ValueError(f"batch_dims must be < the number of non-time axes ({len(shape)}), got {batch_dims}")
    num_steps = s.shape[0]
    fired = (s != 0).any(dim=0)
    first = (s != 0).to(torch.int8).argmax(dim=0)
    # arrival time as a score, silent inputs last: the earliest spike gets order 0
    score = torch.where(fired, num_steps - first, torch.zeros_like(first))
    order = _dense_rank_descending(score.reshape(*shape[:batch_dims], -1)).reshape(shape)
    return torch.where(fired, modulation ** order.to(s.dtype), torch.zeros_like(s[0]))


# ----------------------------------------------------------------- population code


def population_fields(n_fields: int, v_min: float, v_max: float, width_factor: float = 1.5) -> tuple[torch.Tensor, float]:
    r"""Centres and width of Bohte et al.'s (2002) Gaussian receptive fields.

    For :math:`m` fields covering :math:`[I_{min}, I_{max}]`, field :math:`i = 1..m` has

    .. math:: \mu_i = I_{min} + \frac{2i - 3}{2}\,\frac{I_{max} - I_{min}}{m - 2},
              \qquad \sigma = \frac{I_{max} - I_{min}}{\gamma\,(m - 2)},

    The first and last centres lie half a spacing outside the range, so every value
    in range is seen by at least two fields. ``width_factor`` is :math:`\gamma` (Bohte et al. use
    1.5; they call it :math:`\beta`, renamed here because ``beta`` is the membrane decay
    factor everywhere else in the course): larger means narrower fields.
    Returns ``(centres [m] float64, sigma)``.
    """
    n_fields = check_int("n_fields", n_fields, minimum=3)
    v_min = check_real("v_min", v_min)
    v_max = check_real("v_max", v_max)
    if not v_max > v_min:
        raise ValueError(f"v_max must be > v_min, got v_min={v_min!r}, v_max={v_max!r}")
    width_factor = check_real("width_factor", width_factor, low=1e-6)  # tinier: sigma**2 overflows
    check_size(f"the receptive fields [n_fields={n_fields}]", n_fields, 8)
    i = torch.arange(1, n_fields + 1, dtype=torch.float64)
    spacing = (v_max - v_min) / (n_fields - 2)
    centres = v_min + (2 * i - 3) / 2 * spacing
    sigma = (v_max - v_min) / (width_factor * (n_fields - 2))
    return centres, sigma


def population_times(values, n_fields: int, v_min: float, v_max: float, t_max: float = 1.0,
                     width_factor: float = 1.5, silent_below: float = 0.1) -> torch.Tensor:
    r"""Firing times of the receptive fields: :math:`t_i = t_{max} (1 - a_i)`, silent if :math:`a_i < 0.1`.

    The response of field *i* to a value *v* is the Gaussian
    :math:`a_i(v) = \exp(-(v - \mu_i)^2 / 2\sigma^2) \in (0, 1]` (:func:`population_fields`);
    the strongest field fires first (:math:`a = 1` at time 0) and weak responses
    (below ``silent_below`` = 0.1, as in Bohte et al. 2002) never fire: their time is
    ``inf``. Values outside ``[v_min, v_max]`` are allowed (a test sample may fall
    just outside the training range). Returns float64 ``[*values.shape, n_fields]``
    in the units of ``t_max`` (SpikeProp uses milliseconds).
    """
    v = _as_tensor("values", values).to(torch.float64)
    if torch.isinf(v).any():
        raise ValueError("values must be finite, got infinity")
    t_max = check_real("t_max", t_max, low=0.0, low_open=True)
    silent_below = check_real("silent_below", silent_below, low=0.0, high=1.0)
    centres, sigma = population_fields(n_fields, v_min, v_max, width_factor)
    check_size(f"the firing times [{', '.join(map(str, v.shape))}, n_fields={len(centres)}]", v.numel() * len(centres), 8)
    response = torch.exp(-(v.unsqueeze(-1) - centres) ** 2 / (2 * sigma ** 2))
    times = t_max * (1 - response)
    return torch.where(response >= silent_below, times, torch.full_like(times, math.inf))


def population(values, n_fields: int, v_min: float, v_max: float, num_steps: int,
               width_factor: float = 1.5) -> torch.Tensor:
    r"""Population code as a spike train: each value spikes through ``n_fields`` Gaussian fields.

    Field *i* fires once, at step :math:`k_i = \mathrm{round}((T-1)(1 - a_i))`: the
    best-matching field at step 0, weaker ones later, fields with :math:`a_i < 0.1`
    not at all (:func:`population_times` with :math:`t_{max} = T - 1`).
    Returns float32 ``[num_steps, *values.shape, n_fields]``.
    """
    num_steps = check_int("num_steps", num_steps, minimum=1)
    times = population_times(values, n_fields, v_min, v_max, t_max=1.0, width_factor=width_factor)   # 1 - a_i
    fires = torch.isfinite(times)
    step = torch.round((num_steps - 1) * torch.where(fires, times, torch.zeros_like(times))).long()
    return _one_spike_at(step, num_steps, fires, torch.float32)


# ----------------------------------------------------------------- delta code


def delta(data, threshold: float = 0.1, padding: bool = False, off_spike: bool = False) -> torch.Tensor:
    r"""Delta code: spike when an input changed by at least ``threshold`` since the previous step.

    .. math:: \Delta x[t] = x[t] - x[t-1], \qquad
              S[t] = \begin{cases} +1 & \Delta x[t] \ge \vartheta \\
                                   -1 & \Delta x[t] \le -\vartheta \text{ (only with ``off_spike``)} \\
                                    0 & \text{otherwise} \end{cases}

    ``data`` is already time-first ``[num_steps, ...]`` (a video, a sensor trace).
    Before the first step the input is taken to be 0 (``padding=False``), or equal to
    the first step (``padding=True``, so step 0 never spikes). The same tensors as
    ``snntorch.spikegen.delta`` for the same arguments; unlike snntorch the threshold
    must be > 0 (with 0 every unchanged input would spike). Returns ``data``'s float dtype.
    """
    x = _as_tensor("data", data)
    if x.dim() < 1:
        raise ValueError("data must be time-first [num_steps, ...], got a scalar")
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    padding, off_spike = check_bool("padding", padding), check_bool("off_spike", off_spike)
    previous = torch.cat((x[:1] if padding else torch.zeros_like(x[:1]), x[:-1]))
    change = x - previous
    on = (change >= threshold).to(x.dtype)
    if not off_spike:
        return on
    return on - (change <= -threshold).to(x.dtype)


# ----------------------------------------------------------------- reconstruction error


def reconstruction_error(original, estimate) -> float:
    r"""Root-mean-square error :math:`\sqrt{\langle (\hat x - x)^2 \rangle}` between two equal-shaped tensors."""
    a = _as_tensor("original", original)
    b = _as_tensor("estimate", estimate)
    if a.shape != b.shape:
        raise ValueError(f"original and estimate must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return float(torch.sqrt(torch.mean((a.double() - b.double()) ** 2)))


def reconstruction_curve(data, num_steps_values, generator: torch.Generator | None = None) -> dict:
    r"""RMS reconstruction error against ``num_steps`` for the rate and the (linear, normalised) latency code.

    For each T: rate code decoded by :func:`rate_decode` (error falls like
    :math:`\sqrt{\langle x(1-x)\rangle / T}`) and linear latency code with
    ``normalize=True`` decoded by :func:`latency_decode` (pure rounding error,
    falling like :math:`1/(\sqrt{12}\,(T-1))`; ``clip=True`` with ``threshold=0.001``, so
    that black pixels stay silent and decode to 0 while every non-zero 8-bit pixel,
    at least 1/255, fires). Returns
    ``{"num_steps": int array, "rate": float array, "latency": float array}``.
    """
    x = _as_tensor("data", data)
    _check_unit_interval("data", x)
    check_generator("generator", generator)
    if isinstance(num_steps_values, (str, bytes)) or not hasattr(num_steps_values, "__iter__"):
        raise TypeError(f"num_steps_values must be a sequence of step counts, got {num_steps_values!r}")
    steps = [check_int("num_steps_values", int(n) if isinstance(n, (np.integer,)) else n, minimum=2)
             for n in num_steps_values]
    if not steps:
        raise ValueError("num_steps_values must name at least one number of steps")
    rate_err, latency_err = [], []
    for num_steps in steps:  # a handful of window lengths, each one vectorised over the data
        rate_err.append(reconstruction_error(x, rate_decode(rate(x, num_steps, generator=generator))))
        spikes = latency(x, num_steps, threshold=1e-3, linear=True, normalize=True, clip=True)
        latency_err.append(reconstruction_error(x, latency_decode(spikes, linear=True, normalize=True)))
    return {"num_steps": np.array(steps), "rate": np.array(rate_err), "latency": np.array(latency_err)}
