r"""A recurrent spiking neural network (RSNN) on moving digits, and why recurrence matters.

A *recurrent* LIF layer feeds its own spikes of the previous step back into
itself through a weight matrix :math:`V` (snntorch's ``RLeaky(all_to_all=True)``):

.. math::

    R[t] = \Theta(U[t-1] - U_{\rm thr}) \quad\text{(reset, from the previous step; no gradient)}

    U[t] = \beta\, U[t-1] + \underbrace{W x[t] + b}_{\text{input}}
           + \underbrace{V S[t-1] + c}_{\text{recurrence}} - R[t]\, U_{\rm thr}

    S[t] = \Theta(U[t] - U_{\rm thr})

Without :math:`V` this is the feed-forward LIF layer (``snntorch.Leaky``); its only
memory is the leaky membrane, which forgets by a factor :math:`\beta` per step.
With :math:`V`, spikes can keep spikes going after the input has gone.

Contents:

* :class:`HyperParams` (``hidden_size``, ``output_size``, ``beta``, ``spike_grad``,
  ``dropout_p``) and :class:`RSNNNet`, the network of the slide deck: two fully
  connected layers of ``snn.RLeaky`` neurons, driven **one frame per call**;
  :class:`FeedForwardNet`, its twin with ``snn.Leaky`` (no :math:`V`);
* :func:`recurrent_lif_step` (the recurrent layer in one line on the course's shared
  LIF step, :func:`snnlesson.lif_discrete.step`), :class:`RecurrentLIF` and
  :class:`ScratchRSNN`: the same network from scratch, equal to ``RLeaky`` step for step;
* :class:`SequenceModel`: runs a per-frame network over whole videos, resetting the state
  at the start of every sequence, and returns an :class:`RSNNRecord` (time-first);
* :class:`Task`, :data:`TASKS`: the two tasks on ``data.moving_digits`` videos,
  ``"digit"`` (which digit moves?) and ``"delayed_digit"`` (which digit was shown in
  the first frames, now that the screen is blank?), with their loss and readout;
* :func:`build`, :func:`train_network` (the shared loop, :func:`snnlesson.training.train`),
  :func:`bench` (``python -m snnlesson.bench rsnn``).

**State and its reset.** With ``init_hidden=True`` an snntorch layer keeps its
membrane and last spikes *inside* the module between calls, so ``net(frame)`` takes
one frame and the network remembers the previous ones. Before a new batch of
sequences, :func:`reset_state` zeroes that state (``reset_mem()`` on every layer);
:class:`SequenceModel` does it at the start of every call. Forgetting to reset would
carry the previous batch's state (and its autograd graph) into the next one; snntorch
only re-zeroes the state by itself when the batch *shape* changes (for example on a
smaller last batch), silently, which hides the bug for every other batch.

Time is counted in frames (one frame per step); ``beta`` is the per-step decay
``exp(-dt / tau_m)``. Videos are batch-first ``[batch, num_steps, 1, H, W]`` (one
sequence per row, as the training loop slices them); records are time-first
``[num_steps, batch, neurons]``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import snntorch as snn
import torch
import torch.nn.functional as F
from torch import nn

from snnlesson import threads
from snnlesson._validate import (all_finite, check_bool, check_choice, check_dtype_like, check_float_tensor,
                                 check_int, check_real, check_record, check_seed, check_size, check_state,
                                 check_tensor)
from snnlesson.lif_discrete import LIFDiscreteParams, LIFDiscreteState, step, unroll

__all__ = [
    "HyperParams", "RSNNNet", "FeedForwardNet",
    "RecurrentLIFState", "recurrent_lif_step", "RecurrentLIF", "ScratchRSNN",
    "RSNNRecord", "SequenceModel", "reset_state",
    "Task", "TASKS", "DELAY_ONLY", "KINDS", "build", "num_parameters", "twin_hyperparams", "train_network", "bench",
]

#: The three networks :func:`build` makes.
KINDS = ("rsnn", "feedforward", "scratch")


def _default_spike_grad():
    from snntorch import surrogate

    return surrogate.fast_sigmoid(slope=25)


@dataclass(frozen=True)
class HyperParams:
    """The hyper-parameters of :class:`RSNNNet` (names as in the slide deck).

    hidden_size : neurons in the hidden layer (>= 1)
    output_size : output neurons, one per class (>= 1)
    beta : membrane decay per step (per frame), ``exp(-dt / tau_m)``, in [0, 1]
    spike_grad : the spike function with its surrogate gradient (default snntorch's
        ``surrogate.fast_sigmoid(slope=25)``; :mod:`snnlesson.surrogate` gives equal ones)
    dropout_p : dropout probability on the hidden layer's input current while training,
        in [0, 1) (default 0: off)
    """

    hidden_size: int = 128
    output_size: int = 10
    beta: float = 0.8
    spike_grad: Callable = field(default_factory=_default_spike_grad)
    dropout_p: float = 0.0

    def __post_init__(self):
        check_int("hidden_size", self.hidden_size, minimum=1)
        check_int("output_size", self.output_size, minimum=1)
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, high=1.0))
        object.__setattr__(self, "dropout_p", check_real("dropout_p", self.dropout_p, low=0.0, high=1.0,
                                                         high_open=True))
        if not callable(self.spike_grad):
            raise TypeError(f"spike_grad must be a spike function (a callable), got {self.spike_grad!r}")


def _check_hp(hp) -> HyperParams:
    if not isinstance(hp, HyperParams):
        raise TypeError(f"hp must be a snnlesson.rsnn.HyperParams, got {type(hp).__name__}")
    return hp


def _check_net(hp, input_size) -> tuple[HyperParams, int]:
    """``hp`` and ``input_size`` checked, and the weights of the network within the size budget."""
    hp, input_size = _check_hp(hp), check_int("input_size", input_size, minimum=1)
    h, o = hp.hidden_size, hp.output_size
    check_size(f"the weights [input_size={input_size}, hidden_size={h}, output_size={o}]",
               (input_size + h + 2) * h + (h + o + 2) * o)
    return hp, input_size


def _check_frame(x, weight: torch.Tensor) -> torch.Tensor:
    """One frame ``[batch, ...]`` for a per-frame network with first weights ``weight``: type, size,
    device and finite values (one sum, :func:`snnlesson._validate.all_finite`: a NaN frame would give
    all-zero spikes), converted to the weights' float dtype."""
    check_float_tensor("x", x)
    if not all_finite(x):
        raise ValueError("x contains NaN or infinity; every input value must be a finite number")
    if x.ndim < 2 or x.shape[0] == 0 or math.prod(x.shape[1:]) != weight.shape[1]:
        raise ValueError(f"x must be one frame per sequence, [batch >= 1, ...] with {weight.shape[1]} values per row, "
                         f"got shape {tuple(x.shape)}")
    if x.device != weight.device:
        raise ValueError(f"x is on the device {str(x.device)!r}, the network on {str(weight.device)!r}")
    return x.to(weight.dtype)


