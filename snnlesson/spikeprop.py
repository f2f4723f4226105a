r"""SpikeProp's neuron and gradients: the spike-response model (SRM) and the derivative of a spike *time*.

The neuron (Bohte, Kok & La Poutré 2002)
----------------------------------------
Neuron :math:`j` hears the spike of each presynaptic neuron :math:`i` (fired at
:math:`t_i`) through :math:`K` terminals with delays :math:`d^k` and weights
:math:`w_{ij}^k`. Each terminal adds an alpha-shaped postsynaptic potential:

.. math::

    u_j(t) = \sum_i \sum_k w_{ij}^k\, \varepsilon(t - t_i - d^k), \qquad
    \varepsilon(s) = \frac{s}{\tau}\, e^{1 - s/\tau} \text{ for } s > 0, \text{ else } 0 .

:math:`\varepsilon` peaks at 1 when :math:`s = \tau`. Neuron :math:`j` fires once,
at its first threshold crossing :math:`u_j(t_j) = \vartheta`; a neuron that never
reaches :math:`\vartheta` is silent (``inf``).

Why a spike time has a gradient
-------------------------------
A spike *count* is a step function of the weights (zero gradient almost everywhere).
The *time* of the crossing moves smoothly: differentiating :math:`u_j(t_j(w), w) = \vartheta`
(implicit function theorem) gives

.. math::

    \frac{\partial t_j}{\partial w_{ij}^k} = -\frac{\varepsilon(t_j - t_i - d^k)}{\partial u_j/\partial t\,(t_j)},
    \qquad
    \frac{\partial t_j}{\partial t_i} = \frac{\sum_k w_{ij}^k\,\varepsilon'(t_j - t_i - d^k)}{\partial u_j/\partial t\,(t_j)} .

With the loss :math:`E = \frac12\sum_j (t_j - t_j^d)^2` this is SpikeProp:
:math:`\partial E/\partial w_{ij}^k = y_i^k(t_j)\,\delta_j` with
:math:`y_i^k(t) = \varepsilon(t - t_i - d^k)`,

.. math::

    \delta_j = \frac{t_j^d - t_j}{\sum_{i,k} w_{ij}^k\, \varepsilon'(t_j - t_i - d^k)}
    \quad\text{(output)}, \qquad
    \delta_i = \frac{\sum_j \delta_j \sum_k w_{ij}^k\,\varepsilon'(t_j - t_i - d^k)}
                    {\sum_{h,l} w_{hi}^l\, \varepsilon'(t_i - t_h - d^l)} \quad\text{(hidden)},

and the update :math:`\Delta w = -\eta\, y\, \delta`. Where :math:`\partial u/\partial t`
is tiny (the potential barely grazes the threshold) the gradient explodes, and where
a weight change makes the potential miss the threshold the spike time *jumps*
(or the neuron falls silent, with no gradient at all): SpikeProp's known failure
modes. ``min_slope`` clips :math:`\partial u/\partial t` from below (Booij & Nguyen
2005 use 0.1 per ms).

Finding the crossing exactly
----------------------------
Between two consecutive arrivals :math:`T_m \le t < T_{m+1}` (arrival = :math:`t_i + d^k`)
the potential has the closed form :math:`u(T_m + x) = e^{-x/\tau}(p_m + q_m x)`: with
:math:`s_a = T_m - T_a` the age of arrived terminal :math:`a` at :math:`T_m`, each PSP is
:math:`w_a\varepsilon(s_a + x) = e^{-x/\tau}\,(w_a\varepsilon(s_a) + x\,w_a \tfrac{e}{\tau} e^{-s_a/\tau})`, so

.. math::

    p_m = \sum_{a \le m} w_a\,\varepsilon(s_a) = u(T_m), \qquad
    q_m = \sum_{a \le m} w_a\,\frac{e}{\tau}\,e^{-s_a/\tau} = u'(T_m^+) + p_m/\tau

(:math:`q_m` is not the slope :math:`u'(T_m^+)` just after :math:`T_m` itself). For :math:`q_m > 0` the potential
rises (and is concave) until :math:`x^* = \tau - p_m/q_m`, then falls. So each interval
is *bracketed* exactly: it holds the crossing if its highest point reaches
:math:`\vartheta`. In the first such interval a few Newton steps from the left
solve :math:`u = \vartheta` to machine precision (on a concave rising flank Newton
never overshoots). All of it is vectorised over patterns and neurons.

Units: times in seconds, float64 NumPy arrays (``inf`` = no spike). Every function
broadcasts over leading batch dimensions: ``input_times [..., n_in]`` and
``weights [..., n_in, n_out, n_terminals]`` (one network, or one per leading index).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from snnlesson._validate import as_real_array, check_int, check_real, check_size

__all__ = [
    "SRMParams",
    "kernel",
    "kernel_derivative",
    "potential",
    "spike_time",
    "forward",
    "loss",
    "backward",
    "layer_backward",
]

_E = float(np.e)
MAX_SPAN_TAU = 500.0  # arrivals of one pattern may span at most this many tau (exp(500) stays finite)


# --------------------------------------------------------------------------- parameters


def _default_delays() -> tuple:
    return tuple(k / 1000 for k in range(1, 17))  # 1, 2, ..., 16 ms


@dataclass(frozen=True)
class SRMParams:
    """Parameters of the spike-response model (frozen: a model never changes them).

    tau : time constant of the alpha kernel (s); a PSP peaks ``tau`` after its arrival.
        Bohte et al. (2002) use 7 ms.
    threshold : firing threshold of ``u`` (dimensionless; 1 in Bohte et al.).
    delays : the synaptic delays of the terminals of every connection (s), default
        1, 2, ..., 16 ms.
    """

    tau: float = 0.007
    threshold: float = 1.0
    delays: tuple = field(default_factory=_default_delays)

    def __post_init__(self):
        object.__setattr__(self, "tau", check_real("tau", self.tau, low=0.0, low_open=True))
        object.__setattr__(self, "threshold", check_real("threshold", self.threshold, low=0.0, low_open=True))
        delays = self.delays
        if isinstance(delays, (str, bytes)) or not hasattr(delays, "__len__"):
            raise TypeError(f"delays must be a sequence of times in seconds, got {delays!r}")
        delays = tuple(check_real(f"delays[{k}]", d, low=0.0) for k, d in enumerate(np.asarray(delays).tolist()))
        if not delays:
            raise ValueError("delays must name at least one terminal delay, got an empty sequence")
        object.__setattr__(self, "delays", delays)

    @property
    def n_terminals(self) -> int:
        return len(self.delays)

    @property
    def delay_array(self) -> np.ndarray:
        return np.asarray(self.delays, dtype=np.float64)


def _check_params(params) -> SRMParams:
    if params is None:
        return SRMParams()
    if not isinstance(params, SRMParams):
        raise TypeError(f"params must be an SRMParams, got {type(params).__name__}")
    return params


# --------------------------------------------------------------------------- argument checks


def _as_float_array(name: str, value) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, bool):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    return as_real_array(name, value, what="an array of numbers")


def _check_times(name: str, value, *, allow_inf: bool = True) -> np.ndarray:
    """Spike times (s) as float64 ``[..., n]``: NaN and ``-inf`` refused, ``+inf`` (no spike) allowed."""
    t = _as_float_array(name, value)
    if t.ndim < 1 or t.size == 0:
        raise ValueError(f"{name} must be a non-empty array [..., n] of spike times in seconds, got shape {t.shape}")
    if np.isnan(t).any():
        raise ValueError(f"{name} contains NaN; spike times must be numbers (inf for no spike)")
    if np.isneginf(t).any():
        raise ValueError(f"{name} contains -inf; spike times must be finite, or +inf for no spike")
    if not allow_inf and np.isinf(t).any():
        raise ValueError(f"{name} contains infinity; every time must be finite here")
    return t


def _check_weights(name: str, value, n_in: int, params: SRMParams) -> np.ndarray:
    w = _as_float_array(name, value)
    if w.ndim < 3:
        raise ValueError(f"{name} must have shape [..., n_in, n_out, n_terminals], got {w.shape}")
    if w.shape[-3] != n_in or w.shape[-1] != params.n_terminals or w.shape[-2] == 0:
        raise ValueError(f"{name} must have shape [..., n_in={n_in}, n_out, n_terminals={params.n_terminals}] "
                         f"to match input_times (n_in) and params.delays (n_terminals), got {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError(f"{name} contains NaN or infinity; every weight must be a finite number")
    return w


def _batch_shape(t_in: np.ndarray, w: np.ndarray) -> tuple:
    """The broadcast of the leading (batch) dimensions of ``input_times`` and ``weights``."""
    try:
        return np.broadcast_shapes(t_in.shape[:-1], w.shape[:-3])
    except ValueError:
        raise ValueError(f"the leading (batch) dimensions of input_times {t_in.shape[:-1]} and weights "
                         f"{w.shape[:-3]} do not broadcast; use one network for all patterns "
                         "(weights [n_in, n_out, n_terminals]) or one per pattern") from None


# --------------------------------------------------------------------------- the kernel


def kernel(s, tau: float) -> np.ndarray:
    r"""The alpha kernel :math:`\varepsilon(s) = (s/\tau)\,e^{1 - s/\tau}` for :math:`s > 0`, else 0.

    ``s`` is the time since the spike arrived (s), any shape; ``inf``/``-inf`` give 0.
    """
    tau = check_real("tau", tau, low=0.0, low_open=True)
    s = _as_float_array("s", s)
    if np.isnan(s).any():
        raise ValueError("s contains NaN; times since arrival must be numbers")
    return _kernel(s, tau)


def kernel_derivative(s, tau: float) -> np.ndarray:
    r"""Its time derivative :math:`\varepsilon'(s) = \frac{1}{\tau}(1 - s/\tau)\,e^{1 - s/\tau}`
    for :math:`s > 0`, else 0.

    Positive while the PSP rises (:math:`s < \tau`), negative on its decaying tail.
    """
    tau = check_real("tau", tau, low=0.0, low_open=True)
    s = _as_float_array("s", s)
    if np.isnan(s).any():
        raise ValueError("s contains NaN; times since arrival must be numbers")
    return _kernel_derivative(s, tau)


def _kernel(s: np.ndarray, tau: float) -> np.ndarray:
    live = np.isfinite(s) & (s > 0)
    x = np.where(live, s, 0.0) / tau
    return np.where(live, x * np.exp(1.0 - x), 0.0)


def _kernel_derivative(s: np.ndarray, tau: float) -> np.ndarray:
    live = np.isfinite(s) & (s > 0)
    x = np.where(live, s, 0.0) / tau
    return np.where(live, (1.0 - x) * np.exp(1.0 - x) / tau, 0.0)


# --------------------------------------------------------------------------- the potential


def potential(t, input_times, weights, params: SRMParams | None = None) -> np.ndarray:
    r"""The membrane potential :math:`u_j(t) = \sum_{i,k} w_{ij}^k\,\varepsilon(t - t_i - d^k)` on a time grid.

    t : times (s), ``[num_times]``; input_times ``[..., n_in]`` (s, ``inf`` = silent);
    weights ``[..., n_in, n_out, n_terminals]``. Returns ``[..., n_out, num_times]``
    (the membrane is not reset: after the first crossing it shows what the inputs alone do).
    """
    params = _check_params(params)
    t = _check_times("t", t, allow_inf=False)
    if t.ndim != 1:
        raise ValueError(f"t must be a 1-d time grid [num_times], got shape {t.shape}")
    t_in = _check_times("input_times", input_times)
    w = _check_weights("weights", weights, t_in.shape[-1], params)
    batch = _batch_shape(t_in, w)
    n_in, n_out, n_k = w.shape[-3:]
    check_size(f"the potential's work array [batch, n_in={n_in}, n_terminals={n_k}, num_times={t.size}]",
               int(np.prod(batch, dtype=np.int64)) * n_in * n_k * t.size, 8)
    s = t - t_in[..., :, None, None] - params.delay_array[:, None]       # [..., n_in, K, T]
    return np.einsum("...ikt,...ijk->...jt", _kernel(s, params.tau), w)


# --------------------------------------------------------------------------- the spike time


def spike_time(input_times, weights, params: SRMParams | None = None, *, max_iterations: int = 100) -> np.ndarray:
    """First threshold crossing of each neuron of a layer (s), exactly; ``inf`` if it never fires.

    input_times : ``[..., n_in]`` spike times of the presynaptic neurons (s; ``inf`` = silent).
    weights : ``[..., n_in, n_out, n_terminals]`` (leading dimensions broadcast against those of
        ``input_times``: one network for all patterns, or one network per pattern).
    Returns float64 ``[..., n_out]``. See the module docstring for the method.
    """
    params = _check_params(params)
    t_in = _check_times("input_times", input_times)
    w = _check_weights("weights", weights, t_in.shape[-1], params)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    return _spike_time(t_in, w, params, max_iterations)


def _spike_time(t_in: np.ndarray, w: np.ndarray, params: SRMParams, max_iterations: int = 100) -> np.ndarray:
    tau, theta = params.tau, params.threshold
    n_in, n_out, n_k = w.shape[-3:]
    batch = _batch_shape(t_in, w)
    n_arrivals = n_in * n_k
    check_size(f"the spike-time work array [batch={batch}, arrivals={n_arrivals}, n_out={n_out}]",
               int(np.prod(batch, dtype=np.int64)) * n_arrivals * n_out, 8 * 6)
    # every terminal's arrival time, sorted per pattern; the weights follow the same order
    arrivals = np.broadcast_to(t_in[..., :, None] + params.delay_array, batch + (n_in, n_k))
    arrivals = arrivals.reshape(batch + (n_arrivals,))
    order = np.argsort(arrivals, axis=-1, kind="stable")
    n_live = max(int(np.isfinite(arrivals).sum(axis=-1).max(initial=0)), 1)
    order = order[..., :n_live]          # silent inputs (inf) sort last and never matter: drop them
    T = np.take_along_axis(arrivals, order, axis=-1)                                  # [..., M]
    w_flat = np.broadcast_to(np.swapaxes(w, -1, -2).reshape(w.shape[:-3] + (n_arrivals, n_out)),
                             batch + (n_arrivals, n_out))
    w_sorted = np.take_along_axis(w_flat, order[..., None], axis=-2)                  # [..., M, n_out]
    arrived = np.isfinite(T)
    t0 = np.where(arrived[..., :1], T[..., :1], 0.0)                                  # earliest arrival
    r = np.where(arrived, T - t0, 0.0)                                                # time since it
    if (r > MAX_SPAN_TAU * tau).any():
        raise ValueError(f"input_times of one pattern span more than {MAX_SPAN_TAU:g} tau "
                         f"({MAX_SPAN_TAU * tau:g} s); a PSP has long decayed by then: shorten the input window")
    growth = np.where(arrived, np.exp(r / tau), 0.0) * (_E / tau)
    # u(t) = exp(-(t - t0)/tau) * (A (t - t0) - B) after the arrivals so far (cumulative sums)
    A = np.cumsum(w_sorted * growth[..., None], axis=-2)
    B = np.cumsum(w_sorted * (r * growth)[..., None], axis=-2)
    decay = np.exp(-r / tau)[..., None]
    q = decay * A                        # slope of the bracket (A t - B) at T_m, rescaled
    p = decay * (A * r[..., None] - B)   # u(T_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.diff(T, axis=-1, append=np.inf)[..., None]                         # T_{m+1} - T_m
        rising = q > 0
        x_peak = np.where(rising, tau - p / np.where(rising, q, 1.0), -np.inf)       # top of this bracket
        x_top = np.minimum(x_peak, np.where(np.isnan(width), -np.inf, width))
        top = np.where(x_top > 0, np.exp(-np.maximum(x_top, 0.0) / tau) * (p + q * np.maximum(x_top, 0.0)), p)
    crossing = arrived[..., None] & rising & (x_top > 0) & (top >= theta)
    fires = crossing.any(axis=-2)                                                     # [..., n_out]
    m = np.argmax(crossing, axis=-2)[..., None, :]                                    # first bracket
    p_m = np.take_along_axis(p, m, axis=-2)[..., 0, :]
    q_m = np.take_along_axis(q, m, axis=-2)[..., 0, :]
    hi = np.where(fires, np.take_along_axis(x_top, m, axis=-2)[..., 0, :], 0.0)
    T_m = np.take_along_axis(np.broadcast_to(T[..., None], p.shape), m, axis=-2)[..., 0, :]
    # Newton from the left on the concave rising flank: x only grows, never past the root
    x = np.zeros_like(hi)
    for _ in range(max_iterations):
        ex = np.exp(-x / tau)
        f = ex * (p_m + q_m * x) - theta
        slope = ex * (q_m - (p_m + q_m * x) / tau)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(fires & (slope > 0), -f / slope, 0.0)
        x_new = np.clip(x + np.where(np.isfinite(step), step, hi - x), x, hi)
        done = np.all(np.abs(x_new - x) <= 1e-15 * tau)
        x = x_new
        if done:
            break
    return np.where(fires, T_m + x, np.inf)


# --------------------------------------------------------------------------- a network


def forward(input_times, weights: list, params: SRMParams | None = None) -> list:
    """Spike times of every layer: ``[input_times, hidden_1, ..., output]`` (s, ``inf`` = silent).

    weights : a list with one array ``[..., n_in, n_out, n_terminals]`` per layer.
    """
    params = _check_params(params)
    t = _check_times("input_times", input_times)
    weights = _check_weight_list(weights, t.shape[-1], params)
    times = [t]
    for w in weights:
        times.append(_spike_time(times[-1], w, params))
    return times


def _check_is_layer_list(weights) -> None:
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a list of per-layer arrays, got {type(weights).__name__}")
    if not weights:
        raise ValueError("weights must hold at least one layer's array, got an empty list")


def _check_weight_list(weights, n_in: int, params: SRMParams) -> list:
    _check_is_layer_list(weights)
    checked = []
    for n, w in enumerate(weights):
        checked.append(_check_weights(f"weights[{n}]", w, n_in, params))
        n_in = checked[-1].shape[-2]
    return checked


def loss(output_times, target_times) -> np.ndarray:
    r""":math:`E = \frac12 \sum_j (t_j - t_j^d)^2` per pattern (s²), summed over the last axis.

    A silent output (``inf``) gives ``inf``: no spike, no defined error.
    """
    t = _check_times("output_times", output_times)
    target = _check_times("target_times", target_times, allow_inf=False)
    if t.shape[-1] != target.shape[-1]:
        raise ValueError(f"target_times must have one time per output neuron ({t.shape[-1]}), "
                         f"got shape {target.shape}")
    return 0.5 * np.sum((t - target) ** 2, axis=-1)


# --------------------------------------------------------------------------- SpikeProp's backward pass


def layer_backward(grad_out, t_in, t_out, w, params: SRMParams | None = None, min_slope: float = 0.0):
    r"""One layer of SpikeProp's backward pass.

    grad_out : :math:`\partial E/\partial t_j` ``[..., n_out]`` (zero for silent neurons); t_in ``[..., n_in]``
    and t_out ``[..., n_out]`` the layer's input and output spike times (s); w ``[..., n_in, n_out, K]``.
    Returns ``(grad_w [..., n_in, n_out, K], grad_in [..., n_in], slope [..., n_out])``:
    :math:`\partial E/\partial w_{ij}^k = \delta_j\,y_i^k(t_j)` with
    :math:`\delta_j = -(\partial E/\partial t_j) / \max(\partial u_j/\partial t, \text{min\_slope})`, and
    :math:`\partial E/\partial t_i = -\sum_{j,k} \delta_j w_{ij}^k \varepsilon'(t_j - t_i - d^k)`.
    """
    params = _check_params(params)
    min_slope = check_real("min_slope", min_slope, low=0.0)
    t_in = _check_times("t_in", t_in)
    t_out = _check_times("t_out", t_out)
    w = _check_weights("w", w, t_in.shape[-1], params)
    if t_out.shape[-1] != w.shape[-2]:
        raise ValueError(f"t_out must have one time per neuron of w ({w.shape[-2]}), got shape {t_out.shape}")
    grad_out = _as_float_array("grad_out", grad_out)
    if not np.isfinite(grad_out).all():
        raise ValueError("grad_out contains NaN or infinity; dE/dt must be finite (0 for silent neurons)")
    try:
        np.broadcast_shapes(grad_out.shape, t_out.shape)
    except ValueError:
        raise ValueError(f"grad_out must have the shape of t_out {t_out.shape}, got {grad_out.shape}") from None
    return _layer_backward(grad_out, t_in, t_out, w, params, min_slope)


def _layer_backward(grad_out, t_in, t_out, w, params: SRMParams, min_slope: float):
    with np.errstate(invalid="ignore"):   # inf - inf (silent before and after) is masked below
        s = t_out[..., None, :, None] - t_in[..., :, None, None] - params.delay_array  # [..., n_in, n_out, K]
    y = _kernel(s, params.tau)                                                         # y_i^k(t_j)
    dy = _kernel_derivative(s, params.tau)                                             # eps'(t_j - t_i - d^k)
    slope = np.einsum("...ijk,...ijk->...j", w, dy)                                    # du_j/dt at t_j
    fired = np.isfinite(t_out)
    clipped = np.maximum(slope, max(min_slope, 1e-12))
    delta = np.where(fired, -grad_out / clipped, 0.0)                                  # Bohte's delta_j
    grad_w = delta[..., None, :, None] * y
    grad_in = -np.einsum("...j,...ijk,...ijk->...i", delta, w, dy)
    return grad_w, grad_in, slope


def backward(times: list, weights: list, target_times, params: SRMParams | None = None, *,
             min_slope: float = 0.0) -> tuple[np.ndarray, list]:
    r"""SpikeProp's gradients :math:`\partial E/\partial w` for every layer, for each pattern.

    times : what :func:`forward` returned; weights : the same list; target_times ``[..., n_out]`` (s).
    min_slope : floor on :math:`\partial u/\partial t` (1/s) in every :math:`\delta`; 0 gives the exact
        gradient (Booij & Nguyen 2005 use 0.1 per ms = 100 per s while training).
    Returns ``(loss [...], grads)``: ``loss`` per pattern (s², ``inf`` if the output is silent) and one
    gradient per layer with the *batch* shape of the patterns, ``[..., n_in, n_out, K]`` (sum over the
    patterns for a batch update). Silent neurons pass no gradient (see the module docstring).
    """
    params = _check_params(params)
    min_slope = check_real("min_slope", min_slope, low=0.0)
    _check_is_layer_list(weights)
    if not isinstance(times, (list, tuple)) or len(times) != len(weights) + 1:
        raise ValueError("times must be forward()'s list: the input times and one array per layer "
                         f"({len(weights) + 1} arrays), got {type(times).__name__} of length "
                         f"{len(times) if hasattr(times, '__len__') else '?'}")
    times = [_check_times(f"times[{n}]", t) for n, t in enumerate(times)]
    weights = _check_weight_list(weights, times[0].shape[-1], params)
    out = times[-1]
    target = _check_times("target_times", target_times, allow_inf=False)
    if target.shape[-1] != out.shape[-1]:
        raise ValueError(f"target_times must have one time per output neuron ({out.shape[-1]}), "
                         f"got shape {target.shape}")
    per_pattern = loss(out, target)
    grad_t = np.where(np.isfinite(out), out - target, 0.0)                             # dE/dt_j
    grads = []
    for layer in range(len(weights) - 1, -1, -1):
        g_w, grad_t, _ = _layer_backward(grad_t, times[layer], times[layer + 1], weights[layer], params, min_slope)
        grads.append(g_w)
    return per_pattern, grads[::-1]
