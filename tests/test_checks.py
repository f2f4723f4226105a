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


# ------------------------------------------------------------------ checkers never lie

import math  # noqa: E402

import pytest  # noqa: E402

from snnlesson import encoding  # noqa: E402
from snnlesson.lessons import l00_start, l01_lif, l02_encoding, l05_bptt  # noqa: E402


class OnAnotherDevice:
    """Stands in for a CUDA tensor on a machine without one: NumPy cannot read it until ``.cpu()``,
    as with a real CUDA tensor (``np.asarray`` raises ``TypeError``)."""

    device = torch.device("cuda", 0)

    def __init__(self, tensor):
        self._tensor = tensor

    def detach(self):
        return self

    def cpu(self):
        return self._tensor.clone()

    def __array__(self, *args, **kwargs):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() first.")


SPIKES = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])  # 4 spikes, 2 and 2 per step


@pytest.mark.parametrize("answer", [4, 4.0, np.int64(4), np.float32(4.0), torch.tensor(4.0), torch.tensor([4]),
                                    np.array(4.0), OnAnotherDevice(torch.tensor(4.0))])
def test_spike_count_accepts_the_right_number_in_any_numeric_form(answer):
    assert l00_start.check_spike_count(answer, SPIKES)


@pytest.mark.parametrize("answer, why", [
    (3.7, "whole number"),            # int(3.7) == 3 once said "Correct!" for 3
    (4.5, "whole number"),
    (math.nan, "not a finite number"),
    (math.inf, "not a finite number"),
    (-math.inf, "not a finite number"),
    (True, "bool"),
    ("4", "text"),
    ([4], "list"),
    (1 + 0j, "complex"),
    (torch.tensor([2.0, 2.0]), "single number"),
    (torch.tensor(math.nan), "not a finite number"),
    (torch.tensor(4.0, device="meta"), "meta device"),
    (3, "you said 3"),
])
def test_spike_count_says_what_is_wrong_and_never_crashes(answer, why):
    result = l00_start.check_spike_count(answer, SPIKES)
    assert not result and why in result.message


@pytest.mark.parametrize("mean, std, why", [
    (math.nan, math.nan, "the mean is nan"),     # once "Correct!": NaN compares false with every bound
    (125.0, math.nan, "the standard deviation is nan"),
    (math.inf, 10.46, "the mean is inf"),
    (125.0, -math.inf, "the standard deviation is -inf"),
    ("125", 10.46, "text"),
    (125.0, False, "bool"),
])
def test_rate_count_stats_refuses_non_numbers(mean, std, why):
    result = l02_encoding.check_rate_count_stats(mean, std)
    assert not result and why in result.message
    assert l02_encoding.check_rate_count_stats(torch.tensor(125.0), np.float64(10.458))  # the right answer passes


@pytest.mark.parametrize("kwargs, name, error", [
    ({"num_steps": 0}, "num_steps", ValueError),
    ({"num_steps": 10.5}, "num_steps", TypeError),
    ({"p": 1.5}, "p", ValueError),
    ({"p": math.nan}, "p", ValueError),
])
def test_rate_count_stats_rejects_a_bad_reference(kwargs, name, error):
    with pytest.raises(error, match=name):
        l02_encoding.check_rate_count_stats(125.0, 10.46, **kwargs)


def test_dvs_event_count_wants_a_whole_finite_number():
    assert l02_encoding.check_dvs_event_count(11) and l02_encoding.check_dvs_event_count(11.0)  # floor(ln(11) / 0.2) = 11
    for answer, why in [(11.5, "whole number"), (math.nan, "finite"), (math.inf, "finite"), (True, "bool"),
                        ("11", "text")]:
        result = l02_encoding.check_dvs_event_count(answer)
        assert not result and why in result.message
    with pytest.raises(ValueError, match="threshold"):
        l02_encoding.check_dvs_event_count(11, threshold=0.0)
    with pytest.raises(ValueError, match="intensity_after"):
        l02_encoding.check_dvs_event_count(11, intensity_after=math.nan)


def test_decay_factor_refuses_non_numbers():
    assert l01_lif.check_decay_factor(torch.tensor(math.exp(-0.05), dtype=torch.float64))
    for answer, why in [(math.nan, "not a finite number"), (math.inf, "not a finite number"), (True, "bool"),
                        ("0.95", "text"), (None, "")]:
        result = l01_lif.check_decay_factor(answer)
        assert not result and why in result.message
    with pytest.raises(ValueError, match="tau_m"):
        l01_lif.check_decay_factor(0.95, tau_m=-0.02)


