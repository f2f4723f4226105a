r"""Training SpikeProp networks: online and batch gradient descent, RProp, and the silent-neuron fix.

Every function here trains a *stack* of independent networks side by side (one per
seed): each layer's weights are ``[n_networks, n_in, n_out, n_terminals]``, while the
patterns ``input_times [n_patterns, n_in]`` and ``target_times [n_patterns, n_out]``
(s) are shared. The gradients are :func:`snnlesson.spikeprop.backward`'s.

Update rules (``method``)
-------------------------
* ``"online"`` (Bohte et al. 2002): after each pattern,
  :math:`w \leftarrow w - \eta\,\partial E_p/\partial w`, patterns in a new random order
  each epoch.
* ``"batch"``: one step per epoch with the gradient summed over the patterns.
* ``"rprop"`` (iRprop⁻, Riedmiller & Braun 1993; used for SpikeProp by McKennoch,
  Liu & Bushnell 2006): every weight has its own step size, grown ×1.2 while its
  batch gradient keeps its sign and halved when the sign flips; only the sign of
  the gradient is used, so the badly scaled SpikeProp gradients do not matter.

Units: with times in seconds :math:`E` is in s² and :math:`\partial E/\partial w` in s², so
Bohte's :math:`\eta = 0.01` (times in ms) is ``learning_rate = 0.01 ms⁻² = 1e4 s⁻²``.

Where SpikeProp breaks, and the fixes used here
-----------------------------------------------
* **Tiny** :math:`\partial u/\partial t` (the potential grazes the threshold):
  :math:`\delta` explodes. ``min_slope`` clips :math:`\partial u/\partial t` from below
  (Booij & Nguyen 2005: 0.1 per ms, i.e. ``min_slope = 100`` per s).
* **Silent neurons** have no spike time and pass no gradient, so plain SpikeProp
  can never wake them. Fix: an output neuron silent on a pattern, and any neuron
  silent on *every* pattern of an epoch, gets ``silent_boost`` added to its incoming
  weights from the presynaptic neurons that did fire.
* **Sign constraints** (``signs``): a neuron marked -1 is inhibitory, all its
  outgoing weights stay <= 0 (+1: >= 0). Bohte's XOR net has one inhibitory hidden neuron.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from snnlesson import spikeprop
from snnlesson._validate import as_real_array, check_choice, check_int, check_real, check_seed, check_size
from snnlesson.spikeprop import SRMParams

__all__ = [
    "init_weights",
    "History",
    "train",
    "first_to_fire",
    "XOR_SIGNS",
    "xor_weights",
    "train_xor",
    "IrisSpikes",
    "IRIS_TARGETS",
    "iris_spike_times",
    "iris_weights",
    "train_iris",
    "single_neuron_timing",
    "bench",
]

METHODS = ("online", "batch", "rprop")


# --------------------------------------------------------------------------- weights


def init_weights(sizes, params: SRMParams | None = None, *, n_networks: int = 1, seed: int = 0,
                 low: float = 0.0, high: float = 0.1, signs=None) -> list:
    """Random weights for a stack of networks with layer sizes ``sizes`` (e.g. ``(3, 5, 1)``).

    Every terminal weight is drawn from U(``low``, ``high``); a neuron with sign -1 in ``signs``
    (a list with one array of +1/-1 per layer, over the layer's *presynaptic* neurons, or
    ``None``) gets the magnitudes negated. Returns ``[n_networks, n_in, n_out, n_terminals]`` per layer.
    """
    params = spikeprop._check_params(params)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (list, tuple, np.ndarray)):
        raise TypeError(f"sizes must be a list of layer sizes such as (3, 5, 1), got {sizes!r}")
    sizes = [check_int(f"sizes[{n}]", s, minimum=1) for n, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must name at least an input and an output layer, got {sizes}")
    n_networks = check_int("n_networks", n_networks, minimum=1)
    check_size(f"the weights of n_networks={n_networks} networks of sizes {sizes}",
               n_networks * sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) * params.n_terminals, 8)
    low = check_real("low", low)
    high = check_real("high", high)
    if not high > low:
        raise ValueError(f"high must be > low, got low={low}, high={high}")
    signs = _check_signs(signs, sizes)
    rng = np.random.default_rng(check_seed("seed", seed))
    weights = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.uniform(low, high, (n_networks, n_in, n_out, params.n_terminals))
        if signs[layer] is not None:
            w = np.abs(w) * signs[layer][:, None, None]
        weights.append(w)
    return weights


def _check_signs(signs, sizes) -> list:
    if signs is None:
        return [None] * (len(sizes) - 1)
    if not isinstance(signs, (list, tuple)) or len(signs) != len(sizes) - 1:
        raise ValueError(f"signs must be None or a list with one entry per layer ({len(sizes) - 1}), got {signs!r}")
    out = []
    for layer, (s, n_in) in enumerate(zip(signs, sizes[:-1])):
        if s is None:
            out.append(None)
            continue
        s = as_real_array(f"signs[{layer}]", s)
        if s.shape != (n_in,) or not np.isin(s, (-1.0, 1.0)).all():
            raise ValueError(f"signs[{layer}] must hold +1 or -1 for each of the {n_in} presynaptic neurons, "
                             f"got {signs[layer]!r}")
        out.append(s)
    return out


def _apply_signs(weights: list, signs: list) -> None:
    for w, s in zip(weights, signs):
        if s is not None:
            sign = s[:, None, None]
            w[...] = np.where(sign > 0, np.maximum(w, 0.0), np.minimum(w, 0.0))


# --------------------------------------------------------------------------- training


class History(NamedTuple):
    """What :func:`train` records once per epoch (index 0: before training).

    loss : ``[epochs + 1, n_networks]`` E summed over the patterns (s²; ``inf`` if an output is silent)
    output_times : ``[epochs + 1, n_networks, n_patterns, n_out]`` (s)
    epochs_to_converge : ``[n_networks]`` the first epoch at which ``loss < stop_loss``
        (-1: never within ``epochs``)
    seconds : wall-clock time of the whole training
    """

    loss: np.ndarray
    output_times: np.ndarray
    epochs_to_converge: np.ndarray
    seconds: float

    @property
    def converged(self) -> np.ndarray:
        return self.epochs_to_converge >= 0


def _evaluate(weights, t_in, params):
    """Every layer's times for all patterns and all networks: ``[n_networks, n_patterns, n]``."""
    return spikeprop.forward(t_in[None], [w[:, None] for w in weights], params)


