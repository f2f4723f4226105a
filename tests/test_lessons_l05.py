"""Lesson 05's explorers and figures: moving a slider changes the plotted data to the right values."""

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import bptt, training  # noqa: E402
from snnlesson.lessons.l05_bptt import (dead_gradient, hidden_rasters, network_explorer, per_class_figure,  # noqa: E402
                                        surrogate_comparison, surrogate_explorer, surrogate_learning_explorer,
                                        surrogate_runs, unrolled_graph)


def test_surrogate_comparison_draws_the_fast_sigmoid_and_snntorchs_default_atan():
    """Both curves against independent references: the fast sigmoid written out here, and the
    gradient of snntorch's own default spike function (``snn.Leaky`` without ``spike_grad``)."""
    snn = pytest.importorskip("snntorch")
    ax = surrogate_comparison(slope=25.0, alpha=2.0)
    fast, atan = ax.lines[0], ax.lines[2]
    x = np.asarray(fast.get_xdata())
    np.testing.assert_allclose(fast.get_ydata(), 1 / (1 + 25.0 * np.abs(x)) ** 2, rtol=1e-6)
    leaky = snn.Leaky(beta=0.95)                      # the tutorial's neuron: its default surrogate
    u = torch.tensor(x, dtype=torch.float32).requires_grad_()
    leaky.spike_grad(u).sum().backward()
    np.testing.assert_allclose(atan.get_ydata(), u.grad.numpy(), rtol=1e-5, atol=1e-7)
    # the dotted half-width marks sit where each curve is half its peak
    half_fast, half_atan = ax.lines[1].get_xdata()[3], ax.lines[3].get_xdata()[3]
    assert 1 / (1 + 25.0 * half_fast) ** 2 == pytest.approx(0.5)
    assert 1 / (1 + (np.pi / 2 * 2.0 * half_atan) ** 2) == pytest.approx(0.5)
    assert "0.318" in ax.get_title() and "0.017" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend().get_texts()) == 3
    plt.close("all")
    with pytest.raises(ValueError, match="alpha"):
        surrogate_comparison(alpha=-1.0)
    with pytest.raises(TypeError, match="ax"):
        surrogate_comparison(ax="left")


def test_surrogate_explorer_redraws_the_derivative_for_the_slope():
    ex = surrogate_explorer(slope=25.0)
    smooth, deriv = ex.fig.axes[0].lines[1], ex.fig.axes[1].lines[1]
    x = np.asarray(deriv.get_xdata())
    # the fast sigmoid's derivative, written out here (Zenke & Ganguli 2018; snntorch's fast_sigmoid)
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 25.0 * np.abs(x)) ** 2, rtol=1e-6)
    ylim = ex.fig.axes[1].get_ylim()
    ex.controls["slope"].value = 4.0
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 4.0 * np.abs(x)) ** 2, rtol=1e-6)
    # the stand-in is the function whose derivative is plotted: its numerical slope is the surrogate
    np.testing.assert_allclose(smooth.get_ydata(), 0.5 + x / (1 + 4 * np.abs(x)), rtol=1e-6, atol=1e-7)
    slope = np.gradient(np.asarray(smooth.get_ydata()), x)
    away = np.abs(x) > 0.01  # the kink at 0 aside
    np.testing.assert_allclose(slope[away], np.asarray(deriv.get_ydata())[away], rtol=2e-2, atol=1e-4)
    assert ex.fig.axes[0].get_xlim() == ex.fig.axes[1].get_xlim() == (-1.0, 1.0)  # one x-range for both panels
    half = ex.fig.axes[1].lines[2].get_xdata()[3]
    assert 1 / (1 + 4.0 * half) ** 2 == pytest.approx(0.5)
    assert ex.fig.axes[1].get_ylim() == ylim
    assert "k = 4" in ex.status.value and "slope k = 4" in ex.fig.texts[0].get_text()
    with pytest.raises(ValueError, match="slope"):
        surrogate_explorer(slope=0.0)
    with pytest.raises(ValueError, match="slope must lie"):
        surrogate_explorer(slope=1000.0)
    plt.close(ex.fig)


