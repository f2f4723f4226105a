r"""What a spiking network costs: synaptic operations, multiply-accumulates, energy, sparsity, quantisation.

A dense layer with weights ``W`` of shape ``[n_out, n_in]`` does one multiply-accumulate
(MAC) per weight for every input it is given, whatever the input's value:

.. math:: \text{MACs} = n_{\rm in}\, n_{\rm out} \quad\text{per input vector.}

A spiking layer receives binary spikes :math:`S_i[t] \in \{0, 1\}`: an input that did not
spike contributes nothing, and one that did contributes its weight column, added to the
membranes with no multiplication. One *synaptic operation* (SynOp) is one such add, one
spike travelling along one outgoing synapse, so over ``num_steps`` steps

.. math:: \text{SynOps} = \sum_t \sum_i S_i[t]\; n_{\rm out},

the layer's *input* spikes times its *fan-out* ``n_out`` (``W.shape[0]``).

Energy estimates multiply the counts by an energy per operation (Horowitz 2014,
"Computing's energy problem (and what we can do about it)", ISSCC, 45 nm):
:data:`ENERGY_PJ`. They leave out what often dominates on real chips: reading the weights
and membranes from memory, moving spikes between cores, and the neuron updates themselves
(a leak per neuron per step).

Contents:

* :func:`synops`, :func:`dense_macs`, :func:`network_counts` (every layer of a lesson-05
  network, per digit and per time step), :func:`energy_pj`, :data:`ENERGY_PJ`;
* :func:`simulate`: lesson 05's network run with any reset and decay factor, recording both layers;
* :func:`spike_penalty_loss` and :func:`train_sparse`: training with a penalty on spike counts;
* :func:`quantize`, :func:`quantize_network`: post-training ``bits``-bit weights;
* :func:`_precompute`, :func:`load_results`: the lesson's trained network and its grid of penalties,
  computed once (``python -m snnlesson.cost --precompute``) and shipped in ``snnlesson/_data``;
* :func:`bench`: ``python -m snnlesson.bench cost``.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from snnlesson import _files, bptt, lif_discrete, training
from snnlesson._validate import check_bool, check_choice, check_int, check_real, check_record, check_seed, check_tensor

__all__ = ["ENERGY_PJ", "PRECISIONS", "synops", "dense_macs", "LayerCounts", "network_counts", "energy_pj",
           "simulate", "spike_penalty_loss", "train_sparse", "quantize", "quantize_network",
           "COST_NETWORK", "PENALTIES", "STEP_COUNTS", "load_results", "load_network", "bench"]
# _precompute() is private on purpose (not for students, not fuzzed): it rewrites the shipped files in snnlesson/_data.

#: Energy per operation in picojoules, Horowitz (2014, ISSCC), 45 nm CMOS at 0.9 V:
#: a 32-bit float multiply-accumulate = a float multiply (3.7 pJ) + a float add (0.9 pJ);
#: an 8-bit integer MAC = an 8-bit multiply (0.2 pJ) + an 8-bit add (0.03 pJ), rounded to 0.2.
ENERGY_PJ = {"float32": {"mac": 4.6, "add": 0.9}, "int8": {"mac": 0.2, "add": 0.03}}
PRECISIONS = tuple(ENERGY_PJ)


# ------------------------------------------------------------------------------ counting


def _spikes(name: str, spikes) -> torch.Tensor:
    spikes = check_tensor(name, spikes, convert=True, min_ndim=1)
    if spikes.dtype == torch.bool:
        spikes = spikes.to(torch.float32)
    if not spikes.is_floating_point():
        spikes = spikes.to(torch.float32)
    if spikes.numel() and not bool(((spikes == 0) | (spikes == 1)).all()):
        raise ValueError(f"{name} must hold spikes, 0 or 1, got values from {float(spikes.min()):g} "
                         f"to {float(spikes.max()):g}")
    return spikes


def _weight_shape(weight) -> tuple[int, int]:
    if isinstance(weight, torch.nn.Linear):
        weight = weight.weight
    if isinstance(weight, (tuple, list)) and len(weight) == 2 and all(isinstance(n, int) for n in weight):
        n_out, n_in = weight
    else:
        weight = check_tensor("weight", weight, convert=True, ndim=2)
        n_out, n_in = weight.shape
    return check_int("weight.shape[0] (n_out)", n_out, minimum=1), check_int("weight.shape[1] (n_in)", n_in, minimum=1)


def synops(spikes, weight) -> torch.Tensor:
    """Synaptic operations of a layer, per time step and example: ``[num_steps, batch]`` (float64).

    .. math:: \\text{SynOps}[t, b] = n_{\\rm out} \\sum_i S_i[t, b]

    spikes : the layer's INPUT spikes, time-first ``[num_steps, batch, n_in]`` (0 or 1).
    weight : the layer's weight ``[n_out, n_in]`` (a tensor, an ``nn.Linear`` or the shape
        ``(n_out, n_in)``): each input spike is added along ``n_out = weight.shape[0]`` synapses.

    Sum over steps for the count per example (``synops(...).sum(0)``).
    """
    n_out, n_in = _weight_shape(weight)
    spikes = _spikes("spikes", spikes)
    if spikes.ndim != 3 or spikes.shape[-1] != n_in:
        raise ValueError(f"spikes must be time-first [num_steps, batch, n_in={n_in}] (n_in = weight.shape[1]), "
                         f"got shape {tuple(spikes.shape)}")
    return spikes.sum(-1).double() * n_out


def dense_macs(weight, num_inputs: int = 1) -> int:
    """Multiply-accumulates of a dense layer: ``n_in * n_out`` per input vector, times ``num_inputs``.

    A ReLU network does this once per digit; a spiking layer fed a new (non-spike) vector at
    every step would do it ``num_steps`` times.
    """
    n_out, n_in = _weight_shape(weight)
    return n_in * n_out * check_int("num_inputs", num_inputs, minimum=0)


def _check_model(model) -> bptt.BaseSNN:
    if not isinstance(model, bptt.BaseSNN):
        raise TypeError(f"model must come from snnlesson.bptt.build_network, got {type(model).__name__}")
    return model


def _check_images(images) -> torch.Tensor:
    images = check_tensor("images", images, min_ndim=2)
    if images.ndim > 4 or images[0].numel() != bptt.NUM_INPUTS:
        raise ValueError(f"images must have shape [N, 1, 28, 28] or [N, 784], got {tuple(images.shape)}")
    return images


class LayerCounts(NamedTuple):
    """Operations of one layer: ``kind`` (``"MAC"`` or ``"SynOp"``), the mean per example and per step.

    per_example : mean over examples (a float); per_step : mean over examples at each step
    ``[num_steps]`` (NumPy float64; for a layer computed once per example, its count at step 0).
    """

    name: str
    kind: str
    per_example: float
    per_step: np.ndarray


def network_counts(model: bptt.BaseSNN, images: torch.Tensor, *, record: bptt.SNNRecord | None = None
                   ) -> dict[str, LayerCounts]:
    """Counts per layer of a lesson-05 network (direct input) on ``images``, mean per digit.

    * ``"fc1"``: the dense input layer. Pixel values are not spikes: ``784 x n_hidden`` MACs, once
      per digit (the input current is the same at every step, so the network computes it once).
    * ``"fc2"``: the hidden spikes, each added along ``10`` synapses: SynOps.

    ``record`` (``model(images, record_hidden=True)``, or :func:`simulate`) saves running it again.
    """
    _check_model(model)
    images = _check_images(images)
    if record is None:
        with torch.no_grad():
            record = model(images, record_hidden=True)
    if not isinstance(record, bptt.SNNRecord) or record.spk_hidden is None:
        raise ValueError("record must be an SNNRecord with the hidden spikes (record_hidden=True)")
    check_record("record", record)
    steps = record.spk_hidden.shape[0]
    first = np.zeros(steps)
    first[0] = dense_macs(model.fc1)
    hidden = synops(record.spk_hidden, model.fc2)
    return {"fc1": LayerCounts("fc1", "MAC", float(dense_macs(model.fc1)), first),
            "fc2": LayerCounts("fc2", "SynOp", float(hidden.sum(0).mean()), hidden.mean(1).numpy())}


def energy_pj(macs: float = 0.0, synops: float = 0.0, precision: str = "float32") -> float:
    """Energy of the arithmetic alone, in picojoules:

    .. math:: E = N_{\\rm MAC}\\, E_{\\rm MAC} + N_{\\rm SynOp}\\, E_{\\rm add}

    with :data:`ENERGY_PJ` for ``precision`` (``"float32"`` or ``"int8"``). Memory access,
    data movement and the neuron updates are not in it.
    """
    check_choice("precision", precision, PRECISIONS)
    macs = check_real("macs", macs, low=0.0)
    synops_ = check_real("synops", synops, low=0.0)
    table = ENERGY_PJ[precision]
    return macs * table["mac"] + synops_ * table["add"]


# ---------------------------------------------------------------------------- simulation


def simulate(model: bptt.BaseSNN, images: torch.Tensor, *, beta: float | None = None,
             threshold: float | None = None, reset: str = "subtract") -> bptt.SNNRecord:
    """Run a lesson-05 network's weights with the Heaviside spike, any reset and decay factor (no gradient).

    Both layers: :math:`U[t] = \\beta U[t-1] + I[t] - (\\text{reset})`, :math:`S = \\Theta(U - U_{thr})`
    (:func:`snnlesson.lif_discrete.step`); ``beta``/``threshold`` default to the model's own;
    ``reset`` ``"subtract"`` (the model's) or ``"zero"``. With the defaults the record equals
    ``model(images, record_hidden=True)``. Returns an :class:`snnlesson.bptt.SNNRecord` with hidden spikes.
    """
    _check_model(model)
    images = _check_images(images)
    check_choice("reset", reset, ("subtract", "zero"))
    params = lif_discrete.LIFDiscreteParams(beta=model.beta if beta is None else beta,
                                            threshold=model.threshold if threshold is None else threshold,
                                            reset=reset)
    with torch.no_grad():
        current = model.fc1(images.flatten(1).to(model.fc1.weight.dtype))
        spk1, mem1 = lif_discrete.run(current, params, num_steps=model.num_steps)
        spk2, mem2 = lif_discrete.run(model.fc2(spk1), params)
    return bptt.SNNRecord(spk2, mem2, spk1, mem1)


# ------------------------------------------------------------------------ sparsity training


def spike_penalty_loss(record: bptt.SNNRecord, labels: torch.Tensor, penalty: float = 0.0) -> torch.Tensor:
    """Cross-entropy of the mean output membrane plus a penalty on hidden spikes:

    .. math:: L = \\mathrm{CE}(\\bar U_{\\rm out}, y) + \\lambda\\, \\frac{1}{B\\,T\\,n}\\sum_{t,b,i} S_i[t, b]

    the penalty ``lambda`` times the hidden layer's firing probability per neuron and step
    (its gradient flows through the surrogate). ``record`` needs the hidden spikes.
    """
    penalty = check_real("penalty", penalty, low=0.0)
    if not isinstance(record, bptt.SNNRecord) or record.spk_hidden is None:
        raise ValueError("record must be an SNNRecord with the hidden spikes (record_hidden=True)")
    return bptt.recipe_loss(record, labels, "ce_mean_membrane") + penalty * record.spk_hidden.mean()


#: Lesson 07's training recipe: lesson 05's recipe as it was when lesson 07's results were computed (10 steps,
#: slope 25, lr 2e-3 with a one-cycle schedule, mean-membrane loss, 4 epochs), kept here so that a change of
#: ``bptt.LESSON_RECIPE`` does not silently change what lesson 07 trains.
_RECIPE = bptt.Recipe(epochs=4, batch_size=128, lr=2e-3, schedule="onecycle", loss="ce_mean_membrane",
                      num_steps=10)


def _forward_hidden(model, x, generator):
    return model(x, record_hidden=True)


def train_sparse(model: bptt.BaseSNN, train_data, test_data=None, *, penalty: float = 0.0,
                 recipe: bptt.Recipe = _RECIPE, seed: int = 0, progress: bool = False,
                 **overrides) -> training.History:
    """Lesson 05's former recipe (:data:`_RECIPE`: direct input, mean-membrane readout) with
    :func:`spike_penalty_loss`.

    Runs :func:`snnlesson.training.train`; ``overrides`` replace recipe fields (e.g. ``epochs=2``).
    ``num_steps``, ``beta`` and ``slope`` are the model's own.
    """
    _check_model(model)
    if not isinstance(recipe, bptt.Recipe):
        raise TypeError(f"recipe must be a snnlesson.bptt.Recipe, got {type(recipe).__name__}")
    unknown = set(overrides) - set(bptt.Recipe.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown recipe field(s) {sorted(unknown)}; allowed: {list(bptt.Recipe.__dataclass_fields__)}")
    fields = {**recipe.__dict__, "num_steps": model.num_steps, "beta": model.beta, "slope": model.slope, **overrides}
    recipe = bptt.Recipe(**fields)
    if recipe.loss != "ce_mean_membrane" or recipe.encoding != "direct":
        raise ValueError("train_sparse uses the lesson's mean-membrane loss (recipe.loss) and direct input "
                         "(recipe.encoding)")
    if (model.num_steps, model.beta, model.slope) != (recipe.num_steps, recipe.beta, recipe.slope):
        raise ValueError(f"the model has num_steps={model.num_steps}, beta={model.beta}, slope={model.slope}; "
                         "leave these recipe fields to the model")
    penalty = check_real("penalty", penalty, low=0.0)
    return training.train(
        model, bptt.mnist_tensors(train_data, "train_data"),
        test_data=bptt.mnist_tensors(test_data, "test_data") if test_data is not None else None,
        loss_fn=partial(spike_penalty_loss, penalty=penalty), readout=partial(bptt.class_scores, readout="membrane"),
        forward_fn=_forward_hidden, epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr,
        schedule=recipe.schedule, seed=check_seed("seed", seed), progress=check_bool("progress", progress),
        eval_every_epoch=False, settings={"penalty": penalty, "recipe": dict(recipe.__dict__)})


# ---------------------------------------------------------------------------- quantisation


def quantize(weights: torch.Tensor, bits: int) -> tuple[torch.Tensor, float]:
    """Symmetric uniform quantisation to signed ``bits``-bit integers, one scale per tensor.

    .. math:: s = \\frac{\\max |w|}{2^{b-1} - 1}, \\qquad q = \\mathrm{round}(w / s) \\in
              \\{-(2^{b-1}-1), \\dots, 2^{b-1}-1\\}

    Returns ``(q, s)``: the integers (int32 tensor) and the scale; ``q * s`` approximates ``w``
    to within ``s / 2``. A tensor of zeros gets ``s = 1``.
    """
    weights = check_tensor("weights", weights, convert=True, min_ndim=0)
    bits = check_int("bits", bits, minimum=2, maximum=16)
    levels = 2 ** (bits - 1) - 1
    largest = float(weights.abs().max())
    scale = largest / levels if largest > 0 else 1.0
    q = torch.round(weights.double() / scale).clamp(-levels, levels).to(torch.int32)
    return q, scale


def quantize_network(model: bptt.BaseSNN, bits: int) -> tuple[bptt.BaseSNN, dict]:
    """A copy of a lesson-05 network whose layers hold ``bits``-bit weights (and biases), and the integers.

    Each layer ``l`` gets one scale :math:`s_l` (:func:`quantize` of its weights); its bias is
    rounded to the same grid. An integer chip would store ``q_l = W_l / s_l`` and compare the
    membrane with the threshold scaled the same way, :math:`U_{thr} / s_l`: dividing the whole
    membrane equation by :math:`s_l` changes no spike. The copy holds ``q_l s_l`` with the
    original threshold, which is the same network. Returns ``(copy, info)`` with ``info[layer]`` =
    ``{"scale", "threshold_int", "weight_int"}``.
    """
    _check_model(model)
    bits = check_int("bits", bits, minimum=2, maximum=16)
    copy = bptt.build_network(model.kind, seed=None, **{k: v for k, v in model.config().items() if k != "kind"})
    copy.load_state_dict(model.state_dict())
    info = {}
    with torch.no_grad():
        for name in ("fc1", "fc2"):
            layer = getattr(copy, name)
            q, scale = quantize(layer.weight, bits)
            layer.weight.copy_(q.to(layer.weight.dtype) * scale)
            layer.bias.copy_(torch.round(layer.bias.double() / scale).to(layer.bias.dtype) * scale)
            info[name] = {"scale": scale, "threshold_int": model.threshold / scale, "weight_int": q}
    return copy, info


# ------------------------------------------------------------------------- precomputed results

#: The lesson's network: lesson 05's former recipe (:data:`_RECIPE`: 10 steps, beta 0.95, 4 epochs) with
#: 100 hidden neurons (as lesson 05's grid of trainings), small enough to ship.
COST_NETWORK = {"num_hidden": 100, "num_steps": 10, "beta": 0.95, "threshold": 1.0, "slope": 25.0}
#: The grid of spike penalties (lambda of :func:`spike_penalty_loss`) and step counts.
PENALTIES = (0.0, 1.0, 4.0, 16.0)
STEP_COUNTS = (5, 10)
_DATA = Path(__file__).parent / "_data"
RESULTS_JSON = _DATA / "cost_results.json"
NETWORK_NPZ = _DATA / "cost_network.npz"
#: Both shipped files are well under 1 MB: anything far larger is not them.
DATA_FILE_MAX_BYTES = 16 * 1024 ** 2
#: The digit whose hidden raster is kept for every grid point (index into the offline test set).
RASTER_DIGIT = 0


def _offline_mnist():
    from snnlesson.data import mnist

    return mnist(train=True, source="offline", verbose=False), mnist(train=False, source="offline", verbose=False)


def _summary(model: bptt.BaseSNN, test_images: torch.Tensor, test_labels: torch.Tensor) -> dict:
    """Accuracy and counts of a trained network on the test digits (what the grid stores)."""
    with torch.no_grad():
        record = model(test_images, record_hidden=True)
    counts = network_counts(model, test_images, record=record)
    accuracy = float((bptt.class_scores(record).argmax(1) == test_labels).float().mean())
    per_neuron = record.spk_hidden.sum(0)
    return {"test_accuracy": round(accuracy, 4),
            "hidden_spikes_per_digit": round(float(per_neuron.sum(1).mean()), 2),
            "output_spikes_per_digit": round(float(record.spk_out.sum((0, 2)).mean()), 2),
            "silent_fraction": round(float((per_neuron == 0).float().mean()), 4),
            "fc1_macs_per_digit": counts["fc1"].per_example,
            "fc2_synops_per_digit": round(counts["fc2"].per_example, 1),
            "fc2_synops_per_step": [round(float(v), 2) for v in counts["fc2"].per_step],
            "raster": record.spk_hidden[:, RASTER_DIGIT].to(torch.uint8).tolist()}


def _train_grid_point(penalty: float, num_steps: int, train_data, test_data, *, epochs: int = 4,
                     num_train: int | None = None, seed: int = 0) -> tuple[bptt.BaseSNN, dict]:
    """Train one grid point (the lesson's network with ``penalty`` and ``num_steps``); ``(model, summary)``.

    ``num_train`` uses only the first training digits (a short, reproducible piece for tests).
    """
    train_images, train_labels = bptt.mnist_tensors(train_data, "train_data")
    test_images, test_labels = bptt.mnist_tensors(test_data, "test_data")
    if num_train is not None:
        num_train = check_int("num_train", num_train, minimum=1)
        train_images, train_labels = train_images[:num_train], train_labels[:num_train]
    config = {**COST_NETWORK, "num_steps": check_int("num_steps", num_steps, minimum=1, maximum=1000)}
    model = bptt.build_network("scratch", seed=seed, **config)
    history = train_sparse(model, (train_images, train_labels), penalty=penalty, num_steps=config["num_steps"],
                           epochs=epochs, seed=seed)
    summary = {"penalty": float(penalty), "num_steps": config["num_steps"], "epochs": epochs,
               "train_seconds": round(history.train_seconds, 1), **_summary(model, test_images, test_labels)}
    return model, summary


def _save_network(model: bptt.BaseSNN, path: Path) -> None:
    arrays = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()
              if k.startswith(("fc1.", "fc2."))}
    _files.write_atomic("path", path, lambda f: np.savez_compressed(f, **arrays), what="the network's weights")


def load_network() -> bptt.BaseSNN:
    """The lesson's trained network (penalty 0, 10 steps), read from ``snnlesson/_data/cost_network.npz``."""
    model = bptt.build_network("scratch", seed=None, **COST_NETWORK)
    raw = _files.read_bytes("the shipped network file", NETWORK_NPZ, limit=DATA_FILE_MAX_BYTES, what="weights")
    with np.load(io.BytesIO(raw)) as data:
        state = {k: torch.from_numpy(data[k]) for k in data.files}
    model.load_state_dict(state, strict=False)
    return model


def load_results() -> dict:
    """The precomputed results (``snnlesson/_data/cost_results.json``): the grid and the baselines."""
    return json.loads(_files.read_text("the shipped results file", RESULTS_JSON, limit=DATA_FILE_MAX_BYTES,
                                       what="results"))


def _precompute(*, progress: bool = True, epochs: int = 4) -> dict:
    """Train everything lesson 07 shows and write ``cost_results.json`` and ``cost_network.npz``.

    On the offline MNIST subset (4,000 training digits, 1,000 test digits), seed 0: the grid of
    :data:`PENALTIES` x :data:`STEP_COUNTS` (the point penalty 0, 10 steps is the lesson's
    network, saved with its weights), the ReLU network of the same size, and a short piece (one
    epoch on 512 digits) that tests retrain to check that the code reproduces itself.
    About 8 minutes on two busy CPU cores.
    """
    import time

    train_set, test_set = _offline_mnist()
    grid = []
    for num_steps in STEP_COUNTS:
        for penalty in PENALTIES:
            start = time.perf_counter()
            model, summary = _train_grid_point(penalty, num_steps, train_set, test_set, epochs=epochs)
            grid.append(summary)
            if (penalty, num_steps) == (0.0, COST_NETWORK["num_steps"]):
                _save_network(model, NETWORK_NPZ)
            if progress:
                print(f"penalty {penalty:g}, {num_steps} steps: accuracy {summary['test_accuracy']:.3f}, "
                      f"{summary['fc2_synops_per_digit']:.0f} SynOps per digit ({time.perf_counter() - start:.0f} s)",
                      flush=True)
    mlp = bptt.build_mlp(COST_NETWORK["num_hidden"], seed=0)
    train_images, train_labels = bptt.mnist_tensors(train_set)
    test_images, test_labels = bptt.mnist_tensors(test_set)
    recipe = _RECIPE
    training.train(mlp, (train_images, train_labels), loss_fn=torch.nn.functional.cross_entropy,
                   readout=lambda scores: scores, epochs=epochs, batch_size=recipe.batch_size, lr=recipe.lr,
                   schedule=recipe.schedule, seed=0, progress=False)
    with torch.no_grad():
        mlp_accuracy = float((mlp(test_images).argmax(1) == test_labels).float().mean())
    _, piece = _train_grid_point(4.0, 5, train_set, test_set, epochs=1, num_train=REPRO_PIECE["num_train"])
    results = {"about": "lesson 07: made by `python -m snnlesson.cost --precompute` (snnlesson.cost._precompute)",
               "dataset": "offline MNIST subset: 4,000 training and 1,000 test digits",
               "network": COST_NETWORK, "epochs": epochs, "seed": 0, "raster_digit": RASTER_DIGIT,
               "raster_label": int(test_labels[RASTER_DIGIT]),
               "relu_network": {"num_hidden": COST_NETWORK["num_hidden"], "test_accuracy": round(mlp_accuracy, 4)},
               "grid": grid,
               "reproducibility_piece": {**REPRO_PIECE, **{k: piece[k] for k in
                                                           ("test_accuracy", "hidden_spikes_per_digit")}},
               "torch": torch.__version__}
    _files.write_text_atomic("path", RESULTS_JSON, json.dumps(results, indent=1) + "\n", what="results")
    return results


#: The short training tests repeat: penalty 4, 5 steps, one epoch on the first 512 training digits.
REPRO_PIECE = {"penalty": 4.0, "num_steps": 5, "epochs": 1, "num_train": 512}


def _accuracy(model: bptt.BaseSNN, images: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return float((bptt.class_scores(model(images)).argmax(1) == labels).float().mean())


def bench() -> dict:
    """``python -m snnlesson.bench cost``: the shipped network's accuracy, counts, energy, quantisation and
    NIR round trip on the 1,000 offline test digits, and the precomputed accuracy-SynOps grid."""
    import tempfile

    import nir

    from snnlesson import nir_export

    _, test_set = _offline_mnist()
    images, labels = bptt.mnist_tensors(test_set)
    model, results = load_network(), load_results()
    with torch.no_grad():
        record = model(images, record_hidden=True)
    counts = network_counts(model, images, record=record)
    snn_macs, snn_synops = counts["fc1"].per_example, counts["fc2"].per_example
    relu_macs = dense_macs(model.fc1) + dense_macs(model.fc2)
    energy = {p: {"snn_pj": round(energy_pj(snn_macs, snn_synops, p), 1),
                  "snn_hidden_layer_only_pj": round(energy_pj(0, snn_synops, p), 1),
                  "relu_pj": round(energy_pj(relu_macs, 0, p), 1)} for p in PRECISIONS}
    quantized = {f"{bits}bit": round(_accuracy(quantize_network(model, bits)[0], images, labels), 4)
                 for bits in (8, 4, 2)}
    original = {"spk_hidden": record.spk_hidden, "spk_out": record.spk_out}
    zero = simulate(model, images, reset="zero")
    round_trip = {}
    with tempfile.TemporaryDirectory() as folder:
        for method in nir_export.METHODS:
            path = Path(folder) / f"{method}.nir"
            nir.write(path, nir_export.to_nir(model, method=method))
            run = nir_export.run_snntorch(nir_export.import_snntorch(nir.read(path)), images, model.num_steps)
            for name, ref in (("vs_zero_reset", {"spk_hidden": zero.spk_hidden, "spk_out": zero.spk_out}),
                              ("vs_original", original)):
                agreement = nir_export.compare(ref, run)
                round_trip[f"{method}_{name}"] = {k: (round(v, 4) if isinstance(v, float) else
                                                      [round(x, 2) for x in v]) for k, v in agreement.items()}
    return {"dataset": "offline MNIST, 1,000 test digits",
            "snn": {"test_accuracy": round(float((bptt.class_scores(record).argmax(1) == labels).float().mean()), 4),
                    "spike_count_readout_accuracy": round(float(
                        (nir_export.spike_predictions(record.spk_out) == labels).float().mean()), 4),
                    "fc1_macs_per_digit": snn_macs, "fc2_synops_per_digit": round(snn_synops, 1),
                    "hidden_spikes_per_digit": round(float(record.spk_hidden.sum((0, 2)).mean()), 2)},
            "relu": {"test_accuracy": results["relu_network"]["test_accuracy"], "macs_per_digit": relu_macs},
            "energy_per_digit": energy, "quantized_accuracy": quantized,
            "grid": [{k: g[k] for k in ("penalty", "num_steps", "test_accuracy", "fc2_synops_per_digit")}
                     for g in results["grid"]],
            "nir_round_trip": round_trip}


if __name__ == "__main__":  # python -m snnlesson.cost --precompute
    import sys

    if sys.argv[1:] != ["--precompute"]:
        sys.exit("usage: python -m snnlesson.cost --precompute   (retrains the lesson's networks, ~8 min)")
    _precompute()
