r"""Export a lesson-05 network to NIR, the Neuromorphic Intermediate Representation, and run it back.

NIR (``nir`` on PyPI) describes a network as a graph of continuous-time nodes; each
simulator or chip (snnTorch, Norse, Rockpool, Sinabs, Lava-DL; Loihi, SpiNNaker2, Xylo,
Speck, BrainScaleS-2) discretises it with its own time step. Its leaky integrate-and-fire
node is lesson 01's RC circuit,

.. math:: \tau\, \dot v = (v_{\rm leak} - v) + r\, I, \qquad
          z = \Theta(v - v_{\rm thr}), \qquad v \leftarrow v_{\rm reset} \text{ where } z = 1,

while the course's neuron is discrete: :math:`U[t] = \beta U[t-1] + I[t]`, threshold
:math:`U_{\rm thr}`, reset by *subtraction*. Holding the input constant over a step of
length :math:`\Delta t` and stepping the RC circuit gives :math:`v[t] = \beta v[t-1] + (1-\beta)\, r\, I[t]`:

* exactly, with :math:`\beta = e^{-\Delta t/\tau}`, so :math:`\tau = -\Delta t / \ln\beta`;
* by forward Euler, with :math:`\beta = 1 - \Delta t/\tau`, so :math:`\tau = \Delta t / (1 - \beta)`;

and in both cases the input enters with gain 1 when :math:`r = 1/(1-\beta)`; :math:`v_{\rm leak} = 0`,
:math:`v_{\rm thr} = U_{\rm thr}`, :math:`v_{\rm reset} = 0`. NIR's LIF resets *to* :math:`v_{\rm reset}`:
it has no reset by subtraction, so an exported network with that reset is not the same network.

Contents: :func:`lif_to_nir` and :func:`nir_to_lif` (the mapping and its inverse),
:func:`to_nir` (the graph: ``Input -> Affine -> LIF -> Affine -> LIF -> Output``),
:func:`import_snntorch` and :func:`run_snntorch` (snnTorch's ``import_from_nir``, an independent
reader), :func:`spike_predictions` and :func:`compare` (how far two runs agree).
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import torch

from snnlesson import bptt
from snnlesson._validate import check_choice, check_int, check_real, check_tensor

__all__ = ["METHODS", "SNNTORCH_DT", "lif_to_nir", "nir_to_lif", "to_nir", "import_snntorch", "run_snntorch",
           "spike_predictions", "compare"]

#: How the continuous neuron is stepped: ``"exact"`` (beta = exp(-dt/tau)) or ``"euler"`` (beta = 1 - dt/tau).
METHODS = ("exact", "euler")
#: The time step (s) snnTorch's NIR importer assumes (fixed in its code); it steps by forward Euler.
SNNTORCH_DT = 1e-4


def lif_to_nir(beta: float, threshold: float, dt: float, method: str = "exact") -> dict:
    """NIR LIF parameters (floats) for the discrete neuron (``beta``, ``threshold``) stepped every ``dt`` s.

    .. math:: \\tau = -\\frac{\\Delta t}{\\ln \\beta} \\;(\\text{exact}), \\qquad
              \\tau = \\frac{\\Delta t}{1 - \\beta} \\;(\\text{Euler}), \\qquad r = \\frac{1}{1-\\beta}

    Returns ``{"tau", "r", "v_leak", "v_threshold", "v_reset"}`` (tau in s; v_leak = v_reset = 0).
    """
    beta = check_real("beta", beta, low=0.0, high=1.0, low_open=True, high_open=True)
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True, high=1.0)
    check_choice("method", method, METHODS)
    tau = -dt / math.log(beta) if method == "exact" else dt / (1.0 - beta)
    return {"tau": tau, "r": 1.0 / (1.0 - beta), "v_leak": 0.0, "v_threshold": threshold, "v_reset": 0.0}


def nir_to_lif(tau: float, r: float, dt: float, method: str = "exact") -> tuple[float, float]:
    """The inverse: ``(beta, input_gain)`` of a NIR LIF (``tau`` s, ``r``) stepped every ``dt`` s by ``method``.

    .. math:: \\beta = e^{-\\Delta t/\\tau},\\; g = (1 - \\beta)\\, r \\;(\\text{exact}), \\qquad
              \\beta = 1 - \\Delta t/\\tau,\\; g = r\\,\\Delta t/\\tau \\;(\\text{Euler})
    """
    tau = check_real("tau", tau, low=0.0, low_open=True)
    r = check_real("r", r, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True, high=1.0)
    check_choice("method", method, METHODS)
    if method == "exact":
        beta = math.exp(-dt / tau)
        return beta, (1.0 - beta) * r
    return 1.0 - dt / tau, r * dt / tau


def _check_model(model) -> bptt.BaseSNN:
    if not isinstance(model, bptt.BaseSNN):
        raise TypeError(f"model must come from snnlesson.bptt.build_network, got {type(model).__name__}")
    return model


def to_nir(model: bptt.BaseSNN, *, dt: float = SNNTORCH_DT, method: str = "euler"):
    """A lesson-05 network as a ``nir.NIRGraph``: ``input -> fc1 (Affine) -> lif1 (LIF) -> fc2 -> lif2 -> output``.

    Weights and biases go into ``nir.Affine`` nodes unchanged; each neuron becomes a ``nir.LIF``
    with the parameters of :func:`lif_to_nir` (``dt`` and ``method``: the step and the
    discretisation the reader of the graph is expected to use). Save it with ``nir.write(path, graph)``.
    The network's reset by subtraction has no NIR equivalent: the graph says reset to 0.
    """
    import nir

    model = _check_model(model)
    params = lif_to_nir(model.beta, model.threshold, dt, method)

    def lif(n):
        return nir.LIF(**{k: np.full(n, v, dtype=np.float32) for k, v in params.items()})

    def affine(layer):
        return nir.Affine(weight=layer.weight.detach().cpu().numpy().astype(np.float32),
                          bias=layer.bias.detach().cpu().numpy().astype(np.float32))

    hidden, outputs = model.fc1.out_features, model.fc2.out_features
    nodes = {"input": nir.Input(input_type={"input": np.array([bptt.NUM_INPUTS])}),
             "fc1": affine(model.fc1), "lif1": lif(hidden), "fc2": affine(model.fc2), "lif2": lif(outputs),
             "output": nir.Output(output_type={"output": np.array([outputs])})}
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges,
                        metadata={"source": "snnlesson lesson 05 network", "dt": dt, "method": method})


def import_snntorch(graph):
    """snnTorch's reading of a NIR graph (``snntorch.import_nir.import_from_nir``), its printed chatter hidden.

    snnTorch steps every LIF by forward Euler with ``dt`` = :data:`SNNTORCH_DT`, as
    ``snntorch.Leaky(beta = 1 - dt/tau)`` with reset to zero; where ``r dt / tau`` is not 1 it
    divides the threshold by it instead of scaling the input.
    """
    import nir
    from snntorch.import_nir import import_from_nir

    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph must be a nir.NIRGraph (from to_nir or nir.read), got {type(graph).__name__}")
    with contextlib.redirect_stdout(io.StringIO()):
        return import_from_nir(graph)


def run_snntorch(net, images: torch.Tensor, num_steps: int) -> dict:
    """Run an imported network on ``images`` (the same input at every step, as lesson 05's direct input).

    Returns ``{"spk_hidden": [T, B, hidden], "spk_out": [T, B, 10]}``, read from the snnTorch
    neurons with forward hooks (works with snnTorch 0.9, whose importer returns a state, and 1.0).
    """
    import snntorch as snn
    from snntorch import utils as snn_utils

    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"net must be the torch module import_snntorch returns, got {type(net).__name__}")
    images = check_tensor("images", images, min_ndim=2)
    num_steps = check_int("num_steps", num_steps, minimum=1, maximum=100_000)
    neurons = [(name, m) for name, m in net.named_modules() if isinstance(m, snn.Leaky)]
    if len(neurons) != 2:
        raise ValueError(f"net must hold the two LIF layers of a lesson-05 network, found {len(neurons)}")
    first = next((m for m in net.modules() if isinstance(m, torch.nn.Linear)), None)
    if images.ndim > 4 or (first is not None and images[0].numel() != first.in_features):
        raise ValueError(f"images must have shape [N, {first.in_features if first is not None else 784}] "
                         f"(or [N, 1, 28, 28]), got {tuple(images.shape)}")
    x = images.flatten(1).to(torch.float32)
    spikes = {name: [] for name, _ in neurons}
    hooks = [m.register_forward_hook(
        lambda module, inputs, output, name=name: spikes[name].append(
            (output[0] if isinstance(output, tuple) else output).detach().clone()))
        for name, m in neurons]
    try:
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            snn_utils.reset(net)
            state = None
            for _ in range(num_steps):
                _, state = net(x) if state is None else net(x, state)
    finally:
        for hook in hooks:
            hook.remove()
    (hidden_name, _), (out_name, _) = neurons
    return {"spk_hidden": torch.stack(spikes[hidden_name]), "spk_out": torch.stack(spikes[out_name])}


def spike_predictions(spk_out: torch.Tensor) -> torch.Tensor:
    """Classes from output spikes ``[T, B, classes]``, as a chip reports them: the most spikes wins;
    a tie goes to the neuron that fired first, then to the lower class."""
    spk_out = check_tensor("spk_out", spk_out, ndim=3)
    steps = spk_out.shape[0]
    fired = spk_out > 0
    first = torch.where(fired.any(0), fired.float().argmax(0), torch.full(fired.shape[1:], steps))
    score = spk_out.sum(0).double() * (steps + 1) + (steps - first.double()) / (steps + 1)
    return score.argmax(1)


def compare(a: dict, b: dict) -> dict:
    """How far two runs of the same network agree: fractions of equal predictions (from output
    spikes), of equal spike entries and of equal spike counts per neuron, hidden and output layer;
    total hidden spikes per digit of each."""
    for name, run in (("a", a), ("b", b)):
        if not isinstance(run, dict) or not {"spk_hidden", "spk_out"} <= set(run):
            raise TypeError(f"{name} must be a dict with 'spk_hidden' and 'spk_out' spike tensors (run_snntorch's "
                            f"result), got {type(run).__name__}")
    result = {}
    for key in ("spk_hidden", "spk_out"):
        x = check_tensor(f"a[{key!r}]", a[key]).detach()
        y = check_tensor(f"b[{key!r}]", b[key]).detach()
        if x.shape != y.shape or x.ndim != 3:
            raise ValueError(f"a[{key!r}] and b[{key!r}] must have the same shape [T, B, neurons], got "
                             f"{tuple(x.shape)} and {tuple(y.shape)}")
        layer = "hidden" if key == "spk_hidden" else "output"
        result[f"{layer}_spikes_equal"] = float((x == y).float().mean())
        result[f"{layer}_counts_equal"] = float((x.sum(0) == y.sum(0)).float().mean())
    result["predictions_equal"] = float((spike_predictions(a["spk_out"].detach())
                                         == spike_predictions(b["spk_out"].detach()))
                                        .float().mean())
    result["hidden_spikes_per_digit"] = tuple(float(run["spk_hidden"].detach().sum((0, 2)).mean()) for run in (a, b))
    return result
