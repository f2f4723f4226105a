"""The Explorer: sliders above a figure that is drawn once and then redrawn only where it changes.

Every explorer of the course is a function that builds a matplotlib figure,
picks the artists a slider move changes (the *dynamic* artists: a line, a
scatter, an image, a title that states a count) and returns an
:class:`Explorer`::

    fig, ax = plt.subplots()
    ax.set_xlim(0, 1); ax.set_ylim(0, 2)          # fixed axes: set them once
    (line,) = ax.plot([], [], label="V")
    ax.legend()

    def update(threshold):                         # one keyword per control
        line.set_data(t, v(threshold))
        ax.set_title(f"{n} spikes")                # a dynamic Text artist
        return f"status line under the figure"     # optional

    Explorer(fig, {"threshold": slider("threshold", 1.0, 0.2, 3.0, 0.05)}, update,
             dynamic=[line, ax.title])

How a move is drawn (matplotlib *blitting*):

1. ``update(**values)`` changes the data of the dynamic artists in place.
2. The cached *background* (the full figure without the dynamic artists:
   axes, ticks, labels, legends, static lines) is copied back into the canvas
   (``canvas.restore_region``).
3. Only the dynamic artists are drawn on it (``fig.draw_artist``), in
   z-order, then the frames (spines) of their axes; legends inside those axes are then
   pasted back from the background, so they stay on top (they look opaque: give them
   ``framealpha=1``).
4. The canvas buffer is encoded to PNG (RGB, zlib's fast level) into an ``ipywidgets.Image``.

Rendering to an ``Image`` (not an ``Output`` widget, not a new figure per
move) behaves the same in JupyterLab, Colab, ipywidgets 7 and 8, and under
nbval, which compares saved outputs.

A **full redraw** (background included) happens at the start and whenever a
control listed in ``full_redraw_on`` moves: use it when a move must change
something static, such as axis limits or tick labels. Prefer fixed axes: a
full redraw costs 5 to 10 times a blitted one. Code outside ``update`` can
call :meth:`Explorer.refresh` with ``full=True``.

**A saved notebook shows the picture too.** Displaying an explorer sends, beside the
live widget, a still PNG of its figure as drawn at that moment (``image/png``, see
``Explorer._with_still_picture``). A front end that runs widgets shows the widget; a
notebook read without a kernel (a saved lesson opened in JupyterLab, GitHub's
preview) shows the still picture instead of a line of text.

Tests drive explorers without a browser: set ``explorer.controls[name].value``
(this calls ``update`` and redraws synchronously) and read the artists back.

The explorers benchmark (``python -m snnlesson.bench explorers``) times every
explorer registered with :func:`register_explorer`.
"""

from __future__ import annotations

import base64
import math
import struct
import time
import zlib
from operator import attrgetter
from typing import Callable, Iterable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from snnlesson._validate import check_bool, check_int, check_real

__all__ = ["Explorer", "slider", "int_slider", "log_slider", "dropdown", "toggle", "as_image", "as_video",
           "register_explorer", "EXPLORER_DEMOS"]

_STYLE = {"description_width": "initial"}
_LAYOUT = {"width": "420px"}
PNG_COMPRESS_LEVEL = 1  # zlib level 1: several times faster than the default 6, files a little larger


# ---------------------------------------------------------------------------------------------- controls


def _label(description, name) -> str:
    """The parameter named in errors: ``name`` if given, else the control's description."""
    if not isinstance(description, str):
        raise TypeError(f"description must be a string (the control's label), got {description!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string (the parameter the control sets), got {name!r}")
    return name or description


def _range(low, high, *, integer: bool = False) -> tuple:
    """Check a slider's ``min < max`` (finite numbers; integers for an integer slider)."""
    check = (lambda n, v: check_int(n, v)) if integer else (lambda n, v: check_real(n, v))
    low, high = check("min", low), check("max", high)
    if not low < high:
        raise ValueError(f"min must be below max, got min={low!r}, max={high!r}")
    return low, high


