"""The Explorer base (snnlesson/explorer.py): blitting shows what a full redraw shows, controls check values.

The reference for every picture is matplotlib's own full draw of the same figure
(all artists drawn in z-order), not the explorer's code path.
"""

import base64
import io

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from snnlesson import bench, explorer  # noqa: E402
from snnlesson.explorer import (Explorer, as_image, as_video, dropdown, int_slider, log_slider,  # noqa: E402
                                register_explorer, slider, toggle)


def png_pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def reference_pixels(ex: Explorer) -> np.ndarray:
    """The figure drawn by matplotlib in full, dynamic artists included (no blitting)."""
    for artist in ex.dynamic:
        artist.set_animated(False)
    ex.fig.canvas.draw()
    pixels = np.asarray(ex.fig.canvas.buffer_rgba())[..., :3].astype(int)
    for artist in ex.dynamic:
        artist.set_animated(True)
    return pixels


def differing_fraction(a: np.ndarray, b: np.ndarray, tolerance: int = 60) -> float:
    """Fraction of pixels whose colour differs by more than ``tolerance`` (of 255) in some channel
    (antialiased edges drawn twice differ by a little)."""
    assert a.shape == b.shape
    return float((np.abs(a - b).max(axis=-1) > tolerance).mean())


def sine_explorer(**kw):
    """A small explorer: a sine whose frequency follows a slider, crossing an in-axes legend."""
    t = np.linspace(0, 1, 400)
    fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
    (line,) = ax.plot(t, np.zeros_like(t), lw=3, color="tab:blue", label="sine")
    ax.axhline(0.0, color="gray", zorder=1, label="zero")  # below the sine, as blitting draws it
    ax.set_xlim(0, 1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.legend(loc="upper right", framealpha=1)
    ax.set_title(" ")
    fig.tight_layout()
    calls = []

    def update(freq, shift):
        calls.append((freq, shift))
        line.set_ydata(np.sin(2 * np.pi * freq * t + shift))
        ax.set_title(f"{freq:.1f} Hz")
        ax.set_xlim(0, 1 + shift)  # a static change: shown only by a full redraw
        return f"frequency {freq:.1f} Hz"

    controls = {"freq": slider("frequency (Hz)", 2.0, 0.5, 10.0, 0.5, name="freq"),
                "shift": slider("shift", 0.0, 0.0, 1.0, 0.5)}
    ex = Explorer(fig, controls, update, dynamic=[line, ax.title], **kw)
    return ex, line, calls


def test_a_move_calls_update_with_the_values_and_redraws_only_the_dynamic_artists():
    ex, line, calls = sine_explorer(full_redraw_on=["shift"])
    assert calls == [(2.0, 0.0)] and ex.last_full_redraw is True
    first = ex.image.value
    ex.controls["freq"].value = 5.0
    assert calls[-1] == (5.0, 0.0)
    np.testing.assert_allclose(line.get_ydata(), np.sin(2 * np.pi * 5.0 * line.get_xdata()))
    assert ex.last_full_redraw is False and ex.image.value != first
    assert ex.status.value == "frequency 5.0 Hz" and ex.fig.axes[0].get_title() == "5.0 Hz"
    assert 0 < ex.last_update_seconds < 5
    # the PNG (decoded by Pillow, independently of our encoder) holds exactly the canvas' pixels
    np.testing.assert_array_equal(png_pixels(ex.image.value), np.asarray(ex.fig.canvas.buffer_rgba())[..., :3])
    plt.close(ex.fig)


def test_blitted_picture_equals_a_full_matplotlib_draw_legend_on_top():
    ex, line, _ = sine_explorer()
    for freq in (3.5, 7.0, 1.0):
        ex.controls["freq"].value = freq
        assert differing_fraction(png_pixels(ex.image.value), reference_pixels(ex)) < 2e-4
    # the thick line crosses the legend box; blitting pasted the legend back over it
    legend_box = ex.fig.axes[0].get_legend().get_window_extent()
    assert legend_box.overlaps(ex.fig.axes[0].bbox)
    plt.close(ex.fig)


def test_static_changes_need_a_full_redraw_and_full_redraw_on_gives_one():
    ex, _, _ = sine_explorer()  # shift is NOT in full_redraw_on: its static change (xlim) is not drawn
    ex.controls["shift"].value = 1.0
    assert ex.fig.axes[0].get_xlim() == (0, 2.0)
    assert differing_fraction(png_pixels(ex.image.value), reference_pixels(ex)) > 1e-3
    plt.close(ex.fig)

    ex, _, _ = sine_explorer(full_redraw_on=["shift"])
    ex.controls["shift"].value = 1.0
    assert ex.last_full_redraw is True
    assert differing_fraction(png_pixels(ex.image.value), reference_pixels(ex)) < 2e-4
    ex.controls["freq"].value = 4.0  # back to blitting, on the new background
    assert ex.last_full_redraw is False
    assert differing_fraction(png_pixels(ex.image.value), reference_pixels(ex)) < 2e-4
    plt.close(ex.fig)


def test_full_redraw_on_must_name_controls_and_repr_is_stable():
    with pytest.raises(ValueError, match="full_redraw_on"):
        sine_explorer(full_redraw_on=["frequency"])
    plt.close("all")  # the rejected explorer's figure (left open for later tests' figure counts otherwise)
    ex, _, _ = sine_explorer()
    assert repr(ex) == "Explorer(controls=['freq', 'shift'])"
    assert ex.values() == {"freq": 2.0, "shift": 0.0}
    assert isinstance(ex, widgets.VBox) and ex.children[-2] is ex.image
    plt.close(ex.fig)


@pytest.mark.parametrize("make_transparent", [lambda fig: fig.patch.set_alpha(0.0),
                                              lambda fig: fig.patch.set_visible(False)])
def test_transparent_figures_get_a_white_background_and_the_picture_is_rgb(make_transparent):
    """The picture is sent as RGB (no alpha channel: a smaller file), so the figure must be opaque."""
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    make_transparent(fig)
    (line,) = ax.plot([0, 1], [0, 1])
    ex = Explorer(fig, {"a": slider("a", 0.5, 0.0, 1.0, 0.1)}, lambda a: line.set_ydata([0, a]), dynamic=[line])
    assert Image.open(io.BytesIO(ex.image.value)).mode == "RGB"
    assert png_pixels(ex.image.value)[0, 0].tolist() == [255, 255, 255]
    assert (np.asarray(fig.canvas.buffer_rgba())[..., 3] == 255).all()  # nothing lost with the alpha channel
    plt.close(fig)


@pytest.mark.parametrize("make, message", [
    (lambda: slider("threshold U_thr", 5.0, 0.2, 3.0, 0.05, name="threshold"), r"threshold must lie in .*\[0.2, 3\]"),
    (lambda: slider("gain", -0.1, 0.0, 1.0, 0.05), "gain must lie"),
    (lambda: int_slider("steps", 0, 1, 10, name="num_steps"), "num_steps must lie"),
    (lambda: log_slider("tau_m (s)", 2.0, -3, 0, name="tau_m"), r"tau_m must lie in .*\[0.001, 1\]"),
    (lambda: dropdown("kind", "c", ["a", "b"]), r"kind \(the menu.s value\) must be one of"),
])
def test_initial_values_outside_the_range_are_rejected_not_clamped(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_controls_reject_wrong_types_and_keep_good_values():
    with pytest.raises(TypeError, match="num_steps"):
        int_slider("steps", 2.5, 1, 10, name="num_steps")
    with pytest.raises(TypeError, match="gain"):
        slider("gain", "high", 0.0, 1.0, 0.1)
    with pytest.raises(TypeError, match="show"):
        toggle("show", 1)
    assert log_slider("tau", 0.05, -3, 0).value == pytest.approx(0.05)
    assert int_slider("n", 10, 1, 10).value == 10  # the ends of the range are allowed
    assert dropdown("kind", 2, [("one", 1), ("two", 2)]).value == 2
    assert toggle("show", True).value is True


def test_as_image_and_as_video_check_shape_range_and_type():
    np.testing.assert_array_equal(as_image(torch.ones(1, 4, 5) * 0.5), np.full((4, 5), 0.5, np.float32))
    with pytest.raises(ValueError, match=r"image values must lie in \[0, 1\]"):
        as_image(torch.full((4, 4), 2.0))
    with pytest.raises(ValueError, match="digit values must lie in .*NaN"):
        as_image(np.full((3, 3), np.nan), "digit")
    with pytest.raises(ValueError, match="one picture"):
        as_image(torch.rand(2, 3, 4))
    with pytest.raises(TypeError, match="image"):
        as_image([[0.1, 0.2]])
    assert as_video(torch.rand(3, 1, 4, 4)).shape == (3, 4, 4)
    with pytest.raises(ValueError, match="frames must be one video .* T >= 2"):
        as_video(torch.rand(1, 8, 8))
    with pytest.raises(ValueError, match=r"frames values must lie in \[0, 1\]"):
        as_video(-torch.rand(3, 8, 8))


def test_registered_explorers_are_benchmarked(monkeypatch):
    import importlib
    import pkgutil

    from snnlesson import lessons

    for info in pkgutil.iter_modules(lessons.__path__):  # import first: they fill the real registry, once
        importlib.import_module(f"snnlesson.lessons.{info.name}")
    registry = {}
    monkeypatch.setattr(explorer, "EXPLORER_DEMOS", registry)

    @register_explorer("sine_explorer")
    def _demo():
        return sine_explorer()[0]

    assert registry == {"sine_explorer": _demo}
    result = bench.bench_explorers(moves_per_control=3)
    report = result["explorers"]["sine_explorer"]
    assert report["moves"] == 6 and set(report["median_ms_by_control"]) == {"freq", "shift"}
    assert 0 < report["median_ms"] <= report["max_ms"]
    with pytest.raises(TypeError, match="name"):
        register_explorer("")


@pytest.mark.parametrize("control", [
    slider("a", 0.5, 0.0, 1.0, 0.25), int_slider("n", 3, 1, 4), log_slider("tau", 0.1, -3, 0),
    dropdown("kind", "b", ["a", "b", "c"]), toggle("on", False)])
def test_bench_moves_stay_in_range_and_always_change_the_value(control):
    rng = np.random.default_rng(0)
    for _ in range(30):
        value = bench._new_value(control, rng)
        assert value != control.value
        control.value = value
        assert control.value == value  # in range: ipywidgets did not clamp it


def test_constructor_rejects_bad_arguments_naming_them():
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    (line,) = ax.plot([0, 1], [0, 1])
    good = {"a": slider("a", 0.5, 0.0, 1.0, 0.1)}
    with pytest.raises(TypeError, match="fig"):
        Explorer(ax, good, lambda a: None)
    with pytest.raises(TypeError, match="controls"):
        Explorer(fig, {}, lambda a: None)
    with pytest.raises(TypeError, match="controls"):
        Explorer(fig, {"a": 0.5}, lambda a: None)
    with pytest.raises(TypeError, match="update"):
        Explorer(fig, good, "redraw")
    with pytest.raises(ValueError, match="dynamic"):
        Explorer(fig, good, lambda a: None, dynamic=[line, "title"])
    plt.close(fig)


def _registered_explorers():
    import importlib
    import pkgutil

    from snnlesson import lessons

    for info in pkgutil.iter_modules(lessons.__path__):
        importlib.import_module(f"snnlesson.lessons.{info.name}")
    return sorted(explorer.EXPLORER_DEMOS)


@pytest.mark.parametrize("name", _registered_explorers())
def test_every_registered_explorer_blits_what_a_full_draw_shows(name):
    """After a move of each control, the blitted picture equals matplotlib's full draw of the figure:
    fails when ``update`` changes an artist that is not listed in ``dynamic`` (the picture would lag;
    a stale title alone makes about 0.8% of the lif explorer's pixels differ, exact blits differ by < 0.01%)."""
    ex = explorer.EXPLORER_DEMOS[name]()
    rng = np.random.default_rng(1)
    for control_name, control in ex.controls.items():
        control.value = bench._new_value(control, rng)
        fraction = differing_fraction(png_pixels(ex.image.value), reference_pixels(ex))
        assert fraction < 2e-3, f"{name}: after moving {control_name}, {fraction:.1%} of the pixels differ"
    plt.close(ex.fig)


def _displayed_data(ex: Explorer, monkeypatch) -> dict:
    """What IPython publishes when a cell displays ``ex``, by the hook the installed ipywidgets uses."""
    if "_ipython_display_" in vars(Explorer):  # ipywidgets 7
        import IPython.display

        published = []
        monkeypatch.setattr(IPython.display, "display", lambda data, raw=False: published.append(data))
        monkeypatch.setattr(ex, "_handle_displayed", lambda **kwargs: None)
        ex._ipython_display_()
        assert len(published) == 1
        return published[0]
    return ex._repr_mimebundle_()  # ipywidgets 8


def test_a_displayed_explorer_carries_a_still_picture_of_its_figure(monkeypatch):
    """Beside the widget view, the display data hold the figure as a PNG, so that a saved notebook
    opened without a kernel shows the picture (course.py strips the widget view when saving).
    Checked against matplotlib's own full draw of the figure, before and after a move."""
    _registered_explorers()
    ex = explorer.EXPLORER_DEMOS["lif_explorer"]()
    for move in (None, ("threshold", 2.0)):
        if move:
            ex.controls[move[0]].value = move[1]
        data = _displayed_data(ex, monkeypatch)
        assert data["text/plain"] == repr(ex)
        assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.model_id
        still = png_pixels(base64.b64decode(data["image/png"]))
        assert differing_fraction(still, reference_pixels(ex)) < 2e-3, move
    plt.close(ex.fig)
