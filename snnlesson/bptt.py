"""Backpropagation through time (BPTT) with surrogate gradients: a spiking network that learns MNIST.

A leaky integrate-and-fire (LIF) neuron, in discrete time steps, as in snntorch:

.. math::

    R[t] = \\Theta(U[t-1] - U_{\\rm thr})                   \\quad\\text{(reset, from the previous step; no gradient)}

    U[t] = \\beta\\, U[t-1] + I[t] - R[t]\\, U_{\\rm thr}

    S[t] = \\Theta(U[t] - U_{\\rm thr})

The Heaviside step :math:`\\Theta` has derivative zero almost everywhere, so
gradient descent through it learns nothing (the *dead gradient*). The
*surrogate gradient* keeps :math:`\\Theta` in the forward pass and uses, in the
backward pass only, the derivative of a smooth stand-in, the fast sigmoid
(Zenke & Ganguli 2018, "SuperSpike"):

.. math::

    \\frac{\\partial S}{\\partial U} \\approx \\frac{1}{(1 + k\\,|U - U_{\\rm thr}|)^2}

with slope :math:`k` (snntorch's ``surrogate.fast_sigmoid(slope=k)``).
Unrolling the network over ``num_steps`` time steps turns it into a deep
feed-forward graph in which ``loss.backward()`` *is* BPTT.

Contents:

* :class:`FastSigmoidSpike`, :func:`spike`, :func:`fast_sigmoid_derivative`: the spike
  function and its surrogate derivative; :func:`lif_step`: one LIF step in three lines.
* :class:`ArticleSNN` (built on ``snntorch.Leaky``) and :class:`ScratchSNN` (the same
  784-1000-10 network from scratch with :func:`lif_step`); :func:`build_network`.
* :func:`train`, :func:`evaluate`, :func:`predict`: seeded loops with a tqdm progress bar,
  returning a :class:`History`; :class:`Recipe` with :data:`ARTICLE_RECIPE` and :data:`LESSON_RECIPE`.
* :func:`save_checkpoint` / :func:`load_checkpoint` (``torch.load(weights_only=True)``).
* :func:`bench`: ``python -m snnlesson.bench bptt``.

Time steps are counted (``num_steps``), not seconds: ``beta`` is the per-step decay
factor, ``beta = exp(-dt / tau_m)``.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

import torch
from torch import nn

from snnlesson._validate import check_int, check_real

__all__ = [
    "FastSigmoidSpike", "spike", "fast_sigmoid_derivative", "lif_step", "lif_run",
    "SNNRecord", "ArticleSNN", "ScratchSNN", "build_network",
    "Recipe", "ARTICLE_RECIPE", "LESSON_RECIPE", "History",
    "train", "evaluate", "predict", "encode_input", "default_device",
    "save_checkpoint", "load_checkpoint", "bench",
]

NUM_INPUTS, NUM_HIDDEN, NUM_OUTPUTS = 28 * 28, 1000, 10


# ------------------------------------------------------------------------- argument checks


def _check_positive(name: str, value, *, integer: bool = False, allow_zero: bool = False):
    """``value`` as an int (``integer=True``) or a finite float, > 0 (or >= 0 with ``allow_zero``)."""
    if integer:
        return check_int(name, value, minimum=0 if allow_zero else 1)
    return check_real(name, value, low=0.0, low_open=not allow_zero)


def _check_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"beta must be a number, got {beta!r}")
    if not (0.0 <= beta <= 1.0):  # also rejects NaN
        raise ValueError(f"beta (the per-step membrane decay factor) must lie in [0, 1], got {beta!r}")
    return float(beta)


def _check_choice(name: str, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value


# ------------------------------------------------------------------ spike and surrogate


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside step forward, fast-sigmoid derivative backward.

    forward:  :math:`S = \\Theta(x) = 1` if :math:`x > 0` else 0, with :math:`x = U - U_{\\rm thr}`;
    backward: :math:`\\partial S/\\partial x \\approx 1 / (1 + k|x|)^2`, ``k = slope``.

    Same convention as ``snntorch.surrogate.FastSigmoid`` (``x == 0`` gives no spike).
    """

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (ctx.slope * x.abs() + 1.0) ** 2, None


