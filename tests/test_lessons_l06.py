"""Lesson 06 material: figures, the explorer, the exercise checker and the saved training record."""

import json

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from snnlesson import data, rsnn  # noqa: E402
from snnlesson.lessons import l06_rsnn as l06  # noqa: E402

TASK = rsnn.TASKS["delayed_digit"]


@pytest.fixture(scope="module")
def videos():
    return TASK.videos(40, seed=0, dataset=data.mnist(train=False, source="offline", verbose=False))


@pytest.fixture(scope="module")
def active_model():
    """An untrained RSNN with weights strong enough to spike in both layers."""
    model = rsnn.build("rsnn", input_size=TASK.input_size, seed=0)
    with torch.no_grad():
        model.net.fc1.weight.mul_(6.0)
        model.net.fc2.weight.mul_(8.0)
    return model


def _inputs(videos):
    return TASK.inputs(videos.frames), videos.labels


def test_gallery_animation_is_self_contained_html():
    digit = rsnn.TASKS["digit"]
    videos = digit.videos(40, seed=0, dataset=data.mnist(train=False, source="offline", verbose=False))
    figures_before = set(plt.get_fignums())   # another test in this process may have left one open
    html = l06.gallery_animation(videos).data
    assert html.count("data:image/png;base64") == digit.num_frames      # one embedded frame per time step
    assert "http://" not in html and "https://" not in html              # nothing to download (offline decks)
    assert set(plt.get_fignums()) == figures_before                      # its own figure was closed


def test_gallery_animation_ids_repeat_across_runs_and_differ_within_one(monkeypatch):
    # matplotlib names the player with a fresh uuid4 each run, which made every re-run of lesson 06
    # rewrite 60 lines of the saved notebook
    videos = rsnn.TASKS["digit"].videos(40, seed=0, dataset=data.mnist(train=False, source="offline",
                                                                      verbose=False))
    monkeypatch.setattr(l06, "_PLAYER_IDS", {})
    first, second = l06.gallery_animation(videos).data, l06.gallery_animation(videos).data
    ids = [set(re.findall(r"_anim_img([0-9a-f]{32})", html)) for html in (first, second)]
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]    # two players on one page
    monkeypatch.setattr(l06, "_PLAYER_IDS", {})                       # a fresh kernel, run again
    assert l06.gallery_animation(videos).data == first


def test_frame_strip_shows_the_cue_then_a_blank_screen(videos):
    fig = l06.frame_strip(videos, TASK, rows=3, columns=6)
    (ax,) = fig.axes                                # one image of tiles: rows = videos, columns = frames
    # frames counted from 0, as the rasters' time steps are
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"frame {t}" for t in (0, 4, 8, 11, 15, 19)]
    index = l06._class_examples(videos)[:3]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"digit {int(videos.labels[i])}" for i in index]
    image = np.ma.filled(ax.images[0].get_array(), np.nan)
    side = TASK.canvas // TASK.pool
    column, row = ax.get_xticks(), ax.get_yticks()     # tick at the middle of each tile

    def tile(r, c):
        top, left = round(row[r] - (side - 1) / 2), round(column[c] - (side - 1) / 2)
        return image[top:top + side, left:left + side]

    inputs = TASK.inputs(videos.frames)
    np.testing.assert_array_equal(tile(0, 0), inputs[index[0], 0, 0].numpy())     # what the network sees
    np.testing.assert_array_equal(tile(2, 2), inputs[index[2], 8, 0].numpy())     # the distractor
    assert tile(0, 0).max() > 0.5 and tile(0, 5).max() == 0                   # visible at frame 0, gone at the end
    assert np.isnan(image[:, round(column[0] + (side + 1) / 2)]).all()         # a gap between the tiles
    assert "network sees" in fig._suptitle.get_text()
    plt.close(fig)


def test_spike_rasters_plot_the_recorded_spikes(videos, active_model):
    x, y = _inputs(videos)
    fig = l06.spike_rasters(active_model, x, y, TASK, index=1)
    ax_h, ax_o = fig.axes
    record = active_model(x[1:2])
    assert len(ax_h.collections[-1].get_offsets()) == int(record.spk_hidden.sum()) > 0
    assert len(ax_o.collections[-1].get_offsets()) == int(record.spk_out.sum())
    assert ax_h.get_xlabel() == "time step (frame)" and ax_o.get_ylabel() == "output neuron (class)"
    assert f"digit {int(y[1])}" in ax_o.get_title()
    assert {t.get_text() for t in ax_o.get_legend().get_texts()} >= {"true class", "answer window", "digit visible"}
    assert _legend_outside(fig, ax_o)  # inside, it hid the spikes of the top output neurons
    plt.close(fig)


