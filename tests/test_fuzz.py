"""Fuzz test: every public name of snnlesson, fed one bad argument at a time, answers with a clear error.

The promise under test (DESIGN.md, "Bad input"): a wrong argument gives a
``TypeError`` or ``ValueError`` whose message names the parameter; never another
exception, a silent NaN, a hang or an allocation that exhausts memory.

How it works
------------
* **Targets**: every name in the ``__all__`` of every public module of the package
  (``snnlesson``, ``snnlesson.*``, ``snnlesson.lessons.*``, ...): functions, classes
  (their constructor) and the public methods a class defines itself. Not targets:
  constants; benchmarks (``snnlesson.bench`` and names starting with ``bench``: no
  student input, seconds each); exceptions; result records (NamedTuples: they hold what
  their producer computed, and the producers are fuzzed); ``torch.autograd.Function``
  classes (called through ``.apply`` inside the models); and ``NOT_FUZZED``.
* **A known-good call per target**, built from data, not code: a parameter's value
  comes from ``GOOD[target][name]`` if given, else from its default, else from
  ``BY_NAME[name]``, else from its annotation when that names a public class (built
  from that class's own good call). Values are Python expressions evaluated in
  ``_namespace`` (which knows ``torch``, ``np``, every snnlesson module and a few
  helpers such as ``rand(2, 3)`` or ``digits(4)``).
* **The catalogue** of bad values (``KINDS``), chosen by what the good value is: NaN,
  +/-inf, negative, zero, tiny, huge, 1e308, 2**70 and the denormal 5e-324, a
  complex number or a ``meta`` tensor where a number belongs, a fraction where an
  integer belongs, text, None, bools, a flag given as text ("False"), an int where a
  flag belongs, an unknown option; for tensors and arrays NaN or inf inside, empty,
  0-d, complex dtype, extra or missing dimensions, the ``meta`` device; for states
  and records (NamedTuples of tensors) a NaN inside; for devices a device that does
  not exist.
  Targets that draw (figures, explorers) get the shorter ``KINDS_FOR_DRAWING``.
  Hypothesis draws the concrete values (which negative number, where the NaN
  sits); ``derandomize=True`` makes a run reproducible.
* **Each call runs in a worker process** with a memory limit (``RLIMIT_DATA``,
  ``MEMORY_LIMIT`` above the worker's heap after import) and a time limit
  (``SNNLESSON_FUZZ_CALL_TIMEOUT_S``, default 10 s; the worker is killed and
  replaced). Workers set ``SNNLESSON_MAX_BYTES`` so that the package's own size
  budget refuses large requests before the memory limit is reached.
* **Outcomes**: a return is fine (for a function, unless it returns NaN where
  the good call did not: "silent-nan"; infinity after 1e308, 2**70 or 5e-324:
  "silent-inf"; a figure that draws NaN or inf where the good call's did not:
  "drew-nan"; and never for the kinds of ``MUST_REFUSE``, a flag given as text,
  complex values or a NaN state: "accepted"); ``TypeError``/``ValueError`` naming the
  parameter is fine; anything else is a finding: "unnamed" (the message does not
  name the parameter), "unreadable" (it shows an internal repr such as
  ``np.float64(-1.0)`` or ``tensor(3.)``), "exception" (another type), "memory", "hang", "crash".

Modes
-----
* Default (the test suite): every target and parameter except those listed in
  ``KNOWN_FAILURES`` must pass. The list is the open work: each entry names what
  fails; delete entries as the owners fix them (report mode says which pass now).
  The whole file is bounded by ``SNNLESSON_FUZZ_BUDGET_S`` (default 150 s): targets
  reached after the budget is spent are skipped, with that reason.
* Report: ``SNNLESSON_FUZZ=report`` runs everything, fails nothing and writes a
  Markdown table of findings to ``SNNLESSON_FUZZ_REPORT`` (or prints it)::

      SNNLESSON_FUZZ=report SNNLESSON_FUZZ_REPORT=/tmp/fuzz.md \\
          .venv/bin/python -m pytest tests/test_fuzz.py -q

  (``-k encoding`` runs one module). It also writes the rows as JSON beside the report.

``SNNLESSON_FUZZ_EXAMPLES`` (default 1) sets how many Hypothesis draws of the
whole catalogue each target gets.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import multiprocessing
import os
import pkgutil
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing.connection import wait as wait_for

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

REPORT = os.environ.get("SNNLESSON_FUZZ", "test") == "report"
REPORT_PATH = os.environ.get("SNNLESSON_FUZZ_REPORT")
EXAMPLES = int(os.environ.get("SNNLESSON_FUZZ_EXAMPLES", "1"))
BUDGET_S = float(os.environ.get("SNNLESSON_FUZZ_BUDGET_S", "150"))
CALL_TIMEOUT_S = float(os.environ.get("SNNLESSON_FUZZ_CALL_TIMEOUT_S", "10"))
WORKERS = int(os.environ.get("SNNLESSON_FUZZ_WORKERS", str(min(2, os.cpu_count() or 1))))
GOOD_CALL_MAX_S = 20.0            # a good call slower than this needs smaller GOOD arguments
MEMORY_LIMIT = 1536 * 1024 ** 2   # address space a worker may add to its footprint after import
SIZE_BUDGET = 256 * 1024 ** 2     # SNNLESSON_MAX_BYTES inside the workers
# A message for students shows values as they would type them: "-0.001", not NumPy 2's or
# torch's reprs ("np.float64(-0.001)", "tensor(3.)"), which name internal types.
INTERNAL_REPR = re.compile(r"\bnp\.(?:float|int|uint|bool|complex|str)\w*\(|\btensor\(|\barray\(")

# --------------------------------------------------------------------------- the good calls (data)

# Values for parameters without a default, by parameter name, in any module.
BY_NAME = {
    # sizes and counts
    "num_steps": "5", "num_neurons": "3", "num_inputs": "4", "num_samples": "2", "num_frames": "3",
    "n_fields": "5", "height": "4", "width": "4", "n": "3", "index": "0",
    # times (s), rates (Hz), thresholds
    "dt": "1e-3", "tau_m": "0.02", "tau": "0.01", "t_stop": "0.05", "t_start": "0.0", "rate": "50.0",
    "threshold": "1.0", "beta": "0.9", "slope": "25.0", "modulation": "0.9",
    "v_min": "0.0", "v_max": "1.0", "delta_t": "np.array([-0.01, 0.0, 0.02])",
    # tensors
    "x": "rand(3)", "data": "rand(2, 3)", "inputs": "rand(5, 3)", "current": "1.5", "currents": "np.array([0.5, 1.5, 3.0])",
    "values": "rand(3)", "image": "digit()", "images": "digits(4)", "labels": "labels(4)", "frames": "video()",
    "spikes": "spike_train(5, 3)", "mem": "rand(3)", "weights": "rand(4, 3) * 0.5", "original": "rand(4)",
    "estimate": "rand(4)", "grad_out": "np.ones(1)", "counts": "np.array([1, 2, 2, 3])",
    # reader-facing answers of the checkers
    "answer": "3", "fn": "lambda *args: args[0]", "mean": "1.0", "std": "1.0",
    # spike times (s)
    "pre_times": "np.array([0.010, 0.030])", "post_times": "np.array([0.015, 0.025])",
    "spike_times": "np.array([0.01, 0.02, 0.03])", "pattern_starts": "np.array([0.0, 0.1])",
    "input_times": "np.array([[0.0, 0.0, 0.006]])", "target_times": "np.array([[0.016]])",
    "output_times": "np.array([[0.016]])", "times": "np.array([0.01, 0.02])", "marks": "np.array([0.2, 0.7])",
    "s": "np.array([0.0, 0.005, 0.01])", "t": "np.array([0.0, 0.005, 0.01])",
    # other objects
    "path": "tmp('checkpoint.pt')", "dataset": "offline_mnist()", "train_data": "tiny_mnist(8)",
    "description": "'x'", "name": "'x'", "message": "'m'", "options": "['a', 'b']", "sizes": "[3, 2, 1]",
    "fig": "figure()", "controls": "{}", "update": "lambda **values: None", "codes": "{'rate': spike_train(5, 3)}",
    "curve": "encoding.reconstruction_curve(rand(4), [2, 4])", "thresholds": "np.array([0.1, 0.2])",
    "num_steps_values": "[2, 4]", "dts": "np.array([1e-3, 1e-4])", "errors": "np.array([1e-2, 1e-3])",
}

# Per target (``module:qualname``): values that differ from the defaults and from BY_NAME,
# because the default is too slow for a fuzz call or the name means something else here.
GOOD = {
    "snnlesson.threads:busy_cpus": {"sample_s": "0.01"},
    "snnlesson.threads:choose": {"max_threads": "1"},
    "snnlesson.threads:policy": {"threads": "1"},
    "snnlesson.bptt:StepSNN.forward": {"x": "rand(2, 784)"},
    "snnlesson.bptt:shift_digits": {"images": "rand(2, 1, 28, 28)", "max_shift_px": "1",
                                    "generator": "torch.Generator().manual_seed(0)"},
    "snnlesson.bptt:train_one_epoch": {"net": "bptt.StepSNN(num_hidden=8)", "loader": "[(rand(2, 784), torch.tensor([1, 3]))]", "optimizer": "torch.optim.SGD(bptt.StepSNN(num_hidden=8).parameters(), lr=0.1)", "num_steps": "3"},
    "snnlesson.lessons.l05_bptt:check_spike_function": {"spike_class": "surrogate.FastSigmoidSpike"},
    "snnlesson.lessons.l05_bptt:check_train_one_epoch": {"train_one_epoch": "bptt.train_one_epoch"},
    "snnlesson.lessons.l05_bptt:spike_gradient_comparison": {"spike_class": "surrogate.FastSigmoidSpike", "num_steps": "5"},
    "snnlesson.lessons.l05_bptt:epoch_comparison": {"train_one_epoch": "bptt.train_one_epoch", "train_data": "tiny_mnist(8)", "test_data": "tiny_mnist(4)", "num_train": "8", "epochs": "1", "num_hidden": "4", "num_steps": "2", "batch_size": "4"},
    "snnlesson.checks:diagnose": {"problem": "checks.failed('off.')", "got": "1.0", "mistakes": "[(1.0, 'hint')]"},
    "snnlesson.checks:answer_or_reference": {"answer": "abs", "reference": "abs", "result": "checks.passed()",
                                              "name": "'f'"},
    "snnlesson.lif:simulate_noisy": {"params": "lif.LIFParams()", "mean_drive": "1.5", "sigma": "0.1", "t_stop": "0.05", "dt": "1e-3"},
    "snnlesson.lessons.l01_lif:simulate_lif_reference": {"current": "np.array([1.5, 1.5, 0.0])", "dt": "1e-3", "tau_m": "0.02", "v_rest": "0.0", "v_reset": "0.0", "threshold": "1.0", "resistance": "1.0", "t_ref": "0.0"},
    "snnlesson.lessons.l01_lif:check_lif_loop": {"simulate_lif": "lessons.l01_lif.simulate_lif_reference"},
    "snnlesson.lessons.l01_lif:MysteryNeuron": {"seed": "1"},
    "snnlesson.lessons.l01_lif:estimate_neuron_reference": {"neuron": "lessons.l01_lif.MysteryNeuron(1)"},
    "snnlesson.lessons.l01_lif:check_mystery_neuron": {"estimate_neuron": "lessons.l01_lif.estimate_neuron_reference"},
    "snnlesson.lessons.l01_lif:white_noise_current": {"mean_drive": "0.8", "sigma": "0.3", "tau_m": "0.02", "dt": "1e-3", "num_steps": "100"},
    "snnlesson.lessons.l01_lif:isi_cv": {"intervals": "np.array([0.1, 0.2, 0.15])"},
    "snnlesson.lessons.l01_lif:noise_figure": {"traces": "[np.zeros(11)]", "labels": "['a']", "isis": "[np.array([0.1, 0.2])]", "currents": "np.array([0.0, 1.0])", "rates": "np.zeros((1, 2))", "sigmas": "[0.0]", "analytic": "np.zeros(2)", "dt": "1e-3"},
    "snnlesson.cost:synops": {"spikes": "spike_train(5, 3).unsqueeze(1)", "weight": "rand(4, 3)"},
    "snnlesson.cost:dense_macs": {"weight": "rand(4, 3)"},
    "snnlesson.cost:network_counts": {"model": "tiny_network()", "images": "digits(2)"},
    "snnlesson.cost:simulate": {"model": "tiny_network()", "images": "digits(2)"},
    "snnlesson.cost:quantize": {"weights": "rand(4, 3)", "bits": "8"},
    "snnlesson.cost:quantize_network": {"model": "tiny_network()", "bits": "8"},
    "snnlesson.cost:spike_penalty_loss": {"record": "tiny_network()(digits(2), record_hidden=True)",
                                          "labels": "labels(2)"},
    "snnlesson.cost:train_sparse": {"model": "tiny_network()", "train_data": "tiny_mnist(8)"},
    "snnlesson.lessons.l07_cost:reference_count_synops": {"spk_in": "spike_train(5, 3).unsqueeze(1)",
                                                          "spk_out": "spike_train(5, 4).unsqueeze(1)",
                                                          "weight": "rand(4, 3)"},
    "snnlesson.lessons.l07_cost:counts_figure": {"counts": "cost.network_counts(tiny_network(), digits(2))",
                                                 "relu_macs": "{'fc1': 6272, 'fc2': 80}"},
    "snnlesson.lessons.l07_cost:energy_figure": {"energies": "{'a': {'float32': 5.0, 'int8': 1.0}}"},
    "snnlesson.lessons.l07_cost:per_class_figure": {"mine": "rand(4)", "package": "rand(4)", "labels": "labels(4)"},
    "snnlesson.nir_export:compare": {
        "a": "{'spk_hidden': spike_train(3, 8).unsqueeze(1), 'spk_out': spike_train(3, 10).unsqueeze(1)}",
        "b": "{'spk_hidden': spike_train(3, 8).unsqueeze(1), 'spk_out': spike_train(3, 10).unsqueeze(1)}"},
    "snnlesson.nir_export:to_nir": {"model": "tiny_network()"},
    "snnlesson.nir_export:import_snntorch": {"graph": "nir_export.to_nir(tiny_network())"},
    "snnlesson.nir_export:nir_to_lif": {"tau": "0.02", "r": "20.0"},
    "snnlesson.nir_export:run_snntorch": {"net": "nir_export.import_snntorch(nir_export.to_nir(tiny_network()))",
                                          "images": "digits(2)", "num_steps": "3"},
    "snnlesson.nir_export:spike_predictions": {"spk_out": "spike_train(3, 10).unsqueeze(1)"},
    "snnlesson.rsnn:num_parameters": {},
    "snnlesson.rsnn:twin_hyperparams": {},
    "snnlesson.rsnn:Task.spike_counts": {"self": "rsnn.TASKS['digit']", "record": "small_rsnn()(rsnn_data()[0])"},
    "snnlesson.lessons.l06_rsnn:network_weights": {"model": "small_rsnn()"},
    "snnlesson.lessons.l06_rsnn:forward_scores": {"frames": "rand(2, 3, 36)", "weights":
        "lessons.l06_rsnn.network_weights(rsnn.build('rsnn', rsnn.HyperParams(hidden_size=4, output_size=3), 36))",
        "window": "slice(1, 3)"},
    "snnlesson.lessons.l06_rsnn:check_forward_pass": {"answer": "lessons.l06_rsnn.forward_scores"},
    "snnlesson.lessons.l06_rsnn:scores_agreement": {"yours": "rand(3, 2)", "reference": "rand(3, 2)",
                                                    "labels": "labels(3) % 2"},
    "snnlesson.lessons.l02_encoding:check_rate_code": {"rate_encode": "lessons.l02_encoding.reference_rate_encode", "rate_decode": "encoding.rate_decode"},
    "snnlesson.lessons.l02_encoding:check_rank_order": {"rank_order_encode": "encoding.rank_order"},
    "snnlesson.lessons.l02_encoding:encoder_comparison": {"image": "digit()", "rows": "{'rate': (spike_train(5, 784), rand(784))}"},
    "snnlesson.lessons.l02_encoding:binomial_pvalues": {"counts": "np.array([1, 3])", "num_steps": "5", "p": "np.array([0.2, 0.5])"},
    "snnlesson.lessons.l02_encoding:reference_rate_encode": {"generator": "torch.Generator().manual_seed(0)"},
    "snnlesson.lessons.l03_stdp:correlation_figure": {"result": "competition_runs()[(10.0, 1.05)]", "num_correlated": "5"},
    "snnlesson.lessons.l03_stdp:online_rule": {"pre_times": "np.array([0.010, 0.030])", "post_times": "np.array([0.015])",
        "a_plus": "0.01", "a_minus": "0.0105", "tau_plus": "0.02", "tau_minus": "0.02"},
    "snnlesson.lessons.l03_stdp:online_rule_figure": {"rule": "lessons.l03_stdp.online_rule",
        "pre_times": "np.array([0.010, 0.030])", "post_times": "np.array([0.015])", "num_points": "3"},
    "snnlesson.lessons.l04_spikeprop:output_layer_gradient": {"t_in": "np.array([0.0, 0.002, 0.005])", "t_out": "np.array([0.01])", "target": "np.array([0.012])", "w": "np.full((3, 1, 16), 0.05)"},
    "snnlesson.lessons.l04_spikeprop:hidden_delta": {"t_in": "np.array([0.0, 0.002, 0.005])", "w_hidden": "np.full((3, 2, 16), 0.05)", "t_hidden": "np.array([0.01, 0.011])", "w_out": "np.full((2, 1, 16), 0.05)", "t_out": "np.array([0.02])", "delta_out": "np.array([1e-5])"},
    "snnlesson.lessons.l04_spikeprop:finite_difference_dt_dw": {"t_in": "np.array([0.0, 0.002, 0.005])", "w": "np.full((3, 1, 16), 0.05)"},
    "snnlesson.lessons.l04_spikeprop:descend": {"gradient_fn": "None", "target": "0.012", "steps": "3"},
    "snnlesson.lessons.l04_spikeprop:descent_figure": {"gradient_fn": "None"},
    "snnlesson.lessons.l04_spikeprop:xor_descent": {"epochs": "2"},
    "snnlesson.lessons.l04_spikeprop:xor_descent_figure": {"output_fn": "None", "hidden_fn": "None", "epochs": "2"},
    "snnlesson.bptt:lif_run": {"current": "rand(2, 3)", "num_steps": "4"},
    "snnlesson.bptt:lif_step": {"current": "rand(3)", "mem": "rand(3)"},
    "snnlesson.bptt:ArticleSNN": {"num_steps": "3", "num_hidden": "8"},
    "snnlesson.bptt:ScratchSNN": {"num_steps": "3", "num_hidden": "8"},
    "snnlesson.bptt:build_network": {"num_steps": "3", "num_hidden": "8"},
    "snnlesson.bptt:train": {"model": "tiny_network()", "train_data": "tiny_mnist(8)",
                             "recipe": "bptt.Recipe(epochs=1, batch_size=4, num_steps=3)", "progress": "False"},
    "snnlesson.bptt:encode_input": {"images": "digits(2)", "encoding": "'direct'", "num_steps": "3"},
    "snnlesson.bptt:ScratchSNN.forward": {"self": "tiny_network()", "x": "digits(2)"},
    "snnlesson.bptt:ArticleSNN.forward": {"self": "tiny_network('article')", "x": "digits(2)"},
    "snnlesson.checks:compare_arrays": {"name": "'v'", "got": "[1.0, 2.0]", "expected": "[1.0, 2.0]"},
    "snnlesson.lessons.l00_start:check_spike_count": {"spikes": "spike_train(5, 3)"},
    "snnlesson.checks:call_answer": {"fn": "abs", "args": "(-1.0,)", "case": "'x=-1'"},
    "snnlesson.lessons.l01_lif:check_euler_step": {"euler_step": "lambda v, i, dt, tau, e, r: v + dt / tau * (-(v - e) + r * i)"},
    "snnlesson.data:as_tensors": {"dataset": "offline_mnist()"},
    "snnlesson.data:moving_digits": {"num_frames": "3", "canvas": "32", "dataset": "offline_mnist()"},
    "snnlesson.dvs:to_frames": {"ev": "dvs.events(video())", "num_frames": "3", "height": "4", "width": "4"},
    "snnlesson.dvs:Events": {"t": "np.array([0])", "x": "np.array([0])", "y": "np.array([0])",
                             "p": "np.array([1])"},
    "snnlesson.encoding:rank_order_decode": {"spikes": "encoding.rank_order(rand(4), 5)"},
    "snnlesson.encoding:latency_decode": {"spikes": "encoding.latency(rand(4), 5)"},
    "snnlesson.encoding:rate_decode": {"spikes": "spike_train(5, 3)"},
    "snnlesson.encoding:population": {"values": "rand(3)", "n_fields": "5", "v_min": "0.0", "v_max": "1.0",
                                      "num_steps": "5"},
    "snnlesson.encoding:latency": {"data": "rand(4)", "num_steps": "5"},
    "snnlesson.hebbian:hebbian_layer_step": {"x": "rand(4)", "state": "lif_discrete.LIFDiscreteState(rand(3))",
                                             "weights": "rand(4, 3) * 0.5",
                                             "params": "hebbian.HebbianParams()"},
    "snnlesson.hebbian:hebbian_update": {"weights": "rand(4, 3) * 0.5", "x": "rand(4)",
                                         "spikes": "torch.tensor([1.0, 0.0, 1.0])",
                                         "params": "hebbian.HebbianParams()"},
    "snnlesson.hebbian:run_hebbian": {"inputs": "spike_train(5, 4)", "weights": "rand(4, 3) * 0.5"},
    "snnlesson.hebbian:HebbianState": {"mem": "rand(3)", "weights": "rand(4, 3)"},
    "snnlesson.hebbian:fires_at_threshold": {"x": "rand(3) - 0.5"},
    "snnlesson.lif:simulate": {"params": "lif.LIFParams()", "t_stop": "0.05", "dt": "1e-3", "current": "1.5"},
    "snnlesson.lif:exact_step": {"v": "0.0", "current": "1.5", "dt": "1e-3", "params": "lif.LIFParams()"},
    "snnlesson.lif:euler_step": {"v": "0.0", "current": "1.5", "dt": "1e-3", "params": "lif.LIFParams()"},
    "snnlesson.lif:simulated_firing_rate": {"params": "lif.LIFParams()", "currents": "np.array([0.5, 2.0])",
                                            "t_stop": "0.1"},
    "snnlesson.lif:poisson_bursts": {"rate": "50.0"},
    "snnlesson.lif_discrete:step": {"x": "rand(3)", "state": "lif_discrete.LIFDiscreteState(rand(3))",
                                    "params": "lif_discrete.LIFDiscreteParams()"},
    "snnlesson.lif_discrete:unroll": {"step_fn": "lambda x, s: lif_discrete.step(x, s, lif_discrete.LIFDiscreteParams())",
                                      "inputs": "rand(5, 3)"},
    "snnlesson.lif_discrete:run": {"inputs": "rand(5, 3)"},
    "snnlesson.lif_discrete:initial_state": {"x": "rand(3)"},
    "snnlesson.lif_discrete:SpikingNeuronLayer.forward": {"self": "lif_discrete.SpikingNeuronLayer(3)", "x": "rand(3)"},
    "snnlesson.lif_discrete:SpikingNeuronLayer.initialize_states": {"self": "lif_discrete.SpikingNeuronLayer(3)",
                                                                    "layer_shape": "(3,)"},
    "snnlesson.lif_discrete:run_layer": {"layer": "lif_discrete.SpikingNeuronLayer(3)", "inputs": "rand(5, 3)"},
    "snnlesson.lif_discrete:LIFDiscreteState": {"mem": "rand(3)"},
    "snnlesson.plot:digits_grid": {"images": "digits(4)", "labels": "labels(4)"},
    "snnlesson.plot:raster": {"spikes": "spike_train(5, 3)"},
    "snnlesson.plot:raster_points": {"spikes": "spike_train(5, 3)"},
    "snnlesson.plot:to_numpy": {"x": "rand(3)"},
    "snnlesson.explorer:Explorer": {"fig": "figure()", "controls": "{'a': explorer.slider('a', 0.5, 0.0, 1.0, 0.1)}",
                                    "update": "lambda a: None"},
    "snnlesson.explorer:Explorer.values": {"self": "any_explorer()"},
    "snnlesson.explorer:Explorer.refresh": {"self": "any_explorer()"},
    "snnlesson.explorer:slider": {"value": "0.5", "min": "0.0", "max": "1.0", "step": "0.1"},
    "snnlesson.explorer:int_slider": {"value": "2", "min": "0", "max": "5"},
    "snnlesson.explorer:log_slider": {"value": "0.5", "min": "0.01", "max": "1.0"},
    "snnlesson.explorer:dropdown": {"value": "'a'", "options": "['a', 'b']"},
    "snnlesson.explorer:toggle": {"value": "True"},
    "snnlesson.explorer:as_image": {"image": "digit()"},
    "snnlesson.explorer:as_video": {"frames": "video()"},
    "snnlesson.lessons.l00_start:digit_raster_figure": {"image": "digit()", "spikes": "spike_train(5, 784)"},
    "snnlesson.lessons.l01_lif:lif_explorer": {"t_stop": "0.2"},
    "snnlesson.lessons.l01_lif:candidate_input": {"t_stop": "0.2"},
    "snnlesson.lessons.l01_lif:thin_input": {"times": "np.array([0.01, 0.02])", "marks": "np.array([0.2, 0.7])",
                                            "rate": "50.0"},
    "snnlesson.lessons.l01_lif:discrete_firing_rate": {"currents": "np.array([0.5, 1.5])", "t_stop": "0.05"},
    "snnlesson.lessons.l01_lif:hebbian_weights_figure": {"history": "rand(3, 4, 2)",
                                                        "groups": "{'a': np.array([True, True, False, False])}"},
    "snnlesson.lessons.l02_encoding:RateCandidates": {"image": "digit().numpy()", "max_steps": "20", "seed": "0"},
    "snnlesson.lessons.l02_encoding:RateCandidates.spikes": {
        "self": "lessons.l02_encoding.RateCandidates(digit().numpy(), 20, 0)", "num_steps": "10", "gain": "1.0"},
    "snnlesson.lessons.l02_encoding:spike_count_histogram": {"counts": "np.array([1, 2, 2, 3])", "num_steps": "10",
                                                             "p": "0.2"},
    "snnlesson.lessons.l02_encoding:dvs_strip": {"frames": "video()", "event_counts": "np.array([0, 3, 2])",
                                                 "frame_indices": "[0, 1]"},
    "snnlesson.lessons.l02_encoding:event_count_plot": {"thresholds": "np.array([0.1, 0.2])",
                                                        "counts": "np.array([5, 2])"},
    "snnlesson.lessons.l02_encoding:code_rasters": {"codes": "{'rate': spike_train(5, 3)}"},
    "snnlesson.lessons.l02_encoding:population_explorer": {"value": "0.3", "n_fields": "5", "num_steps": "10"},
    "snnlesson.lessons.l02_encoding:delta_figure": {"frames": "video()", "threshold": "0.3"},
    "snnlesson.surrogate:FastSigmoid.derivative": {"self": "surrogate.FastSigmoid()", "x": "rand(3)"},
    "snnlesson.surrogate:ATan.derivative": {"self": "surrogate.ATan()", "x": "rand(3)"},
    "snnlesson.stdp:apply_change": {"weights": "np.array([0.5, 0.2])", "potentiation": "np.array([0.01, 0.0])",
                                    "depression": "np.array([0.0, 0.02])", "params": "stdp.STDPParams()"},
    "snnlesson.stdp:online_stdp": {"pre_times": "np.array([0.010, 0.030])", "post_times": "np.array([0.015])"},
    "snnlesson.stdp_competition:poisson_inputs": {"num_inputs": "4", "rate": "10.0", "num_steps": "20",
                                                  "dt": "1e-3"},
    "snnlesson.stdp_competition:competition_inputs": {"t_stop": "0.05", "params": "small_competition()",
                                                      "stdp": "stdp.STDPParams()"},
    "snnlesson.stdp_competition:simulate_competition": {"t_stop": "0.05", "params": "small_competition()",
                                                        "snapshot_every": "0.01"},
    "snnlesson.stdp_competition:weight_fractions": {"weights": "np.array([0.0, 0.01, 0.005])"},
    "snnlesson.stdp_competition:is_bimodal": {"weights": "np.array([0.0, 0.01, 0.005])"},
    "snnlesson.stdp_competition:output_rate": {"spike_times": "np.array([0.01, 0.02])", "t_start": "0.0",
                                               "t_stop": "0.1"},
    "snnlesson.stdp_pattern:pattern_input": {"t_stop": "0.2", "params": "small_pattern_params()"},
    "snnlesson.stdp_pattern:PatternInput.take": {"self": "small_pattern_input()", "index": "0", "t_stop": "0.1"},
    "snnlesson.stdp_pattern:PatternInput.window": {"self": "small_pattern_input()", "t_start": "0.0",
                                                   "t_stop": "0.1"},
    "snnlesson.stdp_pattern:simulate_pattern": {"inp": "small_pattern_input()", "t_stop": "0.1",
                                                "snapshot_every": "0.05"},
    "snnlesson.stdp_pattern:score_pattern": {"spike_times": "np.array([0.01, 0.12])",
                                             "pattern_starts": "np.array([0.0, 0.1])", "t_start": "0.0",
                                             "t_stop": "0.2"},
    "snnlesson.stdp_pattern:latencies": {"spike_times": "np.array([0.01, 0.12])",
                                         "pattern_starts": "np.array([0.0, 0.1])"},
    "snnlesson.stdp_pattern:run_pattern_experiment": {"t_stop": "0.2", "input_params": "small_pattern_params()"},
    "snnlesson.spikeprop:kernel": {"s": "np.array([0.0, 0.005, 0.01])", "tau": "0.007"},
    "snnlesson.spikeprop:kernel_derivative": {"s": "np.array([0.0, 0.005, 0.01])", "tau": "0.007"},
    "snnlesson.spikeprop:potential": {"t": "np.array([0.005, 0.01])", "input_times": "np.array([[0.0, 0.0, 0.006]])",
                                      "weights": "np.full((3, 1, 16), 0.5)"},
    "snnlesson.spikeprop:spike_time": {"input_times": "np.array([[0.0, 0.0, 0.006]])",
                                       "weights": "np.full((3, 1, 16), 0.5)"},
    "snnlesson.spikeprop:forward": {"input_times": "np.array([[0.0, 0.0, 0.006]])",
                                    "weights": "spikeprop_training.xor_weights()"},
    "snnlesson.spikeprop:loss": {"output_times": "np.array([[0.016]])", "target_times": "np.array([[0.016]])"},
    "snnlesson.spikeprop_training:init_weights": {"sizes": "[3, 5, 1]"},
    "snnlesson.spikeprop_training:train": {"weights": "spikeprop_training.xor_weights()",
                                           "input_times": "xor_times()[0]", "target_times": "xor_times()[1]",
                                           "epochs": "2"},
    "snnlesson.spikeprop_training:first_to_fire": {"output_times": "np.array([[0.016, 0.012]])"},
    "snnlesson.spikeprop_training:train_xor": {"n_seeds": "1", "epochs": "2"},
    "snnlesson.spikeprop_training:train_iris": {"seeds": "(0,)", "epochs": "1"},
    "snnlesson.spikeprop_training:single_neuron_timing": {"epochs": "1"},
    "snnlesson.training:History.as_dict": {"self": "training.History()"},
    "snnlesson.training:train": {"model": "tiny_network()", "train_data": "tiny_mnist(8)",
                                 "loss_fn": "lambda out, y: torch.nn.functional.cross_entropy(out[1].sum(0), y)",
                                 "batch_size": "4", "progress": "False", "readout": "lambda out: out[1].sum(0)"},
    "snnlesson.training:evaluate": {"model": "tiny_network()", "data": "tiny_mnist(8)",
                                    "readout": "lambda out: out[0].sum(0)"},
    "snnlesson.training:predict": {"model": "tiny_network()", "inputs": "digits(2)",
                                   "readout": "lambda out: out[0].sum(0)"},
    "snnlesson.training:save_checkpoint": {"model": "tiny_network()"},
    "snnlesson.training:load_checkpoint": {"path": "training_checkpoint()",
                                           "build": "lambda config: bptt.build_network(num_hidden=8, num_steps=3)"},
    "snnlesson.training:as_tensors": {"data": "tiny_mnist(8)"},
    "snnlesson.bptt:BaseSNN": {"num_steps": "3", "num_hidden": "8"},
    "snnlesson.bptt:BaseSNN.forward": {"self": "tiny_network()", "x": "digits(2)"},
    "snnlesson.bptt:class_scores": {"record": "tiny_network()(digits(2))"},
    "snnlesson.bptt:recipe_loss": {"record": "tiny_network()(digits(2))", "labels": "labels(2)"},
    "snnlesson.bptt:mnist_tensors": {"data": "offline_mnist()"},
    "snnlesson.bptt:readout_for": {"loss": "'ce_mean_membrane'"},
    "snnlesson.checks:CheckResult": {"ok": "True", "message": "'m'"},
    "snnlesson.checks:failed": {"message": "'m'"},
    "snnlesson.explorer:log_slider": {"value": "0.5", "min": "-2.0", "max": "0.0"},
    "snnlesson.lessons.l05_bptt:network_explorer": {"model": "tiny_network()", "images": "digits(2)",
                                                    "labels": "labels(2)"},
    "snnlesson.lessons.l05_bptt:surrogate_runs": {"train_data": "tiny_mnist(8)", "test_data": "tiny_mnist(4)",
                                                  "slopes": "(1.0, 25.0)", "betas": "(0.9,)", "num_hidden": "4",
                                                  "num_steps": "3", "num_train": "8", "epochs": "1"},
    "snnlesson.lessons.l05_bptt:surrogate_learning_explorer": {
        "runs": "lessons.l05_bptt.surrogate_runs(tiny_mnist(8), tiny_mnist(4), slopes=(1.0, 25.0), betas=(0.9,), "
                "num_hidden=4, num_steps=3, num_train=8, epochs=1)", "beta": "0.9"},
    "snnlesson.lessons.l05_bptt:per_class_figure": {"accuracy": "{'a': np.linspace(0.5, 1.0, 10)}"},
    "snnlesson.lessons.l05_bptt:hidden_rasters": {"spikes": "{'a': spike_train(5, 3)}"},
    "snnlesson.training:confusion_matrix": {"predicted": "labels(4)"},
    "snnlesson.training:per_class_accuracy": {"predicted": "labels(4)"},
    "snnlesson.lessons.l05_bptt:dead_gradient": {"weights": "np.array([0.1, 0.5, 1.0])",
                                                 "counts": "np.array([0, 3, 9])",
                                                 "surrogate_gradient": "np.array([0.2, 0.5, 0.9])"},
    "snnlesson.lessons.l03_stdp:competition_explorer": {"runs": "competition_runs()"},
    "snnlesson.lessons.l03_stdp:competition_figure": {"additive": "competition_runs()[(10.0, 1.05)]"},
    "snnlesson.lessons.l03_stdp:competition_grid": {"rates": "(10.0,)", "ratios": "(1.05,)", "t_stop": "0.05",
                                                     "num_inputs": "20"},
    "snnlesson.lessons.l03_stdp:pattern_figure": {"inp": "small_pattern_input()", "result": "small_pattern_result()",
                                                  "windows": "((0.0, 0.1), (None, 0.1))"},
    "snnlesson.lessons.l03_stdp:input_raster_figure": {"inp": "small_pattern_input()", "length": "0.1",
                                                       "num_shown": "10"},
    "snnlesson.lessons.l03_stdp:traces_figure": {"params": "stdp.STDPParams()"},
    "snnlesson.lessons.l03_stdp:rate_curve": {"t_stop": "0.1", "bin_width": "0.05"},
    "snnlesson.lessons.l03_stdp:pairing_figure": {"num_pairs": "3"},
    "snnlesson.lessons.l02_encoding:dvs_strip": {"frames": "video()",
                                                 "event_counts": "dvs.to_frames(dvs.events(video()), 3, 4, 4)",
                                                 "frame_indices": "[0, 1]"},
    "snnlesson.plot:window_shade": {"ax": "axes()", "num_steps": "5"},
    "snnlesson.spikeprop:backward": {"times": "spikeprop.forward(xor_times()[0], spikeprop_training.xor_weights())",
                                     "weights": "spikeprop_training.xor_weights()",
                                     "target_times": "xor_times()[1]"},
    "snnlesson.spikeprop:layer_backward": {"grad_out": "np.array([[1.0]])", "t_in": "np.array([[0.0, 0.0, 0.006]])",
                                           "t_out": "np.array([[0.016]])", "w": "np.full((1, 3, 1, 16), 0.5)",
                                           "params": "spikeprop.SRMParams()"},
    "snnlesson.training:History.from_dict": {"d": "training.History().as_dict()"},
    "snnlesson.training:CheckResult": {"ok": "True", "message": "'m'"},
    "snnlesson.plot:events_rgb": {"on_counts": "np.ones((4, 4))", "off_counts": "np.zeros((4, 4))"},
    "snnlesson.plot:image_row": {"images": "{'a': digit().numpy(), 'b': digit().numpy()}"},
    "snnlesson.plot:lif_trace_points": {"result": "lif.simulate(lif.LIFParams(), 0.05, 1e-3, current=1.5)",
                                        "params": "lif.LIFParams()"},
    "snnlesson.plot:membrane_trace": {"result": "lif.simulate(lif.LIFParams(), 0.05, 1e-3, current=1.5)",
                                      "params": "lif.LIFParams()"},
    "snnlesson.plot:membrane_traces": {"mem": "rand(5, 3)"},
    "snnlesson.plot:training_curves": {"history": "bptt_history()"},
    "snnlesson.plot:weight_history": {"history": "rand(4, 3, 2)", "groups": "{'a': np.array([True, False, True])}"},
    "snnlesson.data:iris": {},
    "snnlesson.lessons.l06_rsnn:training_curves": {"runs": "l06_runs()", "task": "'digit'"},
    "snnlesson.rsnn:RSNNNet": {"hp": "small_hp()", "input_size": "324"},
    "snnlesson.rsnn:RSNNNet.forward": {"self": "rsnn.RSNNNet(small_hp(), 324)", "x": "rand(2, 324)"},
    "snnlesson.rsnn:FeedForwardNet": {"hp": "small_hp()", "input_size": "324"},
    "snnlesson.rsnn:recurrent_lif_step": {"x": "rand(3)", "state": "rsnn.RecurrentLIFState(torch.zeros(3), torch.zeros(3))",
                                          "params": "lif_discrete.LIFDiscreteParams()",
                                          "recurrent": "torch.nn.Linear(3, 3)", "spike_fn": "lif_discrete.heaviside"},
    "snnlesson.rsnn:RecurrentLIF": {"num_neurons": "3", "params": "lif_discrete.LIFDiscreteParams()",
                                    "spike_fn": "lif_discrete.heaviside"},
    "snnlesson.rsnn:RecurrentLIF.forward": {
        "self": "rsnn.RecurrentLIF(3, lif_discrete.LIFDiscreteParams(), lif_discrete.heaviside)", "x": "rand(2, 3)"},
    "snnlesson.rsnn:RecurrentLIF.reset_mem": {
        "self": "rsnn.RecurrentLIF(3, lif_discrete.LIFDiscreteParams(), lif_discrete.heaviside)"},
    "snnlesson.rsnn:ScratchRSNN": {"hp": "small_hp()", "input_size": "324"},
    "snnlesson.rsnn:ScratchRSNN.forward": {"self": "rsnn.ScratchRSNN(small_hp(), 324)", "x": "rand(2, 324)"},
    "snnlesson.rsnn:ScratchRSNN.set_neuron_parameters": {"self": "rsnn.ScratchRSNN(small_hp(), 324)", "beta": "0.9"},
    "snnlesson.rsnn:ScratchRSNN.from_rsnn": {"net": "rsnn.RSNNNet(small_hp(), 324)"},
    "snnlesson.rsnn:SequenceModel": {"net": "rsnn.RSNNNet(small_hp(), 324)"},
    "snnlesson.rsnn:SequenceModel.forward": {"self": "small_rsnn()", "frames": "rsnn_data()[0]"},
    "snnlesson.rsnn:reset_state": {"net": "rsnn.RSNNNet(small_hp(), 324)"},
    "snnlesson.rsnn:Task": {"name": "'digit'", "num_frames": "4", "cue_frames": "None", "answer_frames": "4"},
    "snnlesson.rsnn:Task.loss": {"self": "rsnn.TASKS['digit']", "record": "small_rsnn()(rsnn_data()[0])",
                                 "labels": "rsnn_data()[1]"},
    "snnlesson.rsnn:Task.scores": {"self": "rsnn.TASKS['digit']", "record": "small_rsnn()(rsnn_data()[0])"},
    "snnlesson.rsnn:Task.videos": {"self": "rsnn.TASKS['digit']", "num_samples": "2", "dataset": "offline_mnist()"},
    "snnlesson.rsnn:Task.inputs": {"self": "rsnn.TASKS['digit']", "frames": "rsnn_videos().frames"},
    "snnlesson.rsnn:Task.make": {"self": "rsnn.TASKS['digit']", "num_samples": "2", "dataset": "offline_mnist()"},
    "snnlesson.rsnn:build": {"hp": "small_hp()"},
    "snnlesson.rsnn:train_network": {"kind": "'rsnn'", "task": "rsnn.TASKS['digit']", "train_data": "rsnn_data()",
                                     "hp": "small_hp()"},
    "snnlesson.lessons.l04_spikeprop:time_vs_weight": {"scales": "np.array([0.5, 1.0])"},
    "snnlesson.lessons.l04_spikeprop:gradient_check": {"weights": "spikeprop_training.xor_weights()",
                                                       "input_times": "xor_times()[0]",
                                                       "target_times": "xor_times()[1]", "n": "1"},
    "snnlesson.lessons.l04_spikeprop:xor_training_figure": {"history": "xor_history()"},
    "snnlesson.lessons.l04_spikeprop:convergence_figure": {"panels": "{'a': {'online': xor_history()}}",
                                                           "epochs": "2"},
    "snnlesson.lessons.l04_spikeprop:convergence_study": {"starts": "{'a': (0.0, 0.1)}",
                                                          "runs": "{'online': ('online', {})}",
                                                          "epochs": "2", "n_networks": "2"},
    # not fuzzed (it rewrites a shipped file), but its path is checked before any training (path section)
    "snnlesson.lessons.l04_spikeprop:write_convergence": {"starts": "{'a': (0.0, 0.1)}",
                                                          "runs": "{'online': ('online', {})}",
                                                          "epochs": "2", "n_networks": "2"},
    "snnlesson.lessons.l04_spikeprop:iris_output_figure": {"result": "iris_result()"},
    "snnlesson.lessons.l04_spikeprop:timing_histogram": {"result": "timing_result()"},
    "snnlesson.lessons.l04_spikeprop:xor_snapshots": {"epochs": "2"},
    "snnlesson.lessons.l04_spikeprop:srm_explorer": {"snapshots": "l04_snapshots()"},
    "snnlesson.lessons.l06_rsnn:load_data": {"task": "'digit'", "train_videos": "4", "test_videos": "2"},
    "snnlesson.lessons.l06_rsnn:train_lesson": {
        "task": "'digit'", "data": "lessons.l06_rsnn.load_data('digit', train_videos=4, test_videos=2)",
        "epochs": "1", "progress": "False"},
    "snnlesson.lessons.l06_rsnn:gallery_animation": {"videos": "rsnn_videos(num_frames=2)"},  # a PNG per frame
    "snnlesson.lessons.l06_rsnn:record_summary": {"record": "lessons.l06_rsnn.load_record()"},
    "snnlesson.lessons.l06_rsnn:load_trained": {"task": "'digit'"},
    "snnlesson.lessons.l06_rsnn:code_listing": {"obj": "rsnn.recurrent_lif_step"},
    "snnlesson.lessons.l06_rsnn:frame_strip": {"videos": "rsnn_videos()", "rows": "2", "columns": "2"},
    "snnlesson.lessons.l06_rsnn:spike_rasters": {"model": "small_rsnn()", "inputs": "rsnn_data()[0]",
                                                 "labels": "rsnn_data()[1]", "task": "rsnn.TASKS['digit']"},
    "snnlesson.lessons.l06_rsnn:weight_heatmaps": {"before": "small_rsnn()", "after": "small_rsnn()"},
    "snnlesson.lessons.l06_rsnn:weight_histograms": {"before": "small_rsnn()", "after": "small_rsnn()"},
    "snnlesson.lessons.l06_rsnn:comparison_bars": {"accuracies": "{'digit': {'rsnn': 0.9, 'feedforward': 0.6}}"},
    "snnlesson.lessons.l06_rsnn:rsnn_explorer": {"model": "small_rsnn()", "inputs": "rsnn_data()[0]",
                                                 "labels": "rsnn_data()[1]", "task": "rsnn.TASKS['digit']",
                                                 "num_eval": "2"},
    "snnlesson.training:model_device": {"model": "tiny_network()"},
    "snnlesson.lessons.l05_bptt:load_results": {},
    "snnlesson.lessons.l05_bptt:load_surrogate_runs": {},
}

# Targets (or single parameters) that are not fuzzed: {target: {parameter or "*": why}}.
NOT_FUZZED = {
    "snnlesson.explorer:register_explorer": {"*": "a decorator for the package's own explorers, not student input"},
    "snnlesson.lessons.l06_rsnn:write_record": {"*": "trains the lesson's networks for minutes and writes the "
                                                     "record shipped with the package"},
    "snnlesson.lessons.l04_spikeprop:write_convergence": {"*": "trains 160 XOR networks and writes the study shipped "
                                                               "with the package"},
    "snnlesson.lessons.l05_bptt:write_results": {"*": "trains three networks for about a minute and writes the "
                                                      "results shipped with the package"},
    "snnlesson.lessons.l05_bptt:write_surrogate_runs": {"*": "trains 18 small networks and writes the grid shipped "
                                                             "with the package"},
}

# Open findings, skipped in the default mode: {target: {parameter or "*": what fails}}.
# Shrink this list as the owners fix their functions; report mode lists entries that now pass.
KNOWN_FAILURES: dict[str, dict[str, str]] = {
}


# ------------------------------------------------------------------------------------- the catalogue

def _finite_floats(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


# kind -> (Hypothesis strategy for its argument, description for reports)
KINDS = {
    "nan": (st.just(math.nan), "NaN"),
    "inf": (st.sampled_from([math.inf, -math.inf]), "+/-inf"),
    "negative_int": (st.integers(-10**9, -1), "a negative integer"),
    "negative_float": (_finite_floats(-1e9, -1e-9), "a negative number"),
    "zero": (st.sampled_from([0, 0.0]), "zero"),
    "tiny": (_finite_floats(1e-300, 1e-9), "a tiny positive number"),
    "huge_int": (st.integers(10**11, 10**30), "a huge integer"),
    "huge_float": (_finite_floats(1e11, 1e308), "a huge number"),
    "fraction": (_finite_floats(0.01, 100.0).filter(lambda v: not float(v).is_integer()),
                 "a fraction where an integer belongs"),
    "text": (st.sampled_from(["1", "abc", "", "False", "nan"]), "text"),
    "none": (st.none(), "None"),
    "bool": (st.booleans(), "a bool"),
    "small_int": (st.integers(-2, 3), "an int where a flag or object belongs"),
    "choice": (st.text(alphabet="qxz", min_size=1, max_size=4), "an unknown option"),
    "nan_inside": (_finite_floats(0.0, 1.0), "a tensor with a NaN inside"),
    "inf_inside": (_finite_floats(0.0, 1.0), "a tensor with an inf inside"),
    "empty": (st.just(0), "an empty tensor"),
    "zero_d": (st.just(0), "a 0-d tensor"),
    "complex": (st.just(0), "a complex tensor"),
    "extra_dims": (st.integers(1, 2), "a tensor with extra dimensions"),
    "flat": (st.just(0), "a tensor with its dimensions flattened"),
    "meta": (st.just(0), "a tensor on the 'meta' device"),
    "no_device": (st.sampled_from(["cuda:7", "tpu", "gpu"]), "a device that does not exist"),
    "empty_seq": (st.sampled_from([(), []]), "an empty sequence"),
    # extreme magnitudes: the largest double, an integer beyond int64, the smallest denormal
    "huge_1e308": (st.sampled_from([1e308, -1e308]), "1e308 (the largest double's order)"),
    "huge_2_70": (st.just(2 ** 70), "2**70 (beyond int64)"),
    "denormal": (st.just(5e-324), "5e-324 (a denormal)"),
    # values that must be refused: a return is a finding ("accepted")
    "flag_text": (st.sampled_from(["False", "True", "0", ""]), "a flag given as text"),
    "complex_number": (st.sampled_from([1 + 0j, 0.5 + 1j]), "a complex number"),
    "nan_state": (_finite_floats(0.0, 1.0), "a state or record with a NaN inside"),
}

# Kinds whose value is made from the good value (the drawn argument only says where or how).
DERIVED_KINDS = ("nan_inside", "inf_inside", "empty", "zero_d", "complex", "extra_dims", "flat", "meta",
                 "nan_state")

# Kinds that no function may accept: a normal return is the finding "accepted" (a flag "False" is
# truthy; a complex value silently loses its imaginary part; a NaN state never fires again).
MUST_REFUSE = ("flag_text", "complex_number", "complex", "nan_state")

# Kinds whose result must not hold infinity where the good call's did not ("silent-inf").
MAGNITUDE_KINDS = ("huge_1e308", "huge_2_70", "huge_float", "huge_int")  # (a denormal current never fires: inf)

# What is tried, by the type of the good value.
KINDS_FOR = {
    "int": ["nan", "inf", "negative_int", "zero", "huge_int", "huge_2_70", "fraction", "text", "none", "bool",
            "complex_number"],
    "float": ["nan", "inf", "negative_float", "zero", "tiny", "huge_float", "huge_1e308", "huge_2_70", "denormal",
              "text", "none", "bool", "complex_number", "meta"],
    "bool": ["flag_text", "none", "small_int", "nan"],
    "str": ["choice", "none", "small_int", "bool"],
    "tensor": ["nan_inside", "inf_inside", "empty", "zero_d", "complex", "extra_dims", "flat", "meta", "text",
               "none", "nan"],
    "array": ["nan_inside", "inf_inside", "empty", "zero_d", "complex", "extra_dims", "flat", "meta", "text", "none",
              "nan"],
    "optional": ["text", "nan", "bool", "negative_int"],
    "device": ["no_device", "nan", "bool"],
    "sequence": ["empty_seq", "text", "none", "nan"],
    "callable": ["text", "small_int", "none"],
    "object": ["text", "none", "small_int", "nan"],
    "record": ["nan_state", "text", "none", "small_int"],
}

# Targets that draw (a figure, an explorer, an animation) get this shorter catalogue: every
# accepted value costs a full drawing.
KINDS_FOR_DRAWING = {
    "int": ["negative_int", "huge_2_70", "fraction", "text"],
    "float": ["nan", "negative_float", "huge_1e308", "denormal", "text", "complex_number"],
    "bool": ["flag_text"],
    "str": ["choice", "small_int"],
    "tensor": ["nan_inside", "inf_inside", "empty", "complex", "flat", "meta", "none"],
    "array": ["nan_inside", "inf_inside", "empty", "complex", "flat", "meta", "none"],
    "optional": ["text", "nan"],
    "device": ["no_device"],
    "sequence": ["empty_seq", "text"],
    "callable": ["text"],
    "object": ["text", "none"],
    "record": ["nan_state", "text"],
}


# ------------------------------------------------------------------------------------ discovery

@dataclass(frozen=True)
class Target:
    id: str            # "module:qualname"
    module: str
    qualname: str
    error: str = ""    # why it cannot be fuzzed (import failure, missing name)


def _skip_name(name: str) -> bool:
    return name.startswith("_") or name.startswith("bench")


def _not_a_target(obj) -> bool:
    """Exceptions, result records (NamedTuples: they hold what their producer computed, and their
    producers are fuzzed) and torch.autograd.Functions (called through ``.apply`` by the models)."""
    if not inspect.isclass(obj):
        return False
    if issubclass(obj, BaseException) or (issubclass(obj, tuple) and hasattr(obj, "_fields")):
        return True
    return any(base.__module__.startswith("torch.autograd") and base.__name__ == "Function" for base in obj.__mro__)


def discover() -> list[Target]:
    """Every public callable of every public snnlesson module, defined there (re-exports counted once)."""
    import snnlesson

    names = ["snnlesson"] + sorted(m.name for m in pkgutil.walk_packages(snnlesson.__path__, "snnlesson.")
                                   if not any(p.startswith("_") for p in m.name.split("."))
                                   and m.name != "snnlesson.bench")  # the benchmark runner: no student input
    targets, seen = [], set()
    for module_name in names:
        try:
            module = importlib.import_module(module_name)
        except Exception as err:  # a module that does not even import is a finding of its own
            targets.append(Target(f"{module_name}:<import>", module_name, "<import>",
                                  f"import failed: {type(err).__name__}: {err}"))
            continue
        for name in getattr(module, "__all__", ()):
            if _skip_name(name):
                continue
            obj = getattr(module, name, None)
            if obj is None:
                targets.append(Target(f"{module_name}:{name}", module_name, name, "listed in __all__ but missing"))
                continue
            if not callable(obj) or id(obj) in seen or _not_a_target(obj):
                continue
            seen.add(id(obj))
            targets.append(Target(f"{module_name}:{name}", module_name, name))
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if _skip_name(attr) or isinstance(member, property) or not callable(
                            member.__func__ if isinstance(member, (staticmethod, classmethod)) else member):
                        continue
                    if getattr(member, "__module__", "").startswith("snnlesson") or isinstance(
                            member, (staticmethod, classmethod)):
                        targets.append(Target(f"{module_name}:{name}.{attr}", module_name, f"{name}.{attr}"))
    return targets


def _resolve(target: Target):
    obj = importlib.import_module(target.module)
    owner = None
    for part in target.qualname.split("."):
        owner, obj = obj, getattr(obj, part)
    return owner, obj


# ------------------------------------------------------------------ evaluation of good values (worker)

def _namespace(tmpdir: str) -> dict:
    """Names for GOOD/BY_NAME expressions: torch, np, math, every snnlesson module (``lif``,
    ``lessons.l01_lif``, ...) and the helpers of :func:`_helpers`."""
    names = {"__builtins__": __builtins__}
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("snnlesson.") and module is not None:
            names.setdefault(module_name.split(".")[1], sys.modules[".".join(module_name.split(".")[:2])])
    return names | _helpers(tmpdir)


def _helpers(tmpdir: str) -> dict:
    import numpy as np
    import torch

    def gen():
        return torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.rand(*shape, generator=gen())

    @lru_cache(maxsize=None)
    def _offline(train=False):
        from snnlesson import data
        return data.OfflineMNIST(train=train)

    def offline_mnist():
        return _offline()

    def digits(n):
        return _offline().data[:n].float().div(255.0).unsqueeze(1).clone()

    def digit():
        return digits(1)[0, 0]

    def labels(n):
        return _offline().targets[:n].clone()

    def tiny_mnist(n):
        return torch.utils.data.TensorDataset(digits(n), labels(n))

    def video():
        frames = torch.zeros(3, 4, 4)
        frames[1, 1:3, 1:3] = 1.0
        frames[2, 2:4, 2:4] = 0.5
        return frames

    def spike_train(num_steps, n):
        return (rand(num_steps, n) < 0.5).float()

    def tmp(name):
        return os.path.join(tmpdir, name)

    def figure():
        import matplotlib.pyplot as plt
        return plt.figure(figsize=(2, 2))

    def tiny_network(kind="scratch"):
        from snnlesson import bptt
        return bptt.build_network(kind, num_hidden=8, num_steps=3)

    @lru_cache(maxsize=None)
    def training_checkpoint():
        from snnlesson import training
        path = tmp("good-training.pt")
        training.save_checkpoint(tiny_network(), path)
        return path

    def any_explorer():
        from snnlesson import explorer
        return explorer.Explorer(figure(), {"a": explorer.slider("a", 0.5, 0.0, 1.0, 0.1)}, lambda a: None)

    def small_competition():
        from snnlesson import stdp_competition
        return stdp_competition.CompetitionParams(num_inputs=20)

    def small_pattern_params():
        from snnlesson import stdp_pattern
        return stdp_pattern.PatternInputParams(num_afferents=20, num_pattern=10)

    def small_pattern_input():
        from snnlesson import stdp_pattern
        return stdp_pattern.pattern_input(0.2, small_pattern_params())

    def axes():
        return figure().add_subplot()

    @lru_cache(maxsize=None)
    def _competition_runs():
        from snnlesson.lessons import l03_stdp
        return l03_stdp.competition_grid(rates=(10.0,), ratios=(1.05,), t_stop=0.05, num_inputs=20)

    def competition_runs():
        return _competition_runs()

    def small_pattern_result():
        from snnlesson import stdp_pattern
        return stdp_pattern.simulate_pattern(small_pattern_input(), t_stop=0.1, snapshot_every=0.05)

    def small_hp():
        from snnlesson import rsnn
        return rsnn.HyperParams(hidden_size=8)

    def small_rsnn():
        from snnlesson import rsnn
        return rsnn.build("rsnn", small_hp())

    @lru_cache(maxsize=None)
    def _rsnn_videos():
        from snnlesson import rsnn
        return rsnn.TASKS["digit"].videos(4, dataset=_offline())

    def rsnn_videos(num_frames=None):
        """Four moving digits (copies); the first ``num_frames`` frames only, if given."""
        videos = type(_rsnn_videos())(*(t.clone() for t in _rsnn_videos()))
        if num_frames is None:
            return videos
        return videos._replace(frames=videos.frames[:, :num_frames].clone(),
                               positions=videos.positions[:, :num_frames].clone())

    def rsnn_data():
        from snnlesson import rsnn
        videos = rsnn_videos()
        return rsnn.TASKS["digit"].inputs(videos.frames), videos.labels

    @lru_cache(maxsize=None)
    def xor_history():
        from snnlesson import spikeprop_training
        return spikeprop_training.train_xor(n_seeds=1, epochs=2)[1]

    @lru_cache(maxsize=None)
    def iris_result():
        from snnlesson import spikeprop_training
        return spikeprop_training.train_iris(seeds=(0,), epochs=1)

    @lru_cache(maxsize=None)
    def timing_result():
        from snnlesson import spikeprop_training
        return spikeprop_training.single_neuron_timing(epochs=1)

    @lru_cache(maxsize=None)
    def l04_snapshots():
        from snnlesson.lessons import l04_spikeprop
        return l04_spikeprop.xor_snapshots(epochs=2)

    @lru_cache(maxsize=None)
    def bptt_history():
        from snnlesson import bptt
        return bptt.train(tiny_network(), tiny_mnist(8), recipe=bptt.Recipe(epochs=1, batch_size=4, num_steps=3),
                          progress=False)

    @lru_cache(maxsize=None)
    def l06_runs():
        from snnlesson.lessons import l06_rsnn
        return l06_rsnn.train_lesson("digit", data=l06_rsnn.load_data("digit", train_videos=4, test_videos=2),
                                     epochs=1, progress=False)

    def xor_times():
        from snnlesson import data
        return data.xor_spike_times()

    return {name: value for name, value in locals().items() if callable(value)} | {
        "torch": torch, "np": np, "math": math}


@dataclass
class Call:
    """How to call a target well: the callable, and an expression per parameter to pass."""
    fn: object = None
    expressions: dict = field(default_factory=dict)     # parameter -> expression (or _DEFAULT)
    defaults: dict = field(default_factory=dict)        # parameter -> default value (for kinds)
    kinds: dict = field(default_factory=dict)           # parameter -> POSITIONAL_ONLY etc.
    self_expression: str | None = None
    is_class: bool = False
    error: str = ""
    good_seconds: float = 0.0     # measured on the good call
    good_has_nan: bool = False    # the good call's result holds NaN (then NaN is no finding)
    good_has_inf: bool = False    # the good call's result holds infinity (then infinity is no finding)
    good_draws_nan: bool = False  # the good call's figure holds NaN or inf (then that is no finding)
    draws: bool = False           # the good call's result is a figure or an explorer


def _annotation_class(fn, annotation):
    """The public class named by a string annotation (``"LIFParams"``, ``"lif.LIFParams | None"``)."""
    if not isinstance(annotation, str):
        return None
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    for part in annotation.replace("|", " ").split():
        obj = module
        for piece in part.split("."):
            obj = getattr(obj, piece, None)
        if inspect.isclass(obj) and obj.__module__.startswith("snnlesson"):
            return obj
    return None


def plan_call(target: Target, depth: int = 0) -> Call:
    owner, obj = _resolve(target)
    call = Call(fn=obj, is_class=inspect.isclass(obj))
    good = GOOD.get(target.id, {})
    if "." in target.qualname:  # a method: called on a good instance of its class
        raw = inspect.getattr_static(owner, target.qualname.split(".")[-1])
        if not isinstance(raw, (staticmethod, classmethod)):
            call.self_expression = good.get("self") or f"__instance__:{target.module}:{target.qualname.split('.')[0]}"
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError) as err:
        call.error = f"no signature: {err}"
        return call
    for name, p in signature.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or name == "self":
            continue
        call.kinds[name] = p.kind
        if p.default is not p.empty:
            call.defaults[name] = p.default
        if name in good:
            call.expressions[name] = good[name]
        elif p.default is not p.empty:
            continue
        elif name in BY_NAME:
            call.expressions[name] = BY_NAME[name]
        else:
            cls = _annotation_class(obj, p.annotation)
            if cls is not None and depth < 3:
                call.expressions[name] = f"__instance__:{cls.__module__}:{cls.__qualname__}"
            else:
                call.error = (f"no good value for the required parameter {name!r}: add it to GOOD['{target.id}'] "
                              "or BY_NAME")
    return call


def _evaluate(expression: str, namespace: dict, depth: int = 0):
    if expression.startswith("__instance__:"):
        _, module, qualname = expression.split(":")
        cls_target = Target(f"{module}:{qualname}", module, qualname)
        call = plan_call(cls_target, depth + 1)
        if call.error:
            raise RuntimeError(f"cannot build a {qualname}: {call.error}")
        args, kwargs = _arguments(call, namespace, depth=depth + 1)
        return call.fn(*args, **kwargs)
    return eval(expression, namespace)  # noqa: S307 (the expressions are this file's test data)


def _arguments(call: Call, namespace: dict, bad: tuple | None = None, depth: int = 0):
    """Positional and keyword arguments of the good call, with ``bad = (name, value)`` swapped in."""
    values = {name: _evaluate(expr, namespace, depth) for name, expr in call.expressions.items()}
    if bad is not None:
        values[bad[0]] = bad[1]
    args, kwargs = [], {}
    for name, value in values.items():
        if call.kinds.get(name) == inspect.Parameter.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[name] = value
    return args, kwargs


def _value_type(name: str, value) -> str:
    import numpy as np
    import torch

    if name == "device":
        return "device"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, np.ndarray):
        return "array"
    if value is None:
        return "optional"
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return "sequence"
    if hasattr(value, "_fields") and any(_float_data(v) is not None for v in value):
        return "record"  # a state (LIFDiscreteState, ...) or a record (SNNRecord, RSNNRecord, ...)
    if callable(value) and not inspect.isclass(value):
        return "callable"
    return "object"


def _bad_value(good, kind: str, arg):
    """The bad value of ``kind`` (with Hypothesis' draw ``arg``), derived from the good value where needed."""
    import numpy as np
    import torch

    if kind == "nan_state":  # the first float field of a NamedTuple, with one NaN inside
        fields = list(good)
        i = next(i for i, v in enumerate(fields) if _float_data(v) is not None)
        fields[i] = _bad_value(_float_data(fields[i]), "nan_inside", arg)
        return type(good)(*fields)
    if kind in DERIVED_KINDS:
        tensor = good if isinstance(good, torch.Tensor) else torch.as_tensor(np.asarray(good))
        tensor = tensor.detach().clone()
        if kind in ("nan_inside", "inf_inside"):
            tensor = tensor.to(torch.float64 if tensor.dtype == torch.float64 else torch.float32)
            flat = tensor.reshape(-1)
            if flat.numel():
                flat[min(int(arg * flat.numel()), flat.numel() - 1)] = math.nan if kind == "nan_inside" else math.inf
            out = flat.reshape(tensor.shape)
        elif kind == "empty":
            out = tensor[:0].clone() if tensor.ndim else tensor.reshape(1)[:0].clone()
        elif kind == "zero_d":
            out = tensor.reshape(-1)[0].clone() if tensor.numel() else torch.tensor(0.0)
        elif kind == "complex":
            out = tensor.to(torch.complex64)
        elif kind == "extra_dims":
            out = tensor.reshape(*([1] * arg), *tensor.shape).expand(*([2] * arg), *tensor.shape).clone()
        elif kind == "flat":
            out = tensor.reshape(-1) if tensor.ndim > 1 else tensor.reshape(-1)[:1].reshape(()).clone()
        else:
            return tensor.to("meta")
        return out.numpy() if isinstance(good, np.ndarray) else out
    return arg


def _refused(result) -> bool:
    """A checker that answers "Not yet" (a failed CheckResult) or a predicate that answers False has
    refused the value without raising: that is no acceptance."""
    return result is False or (type(result).__name__ == "CheckResult" and not result.ok)


def _float_data(value):
    """``value`` if it is a non-empty float tensor or array with values (a state's or record's field), else None."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel() and value.device.type != "meta":
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
        return value
    return None


def _figures_hold_nan() -> bool:
    """Whether any open figure draws NaN or infinity: line data, images, scatter offsets, bar sizes.

    matplotlib leaves such points out silently (a gap in a line, a blank pixel), so a figure of
    bad data looks like a figure of good data; a figure function must refuse it."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    def bad(data) -> bool:
        try:
            a = np.ma.filled(np.ma.asarray(data, dtype=float), 0.0)
        except (TypeError, ValueError):
            return False
        return a.size > 0 and not np.isfinite(a).all()

    for num in plt.get_fignums():
        for artist in plt.figure(num).findobj():
            if isinstance(artist, Line2D) and bad(artist.get_xydata()):
                return True
            if isinstance(artist, AxesImage) and bad(artist.get_array()):
                return True
            if isinstance(artist, Collection) and bad(artist.get_offsets()):
                return True
            if isinstance(artist, Rectangle) and bad([artist.get_width(), artist.get_height()]):
                return True
    return False


def _draws(result) -> bool:
    """Whether a good call's result is a drawing: a matplotlib figure or axes, an explorer, HTML."""
    items = result if isinstance(result, (tuple, list)) else [result]
    return any(hasattr(r, "controls") or type(r).__module__.split(".")[0] in ("matplotlib", "IPython")
               for r in items[:5])


def _has_nan(value, depth: int = 0, inf: bool = False) -> bool:
    """Whether a returned value holds a NaN (tensors, arrays, floats, tuples, lists, dicts).

    Infinity is not counted: it is a legitimate answer in several places ("never
    fires" is a spike time of +inf)."""
    import numpy as np
    import torch

    if depth > 3:
        return False
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta" or not (value.is_floating_point() or value.is_complex()):
            return False
        test = torch.isinf if inf else torch.isnan
        return bool(test(value.detach()).any()) if value.numel() else False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fc" and bool((np.isinf if inf else np.isnan)(value).any())
    if isinstance(value, float):
        return math.isinf(value) if inf else math.isnan(value)
    if isinstance(value, (tuple, list)):
        return any(_has_nan(v, depth + 1, inf) for v in list(value)[:50])
    if isinstance(value, dict):
        return any(_has_nan(v, depth + 1, inf) for v in list(value.values())[:50])
    return False


# --------------------------------------------------------------------------------------- worker

def _worker_main(conn, tmpdir: str) -> None:  # pragma: no cover (runs in the worker process)
    os.environ["SNNLESSON_MAX_BYTES"] = str(SIZE_BUDGET)
    os.environ["SNNLESSON_MNIST_SOURCE"] = "offline"
    os.environ["MPLBACKEND"] = "Agg"
    import warnings

    warnings.simplefilter("ignore")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    torch.set_num_threads(1)
    os.chdir(tmpdir)  # a bad path such as "abc" writes here, never into the repository
    targets = {t.id: t for t in discover()}
    for name in ("sklearn.datasets", "scipy.spatial", "scipy.optimize", "cProfile", "IPython.display",
                 "matplotlib.animation", "PIL.Image"):  # libraries loaded lazily: load them before the limit
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:  # RLIMIT_DATA (Linux >= 4.7) counts heap and anonymous mappings, not shared libraries
        import resource

        with open("/proc/self/status") as f:
            data = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmData:"))
        resource.setrlimit(resource.RLIMIT_DATA, (data + MEMORY_LIMIT, data + MEMORY_LIMIT))
    except (ImportError, OSError, StopIteration, ValueError):
        pass  # no memory limit on this platform: the time limit still applies
    namespace = _namespace(tmpdir)
    good_cache: dict[str, tuple] = {}

    def good_call(target_id):
        if target_id not in good_cache:
            target = targets.get(target_id) or (Target(target_id, *target_id.split(":"))
                                                if target_id.startswith(__name__ + ":") else None)
            if target is None:
                good_cache[target_id] = (None, "not found in this process")
                return good_cache[target_id]
            call = plan_call(target)
            if call.error:
                good_cache[target_id] = (call, call.error)
                return good_cache[target_id]
            try:
                start = time.perf_counter()
                result = _invoke(call)
                seconds = time.perf_counter() - start
                if seconds > GOOD_CALL_MAX_S / 2:  # the first call may pay for imports and caches: time again
                    start = time.perf_counter()
                    result = _invoke(call)
                    seconds = time.perf_counter() - start
                call.good_seconds = seconds
                call.good_has_nan = _has_nan(result)
                call.good_has_inf = _has_nan(result, inf=True)
                call.draws = _draws(result)
                call.good_draws_nan = call.draws and _figures_hold_nan()
                good_cache[target_id] = (call, "")
            except BaseException as err:  # noqa: BLE001 (reported, not raised)
                good_cache[target_id] = (call, f"the good call failed: {type(err).__name__}: {str(err)[:300]}")
            finally:
                plt.close("all")
        return good_cache[target_id]

    def _invoke(call, bad=None):
        fn = call.fn
        if call.self_expression is not None:
            instance = _evaluate(call.self_expression, namespace)
            fn = getattr(instance, fn.__name__)
        args, kwargs = _arguments(call, namespace, bad)
        return fn(*args, **kwargs)

    while True:
        message = conn.recv()
        if message is None:
            return
        if message[0] == "plan":
            call, error = good_call(message[1])
            if error:
                conn.send({"error": error})
                continue
            params = []
            for name in call.kinds:
                if name in call.expressions:
                    value = _evaluate(call.expressions[name], namespace)
                else:
                    value = call.defaults[name]
                params.append((name, _value_type(name, value)))
            conn.send({"error": "", "params": params, "seconds": call.good_seconds, "draws": call.draws})
            continue
        _, target_id, name, kind, arg = message
        call, error = good_call(target_id)
        outcome = {"status": "ok", "detail": ""}
        if error:
            outcome = {"status": "good-call", "detail": error}
        else:
            try:
                good = (_evaluate(call.expressions[name], namespace) if name in call.expressions
                        else call.defaults.get(name))
                bad = _bad_value(good, kind, arg)
                result = _invoke(call, (name, bad))
                if not call.is_class and _has_nan(result) and not call.good_has_nan:
                    outcome = {"status": "silent-nan", "detail": "returned NaN without an error"}
                elif (kind in MAGNITUDE_KINDS and not call.is_class and not call.good_has_inf
                      and _has_nan(result, inf=True)):
                    outcome = {"status": "silent-inf", "detail": "returned infinity without an error"}
                elif call.draws and not call.good_draws_nan and _figures_hold_nan():
                    outcome = {"status": "drew-nan", "detail": "drew NaN or infinity without an error"}
                elif kind in MUST_REFUSE and not _refused(result):
                    outcome = {"status": "accepted", "detail": f"returned normally: {KINDS[kind][1]} was accepted"}
            except (TypeError, ValueError) as err:
                if name not in str(err):
                    outcome = {"status": "unnamed", "detail": f"{type(err).__name__}: {str(err)[:300]}"}
                elif INTERNAL_REPR.search(str(err)):
                    outcome = {"status": "unreadable", "detail": f"{type(err).__name__}: {str(err)[:300]}"}
            except MemoryError as err:
                outcome = {"status": "memory", "detail": f"MemoryError: {str(err)[:200]}"}
            except BaseException as err:  # noqa: BLE001 (every other exception is a finding)
                text = str(err)[:300]
                status = "memory" if "can't allocate memory" in text or "out of memory" in text else "exception"
                where = traceback.extract_tb(err.__traceback__)[-1]
                outcome = {"status": status, "detail": f"{type(err).__name__}: {text} "
                                                       f"(at {os.path.basename(where.filename)}:{where.lineno})"}
            finally:
                plt.close("all")
        conn.send(outcome)


class Pool:
    """Worker processes (spawned, so that no torch thread state is forked) with a time limit per call."""

    def __init__(self, size: int):
        self.timeout = CALL_TIMEOUT_S
        self.starts = 0   # worker processes started (each pays seconds of imports)
        self.tmp = tempfile.TemporaryDirectory(prefix="snnlesson-fuzz-")
        self.context = multiprocessing.get_context("spawn")
        self.workers = [self._start() for _ in range(max(1, size))]

    def _start(self):
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(child, self.tmp.name), daemon=True)
        process.start()
        self.starts += 1
        child.close()
        return [process, parent, True]  # True: still starting (imports take seconds)

    def _replace(self, worker):
        """Stop a worker that hung or died; its successor starts when a call needs it (a start spends
        seconds of CPU on imports, wasted when no call follows)."""
        process, conn, _ = worker
        process.kill()
        process.join(5)
        conn.close()
        worker[:] = [None, None, True]

    def _ready(self, worker):
        if worker[0] is None:
            worker[:] = self._start()
        return worker

    def plan(self, target_id: str) -> dict:
        worker = self._ready(self.workers[0])
        worker[1].send(("plan", target_id))
        if worker[1].poll(CALL_TIMEOUT_S + 60):  # the first message waits for the worker to start
            try:
                worker[2] = False
                plan = worker[1].recv()
                if not plan["error"] and plan["seconds"] > GOOD_CALL_MAX_S:
                    plan["error"] = (f"the good call takes {plan['seconds']:.1f} s (more than {GOOD_CALL_MAX_S:g} s): "
                                     "give it smaller arguments in GOOD")
                return plan
            except EOFError:
                pass
        self._replace(worker)
        return {"error": f"the good call did not finish within {CALL_TIMEOUT_S + 60:.0f} s or crashed"}

    def run_many(self, cases: list[tuple]) -> list[dict]:
        results: list[dict | None] = [None] * len(cases)
        pending = list(enumerate(cases))
        busy: dict[int, tuple[int, float]] = {}  # worker index -> (case index, deadline)
        while pending or busy:
            for w, worker in enumerate(self.workers):
                if w not in busy and pending:
                    i, case = pending.pop(0)
                    try:
                        self._ready(worker)[1].send(("case", *case))
                    except (BrokenPipeError, OSError):
                        self._replace(worker)
                        self._ready(worker)[1].send(("case", *case))
                    busy[w] = (i, time.monotonic() + self.timeout + (60 if worker[2] else 0))
            timeout = max(0.0, min(deadline for _, deadline in busy.values()) - time.monotonic())
            ready = wait_for([self.workers[w][1] for w in busy], timeout=timeout)
            for w in list(busy):
                i, deadline = busy[w]
                worker = self.workers[w]
                if worker[1] in ready:
                    try:
                        results[i] = worker[1].recv()
                        worker[2] = False
                    except EOFError:
                        code = worker[0].exitcode
                        results[i] = {"status": "crash", "detail": f"the worker died (exit code {code})"}
                        self._replace(worker)
                    del busy[w]
                elif time.monotonic() > deadline:
                    results[i] = {"status": "hang", "detail": f"no answer within {self.timeout:g} s"}
                    self._replace(worker)
                    del busy[w]
        return results

    def close(self):
        started = [worker for worker in self.workers if worker[0] is not None]
        for process, conn, _ in started:
            try:
                conn.send(None)
            except OSError:
                pass
        for process, conn, _ in started:
            process.join(5)
            if process.is_alive():
                process.kill()
        self.tmp.cleanup()


