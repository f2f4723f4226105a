"""The machinery of the exercise checkers: each says what is wrong, not just ``False``.

A checker takes the reader's answer (usually a function), runs it against the
reference from ``snnlesson`` on a few cases, and returns a :class:`CheckResult`
whose text explains the first difference (which case, what was expected, what
came back, and a hint). An untouched exercise (the stub ``...``, ``None``, or a
function whose body is still ``...``) gets "not attempted yet", not an error. In a notebook the result shows as a one-line verdict;
``bool(result)`` is ``True`` only for a correct answer. Checkers never raise on
a wrong answer; an answer that itself raises is reported, with its error.

This module holds what every checker shares: the result (:class:`CheckResult`), reading a
reader's numbers and arrays, comparing them (:func:`compare_arrays`), calling the reader's code
safely with a time limit (:func:`call_answer`), recognising a stub (:func:`is_stub`), walking a
catalogue of typical mistakes (:func:`diagnose`) and falling back to the package's function
(:func:`answer_or_reference`). Each lesson's checkers live in its lesson module,
``snnlesson.lessons.lNN_*``, beside its figures and explorers.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from snnlesson._validate import as_real_array, check_bool, check_real

__all__ = ["CheckResult", "passed", "failed", "not_attempted", "is_stub", "call_answer", "compare_arrays",
           "diagnose", "answer_or_reference", "TIME_LIMIT_S", "AnswerTimeout"]

#: Relative tolerance for a reader's numbers: an answer computed in float32 (torch's default
#: dtype) is right to about 6e-8, so a tighter tolerance would call right answers wrong.
ANSWER_RTOL = 1e-6


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    attempted: bool = True

    def __post_init__(self):
        # "False" is truthy: a string flag would show "Correct!" for a failed check
        object.__setattr__(self, "ok", check_bool("ok", self.ok))
        object.__setattr__(self, "attempted", check_bool("attempted", self.attempted))
        if not isinstance(self.message, str):
            raise TypeError(f"message must be a str (what the reader sees), got {type(self.message).__name__}")

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        if not self.attempted:
            return "Not attempted yet: " + self.message
        return ("Correct! " if self.ok else "Not yet: ") + self.message

    def _repr_markdown_(self) -> str:
        if not self.attempted:
            return "✏️ **Not attempted yet:** " + self.message
        return ("✅ **Correct!** " if self.ok else "❌ **Not yet:** ") + self.message


def passed(message: str = "all cases match the reference.") -> CheckResult:
    return CheckResult(True, message)


def failed(message: str) -> CheckResult:
    return CheckResult(False, message)


def not_attempted(message: str = "replace `...` with your answer, then run the cell again.") -> CheckResult:
    return CheckResult(False, message, attempted=False)


def is_stub(answer) -> bool:
    """True for an exercise's untouched placeholder: ``...`` or ``None``, also inside a tuple or list.

    A function still holding the stub body ``...`` returns ``None``: function
    checkers pass what the reader's function returned through this test too.
    """
    if answer is Ellipsis or answer is None:
        return True
    return isinstance(answer, (tuple, list)) and any(a is Ellipsis or a is None for a in answer)


def _stub_function(name: str) -> CheckResult:
    return not_attempted(f"`{name}` returns nothing yet: replace `...` in its body with your code and "
                         "`return` the result.")


#: Seconds a reader's function may run on one checker case before it is stopped (build exercises
#: loop over time steps; a loop that never ends must not freeze the notebook).
TIME_LIMIT_S = 10.0


class AnswerTimeout(Exception):
    """Raised inside the reader's function when it runs past its time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt the code inside after ``seconds`` (SIGALRM; main thread on Unix only, else no limit)."""
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and seconds > 0)
    if not usable:
        yield
        return

    def _stop(signum, frame):
        raise AnswerTimeout

    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_answer(fn, args: tuple, case: str, stub: CheckResult | None = None, *,
                time_limit_s: float | None = None):
    """Run the reader's function on one case: ``(result, None)``, or ``(None, the result to report)``.

    An exception in the reader's code is reported with the case, never raised; a function
    whose body is still ``...`` (it returns ``None``) gives ``stub`` ("not attempted yet");
    a function still running after ``time_limit_s`` seconds (default :data:`TIME_LIMIT_S`)
    is stopped and reported.
    """
    limit = TIME_LIMIT_S if time_limit_s is None else check_real("time_limit_s", time_limit_s, low=0.0,
                                                                  low_open=True)
    try:
        with _time_limit(limit):
            got = fn(*args)
    except AnswerTimeout:
        return None, failed(f"your function did not return within {limit:g} s (for {case}) and was stopped: "
                            "look for a loop that never ends (a time index that is never increased, a "
                            "`while` whose condition stays true).")
    except Exception as err:  # the reader's code failed: report it, do not raise
        return None, failed(f"your function raised {type(err).__name__}: {err} (for {case}).")
    if is_stub(got):
        return None, stub if stub is not None else _stub_function(getattr(fn, "__name__", "your function"))
    return got, None


