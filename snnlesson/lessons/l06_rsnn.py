"""Lesson 06 (a recurrent SNN on moving digits): the lesson's training run, figures, explorer and exercise.

* :func:`load_data`, :func:`train_lesson`: the data and the training run the notebook
  makes (RSNN and its feed-forward twin on both tasks of :mod:`snnlesson.rsnn`);
  :func:`load_record` / :func:`write_record`: the saved record of the last training run
  (``python -m snnlesson.lessons.l06_rsnn --record`` retrains and rewrites it);
* figures: :func:`gallery_animation` and :func:`frame_strip` (the data set),
  :func:`spike_rasters`, :func:`weight_heatmaps`, :func:`weight_histograms`,
  :func:`comparison_bars`, :func:`training_curves`;
* :func:`rsnn_explorer`: beta, threshold and recurrent strength of a trained RSNN, with the
  rasters of one sequence redrawn on every move;
* :func:`check_recurrent_step`: the exercise (one step of a recurrent LIF layer).
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import io
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from snnlesson import _files, _machine, rsnn, threads
from snnlesson._plotcheck import as_array
from snnlesson._validate import check_bool, check_choice, check_int, check_real, check_seed, check_tensor
from snnlesson.checks import (CheckResult, call_answer, compare_arrays, diagnose, failed, is_stub, not_attempted,
                              passed)
from snnlesson.explorer import Explorer, register_explorer, slider

__all__ = [
    "LESSON", "code_listing", "load_data", "train_lesson", "RECORD_NAME", "TRAINED_NAME", "load_record", "write_record",
    "load_trained", "record_summary",
    "gallery_animation", "frame_strip", "spike_rasters", "weight_heatmaps", "weight_histograms",
    "comparison_bars", "training_curves", "rsnn_explorer", "check_recurrent_step",
    "network_weights", "forward_scores", "FORWARD_MISTAKES", "check_forward_pass", "scores_agreement",
]

#: The notebook's training run: sizes, seeds and epochs (seconds per network on a 2-core CPU).
LESSON = {"train_videos": 2000, "test_videos": 500, "seed": 0, "epochs": 8}
RECORD_NAME = "rsnn_training_record.json"
#: The trained weights of the same run (NumPy ``.npz``, one array per ``"task/kind/parameter"``), beside the record.
TRAINED_NAME = "rsnn_trained.npz"
_KIND_LABEL = {"rsnn": "RSNN (RLeaky)", "feedforward": "feed-forward twin (Leaky, 178 hidden)"}
_COLORS = {"rsnn": "tab:blue", "feedforward": "tab:orange"}


# ------------------------------------------------------------------------------- data and training


def load_data(task: str, *, train_videos: int = LESSON["train_videos"], test_videos: int = LESSON["test_videos"],
              seed: int = LESSON["seed"], split: str = "both") -> tuple:
    """``(train_data, test_data)`` for ``task`` (a name of :data:`snnlesson.rsnn.TASKS`), seeded.

    Each is ``(inputs, labels)`` from :meth:`snnlesson.rsnn.Task.make`. ``split="train"`` or
    ``"test"`` returns that one alone, the same videos without making the other's (the test
    videos of a figure need not wait for 2,000 training videos).
    """
    from snnlesson import data

    task = rsnn._task(task)
    split = check_choice("split", split, ("both", "train", "test"))
    train_videos = task._check_num_samples(train_videos, "train_videos")
    test_videos = task._check_num_samples(test_videos, "test_videos")
    seed = check_int("seed", seed, minimum=0, maximum=2 ** 63 - 2_000_000)
    train = (task.make(train_videos, seed=seed, dataset=data.mnist(train=True, verbose=False))
             if split != "test" else None)
    test = (task.make(test_videos, seed=seed + 1_000_000, dataset=data.mnist(train=False, verbose=False))
            if split != "train" else None)
    return {"both": (train, test), "train": train, "test": test}[split]


def train_lesson(task: str, kinds=("rsnn", "feedforward"), *, data=None, epochs: int = LESSON["epochs"],
                 seed: int = LESSON["seed"], progress: bool = True) -> dict:
    """Train each of ``kinds`` on ``task`` with the lesson's settings (the feed-forward twin with as many
    parameters as the RSNN, :func:`snnlesson.rsnn.twin_hyperparams`).

    Returns ``{kind: {"model", "initial" (the untrained copy), "history"}}``; ``data`` is
    ``(train_data, test_data)`` (default :func:`load_data`).
    """
    task = rsnn._task(task)
    if not isinstance(kinds, (list, tuple)) or not kinds:
        raise TypeError(f"kinds must be a non-empty list or tuple of names from {rsnn.KINDS}, got {kinds!r}")
    for kind in kinds:
        check_choice("kinds (each)", kind, rsnn.KINDS)
    epochs, seed, progress = check_int("epochs", epochs, minimum=1), check_seed("seed", seed), check_bool(
        "progress", progress)
    if data is not None and not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise TypeError(f"data must be None or (train_data, test_data) from load_data, got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (list, tuple)) else ""))
    train_data, test_data = load_data(task) if data is None else data
    runs = {}
    for kind in kinds:
        # the twin gets the recurrent weights' budget as extra hidden neurons: as many parameters
        hp = rsnn.twin_hyperparams(input_size=task.input_size) if kind == "feedforward" else None
        initial = rsnn.build(kind, hp, input_size=task.input_size, seed=seed)
        model, history = rsnn.train_network(kind, task, train_data, test_data, hp=hp, seed=seed, epochs=epochs,
                                            progress=progress)
        runs[kind] = {"model": model, "initial": initial, "history": history}
    return runs


#: A training record is a few kB of JSON: a file far larger is not one.
RECORD_MAX_BYTES = 1024 ** 2
#: The four networks' weights are about 1 MB compressed: a file far larger is not theirs.
TRAINED_MAX_BYTES = 64 * 1024 ** 2


def _record_path(path=None) -> Path:
    return _files.data_path("path", path, RECORD_NAME)


def load_record(path=None) -> dict:
    """The saved record of the last training run (JSON): ``timestamp`` (UTC), settings, accuracies.

    ``path``: a JSON file written by :func:`write_record` (default: the record shipped with the package);
    a missing file, a directory, FIFO or device in its place, or a file over 1 MB is a ``ValueError``.
    """
    path = _record_path(path)
    try:
        record = json.loads(_files.read_text("path", path, limit=RECORD_MAX_BYTES, what="a training record"))
    except _files.FileProblem as err:
        raise ValueError(f"{err}: no training record there") from None
    except ValueError as err:  # JSON that does not parse
        raise ValueError(f"path {str(path)!r} is not a training record from write_record: {err}") from err
    try:
        record_summary(record)
    except (ValueError, TypeError) as err:
        raise ValueError(f"path {str(path)!r} is not a training record from write_record: {err}") from err
    return record


def load_trained(task: str, path=None) -> dict:
    """The lesson's networks for ``task`` as :func:`write_record` trained and saved them, without training.

    Returns what :func:`train_lesson` returns, ``{kind: {"model", "initial", "history"}}``, for the
    RSNN and its feed-forward twin: the trained weights (``TRAINED_NAME``), the untrained copy
    (rebuilt from the lesson's seed) and a history holding the record's test accuracy and loss per
    epoch and training time. ``path``: the record (JSON) beside which the weights were saved
    (default: the record shipped with the package).
    """
    from snnlesson.training import History

    task = rsnn._task(task)
    record = load_record(path)
    weights_path = _record_path(path).with_name(TRAINED_NAME)
    try:
        raw = _files.read_bytes("path", weights_path, limit=TRAINED_MAX_BYTES, what="the trained weights")
    except _files.FileProblem as err:
        raise ValueError(f"{err}: write_record() trains and saves them") from None
    states = {}
    with np.load(io.BytesIO(bytes(raw))) as arrays:
        for key in arrays.files:
            task_name, kind, name = key.split("/", 2)
            states.setdefault(task_name, {}).setdefault(kind, {})[name] = torch.from_numpy(arrays[key])
    if task.name not in states or task.name not in record["tasks"]:
        raise ValueError(f"the saved run has no networks for task {task.name!r} (it has {sorted(states)})")
    runs = {}
    for kind, state in states[task.name].items():
        hp = rsnn.twin_hyperparams(input_size=task.input_size) if kind == "feedforward" else None
        initial = rsnn.build(kind, hp, input_size=task.input_size, seed=record["settings"]["seed"])
        model = copy.deepcopy(initial)
        model.load_state_dict(state)
        saved = record["tasks"][task.name][kind]
        history = History(test_accuracy=list(saved["test_accuracy"]), epoch_loss=list(saved["epoch_loss"]),
                          train_seconds=float(saved["train_seconds"]), seed=record["settings"]["seed"])
        runs[kind] = {"model": model.eval(), "initial": initial, "history": history}
    return runs


def write_record(path=None, *, progress: bool = False) -> dict:
    """Retrain the lesson's networks (as the notebook does) and save the record; returns it.

    ``path`` (default: the record shipped with the package) is checked before the minutes of
    training start: its folder must exist, and it must not be a directory, FIFO or device. The
    file is written atomically (a temporary file renamed into place). The trained weights go beside
    the record, in ``TRAINED_NAME`` (read by :func:`load_trained`), written atomically too.
    """
    from snnlesson import data

    path = _record_path(path)
    progress = check_bool("progress", progress)
    _files.check_destination("path", path, what="the training record")
    record = {"timestamp": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "dataset": data.mnist(train=True, verbose=False).source, "settings": dict(LESSON),
              "training": dict(rsnn.TRAINING, epochs=LESSON["epochs"]),
              **_machine.provenance(("torch", "snntorch", "numpy")), "tasks": {}}
    states = {}
    for task in rsnn.TASKS:
        runs = train_lesson(task, progress=progress)
        states.update({f"{task}/{kind}/{name}": value.detach().cpu().numpy()
                       for kind, run in runs.items() for name, value in run["model"].state_dict().items()})
        record["tasks"][task] = {kind: {"test_accuracy": [round(a, 4) for a in run["history"].test_accuracy],
                                        "epoch_loss": [round(v, 4) for v in run["history"].epoch_loss],
                                        "train_seconds": round(run["history"].train_seconds, 1)}
                                 for kind, run in runs.items()}
    _files.write_atomic("path", path.with_name(TRAINED_NAME), lambda f: np.savez_compressed(f, **states),
                        what="the trained weights")
    _files.write_text_atomic("path", path, json.dumps(record, indent=1) + "\n", what="the training record")
    return record


def record_summary(record: dict) -> str:
    """The record as the deck shows it: the date of the run and its test accuracies (versions: ``record["versions"]``)."""
    if not isinstance(record, dict):
        raise TypeError(f"record must be a dict from load_record or write_record, got {type(record).__name__}")
    try:
        when = _dt.datetime.strptime(record["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        lines = [f"Last training run {when:%d %B %Y, %H:%M} UTC"]
        for task, runs in record["tasks"].items():
            scores = ", ".join(f"{_KIND_LABEL[k]} {check_real('accuracy', v['test_accuracy'][-1], low=0, high=1):.0%}"
                               for k, v in runs.items())
            lines.append(f"  {task}: test accuracy {scores}")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"record is not a training record from load_record or write_record "
                         f"({type(err).__name__}: {err})") from err
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- figures


def code_listing(obj) -> str:
    """The source of a class or function without its docstrings (for the slides), dedented."""
    import ast
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    drop = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None:
            doc = node.body[0]
            drop.update(range(doc.lineno - 1, doc.end_lineno))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)



def _check_videos(videos):
    from snnlesson.data import MovingDigits

    if not isinstance(videos, MovingDigits):
        raise TypeError(f"videos must be data.MovingDigits (from Task.videos), got {type(videos).__name__}")
    check_tensor("videos.frames", videos.frames, ndim=5)
    return videos


def _class_examples(videos, num_classes: int = 10) -> list:
    """Index of the first video of each class."""
    labels = videos.labels.tolist()
    return [labels.index(c) for c in range(num_classes) if c in labels]


_PLAYER_ICONS = """<style>
.anim-buttons .fa {font-style: normal; display: inline-block; min-width: 1.6em}
.anim-buttons .fa-minus::before {content: "\\2212"} .anim-buttons .fa-plus::before {content: "+"}
.anim-buttons .fa-fast-backward::before {content: "|\\25C0\\25C0"}
.anim-buttons .fa-fast-forward::before {content: "\\25B6\\25B6|"}
.anim-buttons .fa-step-backward::before {content: "|\\25C0"} .anim-buttons .fa-step-forward::before {content: "\\25B6|"}
.anim-buttons .fa-play::before {content: "\\25B6"} .anim-buttons .fa-pause::before {content: "||"}
.anim-buttons .fa-flip-horizontal {transform: scaleX(-1)}
</style>"""


#: Grey levels 0 (black) to 1 (white); NaN (the gaps between tiles) drawn white.
_GRAY_WHITE_GAPS = plt.get_cmap("gray").with_extremes(bad="white")


def _tiled(images: np.ndarray, columns: int, gap: int, above: int = 0) -> tuple[np.ndarray, list]:
    """Images ``[n, ..., H, W]`` tiled ``columns`` to a row into one array ``[..., height, width]`` (the
    dimensions between the first and the last two, e.g. time, are kept), NaN between the tiles,
    ``gap`` pixels apart and ``above`` pixels free above each (for a label). Returns the array and
    the (row, column) of each tile's top-left pixel. One image on one axes draws far faster than
    one axes per tile."""
    n, (h, w) = len(images), images.shape[-2:]
    rows = -(-n // columns)
    tiles = np.full((*images.shape[1:-2], rows * (above + h + gap) - gap, columns * (w + gap) - gap), np.nan,
                    dtype=np.float32)
    corners = [(r * (above + h + gap) + above, c * (w + gap)) for r, c in (divmod(k, columns) for k in range(n))]
    for image, (top, left) in zip(images, corners):
        tiles[..., top:top + h, left:left + w] = image
    return tiles, corners


def gallery_animation(videos, *, interval_ms: int = 150):
    """An animated gallery, one moving digit per class (``matplotlib`` ``to_jshtml``: no ffmpeg).

    Returns an ``IPython.display.HTML`` object (JavaScript player with the frames embedded as PNG).
    The clips are tiled into one image per frame (two rows of five) on one axes: matplotlib draws
    every frame twice, and ten axes (one per clip) took 4 times as long.
    """
    from IPython.display import HTML
    from matplotlib import animation

    videos, interval_ms = _check_videos(videos), check_int("interval_ms", interval_ms, minimum=1, maximum=60_000)
    index = _class_examples(videos)
    clips = videos.frames[index, :, 0].numpy()                   # [classes, T, H, W]
    num_frames, height, width = clips.shape[1:]
    # the clips tiled, five to a row, with room above each for its label: [T, rows, columns] of pixels
    tiles, corners = _tiled(clips, columns=5, gap=3, above=9)
    fig = plt.figure(figsize=(6.4, 3.2), dpi=72)
    ax = fig.add_axes((0.0, 0.02, 1.0, 0.87))
    for i, (top, left) in zip(index, corners):
        ax.text(left + width / 2, top - 1, f"digit {int(videos.labels[i])}", ha="center", va="bottom", fontsize=10)
    image = ax.imshow(tiles[0], cmap=_GRAY_WHITE_GAPS, vmin=0, vmax=1)
    ax.set_axis_off()
    title = fig.suptitle(f"Moving digits, one per class: frame 0 (frames 0 to {num_frames - 1})")

    def draw(t):
        image.set_data(tiles[t])
        title.set_text(f"Moving digits, one per class: frame {t} (frames 0 to {num_frames - 1})")
        return [image, title]

    anim = animation.FuncAnimation(fig, draw, frames=num_frames, interval=interval_ms, blit=False)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    # matplotlib's player loads its button icons (Font Awesome) from a CDN: draw them with
    # plain characters instead, so that the notebook and the slides need no network.
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", lambda _: _PLAYER_ICONS, html)
    return HTML(_stable_player_id(html))


_PLAYER_IDS: dict[str, int] = {}  # content digest -> players with that content shown so far


def _stable_player_id(html: str) -> str:
    """Replace the player's random id (a fresh uuid4 on every run) by one made from its content.

    Re-running a notebook then saves the same HTML, so its diff shows only real changes; the
    same content shown twice in one kernel still gets two ids, which the page needs.
    """
    found = re.search(r"_anim_img([0-9a-f]{32})", html)
    if found is None:  # another matplotlib layout: keep its own ids
        return html
    digest = hashlib.sha256(html.replace(found.group(1), "").encode()).hexdigest()[:24]
    shown = _PLAYER_IDS[digest] = _PLAYER_IDS.get(digest, -1) + 1
    return html.replace(found.group(1), f"{digest}{shown:08x}")


def frame_strip(videos, task: rsnn.Task | None = None, *, rows: int = 4, columns: int = 8):
    """A static strip of frames (for print): ``rows`` videos, ``columns`` frames evenly spaced.

    With ``task``, the frames are what the network sees (pooled; blank after the cue, except for
    the distractor, another video's digit, in the memory task).
    """
    videos = _check_videos(videos)
    task = None if task is None else rsnn._task(task)
    rows = check_int("rows", rows, minimum=1, maximum=10)
    columns = check_int("columns", columns, minimum=1, maximum=videos.frames.shape[1])
    x = videos.frames if task is None else task.inputs(videos.frames)
    num_frames, side = x.shape[1], x.shape[-1]
    steps = np.linspace(0, num_frames - 1, columns).round().astype(int)
    index = _class_examples(videos)[:rows]
    # one image: row r is video index[r], column c its frame steps[c] (one axes per frame drew 6 times slower)
    tiles, corners = _tiled(x[index][:, steps, 0].flatten(0, 1).numpy(), columns=columns, gap=max(1, side // 12))
    fig, ax = plt.subplots(figsize=(1.05 * columns, 1.15 * len(index)))
    ax.imshow(tiles, cmap=_GRAY_WHITE_GAPS, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([left + (side - 1) / 2 for _, left in corners[:columns]],
                  [f"frame {t}" for t in steps], fontsize=9)   # counted from 0, as in the rasters
    ax.set_yticks([top + (side - 1) / 2 for top, _ in corners[::columns]],
                  [f"digit {int(videos.labels[i])}" for i in index], fontsize=9)
    ax.tick_params(length=0, top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.spines[:].set_visible(False)
    what = "as the network sees them" if task is not None else "full size"
    fig.suptitle(f"Frames of {len(index)} videos ({what}, {x.shape[-1]} x {x.shape[-2]} pixels)")
    fig.tight_layout()
    return fig


def _run(model: rsnn.SequenceModel, inputs: torch.Tensor) -> rsnn.RSNNRecord:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        record = model(inputs)
    model.train(was_training)
    return record


def _raster_axes(ax, num_steps: int, num_neurons: int, title: str, task: rsnn.Task):
    ax.axvspan(task.window.start - 0.5, num_steps - 0.5, color="0.9", zorder=0, label="answer window")
    if task.cue_frames is not None:
        ax.axvspan(-0.5, task.cue_frames - 0.5, color="#fde9c9", zorder=0, label="digit visible")
    if task.distractor_frames is not None:
        start, stop = task.distractor_frames
        ax.axvspan(start - 0.5, stop - 0.5, color="#e4dcf2", zorder=0, label="distractor visible")
    ax.set_xlim(-0.5, num_steps - 0.5)
    ax.set_ylim(-0.5, num_neurons - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # frames are whole steps (no tick at 2.5)
    ax.set_xlabel("time step (frame)")
    ax.set_ylabel("neuron index")
    ax.set_title(title)


def _check_test_set(model, inputs, labels, task, index):
    """Checked ``(inputs, labels, task, index)`` for a model run on a test set of ``task``."""
    if not isinstance(model, rsnn.SequenceModel):
        raise TypeError(f"model must be a snnlesson.rsnn.SequenceModel (from build / train_network), "
                        f"got {type(model).__name__}")
    task = rsnn._task(task)
    inputs = check_tensor("inputs", inputs, min_ndim=3)
    if inputs.shape[1] != task.num_frames or inputs[0, 0].numel() != model.net.fc1.in_features:
        raise ValueError(f"inputs must be [videos, num_frames={task.num_frames}, ...] with "
                         f"{model.net.fc1.in_features} values per frame, got shape {tuple(inputs.shape)}")
    labels = check_tensor("labels", labels, ndim=1, floating=False)
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be integer classes, got dtype {labels.dtype}")
    if len(labels) != len(inputs):
        raise ValueError(f"labels must hold one class per video ({len(inputs)}), got shape {tuple(labels.shape)}")
    if bool(((labels < 0) | (labels >= task.num_classes)).any()):
        raise ValueError(f"labels must be classes in [0, {task.num_classes}), got {labels.tolist()[:10]}...")
    return inputs, labels, task, check_int("index", index, minimum=0, maximum=len(inputs) - 1)


def spike_rasters(model: rsnn.SequenceModel, inputs: torch.Tensor, labels: torch.Tensor, task, *,
                  index: int = 0):
    """Hidden and output spike rasters of one test sequence during evaluation (the deck's two rasters)."""
    inputs, labels, task, index = _check_test_set(model, inputs, labels, task, index)
    record = _run(model, inputs[index:index + 1])
    num_steps = record.spk_out.shape[0]
    predicted = int(task.scores(record).argmax(1))
    fig, (ax_h, ax_o) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.4, 1]})
    t, n = np.nonzero(record.spk_hidden[:, 0].numpy())
    ax_h.scatter(t, n, s=6, marker="|", color="black", label="spike")
    _raster_axes(ax_h, num_steps, record.spk_hidden.shape[-1],
                 f"Hidden layer: {int(record.spk_hidden.sum())} spikes", task)
    t, n = np.nonzero(record.spk_out[:, 0].numpy())
    ax_o.scatter(t, n, s=60, marker="|", color="black", label="spike")
    ax_o.axhline(int(labels[index]), color="tab:green", lw=6, alpha=0.25, label="true class")
    _raster_axes(ax_o, num_steps, record.spk_out.shape[-1],
                 f"Output layer: digit {int(labels[index])}, predicted {predicted}", task)
    ax_o.set_yticks(range(record.spk_out.shape[-1]))
    ax_o.set_ylabel("output neuron (class)")
    ax_o.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: never over spikes
    fig.tight_layout()
    return fig