def _wake_silent(weights, times, silent_boost, out_silent):
    """Raise the weights into silent neurons from presynaptic neurons that fired (``times`` [S, P, n])."""
    last = len(weights) - 1
    for layer, w in enumerate(weights):
        pre_fired = np.isfinite(times[layer])                                   # [S, P, n_in]
        silent_always = ~np.isfinite(times[layer + 1]).any(axis=1)              # [S, n_out]
        if layer == last:
            silent_always = silent_always | out_silent
        boost = pre_fired.any(axis=1)[:, :, None] & silent_always[:, None, :]   # [S, n_in, n_out]
        w += silent_boost * boost[..., None]


def train(weights: list, input_times, target_times, params: SRMParams | None = None, *,
          method: str = "online", learning_rate: float = 1e4, epochs: int = 1000,
          stop_loss: float | None = None, min_slope: float = 100.0, silent_boost: float = 0.01,
          signs=None, rprop_step: float = 0.002, seed: int = 0) -> tuple[list, History]:
    """Train a stack of SpikeProp networks; returns ``(trained weights, History)``.

    weights : list of ``[n_networks, n_in, n_out, K]`` (copied, not changed in place).
    input_times ``[n_patterns, n_in]``, target_times ``[n_patterns, n_out]`` (s).
    method : ``"online"``, ``"batch"`` or ``"rprop"`` (module docstring); ``learning_rate`` (s⁻²) is
        used by the first two, ``rprop_step`` (initial step of every weight) by RProp.
    stop_loss : a network stops learning once all its outputs fire and its summed loss is below
        this (s²); ``None`` trains every network for all ``epochs``.
    min_slope (1/s), silent_boost, signs : the fixes of the module docstring.
    """
    params = spikeprop._check_params(params)
    method = check_choice("method", method, METHODS)
    learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True)
    epochs = check_int("epochs", epochs, minimum=0)
    stop_loss = None if stop_loss is None else check_real("stop_loss", stop_loss, low=0.0, low_open=True)
    min_slope = check_real("min_slope", min_slope, low=0.0)
    silent_boost = check_real("silent_boost", silent_boost, low=0.0)
    rprop_step = check_real("rprop_step", rprop_step, low=0.0, low_open=True)
    t_in = spikeprop._check_times("input_times", input_times)
    if t_in.ndim != 2:
        raise ValueError(f"input_times must be [n_patterns, n_in], got shape {t_in.shape}")
    target = spikeprop._check_times("target_times", target_times, allow_inf=False)
    weights = [np.array(w, dtype=np.float64) for w in spikeprop._check_weight_list(weights, t_in.shape[-1], params)]
    n_networks = weights[0].shape[0]
    if any(w.ndim != 4 or w.shape[0] != n_networks for w in weights):
        raise ValueError("weights must be one [n_networks, n_in, n_out, n_terminals] array per layer, "
                         f"got shapes {[w.shape for w in weights]}")
    n_out = weights[-1].shape[-2]
    if target.shape != (t_in.shape[0], n_out):
        raise ValueError(f"target_times must be [n_patterns={t_in.shape[0]}, n_out={n_out}], got {target.shape}")
    first_input = np.min(t_in, axis=-1)                                         # inf: no input spike
    if np.any(target.min(axis=-1) <= first_input):
        bad = int(np.argmax(target.min(axis=-1) <= first_input))
        raise ValueError(f"target_times must come after the first input spike of their pattern (a neuron "
                         f"cannot fire before its input arrives); pattern {bad} has its first input at "
                         f"{first_input[bad]:g} s and a target at {target[bad].min():g} s")
    signs = _check_signs(signs, [w.shape[1] for w in weights] + [n_out])
    _apply_signs(weights, signs)
    rng = np.random.default_rng(check_seed("seed", seed))

    start = time.perf_counter()
    n_patterns = t_in.shape[0]
    check_size(f"the training history [epochs + 1 = {epochs + 1}, n_networks={n_networks}, "
               f"n_patterns={n_patterns}, n_out={n_out}]", (epochs + 1) * n_networks * (n_patterns * n_out + 1), 8)
    losses = np.empty((epochs + 1, n_networks))
    outs = np.empty((epochs + 1, n_networks, n_patterns, n_out))
    epochs_to_converge = np.full(n_networks, -1)
    learning = np.ones(n_networks, dtype=bool)
    if method == "rprop":
        step = [np.full_like(w, rprop_step) for w in weights]
        previous = [np.zeros_like(w) for w in weights]

    def record(epoch, times):
        losses[epoch] = spikeprop.loss(times[-1], target).sum(axis=-1)
        outs[epoch] = times[-1]
        if stop_loss is not None:
            done = learning & (losses[epoch] < stop_loss)
            epochs_to_converge[done] = epoch
            learning[done] = False
        return times

    times = record(0, _evaluate(weights, t_in, params))
    for epoch in range(1, epochs + 1):
        if not learning.any():
            losses[epoch:], outs[epoch:] = losses[epoch - 1], outs[epoch - 1]
            break
        mask = learning[:, None, None, None]
        if method == "online":
            for p in rng.permutation(n_patterns):   # one pattern at a time, all networks at once
                pattern_times = spikeprop.forward(t_in[p][None, None], [w[:, None] for w in weights], params)
                _, grads = spikeprop.backward(pattern_times, [w[:, None] for w in weights], target[p][None, None],
                                              params, min_slope=min_slope)
                for w, g in zip(weights, grads):
                    w -= learning_rate * g[:, 0] * mask
                out_silent = ~np.isfinite(pattern_times[-1][:, 0])             # [S, n_out]
                pre_fired = np.isfinite(pattern_times[-2][:, 0])                  # [S, n_in]
                wake = pre_fired[:, :, None] & out_silent[:, None, :] & learning[:, None, None]
                weights[-1] += silent_boost * wake[..., None]
                _apply_signs(weights, signs)
        else:
            _, grads = spikeprop.backward(times, [w[:, None] for w in weights], target[None], params,
                                          min_slope=min_slope)
            for n, (w, g) in enumerate(zip(weights, grads)):
                g = g.sum(axis=1)                                             # over the patterns
                if method == "batch":
                    w -= learning_rate * g * mask
                else:  # iRprop-: step sizes adapt to the sign of the gradient only
                    agree = g * previous[n]
                    step[n] = np.where(agree > 0, np.minimum(step[n] * 1.2, 50 * rprop_step),
                                       np.where(agree < 0, np.maximum(step[n] * 0.5, 1e-6 * rprop_step), step[n]))
                    g = np.where(agree < 0, 0.0, g)
                    w -= np.sign(g) * step[n] * mask
                    previous[n] = g
            _apply_signs(weights, signs)
        times = _evaluate(weights, t_in, params)
        out_silent = ~np.isfinite(times[-1]).all(axis=1)                        # silent on some pattern
        never = [~np.isfinite(t).any(axis=1) for t in times[1:]]
        if out_silent.any() or any(n.any() for n in never):
            boosted = [w.copy() for w in weights]
            _wake_silent(boosted, times, silent_boost, out_silent)
            for w, b in zip(weights, boosted):
                w[...] = np.where(mask, b, w)
            _apply_signs(weights, signs)
            times = _evaluate(weights, t_in, params)
        times = record(epoch, times)
    return weights, History(losses, outs, epochs_to_converge, time.perf_counter() - start)