# ----------------------------------------------------------------------------------------- tests

TARGETS = discover()
# The budget's clock starts when the first fuzz test starts (the pool fixture), not at import:
# in the whole suite the file is collected minutes before it runs, and a clock started at
# collection once skipped every target in CI.
_START = time.monotonic()


@pytest.fixture(scope="module")
def pool():
    global _START
    _START = time.monotonic()
    workers = Pool(WORKERS)
    yield workers
    workers.close()


@pytest.fixture(scope="module")
def findings(pool):
    rows: dict[str, list] = {}
    yield rows
    calls = sum(1 for entries in rows.values() for e in entries if e.get("kind"))
    print(f"\nfuzz: {len(rows)} targets fuzzed, {calls} calls with one bad argument each, "
          f"{time.monotonic() - _START:.0f} s, {pool.starts} worker processes started")
    if REPORT:
        text = _report(rows)
        if REPORT_PATH:
            with open(REPORT_PATH, "w") as f:
                f.write(text)
            with open(REPORT_PATH + ".json", "w") as f:
                json.dump(rows, f, indent=0)
        print("\n" + text)


def _report(rows: dict) -> str:
    """Markdown: a summary per module, then one line per finding."""
    by_module: dict[str, dict] = {}
    lines = []
    now_passing = []
    for target_id, entries in sorted(rows.items()):
        module = target_id.split(":")[0]
        stats = by_module.setdefault(module, {"targets": 0, "cases": 0, "findings": 0, "targets_failing": 0})
        stats["targets"] += 1
        bad = [e for e in entries if e["status"] not in ("ok",)]
        stats["cases"] += sum(1 for e in entries if e.get("kind"))
        stats["findings"] += len(bad)
        stats["targets_failing"] += bool(bad)
        for e in bad:
            lines.append(f"| `{target_id}` | {e.get('param', '')} | {e.get('kind', '')} | "
                         f"{str(e.get('value', '')).replace('|', '/')[:40]} | {e['status']} | "
                         f"{e['detail'].replace('|', '/').replace(chr(10), ' ')[:220]} |")
        if target_id in KNOWN_FAILURES and not bad:
            now_passing.append(target_id)
    total_cases = sum(s["cases"] for s in by_module.values())
    out = [f"# Fuzz findings ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
           f"{len(rows)} targets, {total_cases} calls with one bad argument each, "
           f"{time.monotonic() - _START:.0f} s with {WORKERS} worker(s) "
           f"(`SNNLESSON_FUZZ=report python -m pytest tests/test_fuzz.py`).", "",
           "| module | targets | calls | findings | targets with findings |", "|---|---|---|---|---|"]
    for module, s in sorted(by_module.items()):
        out.append(f"| {module} | {s['targets']} | {s['cases']} | {s['findings']} | {s['targets_failing']} |")
    out += ["", "Statuses: unnamed = TypeError/ValueError whose message does not name the parameter; unreadable = it shows a NumPy or torch repr such as np.float64(...); "
            "exception = another exception type; silent-nan = returned NaN without an error; "
            "memory = ran out of the worker's memory limit; hang = no answer within the time limit; "
            "crash = the worker died; good-call/plan = the harness has no working good call "
            "(fix the GOOD table or the function).", "",
            "| target | parameter | kind | value | status | what happened |", "|---|---|---|---|---|---|"] + lines
    if now_passing:
        out += ["", "Entries of KNOWN_FAILURES that pass now (delete them): "
                + ", ".join(f"`{t}`" for t in now_passing)]
    return "\n".join(out) + "\n"


