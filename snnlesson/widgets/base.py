"""The one pattern every explorer follows: controls + a figure + an in-place update.

An :class:`Explorer` owns a matplotlib figure (created once), a list of
ipywidgets controls and an ``update(**values)`` function that changes the
*data* of the figure's artists (``set_data``, ``set_offsets``, ...). Moving a
slider calls ``update`` and renders the same figure to PNG into an
``ipywidgets.Image``: no new figure per move, no display messages, and the
same behaviour in JupyterLab, Colab, ipywidgets 7 and 8, and under nbval.

Tests drive explorers without a browser: set ``explorer.controls["name"].value``
and read the artists back.
"""

from __future__ import annotations

import io
import time
from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt

__all__ = ["Explorer", "slider", "int_slider", "log_slider"]

_STYLE = {"description_width": "initial"}
_LAYOUT = {"width": "420px"}


def slider(description, value, min, max, step, readout_format=".3g", **kw):
    """A float slider that updates only when released (``continuous_update=False``)."""
    return widgets.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                               readout_format=readout_format, continuous_update=False,
                               style=_STYLE, layout=_LAYOUT, **kw)


def int_slider(description, value, min, max, step=1, **kw):
    return widgets.IntSlider(value=value, min=min, max=max, step=step, description=description,
                             continuous_update=False, style=_STYLE, layout=_LAYOUT, **kw)


def log_slider(description, value, min, max, readout_format=".3g", **kw):
    """A slider over ``10**min .. 10**max`` (``min``/``max`` are exponents)."""
    return widgets.FloatLogSlider(value=value, base=10, min=min, max=max, step=0.01,
                                  description=description, readout_format=readout_format,
                                  continuous_update=False, style=_STYLE, layout=_LAYOUT, **kw)


class Explorer(widgets.VBox):
    """Sliders above a figure; every change calls ``update(**values)`` then re-shows the figure.

    Parameters
    ----------
    fig : matplotlib Figure, drawn once by the caller
    controls : dict name -> ipywidgets control; ``update`` receives their values by name
    update : callable(**values) -> optional str, changes the artists' data in place;
        a returned string is shown as a status line under the figure
    """

    def __init__(self, fig, controls: dict, update: Callable[..., str | None]):
        self.fig = fig
        self.controls = dict(controls)
        self._update = update
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.last_update_seconds = None
        plt.close(fig)  # keep the inline backend from showing it a second time
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        super().__init__(children=[*self.controls.values(), self.image, self.status])
        self.refresh()

    def __repr__(self) -> str:  # stable text for saved notebooks (nbval compares it)
        return f"{type(self).__name__}(controls={list(self.controls)})"

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute the figure's data from the current control values and show it.

        ``last_update_seconds`` measures the whole redraw, PNG rendering included.
        """
        start = time.perf_counter()
        message = self._update(**self.values())
        png = io.BytesIO()
        self.fig.savefig(png, format="png", dpi=self.fig.dpi)
        self.image.value = png.getvalue()
        self.last_update_seconds = time.perf_counter() - start
        self.status.value = message or ""

    def _on_change(self, change) -> None:
        self.refresh()