def _check_value(name: str, value, low, high, *, integer: bool = False):
    """The slider's initial value: a number in ``[low, high]`` (ipywidgets would clamp it silently)."""
    what = f"{name} (the slider's value)"
    value = check_int(what, value) if integer else check_real(what, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must lie in the slider's range [{low:g}, {high:g}], got value {value!r}")
    return value


def _check_format(readout_format) -> str:
    if not isinstance(readout_format, str) or not readout_format:
        raise TypeError(f"readout_format must be a format specification such as '.3g', got {readout_format!r}")
    try:
        format(1.0, readout_format)
    except ValueError as err:
        raise ValueError(f"readout_format {readout_format!r} is not a number format: {err}") from None
    return readout_format


def slider(description: str, value: float, min: float, max: float, step: float, *,
           name: str | None = None, readout_format: str = ".3g", **kw) -> widgets.FloatSlider:
    """A float slider over ``[min, max]`` that updates when released (``continuous_update=False``).

    ``name`` (default: ``description``) is the parameter named in the error when
    ``value`` is not a finite number in ``[min, max]``.
    """
    name = _label(description, name)
    low, high = _range(min, max)
    step = check_real("step", step, low=0.0, low_open=True)
    if step > high - low:
        raise ValueError(f"step must be at most max - min = {high - low:g}, got {step!r}")
    value = _check_value(name, value, low, high)
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               readout_format=_check_format(readout_format), continuous_update=False,
                               style=_STYLE, layout=_LAYOUT, **kw)


def int_slider(description: str, value: int, min: int, max: int, step: int = 1, *,
               name: str | None = None, **kw) -> widgets.IntSlider:
    """An integer slider over ``min..max``; ``value`` outside the range raises ``ValueError``."""
    name = _label(description, name)
    low, high = _range(min, max, integer=True)
    step = check_int("step", step, minimum=1)
    if step > high - low:
        raise ValueError(f"step must be at most max - min = {high - low}, got {step!r}")
    value = _check_value(name, value, low, high, integer=True)
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description,
                             continuous_update=False, style=_STYLE, layout=_LAYOUT, **kw)


def log_slider(description: str, value: float, min: float, max: float, *, name: str | None = None,
               readout_format: str = ".3g", **kw) -> widgets.FloatLogSlider:
    """A slider over ``10**min .. 10**max`` (``min`` and ``max`` are exponents, ``value`` is not)."""
    name = _label(description, name)
    low, high = _range(check_real("min", min, low=-300, high=300), check_real("max", max, low=-300, high=300))
    value = _check_value(name, value, 10.0 ** low, 10.0 ** high)
    return widgets.FloatLogSlider(value=value, base=10, min=low, max=high, step=0.01,
                                  description=description, readout_format=_check_format(readout_format),
                                  continuous_update=False, style=_STYLE, layout=_LAYOUT, **kw)


def dropdown(description: str, value, options, *, name: str | None = None, **kw) -> widgets.Dropdown:
    """A drop-down menu; ``options`` is a list of values or of ``(label, value)`` pairs."""
    name = _label(description, name)
    if isinstance(options, (str, bytes)) or not isinstance(options, (list, tuple)) or not options:
        raise TypeError(f"options must be a non-empty list of values or (label, value) pairs, got {options!r}")
    allowed = [o[1] if isinstance(o, tuple) else o for o in options]
    if not any(value is a or (type(value) is type(a) and value == a) for a in allowed):
        raise ValueError(f"{name} (the menu's value) must be one of {allowed}, got {value!r}")
    return widgets.Dropdown(value=value, options=list(options), description=description, style=_STYLE, **kw)