def _marks(target: Target):
    if target.id in NOT_FUZZED and "*" in NOT_FUZZED[target.id]:
        return [pytest.mark.skip(reason=NOT_FUZZED[target.id]["*"])]
    if not REPORT and "*" in KNOWN_FAILURES.get(target.id, {}):
        return [pytest.mark.xfail(run=False, reason=KNOWN_FAILURES[target.id]["*"])]
    return []


@pytest.mark.parametrize("target", [pytest.param(t, id=t.id, marks=_marks(t)) for t in TARGETS])
def test_one_bad_argument_at_a_time_gets_a_clear_error(target, pool, findings):
    if target.error:
        findings[target.id] = [{"status": "plan", "detail": target.error}]
        if not REPORT:
            pytest.fail(target.error)
        return
    if not REPORT and time.monotonic() - _START > BUDGET_S:
        pytest.skip(f"the fuzz time budget of {BUDGET_S:g} s is spent (SNNLESSON_FUZZ_BUDGET_S)")
    plan = pool.plan(target.id)
    if plan["error"]:
        findings[target.id] = [{"status": "good-call", "detail": plan["error"]}]
        if not REPORT:
            pytest.fail(f"{target.id}: {plan['error']}")
        return
    skipped = {**NOT_FUZZED.get(target.id, {}), **({} if REPORT else KNOWN_FAILURES.get(target.id, {}))}
    catalogue = KINDS_FOR_DRAWING if plan["draws"] else KINDS_FOR
    cases = [(name, kind) for name, value_type in plan["params"] if name not in skipped
             for kind in catalogue[value_type]]
    if not cases:
        findings[target.id] = []
        return

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(values=st.tuples(*[KINDS[kind][0] for _, kind in cases]))
    def sweep(values):
        outcomes = pool.run_many([(target.id, name, kind, value) for (name, kind), value in zip(cases, values)])
        rows = [dict(outcome, param=name, kind=kind, value=KINDS[kind][1] if kind in DERIVED_KINDS else repr(value))
                for (name, kind), value, outcome in zip(cases, values, outcomes)]
        findings.setdefault(target.id, []).extend(rows)
        bad = [r for r in rows if r["status"] != "ok"]
        if bad and not REPORT:
            pytest.fail(f"{len(bad)} of {len(rows)} bad arguments did not get a clear error:\n" + "\n".join(
                f"  {r['param']}={r['value']} ({KINDS[r['kind']][1]}): {r['status']}: {r['detail']}" for r in bad))

    sweep()