@pytest.mark.parametrize("kwargs, name, error", [
    ({"rtol": math.inf}, "rtol", ValueError),    # once matched anything
    ({"rtol": math.nan}, "rtol", ValueError),
    ({"rtol": -1e-6}, "rtol", ValueError),
    ({"rtol": 1.0}, "rtol", ValueError),         # |got - expected| <= |expected| calls 0 correct
    ({"atol": math.inf}, "atol", ValueError),
    ({"atol": -1.0}, "atol", ValueError),
    ({"rtol": "1e-6"}, "rtol", TypeError),
    ({"atol": True}, "atol", TypeError),
    ({"expected": [1.0, math.nan]}, "expected", ValueError),
    ({"expected": "1.0"}, "expected", TypeError),
    ({"name": 3}, "name", TypeError),
])
def test_compare_arrays_rejects_nonsense_settings(kwargs, name, error):
    arguments = {"name": "v", "got": [1.0, 2.0], "expected": [1.0, 2.0], **kwargs}
    with pytest.raises(error, match=name):
        checks.compare_arrays(**arguments)


@pytest.mark.parametrize("got, why", [
    (["1.0", "2.0"], "array of numbers"),   # strings NumPy would happily convert
    (None, "array of numbers"),
    (True, "array of numbers"),
    (np.array([1 + 1j, 2.0]), "complex"),
    (torch.tensor([1.0, 2.0], dtype=torch.complex64), "complex"),
    (torch.tensor([1.0, 2.0], device="meta"), "meta device"),
    (np.array([1.0, math.inf]), "NaN or infinity"),
    ([[1.0, 2.0]], "shape (1, 2)"),
])
def test_compare_arrays_explains_bad_answers_without_crashing(got, why):
    result = checks.compare_arrays("v", got, [1.0, 2.0])
    assert result is not None and not result and why in result.message


def test_an_answer_on_another_device_is_compared_on_the_cpu():
    assert checks.compare_arrays("v", OnAnotherDevice(torch.tensor([1.0, 2.0])), [1.0, 2.0]) is None
    wrong = checks.compare_arrays("v", OnAnotherDevice(torch.tensor([1.0, 3.0])), [1.0, 2.0])
    assert not wrong and "got 3" in wrong.message

    def latency_on_another_device(data, num_steps):
        return OnAnotherDevice(encoding.latency(data, num_steps, threshold=1e-6, linear=True, normalize=True))

    assert l02_encoding.check_latency_encoder(latency_on_another_device)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_an_answer_on_a_real_gpu_is_compared_on_the_cpu():
    assert checks.compare_arrays("v", torch.tensor([1.0, 2.0], device="cuda"), [1.0, 2.0]) is None
    assert l00_start.check_spike_count(SPIKES.cuda().sum(), SPIKES)
    assert l05_bptt.check_fast_sigmoid_derivative(lambda x, k: (1.0 / (1.0 + k * x.abs()) ** 2).cuda())


@pytest.mark.parametrize("checker", [l02_encoding.check_latency_encoder, l01_lif.check_euler_step,
                                     l05_bptt.check_fast_sigmoid_derivative])
def test_function_checkers_refuse_a_non_function_and_unreadable_or_nan_results(checker):
    not_a_function = checker(42)
    assert not not_a_function and "function" in not_a_function.message
    meta = checker(lambda *args: torch.zeros(3, device="meta"))
    assert not meta and "meta device" in meta.message
    nan = checker(lambda *args: np.full(np.shape(args[0]), math.nan))
    assert not nan and nan.message


def test_checker_references_are_checked_too():
    # the checkers' own inputs (not the reader's answer): clear errors naming them
    with pytest.raises(ValueError, match="spikes"):
        l00_start.check_spike_count(3, torch.zeros(0, 3))
    with pytest.raises(ValueError, match="spikes"):
        l00_start.check_spike_count(3, torch.zeros(2, 3, device="meta"))
    with pytest.raises(TypeError, match="spikes"):
        l00_start.check_spike_count(3, "raster")
    with pytest.raises(ValueError, match="threshold"):  # would ask dvs.events for ~1e300 events
        l02_encoding.check_dvs_event_count(11, threshold=1e-300)