def toggle(description: str, value: bool, *, name: str | None = None, **kw) -> widgets.Checkbox:
    """An on/off check box."""
    name = _label(description, name)
    if not isinstance(value, bool):
        raise TypeError(f"{name} (the check box's value) must be True or False, got {value!r}")
    return widgets.Checkbox(value=value, description=description, style=_STYLE, **kw)


# ---------------------------------------------------------------------------------------------- inputs


def _float_array(name: str, data) -> np.ndarray:
    """A float32 NumPy copy of a tensor (any device) or array of real numbers."""
    if isinstance(data, torch.Tensor):
        if data.device.type == "meta":
            raise ValueError(f"{name} must hold values, got a tensor on the 'meta' device")
        if data.is_complex() or data.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got dtype {data.dtype}")
        return data.detach().cpu().to(torch.float32).numpy()
    if data.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {data.dtype}")
    return data.astype(np.float32)


def as_image(image, name: str = "image") -> np.ndarray:
    """One picture ``[H, W]`` or ``[1, H, W]`` (tensor or array, values in [0, 1]) as a float32 ``[H, W]`` array."""
    if not isinstance(image, (torch.Tensor, np.ndarray)):
        raise TypeError(f"{name} must be a tensor or an array [H, W] or [1, H, W], got {type(image).__name__}")
    x = _float_array(name, image)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2 or min(x.shape) < 1:
        raise ValueError(f"{name} must be one picture [H, W] or [1, H, W], got shape {tuple(image.shape)}")
    if np.isnan(x).any():
        raise ValueError(f"{name} values must lie in [0, 1], got NaN")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"{name} values must lie in [0, 1], got values in [{x.min():g}, {x.max():g}]")
    return x


def as_video(frames, name: str = "frames") -> np.ndarray:
    """One video ``[T, H, W]`` or ``[T, 1, H, W]`` (``T >= 2`` frames, values in [0, 1]) as float32 ``[T, H, W]``."""
    if not isinstance(frames, (torch.Tensor, np.ndarray)):
        raise TypeError(f"{name} must be a tensor or an array [T, H, W] or [T, 1, H, W], got {type(frames).__name__}")
    v = _float_array(name, frames)
    if v.ndim == 4 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 3 or v.shape[0] < 2 or min(v.shape[1:]) < 1:
        raise ValueError(f"{name} must be one video [T, H, W] or [T, 1, H, W] with T >= 2 frames, "
                         f"got shape {tuple(frames.shape)}")
    if np.isnan(v).any():
        raise ValueError(f"{name} values must lie in [0, 1], got NaN")
    if v.min() < 0 or v.max() > 1:
        raise ValueError(f"{name} values must lie in [0, 1], got values in [{v.min():g}, {v.max():g}]")
    return v


# ---------------------------------------------------------------------------------------------- explorer


