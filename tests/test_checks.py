"""The shared pieces of snnlesson.checks: results that explain the first difference."""

import numpy as np
import torch

from snnlesson import checks


def test_compare_arrays_accepts_matches_and_explains_mismatches():
    assert checks.compare_arrays("v", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0])) is None
    shape = checks.compare_arrays("v", [1.0], [1.0, 2.0])
    assert not shape and "shape (1,)" in shape.message and "(2,)" in shape.message
    value = checks.compare_arrays("v", [1.0, 2.5], [1.0, 2.0], case="dt = 1 ms")
    assert not value and "got 2.5" in value.message and "expected 2" in value.message
    assert "index (1,)" in value.message and "dt = 1 ms" in value.message
    nan = checks.compare_arrays("v", [float("nan")], [1.0])
    assert not nan and "NaN" in nan.message
    assert "number" in checks.compare_arrays("v", object(), [1.0]).message


def test_results_read_as_verdicts():
    assert repr(checks.passed("fine")).startswith("Correct!")
    assert repr(checks.failed("off by one")) == "Not yet: off by one"
    assert "Not yet" in checks.failed("x")._repr_markdown_()