def _legend_outside(fig, ax) -> bool:
    """The legend of ``ax`` lies outside its plotting area (so it can hide no spike)."""
    fig.canvas.draw()
    box, area = ax.get_legend().get_window_extent(), ax.bbox
    return box.y1 <= area.y0 or box.y0 >= area.y1 or box.x1 <= area.x0 or box.x0 >= area.x1


def _tick_labels_overlap(fig, axis, *, draw: bool = True) -> bool:
    """Two neighbouring tick labels of ``axis`` (those inside the view, as drawn) overlap on the canvas.
    ``draw=False``: the figure has been drawn since its last change (a draw of 12 axes takes a second)."""
    if draw:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    low, high = sorted(axis.get_view_interval())
    shown = [label for label, loc in zip(axis.get_ticklabels(), axis.get_majorticklocs())
             if low <= loc <= high and label.get_text()]
    assert len(shown) >= 2
    along = (lambda box: box.x0) if axis.axis_name == "x" else (lambda box: box.y0)
    boxes = sorted((label.get_window_extent(renderer) for label in shown), key=along)
    return any(a.overlaps(b) for a, b in zip(boxes, boxes[1:]))


def test_weight_figures_before_and_after(active_model):
    before = rsnn.build("rsnn", input_size=TASK.input_size, seed=0)
    fig = l06.weight_heatmaps(before, active_model)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 8                                              # fc1, fc2, V1, V2 x before/after
    # row-major: before = fc1, fc2, V1, V2; then after = fc1, fc2, V1, V2
    assert not np.array_equal(images[0].get_array(), images[4].get_array())   # fc1 changed (x6)
    assert np.array_equal(images[2].get_array(), images[6].get_array())       # V1 did not
    fig.canvas.draw()
    v2 = [ax for ax in fig.axes if ax.images][3]                               # 10 x 10: few ticks, all whole
    assert all(float(t).is_integer() for t in v2.get_xticks())
    assert [ax.get_xlabel() for ax in fig.axes if ax.images][:2] == ["from pixel (index)", "from neuron (index)"]
    for ax in (ax for ax in fig.axes if ax.images):  # fc1's labels once ran together ("120160200240")
        assert not _tick_labels_overlap(fig, ax.xaxis, draw=False), ax.get_title()   # as drawn above
        assert not _tick_labels_overlap(fig, ax.yaxis, draw=False), ax.get_title()
    plt.close(fig)
    fig = l06.weight_histograms(before, active_model)
    assert len(fig.axes) == 8 and all(ax.get_xlabel() and ax.get_ylabel() == "count" for ax in fig.axes)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["before", "after"]
    plt.close(fig)
    fig = l06.weight_heatmaps(rsnn.build("feedforward", input_size=TASK.input_size, seed=0),
                              rsnn.build("feedforward", input_size=TASK.input_size, seed=1))
    assert sum(1 for ax in fig.axes if ax.images) == 4                  # the twin has no V
    plt.close(fig)


def test_comparison_bars_show_both_networks_and_chance():
    fig = l06.comparison_bars({"digit": {"rsnn": 0.8, "feedforward": 0.78},
                               "delayed_digit": {"rsnn": 0.6, "feedforward": 0.2}})
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 2) for p in ax.patches)
    assert heights == [0.2, 0.6, 0.78, 0.8]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["RSNN (RLeaky)", "chance", "feed-forward twin (Leaky, 178 hidden)"]
    plt.close(fig)