def spike(x: torch.Tensor, slope: float = 25.0) -> torch.Tensor:
    """Spikes ``Theta(x)`` of the shifted membrane ``x = U - U_thr``, with the fast-sigmoid surrogate gradient."""
    _check_positive("slope", slope)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    return FastSigmoidSpike.apply(x, float(slope))


def fast_sigmoid_derivative(x, slope: float = 25.0) -> torch.Tensor:
    """The surrogate derivative :math:`1 / (1 + k|x|)^2` itself (for plots and exercise checks)."""
    _check_positive("slope", slope)
    x = torch.as_tensor(x, dtype=torch.get_default_dtype())
    return 1.0 / (1.0 + slope * x.abs()) ** 2


def lif_step(current: torch.Tensor, mem: torch.Tensor, beta: float = 0.95, threshold: float = 1.0,
             slope: float = 25.0) -> tuple[torch.Tensor, torch.Tensor]:
    """One LIF time step (snntorch's ``Leaky``, reset by subtraction); returns ``(spk, mem)``.

    .. math::  R = \\Theta(U[t-1] - U_{thr}),\\; U[t] = \\beta U[t-1] + I[t] - R\\,U_{thr},\\; S[t] = \\Theta(U[t] - U_{thr})

    The reset ``R`` comes from the previous membrane and carries no gradient
    (as in snntorch): the surrogate acts only where a spike is emitted.
    """
    reset = (mem > threshold).to(mem.dtype)          # no gradient through the reset
    mem = beta * mem + current - reset * threshold    # leak, integrate, reset by subtraction
    spk = spike(mem - threshold, slope)               # fire; surrogate gradient backward
    return spk, mem