def _answer_number(answer, what: str, *, whole: bool = False):
    """A reader's number: ``(value, None)``, or ``(None, failed result saying why not)``.

    Python and NumPy numbers and one-element tensors or arrays (on any device: read
    on the CPU) are numbers; bools, text, NaN, infinity and, where ``whole``, a
    fraction such as 3.7 are not.
    """
    if hasattr(answer, "detach") or isinstance(answer, np.ndarray):
        array, problem = _answer_array(what, answer)
        if problem is not None:
            return None, problem
        if array.size != 1:
            return None, failed(f"{what} should be a single number, got an array of shape {array.shape}.")
        answer = array.reshape(()).item()
    if isinstance(answer, (bool, np.bool_)):
        return None, failed(f"{what} should be a number, got {answer!r} (a bool).")
    if isinstance(answer, (str, bytes)):
        return None, failed(f"{what} should be a number, got the text {answer!r}: remove the quotes.")
    if not isinstance(answer, Real):
        return None, failed(f"{what} should be a number, got {type(answer).__name__} {answer!r:.60}.")
    if isinstance(answer, Integral):
        return int(answer), None
    value = float(answer)
    if not math.isfinite(value):
        return None, failed(f"{what} is {value}, not a finite number.")
    if whole:
        if not value.is_integer():
            return None, failed(f"{what} should be a whole number, got {value:g}.")
        return int(value), None
    return value, None


def _answer_array(what: str, got, *, case: str = ""):
    """A reader's array as float64 NumPy: ``(array, None)``, or ``(None, failed result saying why not)``.

    Tensors on another device are read on the CPU; text, ``None``, bools, complex
    numbers and anything that is not numbers are refused with the reason.
    """
    where = f" for {case}" if case else ""
    kind = type(got).__name__
    if got is None or isinstance(got, (str, bytes, bool, np.bool_)):
        return None, failed(f"{what}{where} should be a number or an array of numbers, got {got!r:.60} ({kind}).")
    if hasattr(got, "detach"):
        device = getattr(got, "device", "another")
        try:
            got = got.detach().cpu()
            if got.is_complex():
                return None, failed(f"{what}{where} holds complex numbers; expected real numbers.")
            got = got.double().numpy()
        except Exception as err:  # e.g. a "meta" tensor holds no values to read
            return None, failed(f"{what}{where} is a tensor on the {device} device whose values cannot be read "
                                f"({type(err).__name__}); return an ordinary tensor.")
    try:
        array = np.asarray(got)
        if array.dtype.kind == "c":
            return None, failed(f"{what}{where} holds complex numbers; expected real numbers.")
        if array.dtype.kind not in "biuf" and not (array.dtype.kind == "O" and all(
                isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in array.reshape(-1))):
            raise TypeError(array.dtype)
        return array.astype(float), None
    except (TypeError, ValueError, OverflowError):
        return None, failed(f"{what}{where} should be a number or an array of numbers, got {kind}.")


def _reference(name: str, value, *, min_ndim: int = 0) -> np.ndarray:
    """A checker's own reference data as float64 NumPy; ``TypeError``/``ValueError`` naming it if unusable."""
    if value is None or isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r:.60}")
    if hasattr(value, "detach"):
        if value.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
        try:
            value = value.detach().cpu().double().numpy()
        except (RuntimeError, NotImplementedError) as err:  # e.g. a "meta" tensor holds no values
            raise ValueError(f"{name} is a tensor on the {value.device} device whose values cannot be read") from err
    array = as_real_array(name, value)
    if array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {array.shape}")
    if min_ndim and array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _apart(got: float, expected: float) -> tuple[str, str]:
    """Two numbers written with 6 significant digits, or more (up to 12) until they read differently."""
    for digits in range(6, 13):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            break
    return a, b