def first_to_fire(output_times) -> np.ndarray:
    """The class read out as the output neuron that fires first (``argmin`` of the times; -1 if all silent)."""
    t = spikeprop._check_times("output_times", output_times)
    winner = np.argmin(t, axis=-1)
    return np.where(np.isfinite(t).any(axis=-1), winner, -1)


# --------------------------------------------------------------------------- XOR (Bohte et al. 2002)

XOR_SIGNS = [None, np.array([1.0, 1.0, 1.0, 1.0, -1.0])]
"""Bohte's 3-5-1 XOR network: the last hidden neuron is inhibitory (its outgoing weights stay <= 0)."""


def xor_weights(n_networks: int = 1, seed: int = 0, params: SRMParams | None = None, *,
                low: float = 0.0, high: float = 0.1) -> list:
    """Initial weights of ``n_networks`` 3-5-1 XOR networks (one inhibitory hidden neuron).

    Every terminal U(``low``, ``high``): the default U(0, 0.1) makes every neuron fire on every
    pattern at the start (hidden ones a few ms after the inputs). The hidden-to-output magnitudes
    are negated for the inhibitory neuron; a negative ``low`` gives mixed-sign input weights.
    """
    return init_weights((3, 5, 1), params, n_networks=n_networks, seed=seed, low=low, high=high,
                        signs=[None, XOR_SIGNS[1]])