def lif_run(current: torch.Tensor, num_steps: int, beta: float = 0.95, threshold: float = 1.0,
            slope: float = 25.0, *, time_first: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Unroll :func:`lif_step` over time from ``U[0] = 0``; returns ``(spk, mem)``, each ``[num_steps, *shape]``.

    ``current`` is the same at every step (any shape, e.g. ``[batch, neurons]``), or with
    ``time_first=True`` one current per step, ``[num_steps, *shape]``. Any number of
    neurons at once: the loop is over time only.
    """
    _check_positive("num_steps", num_steps, integer=True)
    _check_beta(beta)
    _check_positive("threshold", threshold)
    if time_first and (current.ndim < 1 or current.shape[0] != num_steps):
        raise ValueError(f"a time-first current must have shape [num_steps={num_steps}, ...], got {tuple(current.shape)}")
    constant = not time_first
    mem = torch.zeros_like(current if constant else current[0])
    spikes, mems = [], []
    for t in range(num_steps):
        spk, mem = lif_step(current if constant else current[t], mem, beta, threshold, slope)
        spikes.append(spk)
        mems.append(mem)
    return torch.stack(spikes), torch.stack(mems)


# ------------------------------------------------------------------------------ networks


class SNNRecord(NamedTuple):
    """What a network run records, time-first: spikes and membranes ``[num_steps, batch, neurons]``.

    ``spk_hidden`` and ``mem_hidden`` are ``None`` unless ``record_hidden=True``.
    """

    spk_out: torch.Tensor
    mem_out: torch.Tensor
    spk_hidden: torch.Tensor | None = None
    mem_hidden: torch.Tensor | None = None


class _SNNBase(nn.Module):
    """784-1000-10: ``fc1 -> LIF -> fc2 -> LIF``, unrolled over ``num_steps``.

    ``forward(x)`` takes either a batch of images ``[batch, 1, 28, 28]`` (or
    ``[batch, 784]``), the *direct* input used at every step, or a time-first
    spike train ``[num_steps, batch, ...]`` with ``time_first=True`` (rate-coded input).

    Two shortcuts that change nothing in the result, only the speed:

    * direct input is the same at every step, so ``fc1(x)`` (a linear map) is the
      same at every step too: it is computed once per batch, not ``num_steps`` times;
    * the network is feed-forward, so the whole hidden spike train can be computed
      first and fed to ``fc2`` in one matrix product over all steps at once.
    """

    def __init__(self, num_steps: int = 25, beta: float = 0.95, threshold: float = 1.0, slope: float = 25.0,
                 num_hidden: int = NUM_HIDDEN):
        super().__init__()
        self.num_steps = _check_positive("num_steps", num_steps, integer=True)
        self.num_hidden = _check_positive("num_hidden", num_hidden, integer=True)
        self.beta = _check_beta(beta)
        self.threshold = float(_check_positive("threshold", threshold))
        self.slope = float(_check_positive("slope", slope))
        self.fc1 = nn.Linear(NUM_INPUTS, num_hidden)
        self.fc2 = nn.Linear(num_hidden, NUM_OUTPUTS)

    def config(self) -> dict:
        return {"kind": self.kind, "num_steps": self.num_steps, "beta": self.beta,
                "threshold": self.threshold, "slope": self.slope, "num_hidden": self.num_hidden}

    def _input_current(self, x: torch.Tensor, time_first: bool) -> torch.Tensor:
        """Layer-1 input current: ``[batch, hidden]`` (direct, constant) or ``[num_steps, batch, hidden]``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if time_first:
            if x.ndim < 3 or x.shape[0] != self.num_steps or x[0, 0].numel() != NUM_INPUTS:
                raise ValueError(f"a time-first input must have shape [num_steps={self.num_steps}, batch, 784 "
                                 f"or 1x28x28], got {tuple(x.shape)}")
            return self.fc1(x.flatten(2))
        if x.ndim < 2 or x[0].numel() != NUM_INPUTS:
            raise ValueError(f"x must have shape [batch, 1, 28, 28] or [batch, 784], got {tuple(x.shape)}")
        return self.fc1(x.flatten(1))

    def forward(self, x: torch.Tensor, *, time_first: bool = False, record_hidden: bool = False) -> SNNRecord:
        current = self._input_current(x, time_first)
        spk1, mem1 = self._hidden_layer(current)                    # [T, B, hidden] each
        spk2, mem2 = self._output_layer(self.fc2(spk1))              # fc2 over all steps at once
        if record_hidden:
            return SNNRecord(spk2, mem2, spk1, mem1)
        return SNNRecord(spk2, mem2)


class ArticleSNN(_SNNBase):
    """The introductory article's network on ``snntorch.Leaky`` (fast-sigmoid surrogate of slope ``slope``)."""

    kind = "snntorch"

    def __init__(self, num_steps: int = 25, beta: float = 0.95, threshold: float = 1.0, slope: float = 25.0,
                 num_hidden: int = NUM_HIDDEN):
        super().__init__(num_steps, beta, threshold, slope, num_hidden)
        import snntorch as snn
        from snntorch import surrogate

        grad = surrogate.fast_sigmoid(slope=self.slope)
        self.lif1 = snn.Leaky(beta=self.beta, threshold=self.threshold, spike_grad=grad)
        self.lif2 = snn.Leaky(beta=self.beta, threshold=self.threshold, spike_grad=grad)

    def set_neuron_parameters(self, beta: float, threshold: float) -> None:
        """Change beta and threshold at inference (the trained weights stay)."""
        self.beta, self.threshold = _check_beta(beta), float(_check_positive("threshold", threshold))
        for lif in (self.lif1, self.lif2):
            lif.beta.fill_(self.beta)
            lif.threshold.fill_(self.threshold)

    def _run(self, lif, current):
        mem = lif.reset_mem()
        spikes, mems = [], []
        for t in range(self.num_steps):
            spk, mem = lif(current if current.ndim == 2 else current[t], mem)
            spikes.append(spk)
            mems.append(mem)
        return torch.stack(spikes), torch.stack(mems)

    def _hidden_layer(self, current):
        return self._run(self.lif1, current)

    def _output_layer(self, current):
        return self._run(self.lif2, current)


class ScratchSNN(_SNNBase):
    """The same network written from scratch: :func:`lif_step` with the custom :class:`FastSigmoidSpike`."""

    kind = "scratch"

    def set_neuron_parameters(self, beta: float, threshold: float) -> None:
        """Change beta and threshold at inference (the trained weights stay)."""
        self.beta, self.threshold = _check_beta(beta), float(_check_positive("threshold", threshold))

    def _run(self, current):
        return lif_run(current, self.num_steps, self.beta, self.threshold, self.slope,
                       time_first=current.ndim == 3)

    def _hidden_layer(self, current):
        return self._run(current)

    def _output_layer(self, current):
        return self._run(current)


def build_network(kind: str = "scratch", *, num_steps: int = 25, beta: float = 0.95, threshold: float = 1.0,
                  slope: float = 25.0, num_hidden: int = NUM_HIDDEN, seed: int | None = 0) -> _SNNBase:
    """The 784-1000-10 network, ``kind="snntorch"`` (:class:`ArticleSNN`) or ``"scratch"`` (:class:`ScratchSNN`).

    ``seed`` fixes the initial weights (PyTorch's default ``nn.Linear`` initialisation);
    the same seed gives the same weights for both kinds.
    """
    _check_choice("kind", kind, ("snntorch", "scratch"))
    cls = ArticleSNN if kind == "snntorch" else ScratchSNN
    if seed is None:
        return cls(num_steps, beta, threshold, slope, num_hidden)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(num_steps, beta, threshold, slope, num_hidden)


# ------------------------------------------------------------------------ training recipe


@dataclass(frozen=True)
class Recipe:
    """How to train: optimiser settings, schedule, loss and input coding.

    loss : ``"ce_every_step"`` (the article: cross-entropy of the output membrane at
        every step, summed over steps) or ``"ce_mean_membrane"`` (cross-entropy of the
        output membrane averaged over steps: one readout per digit).
    schedule : ``"constant"`` or ``"onecycle"`` (warm up to ``lr``, then anneal to ~0).
    encoding : ``"direct"`` (pixel intensities as input current at every step) or
        ``"rate"`` (Bernoulli spikes with probability = intensity, via ``snnlesson.encoding.rate``).
    """

    epochs: int = 1
    batch_size: int = 128
    lr: float = 5e-4
    schedule: str = "constant"
    loss: str = "ce_every_step"
    num_steps: int = 25
    beta: float = 0.95
    slope: float = 25.0
    weight_decay: float = 0.0
    encoding: str = "direct"

    def __post_init__(self):
        _check_positive("epochs", self.epochs, integer=True)
        _check_positive("batch_size", self.batch_size, integer=True)
        _check_positive("lr", self.lr)
        _check_positive("num_steps", self.num_steps, integer=True)
        _check_beta(self.beta)
        _check_positive("slope", self.slope)
        _check_positive("weight_decay", self.weight_decay, allow_zero=True)
        _check_choice("schedule", self.schedule, ("constant", "onecycle"))
        _check_choice("loss", self.loss, ("ce_every_step", "ce_mean_membrane"))
        _check_choice("encoding", self.encoding, ("direct", "rate"))


#: The introductory snntorch article's settings (Adam, lr 5e-4, batch 128, 25 steps, one epoch).
ARTICLE_RECIPE = Recipe()
#: The lesson's recipe (the notebook explains each choice): 10 steps, lr 2e-3 with a one-cycle schedule,
#: cross-entropy on the mean output membrane, 4 epochs.
LESSON_RECIPE = Recipe(epochs=4, batch_size=128, lr=2e-3, schedule="onecycle", loss="ce_mean_membrane",
                       num_steps=10)


@dataclass
class History:
    """What :func:`train` returns: per-batch loss, per-epoch accuracies, seconds spent training."""

    batch_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    train_seconds: float = 0.0
    recipe: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _as_tensors(data):
    """(images [N,1,28,28] float, labels [N] int64) from an MNIST data set or a tuple of tensors."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        images, labels = data
    else:
        from snnlesson.data import as_tensors

        images, labels = as_tensors(data)
    images, labels = torch.as_tensor(images), torch.as_tensor(labels)
    if images.ndim < 2 or images.shape[0] == 0 or images[0].numel() != NUM_INPUTS:
        raise ValueError(f"images must have shape [N, 1, 28, 28] or [N, 784] with N > 0, got {tuple(images.shape)}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape [N] = [{images.shape[0]}], got {tuple(labels.shape)}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinity")
    return images.to(torch.float32), labels.to(torch.int64)


def encode_input(images: torch.Tensor, encoding: str, num_steps: int, generator=None) -> tuple[torch.Tensor, bool]:
    """The network input for a batch and whether it is time-first.

    ``"direct"``: the images themselves (the same current at every step);
    ``"rate"``: ``snnlesson.encoding.rate(images, num_steps)`` Bernoulli spike trains ``[num_steps, batch, ...]``.
    """
    _check_choice("encoding", encoding, ("direct", "rate"))
    if encoding == "direct":
        return images, False
    from snnlesson.encoding import rate  # lesson 02's encoder

    if generator is not None and generator.device != images.device:  # draw where the generator lives
        return rate(images.to(generator.device), num_steps, generator=generator).to(images.device), True
    return rate(images, num_steps, generator=generator), True


def _loss(record: SNNRecord, labels: torch.Tensor, kind: str) -> torch.Tensor:
    ce = nn.functional.cross_entropy
    if kind == "ce_every_step":  # the article: sum_t CE(U_out[t], y)
        steps, batch = record.mem_out.shape[:2]
        return ce(record.mem_out.flatten(0, 1), labels.repeat(steps), reduction="sum") / batch
    return ce(record.mem_out.mean(0), labels)  # CE(mean_t U_out[t], y)


def _scores(record: SNNRecord, readout: str) -> torch.Tensor:
    """Class scores: spike counts (the article) or the mean output membrane."""
    if readout == "spike_count":
        # ties between equal spike counts are broken by the mean membrane
        return record.spk_out.sum(0) + 1e-3 * torch.tanh(record.mem_out.mean(0))
    return record.mem_out.mean(0)


def _readout_for(loss: str) -> str:
    return "spike_count" if loss == "ce_every_step" else "membrane"


def _progress(iterable, enabled: bool, **kw):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **kw)


@torch.no_grad()
def predict(model: _SNNBase, images: torch.Tensor, *, readout: str = "membrane", encoding: str = "direct",
            batch_size: int = 1000, generator=None) -> torch.Tensor:
    """Predicted classes ``[N]`` for images ``[N, 1, 28, 28]`` (readout ``"membrane"`` or ``"spike_count"``)."""
    _check_choice("readout", readout, ("membrane", "spike_count"))
    _check_positive("batch_size", batch_size, integer=True)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, images.shape[0], batch_size):
        x, time_first = encode_input(images[start:start + batch_size].to(device), encoding, model.num_steps, generator)
        out.append(_scores(model(x, time_first=time_first), readout).argmax(1).cpu())
    model.train(was_training)
    return torch.cat(out)


def evaluate(model: _SNNBase, data, *, readout: str = "membrane", encoding: str = "direct",
             batch_size: int = 1000, generator=None) -> float:
    """Accuracy (fraction correct) of ``model`` on an MNIST data set or ``(images, labels)``."""
    images, labels = _as_tensors(data)
    return float((predict(model, images, readout=readout, encoding=encoding, batch_size=batch_size,
                          generator=generator) == labels).float().mean())


def train(model: _SNNBase, train_data, test_data=None, recipe: Recipe = LESSON_RECIPE, *, seed: int = 0,
          device=None, progress: bool = True, max_seconds: float | None = None, eval_every_epoch: bool = True,
          **overrides) -> History:
    """Train ``model`` with Adam and BPTT; returns a :class:`History`.

    train_data, test_data : MNIST data sets from :func:`snnlesson.data.mnist` or ``(images, labels)``.
    recipe : a :class:`Recipe`; keyword ``overrides`` replace its fields (``train(..., epochs=2)``).
    seed : shuffling, rate coding and nothing else (the weights are fixed when the model is built).
    device : ``None`` picks CUDA when present. ``progress``: a tqdm bar per epoch.
    max_seconds : stop after the first batch that ends past this training time (None: no limit).

    The whole data set is held as one tensor (no ``DataLoader``): MNIST fits in memory
    and slicing a tensor costs nothing next to a training step.
    """
    if not isinstance(model, _SNNBase):
        raise TypeError(f"model must come from snnlesson.bptt.build_network, got {type(model).__name__}")
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a snnlesson.bptt.Recipe, got {type(recipe).__name__}")
    unknown = set(overrides) - set(Recipe.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown recipe field(s) {sorted(unknown)}; allowed: {list(Recipe.__dataclass_fields__)}")
    recipe = replace(recipe, **overrides)
    if max_seconds is not None:
        _check_positive("max_seconds", max_seconds)
    if recipe.num_steps != model.num_steps or recipe.beta != model.beta or recipe.slope != model.slope:
        raise ValueError(f"the recipe (num_steps={recipe.num_steps}, beta={recipe.beta}, slope={recipe.slope}) and "
                         f"the model (num_steps={model.num_steps}, beta={model.beta}, slope={model.slope}) disagree; "
                         "build the model with the recipe's values")
    device = default_device() if device is None else torch.device(device)
    images, labels = _as_tensors(train_data)
    images, labels = images.to(device), labels.to(device)
    test = _as_tensors(test_data) if test_data is not None else None
    model.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, betas=(0.9, 0.999),
                                 weight_decay=recipe.weight_decay)
    batches_per_epoch = math.ceil(images.shape[0] / recipe.batch_size)
    scheduler = None
    if recipe.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, epochs=recipe.epochs,
                                                        steps_per_epoch=batches_per_epoch, pct_start=0.2)
    readout = _readout_for(recipe.loss)
    history = History(recipe=asdict(recipe))
    seconds = 0.0
    for epoch in range(recipe.epochs):
        start = time.perf_counter()
        order = torch.randperm(images.shape[0], generator=generator).to(device)
        correct, total, loss_sum = 0, 0, 0.0
        bar = _progress(range(batches_per_epoch), progress, desc=f"epoch {epoch + 1}/{recipe.epochs}", leave=True)
        stop = False
        for b in bar:
            idx = order[b * recipe.batch_size:(b + 1) * recipe.batch_size]
            x, time_first = encode_input(images[idx], recipe.encoding, model.num_steps, generator)
            record = model(x, time_first=time_first)
            loss = _loss(record, labels[idx], recipe.loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            loss_value = loss.item()
            history.batch_loss.append(loss_value)
            loss_sum += loss_value * idx.numel()
            correct += int((_scores(record, readout).argmax(1) == labels[idx]).sum())
            total += idx.numel()
            if progress and b % 10 == 0:
                bar.set_postfix(loss=f"{loss_value:.3f}", acc=f"{correct / total:.3f}")
            if max_seconds is not None and seconds + time.perf_counter() - start > max_seconds:
                stop = True
                break
        seconds += time.perf_counter() - start
        if progress:
            bar.close()
        history.epoch_loss.append(loss_sum / total)
        history.train_accuracy.append(correct / total)
        if test is not None and (eval_every_epoch or stop or epoch == recipe.epochs - 1):
            history.test_accuracy.append(evaluate(model, test, readout=readout, encoding=recipe.encoding,
                                                  generator=generator))
        if stop:
            break
    history.train_seconds = seconds
    return history


# ---------------------------------------------------------------------------- checkpoints


def save_checkpoint(model: _SNNBase, path, history: History | None = None) -> None:
    """Save the weights, the network's configuration and (optionally) the history with ``torch.save``.

    Only tensors and plain Python values are stored, so :func:`load_checkpoint` can use
    ``torch.load(..., weights_only=True)``, which never runs code from the file.
    """
    if not isinstance(model, _SNNBase):
        raise TypeError(f"model must come from snnlesson.bptt.build_network, got {type(model).__name__}")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": "snnlesson.bptt/1", "config": model.config(), "state_dict": state,
                "history": history.as_dict() if history is not None else None}, path)


def load_checkpoint(path, *, device=None) -> tuple[_SNNBase, History | None]:
    """``(model, history)`` from :func:`save_checkpoint`, read with ``torch.load(weights_only=True)``."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != "snnlesson.bptt/1":
        raise ValueError(f"{path} is not a snnlesson.bptt checkpoint")
    config = dict(blob["config"])
    model = build_network(config.pop("kind"), seed=None, **config)
    model.load_state_dict(blob["state_dict"])
    if device is not None:
        model.to(device)
    history = History(**blob["history"]) if blob.get("history") is not None else None
    return model, history


# ------------------------------------------------------------------------------ benchmark


def bench() -> dict:
    """Train the lesson's recipe on MNIST and report the test accuracy and the training time.

    Environment variables: ``SNNLESSON_BPTT_RECIPE`` = ``lesson`` (default) or ``article``;
    ``SNNLESSON_BPTT_EPOCHS`` overrides the number of epochs; ``SNNLESSON_BPTT_KIND`` =
    ``scratch`` (default) or ``snntorch``. MNIST's source follows ``snnlesson.data.mnist``
    (``SNNLESSON_MNIST_SOURCE``, ``SNNLESSON_DATA``).
    """
    from snnlesson.data import mnist

    name = os.environ.get("SNNLESSON_BPTT_RECIPE", "lesson")
    recipe = {"lesson": LESSON_RECIPE, "article": ARTICLE_RECIPE}.get(name)
    if recipe is None:
        raise ValueError(f"SNNLESSON_BPTT_RECIPE must be 'lesson' or 'article', got {name!r}")
    if os.environ.get("SNNLESSON_BPTT_EPOCHS"):
        recipe = replace(recipe, epochs=int(os.environ["SNNLESSON_BPTT_EPOCHS"]))
    kind = os.environ.get("SNNLESSON_BPTT_KIND", "scratch")
    train_set, test_set = mnist(train=True, verbose=False), mnist(train=False, verbose=False)
    model = build_network(kind, num_steps=recipe.num_steps, beta=recipe.beta, slope=recipe.slope, seed=0)
    history = train(model, train_set, test_set, recipe, seed=0, progress=False, eval_every_epoch=False)
    return {"dataset": train_set.source, "recipe": name, "network": kind, "epochs": recipe.epochs,
            "train_digits": len(train_set), "test_digits": len(test_set),
            "train_seconds": round(history.train_seconds, 2),
            "test_accuracy": round(history.test_accuracy[-1], 4),
            "train_accuracy_last_epoch": round(history.train_accuracy[-1], 4),
            "settings": {k: v for k, v in asdict(recipe).items() if k != "epochs"},
            "torch_threads": torch.get_num_threads(), "device": str(default_device())}
