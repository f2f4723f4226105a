"""One training loop for every network of the course: mini-batches, Adam, a progress bar, seeds, devices.

Training by gradient descent repeats, for each mini-batch :math:`(x, y)`:

.. math:: \\text{output} = f_\\theta(x), \\qquad L = \\ell(\\text{output}, y), \\qquad
          \\theta \\leftarrow \\theta - \\text{Adam}(\\nabla_\\theta L)

For a spiking network :math:`f_\\theta` is unrolled over time, so ``loss.backward()``
is backpropagation through time. Nothing here knows about spikes or MNIST:

* the model maps a batch to any output record (``model(x)``, or ``forward_fn(model, x, generator)``),
* ``loss_fn(output, y)`` gives the scalar loss,
* ``readout(output)`` gives class scores ``[batch, num_classes]`` for the accuracy.

:func:`train` returns a :class:`History`; :func:`evaluate` gives an accuracy and
:func:`predict` the predicted classes; :func:`save_checkpoint` / :func:`load_checkpoint`
store weights with ``torch.save`` and read them back with ``torch.load(weights_only=True)``
(which never runs code from the file); a checkpoint carries a SHA-256 checksum of its content,
and empty, truncated, altered (one flipped byte), foreign or mismatched files, non-regular files
(a FIFO, a directory) and non-finite weights are refused with a :class:`CheckpointError`.

Same seed, same result: shuffling (and any randomness of the model or ``forward_fn``)
is drawn from ``seed``. The lessons train on the CPU (``device="cpu"``); a reader
with a GPU passes ``device="cuda"``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
from torch import nn

from snnlesson import _files, threads
from snnlesson._validate import (check_bool, check_choice, check_device, check_int, check_real, check_seed,
                                 check_tensor, max_bytes)

__all__ = ["History", "train", "evaluate", "predict", "confusion_matrix", "per_class_accuracy",
           "save_checkpoint", "load_checkpoint", "CheckpointError", "as_tensors", "model_device"]

CHECKPOINT_FORMAT = "snnlesson.checkpoint/2"
#: Formats of older snnlesson versions: /1 had no checksum (loaded only with ``allow_unverified=True``).
OLD_CHECKPOINT_FORMATS = ("snnlesson.checkpoint/1",)
#: More epochs than any lesson needs: a larger number is a typo, not a plan (it would run for days).
MAX_EPOCHS = 10_000


@dataclass
class History:
    """What :func:`train` returns.

    batch_loss : loss of every mini-batch; epoch_loss : mean loss per epoch;
    train_accuracy / test_accuracy : fraction correct per epoch (empty without a readout /
    without test data); epoch_seconds : training time per epoch (s, evaluation excluded);
    train_seconds : their sum; seed, device : as passed to :func:`train`;
    settings : the other settings of the run (and whatever the caller adds, e.g. a recipe), with
    ``torch_threads`` and ``threads_reason``: the CPU threads it used and why (:mod:`snnlesson.threads`).
    """

    batch_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    train_seconds: float = 0.0
    seed: int = 0
    device: str = "cpu"
    settings: dict = field(default_factory=dict)

    def __post_init__(self):  # the scalar fields are checked like arguments (a complex seed is no seed)
        self.train_seconds = check_real("train_seconds", self.train_seconds, low=0.0)
        self.seed = check_seed("seed", self.seed)
        if not isinstance(self.device, str):
            raise TypeError(f"device must be a device name such as 'cpu', got {type(self.device).__name__}")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        """The inverse of :meth:`as_dict` (unknown keys are refused with a ``ValueError``)."""
        if not isinstance(d, dict):
            raise TypeError(f"a History is built from a dict, got {type(d).__name__}")
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown History field(s) {sorted(unknown)}")
        return cls(**d)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: missing, empty, truncated, foreign, mismatched or not finite."""


# --------------------------------------------------------------------------------- helpers