def train_xor(n_seeds: int = 20, method: str = "online", epochs: int = 1000, seed: int = 0,
              params: SRMParams | None = None, init: tuple = (0.0, 0.1), **train_kwargs) -> tuple[list, History]:
    """Train ``n_seeds`` XOR networks side by side until ½ Σ (t - t_d)² < 1 ms² (or ``epochs``).

    Network ``k`` starts from ``xor_weights(seed=seed + k, low=init[0], high=init[1])`` (so every
    method sees the same initial weights). Returns ``(weights, History)``.
    """
    from snnlesson.data import xor_spike_times

    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    seed = check_seed("seed", seed)
    low, high = _check_init(init)
    check_size(f"the weights of n_seeds={n_seeds} XOR networks", n_seeds * 20 * 16, 8)
    xor = xor_spike_times()
    start = [xor_weights(1, seed + k, params, low=low, high=high) for k in range(n_seeds)]
    weights = [np.concatenate([w[layer] for w in start]) for layer in range(2)]
    train_kwargs.setdefault("stop_loss", 1e-6)  # 1 ms² in s²
    if method == "rprop":
        train_kwargs.setdefault("rprop_step", 0.002)
    return train(weights, xor.input_times, xor.target_times, params, method=method, epochs=epochs,
                 signs=XOR_SIGNS, seed=seed, **train_kwargs)


# --------------------------------------------------------------------------- Iris with population coding


class IrisSpikes(NamedTuple):
    """Iris as spike times: ``train_times [n_train, 49]``, ``test_times``, labels, and the encoding."""

    train_times: np.ndarray
    train_labels: np.ndarray
    test_times: np.ndarray
    test_labels: np.ndarray
    n_fields: int
    t_max: float


