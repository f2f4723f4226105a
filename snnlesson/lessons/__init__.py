"""Lesson material: what one notebook shows, one module per lesson.

Each ``lNN_name`` module holds the figures, explorers and exercise helpers of
notebook ``NN``, built on the models (``snnlesson.lif``, ``encoding``, ...), the
shared figure primitives of :mod:`snnlesson.plot` and the
:class:`~snnlesson.explorer.Explorer` base. Import the one you need::

    from snnlesson.lessons.l01_lif import lif_explorer
"""

__all__: list[str] = []