# ----------------------------------------------------------------------------- snntorch networks


class RSNNNet(nn.Module):
    """The deck's RSNN: ``flatten -> fc1 -> (dropout) -> RLeaky -> fc2 -> RLeaky``, one frame per call.

    ``forward(x)`` takes ONE frame per sequence, ``[batch, ...]``, and returns the hidden
    and output spikes ``(spk1, spk2)``; the membranes are ``snn1.mem`` and ``snn2.mem``.
    The state lives in the layers (``init_hidden=True``): call :func:`reset_state`
    before a new batch of sequences, or use :class:`SequenceModel`.
    """

    def __init__(self, hp: HyperParams, input_size: int):
        super().__init__()
        hp, input_size = _check_net(hp, input_size)
        self.hp = hp
        self.flatten = nn.Flatten(start_dim=1)
        self.fc1 = nn.Linear(input_size, hp.hidden_size, bias=True)
        self.dropout1 = nn.Dropout(hp.dropout_p)
        self.snn1 = snn.RLeaky(beta=hp.beta, spike_grad=hp.spike_grad, init_hidden=True,
                               all_to_all=True, linear_features=hp.hidden_size)
        self.fc2 = nn.Linear(hp.hidden_size, hp.output_size, bias=True)
        self.snn2 = snn.RLeaky(beta=hp.beta, spike_grad=hp.spike_grad, init_hidden=True,
                               all_to_all=True, linear_features=hp.output_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.flatten(_check_frame(x, self.fc1.weight))
        x = self.fc1(x)
        x = self.dropout1(x)
        spk1 = self.snn1(x)
        x = self.fc2(spk1)
        spk2 = self.snn2(x)
        return spk1, spk2


class FeedForwardNet(RSNNNet):
    """The feed-forward twin of :class:`RSNNNet`: the same layers and sizes, ``snn.Leaky`` instead of
    ``snn.RLeaky`` (no recurrent weights ``V``; the leaky membrane is its only memory)."""

    def __init__(self, hp: HyperParams, input_size: int):
        super().__init__(hp, input_size)
        self.snn1 = snn.Leaky(beta=hp.beta, spike_grad=hp.spike_grad, init_hidden=True)
        self.snn2 = snn.Leaky(beta=hp.beta, spike_grad=hp.spike_grad, init_hidden=True)


# ------------------------------------------------------------------------ the recurrent layer from scratch


class RecurrentLIFState(NamedTuple):
    """State of a recurrent LIF layer: membrane ``mem`` and the spikes ``spk`` of the last step."""

    mem: torch.Tensor
    spk: torch.Tensor


def recurrent_lif_step(x: torch.Tensor, state: RecurrentLIFState, params: LIFDiscreteParams,
                       recurrent: Callable[[torch.Tensor], torch.Tensor], spike_fn: Callable
                       ) -> tuple[torch.Tensor, RecurrentLIFState]:
    """One step of a recurrent LIF layer: the shared LIF step fed ``x + V S[t-1] + c``.

    .. math:: U[t] = \\beta U[t-1] + x[t] + V S[t-1] + c - R[t] U_{thr},\\quad S[t] = \\Theta(U[t] - U_{thr})

    ``recurrent`` is the map :math:`S \\mapsto V S + c` (an ``nn.Linear``); returns ``(spk, new_state)``.
    It checks types, shapes and devices; the shared step refuses a NaN or infinite input.
    """
    _check_recurrent_step(x, state, recurrent)
    spk, lif = step(x + recurrent(state.spk), LIFDiscreteState(state.mem), params, spike_fn)
    return spk, RecurrentLIFState(lif.mem, spk)


def _check_recurrent_step(x, state, recurrent) -> None:
    """Types, shapes and devices only (no scan of the values): the step runs inside loops over time."""
    check_float_tensor("x", x)
    if not (isinstance(state, RecurrentLIFState) and isinstance(state.mem, torch.Tensor)
            and isinstance(state.spk, torch.Tensor)):
        raise TypeError(f"state must be a RecurrentLIFState(mem, spk) of tensors, got {type(state).__name__}")
    if x.shape != state.spk.shape or x.device != state.spk.device:
        raise ValueError(f"x must match the state's shape {tuple(state.spk.shape)} and device "
                         f"{str(state.spk.device)!r}, got shape {tuple(x.shape)} on {str(x.device)!r}")
    check_state("state.spk", state.spk, x)  # state.mem: checked by the shared step
    if not callable(recurrent):
        raise TypeError(f"recurrent must be the map S -> V S + c (e.g. an nn.Linear), got {recurrent!r}")


class RecurrentLIF(nn.Module):
    """A layer of ``num_neurons`` recurrent LIF neurons, all to all, built on :func:`recurrent_lif_step`.

    Like ``snn.RLeaky(all_to_all=True, linear_features=num_neurons, init_hidden=True)``:
    ``forward(x)`` takes one step's input and returns its spikes; the state (``mem``,
    ``spk``) stays in the module until :meth:`reset_mem`. ``recurrent`` is an
    ``nn.Linear(num_neurons, num_neurons)`` (weights ``V``, bias ``c``), initialised as snntorch does.
    """

    def __init__(self, num_neurons: int, params: LIFDiscreteParams, spike_fn: Callable):
        super().__init__()
        self.num_neurons = check_int("num_neurons", num_neurons, minimum=1)
        check_size(f"the recurrent weights V [num_neurons={num_neurons}, num_neurons={num_neurons}]",
                   num_neurons * (num_neurons + 1))
        if not isinstance(params, LIFDiscreteParams):
            raise TypeError(f"params must be a LIFDiscreteParams, got {type(params).__name__}")
        if not callable(spike_fn):
            raise TypeError(f"spike_fn must be a spike function (a callable), got {spike_fn!r}")
        self.params, self.spike_fn = params, spike_fn
        self.recurrent = nn.Linear(num_neurons, num_neurons)
        self.state: RecurrentLIFState | None = None

    @property
    def mem(self) -> torch.Tensor | None:
        return None if self.state is None else self.state.mem

    def reset_mem(self) -> None:
        """Forget the state: the next call starts from rest (``mem = 0``, no spikes)."""
        self.state = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_float_tensor("x", x)
        if x.ndim == 0 or x.shape[-1] != self.num_neurons:
            raise ValueError(f"x must be [..., num_neurons={self.num_neurons}], got shape {tuple(x.shape)}")
        x = check_dtype_like("x", x, self.recurrent.weight, "the layer's weights")
        if self.state is None or self.state.mem.shape != x.shape:
            self.state = RecurrentLIFState(torch.zeros_like(x), torch.zeros_like(x))
        spk, self.state = recurrent_lif_step(x, self.state, self.params, self.recurrent, self.spike_fn)
        return spk


class ScratchRSNN(nn.Module):
    """:class:`RSNNNet` written from scratch on :class:`RecurrentLIF` (same parameter names).

    ``threshold`` is the firing threshold of both layers (snntorch's default is 1);
    ``spike_fn`` the spike function (:func:`snnlesson.surrogate.fast_sigmoid` by default).
    :meth:`from_rsnn` copies the weights of a trained :class:`RSNNNet`.
    """

    def __init__(self, hp: HyperParams, input_size: int, *, threshold: float = 1.0,
                 spike_fn: Callable | None = None):
        super().__init__()
        from snnlesson import surrogate

        hp, input_size = _check_net(hp, input_size)
        self.hp = hp
        spike_fn = surrogate.fast_sigmoid(25.0) if spike_fn is None else spike_fn
        params = LIFDiscreteParams(beta=hp.beta, threshold=threshold)
        self.flatten = nn.Flatten(start_dim=1)
        self.fc1 = nn.Linear(input_size, hp.hidden_size)
        self.dropout1 = nn.Dropout(hp.dropout_p)
        self.snn1 = RecurrentLIF(hp.hidden_size, params, spike_fn)
        self.fc2 = nn.Linear(hp.hidden_size, hp.output_size)
        self.snn2 = RecurrentLIF(hp.output_size, params, spike_fn)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = _check_frame(x, self.fc1.weight)
        spk1 = self.snn1(self.dropout1(self.fc1(self.flatten(x))))
        spk2 = self.snn2(self.fc2(spk1))
        return spk1, spk2

    def set_neuron_parameters(self, *, beta: float | None = None, threshold: float | None = None,
                              recurrent_scale: float | None = None) -> None:
        """Change ``beta``, the threshold, or scale the recurrent weights ``V`` (relative to now)."""
        params = self.snn1.params
        params = LIFDiscreteParams(beta=params.beta if beta is None else beta,
                                   threshold=params.threshold if threshold is None else threshold)
        self.snn1.params = self.snn2.params = params
        if recurrent_scale is not None:
            scale = check_real("recurrent_scale", recurrent_scale)
            with torch.no_grad():
                for layer in (self.snn1, self.snn2):
                    layer.recurrent.weight.mul_(scale)

    @classmethod
    def from_rsnn(cls, net: RSNNNet, spike_fn: Callable | None = None) -> "ScratchRSNN":
        """A scratch copy of an snntorch :class:`RSNNNet`: same weights, ``beta`` and threshold."""
        if not isinstance(net, RSNNNet) or isinstance(net, FeedForwardNet):
            raise TypeError(f"net must be an RSNNNet, got {type(net).__name__}")
        copy = cls(net.hp, net.fc1.in_features, threshold=float(net.snn1.threshold), spike_fn=spike_fn)
        weights = {k: v for k, v in net.state_dict().items() if k.split(".")[-1] in ("weight", "bias")}
        copy.load_state_dict(weights)
        return copy.to(net.fc1.weight.device)


# --------------------------------------------------------------------------------- running sequences


class RSNNRecord(NamedTuple):
    """What a run over videos records, time-first ``[num_steps, batch, neurons]``."""

    spk_hidden: torch.Tensor
    mem_hidden: torch.Tensor
    spk_out: torch.Tensor
    mem_out: torch.Tensor


def reset_state(net: nn.Module) -> None:
    """Zero the state of every spiking layer of ``net`` (``reset_mem()``): call it before new sequences."""
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a network (a torch.nn.Module), got {type(net).__name__}")
    for module in net.modules():
        if module is not net and callable(getattr(module, "reset_mem", None)):
            module.reset_mem()


class SequenceModel(nn.Module):
    """Runs a per-frame network (:class:`RSNNNet`, :class:`FeedForwardNet`, :class:`ScratchRSNN`) over videos.

    ``forward(frames)`` takes ``[batch, num_steps, *frame_shape]``, resets the state, feeds one
    frame per step (through :func:`snnlesson.lif_discrete.unroll`, the package's loop over
    time) and returns an :class:`RSNNRecord`. It runs on one CPU thread (:mod:`snnlesson.threads`'
    policy for small work; ``SNNLESSON_THREADS`` overrides it): with torch's default of one thread
    per core, one busy core made the lesson's 500 test videos take 0.35 to 3.8 s instead of 0.05 s.
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        if not isinstance(net, (RSNNNet, ScratchRSNN)):
            raise TypeError(f"net must be an RSNNNet, FeedForwardNet or ScratchRSNN, got {type(net).__name__}")
        self.net = net

    def forward(self, frames: torch.Tensor) -> RSNNRecord:
        frames = check_tensor("frames", frames, min_ndim=3)
        if frames[0, 0].numel() != self.net.fc1.in_features:
            raise ValueError(f"frames must be [batch, num_steps, ...] with {self.net.fc1.in_features} values per "
                             f"frame, got shape {tuple(frames.shape)}")
        reset_state(self.net)  # a new batch of sequences starts from rest

        def frame_step(x, state):
            spk1, spk2 = self.net(x)
            return RSNNRecord(spk1, self.net.snn1.mem, spk2, self.net.snn2.mem), state

        with threads.policy(max_threads=1):  # small layers: one thread is fastest, and never waits on a busy core
            record, _ = unroll(frame_step, frames.transpose(0, 1))
        return record


# ---------------------------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """A classification task on moving-digit videos, with its loss and its readout.

    name : ``"digit"`` (the digit is visible in every frame) or ``"delayed_digit"``
        (visible in the first ``cue_frames`` frames only, then a blank screen, a distractor,
        blank again: which digit came first?)
    num_frames : frames per video (= time steps)
    cue_frames : frames with the digit (``None``: all)
    answer_frames : the network answers in the last ``answer_frames`` frames
    distractor_frames : ``(start, stop)``: in frames ``start`` to ``stop - 1`` the screen shows
        ANOTHER video's moving digit (the previous video of the same set; its class differs from
        the cue's in about 9 videos out of 10), between the cue and the answer window; ``None``: no
        distractor. The label stays the cue's: the network must hold the first digit against a
        newer one, which a fading trace cannot do (the newest input dominates it).
    canvas, pool, speed : the videos are ``data.moving_digits(canvas=canvas, speed=speed)``
        (pixels per frame), average-pooled ``pool x pool`` (so 36 px -> 18 x 18 inputs)

    **Loss** (:meth:`loss`): cross-entropy of the output membranes averaged over the answer
    window. **Readout** (:meth:`scores`): the same quantity, the mean output membrane over the
    answer window; the predicted class is its largest entry (as lesson 05's ``"membrane"``
    readout). The readout is what the loss trains, so it is the same for every network and
    never has to break ties: snntorch's tutorials instead count output spikes, and a network
    whose outputs stay silent in the answer window then "answers" class 0 on every video
    (:meth:`spike_counts` gives those counts, to look at).
    """

    name: str
    num_frames: int
    cue_frames: int | None
    answer_frames: int
    canvas: int = 36
    pool: int = 2
    speed: float = 2.0
    num_classes: int = 10
    distractor_frames: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):  # TASKS' keys and the record's are lower case
            raise ValueError(f"name must be lower-case letters, digits and underscores, starting with a letter "
                             f"(like {tuple(TASKS)}), got {self.name!r:.60}")
        check_int("num_frames", self.num_frames, minimum=1)
        check_int("answer_frames", self.answer_frames, minimum=1)
        if self.answer_frames > self.num_frames:
            raise ValueError(f"answer_frames must be <= num_frames={self.num_frames}, got {self.answer_frames}")
        if self.cue_frames is not None:
            check_int("cue_frames", self.cue_frames, minimum=1)
            if self.cue_frames > self.num_frames - self.answer_frames:
                raise ValueError(f"cue_frames must end before the answer window (<= "
                                 f"{self.num_frames - self.answer_frames}), got {self.cue_frames}")
        if self.distractor_frames is not None:
            if not isinstance(self.distractor_frames, tuple) or len(self.distractor_frames) != 2:
                raise TypeError(f"distractor_frames must be None or a tuple (start, stop), got {self.distractor_frames!r}")
            start, stop = (check_int("distractor_frames (each)", f, minimum=0) for f in self.distractor_frames)
            if self.cue_frames is None:
                raise ValueError("distractor_frames needs cue_frames: a distractor follows a cue that has ended")
            if not self.cue_frames <= start < stop <= self.num_frames - self.answer_frames:
                raise ValueError(f"distractor_frames must lie between the cue and the answer window, "
                                 f"cue_frames={self.cue_frames} <= start < stop <= "
                                 f"{self.num_frames - self.answer_frames}, got {self.distractor_frames}")
        check_int("canvas", self.canvas, minimum=28)
        check_int("pool", self.pool, minimum=1, maximum=self.canvas)
        object.__setattr__(self, "speed", check_real("speed", self.speed, low=0.0))
        check_int("num_classes", self.num_classes, minimum=2)

    def _check_record(self, record) -> "RSNNRecord":
        if not isinstance(record, RSNNRecord):
            raise TypeError(f"record must be an RSNNRecord (what a SequenceModel returns), got {type(record).__name__}")
        want = (self.num_frames, self.num_classes)
        got = tuple(record.spk_out.shape)
        if record.spk_out.ndim != 3 or (got[0], got[2]) != want or record.mem_out.shape != record.spk_out.shape:
            raise ValueError(f"record must hold [num_frames={self.num_frames}, batch, num_classes={self.num_classes}] "
                             f"outputs for the task {self.name!r}, got spk_out {got}, mem_out "
                             f"{tuple(record.mem_out.shape)}")
        return check_record("record", record)

    def _check_num_samples(self, num_samples, name: str = "num_samples") -> int:
        """``num_samples`` videos within the size budget (the chunks and their concatenation)."""
        num_samples = check_int(name, num_samples, minimum=1)
        check_size(f"the videos [{name}={num_samples}, num_frames={self.num_frames}, canvas={self.canvas}]",
                   2 * num_samples * self.num_frames * self.canvas ** 2)
        return num_samples

    @property
    def input_size(self) -> int:
        return (self.canvas // self.pool) ** 2

    @property
    def chance(self) -> float:
        return 1.0 / self.num_classes

    @property
    def window(self) -> slice:
        """The answer window, as a slice of the time axis."""
        return slice(self.num_frames - self.answer_frames, self.num_frames)

    def loss(self, record: RSNNRecord, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the output membranes averaged over the answer window.

        labels : integer class indices ``[batch]`` in ``[0, num_classes)``, on the record's device.
        """
        record = self._check_record(record)
        labels = check_tensor("labels", labels, ndim=1, floating=False)
        if labels.is_floating_point() or labels.dtype == torch.bool:
            raise TypeError(f"labels must be integer class indices, got dtype {labels.dtype}")
        if len(labels) != record.mem_out.shape[1] or labels.device != record.mem_out.device:
            raise ValueError(f"labels must be [batch={record.mem_out.shape[1]}] on {str(record.mem_out.device)!r}, "
                             f"got shape {tuple(labels.shape)} on {str(labels.device)!r}")
        if bool(((labels < 0) | (labels >= self.num_classes)).any()):
            raise ValueError(f"labels must be class indices in [0, {self.num_classes}), got values from "
                             f"{int(labels.min())} to {int(labels.max())}")
        return F.cross_entropy(self.scores(record), labels)

    def scores(self, record: RSNNRecord) -> torch.Tensor:
        r"""The class scores ``[batch, num_classes]``: the output membranes averaged over the answer
        window, :math:`\tfrac{1}{|A|}\sum_{t \in A} U_{\rm out}[t]` (what :meth:`loss` trains)."""
        record = self._check_record(record)
        return record.mem_out[self.window].mean(0)

    def spike_counts(self, record: RSNNRecord) -> torch.Tensor:
        """Output spike counts in the answer window, ``[batch, num_classes]`` (0 everywhere for a silent output)."""
        record = self._check_record(record)
        return record.spk_out[self.window].sum(0)

    def videos(self, num_samples: int, *, seed: int = 0, train: bool = True, dataset=None):
        """``data.moving_digits`` videos for this task (full size, before pooling), in chunks of 500."""
        from snnlesson import data

        num_samples = self._check_num_samples(num_samples)
        seed = check_int("seed", seed, minimum=0, maximum=2 ** 63 - 1 - num_samples)
        train = check_bool("train", train)
        if dataset is None:
            dataset = data.mnist(train=train, verbose=False)
        parts = [data.moving_digits(min(500, num_samples - start), num_frames=self.num_frames, canvas=self.canvas,
                                    seed=seed + start, speed=self.speed, dataset=dataset)
                 for start in range(0, num_samples, 500)]
        return data.MovingDigits(*(torch.cat(fields) for fields in zip(*parts)))

    def inputs(self, frames: torch.Tensor, *, pooled: bool = False) -> torch.Tensor:
        """The network's input from full-size frames ``[N, T, 1, canvas, canvas]``: pooled, cue only,
        then (if the task has one) the distractor: video ``i`` shows video ``i - 1``'s digit.

        Any float dtype is kept; integer frames are converted to float32. ``pooled=True``: the
        frames are already pooled, ``[N, T, 1, canvas/pool, canvas/pool]``.
        """
        if check_bool("pooled", pooled):
            side = self.canvas // self.pool
            pooled = check_tensor("frames", frames, shape=(None, None, 1, side, side))
        else:
            frames = check_tensor("frames", frames, shape=(None, None, 1, self.canvas, self.canvas))
            n, t = frames.shape[:2]
            pooled = F.avg_pool2d(frames.flatten(0, 1), self.pool).unflatten(0, (n, t))
        x = pooled
        if self.cue_frames is not None:
            x = pooled.clone()
            x[:, self.cue_frames:] = 0.0           # the digit is gone: a blank screen
        if self.distractor_frames is not None:
            start, stop = self.distractor_frames
            x[:, start:stop] = torch.roll(pooled[:, start:stop], 1, dims=0)   # another video's digit
        return x

    def make(self, num_samples: int, *, seed: int = 0, train: bool = True, dataset=None
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(inputs [N, num_frames, 1, canvas/pool, canvas/pool], labels [N])`` for this task.

        The same as ``inputs(videos(...).frames)``, built 500 videos at a time: the full-size frames
        of all videos at once take N x num_frames x canvas² x 4 bytes, twice over while they are
        joined (414 MB for 2,000 videos of 20 frames of 36 x 36 pixels); pooled, a quarter of one copy.
        """
        from snnlesson import data

        num_samples = self._check_num_samples(num_samples)
        seed = check_int("seed", seed, minimum=0, maximum=2 ** 63 - 1 - num_samples)
        train = check_bool("train", train)
        if dataset is None:
            dataset = data.mnist(train=train, verbose=False)
        pooled, labels = [], []
        for start in range(0, num_samples, 500):   # the chunks of videos(): the same videos
            part = data.moving_digits(min(500, num_samples - start), num_frames=self.num_frames, canvas=self.canvas,
                                      seed=seed + start, speed=self.speed, dataset=dataset)
            n, t = part.frames.shape[:2]
            pooled.append(F.avg_pool2d(part.frames.flatten(0, 1), self.pool).unflatten(0, (n, t)))
            labels.append(part.labels)
            del part                                # free this chunk's frames before the next is drawn
        pooled = torch.cat(pooled)
        return self.inputs(pooled, pooled=True), torch.cat(labels)


#: The lesson's two tasks.
TASKS = {
    "digit": Task("digit", num_frames=10, cue_frames=None, answer_frames=10),
    "delayed_digit": Task("delayed_digit", num_frames=20, cue_frames=4, answer_frames=4, distractor_frames=(8, 12)),
}

#: The memory task without its distractor (the lesson's "Going further" and the benchmark): a blank gap only.
DELAY_ONLY = Task("delay_only", num_frames=20, cue_frames=4, answer_frames=4)


def _task(task) -> Task:
    if isinstance(task, str):
        check_choice("task", task, tuple(TASKS))
        return TASKS[task]
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task or one of {tuple(TASKS)}, got {type(task).__name__}")
    return task


# ------------------------------------------------------------------------------------------- training


def build(kind: str = "rsnn", hp: HyperParams | None = None, input_size: int = 18 * 18, *,
          seed: int | None = 0) -> SequenceModel:
    """A :class:`SequenceModel` around ``kind`` = ``"rsnn"`` (:class:`RSNNNet`), ``"feedforward"``
    (:class:`FeedForwardNet`) or ``"scratch"`` (:class:`ScratchRSNN`).

    ``seed`` fixes the initial weights (PyTorch's default initialisation, the caller's random
    state untouched); the same seed gives the same ``fc1`` and ``fc2`` for every kind, and
    the same recurrent weights for ``"rsnn"`` and ``"scratch"``.
    """
    check_choice("kind", kind, KINDS)
    hp = HyperParams() if hp is None else _check_hp(hp)
    cls = {"rsnn": RSNNNet, "feedforward": FeedForwardNet, "scratch": ScratchRSNN}[kind]
    if seed is None:
        return SequenceModel(cls(hp, input_size))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_seed("seed", seed))
        return SequenceModel(cls(hp, input_size))


def num_parameters(hp: HyperParams | None = None, input_size: int = 18 * 18, kind: str = "rsnn") -> int:
    r"""The number of trained parameters (weights and biases) of :func:`build`'s network ``kind``.

    RSNN: :math:`(n_{in} + 1) h + (h^2 + h) + (h + 1) o + (o^2 + o)` (``fc1``, ``V_1`` with ``c_1``,
    ``fc2``, ``V_2`` with ``c_2``); the feed-forward twin lacks the two recurrent terms.
    """
    check_choice("kind", kind, KINDS)
    hp, input_size = _check_net(HyperParams() if hp is None else hp, input_size)
    h, o = hp.hidden_size, hp.output_size
    feedforward = (input_size + 1) * h + (h + 1) * o
    return feedforward if kind == "feedforward" else feedforward + h * h + h + o * o + o


def twin_hyperparams(hp: HyperParams | None = None, input_size: int = 18 * 18) -> HyperParams:
    r"""Hyper-parameters of a feed-forward twin with as many parameters as the RSNN ``hp`` (to the
    nearest hidden neuron): the twin gets the recurrent weights' budget as extra hidden neurons,
    :math:`h' = \mathrm{round}\big((P_{\rm RSNN} - o) / (n_{in} + 1 + o)\big)`. For the lesson's
    sizes (324 inputs, 128 hidden, 10 outputs): 178 hidden neurons, 59,640 parameters against 59,512."""
    hp = HyperParams() if hp is None else _check_hp(hp)
    input_size = check_int("input_size", input_size, minimum=1)
    total, o = num_parameters(hp, input_size, "rsnn"), hp.output_size
    hidden = max(1, round((total - o) / (input_size + 1 + o)))
    return HyperParams(hidden_size=hidden, output_size=o, beta=hp.beta, spike_grad=hp.spike_grad,
                       dropout_p=hp.dropout_p)


#: How the lesson trains (Adam, one-cycle schedule; see :func:`train_network`). Batches of 32: on 2,000
#: videos, 8 epochs are 504 optimiser steps (126 with batches of 128, which left the RSNN under-trained:
#: 55 % instead of 66 % on the memory task without distractor, seed 0, same compute).
TRAINING = {"epochs": 8, "batch_size": 32, "lr": 1e-2, "schedule": "onecycle"}


def train_network(kind: str, task, train_data, test_data=None, *, hp: HyperParams | None = None,
                  seed: int = 0, progress: bool = False, device="cpu", num_threads: int | None = None,
                  **settings):
    """Build ``kind`` (seeded with ``seed``) and train it on ``task`` with :func:`snnlesson.training.train`.

    train_data, test_data : ``(inputs, labels)`` from :meth:`Task.make`.
    num_threads : torch's CPU threads while training; ``None`` (default): the package's policy
        (:mod:`snnlesson.threads`) for small work, i.e. one thread unless ``SNNLESSON_THREADS`` says
        otherwise: these networks are small, and on a 2-core CPU one thread trains them 3 times
        faster than two (much faster still when other programs are busy).
    settings : override :data:`TRAINING` (``epochs``, ``batch_size``, ``lr``, ``schedule``).
    Returns ``(model, history)``.
    """
    from snnlesson import training

    task = _task(task)
    unknown = set(settings) - set(TRAINING)
    if unknown:
        raise ValueError(f"unknown training setting(s) {sorted(unknown)}; allowed: {list(TRAINING)}")
    if num_threads is not None:
        num_threads = check_int("num_threads", num_threads, minimum=1, maximum=os.cpu_count() or 1)
    model = build(kind, hp, task.input_size, seed=seed)
    with threads.policy(num_threads, max_threads=1):  # training.train keeps the choice of this outer block
        history = training.train(model, train_data, loss_fn=task.loss, readout=task.scores, test_data=test_data,
                                 seed=seed, progress=check_bool("progress", progress), device=device,
                                 settings={"kind": kind, "task": task.name}, **{**TRAINING, **settings})
    return model, history


def _evaluate(model: SequenceModel, task: Task, test_data) -> dict:
    """Accuracy with the lesson's readout (mean output membrane), and what a spike-count readout would say."""
    inputs, labels = test_data
    model.eval()
    with torch.no_grad():
        record = model(inputs)
    counts = task.spike_counts(record)
    result = {"accuracy": float((task.scores(record).argmax(1) == labels).float().mean()),
              "spike_count_accuracy": float((counts.argmax(1) == labels).float().mean()),
              "silent_outputs": float((counts.sum(1) == 0).float().mean())}
    if task.distractor_frames is not None:  # how often the answer is the distractor's class (video i-1's label)
        distractor = torch.roll(labels, 1)
        differs = distractor != labels
        result["answers_distractor"] = float((task.scores(record).argmax(1)[differs] == distractor[differs])
                                             .float().mean())
    return result


def bench() -> dict:
    """RSNN against its feed-forward twin (as many parameters: :func:`twin_hyperparams`) on the lesson's
    tasks and on the memory task without its distractor, over seeds.

    One readout for both networks, the one the loss trains (:meth:`Task.scores`); the spike-count
    readout and the fraction of test videos with a silent output are reported beside it.
    Environment: ``SNNLESSON_RSNN_SEEDS`` (default 3), ``SNNLESSON_RSNN_EPOCHS`` (default
    :data:`TRAINING`'s), ``SNNLESSON_RSNN_VIDEOS`` (training videos, default 2,000; test videos:
    500). Digits come from :func:`snnlesson.data.mnist` (its source is reported).
    Seed ``s`` draws its own videos and initial weights; seed 0 is the lesson's run.
    """
    import statistics

    from snnlesson import data

    seeds = check_int("SNNLESSON_RSNN_SEEDS", int(os.environ.get("SNNLESSON_RSNN_SEEDS", "3")), minimum=1)
    epochs = int(os.environ.get("SNNLESSON_RSNN_EPOCHS", TRAINING["epochs"]))
    videos = check_int("SNNLESSON_RSNN_VIDEOS", int(os.environ.get("SNNLESSON_RSNN_VIDEOS", "2000")), minimum=4)
    train_set, test_set = data.mnist(train=True, verbose=False), data.mnist(train=False, verbose=False)
    result = {"dataset": train_set.source, "seeds": seeds, "epochs": epochs, "train_videos": videos,
              "test_videos": 500, "batch_size": TRAINING["batch_size"], "readout": "mean output membrane",
              "parameters": {"rsnn": num_parameters(), "feedforward": num_parameters(twin_hyperparams(),
                                                                                      kind="feedforward")}}
    seconds, epochs_run = 0.0, 0
    for key, task in (("digit", TASKS["digit"]), ("memory", TASKS["delayed_digit"]), ("delay_only", DELAY_ONLY)):
        runs = {"rsnn": [], "feedforward": []}
        for seed in range(seeds):
            train_data = task.make(videos, seed=seed, dataset=train_set)
            test_data = task.make(500, seed=seed + 1_000_000, dataset=test_set)
            for kind in runs:
                hp = twin_hyperparams(input_size=task.input_size) if kind == "feedforward" else None
                model, history = train_network(kind, task, train_data, None, hp=hp, seed=seed, epochs=epochs)
                runs[kind].append(_evaluate(model, task, test_data))
                seconds += history.train_seconds
                epochs_run += len(history.epoch_seconds)
        summary = {"task": task.name, "chance": task.chance}
        for kind, per_seed in runs.items():
            accuracies = [r["accuracy"] for r in per_seed]
            summary[kind] = {"accuracy_mean": round(statistics.fmean(accuracies), 4),
                             "accuracy_std": round(statistics.stdev(accuracies), 4) if seeds > 1 else 0.0,
                             **{name: [round(r[name], 4) for r in per_seed] for name in per_seed[0]}}
        result[key] = summary
    result["seconds_per_epoch"] = round(seconds / epochs_run, 3)
    result["torch_threads"], result["threads_reason"] = (history.settings["torch_threads"],
                                                         history.settings["threads_reason"])  # the last run's
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    return result