def test_explorer_sliders_redraw_the_rasters(videos, active_model):
    x, y = _inputs(videos)
    explorer = l06.rsnn_explorer(active_model, x, y, TASK, index=1, num_eval=20)
    assert repr(explorer) == "Explorer(controls=['beta', 'threshold', 'recurrent'])"
    ax_h = explorer.fig.axes[0]
    dots = ax_h.collections[-1]
    start = len(dots.get_offsets())
    assert start > 0 and "accuracy" in explorer.status.value
    explorer.controls["threshold"].value = 3.0
    fewer = len(dots.get_offsets())
    assert fewer < start and ax_h.get_title() == f"Hidden layer: {fewer} spikes"
    explorer.controls["threshold"].value = 1.0
    assert len(dots.get_offsets()) == start                  # back where it was: the trained weights stayed
    before = dots.get_offsets().copy()
    explorer.controls["recurrent"].value = 0.0
    after = dots.get_offsets()
    assert before.shape != after.shape or not np.array_equal(before, after)
    explorer.controls["beta"].value = 0.5
    assert "beta = 0.50" in explorer.status.value and ax_h.get_xlim() == (-0.5, TASK.num_frames - 0.5)
    assert _legend_outside(explorer.fig, explorer.fig.axes[1])
    assert explorer.image.value[:4] == b"\x89PNG"
    # The trained model itself is untouched by the sliders:
    assert torch.equal(active_model.net.snn1.threshold, torch.tensor(1.0))
    with pytest.raises(TypeError, match="RSNN"):
        l06.rsnn_explorer(rsnn.build("feedforward", input_size=TASK.input_size), x, y, TASK)
    plt.close(explorer.fig)


def test_exercise_checker():
    assert not l06.check_recurrent_step(...).attempted

    def stub(x, mem, spk, V, beta, threshold):
        ...

    assert not l06.check_recurrent_step(stub).attempted

    def right(x, mem, spk, V, beta, threshold):
        mem = beta * mem + x + spk @ V.T - spk * threshold
        return (mem > threshold).float(), mem

    assert l06.check_recurrent_step(right).ok

    def no_recurrence(x, mem, spk, V, beta, threshold):
        mem = beta * mem + x - spk * threshold
        return (mem > threshold).float(), mem

    result = l06.check_recurrent_step(no_recurrence)
    assert not result.ok and result.attempted and "recurrent input" in result.message

    def transposed(x, mem, spk, V, beta, threshold):
        mem = beta * mem + x + spk @ V - spk * threshold
        return (mem > threshold).float(), mem

    assert "V.T" in l06.check_recurrent_step(transposed).message

    def no_reset(x, mem, spk, V, beta, threshold):
        mem = beta * mem + x + spk @ V.T
        return (mem > threshold).float(), mem

    assert "reset" in l06.check_recurrent_step(no_reset).message

    def old_spikes(x, mem, spk, V, beta, threshold):
        return spk, beta * mem + x + spk @ V.T - spk * threshold

    assert "returned the old spikes" in l06.check_recurrent_step(old_spikes).message

    def crashes(x, mem, spk, V, beta, threshold):
        raise RuntimeError("boom")

    assert "raised RuntimeError: boom" in l06.check_recurrent_step(crashes).message
    assert "two tensors" in l06.check_recurrent_step(lambda *a: a[0]).message


def test_saved_record_is_complete_and_summarised():
    record = l06.load_record()
    assert set(record["tasks"]) == set(rsnn.TASKS)
    for runs in record["tasks"].values():
        assert set(runs) == {"rsnn", "feedforward"}
        for run in runs.values():
            assert len(run["test_accuracy"]) == record["training"]["epochs"]
            assert all(0 <= a <= 1 for a in run["test_accuracy"])
    memory = record["tasks"]["delayed_digit"]
    assert memory["rsnn"]["test_accuracy"][-1] > memory["feedforward"]["test_accuracy"][-1] + 0.1
    summary = l06.record_summary(record)
    assert summary.startswith("Last training run ") and "UTC" in summary and "delayed_digit" in summary
    json.dumps(record)


def test_record_summary_formats_a_given_record(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"timestamp": "2025-05-12T17:56:52Z", "versions": {"torch": "2.2", "snntorch": "0.9"},
                                "tasks": {"digit": {"rsnn": {"test_accuracy": [0.5, 0.9]}}}}))
    summary = l06.record_summary(l06.load_record(path))
    assert summary.splitlines()[0] == "Last training run 12 May 2025, 17:56 UTC"
    assert "RSNN (RLeaky) 90%" in summary


