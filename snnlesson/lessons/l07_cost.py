"""Lesson 07 (what an SNN costs and where it runs): figures, the sparsity explorer and the SynOps exercise.

* :func:`counts_figure`: operations per digit, layer by layer, of the spiking network and the
  ReLU network of the same size, and the hidden layer's SynOps step by step.
* :func:`energy_figure`: the arithmetic's energy per digit at two precisions.
* :func:`sparsity_explorer`: sliders over the precomputed grid of spike penalties and step counts
  (made by ``python -m snnlesson.cost --precompute``): accuracy against SynOps, the hidden raster of one digit and
  the operations per layer.
* :func:`check_count_synops`: the build exercise, counting a layer's synaptic operations.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from snnlesson import cost
from snnlesson.checks import CheckResult, call_answer, compare_arrays, diagnose, failed, is_stub, not_attempted, passed
from snnlesson._plotcheck import as_array, get_axes
from snnlesson._validate import check_real, check_tensor
from snnlesson.explorer import Explorer, register_explorer
from snnlesson.plot import raster, window_shade

#: Seconds the reader's counting function may run on one case (a whole layer's count is a few sums).
TIME_LIMIT_S = 5.0

__all__ = ["reference_count_synops", "check_count_synops", "counts_figure", "per_class_figure", "energy_figure", "sparsity_explorer"]


# ------------------------------------------------------------------------------------------ exercise


def reference_count_synops(spk_in: torch.Tensor, spk_out: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """SynOps of one layer per example ``[batch]``: its input spikes times its fan-out, summed over steps.

    .. math:: \\text{SynOps}[b] = n_{\\rm out} \\sum_t \\sum_i S^{\\rm in}_i[t, b]

    ``spk_out`` (the layer's own spikes) is not needed: the work is done where spikes arrive.
    """
    check_tensor("spk_out", spk_out, convert=True, ndim=3, finite=False)
    try:
        return cost.synops(spk_in, weight).sum(0)
    except (TypeError, ValueError) as err:  # the package names it "spikes"; here it is spk_in
        raise type(err)(str(err).replace("spikes", "spk_in", 1)) from None


def _mistakes(spk_in, spk_out, weight):
    """The catalogue: (what a reader who made the mistake returns, hint)."""
    steps, batch, n_in = spk_in.shape
    n_out = weight.shape[0]
    return [
        (torch.full((batch,), float(steps * n_in * n_out)),
         "that counts every input at every step, spike or not: those are the MACs of a dense layer. "
         "A SynOp happens only where an input spike arrives."),
        (spk_in.sum((0, 2)) * n_in,
         "each input spike travels along its neuron's OUTGOING synapses: one per neuron of the layer, "
         "n_out = weight.shape[0] (weight is [n_out, n_in]), not n_in."),
        (spk_in.sum(2) * n_out,
         "that is one count per time step; sum over the steps too (axis 0) for the count per example."),
        (spk_in.mean(0).sum(1) * n_out,
         "that averages over the time steps; the work of all the steps adds up: sum over axis 0."),
        (spk_out.sum((0, 2)) * n_out,
         "those are the layer's own output spikes; its work is done by the spikes that ARRIVE at it, spk_in."),
        (spk_out.sum((0, 2)) * n_in,
         "those are the layer's own output spikes, times n_in; count the INPUT spikes, times n_out."),
        (spk_in.sum((0, 2)),
         "that counts the input spikes; each one is added to n_out membranes (weight.shape[0] synapses)."),
        (spk_in.sum() * n_out,
         "that is the total of the whole batch; return one count per example, shape [batch]: sum over "
         "the time and neuron axes (0 and 2) only."),
    ]


def check_count_synops(fn) -> CheckResult:
    """Exercise: ``fn(spk_in, spk_out, weight)`` returns the SynOps of a layer per example, shape ``[batch]``.

    ``spk_in`` ``[num_steps, batch, n_in]`` are the spikes arriving at the layer, ``spk_out``
    ``[num_steps, batch, n_out]`` the spikes it sends, ``weight`` ``[n_out, n_in]``.
    Checked on hidden random rasters (not those of the notebook) against
    :func:`reference_count_synops` (= :func:`snnlesson.cost.synops` summed over steps).
    """
    if is_stub(fn):
        return not_attempted()
    if not callable(fn):
        return failed(f"your answer should be a function of (spk_in, spk_out, weight), got {type(fn).__name__}.")
    gen = torch.Generator().manual_seed(7)
    for steps, batch, n_in, n_out, p_in, p_out in ((7, 3, 12, 5, 0.3, 0.6), (4, 5, 9, 13, 0.15, 0.05)):
        spk_in = (torch.rand(steps, batch, n_in, generator=gen) < p_in).float()
        spk_out = (torch.rand(steps, batch, n_out, generator=gen) < p_out).float()
        weight = torch.randn(n_out, n_in, generator=gen)
        case = (f"{steps} steps, batch {batch}, weight [n_out={n_out}, n_in={n_in}], "
                f"{int(spk_in.sum())} input spikes")
        got, problem = call_answer(fn, (spk_in.clone(), spk_out.clone(), weight.clone()), case, not_attempted(
            f"`{getattr(fn, '__name__', 'your function')}` returns nothing yet: replace `...` in its body with "
            "your code and `return` one count per example."), time_limit_s=TIME_LIMIT_S)
        if problem is not None:
            return problem
        expected = reference_count_synops(spk_in, spk_out, weight)
        problem = compare_arrays("your count", got, expected, case=case)
        if problem is not None:
            return diagnose(problem, got, _mistakes(spk_in, spk_out, weight))
    return passed("SynOps = (input spikes, summed over steps and neurons) x fan-out n_out, per example: "
                  "equal to snnlesson.cost.synops on every case.")


# ------------------------------------------------------------------------------------------- figures


def counts_figure(counts: dict, relu_macs: dict, *, title: str = ""):
    """Left: operations per digit of each layer (log axis), spiking network (``counts``, from
    :func:`snnlesson.cost.network_counts`) beside the ReLU network (``relu_macs``: layer -> MACs).
    Right: the hidden layer's SynOps at each time step. Returns the figure."""
    if not isinstance(counts, dict) or not counts or not all(isinstance(c, cost.LayerCounts) for c in counts.values()):
        raise TypeError("counts must be the dict of LayerCounts that snnlesson.cost.network_counts returns")
    if not isinstance(relu_macs, dict) or set(relu_macs) != set(counts):
        raise TypeError(f"relu_macs must be a dict layer -> MACs with the layers {list(counts)}, got {relu_macs!r:.60}")
    for name, value in relu_macs.items():
        check_real(f"relu_macs[{name!r}]", value, low=0.0, low_open=True)
    fig, (ax_l, ax_t) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.2, 1]})
    layers = list(counts)
    x = np.arange(len(layers))
    snn = [counts[name].per_example for name in layers]
    relu = [relu_macs[name] for name in layers]
    kinds = [counts[name].kind for name in layers]
    bars_s = ax_l.bar(x - 0.2, snn, 0.4, color="tab:blue", label="spiking network")
    bars_r = ax_l.bar(x + 0.2, relu, 0.4, color="tab:gray", label="ReLU network (MACs)")
    for bars, values, labels in ((bars_s, snn, kinds), (bars_r, relu, ["MAC"] * len(relu))):
        for bar, value, kind in zip(bars, values, labels):
            ax_l.text(bar.get_x() + bar.get_width() / 2, value * 1.15, f"{value:,.0f}\n{kind}s", ha="center",
                      va="bottom", fontsize=8)
    ax_l.set_yscale("log")
    ax_l.set_ylim(10, 3e7)
    ax_l.set_xticks(x, [f"{name}\n{'pixels in' if name == 'fc1' else 'hidden spikes in'}" for name in layers])
    ax_l.set_ylabel("operations per digit (log scale)")
    ax_l.set_title(title or "work per digit, layer by layer", fontsize=10)
    ax_l.legend(fontsize=8, loc="upper right", framealpha=1)
    hidden = counts[layers[-1]].per_step
    steps = np.arange(len(hidden))
    ax_t.bar(steps, hidden, color="tab:blue", label=f"{layers[-1]}: SynOps (hidden spikes x fan-out)")
    ax_t.axhline(relu[-1], color="tab:gray", ls="--", label=f"{layers[-1]} of the ReLU network: MACs, once")
    ax_t.set_xlabel("time step")
    ax_t.set_ylabel("operations per digit")
    ax_t.set_xticks(steps)
    ax_t.set_ylim(0, 1.3 * max(float(hidden.max()), relu[-1]))
    ax_t.set_title("the hidden spikes' work, step by step", fontsize=10)
    ax_t.legend(fontsize=8, loc="upper left", framealpha=1)
    fig.tight_layout()
    return fig