# ------------------------------------------------------------------- the harness tells failures apart

def _sample(x: float = 1.0, *, flaw: str = "none"):
    """A function with one flaw, switched on by a negative ``x`` (or any ``x``: ``inf``, ``accepts``,
    ``draws_nan``): the harness's own test subject."""
    if flaw == "inf":
        return x * 10.0  # 1e308 overflows to inf
    if flaw == "accepts":
        return x  # a flag "False" goes through
    if flaw == "draws_nan":
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot([0.0, 1.0], [0.0, x if x >= 0 else math.nan])
        return fig
    if x >= 0:
        return x
    if flaw == "named":
        raise ValueError(f"x must be >= 0, got {x}")
    if flaw == "unnamed":
        raise ValueError("bad value")
    if flaw == "unreadable":
        import numpy as np
        raise ValueError(f"x must be >= 0, got {np.float64(x)!r}")  # "np.float64(-1.0)" under NumPy 2
    if flaw == "exception":
        raise KeyError("boom")
    if flaw == "nan":
        return math.nan

    if flaw == "memory":
        import numpy as np
        return np.ones(MEMORY_LIMIT // 8 * 2).sum()  # twice the worker's memory limit
    if flaw == "hang":
        while True:
            time.sleep(0.1)
    return x


for _flaw in ("named", "unnamed", "unreadable", "exception", "nan", "memory", "hang", "inf", "accepts",
              "draws_nan"):
    GOOD[f"{__name__}:_sample_{_flaw}"] = {"x": "1.0"}
    globals()[f"_sample_{_flaw}"] = (lambda flaw: lambda x=1.0: _sample(x, flaw=flaw))(_flaw)


def test_the_harness_tells_each_kind_of_failure_apart(pool):
    """Independent reference: functions built to fail in one known way each (``_sample``)."""
    expected = {"named": "ok", "unnamed": "unnamed", "exception": "exception", "nan": "silent-nan",
                "memory": "memory"}
    if INTERNAL_REPR.search(repr(__import__("numpy").float64(-1.0))):  # NumPy 2; NumPy 1 prints plain "-1.0"
        expected["unreadable"] = "unreadable"
    cases = {flaw: ("negative_float", -1.0) for flaw in expected}
    more = {"inf": ("huge_1e308", 1e308, "silent-inf"), "accepts": ("flag_text", "False", "accepted"),
            "draws_nan": ("negative_float", -1.0, "drew-nan")}
    cases.update({flaw: (kind, arg) for flaw, (kind, arg, _) in more.items()})
    expected.update({flaw: status for flaw, (_, _, status) in more.items()})
    outcomes = dict(zip(cases, pool.run_many([(f"{__name__}:_sample_{flaw}", "x", kind, arg)
                                              for flaw, (kind, arg) in cases.items()])))
    # A call that never returns, on its own and last: it waits out the time limit (short here, as
    # nothing else runs under it) and its worker is stopped.
    pool.timeout, previous = 1.0, pool.timeout
    try:
        [outcomes["hang"]] = pool.run_many([(f"{__name__}:_sample_hang", "x", "negative_float", -1.0)])
    finally:
        pool.timeout = previous
    expected["hang"] = "hang"
    assert {flaw: o["status"] for flaw, o in outcomes.items()} == expected
    details = {flaw: o["detail"] for flaw, o in outcomes.items()}
    assert "KeyError" in details["exception"] and "bad value" in details["unnamed"]


# ================================================================ non-regular files for every path (issue 21)
#
# Every parameter of every target that names a file or a folder (found from the signatures: the
# names in PATH_NAMES, or an annotation that mentions Path/PathLike) is given, one at a time, what
# is not a regular file: a FIFO (reading one blocks until a writer comes), a directory, a link to
# /dev/zero (a device that never ends; a link, so that a faulty writer replaces the link, never
# /dev/zero) and a path inside a folder that does not exist; a folder parameter gets a FIFO, a
# regular file and the device instead of a directory. Each must get a TypeError/ValueError that
# names the parameter (outside the path itself) within the time limit; a folder that does not
# exist yet may also be accepted (it is created on demand). The calls run in a spawned worker
# that is killed and replaced when a call does not answer in time.

PATH_NAMES = {"path": "file", "file": "file", "filename": "file", "root": "folder", "folder": "folder",
              "directory": "folder"}
# The FIFO last: a reader that blocks on it is stopped and its worker replaced (seconds of imports),
# which costs nothing when no call follows.
PATH_KINDS = {"file": ("directory", "device", "missing_folder", "fifo"),
              "folder": ("regular_file", "device", "missing_folder", "fifo")}
PATH_MAY_SUCCEED = {("folder", "missing_folder")}


def path_parameters(targets=None) -> list[tuple[str, str, str]]:
    """``(target id, parameter, "file" or "folder")`` for every path parameter of the targets."""
    found = []
    for target in targets if targets is not None else TARGETS:
        if target.error:
            continue
        try:
            signature = inspect.signature(_resolve(target)[1])
        except (TypeError, ValueError):
            continue
        for name, p in signature.parameters.items():
            annotation = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
            if name in PATH_NAMES or re.search(r"\bPath(Like)?\b", str(annotation)):
                found.append((target.id, name, PATH_NAMES.get(name, "file")))
    return found


def _make_path(folder: str, case: int, kind: str) -> str:
    """A fresh thing of ``kind`` in ``folder`` (one per call: a faulty writer may replace it)."""
    path = os.path.join(folder, f"case{case}-{kind}")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        os.mkdir(path)
    elif kind == "regular_file":
        with open(path, "w") as f:
            f.write("not a folder\n")
    elif kind == "device":
        os.symlink(os.devnull.replace("null", "zero"), path)
    else:
        path = os.path.join(path, "inside.dat")
    return path


def _path_worker(conn, tmpdir: str) -> None:  # pragma: no cover (runs in the worker process)
    os.environ["SNNLESSON_MAX_BYTES"] = str(SIZE_BUDGET)
    os.environ["SNNLESSON_MNIST_SOURCE"] = "offline"
    os.environ["MPLBACKEND"] = "Agg"
    import torch

    torch.set_num_threads(1)
    os.chdir(tmpdir)
    namespace = _namespace(tmpdir)
    conn.send("ready")  # the imports are done: from here on every call has the same time limit
    while True:
        message = conn.recv()
        if message is None:
            return
        target_id, name, value = message
        try:
            module, qualname = target_id.split(":")
            call = plan_call(Target(target_id, module, qualname))
            if call.error:
                conn.send({"outcome": "plan", "detail": call.error})
                continue
            fn = call.fn
            if call.self_expression is not None:
                fn = getattr(_evaluate(call.self_expression, namespace), fn.__name__)
            args, kwargs = _arguments(call, namespace, (name, value))
            fn(*args, **kwargs)
            outcome = {"outcome": "returned", "detail": ""}
        except (TypeError, ValueError) as err:
            outcome = {"outcome": "named" if name in str(err).replace(str(value), "") else "unnamed",
                       "detail": f"{type(err).__name__}: {str(err)[:300]}"}
        except BaseException as err:  # noqa: BLE001 (every other exception is a finding)
            outcome = {"outcome": "exception", "detail": f"{type(err).__name__}: {str(err)[:300]}"}
        conn.send(outcome)


def run_path_cases(cases: list[tuple], folder: str, timeout: float) -> list[dict]:
    """Run ``(target id, parameter, path)`` calls one by one in a spawned worker with a time limit each."""
    context = multiprocessing.get_context("spawn")
    results, worker = [], None
    try:
        for case in cases:
            if worker is None:
                parent, child = context.Pipe()
                worker = (context.Process(target=_path_worker, args=(child, folder), daemon=True), parent)
                worker[0].start()
                child.close()
                # the imports may take long on a busy machine; a call's time limit starts after them
                if not (parent.poll(120) and parent.recv() == "ready"):
                    raise RuntimeError("the path worker did not start within 120 s")
            worker[1].send(case)
            if worker[1].poll(timeout):
                try:
                    results.append(worker[1].recv())
                    continue
                except EOFError:
                    results.append({"outcome": "crash", "detail": f"the worker died ({worker[0].exitcode})"})
            else:
                results.append({"outcome": "hang", "detail": f"no answer within {timeout:g} s"})
            worker[0].kill()
            worker[0].join(5)
            worker = None
    finally:
        if worker is not None:
            worker[1].send(None)
            worker[0].join(10)
            if worker[0].is_alive():
                worker[0].kill()
    return results


def _path_findings(parameters, timeout: float = CALL_TIMEOUT_S) -> tuple[list[str], dict]:
    """The findings (one line each) and every outcome, ``{(target id, parameter, kind): outcome}``."""
    folder = tempfile.mkdtemp(prefix="snnlesson-files-")
    try:
        cases, expected = [], []
        for target_id, name, what in parameters:
            for kind in PATH_KINDS[what]:
                cases.append((target_id, name, _make_path(folder, len(cases), kind)))
                expected.append((what, kind))
        outcomes = run_path_cases(cases, folder, timeout)
    finally:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
    findings, table = [], {}
    for (target_id, name, value), (what, kind), o in zip(cases, expected, outcomes):
        table[(target_id, name, kind)] = o
        fine = o["outcome"] == "named" or (o["outcome"] == "returned" and (what, kind) in PATH_MAY_SUCCEED)
        if not fine:
            findings.append(f"{target_id} {name}= {kind} ({what} parameter): {o['outcome']}: {o['detail']}")
    return findings, table


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_every_path_parameter_refuses_what_is_not_a_regular_file():
    start = time.monotonic()
    parameters = path_parameters()
    ids = {f"{t}.{n}" for t, n, _ in parameters}
    # the finder finds what it must (a finder that found nothing would make this test pass vacuously)
    assert {"snnlesson.training:save_checkpoint.path", "snnlesson.training:load_checkpoint.path",
            "snnlesson.data:mnist.root", "snnlesson.lessons.l06_rsnn:write_record.path"} <= ids
    findings, table = _path_findings(parameters)
    print(f"\nfuzz paths: {len(parameters)} path parameters, {len(table)} calls with a non-regular file each, "
          f"{time.monotonic() - start:.0f} s")
    assert not findings, "\n".join(findings)


def _path_sample_blocking(path):
    """Reads its file the naive way: blocks forever on a FIFO, reads /dev/zero without end."""
    with open(path, "rb") as f:
        return len(f.read(1 << 20))


def _path_sample_careful(path):
    from snnlesson import _files
    return len(_files.read_bytes("path", path, limit=1 << 20))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_the_path_harness_tells_a_naive_reader_from_a_careful_one():
    """Independent reference: a reader that opens whatever it is given (hangs on the FIFO, accepts
    /dev/zero) and one that goes through snnlesson._files."""
    parameters = [(f"{__name__}:_path_sample_careful", "path", "file"),   # the one that hangs last
                  (f"{__name__}:_path_sample_blocking", "path", "file")]
    findings, table = _path_findings(parameters, timeout=3.0)
    naive = {kind: o["outcome"] + " " + o["detail"].split(":")[0] for (t, _, kind), o in table.items()
             if t.endswith("_path_sample_blocking")}
    assert naive == {"fifo": "hang no answer within 3 s", "directory": "exception IsADirectoryError",
                     "device": "returned ", "missing_folder": "exception FileNotFoundError"}
    assert len(findings) == 4 and all("_path_sample_blocking" in f for f in findings), findings
    careful = {kind: o["outcome"] for (t, _, kind), o in table.items() if t.endswith("_path_sample_careful")}
    assert careful == dict.fromkeys(PATH_KINDS["file"], "named")