def _check_pair(before, after):
    for name, model in (("before", before), ("after", after)):
        if not isinstance(model, rsnn.SequenceModel):
            raise TypeError(f"{name} must be a snnlesson.rsnn.SequenceModel, got {type(model).__name__}")
    shapes = [[tuple(p.shape) for p in m.parameters()] for m in (before, after)]
    if type(before.net) is not type(after.net) or shapes[0] != shapes[1]:
        raise ValueError("before and after must be the same network (kind and sizes), before and after training")
    return before, after


def _weights(model: rsnn.SequenceModel, what: str = "model") -> dict:
    net = model.net
    named = {"fc1 (input → hidden)": net.fc1, "fc2 (hidden → output)": net.fc2}
    if hasattr(net.snn1, "recurrent"):
        named["V₁ (hidden → hidden)"] = net.snn1.recurrent
        named["V₂ (output → output)"] = net.snn2.recurrent
    # through the figures' shared check (snnlesson._plotcheck.as_array): NaN or inf weights are refused, not drawn
    return {name: (as_array(f"{what} (weights {name})", layer.weight), as_array(f"{what} (biases {name})", layer.bias))
            for name, layer in named.items()}


def weight_heatmaps(before: rsnn.SequenceModel, after: rsnn.SequenceModel):
    """Heatmaps of every weight matrix before (top row) and after (bottom row) training."""
    w0, w1 = map(_weights, _check_pair(before, after), ("before", "after"))
    # matplotlib's default 100 dpi and 10-point labels: readable on a slide (at 72 dpi they were ~7 px)
    fig, axes = plt.subplots(2, len(w0), figsize=(3.6 * len(w0), 6.6), squeeze=False, layout="constrained")
    for col, name in enumerate(w0):
        limit = float(np.abs(w1[name][0]).max())
        for row, (weights, when) in enumerate(((w0, "before"), (w1, "after"))):
            ax = axes[row, col]
            image = ax.imshow(weights[name][0], cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                              interpolation="nearest")
            ax.set_title(f"{name}\n{when} training", fontsize=11)
            ax.set_xlabel("from pixel (index)" if name.startswith("fc1") else "from neuron (index)", fontsize=10)
            ax.set_ylabel("to neuron (index)", fontsize=10)
            # neuron indices are whole numbers (no tick at 2.5); few x ticks, so that "120" and "160" stay apart
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.colorbar(image, ax=axes[:, col], shrink=0.7, label="weight (dimensionless)")
    fig.suptitle("Weights before and after training (same colour scale per column)")
    return fig