def test_load_data_splits_are_the_videos_of_both():
    both = l06.load_data("delayed_digit", train_videos=6, test_videos=4, seed=3)
    train = l06.load_data("delayed_digit", train_videos=6, test_videos=4, seed=3, split="train")
    test = l06.load_data("delayed_digit", train_videos=6, test_videos=4, seed=3, split="test")
    for alone, part in ((train, both[0]), (test, both[1])):
        assert len(alone) == 2 and torch.equal(alone[0], part[0]) and torch.equal(alone[1], part[1])
    assert train[0].shape == (6, TASK.num_frames, 1, 18, 18) and test[0].shape == (4, TASK.num_frames, 1, 18, 18)
    assert not torch.equal(train[0][:4], test[0])                # training and test videos differ
    with pytest.raises(ValueError, match="split"):
        l06.load_data("digit", split="validation")


def test_bad_input_gives_clear_errors_naming_the_parameter(tmp_path, videos, active_model):
    x, y = _inputs(videos)
    with pytest.raises(TypeError, match="task"):
        l06.load_data(None)
    with pytest.raises(ValueError, match="task"):
        l06.train_lesson("q", data=((x, y), (x, y)))
    with pytest.raises(TypeError, match="videos"):
        l06.gallery_animation("1")
    with pytest.raises(ValueError, match="columns"):
        l06.frame_strip(videos, columns=10 ** 11)                     # more columns than frames
    with pytest.raises(ValueError, match="index"):
        l06.spike_rasters(active_model, x, y, TASK, index=len(x))
    with pytest.raises(TypeError, match="record"):
        l06.record_summary("1")
    with pytest.raises(ValueError, match="path"):
        l06.load_record(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="path"):
        l06.load_record(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="accuracies"):
        l06.comparison_bars({"digit": {"rsnn": float("nan"), "feedforward": 0.5}})
    with pytest.raises(TypeError, match="after"):
        l06.weight_heatmaps(active_model, "1")


# ------------------------------------------------------------------ issue 18 / 19 additions


def test_recurrent_step_checker_names_the_swap_the_same_step_reset_and_the_inclusive_threshold():
    """The catalogue's newer mistakes each get their own hint (they used to get only the generic one)."""

    def step(x, mem, spk, V, beta, threshold):
        mem = beta * mem + x + spk @ V.T - spk * threshold
        return (mem > threshold).float(), mem

    def swapped(*args):
        spk, mem = step(*args)
        return mem, spk

    def same_step_reset(x, mem, spk, V, beta, threshold):
        charged = beta * mem + x + spk @ V.T
        new = (charged > threshold).float()
        return new, charged - new * threshold

    def inclusive(x, mem, spk, V, beta, threshold):
        mem = beta * mem + x + spk @ V.T - spk * threshold
        return (mem >= threshold).float(), mem

    assert l06.check_recurrent_step(step).ok
    assert "order (spk_new, mem_new)" in l06.check_recurrent_step(swapped).message
    assert "NEW spike, in the same step" in l06.check_recurrent_step(same_step_reset).message
    result = l06.check_recurrent_step(inclusive)          # a membrane exactly at the threshold stays silent
    assert not result.ok and "strictly above" in result.message


def test_forward_scores_equal_the_sequence_model_over_snntorch(active_model, videos):
    """Reference for the build exercise, checked against snntorch's RLeaky (through SequenceModel)."""
    x, _ = _inputs(videos)
    x = x[:8]
    record = active_model(x)
    assert record.spk_hidden.sum() > 0 and record.spk_out.sum() > 0
    scores = l06.forward_scores(x.flatten(2), l06.network_weights(active_model), TASK.window)
    torch.testing.assert_close(scores, TASK.scores(record), rtol=1e-4, atol=1e-4)
    with pytest.raises(TypeError, match="model"):
        l06.network_weights(rsnn.build("feedforward", input_size=TASK.input_size))


def _student_forward(mistake=None):
    """The forward pass as a student writes it, with one mistake of the catalogue (or none)."""

    def forward(frames, weights, window):
        w, beta, thr = weights, weights["beta"], weights["threshold"]
        mem1 = spk1 = torch.zeros(frames.shape[0], w["W1"].shape[0])
        mem2 = spk2 = torch.zeros(frames.shape[0], w["W2"].shape[0])
        mems, spks = [], []
        for t in range(frames.shape[1]):
            rec1 = 0 if mistake == "no_recurrence" else spk1 @ w["V1"].T + w["c1"]
            mem1 = beta * mem1 + frames[:, t] @ w["W1"].T + w["b1"] + rec1 - (0 if mistake == "no_reset" else thr * spk1)
            spk1 = (mem1 > thr).float()
            into2 = mem1 if mistake == "membrane_forward" else spk1
            rec2 = 0 if mistake == "no_recurrence" else spk2 @ w["V2"].T + w["c2"]
            mem2 = beta * mem2 + into2 @ w["W2"].T + w["b2"] + rec2 - (0 if mistake == "no_reset" else thr * spk2)
            spk2 = (mem2 > thr).float()
            mems.append(mem2)
            spks.append(spk2)
        mems, spks = torch.stack(mems), torch.stack(spks)
        return {"whole_video": lambda: mems.mean(0), "last_frame": lambda: mems[-1],
                "spike_counts": lambda: spks[window].sum(0), "membrane_sum": lambda: mems[window].sum(0),
                }.get(mistake, lambda: mems[window].mean(0))()

    return forward