def as_tensors(data, name: str = "data") -> tuple[torch.Tensor, torch.Tensor]:
    """``(inputs, labels)`` from a pair of tensors or a ``TensorDataset`` of two tensors.

    ``inputs`` must be finite with at least one example (any float dtype; integers are
    converted to float32); ``labels`` must have one entry per example.
    """
    if isinstance(data, torch.utils.data.TensorDataset):
        data = data.tensors
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be (inputs, labels) tensors or a TensorDataset of two tensors, "
                        f"got {type(data).__name__}")
    inputs = check_tensor(f"{name} inputs", data[0], min_ndim=1)
    labels = check_tensor(f"{name} labels", data[1], min_ndim=1, floating=False)
    if labels.shape[0] != inputs.shape[0]:
        raise ValueError(f"{name}: {inputs.shape[0]} inputs but {labels.shape[0]} labels; "
                         "there must be one label per input")
    return inputs, labels


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (the CPU for a model without any)."""
    _check_model(model)
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _check_model(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _check_callable(name: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {type(value).__name__}")
    return value


def _default_forward(model, x, generator):
    return model(x)


def _scores(readout, output, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Class scores ``[batch, num_classes]`` from ``readout``, checked (and the labels against them)."""
    scores = readout(output)
    if not isinstance(scores, torch.Tensor) or scores.ndim != 2:
        raise ValueError("readout(output) must return class scores [batch, num_classes], got "
                         f"{tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__}")
    if labels is not None:
        if labels.is_floating_point():
            raise TypeError(f"labels must be integer class indices to compute an accuracy, got dtype {labels.dtype}")
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= scores.shape[1]:
            raise ValueError(f"labels must lie in 0..{scores.shape[1] - 1} (readout gives {scores.shape[1]} "
                             f"classes), got labels from {lo} to {hi}")
    return scores


def _progress(iterable, enabled: bool, **kw):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **kw)


def _fork_rng(device: torch.device):
    devices = [device.index or 0] if device.type == "cuda" else []
    return torch.random.fork_rng(devices=devices)


# ------------------------------------------------------------------------------- training


