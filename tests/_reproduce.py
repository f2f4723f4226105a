"""Is a fresh training the one a lesson saved?  Bit for bit on the CPU that saved it; elsewhere, up to rounding.

A float32 training repeats itself exactly only with the same kernels (``snnlesson._machine``). On another
CPU a product rounds differently in its last bit, a membrane crosses its threshold on one machine and not
on the other, and the two runs drift apart batch by batch: the first few batches still agree closely (the
weights have barely moved), later ones only in their typical size. A change of the code (learning rate,
surrogate slope, beta, seed) shows in those first batches already. The tolerances of each test were set from
reruns that differ only in rounding (this machine against the saved record; MKL's AVX2 kernels,
``MKL_CBWR=AVX2``; ATen's AVX2 kernels, ``ATEN_CPU_CAPABILITY=avx2``; two threads instead of one) and from
reruns with a small change of the code: each test's docstring gives both.
"""

import numpy as np


def relative_gaps(fresh, saved) -> np.ndarray:
    """``|fresh - saved| / |saved|`` element by element (same lengths required)."""
    fresh, saved = np.asarray(fresh, dtype=float), np.asarray(saved, dtype=float)
    assert fresh.shape == saved.shape, f"fresh run has {fresh.shape} values, the saved one {saved.shape}"
    return np.abs(fresh - saved) / np.abs(saved)


def assert_same_losses(fresh, saved, *, first_rtol: float, median_rtol: float, max_rtol: float, first: int = 3,
                       what: str = "") -> None:
    """Batch losses of a rerun against the saved ones: the ``first`` batches within ``first_rtol``, and over
    all of them a median relative gap of at most ``median_rtol`` and a largest of at most ``max_rtol``."""
    gaps = relative_gaps(fresh, saved)
    assert gaps[:first].max() <= first_rtol, (
        f"{what}: the first {first} batch losses differ from the saved run by up to {gaps[:first].max():.2e} "
        f"(relative; rounding alone stays below {first_rtol:.0e}): {list(fresh[:first])} vs {list(saved[:first])}")
    assert np.median(gaps) <= median_rtol, f"{what}: median relative gap {np.median(gaps):.2e} > {median_rtol:.0e}"
    assert gaps.max() <= max_rtol, f"{what}: largest relative gap {gaps.max():.2e} > {max_rtol:.0e}"
