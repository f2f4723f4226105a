"""The lessons' explorers: sliders that redraw an existing figure in place.

One module per lesson (``start``, ``lif``, ``encoding``, ``bptt``, ...), all
built on :class:`Explorer` from ``snnlesson.widgets.base``. Each explorer is a
function returning an :class:`Explorer`; display it as the last expression of
a cell. Works with ipywidgets 7 (Colab) and 8 (JupyterLab 4).
"""