def train(model: nn.Module, train_data, *, loss_fn: Callable, epochs: int = 1, batch_size: int = 128,
          lr: float = 1e-3, schedule: str = "onecycle", test_data=None, readout: Callable | None = None,
          seed: int = 0, device="cpu", progress: bool = True, forward_fn: Callable | None = None,
          weight_decay: float = 0.0, max_seconds: float | None = None, eval_every_epoch: bool = True,
          settings: dict | None = None) -> History:
    """Train ``model`` with Adam on mini-batches; returns a :class:`History`.

    train_data, test_data : ``(inputs, labels)`` tensors or a ``TensorDataset`` (first dimension:
        examples). The data stay where they are; each mini-batch is moved to ``device``.
    loss_fn : ``loss_fn(output, labels) -> scalar tensor``.
    readout : ``readout(output) -> [batch, num_classes]`` class scores; the accuracy (train, and
        test if ``test_data``) is recorded per epoch when given.
    schedule : ``"onecycle"`` (warm up to ``lr`` over the first 20 % of the batches, then anneal
        to about 0) or ``"constant"``.
    seed : shuffling and any randomness drawn while training (the caller's random state is left
        untouched); the initial weights are the model's own.
    device : ``"cpu"`` (default) or e.g. ``"cuda"``; the model is moved there.
    forward_fn : ``forward_fn(model, inputs, generator) -> output`` instead of ``model(inputs)``
        (e.g. to encode the inputs as spikes with the training ``generator``).
    max_seconds : stop after the first batch that ends past this much training time.
    eval_every_epoch : with ``False``, test only after the last epoch.
    settings : extra entries for ``History.settings``.

    Runs under :func:`snnlesson.threads.policy` (torch's CPU threads: ``SNNLESSON_THREADS``, the
    user's setting, else the free CPUs). Raises ``ValueError`` if the loss becomes NaN or infinite
    (lower ``lr``).
    """
    model = _check_model(model)
    inputs, labels = as_tensors(train_data, "train_data")
    test = as_tensors(test_data, "test_data") if test_data is not None else None
    loss_fn = _check_callable("loss_fn", loss_fn)
    readout = _check_callable("readout", readout, allow_none=True)
    forward_fn = _check_callable("forward_fn", forward_fn, allow_none=True) or _default_forward
    epochs = check_int("epochs", epochs, minimum=1, maximum=MAX_EPOCHS)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True, high=10.0)
    weight_decay = check_real("weight_decay", weight_decay, low=0.0)
    check_choice("schedule", schedule, ("onecycle", "constant"))
    seed = check_seed("seed", seed)
    device = check_device("device", device)
    progress = check_bool("progress", progress)
    eval_every_epoch = check_bool("eval_every_epoch", eval_every_epoch)
    if max_seconds is not None:
        max_seconds = check_real("max_seconds", max_seconds, low=0.0, low_open=True)
    if settings is not None and not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict or None, got {type(settings).__name__}")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model has no trainable parameters")

    model.to(device).train()
    with threads.policy() as choice, _fork_rng(device):
        history = History(seed=seed, device=str(device), settings={
            "epochs": epochs, "batch_size": batch_size, "lr": lr, "schedule": schedule, "weight_decay": weight_decay,
            "torch_threads": choice.threads, "threads_reason": choice.reason, **(settings or {})})
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=weight_decay)
        batches_per_epoch = math.ceil(inputs.shape[0] / batch_size)
        scheduler = None
        if schedule == "onecycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                            steps_per_epoch=batches_per_epoch, pct_start=0.2)
        seconds = 0.0
        for epoch in range(epochs):
            start = time.perf_counter()
            order = torch.randperm(inputs.shape[0], generator=generator)
            correct, total, loss_sum = 0, 0, 0.0
            bar = _progress(range(batches_per_epoch), progress, desc=f"epoch {epoch + 1}/{epochs}", leave=True)
            stop = False
            for b in bar:
                idx = order[b * batch_size:(b + 1) * batch_size]
                x, y = inputs[idx].to(device), labels[idx].to(device)
                output = forward_fn(model, x, generator)
                scores = _scores(readout, output, y if (epoch, b) == (0, 0) else None) if readout else None
                loss = loss_fn(output, y)
                if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                    raise ValueError(f"loss_fn must return a scalar tensor, got {type(loss).__name__}"
                                     + (f" of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else ""))
                loss_value = loss.item()
                if not math.isfinite(loss_value):  # before backward: a NaN loss must not reach the weights
                    raise ValueError(f"the loss became {loss_value} at epoch {epoch + 1}, batch {b + 1}: "
                                     f"training diverged; use a smaller lr (lr={lr})")
                if not loss.requires_grad:
                    raise ValueError("loss_fn must return a loss computed from the model's output (it has no "
                                     "gradient: was it built with .item(), .detach() or torch.tensor?)")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                history.batch_loss.append(loss_value)
                loss_sum += loss_value * idx.numel()
                total += idx.numel()
                if scores is not None:
                    correct += int((scores.argmax(1) == y).sum())
                if progress and b % 10 == 0:
                    post = {"loss": f"{loss_value:.3f}"}
                    if scores is not None:
                        post["acc"] = f"{correct / total:.3f}"
                    bar.set_postfix(post)
                if max_seconds is not None and seconds + time.perf_counter() - start > max_seconds:
                    stop = True
                    break
            elapsed = time.perf_counter() - start
            seconds += elapsed
            if progress:
                bar.close()
            history.epoch_seconds.append(elapsed)
            history.epoch_loss.append(loss_sum / total)
            if readout is not None:
                history.train_accuracy.append(correct / total)
                if test is not None and (eval_every_epoch or stop or epoch == epochs - 1):
                    # 250 test examples at a time: lesson 05's network records [steps, batch, 1000] spikes and
                    # membranes, and batches of 1000 held ~130 MB at once (its notebook's peak memory)
                    history.test_accuracy.append(_accuracy(model, test, readout, forward_fn, 250, device,
                                                           generator))
            if stop:
                break
    history.train_seconds = seconds
    return history


# ----------------------------------------------------------------------------- evaluation


@torch.no_grad()
def _predict(model, inputs, readout, forward_fn, batch_size, device, generator) -> tuple[torch.Tensor, int]:
    """(predicted classes [N] on the CPU, number of classes the readout gives)."""
    was_training = model.training
    model.eval()
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
    if dtype is not None and inputs.is_floating_point() and inputs.dtype != dtype:
        inputs = inputs.to(dtype)  # float64 inputs to a float32 model: the weights decide the precision
    out, n_classes = [], 0
    try:
        for start in range(0, inputs.shape[0], batch_size):
            try:
                output = forward_fn(model, inputs[start:start + batch_size].to(device), generator)
            except (TypeError, ValueError) as err:  # say which argument did not fit
                kind = ValueError if isinstance(err, ValueError) else TypeError
                raise kind(f"inputs of shape {tuple(inputs.shape)} do not fit the model: {err}") from err
            scores = _scores(readout, output)
            n_classes = scores.shape[1]
            out.append(scores.argmax(1).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out), n_classes


def _accuracy(model, data, readout, forward_fn, batch_size, device, generator) -> float:
    inputs, labels = data
    if labels.is_floating_point():
        raise TypeError(f"labels must be integer class indices, got dtype {labels.dtype}")
    predicted, n_classes = _predict(model, inputs, readout, forward_fn, batch_size, device, generator)
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1} (readout gives {n_classes} classes), "
                         f"got labels from {lo} to {hi}")
    return float((predicted == labels.cpu()).float().mean())