@pytest.fixture
def small_network():
    model = bptt.build_network("scratch", num_steps=6, num_hidden=50, seed=0)
    with torch.no_grad():
        model.fc1.weight.mul_(4.0)  # make the untrained hidden layer spike
    gen = torch.Generator().manual_seed(0)
    images, labels = torch.rand(12, 1, 28, 28, generator=gen), torch.randint(0, 10, (12,), generator=gen)
    return model, images, labels


def test_network_explorer_follows_digit_beta_and_threshold(small_network):
    model, images, labels = small_network
    ex = network_explorer(model, images, labels)
    ax_img, ax_mem, ax_hid, ax_out = ex.fig.axes
    mem_lines = ax_mem.lines[:10]
    hidden = ax_hid.collections[0]
    reference = model(images, record_hidden=True)  # the model itself, run by the test
    np.testing.assert_allclose(mem_lines[3].get_ydata(), reference.mem_out[:, 0, 3].detach(), rtol=1e-5, atol=1e-6)
    assert len(hidden.get_offsets()) == int(reference.spk_hidden[:, 0].sum()) > 0
    ylim = ax_mem.get_ylim()

    ex.controls["index"].value = 5
    np.testing.assert_allclose(mem_lines[3].get_ydata(), reference.mem_out[:, 5, 3].detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ax_img.images[0].get_array(), images[5, 0].numpy())
    assert f"label {int(labels[5])}" in ex.status.value and f"label {int(labels[5])}" in ax_img.get_title()

    ex.controls["threshold"].value = 2.0
    ex.controls["beta"].value = 0.8
    changed = bptt.build_network("scratch", num_steps=6, num_hidden=50, beta=0.8, threshold=2.0, seed=None)
    changed.load_state_dict(model.state_dict())
    expected = changed(images, record_hidden=True)
    np.testing.assert_allclose(mem_lines[3].get_ydata(), expected.mem_out[:, 5, 3].detach(), rtol=1e-5, atol=1e-6)
    assert len(hidden.get_offsets()) == int(expected.spk_hidden[:, 5].sum())
    assert list(ax_mem.lines[10].get_ydata()) == [2.0, 2.0]  # the threshold line moved ...
    assert ax_mem.get_ylim() == ylim                          # ... on fixed axes
    accuracy = float((expected.mem_out.mean(0).argmax(1) == labels).float().mean())
    assert f"accuracy {100 * accuracy:.1f}%" in ex.status.value
    # the status line gives the hidden firing over the whole batch (what the lesson's text quotes) and for
    # the digit shown, computed here from the network itself
    batch_rate, digit_rate = float(expected.spk_hidden.mean()), float(expected.spk_hidden[:, 5].mean())
    assert (f"spike on {100 * batch_rate:.1f}% of their steps over these 12 digits ({100 * digit_rate:.1f}% for "
            "this digit)") in ex.status.value, ex.status.value
    assert f"accuracy {100 * accuracy:.1f}% on these 12 digits" in ex.fig.texts[0].get_text()
    assert model.beta == 0.95 and model.threshold == 1.0  # the explorer works on a copy
    assert repr(ex) == "Explorer(controls=['index', 'beta', 'threshold'])"
    labels_shown = [t.get_text() for t in ax_mem.get_legend().get_texts()]
    assert labels_shown == [f"digit {d}" for d in range(10)] + ["threshold"]
    plt.close(ex.fig)


def test_network_explorer_rejects_bad_arguments(small_network):
    model, images, labels = small_network
    with pytest.raises(ValueError, match="index"):
        network_explorer(model, images, labels, index=12)
    with pytest.raises(ValueError, match="labels"):
        network_explorer(model, images, labels[:3])
    with pytest.raises(TypeError, match="model"):
        network_explorer(torch.nn.Linear(784, 10), images, labels)
    with pytest.raises(ValueError, match="readout"):
        network_explorer(model, images, labels, readout="votes")
    model.set_neuron_parameters(0.95, 5.0)
    with pytest.raises(ValueError, match="model.threshold must lie"):
        network_explorer(model, images, labels)


