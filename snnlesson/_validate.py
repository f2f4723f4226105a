"""Argument checks shared by the models: a clear error naming the parameter, never a silent NaN.

``check_real`` and ``check_int`` raise ``TypeError`` for a value of the wrong
type and ``ValueError`` for one out of range, with the parameter's name, the
value and what is allowed in the message.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def check_real(name: str, value, *, low=None, high=None, low_open: bool = False,
               high_open: bool = False) -> float:
    """``value`` as a finite float within ``[low, high]`` (``low_open``/``high_open`` exclude the ends)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (v >= high if high_open else v > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return v


def check_int(name: str, value, minimum: int | None = None) -> int:
    """``value`` as an int (NumPy integers accepted, ``bool`` refused), at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