def _eval_setup(model, readout, forward_fn, batch_size, device, seed, generator):
    model = _check_model(model)
    readout = _check_callable("readout", readout)
    forward_fn = _check_callable("forward_fn", forward_fn, allow_none=True) or _default_forward
    batch_size = check_int("batch_size", batch_size, minimum=1)
    device = check_device("device", device, allow_none=True)
    if device is None:
        device = model_device(model)
    else:
        model.to(device)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if generator is None:
        generator = torch.Generator().manual_seed(check_seed("seed", seed))
    return model, readout, forward_fn, batch_size, device, generator


def predict(model: nn.Module, inputs: torch.Tensor, *, readout: Callable, batch_size: int = 1000, device=None,
            forward_fn: Callable | None = None, seed: int = 0, generator: torch.Generator | None = None
            ) -> torch.Tensor:
    """Predicted classes (``argmax`` of ``readout(output)``) for ``inputs``, an int64 tensor ``[N]`` on the CPU.

    device : where to run (``None``: where the model is). ``forward_fn``, ``seed`` / ``generator``:
    as in :func:`train` (randomness of an input encoding).
    """
    model, readout, forward_fn, batch_size, device, generator = _eval_setup(
        model, readout, forward_fn, batch_size, device, seed, generator)
    inputs = check_tensor("inputs", inputs, min_ndim=1)
    with threads.policy():
        return _predict(model, inputs, readout, forward_fn, batch_size, device, generator)[0]


def evaluate(model: nn.Module, data, *, readout: Callable, batch_size: int = 1000, device=None,
             forward_fn: Callable | None = None, seed: int = 0, generator: torch.Generator | None = None
             ) -> float:
    """Accuracy (fraction correct) of ``model`` on ``data`` = ``(inputs, labels)`` or a ``TensorDataset``."""
    model, readout, forward_fn, batch_size, device, generator = _eval_setup(
        model, readout, forward_fn, batch_size, device, seed, generator)
    data = as_tensors(data, "data")
    with threads.policy():
        return _accuracy(model, data, readout, forward_fn, batch_size, device, generator)


def _class_labels(predicted, labels, num_classes) -> tuple[torch.Tensor, torch.Tensor, int]:
    num_classes = check_int("num_classes", num_classes, minimum=1, maximum=100_000)
    predicted = check_tensor("predicted", predicted, convert=True, ndim=1, floating=False, allow_empty=True)
    labels = check_tensor("labels", labels, convert=True, ndim=1, floating=False, allow_empty=True)
    for name, value in (("predicted", predicted), ("labels", labels)):
        if value.is_floating_point() or value.dtype == torch.bool:
            raise TypeError(f"{name} must hold integer class indices, got dtype {value.dtype}")
        if value.numel() and (int(value.min()) < 0 or int(value.max()) >= num_classes):
            raise ValueError(f"{name} must lie in 0..{num_classes - 1} (num_classes={num_classes}), got values "
                             f"from {int(value.min())} to {int(value.max())}")
    if predicted.shape != labels.shape or labels.numel() == 0:
        raise ValueError(f"predicted and labels must be 1-D, of the same non-zero length, got shapes "
                         f"{tuple(predicted.shape)} and {tuple(labels.shape)}")
    return predicted.cpu().long(), labels.cpu().long(), num_classes