def weight_histograms(before: rsnn.SequenceModel, after: rsnn.SequenceModel):
    """Histograms of the weights (top) and biases (bottom) of each layer, before and after training."""
    w0, w1 = map(_weights, _check_pair(before, after), ("before", "after"))
    fig, axes = plt.subplots(2, len(w0), figsize=(3.6 * len(w0), 6.0), squeeze=False)
    for col, name in enumerate(w0):
        for row, what in enumerate(("weights", "biases")):
            ax = axes[row, col]
            a, b = w0[name][row].ravel(), w1[name][row].ravel()
            bins = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), 40)
            # one filled outline, not 40 bars: the same picture, drawn in a tenth of the time
            ax.hist(a, bins=bins, histtype="stepfilled", color="0.6", alpha=0.8, label="before")
            ax.hist(b, bins=bins, histtype="step", color="tab:red", lw=1.5, label="after")
            ax.set_title(f"{name}: {what}", fontsize=11)
            ax.set_xlabel("weight (dimensionless)" if row == 0 else "bias (membrane units per step)", fontsize=10)
            ax.set_ylabel("count", fontsize=10)
            ax.legend(fontsize=9)
    fig.suptitle("Weights and biases before and after training")
    fig.tight_layout()
    return fig


def training_curves(runs: dict, task: str, ax=None):
    """Test accuracy per epoch of each network on ``task`` (from :func:`train_lesson`), with chance level."""
    from matplotlib.axes import Axes

    from snnlesson.training import History

    task = rsnn._task(task)
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict {{kind: run}} from train_lesson, got {runs!r:.60}")
    for kind, run in runs.items():
        check_choice("runs (each kind)", kind, tuple(_KIND_LABEL))
        if not (isinstance(run, dict) and isinstance(run.get("history"), History) and run["history"].test_accuracy):
            raise ValueError(f"runs[{kind!r}] must be a run from train_lesson with test accuracies in its history")
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.2))
    fig = ax.figure
    for kind, run in runs.items():
        acc = run["history"].test_accuracy
        ax.plot(range(1, len(acc) + 1), acc, "o-", color=_COLORS[kind], label=_KIND_LABEL[kind])
    ax.axhline(task.chance, color="0.5", ls="--", label="chance")
    ax.set_ylim(0, 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (fraction)")
    ax.set_title(f"Task '{task.name}': test accuracy while training")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def comparison_bars(accuracies: dict, *, title: str = "RSNN against its feed-forward twin"):
    """Bar chart ``{task: {kind: accuracy}}`` with the chance level of each task."""
    if not isinstance(accuracies, dict) or not accuracies:
        raise TypeError(f"accuracies must be a non-empty dict {{task: {{'rsnn': a, 'feedforward': b}}}}, "
                        f"got {accuracies!r:.60}")
    for t, acc in accuracies.items():
        check_choice("accuracies (each task)", t, tuple(rsnn.TASKS))
        if not isinstance(acc, dict) or set(acc) != {"rsnn", "feedforward"}:
            raise ValueError(f"accuracies[{t!r}] must be {{'rsnn': a, 'feedforward': b}}, got {acc!r:.60}")
        for kind, value in acc.items():
            check_real(f"accuracies[{t!r}][{kind!r}]", value, low=0.0, high=1.0)
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {title!r}")
    tasks = list(accuracies)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    width = 0.36
    for k, kind in enumerate(("rsnn", "feedforward")):
        values = [accuracies[t][kind] for t in tasks]
        bars = ax.bar(np.arange(len(tasks)) + (k - 0.5) * width, values, width, color=_COLORS[kind],
                      label=_KIND_LABEL[kind])
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=9)
    for i, t in enumerate(tasks):
        ax.hlines(rsnn.TASKS[t].chance, i - 0.45, i + 0.45, color="0.3", ls="--",
                  label="chance" if i == 0 else None)
    ax.set_xticks(range(len(tasks)), [f"'{t}'" for t in tasks])
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("task")
    ax.set_ylabel("test accuracy (fraction)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------- explorer


def rsnn_explorer(model: rsnn.SequenceModel, inputs: torch.Tensor, labels: torch.Tensor, task, *,
                  index: int = 0, num_eval: int = 100) -> Explorer:
    """Sliders for beta, the threshold and the strength of the recurrent weights of a trained RSNN.

    The trained weights stay; the network (a from-scratch copy, :class:`snnlesson.rsnn.ScratchRSNN`)
    runs one test sequence (``index``) again on every move and redraws its hidden and output
    rasters. The status line gives the accuracy on the first ``num_eval`` test sequences.
    ``recurrent`` multiplies both recurrent matrices V (1: as trained, 0: no recurrence).
    """
    if not isinstance(model, rsnn.SequenceModel) or type(model.net) is not rsnn.RSNNNet:
        raise TypeError(f"model must be a trained RSNN from snnlesson.rsnn.build('rsnn') / train_network, "
                        f"got {type(model).__name__}")
    inputs, labels, task, index = _check_test_set(model, inputs, labels, task, index)
    num_eval = check_int("num_eval", num_eval, minimum=1)
    base = rsnn.ScratchRSNN.from_rsnn(model.net).eval()
    trained_v = [base.snn1.recurrent.weight.detach().clone(), base.snn2.recurrent.weight.detach().clone()]
    net = copy.deepcopy(base)
    seq = inputs[index:index + 1]
    batch = inputs[:num_eval]
    label = int(labels[index])
    record = _run(rsnn.SequenceModel(net), seq)
    num_steps, hidden = record.spk_hidden.shape[0], record.spk_hidden.shape[-1]

    fig, (ax_h, ax_o) = plt.subplots(1, 2, figsize=(9.5, 3.6), gridspec_kw={"width_ratios": [1.4, 1]})
    hidden_dots = ax_h.scatter([], [], s=6, marker="|", color="black")
    _raster_axes(ax_h, num_steps, hidden, "Hidden layer", task)
    out_dots = ax_o.scatter([], [], s=60, marker="|", color="black", label="spike")
    ax_o.axhline(label, color="tab:green", lw=6, alpha=0.25, label="true class")
    _raster_axes(ax_o, num_steps, record.spk_out.shape[-1], "Output layer", task)
    ax_o.set_yticks(range(record.spk_out.shape[-1]))
    ax_o.set_ylabel("output neuron (class)")
    ax_o.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: never over spikes
    fig.tight_layout()
    sequence_model = rsnn.SequenceModel(net)

    def update(beta, threshold, recurrent):
        net.set_neuron_parameters(beta=beta, threshold=threshold)
        # small tensors: one thread is faster (and steady on a busy machine); the policy costs no time then
        with threads.policy(max_threads=1), torch.no_grad():
            for layer, v in zip((net.snn1, net.snn2), trained_v):
                layer.recurrent.weight.copy_(recurrent * v)
            batch_record = sequence_model(batch)
            # the shown sequence is one of the batch's: take its rows rather than running it again
            rec = (rsnn.RSNNRecord(*(x[:, index:index + 1] for x in batch_record)) if index < len(batch)
                   else sequence_model(seq))
            scores = task.scores(batch_record)
        accuracy = float((scores.argmax(1) == labels[:num_eval]).float().mean())
        t, n = np.nonzero(rec.spk_hidden[:, 0].numpy())
        hidden_dots.set_offsets(np.column_stack([t, n]) if t.size else np.empty((0, 2)))
        t, n = np.nonzero(rec.spk_out[:, 0].numpy())
        out_dots.set_offsets(np.column_stack([t, n]) if t.size else np.empty((0, 2)))
        predicted = int(task.scores(rec).argmax(1))
        ax_h.set_title(f"Hidden layer: {int(rec.spk_hidden.sum())} spikes")
        ax_o.set_title(f"Output layer: digit {label}, predicted {predicted}")
        return (f"beta = {beta:.2f}, threshold = {threshold:.2f}, recurrent weights x {recurrent:.2f}: "
                f"accuracy {accuracy:.0%} on {len(batch)} test videos of the task '{task.name}'")

    return Explorer(fig, {"beta": slider("beta (decay per step)", float(model.net.hp.beta), 0.5, 0.99, 0.01),
                          "threshold": slider("threshold U_thr", 1.0, 0.25, 3.0, 0.05),
                          "recurrent": slider("recurrent strength (x V)", 1.0, 0.0, 2.0, 0.05)},
                    update, dynamic=[hidden_dots, out_dots, ax_h.title, ax_o.title])


@register_explorer("rsnn_explorer")
def _demo_rsnn_explorer() -> Explorer:
    """A typical instance for the explorers benchmark: an untrained RSNN (timing is the same), 200 videos."""
    task = rsnn.TASKS["delayed_digit"]
    gen = torch.Generator().manual_seed(0)
    inputs = (torch.rand(200, task.num_frames, 1, 18, 18, generator=gen) < 0.2).float()
    inputs[:, task.cue_frames:] = 0
    labels = torch.randint(10, (200,), generator=gen)
    return rsnn_explorer(rsnn.build("rsnn", input_size=task.input_size, seed=0), inputs, labels, task)


# --------------------------------------------------------------------------------------- exercise


def check_recurrent_step(answer) -> CheckResult:
    """Exercise: ``answer(x, mem, spk, V, beta, threshold) -> (spk_new, mem_new)``, one step of a recurrent
    LIF layer without recurrent bias (``V`` a ``[n, n]`` matrix, ``x``/``mem``/``spk`` ``[batch, n]``).

    Reference: :func:`snnlesson.rsnn.recurrent_lif_step`, equal to ``snntorch.RLeaky`` (tested).
    """
    from snnlesson.lif_discrete import LIFDiscreteParams
    from snnlesson.surrogate import heaviside

    if is_stub(answer):
        return not_attempted()
    if not callable(answer):
        return failed(f"your answer should be a function of (x, mem, spk, V, beta, threshold), "
                      f"got {type(answer).__name__}.")
    gen = torch.Generator().manual_seed(6)
    n = 5
    for beta, threshold, exact in ((0.8, 1.0, False), (0.5, 0.7, False), (0.5, 1.0, True)):
        x = torch.rand(3, n, generator=gen) * 1.2
        mem = torch.rand(3, n, generator=gen) * 1.6
        V = torch.randn(n, n, generator=gen) * 0.5
        if exact:  # eighths add up exactly in floating point: some new membranes land ON the threshold
            x, mem, V = (torch.round(t * 8) / 8 for t in (x, mem, V))
            mem[0], x[0] = 1.0, 0.5                          # row 0, silent: 0.5 * 1.0 + 0.5 = threshold
        spk = (mem > threshold).float()                     # consistent with the membrane
        if exact:
            spk[0] = 0.0
        case = f"beta={beta}, threshold={threshold}"

        def recurrent(s, V=V):
            return s @ V.T

        expected_spk, expected = rsnn.recurrent_lif_step(x, rsnn.RecurrentLIFState(mem, spk),
                                                         LIFDiscreteParams(beta, threshold), recurrent, heaviside)
        got, problem = call_answer(answer, (x.clone(), mem.clone(), spk.clone(), V.clone(), beta, threshold), case,
                                   not_attempted("your function returns nothing yet: replace `...` with your code "
                                                 "and `return spk_new, mem_new`."))
        if problem is not None:
            return problem
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return failed("your function should return two tensors, (spk_new, mem_new).")
        if (compare_arrays("", got[0], expected.mem, rtol=1e-5, atol=1e-6) is None
                and compare_arrays("", got[1], expected_spk) is None):
            return failed(f"for {case} your function returned the membrane first and the spikes second. Hint: "
                          "return them in the order (spk_new, mem_new).")
        problem = compare_arrays("mem_new", got[1], expected.mem, rtol=1e-5, atol=1e-6, case=case)
        if problem is not None:
            charged = beta * mem + x + recurrent(spk)
            mistakes = [  # (the membrane this mistake gives, hint)
                (beta * mem + x - spk * threshold, "the recurrent input V S[t-1] is missing."),
                (beta * mem + x + recurrent(spk), "the reset is missing: subtract threshold * S[t-1]."),
                (beta * mem + x + spk @ V - spk * threshold, "V is [to, from]: the recurrent input is V @ S, "
                                                             "that is spk @ V.T for a batch of row vectors."),
                (mem + x + recurrent(spk) - spk * threshold, "the membrane must leak: multiply it by beta."),
                (charged - (charged > threshold).float() * threshold,
                 "you reset with the NEW spike, in the same step. RLeaky resets by the spike of the previous "
                 "step: subtract threshold * spk (the S[t-1] you were given), then fire on the new membrane."),
                (beta * (mem - spk * threshold) + x + recurrent(spk),
                 "the reset is subtracted before the leak; subtract threshold * S[t-1] after it, unscaled by beta."),
            ]
            result = diagnose(problem, got[1], mistakes,
                              same=lambda a, b: compare_arrays("", a, b, rtol=1e-5, atol=1e-6) is None)
            if result is problem:  # none of the catalogue: the general rule
                return failed(f"{problem.message} Hint: U[t] = beta U[t-1] + x[t] + V S[t-1] - threshold S[t-1].")
            return result
        problem = compare_arrays("spk_new", got[0], expected_spk, case=case)
        if problem is not None:
            if compare_arrays("", got[0], (expected.mem >= threshold).float()) is None:
                return failed(f"{problem.message} Hint: RLeaky fires when the membrane is strictly above the "
                              "threshold, mem_new > threshold (a membrane exactly at it stays silent).")
            if compare_arrays("", got[0], spk) is None:
                return failed(f"{problem.message} Hint: you returned the old spikes; fire on the new membrane.")
            return failed(f"{problem.message} Hint: a neuron spikes when its NEW membrane exceeds the threshold.")
    return passed("your recurrent step matches snnlesson.rsnn.recurrent_lif_step (and so snntorch's RLeaky).")


# ---------------------------------------------------------------------- build exercise: the forward pass

_WEIGHT_NAMES = ("W1", "b1", "V1", "c1", "W2", "b2", "V2", "c2")


def network_weights(model) -> dict:
    """The trained parameters of an RSNN as plain tensors (detached, on the CPU), by the lesson's names:
    ``W1 [hidden, inputs]``, ``b1``, ``V1 [hidden, hidden]``, ``c1`` (recurrent bias), ``W2``, ``b2``,
    ``V2``, ``c2``; with ``beta`` and ``threshold``. ``model`` is a :class:`~snnlesson.rsnn.SequenceModel`
    around an :class:`~snnlesson.rsnn.RSNNNet` or :class:`~snnlesson.rsnn.ScratchRSNN`."""
    if not isinstance(model, rsnn.SequenceModel) or isinstance(model.net, rsnn.FeedForwardNet):
        raise TypeError(f"model must be a SequenceModel around a recurrent network (rsnn.build('rsnn')), "
                        f"got {type(getattr(model, 'net', model)).__name__}")
    net = model.net
    layers = (net.fc1, net.snn1.recurrent, net.fc2, net.snn2.recurrent)
    tensors = [t.detach().cpu().clone() for layer in layers for t in (layer.weight, layer.bias)]
    weights = dict(zip(_WEIGHT_NAMES, tensors))
    if isinstance(net, rsnn.ScratchRSNN):
        beta, threshold = net.snn1.params.beta, net.snn1.params.threshold
    else:
        beta, threshold = float(net.snn1.beta), float(net.snn1.threshold)
    return {**weights, "beta": float(beta), "threshold": float(threshold)}


def forward_scores(frames: torch.Tensor, weights: dict, window: slice) -> torch.Tensor:
    r"""The reference for the build exercise: run the two recurrent LIF layers over whole sequences.

    ``frames`` ``[batch, num_steps, inputs]``; every sequence starts from rest (``U = 0``, ``S = 0``).
    Per step :math:`t`, for layer 1 (input :math:`x[t]`) then layer 2 (input :math:`S_1[t]`):

    .. math::

        U[t] = \beta U[t-1] + W x[t] + b + V S[t-1] + c - U_{\rm thr} S[t-1], \qquad
        S[t] = \Theta(U[t] - U_{\rm thr})

    Returns the class scores ``[batch, classes]``: the output membrane averaged over ``window``
    (the lesson's readout, :meth:`snnlesson.rsnn.Task.scores`).
    """
    w = _check_weights(weights)
    frames = check_tensor("frames", frames, ndim=3)
    if frames.shape[2] != w["W1"].shape[1]:
        raise ValueError(f"frames must be [batch, num_steps, inputs={w['W1'].shape[1]}], "
                         f"got shape {tuple(frames.shape)}")
    if not isinstance(window, slice) or len(range(frames.shape[1])[window]) == 0:
        raise ValueError(f"window must be a slice selecting at least one of the {frames.shape[1]} steps, "
                         f"got {window!r:.60}")
    frames = frames.to(w["W1"].dtype)
    beta, threshold = w["beta"], w["threshold"]
    batch = frames.shape[0]
    mem1 = spk1 = torch.zeros(batch, w["W1"].shape[0], dtype=frames.dtype)
    mem2 = spk2 = torch.zeros(batch, w["W2"].shape[0], dtype=frames.dtype)
    out = []
    with threads.policy(max_threads=1):  # small layers: one thread, as rsnn.SequenceModel
        for t in range(frames.shape[1]):
            mem1 = beta * mem1 + frames[:, t] @ w["W1"].T + w["b1"] + spk1 @ w["V1"].T + w["c1"] - threshold * spk1
            spk1 = (mem1 > threshold).float()
            mem2 = beta * mem2 + spk1 @ w["W2"].T + w["b2"] + spk2 @ w["V2"].T + w["c2"] - threshold * spk2
            spk2 = (mem2 > threshold).float()
            out.append(mem2)
    return torch.stack(out)[window].mean(0)


def _check_weights(weights) -> dict:
    """``weights`` as :func:`network_weights` returns them: the eight tensors with consistent shapes,
    finite, and ``beta`` in [0, 1] and ``threshold`` > 0."""
    if not isinstance(weights, dict) or not (set(_WEIGHT_NAMES) | {"beta", "threshold"}) <= set(weights):
        raise TypeError(f"weights must be a dict with {list(_WEIGHT_NAMES) + ['beta', 'threshold']} "
                        f"(see network_weights), got {weights!r:.60}")
    w = {name: check_tensor(f"weights[{name!r}]", weights[name], ndim=2 if name[0] in "WV" else 1)
         for name in _WEIGHT_NAMES}
    hidden, outputs = w["W1"].shape[0], w["W2"].shape[0]
    shapes = {"b1": (hidden,), "V1": (hidden, hidden), "c1": (hidden,), "W2": (outputs, hidden), "b2": (outputs,),
              "V2": (outputs, outputs), "c2": (outputs,)}
    for name, shape in shapes.items():
        if tuple(w[name].shape) != shape:
            raise ValueError(f"weights[{name!r}] must have shape {shape} to match W1 {tuple(w['W1'].shape)} "
                             f"and W2, got {tuple(w[name].shape)}")
    beta = check_real("weights['beta']", weights["beta"], low=0.0, high=1.0)
    threshold = check_real("weights['threshold']", weights["threshold"], low=0.0, low_open=True)
    dtype = w["W1"].dtype
    return {**{k: v.to(dtype) for k, v in w.items()}, "beta": beta, "threshold": threshold}


def _hidden_network(seed: int, inputs: int = 12, hidden: int = 9, classes: int = 4) -> dict:
    """Random weights strong enough that both layers fire and the recurrence matters (for the checker)."""
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape, scale):
        return torch.randn(*shape, generator=gen) * scale

    return {"W1": rand(hidden, inputs, scale=0.6), "b1": rand(hidden, scale=0.2), "V1": rand(hidden, hidden, scale=0.7),
            "c1": rand(hidden, scale=0.2), "W2": rand(classes, hidden, scale=0.9), "b2": rand(classes, scale=0.2),
            "V2": rand(classes, classes, scale=0.7), "c2": rand(classes, scale=0.2), "beta": 0.8, "threshold": 1.0}