def test_lesson_figures():
    ax = unrolled_graph(3)
    texts = [t.get_text() for t in ax.texts]
    assert {"U1[3]", "S1[3]", "U2[3]", "x[3]"} <= set(texts)
    assert "L = CE(mean U2" in " ".join(texts)  # the loss of the lesson's recipe, on the mean output membrane
    # the surrogate labels sit at the spike nonlinearity (between U1 and S1), not on a reset arrow
    surrogate_labels = [t for t in ax.texts if t.get_text().startswith("surrogate")]
    assert len(surrogate_labels) == 3 and all(1.0 < t.get_position()[1] < 2.0 for t in surrogate_labels)
    with pytest.raises(ValueError, match="num_steps"):
        unrolled_graph(9)
    ax_c, ax_g = dead_gradient(np.array([0.0, 0.5, 1.0]), np.array([0, 0, 1]), np.array([0.1, 0.5, 0.2]))
    np.testing.assert_array_equal(ax_g.lines[0].get_ydata(), [0.0, 2.0])  # finite differences of the staircase
    with pytest.raises(ValueError, match="weights"):
        dead_gradient(np.zeros(3), np.zeros(2), np.zeros(3))
    plt.close("all")


def test_network_explorer_draws_a_thick_dashed_threshold_and_labels_its_axes(small_network):
    ex = network_explorer(*small_network)
    ax_img, ax_mem, ax_hid, ax_out = ex.fig.axes
    threshold = ax_mem.lines[10]
    assert threshold.get_linestyle() == "--" and threshold.get_linewidth() >= 2  # what the lesson's text says
    for ax in (ax_mem, ax_hid, ax_out):
        assert "(steps)" in ax.get_xlabel() and ax.get_ylabel()
    assert ax_hid.get_legend() is None  # no legend over the raster's data
    plt.close(ex.fig)


@pytest.fixture(scope="module")
def tiny_runs():
    gen = torch.Generator().manual_seed(0)
    images, labels = torch.rand(60, 1, 28, 28, generator=gen), torch.arange(60) % 10
    return surrogate_runs((images[:40], labels[:40]), (images[40:], labels[40:]), slopes=(1.0, 25.0, 625.0),
                          betas=(0.8, 0.95), num_hidden=8, num_steps=4, num_train=40, epochs=2)


def test_surrogate_runs_differ_only_in_slope_and_beta(tiny_runs):
    runs = tiny_runs
    assert set(runs.histories) == {(k, b) for k in (1.0, 25.0, 625.0) for b in (0.8, 0.95)}
    for (slope, beta), history in runs.histories.items():
        recipe = history.settings["recipe"]
        assert (recipe["slope"], recipe["beta"], recipe["num_steps"], recipe["epochs"]) == (slope, beta, 4, 2)
        assert len(history.test_accuracy) == 2 and len(history.batch_loss) == 2  # 40 digits, batches of 100
    # the same first batch from the same weights: the first loss depends on beta only (the slope acts backward)
    first = {key: h.batch_loss[0] for key, h in runs.histories.items()}
    assert first[(1.0, 0.95)] == first[(625.0, 0.95)] != first[(1.0, 0.8)]
    # ... and the second loss, after one update, depends on the slope too
    assert runs.histories[(1.0, 0.95)].batch_loss[1] != runs.histories[(625.0, 0.95)].batch_loss[1]
    with pytest.raises(ValueError, match="slopes must increase"):
        surrogate_runs((torch.rand(4, 784), torch.arange(4)), (torch.rand(4, 784), torch.arange(4)), slopes=(5.0, 1.0))
    with pytest.raises(ValueError, match="num_train"):
        surrogate_runs((torch.rand(4, 784), torch.arange(4)), (torch.rand(4, 784), torch.arange(4)), num_train=5)


