"""Argument checks shared by the whole package: a clear error naming the parameter, never a silent NaN.

One rule everywhere: ``TypeError`` for a value of the wrong type (a string where a
number belongs, a bool where a number belongs, a float where an integer belongs),
``ValueError`` for a value of the right type that is not allowed (negative, NaN,
out of range, wrong shape, a device that does not exist, a size too large).
Every message names the parameter, the value and what is allowed.

A size budget guards against calls that would allocate far more memory than a
lesson needs (``num_steps=10**12``): :func:`check_size` refuses any output or
working array above :func:`max_bytes` (2 GiB unless :func:`set_max_bytes` or the
environment variable ``SNNLESSON_MAX_BYTES`` says otherwise) and says how much
it would have needed.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real

__all__ = ["check_real", "check_int", "check_bool", "check_choice", "check_seed", "check_generator",
           "check_tensor", "check_float_tensor", "check_state", "check_device", "check_size", "max_bytes",
           "set_max_bytes", "format_bytes", "check_spike_times", "check_array", "check_steps", "all_finite", "check_dtype_like",
           "as_real_array", "check_record",
           "MAX_MAGNITUDE", "MAX_INT"]

_DEFAULT_MAX_BYTES = 2 * 1024 ** 3

#: The largest magnitude :func:`check_real` accepts (unless the caller's own ``high``/``low`` say
#: otherwise): far beyond any quantity of the course, small enough that a product of two such
#: numbers stays finite even in float32 (3.4e38). Larger values overflowed to ``inf`` deep inside
#: a model (``hebbian.initial_weights(scale=1e308)``) or to ``OverflowError`` in ``int()``.
MAX_MAGNITUDE = 1e15
#: The largest integer :func:`check_int` accepts when the caller gives no ``maximum``; above
#: 2**63 torch cannot even hold it (``OverflowError: int too big to convert``).
MAX_INT = 10 ** 15


def _is_bool(value) -> bool:
    """``True``/``False`` or a NumPy bool (checked by name, so that this module needs no NumPy)."""
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _shown(value) -> str:
    """A value as an error message shows it: as the student would type it, never an internal repr.

    NumPy 2 writes a scalar as ``np.float64(-0.001)`` and torch a tensor as ``tensor([...])``;
    numbers are shown plainly (``-0.001``, ``nan``), arrays and tensors by shape and dtype.
    """
    if _is_bool(value):
        return str(bool(value))
    if isinstance(value, Integral):
        text = str(int(value))
        digits = text.lstrip("-")
        if len(digits) > 20:  # never a 300-digit number: 2**1000 is shown as 1.071e+301
            return f"{text[:len(text) - len(digits)]}{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
        return text
    if isinstance(value, Real):
        try:
            return repr(float(value))
        except OverflowError:
            return "a number too large for a float"
    if isinstance(value, complex) or type(value).__name__.startswith("complex"):
        return f"the complex number {complex(value)!r}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"a {type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_real(name: str, value, *, low=None, high=None, low_open: bool = False,
               high_open: bool = False) -> float:
    """``value`` as a finite float within ``[low, high]`` (``low_open``/``high_open`` exclude the ends).

    NumPy scalars are accepted; ``bool``, strings, complex numbers and tensors are refused
    (``TypeError``). Magnitudes above :data:`MAX_MAGNITUDE` (unless ``high``/``low`` allow them)
    and denormal numbers (``5e-324``: nonzero but below the smallest normal float, 2.2e-308,
    whose reciprocal overflows) are a ``ValueError``.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {_shown(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be at most {MAX_MAGNITUDE:g} in magnitude, got {_shown(value)}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {_shown(value)}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {_shown(low)}, got {_shown(value)}")
    if high is not None and (v >= high if high_open else v > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {_shown(high)}, got {_shown(value)}")
    if abs(v) > MAX_MAGNITUDE and not (high is not None and low is not None):
        raise ValueError(f"{name} must be at most {MAX_MAGNITUDE:g} in magnitude, got {_shown(value)}")
    if v != 0.0 and abs(v) < _SMALLEST_NORMAL:
        raise ValueError(f"{name}={_shown(value)} is a denormal number (nonzero, below {_SMALLEST_NORMAL:.3g}, "
                         "whose reciprocal overflows); use 0 or a larger value")
    return v


_SMALLEST_NORMAL = 2.2250738585072014e-308  # sys.float_info.min


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int (NumPy integers accepted, ``bool`` and floats refused) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {_shown(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {_shown(minimum)}, got {_shown(value)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {_shown(maximum)}, got {_shown(value)}")
    if abs(value) > MAX_INT and not (maximum is not None and minimum is not None):
        raise ValueError(f"{name} must be at most {_shown(MAX_INT)} in magnitude, got {_shown(value)}")
    return int(value)


def check_bool(name: str, value) -> bool:
    """A flag must be ``True`` or ``False`` (NumPy bools accepted): the string ``"False"`` is not a flag."""
    if _is_bool(value):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {_shown(value)}")


def check_choice(name: str, value, allowed):
    """``value`` if it is one of ``allowed``; ``TypeError`` if its type matches none of them, else ``ValueError``."""
    allowed = tuple(allowed)
    if not any(type(value) is type(a) or (isinstance(value, str) and isinstance(a, str)) for a in allowed):
        raise TypeError(f"{name} must be one of {allowed}, got {_shown(value)} ({type(value).__name__})")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {_shown(value)}")
    return value


def check_seed(name: str, value) -> int:
    """A seed: an integer in ``[0, 2**63 - 1]`` (what ``torch.manual_seed`` and NumPy both accept)."""
    return check_int(name, value, minimum=0, maximum=2 ** 63 - 1)


def check_generator(name: str, value):
    """``None`` or a ``torch.Generator``."""
    import torch

    if value is not None and not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(value).__name__}")
    return value


def check_tensor(name: str, value, *, ndim: int | None = None, min_ndim: int | None = None,
                 shape: tuple | None = None, finite: bool = True, allow_empty: bool = False,
                 floating: bool = True, convert: bool = False):
    """``value`` as a tensor after checking what a model needs of it.

    floating : integer and bool tensors are converted to the default float dtype
        (float32); complex tensors are refused (``TypeError``). Any float dtype is kept.
    convert : accept array-likes (lists, NumPy arrays), converted with ``torch.as_tensor``;
        otherwise anything but a ``torch.Tensor`` is a ``TypeError``.
    ndim / min_ndim / shape : the exact number of dimensions, a minimum, or the shape
        (``None`` inside ``shape`` matches any size); a mismatch is a ``ValueError``.
    finite : NaN or infinity anywhere is a ``ValueError``. allow_empty : accept zero elements.
    """
    import numpy as np
    import torch

    if not isinstance(value, torch.Tensor):
        if not convert:
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be a tensor or an array of numbers, got {type(value).__name__}")
        try:
            value = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a tensor or an array of numbers, got {type(value).__name__}") from err
    if value.is_complex() or value.dtype in (getattr(torch, "quint8", None), getattr(torch, "qint8", None)):
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is on the 'meta' device, which holds no data; use a CPU or CUDA tensor")
    if floating and not value.is_floating_point():
        value = value.to(torch.get_default_dtype())
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(value.shape)}")
    if min_ndim is not None and value.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {tuple(value.shape)}")
    if shape is not None and (len(shape) != value.ndim
                              or any(s is not None and s != v for s, v in zip(shape, value.shape))):
        want = "[" + ", ".join("any" if s is None else str(s) for s in shape) + "]"
        raise ValueError(f"{name} must have shape {want}, got {tuple(value.shape)}")
    if value.numel() == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if finite and value.numel() and value.is_floating_point() and not (
            bool(torch.isfinite(value.sum())) or bool(torch.isfinite(value).all())):  # one sum first: fast
        raise ValueError(f"{name} contains NaN or infinity; every value must be a finite number")
    return value


def check_float_tensor(name: str, value):
    """A light check for functions called at every time step: ``value`` must be a floating-point
    ``torch.Tensor`` (``TypeError`` otherwise). It does not scan the values (no NaN check), so it
    costs nothing next to the step itself; callers check the data once, before the loop."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is on the 'meta' device, which holds no data; use a CPU or CUDA tensor")
    return value


def all_finite(value) -> bool:
    """No NaN or infinity in a float tensor: one sum first (NaN and infinity propagate into it), the
    element-wise test only when the sum is not finite. Cheap enough for every time step."""
    import torch

    value = value.detach()
    return bool(torch.isfinite(value.sum())) or bool(torch.isfinite(value).all())


def check_state(name: str, value, like, like_name: str = "x", *, finite: bool = True):
    """A state tensor carried from one time step to the next (a membrane ``mem``, last spikes ``spk``):
    a float tensor of the same shape, dtype and device as ``like`` (this step's input ``like_name``),
    without NaN or infinity (unless ``finite=False``). It is checked at every step, so the values are
    tested with one sum (:func:`all_finite`). Returns ``value``.

    A NaN state is as wrong as a NaN input: ``mem = NaN`` compares false with the threshold, so the
    neuron would silently never fire again.
    """
    check_float_tensor(name, value)
    if value.shape != like.shape:
        raise ValueError(f"{name} must have the shape of {like_name} {tuple(like.shape)}, got {tuple(value.shape)}")
    if value.device != like.device:
        raise ValueError(f"{name} is on {str(value.device)!r}, {like_name} on {str(like.device)!r}: "
                         "they must be on the same device")
    if value.dtype != like.dtype:
        raise TypeError(f"{name} has dtype {value.dtype}, {like_name} {like.dtype}: they must have the same dtype "
                        f"(convert one with .to({like_name}.dtype))")
    if finite and not all_finite(value):
        raise ValueError(f"{name} contains NaN or infinity: a state must hold finite numbers (start again from "
                         "rest, state=None, or check what produced it)")
    return value


def check_record(name: str, record, *, allow_inf: bool = False):
    """A record of a run (a NamedTuple of tensors, arrays or None: ``SNNRecord``, ``RSNNRecord``, ...)
    whose float fields hold no NaN or infinity (``ValueError`` naming ``name.field``); returns ``record``.
    ``allow_inf``: infinity is a value of the record (a spike time of ``+inf`` is "no spike"), NaN is not.

    Records are what a network returned, but a reader can build or edit one: a NaN in it would
    come out of a loss, a readout or a spike count as a silent NaN or a wrong class."""
    import numpy as np
    import torch

    for field in getattr(record, "_fields", ()):
        value = getattr(record, field)
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            check_float_tensor(f"{name}.{field}", value)
            bad = value.numel() and (bool(torch.isnan(value.detach()).any()) if allow_inf else not all_finite(value))
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
            bad = value.size and not (~np.isnan(value) if allow_inf else np.isfinite(value)).all()
        else:
            continue
        if bad:
            raise ValueError(f"{name}.{field} contains NaN{'' if allow_inf else ' or infinity'}; "
                             "a record must hold what its producer computed")
    return record


def check_dtype_like(name: str, value, like, like_name: str, *, convert: bool = True):
    """``value`` (a float tensor) on ``like``'s device and of ``like``'s float dtype, for torch code that
    combines them (``x @ weights``, ``nn.Linear``), which would fail deep inside torch otherwise.

    convert : convert another float dtype to ``like``'s (float64 input to a float32 network: the
        network's weights decide the precision); ``False``: a ``TypeError`` naming both.
    Another device is a ``ValueError`` naming both."""
    check_float_tensor(name, value)
    if value.device != like.device:
        raise ValueError(f"{name} is on {str(value.device)!r}, {like_name} on {str(like.device)!r}: "
                         "they must be on the same device")
    if value.dtype == like.dtype:
        return value
    if not convert:
        raise TypeError(f"{name} has dtype {value.dtype}, {like_name} {like.dtype}: they must have the same dtype "
                        f"(convert one with .to({like_name}.dtype))")
    return value.to(like.dtype)


def check_device(name: str, device, *, allow_none: bool = False):
    """``device`` as a ``torch.device`` that exists on this machine (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...).

    A device that does not exist (``"cuda"`` without a GPU, ``"cuda:3"`` with two GPUs,
    ``"gpu"``) is a ``ValueError`` that says which devices there are.
    """
    import torch

    if device is None and allow_none:
        return None
    if isinstance(device, bool) or not isinstance(device, (str, torch.device, int)):
        raise TypeError(f"{name} must be a device name such as 'cpu' or 'cuda', or a torch.device, "
                        f"got {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as err:
        raise ValueError(f"{name} {device!r} is not a device name; use 'cpu' or 'cuda'") from err
    available = ["cpu"]
    if torch.cuda.is_available():
        available += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        available.append("mps")
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name}={device!r}: no CUDA GPU is available here (available: {available}); "
                             "use device='cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}={device!r}: this machine has {torch.cuda.device_count()} CUDA device(s) "
                             f"(available: {available})")
        return dev
    if dev.type == "mps" and "mps" in available:
        return dev
    raise ValueError(f"{name}={device!r} is not available here (available: {available})")


# ------------------------------------------------------------------------------ size budget


def max_bytes() -> int:
    """The largest array (in bytes) a call may create: :func:`set_max_bytes`, else
    ``SNNLESSON_MAX_BYTES``, else 2 GiB."""
    if _limit is not None:
        return _limit
    env = os.environ.get("SNNLESSON_MAX_BYTES")
    if env:
        try:
            value = int(float(env))
        except ValueError:
            raise ValueError(f"SNNLESSON_MAX_BYTES must be a number of bytes, got {env!r}") from None
        if value > 0:
            return value
    return _DEFAULT_MAX_BYTES


_limit: int | None = None


def set_max_bytes(limit: int | None) -> int:
    """Set the size budget in bytes (``None``: back to the default); returns the previous budget."""
    global _limit
    previous = max_bytes()
    _limit = None if limit is None else check_int("limit", limit, minimum=1)
    return previous


def format_bytes(nbytes: float) -> str:
    """``1.5 GiB``-style text."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} EiB"  # pragma: no cover


def check_size(what: str, num_elements, itemsize: int = 4) -> int:
    """Refuse to create ``what`` if ``num_elements * itemsize`` bytes exceed the budget (``ValueError``).

    ``what`` describes the array and the parameters that set its size, e.g.
    ``"the spike train [num_steps=10**12, 784]"``. Returns the size in bytes.
    """
    if isinstance(num_elements, float) and not math.isfinite(num_elements):  # t_stop / dt with dt = 5e-324
        raise ValueError(f"{what} would need an unbounded amount of memory, more than the {format_bytes(max_bytes())} "
                         "allowed; use fewer steps or smaller inputs")
    nbytes = int(num_elements) * int(itemsize)
    limit = max_bytes()
    if nbytes > limit:
        raise ValueError(f"{what} would need {format_bytes(nbytes)}, more than the {format_bytes(limit)} "
                         "allowed (snnlesson._validate.set_max_bytes or SNNLESSON_MAX_BYTES raise the limit); "
                         "use fewer steps or smaller inputs")
    return nbytes


def check_steps(what: str, ratio: float, *, rounding: str = "round") -> int:
    """A number of time steps (or bins) computed from a ratio such as ``t_stop / dt``, as an int.

    ``what`` names the parameters (``"t_stop / dt"``). An infinite or NaN ratio (``dt = 5e-324``),
    or one above :data:`MAX_INT`, is a ``ValueError`` naming them, not Python's ``OverflowError``
    from ``int(inf)``. ``rounding``: ``"round"``, ``"floor"`` (with a 1e-9 tolerance) or ``"ceil"``.
    """
    ratio = float(ratio)
    if not math.isfinite(ratio) or abs(ratio) > MAX_INT:
        raise ValueError(f"{what} = {ratio:.3g} steps is too many (at most {MAX_INT:.0e}); use a shorter time or a "
                         "larger step")
    if rounding == "floor":
        return int(math.floor(ratio + 1e-9))
    if rounding == "ceil":
        return int(math.ceil(ratio - 1e-9))
    return int(round(ratio))


def check_spike_times(name: str, value, *, allow_empty: bool = True):
    """Spike times (s) as a 1-D float64 NumPy array: finite and sorted (non-decreasing).

    Lists, tuples, arrays and tensors are accepted; strings and non-numbers are a ``TypeError``;
    NaN, infinity, more than one dimension or times out of order are a ``ValueError``.
    """
    import numpy as np

    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a sequence of spike times in seconds, got {type(value).__name__}")
    times = as_real_array(name, value, what="a sequence of spike times in seconds")
    if times.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one time per spike), got shape {times.shape}")
    if times.size == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one spike time")
    if not np.all(np.isfinite(times)):
        raise ValueError(f"{name} contains NaN or infinity; spike times must be finite numbers (s)")
    if times.size > 1 and np.any(np.diff(times) < 0):
        i = int(np.argmax(np.diff(times) < 0))
        raise ValueError(f"{name} must be sorted in time, but {_shown(times[i + 1])} s follows {_shown(times[i])} s "
                         f"(sort it with numpy.sort)")
    return times


def check_array(name: str, value, *, ndim: int | None = None, allow_empty: bool = False, finite: bool = True,
                max_magnitude: float | None = MAX_MAGNITUDE):
    """``value`` (a number, list, NumPy array or tensor) as a float64 NumPy array, for NumPy code.

    Strings, ``None``, a bare ``bool`` and complex numbers are a ``TypeError``; the wrong number of
    dimensions, zero elements (unless ``allow_empty``), NaN/infinity (unless ``finite=False``) or a
    magnitude above ``max_magnitude`` (default :data:`MAX_MAGNITUDE`) a ``ValueError``.
    """
    import numpy as np

    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {_shown(value)}")
    array = as_real_array(name, value)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity; every value must be a finite number")
    if finite and max_magnitude is not None and array.size and float(np.abs(array).max()) > max_magnitude:
        raise ValueError(f"{name} holds {_shown(float(np.abs(array).max()))} in magnitude, more than the "
                         f"{max_magnitude:g} allowed (a value this large overflows the computation)")
    return array


def as_real_array(name: str, value, dtype=None, *, what: str = "a number or an array of numbers"):
    """``value`` (a number, list, NumPy array or tensor) as a NumPy array of real numbers (float64 unless
    ``dtype``), with no other check: the one conversion every NumPy code path of the package uses.

    A tensor on the ``meta`` device (no data) is a ``ValueError``; complex values (which
    ``np.asarray(..., dtype=float)`` would silently cut to their real part), strings and other
    non-numbers a ``TypeError``; all naming ``name``.
    """
    import numpy as np

    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {what}, got {_shown(value)}")
    if hasattr(value, "detach") and hasattr(value, "device"):
        if value.device.type == "meta":
            raise ValueError(f"{name} is on the 'meta' device, which holds no data; use a CPU or CUDA tensor")
        value = value.detach().cpu().numpy()
    if isinstance(value, complex) or np.iscomplexobj(value) or (
            isinstance(value, (list, tuple)) and any(isinstance(v, complex) for v in value[:1000])):
        raise TypeError(f"{name} must hold real numbers, got complex values")
    try:
        return np.asarray(value, dtype=float if dtype is None else dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}") from err
