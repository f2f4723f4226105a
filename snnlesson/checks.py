"""Exercise checkers: each says what is wrong, not just ``False``.

A checker takes the reader's answer (usually a function), runs it against the
reference from ``snnlesson`` on a few cases, and returns a :class:`CheckResult`
whose text explains the first difference (which case, what was expected, what
came back, and a hint). In a notebook the result shows as a one-line verdict;
``bool(result)`` is ``True`` only for a correct answer. Checkers never raise on
a wrong answer; an answer that itself raises is reported, with its error.

Sections below are per lesson.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "passed", "failed", "compare_arrays"]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return ("Correct! " if self.ok else "Not yet: ") + self.message

    def _repr_markdown_(self) -> str:
        return ("✅ **Correct!** " if self.ok else "❌ **Not yet:** ") + self.message


def passed(message: str = "all cases match the reference.") -> CheckResult:
    return CheckResult(True, message)


def failed(message: str) -> CheckResult:
    return CheckResult(False, message)


def compare_arrays(name: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-9,
                   case: str = "") -> CheckResult | None:
    """``None`` when ``got`` matches ``expected``; otherwise a failed result describing the difference."""
    where = f" for {case}" if case else ""
    try:
        got_a = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got, dtype=float)
    except (TypeError, ValueError):
        return failed(f"{name}{where} should be a number or an array of numbers, got {type(got).__name__}.")
    exp_a = np.asarray(expected, dtype=float)
    if got_a.shape != exp_a.shape:
        return failed(f"{name}{where} has shape {got_a.shape}, expected {exp_a.shape}.")
    if not np.all(np.isfinite(got_a)):
        return failed(f"{name}{where} contains NaN or infinity.")
    if not np.allclose(got_a, exp_a, rtol=rtol, atol=atol):
        i = np.unravel_index(np.argmax(np.abs(got_a - exp_a)), exp_a.shape) if exp_a.ndim else ()
        return failed(f"{name}{where}: got {got_a[i]:.6g}, expected {exp_a[i]:.6g}"
                      + (f" (at index {tuple(int(j) for j in i)})" if exp_a.ndim else "") + ".")
    return None


# ----------------------------------------------------------------- lesson 00: start here


def check_spike_count(answer, spikes) -> CheckResult:
    """Lesson 00: how many spikes are in the time-first tensor ``spikes``?"""
    expected = int(np.asarray(spikes.detach().cpu() if hasattr(spikes, "detach") else spikes).sum())
    try:
        got = int(answer)
    except (TypeError, ValueError):
        return failed(f"the answer should be a whole number, got {answer!r}.")
    if got == expected:
        return passed(f"the raster holds {expected} spikes.")
    per_step = np.asarray(spikes.detach().cpu() if hasattr(spikes, "detach") else spikes).reshape(
        spikes.shape[0], -1).sum(axis=1)
    hint = (" It looks like you counted only one time step." if got in set(per_step.tolist()) else
            " Sum over every axis: time steps and pixels.")
    return failed(f"you said {got}, the raster holds {expected} spikes.{hint}")