def test_surrogate_learning_explorer_follows_slope_and_beta(tiny_runs):
    runs = tiny_runs
    ex = surrogate_learning_explorer(runs, slope=25.0, beta=0.95)
    ax_d, ax_l, ax_h = ex.fig.axes[:3]
    deriv, curves = ax_d.lines[1], ax_l.lines[:3]
    x = np.asarray(deriv.get_xdata())
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 25.0 * np.abs(x)) ** 2, rtol=1e-6)
    np.testing.assert_allclose(curves[2].get_ydata(), runs.histories[(625.0, 0.95)].batch_loss)
    assert curves[1].get_linewidth() > curves[0].get_linewidth()  # the chosen slope (25) is drawn thick
    limits = (ax_l.get_xlim(), ax_l.get_ylim(), ax_d.get_ylim())
    frame = ax_h.lines[-1]
    before = np.asarray(frame.get_xydata()).copy()

    ex.controls["slope"].value = 625.0
    np.testing.assert_allclose(deriv.get_ydata(), 1 / (1 + 625.0 * np.abs(x)) ** 2, rtol=1e-6)
    assert curves[2].get_linewidth() > curves[1].get_linewidth()
    assert not np.array_equal(frame.get_xydata(), before)  # the frame moved to the chosen run
    accuracy = runs.histories[(625.0, 0.95)].test_accuracy[-1]
    assert f"k = 625, beta = 0.95" in ex.fig.texts[0].get_text()
    assert f"test accuracy {100 * accuracy:.1f}%" in ex.status.value

    ex.controls["beta"].value = 0.8
    np.testing.assert_allclose(curves[2].get_ydata(), runs.histories[(625.0, 0.8)].batch_loss)
    np.testing.assert_allclose(curves[0].get_ydata(), runs.histories[(1.0, 0.8)].batch_loss)
    assert np.asarray(frame.get_xydata())[:4].mean(0) == pytest.approx([2.0, 0.0])  # slope 625, beta 0.8: cell (2, 0)
    assert (ax_l.get_xlim(), ax_l.get_ylim(), ax_d.get_ylim()) == limits  # fixed axes
    assert repr(ex) == "Explorer(controls=['slope', 'beta'])"
    with pytest.raises(ValueError, match="slope must be one of"):
        surrogate_learning_explorer(runs, slope=3.0)
    with pytest.raises(TypeError, match="runs"):
        surrogate_learning_explorer({"slopes": (1.0,)})
    plt.close(ex.fig)