class Explorer(widgets.VBox):
    """Controls above a figure; a control move calls ``update(**values)`` and blits the dynamic artists.

    Parameters
    ----------
    fig : matplotlib Figure, fully built by the caller (labels, legends, fixed limits, tight layout)
    controls : dict name -> ipywidgets control; ``update`` receives their values by these names
    update : callable(**values) -> optional str. Changes the data of the dynamic artists in place
        (``set_data``, ``set_offsets``, ``set_array``, ``set_text`` ...). A returned string is
        shown as a status line under the figure.
    dynamic : the artists ``update`` changes (lines, collections, images, ``ax.title``, a text,
        even ``ax.xaxis``). They are left out of the cached background and drawn on every move.
        Changing any other artist is not shown until the next full redraw.
    full_redraw_on : names of controls whose moves change something static (axis limits, ticks):
        their moves redraw the whole figure.

    Attributes
    ----------
    fig, controls, dynamic : as given; ``image`` (the PNG ``ipywidgets.Image``), ``status`` (the
    status line, an ``ipywidgets.HTML``); ``last_update_seconds`` (the last move: update, drawing
    and PNG) and ``last_full_redraw`` (whether that move redrew everything).
    """

    def __init__(self, fig, controls: dict, update: Callable[..., str | None], *,
                 dynamic: Iterable = (), full_redraw_on: Iterable[str] = ()):
        if not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
        if not isinstance(controls, dict) or not controls:
            raise TypeError(f"controls must be a non-empty dict name -> ipywidgets control, got {controls!r}")
        for control_name, control in controls.items():
            if not isinstance(control_name, str) or not isinstance(control, widgets.ValueWidget):
                raise TypeError(f"controls must map names (str) to ipywidgets controls, got "
                                f"{control_name!r}: {type(control).__name__}")
        if not callable(update):
            raise TypeError(f"update must be a function of the controls' values, got {type(update).__name__}")
        self.fig = fig
        self.controls = dict(controls)
        self._update = update
        if isinstance(dynamic, (str, bytes)) or not isinstance(dynamic, (list, tuple)):
            raise TypeError(f"dynamic must be a list of the artists update changes, got {dynamic!r}")
        self.dynamic = list(dynamic)
        for artist in self.dynamic:
            if not isinstance(artist, Artist) or artist.get_figure() is None:
                raise ValueError(f"dynamic must hold artists drawn in the figure, got {artist!r}")
        if isinstance(full_redraw_on, (str, bytes)) or not isinstance(full_redraw_on, (list, tuple, set)):
            raise TypeError(f"full_redraw_on must be a list of control names, got {full_redraw_on!r}")
        self.full_redraw_on = set(full_redraw_on)
        unknown = self.full_redraw_on - set(self.controls)
        if unknown:
            raise ValueError(f"full_redraw_on names unknown controls {sorted(unknown)}; "
                             f"controls are {list(self.controls)}")
        for artist in self.dynamic:
            artist.set_animated(True)  # a full draw leaves it out of the background
        # the axes holding dynamic artists: their frames are drawn again and their legends pasted back
        self._axes = list({id(a.axes): a.axes for a in self.dynamic if getattr(a, "axes", None) is not None}.values())
        self._on_top = []  # pixel boxes of those legends, set by each full redraw
        plt.close(fig)  # keep the notebook's backend from showing the figure a second time
        FigureCanvasAgg(fig)  # draw with Agg whatever the backend: the same pixels everywhere
        if fig.get_facecolor()[3] < 1 or fig.patch.get_alpha() not in (None, 1) or not fig.patch.get_visible():
            # some inline backends default to a transparent figure; the picture is RGB (opaque)
            fig.patch.set(visible=True, alpha=None, facecolor="white")
        self._background = None
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.last_update_seconds = None
        self.last_full_redraw = None
        for control_name, control in self.controls.items():
            control.observe(lambda change, n=control_name: self.refresh(full=n in self.full_redraw_on),
                            names="value")
        super().__init__(children=[*self.controls.values(), self.image, self.status])
        self.refresh(full=True)

    def __repr__(self) -> str:  # stable text for saved notebooks (nbval compares it)
        return f"{type(self).__name__}(controls={list(self.controls)})"

    def _with_still_picture(self, widget_data: dict | None) -> dict | None:
        """The widget's display data (``text/plain`` and the widget view) plus the still picture:
        the PNG the widget shows at that moment.

        Front ends that run widgets prefer the widget view; the others, and a notebook saved
        without its widget state, show ``image/png``.
        """
        if widget_data is None:  # a closed widget has nothing to show
            return None
        return {**widget_data, "image/png": base64.b64encode(self.image.value).decode("ascii")}

    if hasattr(widgets.Widget, "_repr_mimebundle_"):  # ipywidgets 8 displays a widget through this
        def _repr_mimebundle_(self, **kwargs):
            return self._with_still_picture(super()._repr_mimebundle_(**kwargs))
    else:  # ipywidgets 7 displays it through _ipython_display_, which publishes the data itself
        def _ipython_display_(self, **kwargs):
            from IPython.display import display

            data = {"text/plain": repr(self),
                    "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                                 "model_id": self._model_id}}
            display(self._with_still_picture(data), raw=True)
            self._handle_displayed(**kwargs)

    def values(self) -> dict:
        """The controls' current values by name."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self, full: bool = False) -> None:
        """Call ``update`` with the current values and show the figure.

        ``full=True`` redraws everything and caches a new background; otherwise only
        the dynamic artists are drawn over the cached background (blitting).
        ``last_update_seconds`` measures the whole move: update, drawing and PNG.
        """
        full = check_bool("full", full)
        start = time.perf_counter()
        message = self._update(**self.values())
        canvas = self.fig.canvas
        if full or self._background is None:
            canvas.draw()  # animated (dynamic) artists are left out
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._on_top = self._legend_boxes()
        else:
            canvas.restore_region(self._background)
        for artist in sorted(self.dynamic, key=attrgetter("zorder")):
            if artist.get_visible():
                self.fig.draw_artist(artist)
        for ax in self._axes:  # the axes' frames, which dynamic artists touching the edges would cover
            for spine in ax.spines.values():
                if spine.get_visible():
                    self.fig.draw_artist(spine)
        for box in self._on_top:  # paste the legends back from the background, over the dynamic artists
            canvas.restore_region(self._background, bbox=box, xy=(0, 0))  # xy: where the region's corner goes
        self.image.value = self._png()
        self.status.value = message or ""
        self.last_full_redraw = bool(full)
        self.last_update_seconds = time.perf_counter() - start

    def _legend_boxes(self) -> list[tuple[int, int, int, int]]:
        """Pixel boxes (x0, y0, x1, y1 from the top left) of the static legends inside dynamic artists' axes."""
        height = self.fig.bbox.height
        boxes = []
        for ax in self._axes:
            legend = ax.get_legend()
            if legend is None or legend in self.dynamic:
                continue
            box = legend.get_window_extent()
            if box.overlaps(ax.bbox):
                boxes.append((math.floor(box.x0), math.floor(height - box.y1),  # Agg's box includes its
                              math.ceil(box.x1) - 1, math.ceil(height - box.y0) - 1))  # last row and column
        return boxes

    def _png(self) -> bytes:
        """The canvas as PNG bytes: RGB rows, no PNG filter, zlib level 1.

        Written by hand (three chunks: header, pixels, end) because it takes less than half
        the time of Pillow's encoder, whose adaptive row filters pay off only in file size.
        RGB, not RGBA: the figure is opaque (see ``__init__``), so alpha is 255 everywhere;
        leaving it out makes the file about 10 % smaller and a little faster to compress.
        """
        rgba = np.asarray(self.fig.canvas.buffer_rgba())
        height, width = rgba.shape[:2]
        rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
        rows[:, 0] = 0  # each row starts with its filter type: 0, none
        rows[:, 1:].reshape(height, width, 3)[...] = rgba[..., :3]
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, deflate, no interlace
        return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                + _png_chunk(b"IDAT", zlib.compress(rows, PNG_COMPRESS_LEVEL)) + _png_chunk(b"IEND", b""))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# ---------------------------------------------------------------------------------------------- benchmark registry

EXPLORER_DEMOS: dict[str, Callable[[], Explorer]] = {}
"""Explorer name -> a function without arguments that builds a typical instance (for the benchmark)."""


def register_explorer(name: str):
    """Decorator: register a factory building a typical ``name`` explorer for the explorers benchmark.

    ``python -m snnlesson.bench explorers`` imports every ``snnlesson.lessons`` module, builds
    each registered explorer and moves each of its controls at least 20 times::

        @register_explorer("rate_explorer")
        def _demo_rate_explorer():
            return rate_explorer(demo_digit())
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")

    def decorator(factory):
        EXPLORER_DEMOS[name] = factory
        return factory

    return decorator