def confusion_matrix(predicted, labels, num_classes: int = 10) -> torch.Tensor:
    """Counts ``[num_classes, num_classes]``: row = true class, column = predicted class.

    ``C[i, j]`` = number of examples of class ``i`` predicted as ``j``; the diagonal holds the
    correct ones. ``predicted`` and ``labels``: integer tensors (or arrays) ``[N]`` in ``0..num_classes-1``.
    """
    predicted, labels, num_classes = _class_labels(predicted, labels, num_classes)
    flat = torch.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_accuracy(predicted, labels, num_classes: int = 10) -> torch.Tensor:
    """Fraction correct per true class ``[num_classes]`` (float64): ``C[i, i] / sum_j C[i, j]``.

    A class absent from ``labels`` gets NaN (no example to be right or wrong about).
    """
    counts = confusion_matrix(predicted, labels, num_classes).double()
    return counts.diagonal() / counts.sum(1)  # 0/0 = NaN for an absent class


# ---------------------------------------------------------------------------- checkpoints
#
# A checkpoint is a ``torch.save`` file holding a dict of plain values and tensors only (so that
# ``torch.load(weights_only=True)`` reads it without running code from the file):
#
#     {"format": CHECKPOINT_FORMAT, "kind": str, "config": dict, "state_dict": {name: tensor},
#      "history": dict or None, "sha256": the checksum of everything else}
#
# The checksum is SHA-256 over the content itself (kind, config and history as canonical JSON,
# then every tensor's name, dtype, shape and bytes, in name order), not over the file's bytes: it
# does not depend on how torch lays the file out, and one changed weight, name or setting changes it.


def _check_path(path) -> str:
    return _files.check_path("path", path)


def _nonfinite(state_dict: dict) -> list:
    return [k for k, v in state_dict.items()
            if isinstance(v, torch.Tensor) and v.is_floating_point() and not bool(torch.isfinite(v).all())]