def test_per_class_figure_and_hidden_rasters():
    predicted = torch.tensor([0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    labels = torch.tensor([0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 0])
    accuracy = training.per_class_accuracy(predicted, labels)  # class 0: 1/2, class 2: 1/2, the others 1
    ax = per_class_figure({"a": accuracy, "b": torch.ones(10)})
    heights = [p.get_height() for p in ax.patches]
    assert heights[:10] == pytest.approx([50, 100, 50, 100, 100, 100, 100, 100, 100, 100])
    assert heights[10:] == pytest.approx([100] * 10)
    assert "%" in ax.get_ylabel() and [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(ValueError, match="10 fractions"):
        per_class_figure({"a": torch.full((10,), 2.0)})
    spikes = torch.zeros(5, 30)
    spikes[1, 3] = spikes[4, 3] = spikes[2, 29] = 1
    ax_a, ax_b = hidden_rasters({"direct": spikes, "rate": torch.ones(5, 30)}, num_shown=10)
    assert sorted(map(tuple, ax_a.collections[0].get_offsets())) == [(1, 3), (4, 3)]  # neuron 29 not shown
    assert "3 hidden spikes" in ax_a.get_title() and "150 hidden spikes" in ax_b.get_title()
    assert "(steps)" in ax_a.get_xlabel()
    plt.close("all")


def test_network_explorer_membrane_axis_clips_no_digit_of_the_batch(small_network):
    # a 99.9 % quantile of the batch's membranes once set the axis, and the winning trace of the lesson's
    # default digit left the top of the plot; here 100 dim digits and one all-white digit 0 whose
    # membranes stand out (the old axis clipped it and one more)
    model, _, _ = small_network
    with torch.no_grad():
        model.fc2.weight.mul_(10.0)  # output membranes well beyond the highest threshold (3)
    gen = torch.Generator().manual_seed(0)
    images, labels = 0.3 * torch.rand(100, 1, 28, 28, generator=gen), torch.randint(0, 10, (100,), generator=gen)
    images[0] = 1.0
    ex = network_explorer(model, images, labels)
    ax_mem = ex.fig.axes[1]
    low, high = ax_mem.get_ylim()
    reference = model(images).mem_out.detach()  # the model itself, at its own beta and threshold
    assert float(reference.max()) > 3.0
    for index in range(len(labels)):
        ex.controls["index"].value = index
        shown = np.stack([line.get_ydata() for line in ax_mem.lines[:10]])
        np.testing.assert_allclose(shown.T, reference[:, index], rtol=1e-4, atol=1e-4)
        assert low <= shown.min() and shown.max() <= high, f"digit {index} leaves the membrane axis"
    assert ax_mem.get_ylim() == (low, high)
    plt.close(ex.fig)


# ------------------------------------------------------------------ saved results (l05_bptt.write_results)


def test_saved_results_hold_every_run_with_the_current_recipes():
    """The record shipped with the package was made with today's recipes: a changed recipe must be
    followed by ``python -c "from snnlesson.lessons import l05_bptt; l05_bptt.write_results()"``."""
    from dataclasses import asdict, replace

    from snnlesson.lessons import l05_bptt

    record = l05_bptt.load_results()
    assert record["dataset"] == "mnist-5k" and record["train_digits"] == 4000 and record["test_digits"] == 1000
    assert set(record["runs"]) == set(l05_bptt.SAVED_RUNS)
    for name, (kind, recipe, encoding) in l05_bptt.SAVED_RUNS.items():
        run = record["runs"][name]
        expected = asdict(replace(recipe, epochs=bptt.LESSON_RECIPE.epochs, encoding=encoding))
        assert run["recipe"] == expected, name
        assert run["network"] == kind and len(run["test_accuracy"]) == expected["epochs"] == len(run["epoch_loss"])
        assert run["epoch_loss"][-1] < run["epoch_loss"][0]        # every saved run learned
        assert run["test_accuracy"][-1] > 0.75                      # chance: 0.10
        assert len(run["first_epoch_batch_loss"]) == 32             # 4,000 digits in batches of 128
    rate = record["runs"]["rate"]
    spikes = rate["first_digit_hidden_spikes"]
    assert spikes.shape == (bptt.LESSON_RECIPE.num_steps, 1000) and set(spikes.unique().tolist()) <= {0.0, 1.0}
    # a rate-coded pixel of intensity p fires with probability p at each step: about sum(p) * steps input spikes
    expected_input = rate["pixel_sum_per_digit"] * bptt.LESSON_RECIPE.num_steps
    assert abs(rate["input_spikes_per_digit"] - expected_input) < 0.02 * expected_input


def test_saved_results_reproduce_from_their_code():
    """The tutorial's recipe has a constant learning rate, so the first epoch of its saved run is exactly a
    1-epoch run: retrain it with write_results' own code and compare every batch's loss (32 batches).

    On the CPU that wrote the record (``snnlesson._machine.same_cpu``) the losses must be identical. Elsewhere
    (tests/_reproduce.py): rounding alone (four reruns) moved the first 3 losses by at most 2.4e-5 (relative),
    the median by 0.19 % and the largest by 1.6 %; a 10 % change of the learning rate moved the first 3 by
    9e-3 and the median by 4.3 %, a 20 % steeper surrogate the first 3 by 3.5e-3, beta 0.94 and seed 1 more."""
    from _reproduce import assert_same_losses

    from snnlesson import _machine, threads
    from snnlesson.data import mnist
    from snnlesson.lessons import l05_bptt

    record = l05_bptt.load_results()
    train = bptt.mnist_tensors(mnist(train=True, source="offline", verbose=False))
    test = bptt.mnist_tensors(mnist(train=False, source="offline", verbose=False))
    with threads.policy(1):
        _, history = l05_bptt._saved_run("article", train, (test[0][:10], test[1][:10]), epochs=1)
    saved = record["runs"]["article"]["first_epoch_batch_loss"]
    if _machine.same_cpu(record.get("cpu")):
        assert [round(v, 5) for v in history.batch_loss] == saved
    assert_same_losses(history.batch_loss, saved, first_rtol=2e-4, median_rtol=1e-2, max_rtol=5e-2,
                       what="lesson 05's tutorial run")


def test_load_results_refuses_a_foreign_file(tmp_path):
    from snnlesson.lessons import l05_bptt

    path = tmp_path / "r.json"
    path.write_text('{"runs": {}}')
    with pytest.raises(ValueError, match="not a lesson-05 record"):
        l05_bptt.load_results(path)
    with pytest.raises(ValueError, match="missing.json' does not exist"):
        l05_bptt.load_results(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="is a directory, not a regular file"):
        l05_bptt.load_results(tmp_path)
    with pytest.raises(TypeError, match="path"):
        l05_bptt.load_results(3)


def test_load_surrogate_runs_reads_the_saved_grid_and_refuses_a_foreign_file(tmp_path):
    from snnlesson.lessons import l05_bptt

    runs = l05_bptt.load_surrogate_runs()
    assert set(runs.histories) == {(k, b) for k in l05_bptt.SLOPES for b in l05_bptt.BETAS}
    assert all(len(h.batch_loss) == 30 and len(h.test_accuracy) == 3 for h in runs.histories.values())  # 3 x 10
    ex = surrogate_learning_explorer(runs, slope=25.0, beta=0.95)
    assert f"({runs.settings['num_test']} digits)" in ex.fig.axes[2].get_title()
    plt.close(ex.fig)
    path = tmp_path / "grid.json"
    record = json.loads(l05_bptt._surrogate_runs_path().read_text())
    record["runs"] = record["runs"][1:]                       # one run of the grid missing
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="cover the grid"):
        l05_bptt.load_surrogate_runs(path)
    path.write_text('{"runs": []}')
    with pytest.raises(ValueError, match="not a lesson-05 surrogate grid"):
        l05_bptt.load_surrogate_runs(path)
    with pytest.raises(ValueError, match="missing.json' does not exist"):
        l05_bptt.load_surrogate_runs(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="path"):
        l05_bptt.load_surrogate_runs(3)


@pytest.mark.parametrize("kind", ["scratch", "snntorch"])
def test_network_explorer_grid_is_the_models_own_accuracy(kind):
    """The accuracies computed once for the sliders' grid (layer-1 current once, then the LIF layers) are
    what the network itself gives, run whole at that beta and threshold, for both kinds of network."""
    if kind == "snntorch":
        pytest.importorskip("snntorch")
    model = bptt.build_network(kind, num_steps=8, num_hidden=40, seed=1)
    with torch.no_grad():
        model.fc1.weight.mul_(4.0)
    gen = torch.Generator().manual_seed(1)
    images, labels = torch.rand(30, 1, 28, 28, generator=gen), torch.randint(0, 10, (30,), generator=gen)
    ex = network_explorer(model, images, labels, readout="spike_count" if kind == "snntorch" else "membrane")
    changed = bptt.build_network(kind, num_steps=8, num_hidden=40, seed=None)
    changed.load_state_dict(model.state_dict())
    for beta, threshold in ((0.5, 0.25), (0.75, 1.5), (1.0, 3.0), (0.95, 1.0)):
        ex.controls["beta"].value, ex.controls["threshold"].value = beta, threshold
        changed.set_neuron_parameters(beta, threshold)
        with torch.no_grad():
            record = changed(images, record_hidden=True)
        scores = bptt.class_scores(record, "spike_count" if kind == "snntorch" else "membrane")
        accuracy = float((scores.argmax(1) == labels).float().mean())
        assert f"accuracy {100 * accuracy:.1f}% on these 30 digits" in ex.status.value, (beta, threshold)
        assert f"spike on {100 * float(record.spk_hidden.mean()):.1f}% of their steps" in ex.status.value
    plt.close(ex.fig)