def per_class_figure(mine, package, labels, *, ax=None):
    """Mean SynOps per digit of each class: the reader's count (``mine``, ``[N]``) beside the package's
    (``package``, ``[N]``), for test digits of classes ``labels`` ``[N]``. Returns the Axes."""
    mine, package = as_array("mine", mine, ndim=1), as_array("package", package, ndim=1)
    labels = as_array("labels", labels, ndim=1)
    if not mine.shape == package.shape == labels.shape or mine.ndim != 1:
        raise ValueError(f"mine, package and labels must be [N] each, got shapes {mine.shape}, {package.shape}, "
                         f"{labels.shape}")
    ax = get_axes(ax, figsize=(8, 3.2))
    classes = np.arange(10)
    top = 0.0
    for offset, values, color, label in ((-0.2, mine, "tab:blue", "your count_synops"),
                                         (0.2, package, "tab:orange", "snnlesson.cost.synops")):
        means = [values[labels == c].mean() if (labels == c).any() else 0.0 for c in classes]
        ax.bar(classes + offset, means, 0.4, color=color, label=label)
        top = max(top, float(np.nanmax(means)) if np.isfinite(means).any() else 0.0)
    ax.set_ylim(0, 1.3 * top if top > 0 else 1.0)
    ax.set_xticks(classes)
    ax.set_xlabel("digit class")
    ax.set_ylabel("hidden-layer SynOps per digit")
    ax.set_title("the hidden spikes' work, class by class (mean over the test digits)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncol=2, framealpha=1)
    ax.figure.tight_layout()
    return ax


def energy_figure(energies: dict):
    """Bars of energy per digit (nJ) for each network (rows of ``energies``: name -> {precision: pJ})."""
    if not isinstance(energies, dict) or not energies:
        raise TypeError(f"energies must be a dict name -> {{precision: pJ}}, got {energies!r:.60}")
    for name, row in energies.items():
        if not isinstance(row, dict) or set(row) != set(cost.PRECISIONS):
            raise TypeError(f"energies[{name!r}] must be a dict with the precisions {list(cost.PRECISIONS)}, "
                            f"got {row!r:.60}")
        for precision, value in row.items():
            check_real(f"energies[{name!r}][{precision!r}]", value, low=0.0, low_open=True)
    names = list(energies)
    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = np.arange(len(names))
    for k, (precision, color) in enumerate((("float32", "tab:orange"), ("int8", "tab:green"))):
        values = [energies[n][precision] / 1e3 for n in names]
        bars = ax.bar(x + (k - 0.5) * 0.38, values, 0.38, color=color, label=f"{precision} arithmetic")
        for bar, value in zip(bars, values):
            ax.text(bar.get_x() + bar.get_width() / 2, value * 1.1, f"{value:.3g}", ha="center", va="bottom",
                    fontsize=8)
    ax.set_yscale("log")
    low = min(min(e.values()) for e in energies.values()) / 1e3
    high = max(max(e.values()) for e in energies.values()) / 1e3
    ax.set_ylim(low / 3, high * 8)
    ax.set_xticks(x, names)
    ax.set_ylabel("energy per digit (nJ, log scale)")
    ax.set_title("arithmetic only, Horowitz's 45 nm figures (no memory, no data movement)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right", framealpha=1)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- explorer


def _selection(description, options, value, name):
    if isinstance(value, (bool, complex)) or not hasattr(value, "__float__"):  # 1+0j == 1.0 in Python
        raise TypeError(f"{name} must be a real number, one of the grid's values {list(options)}, got {value!r:.60}")
    if value not in options:
        raise ValueError(f"{name} must be one of the grid's values {list(options)}, got {value!r}")
    return widgets.SelectionSlider(options=[(f"{v:g}", v) for v in options], value=value, description=description,
                                   continuous_update=False, style={"description_width": "initial"},
                                   layout={"width": "420px"})


def sparsity_explorer(results: dict | None = None, *, penalty: float = 0.0, num_steps: int = 10) -> Explorer:
    """Sliders over the grid of spike penalties and step counts (:func:`snnlesson.cost.load_results`).

    Left: test accuracy against hidden SynOps per digit for every grid point (one line per step
    count), the chosen one ringed. Middle: the hidden raster of one test digit for the chosen
    training. Right: operations per digit of each layer (the dense input layer's MACs do not
    change). All axes are fixed.
    """
    results = cost.load_results() if results is None else results
    if not isinstance(results, dict) or "grid" not in results:
        raise TypeError("results must be the dict of snnlesson.cost.load_results()")
    grid = {(g["penalty"], g["num_steps"]): g for g in results["grid"]}
    penalties = sorted({p for p, _ in grid})
    step_counts = sorted({s for _, s in grid})
    controls = {"penalty": _selection("spike penalty λ", penalties, penalty, "penalty"),
                "num_steps": _selection("time steps", step_counts, num_steps, "num_steps")}
    hidden = results["network"]["num_hidden"]
    max_steps = max(step_counts)

    fig, (ax_c, ax_r, ax_b) = plt.subplots(1, 3, figsize=(13.5, 4.0), gridspec_kw={"width_ratios": [1.2, 1, 0.9]})
    colors = {s: c for s, c in zip(step_counts, ("tab:purple", "tab:blue", "tab:cyan", "tab:green"))}
    synops_all = [g["fc2_synops_per_digit"] for g in grid.values()]
    acc_all = [100 * g["test_accuracy"] for g in grid.values()]
    for s in step_counts:
        pts = sorted((grid[(p, s)] for p in penalties), key=lambda g: g["penalty"])
        ax_c.plot([g["fc2_synops_per_digit"] for g in pts], [100 * g["test_accuracy"] for g in pts], "o-",
                  color=colors[s], label=f"{s} time steps (λ = {', '.join(f'{p:g}' for p in penalties)})")
    (chosen,) = ax_c.plot([], [], "o", ms=14, mfc="none", mec="red", mew=2, label="this training")
    ax_c.set_xlim(-0.04 * max(synops_all), 1.08 * max(synops_all))
    ax_c.set_ylim(0, 100)
    ax_c.axhline(10, color="0.6", ls=":", lw=1, label="chance (10 %)")
    ax_c.set_xlabel("hidden-layer SynOps per digit")
    ax_c.set_ylabel("test accuracy (%)")
    ax_c.set_title("accuracy against work", fontsize=10)
    ax_c.legend(fontsize=7.5, loc="lower right", framealpha=1)

    spikes = raster(np.zeros((max_steps, hidden)), ax_r, marker_size=5.0, ylabel="hidden neuron")
    shade = window_shade(ax_r, max_steps, label="no such step")
    ax_r.set_xticks(range(max_steps))
    ax_r.set_ylim(-0.5, 1.14 * hidden)          # a strip above the neurons for the legend
    ax_r.legend(handles=[shade], fontsize=8, loc="upper right", framealpha=1)
    raster_title = ax_r.set_title(" ", fontsize=10)

    layer_names = ["fc1 (MACs)", "fc2 (SynOps)"]
    bars = ax_b.bar([0, 1], [1, 1], color=["tab:gray", "tab:blue"])
    ax_b.set_yscale("log")
    ax_b.set_ylim(10, 3e6)
    ax_b.set_xticks([0, 1], layer_names)
    ax_b.set_ylabel("operations per digit (log scale)")
    ax_b.set_title("work per digit, layer by layer", fontsize=10)
    headline = fig.suptitle(" ", fontsize=10)
    fig.tight_layout()

    def update(penalty, num_steps):
        g = grid[(penalty, num_steps)]
        chosen.set_data([g["fc2_synops_per_digit"]], [100 * g["test_accuracy"]])
        points = np.argwhere(np.asarray(g["raster"]) > 0)       # (step, neuron) of every spike
        spikes.set_offsets(points if len(points) else np.empty((0, 2)))
        shade.set_x(num_steps - 0.5)
        raster_title.set_text(f"hidden spikes of test digit #{results['raster_digit']}: {len(points)}")
        bars[0].set_height(g["fc1_macs_per_digit"])
        bars[1].set_height(max(g["fc2_synops_per_digit"], 1e-3))  # 0 (a silent network) is off the log axis
        headline.set_text(f"λ = {penalty:g}, {num_steps} steps: {100 * g['test_accuracy']:.1f}% correct, "
                          f"{g['fc2_synops_per_digit']:,.0f} hidden SynOps per digit")
        return (f"penalty {penalty:g}, {num_steps} steps: {100 * g['test_accuracy']:.1f}% correct with "
                f"{g['fc2_synops_per_digit']:,.0f} SynOps per digit in the hidden-to-output layer; "
                f"{g['hidden_spikes_per_digit']:.0f} hidden spikes per digit, "
                f"{100 * g['silent_fraction']:.0f}% of the hidden neurons silent for a given digit.")

    return Explorer(fig, controls, update, dynamic=[chosen, spikes, shade, raster_title, *bars, headline])


@register_explorer("sparsity_explorer")
def _demo_sparsity_explorer() -> Explorer:
    return sparsity_explorer()