def _check_plain(name: str, value, *, finite: bool, depth: int = 0):
    """``value`` if it is made of JSON's plain values only (``None``, bool, int, float, str, lists,
    tuples, dicts with string keys); anything else (a function, a tensor, a class) is a ``TypeError``."""
    if depth > 20:
        raise ValueError(f"{name} is nested more than 20 levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if type(value) is not int:  # an IntEnum or another int subclass would not load back
            raise TypeError(f"{name} must hold plain values only; {value!r} is a {type(value).__name__}")
        return value
    if isinstance(value, float):
        if type(value) is not float:
            raise TypeError(f"{name} must hold plain values only; {value!r} is a {type(value).__name__}")
        if finite and not math.isfinite(value):
            raise ValueError(f"{name} must hold finite numbers, got {value!r}")
        return value
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_plain(f"{name}[{i}]", item, finite=finite, depth=depth + 1)
        return value
    if type(value) is dict:
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{name} must have string keys (as in JSON), got the key {key!r}")
            _check_plain(f"{name}[{key!r}]", item, finite=finite, depth=depth + 1)
        return value
    raise TypeError(f"{name} must hold plain values only (numbers, strings, bools, None, lists and dicts, as "
                    f"in JSON), got a {type(value).__name__}: {_shown_value(value)}")


def _shown_value(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _checkpoint_digest(blob: dict) -> str:
    """SHA-256 (hex) of a checkpoint's content: kind, config and history as canonical JSON, then
    each tensor's name, dtype, shape and bytes in name order."""
    digest = hashlib.sha256()
    head = {"format": blob["format"], "kind": blob["kind"], "config": blob["config"], "history": blob["history"]}
    digest.update(json.dumps(head, sort_keys=True, allow_nan=True, separators=(",", ":")).encode("utf-8"))
    for key in sorted(blob["state_dict"]):
        tensor = blob["state_dict"][key]
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"state_dict[{key!r}] is a {type(tensor).__name__}, not a tensor")
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(json.dumps([key, str(flat.dtype), list(tensor.shape), flat.numel()]).encode("utf-8"))
        digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    return digest.hexdigest()


def save_checkpoint(model: nn.Module, path, *, kind: str = "model", config: dict | None = None,
                    history: History | None = None) -> None:
    """Save the weights, a ``config`` to rebuild the model and (optionally) the history.

    kind : what the file holds (e.g. ``"bptt"``), checked by :func:`load_checkpoint`.
    config : plain Python values (numbers, strings, bools, None, lists and dicts with string keys,
        as in JSON) only; anything else (a function, a tensor) is a ``TypeError``, since
        :func:`load_checkpoint` could not read it back.
    The file carries a SHA-256 checksum of its content, which :func:`load_checkpoint` verifies.
    It is written to a hidden temporary file in the same folder and renamed, so an interrupted
    save never leaves a half-written checkpoint; the temporary file is removed when the save
    fails or is interrupted, and one left by a killed process is removed by the next save to
    that folder. Non-finite weights are refused (``ValueError``), complex weights too (``TypeError``).
    """
    model = _check_model(model)
    path = _check_path(path)
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"kind must be a non-empty string, got {kind!r}")
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config must be a dict or None, got {type(config).__name__}")
    config = _check_plain("config", dict(config or {}), finite=True)
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a History or None, got {type(history).__name__}")
    history_dict = _check_plain("history", history.as_dict(), finite=False) if history is not None else None
    _files.check_destination("path", path, what="a checkpoint")
    state = {}
    for k, v in model.state_dict().items():
        if not isinstance(v, torch.Tensor):
            raise TypeError(f"model's state_dict entry {k!r} is a {type(v).__name__}, not a tensor: only weights "
                            "and buffers can be saved")
        if v.device.type == "meta":
            raise ValueError(f"model weight {k!r} is on the 'meta' device, which holds no data: nothing to save")
        if v.is_complex():
            raise TypeError(f"model weight {k!r} is complex ({v.dtype}): a checkpoint holds real weights only "
                            "(save the real and imaginary parts as separate real weights)")
        state[k] = v.detach().cpu()
    bad = _nonfinite(state)
    if bad:
        raise ValueError(f"model weights {bad} contain NaN or infinity; refusing to save them")
    blob = {"format": CHECKPOINT_FORMAT, "kind": kind, "config": config, "state_dict": state,
            "history": history_dict}
    blob["sha256"] = _checkpoint_digest(blob)
    _files.write_atomic("path", path, lambda f: torch.save(blob, f), prefix="checkpoint", what="a checkpoint")