def iris_spike_times(n_fields: int = 12, t_max: float = 0.010, width_factor: float = 1.5,
                     test_fraction: float = 1 / 3, split_seed: int = 0) -> IrisSpikes:
    """Iris encoded by lesson 02's population code, plus a reference spike at 0 s.

    Each of the 4 features goes through ``n_fields`` Gaussian receptive fields spanning its
    range *in the training set* (Bohte et al.: 12 fields, width factor 1.5); a field with
    response a fires at ``t_max * (1 - a)`` (0 s only for a value at its centre), fields below
    0.1 not at all. A last input (the
    reference) always fires at 0 s. The split is fixed and stratified (``test_fraction`` of each
    class, drawn with ``split_seed``). Times in seconds.
    """
    from snnlesson import data, encoding

    n_fields = check_int("n_fields", n_fields, minimum=3, maximum=1000)
    t_max = check_real("t_max", t_max, low=0.0, low_open=True)
    width_factor = check_real("width_factor", width_factor, low=1e-3, high=1e3)
    test_fraction = check_real("test_fraction", test_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    if not 1 <= round(test_fraction * 50) <= 49:
        raise ValueError(f"test_fraction must leave at least one flower of each species (50 each) for testing and "
                         f"one for training, got {test_fraction!r}")
    split_seed = check_seed("split_seed", split_seed)
    iris = data.iris()
    rng = np.random.default_rng(split_seed)
    test = np.zeros(len(iris.labels), dtype=bool)
    for c in np.unique(iris.labels):
        members = np.flatnonzero(iris.labels == c)
        test[rng.choice(members, int(round(test_fraction * len(members))), replace=False)] = True
    lo, hi = iris.features[~test].min(axis=0), iris.features[~test].max(axis=0)

    def encode(x):
        fields = [encoding.population_times(x[:, f], n_fields, float(lo[f]), float(hi[f]), t_max=t_max,
                                            width_factor=width_factor).numpy() for f in range(x.shape[1])]
        return np.concatenate(fields + [np.zeros((len(x), 1))], axis=1)

    return IrisSpikes(encode(iris.features[~test]), iris.labels[~test], encode(iris.features[test]),
                      iris.labels[test], n_fields, t_max)


def _check_spikes(spikes) -> "IrisSpikes":
    if spikes is None:
        return iris_spike_times()
    if not isinstance(spikes, IrisSpikes):
        raise TypeError(f"spikes must be an IrisSpikes from iris_spike_times() (or None), got {type(spikes).__name__}")
    return spikes


def _check_init(init) -> tuple:
    if isinstance(init, (str, bytes)) or not isinstance(init, (list, tuple)) or len(init) != 2:
        raise TypeError(f"init must be a pair (low, high) of weights, got {init!r}")
    low, high = check_real("init[0]", init[0]), check_real("init[1]", init[1])
    if not high > low:
        raise ValueError(f"init must be (low, high) with high > low, got {init!r}")
    return low, high


IRIS_TARGETS = (0.012, 0.016)   # (s) the right class's output fires at 12 ms, the others at 16 ms


def iris_weights(n_networks: int = 1, seed: int = 0, n_inputs: int = 49, n_hidden: int = 10,
                 params: SRMParams | None = None) -> list:
    """Initial weights of ``n_inputs``-``n_hidden``-3 Iris networks (free signs), U(-0.01, 0.04)."""
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)
    n_hidden = check_int("n_hidden", n_hidden, minimum=1)
    check_size(f"the weights of Iris networks with n_inputs={n_inputs} and n_hidden={n_hidden}",
               (n_inputs + 3) * n_hidden * 16, 8)
    return init_weights((n_inputs, n_hidden, 3), params, n_networks=n_networks, seed=seed, low=-0.01, high=0.04)


def train_iris(seeds=(0, 1, 2, 3, 4), epochs: int = 60, method: str = "rprop", spikes: IrisSpikes | None = None,
               params: SRMParams | None = None, **train_kwargs) -> dict:
    """Train one Iris network per seed (side by side) with target times, read out first-to-fire.

    Targets: the right class's neuron at ``IRIS_TARGETS[0]`` = 12 ms, the other two at 16 ms.
    Returns a dict with ``weights``, ``history``, ``train_accuracy`` and ``test_accuracy`` (one per
    seed) and ``spikes``.
    """
    spikes = _check_spikes(spikes)
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (list, tuple, range, np.ndarray)):
        raise TypeError(f"seeds must be a list of integer seeds such as (0, 1, 2), got {seeds!r}")
    if len(seeds) == 0:
        raise ValueError("seeds must name at least one seed, got an empty sequence")
    seeds = [check_seed(f"seeds[{n}]", s) for n, s in enumerate(seeds)]
    start = [iris_weights(1, s, spikes.train_times.shape[1], params=params) for s in seeds]
    weights = [np.concatenate([w[layer] for w in start]) for layer in range(2)]
    target = np.where(np.eye(3)[spikes.train_labels] > 0, *IRIS_TARGETS)
    train_kwargs.setdefault("rprop_step", 0.001)
    weights, history = train(weights, spikes.train_times, target, params, method=method, epochs=epochs,
                             seed=seeds[0], **train_kwargs)

    def accuracy(times, labels):
        out = _evaluate(weights, times, params)[-1]                            # [S, P, 3]
        return (first_to_fire(out) == labels).mean(axis=-1)

    return {"weights": weights, "history": history, "spikes": spikes,
            "train_accuracy": accuracy(spikes.train_times, spikes.train_labels),
            "test_accuracy": accuracy(spikes.test_times, spikes.test_labels)}