def _close(got: np.ndarray, expected: np.ndarray, scale: np.ndarray | None = None) -> bool:
    """Whether a reader's array equals ``expected`` within :data:`ANSWER_RTOL`, relative to each value,
    or, near 0, to the largest value of ``scale`` (default ``expected``)."""
    atol = ANSWER_RTOL * float(np.abs(expected if scale is None else scale).max(initial=0.0))
    return bool(np.allclose(got, expected, rtol=ANSWER_RTOL, atol=atol))


def compare_arrays(name: str, got, expected, *, rtol: float = ANSWER_RTOL, atol: float = 1e-9,
                   case: str = "") -> CheckResult | None:
    """``None`` when ``got`` matches ``expected``; otherwise a failed result describing the difference.

    ``got`` is the reader's answer: anything that is not finite real numbers of the
    expected shape is a failed result with the reason (a tensor on another device is
    read on the CPU). ``expected`` is the checker's reference: it must be finite
    (``ValueError``). ``rtol`` must be in [0, 1) and ``atol`` >= 0, both finite
    (``ValueError``): an infinite tolerance would call anything correct.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r:.60}")
    if not isinstance(case, str):
        raise TypeError(f"case must be a str, got {case!r:.60}")
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, high_open=True)
    atol = check_real("atol", atol, low=0.0)
    exp_a = _reference("expected", expected)
    where = f" for {case}" if case else ""
    got_a, problem = _answer_array(name, got, case=case)
    if problem is not None:
        return problem
    if got_a.shape != exp_a.shape:
        return failed(f"{name}{where} has shape {got_a.shape}, expected {exp_a.shape}.")
    if not np.all(np.isfinite(got_a)):
        return failed(f"{name}{where} contains NaN or infinity.")
    if not np.allclose(got_a, exp_a, rtol=rtol, atol=atol):
        i = np.unravel_index(np.argmax(np.abs(got_a - exp_a)), exp_a.shape) if exp_a.ndim else ()
        shown_got, shown_expected = _apart(got_a[i], exp_a[i])
        return failed(f"{name}{where}: got {shown_got}, expected {shown_expected}"
                      + (f" (at index {tuple(int(j) for j in i)})" if exp_a.ndim else "") + ".")
    return None


def diagnose(problem: CheckResult, got, mistakes, *, same=None) -> CheckResult:
    """Walk a mistake catalogue: ``problem`` with the hint of the first mistake ``got`` matches.

    ``mistakes`` is data: ``(what_the_mistake_gives, hint)`` pairs, where the first item is the
    value a reader who made that mistake would have returned for this case (or a function of no
    arguments computing it). ``same(got, value)`` says whether ``got`` matches it (default:
    :func:`compare_arrays` finds no difference). Without a match, ``problem`` itself is returned.
    """
    if not isinstance(problem, CheckResult):
        raise TypeError(f"problem must be the CheckResult saying what is wrong, got {type(problem).__name__}")
    if isinstance(mistakes, (str, bytes)) or not isinstance(mistakes, (list, tuple)) or not all(
            isinstance(m, (list, tuple)) and len(m) == 2 and isinstance(m[1], str) for m in mistakes):
        raise TypeError(f"mistakes must be a list of (value or function, hint text) pairs, got {mistakes!r:.60}")
    if same is not None and not callable(same):
        raise TypeError(f"same must be a function of (answer, value) or None, got {type(same).__name__}")
    if same is None:
        def same(a, b):
            return compare_arrays("", a, b) is None
    for value, hint in mistakes:
        if callable(value):
            value = value()
        try:
            matched = same(got, value)
        except Exception:  # a mistake that cannot be compared with this answer is not this answer
            matched = False
        if matched:
            return failed(f"{problem.message} Hint: {hint}")
    return problem


def answer_or_reference(answer, reference, result: CheckResult, name: str):
    """The reader's function when its checker said Correct!, otherwise the package's ``reference``.

    Prints one line saying which, so that a lesson's next figure runs whether or not the
    exercise is done (the student edition runs top to bottom with the stubs untouched).
    """
    if not isinstance(result, CheckResult):
        raise TypeError(f"result must be the CheckResult a checker returned, got {type(result).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r:.60}")
    if not callable(reference):
        raise TypeError(f"reference must be a function, got {type(reference).__name__}")
    if result.ok and callable(answer):
        print(f"Using your {name}.")
        return answer
    why = "is not written yet" if not result.attempted else "does not pass its check yet"
    print(f"Your {name} {why}: the figures below use the package's instead.")
    return reference