def load_checkpoint(path, build, *, kind: str | None = None, device="cpu",
                    allow_unverified: bool = False) -> tuple[nn.Module, History | None]:
    """``(model, history)`` from :func:`save_checkpoint`, read with ``torch.load(weights_only=True)``.

    build : a model to load the weights into, or a function ``build(config) -> model``.
    kind : if given, the file must hold that kind of checkpoint.
    device : where to put the model (default the CPU).
    allow_unverified : also load a checkpoint saved by snnlesson before checkpoints carried a
        checksum (format ``snnlesson.checkpoint/1``), whose content cannot be verified; save it
        again to give it one. Default ``False``.

    A missing file, a directory, FIFO or device in its place, a file larger than the size
    budget (:func:`snnlesson._validate.max_bytes`), an empty, truncated or foreign file, content
    that does not match its checksum (one flipped byte), a checkpoint of another kind, weights
    that do not fit the model and non-finite or complex weights raise :class:`CheckpointError`
    (a ``ValueError``) that names the file and what is wrong.
    """
    path = _check_path(path)
    if kind is not None and (not isinstance(kind, str) or not kind):
        raise TypeError(f"kind must be None or a non-empty string such as 'bptt', got {kind!r}")
    if not (isinstance(build, nn.Module) or callable(build)):
        raise TypeError(f"build must be a model or a function config -> model, got {type(build).__name__}")
    device = check_device("device", device)
    allow_unverified = check_bool("allow_unverified", allow_unverified)
    try:
        raw = _files.read_bytes("path", path, limit=max_bytes(), what="a checkpoint")
    except _files.FileProblem as err:
        text = str(err)
        if err.reason == "missing":
            text = f"checkpoint path {path!r} does not exist"
        elif err.reason == "too-large":
            text += " (snnlesson._validate.set_max_bytes raises the limit)"
        raise CheckpointError(text) from None
    if not raw:
        raise CheckpointError(f"checkpoint {path!r} is empty (0 bytes): it was not written completely")
    try:
        blob = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged file
        text = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        if any(word in str(err) for word in ("Unsupported global", "Unsupported class", "GLOBAL")):
            raise CheckpointError(f"{path!r} holds Python objects other than weights: it is not a snnlesson "
                                  "checkpoint (and is not loaded, since that could run code)") from err
        raise CheckpointError(f"{path!r} is not a readable checkpoint (truncated or damaged file?): {text}") from err
    del raw
    found = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
    if found in OLD_CHECKPOINT_FORMATS and not allow_unverified:
        raise CheckpointError(f"{path!r} was saved by an older snnlesson, without a checksum, so its content cannot "
                              "be verified; if you trust it, load it with snnlesson.training.load_checkpoint(path, build, "
                              "allow_unverified=True) (build: the model, or a function config -> model) and save it "
                              "again")
    if found != CHECKPOINT_FORMAT and found not in OLD_CHECKPOINT_FORMATS:
        raise CheckpointError(f"{path!r} is not a snnlesson checkpoint (format {found!r}, "
                              f"expected {CHECKPOINT_FORMAT!r})")
    missing = {"kind", "config", "state_dict", "history"} - set(blob)
    if found == CHECKPOINT_FORMAT and not isinstance(blob.get("sha256"), str):
        missing.add("sha256")
    if missing or not isinstance(blob["state_dict"], dict) or not isinstance(blob["config"], dict):
        raise CheckpointError(f"{path!r} is an incomplete checkpoint (missing or wrong {sorted(missing) or 'fields'})")
    if found == CHECKPOINT_FORMAT:
        try:
            digest = _checkpoint_digest(blob)
        except (TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{path!r} is damaged: its content cannot be checked ({err})") from None
        if digest != blob["sha256"]:
            raise CheckpointError(f"{path!r} is damaged: its content does not match the checksum saved with it "
                                  f"(sha256 {digest[:16]}..., saved {str(blob['sha256'])[:16]}...). The file was "
                                  "changed after it was saved (a disk, copy or download error?); save the model again")
    if kind is not None and blob["kind"] != kind:
        raise CheckpointError(f"{path!r} is a {blob['kind']!r} checkpoint, expected {kind!r} (kind={kind!r})")
    not_tensors = [k for k, v in blob["state_dict"].items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(f"{path!r} holds non-tensor entries {not_tensors} among its weights")
    complex_weights = [k for k, v in blob["state_dict"].items() if v.is_complex()]
    if complex_weights:
        raise CheckpointError(f"{path!r} holds complex weights {complex_weights}; loading them into a model would "
                              "drop their imaginary parts")
    bad = _nonfinite(blob["state_dict"])
    if bad:
        raise CheckpointError(f"{path!r} has non-finite weights (NaN or infinity) in {bad}; refusing to load them")
    if isinstance(build, nn.Module):
        model = build
    else:
        try:
            model = build(dict(blob["config"]))
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{path!r}: its configuration {blob['config']} does not build a model: "
                                  f"{err}") from err
        if not isinstance(model, nn.Module):
            raise TypeError(f"build(config) must return a torch.nn.Module, got {type(model).__name__}")
    expected = model.state_dict()
    missing_keys = sorted(set(expected) - set(blob["state_dict"]))
    extra_keys = sorted(set(blob["state_dict"]) - set(expected))
    wrong = [f"{k}: {tuple(blob['state_dict'][k].shape)} in file, {tuple(v.shape)} in model"
             for k, v in expected.items() if k in blob["state_dict"]
             and getattr(blob["state_dict"][k], "shape", None) != v.shape]
    if missing_keys or extra_keys or wrong:
        raise CheckpointError(f"{path!r} does not fit the model: missing {missing_keys}, unexpected {extra_keys}, "
                              f"wrong shapes {wrong}")
    model.load_state_dict(blob["state_dict"])
    model.to(device)
    history = None
    if blob["history"] is not None:
        try:
            history = History.from_dict(dict(blob["history"]))
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{path!r} has a damaged history: {err}") from err
    return model, history