@pytest.mark.parametrize("mistake, hint", l06.FORWARD_MISTAKES)
def test_forward_pass_checker_names_each_catalogue_mistake(mistake, hint):
    result = l06.check_forward_pass(_student_forward(mistake))
    assert not result.ok and result.attempted
    assert result.message.endswith("Hint: " + hint)


def test_forward_pass_checker_verdicts():
    assert l06.check_forward_pass(_student_forward()).ok
    assert not l06.check_forward_pass(...).attempted

    def stub(frames, weights, window):
        ...

    assert not l06.check_forward_pass(stub).attempted
    assert "function of (frames, weights, window)" in l06.check_forward_pass(42).message
    carried = {}

    def carries_state(frames, weights, window):          # the state of the previous call leaks in
        scores = _student_forward()(frames, weights, window) + carried.get("mem", 0.0)
        carried["mem"] = 0.3
        return scores

    assert "second call" in l06.check_forward_pass(carries_state).message
    nan = l06.check_forward_pass(lambda f, w, win: torch.full((f.shape[0], 4), float("nan")))
    assert not nan.ok and "NaN" in nan.message
    shape = l06.check_forward_pass(lambda f, w, win: torch.zeros(4))
    assert not shape.ok and "shape" in shape.message
    text = l06.check_forward_pass(lambda f, w, win: "scores")
    assert not text.ok and "number" in text.message
    other = l06.check_forward_pass(lambda f, w, win: _student_forward()(f, w, win) * 1.5)
    assert not other.ok and "Hint: start both layers at rest" in other.message


def test_forward_pass_checker_stops_a_function_that_never_returns(monkeypatch):
    from snnlesson import checks

    def forever(frames, weights, window):
        while True:
            pass

    original = checks.call_answer

    def quick(*args, **kwargs):
        kwargs["time_limit_s"] = 0.3
        return original(*args, **kwargs)

    monkeypatch.setattr(l06, "call_answer", quick)
    result = l06.check_forward_pass(forever)
    assert not result.ok and "did not return within 0.3 s" in result.message


def test_weight_figures_are_readable_on_a_slide(active_model):
    """Issue 18: the heatmaps were drawn at 72 dpi with 8-point labels (about 7 px); now >= 100 dpi, >= 10 pt."""
    before = rsnn.build("rsnn", input_size=TASK.input_size, seed=0)
    for figure in (l06.weight_heatmaps, l06.weight_histograms):
        fig = figure(before, active_model)
        assert fig.dpi >= 100, figure.__name__
        for ax in fig.axes:
            if ax.get_xlabel() and ax.get_label() != "<colorbar>":
                assert ax.xaxis.label.get_fontsize() >= 10 and ax.title.get_fontsize() >= 10, figure.__name__
        plt.close(fig)


def test_scores_agreement_plots_both_forward_passes():
    yours = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.5, 0.2]])
    reference = yours.clone()
    reference[2] = torch.tensor([0.1, 0.9])
    fig = l06.scores_agreement(yours, reference, torch.tensor([0, 1, 1]))
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), np.column_stack([reference.ravel(), yours.ravel()]))
    assert "66.7%" in ax.get_title() and "100.0%" in ax.get_title()
    assert "membrane units" in ax.get_xlabel() and "membrane units" in ax.get_ylabel()
    plt.close(fig)
    with pytest.raises(ValueError, match="yours"):
        l06.scores_agreement(torch.full((3, 2), float("nan")), reference, torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="reference"):
        l06.scores_agreement(yours, reference[:2], torch.tensor([0, 1, 1]))