def _mistake_forward(frames, w, window, *, mistake: str) -> torch.Tensor:
    """The reference with one typical mistake (the checker's catalogue)."""
    beta, threshold = w["beta"], w["threshold"]
    batch = frames.shape[0]
    mem1 = spk1 = torch.zeros(batch, w["W1"].shape[0])
    mem2 = spk2 = torch.zeros(batch, w["W2"].shape[0])
    mems, spks = [], []
    for t in range(frames.shape[1]):
        rec1 = 0.0 if mistake == "no_recurrence" else spk1 @ w["V1"].T + w["c1"]
        reset1 = 0.0 if mistake == "no_reset" else threshold * spk1
        mem1 = beta * mem1 + frames[:, t] @ w["W1"].T + w["b1"] + rec1 - reset1
        spk1 = (mem1 > threshold).float()
        drive = mem1 if mistake == "membrane_forward" else spk1
        rec2 = 0.0 if mistake == "no_recurrence" else spk2 @ w["V2"].T + w["c2"]
        reset2 = 0.0 if mistake == "no_reset" else threshold * spk2
        mem2 = beta * mem2 + drive @ w["W2"].T + w["b2"] + rec2 - reset2
        spk2 = (mem2 > threshold).float()
        mems.append(mem2)
        spks.append(spk2)
    mems, spks = torch.stack(mems), torch.stack(spks)
    if mistake == "whole_video":
        return mems.mean(0)
    if mistake == "last_frame":
        return mems[-1]
    if mistake == "spike_counts":
        return spks[window].sum(0)
    if mistake == "membrane_sum":
        return mems[window].sum(0)
    return mems[window].mean(0)