def single_neuron_timing(epochs: int = 40, seed: int = 0, early: float = 0.012, late: float = 0.016,
                         spikes: IrisSpikes | None = None, params: SRMParams | None = None) -> dict:
    """One output neuron, no hidden layer, trained to fire at ``early`` for setosa and ``late`` for the rest.

    Returns the trained weights, the output times of the train and test patterns, their
    labels (1 = setosa) and the History.
    """
    spikes = _check_spikes(spikes)
    early = check_real("early", early, low=0.0, low_open=True)
    late = check_real("late", late, low=0.0, low_open=True)
    weights = init_weights((spikes.train_times.shape[1], 1), params, seed=seed, low=-0.01, high=0.04)
    setosa = (spikes.train_labels == 0).astype(float)
    target = np.where(setosa > 0, early, late)[:, None]
    weights, history = train(weights, spikes.train_times, target, params, method="rprop", epochs=epochs,
                             rprop_step=0.001, seed=seed)
    out_train = spikeprop.spike_time(spikes.train_times, weights[0][0], params)[:, 0]
    out_test = spikeprop.spike_time(spikes.test_times, weights[0][0], params)[:, 0]
    return {"weights": weights, "history": history, "train_times": out_train, "test_times": out_test,
            "train_setosa": spikes.train_labels == 0, "test_setosa": spikes.test_labels == 0,
            "early": early, "late": late}


# --------------------------------------------------------------------------- benchmark


def bench() -> dict:
    """``python -m snnlesson.bench spikeprop``: XOR over 20 seeds (online SpikeProp against RProp, from the
    default and from a mixed-sign initialisation) and Iris over 5 seeds (trained side by side)."""
    out = {}
    _, online = train_xor(20, "online")
    _, rprop = train_xor(20, "rprop")

    def median_epochs(h):
        return float(np.median(h.epochs_to_converge[h.converged])) if h.converged.any() else None

    out["xor"] = {"seeds": 20, "converged_fraction": float(online.converged.mean()),
                  "median_epochs": median_epochs(online),
                  "improved_method": "rprop",
                  "improved_converged_fraction": float(rprop.converged.mean()),
                  "improved_median_epochs": median_epochs(rprop),
                  "wall_seconds": round(online.seconds + rprop.seconds, 3),
                  "online_seconds": round(online.seconds, 3), "rprop_seconds": round(rprop.seconds, 3)}
    # the same comparison from mixed-sign input weights, where many neurons start silent
    _, online_mixed = train_xor(20, "online", init=(-0.05, 0.1))
    _, rprop_mixed = train_xor(20, "rprop", init=(-0.05, 0.1))
    out["xor_mixed_sign_init"] = {"seeds": 20, "init": [-0.05, 0.1],
                                  "converged_fraction": float(online_mixed.converged.mean()),
                                  "median_epochs": median_epochs(online_mixed),
                                  "improved_converged_fraction": float(rprop_mixed.converged.mean()),
                                  "improved_median_epochs": median_epochs(rprop_mixed),
                                  "wall_seconds": round(online_mixed.seconds + rprop_mixed.seconds, 3)}
    start = time.perf_counter()
    iris = train_iris()
    seconds = time.perf_counter() - start
    acc = iris["test_accuracy"]
    out["iris"] = {"seeds": len(acc), "test_accuracy_mean": round(float(acc.mean()), 4),
                   "test_accuracy_std": round(float(acc.std()), 4),
                   "test_accuracy_per_seed": [round(float(a), 4) for a in acc],
                   "train_accuracy_mean": round(float(iris["train_accuracy"].mean()), 4),
                   "wall_seconds_per_run": round(seconds / len(acc), 3),
                   "wall_seconds_all_seeds_side_by_side": round(seconds, 3)}
    return out