#: The forward-pass exercise's catalogue: (mistake, hint).
FORWARD_MISTAKES = (
    ("no_recurrence", "the recurrent input is missing: add V S[t-1] + c (spk @ V.T + c) in both layers. Without "
                      "it this is the feed-forward twin."),
    ("no_reset", "the reset is missing: subtract threshold * S[t-1] (the spikes of the previous step)."),
    ("membrane_forward", "layer 2 receives layer 1's SPIKES, spk1 @ W2.T, not its membrane."),
    ("whole_video", "you averaged the output membrane over the whole video; average it over the answer window "
                    "only, mem_out[window].mean(0)."),
    ("last_frame", "you read only the last frame; average the output membrane over the answer window."),
    ("spike_counts", "you counted output spikes; the lesson's readout (what the loss trains) is the mean output "
                     "membrane over the answer window."),
    ("membrane_sum", "you summed the membrane over the answer window; average it (divide by the window's "
                     "length): the scores then do not depend on the window's length."),
)


def scores_agreement(yours: torch.Tensor, reference: torch.Tensor, labels: torch.Tensor):
    """The build exercise's result beside the package's: a scatter of the class scores of both forward
    passes (on the diagonal where they agree), titled with the accuracy of each."""
    yours = check_tensor("yours", yours, ndim=2)
    reference = check_tensor("reference", reference, shape=tuple(yours.shape))
    labels = check_tensor("labels", labels, shape=(yours.shape[0],), floating=False)
    for name, t in (("yours", yours), ("reference", reference)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or infinity")
    a, b = yours.detach().cpu().numpy().ravel(), reference.detach().cpu().numpy().ravel()
    acc_a = float((yours.argmax(1).cpu() == labels.cpu()).float().mean())
    acc_b = float((reference.argmax(1).cpu() == labels.cpu()).float().mean())
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    low, high = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = 0.05 * (high - low) + 1e-6
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="0.6", lw=1, label="equal scores")
    ax.scatter(b, a, s=6, alpha=0.5, color="tab:blue", label="one video, one class")
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("score, rsnn.SequenceModel (membrane units)")
    ax.set_ylabel("score, your forward pass (membrane units)")
    ax.set_title(f"Your forward pass: {acc_a:.1%} correct\nsnntorch's RLeaky: {acc_b:.1%} correct", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def check_forward_pass(answer) -> CheckResult:
    """Build exercise: ``answer(frames, weights, window) -> scores``, the RSNN over whole sequences.

    Runs the reader's function on hidden random networks and videos (not the lesson's), compares
    with :func:`forward_scores` (itself equal to :class:`snnlesson.rsnn.SequenceModel` over
    ``snntorch.RLeaky``, tested), walks :data:`FORWARD_MISTAKES`, and calls the function twice on
    the same input to catch a state carried over from the previous call (no reset per sequence).
    """
    if is_stub(answer):
        return not_attempted()
    if not callable(answer):
        return failed(f"your answer should be a function of (frames, weights, window), got {type(answer).__name__}.")
    stub = not_attempted("your function returns nothing yet: replace `...` with your code and `return` the scores.")
    for seed, (batch, steps, window) in ((11, (5, 9, slice(5, 9))), (12, (3, 7, slice(2, 7)))):
        w = _hidden_network(seed)
        gen = torch.Generator().manual_seed(seed + 100)
        frames = (torch.rand(batch, steps, w["W1"].shape[1], generator=gen) < 0.5).float()
        frames[:, steps // 2:] = 0.0                      # a blank gap, as in the lesson's memory task
        case = f"a hidden network with {batch} sequences of {steps} steps, answer window {window.start}..{window.stop - 1}"
        expected = forward_scores(frames, w, window)
        got, problem = call_answer(answer, (frames.clone(), dict(w), window), case, stub, time_limit_s=10)
        if problem is not None:
            return problem
        problem = compare_arrays("the scores", got, expected, rtol=1e-4, atol=1e-5, case=case)
        if problem is not None:
            mistakes = [(lambda m=m: _mistake_forward(frames, w, window, mistake=m), hint)
                        for m, hint in FORWARD_MISTAKES]
            result = diagnose(problem, got, mistakes,
                              same=lambda a, b: compare_arrays("", a, b, rtol=1e-4, atol=1e-5) is None)
            if result is problem:
                return failed(f"{problem.message} Hint: start both layers at rest, then for every step update "
                              "layer 1 from the frame and layer 2 from layer 1's spikes; score = mean output "
                              "membrane over the window.")
            return result
        again, problem = call_answer(answer, (frames.clone(), dict(w), window), case, stub, time_limit_s=10)
        if problem is not None:
            return problem
        if compare_arrays("", again, expected, rtol=1e-4, atol=1e-5) is not None:
            return failed(f"a second call on the same sequences gave other scores ({case}). Hint: the state is "
                          "carried over from the previous call; every sequence must start at rest (mem = 0, "
                          "spk = 0), set inside your function.")
    return passed("your forward pass gives the lesson's scores on hidden networks (and so snntorch's RLeaky).")


if __name__ == "__main__":  # python -m snnlesson.lessons.l06_rsnn --record
    import sys

    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python -m snnlesson.lessons.l06_rsnn --record   (retrains and rewrites the record)")
    print(record_summary(write_record(progress=True)))
