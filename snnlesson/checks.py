"""Exercise checkers: each says what is wrong, not just ``False``.

A checker takes the reader's answer (usually a function), runs it against the
reference from ``snnlesson`` on a few cases, and returns a :class:`CheckResult`
whose text explains the first difference (which case, what was expected, what
came back, and a hint). An untouched exercise (the stub ``...``, ``None``, or a
function whose body is still ``...``) gets "not attempted yet", not an error. In a notebook the result shows as a one-line verdict;
``bool(result)`` is ``True`` only for a correct answer. Checkers never raise on
a wrong answer; an answer that itself raises is reported, with its error.

Sections below are per lesson.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from snnlesson._validate import check_int, check_real

__all__ = ["CheckResult", "passed", "failed", "not_attempted", "is_stub", "call_answer", "compare_arrays",
           "diagnose", "answer_or_reference", "TIME_LIMIT_S", "AnswerTimeout",
           "check_spike_count", "check_rate_count_stats", "check_latency_encoder", "check_dvs_event_count",
           "check_euler_step", "check_decay_factor", "check_fast_sigmoid_derivative"]

#: Relative tolerance for a reader's numbers: an answer computed in float32 (torch's default
#: dtype) is right to about 6e-8, so a tighter tolerance would call right answers wrong.
ANSWER_RTOL = 1e-6


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    attempted: bool = True

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
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(value).__name__}") from err
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


# ----------------------------------------------------------------- lesson 00: start here


def check_spike_count(answer, spikes) -> CheckResult:
    """Lesson 00: how many spikes are in the time-first tensor ``spikes``?"""
    if is_stub(answer):
        return not_attempted("replace `...` with an expression that counts the spikes in `spikes`.")
    raster = _reference("spikes", spikes, min_ndim=1)
    expected = int(raster.sum())
    got, problem = _answer_number(answer, "the spike count", whole=True)
    if problem is not None:
        return problem
    steps = raster.shape[0]
    these = f"the {steps} time step{'s' if steps != 1 else ''} asked for"
    if got == expected:
        return passed(f"{these} hold{'s' if steps == 1 else ''} {expected} spikes.")
    per_step = raster.reshape(steps, -1).sum(axis=1)
    hint = (" It looks like you counted only one time step." if got in set(per_step.tolist()) else
            f" That is {'more' if got > expected else 'fewer'}: check the slice (time is the first axis, and "
            f"spikes[:{steps}] takes steps 0 to {steps - 1}), then sum over every axis, time steps and pixels.")
    return failed(f"you said {got}; {these} hold{'s' if steps == 1 else ''} {expected} spikes.{hint}")


# ----------------------------------------------------------------- lesson 02: encoding and event cameras


def check_rate_count_stats(mean, std, num_steps: int = 1000, p: float = 32 / 256) -> CheckResult:
    """Lesson 02: mean and standard deviation of the spike count of a rate-coded pixel.

    A Bernoulli rate code with probability ``p`` per step gives a Binomial(T, p)
    count: mean ``T p``, standard deviation ``sqrt(T p (1 - p))``. Accepts answers
    rounded to 0.5 (mean) and 0.05 (standard deviation).
    """
    if is_stub((mean, std)):
        return not_attempted("replace both `...` with expressions for the mean and the standard deviation.")
    num_steps = check_int("num_steps", num_steps, minimum=1)
    p = check_real("p", p, low=0.0, high=1.0)
    mean, problem = _answer_number(mean, "the mean")
    if problem is not None:
        return problem
    std, problem = _answer_number(std, "the standard deviation")
    if problem is not None:
        return problem
    exp_mean = num_steps * p
    exp_var = num_steps * p * (1 - p)
    exp_std = exp_var ** 0.5
    if abs(mean - exp_mean) > 0.5:
        if abs(mean - p) < 1e-3:
            hint = " That is the probability per step; multiply by the number of steps."
        elif abs(mean - num_steps * (1 - p)) < 0.5:
            hint = " That counts the silent steps: a pixel of value p spikes with probability p."
        else:
            hint = " Each of the T steps spikes with probability p, so the mean count is T p."
        return failed(f"the mean count is {exp_mean:g}, you said {mean:g}.{hint}")
    if abs(std - exp_std) > 0.05:
        if abs(std - exp_mean ** 0.5) < 0.05:
            hint = (" That is the Poisson value sqrt(T p); the count of T Bernoulli steps is binomial, "
                    "with variance T p (1 - p).")
        elif abs(std - exp_var) < 0.5:
            hint = " That is the variance; the standard deviation is its square root."
        else:
            hint = " The count is Binomial(T, p): variance T p (1 - p)."
        return failed(f"the standard deviation is {exp_std:.3f}, you said {std:g}.{hint}")
    return passed(f"the count is Binomial({num_steps}, {p:g}): mean {exp_mean:g}, standard deviation "
                  f"{exp_std:.2f} (a Poisson count would have {exp_mean ** 0.5:.2f}).")


def check_latency_encoder(fn) -> CheckResult:
    """Lesson 02: ``fn(data, num_steps)`` should be the linear, normalised latency code.

    The reference is the exercise's definition: input ``x`` spikes once, at step
    ``round((num_steps - 1) * (1 - x))``, in windows of 5 to 1,000 steps.
    ``snntorch.spikegen.latency(data, num_steps, linear=True, normalize=True)`` (and
    ``snnlesson.encoding.latency`` with the same arguments) agrees for every input
    >= 0.01 (its default ``threshold``) in any window, and for every input when
    ``num_steps <= 51``; in longer windows it caps the spike time at
    ``(num_steps - 1) * (1 - 0.01)``, so inputs below 0.01 fire at step
    ``round(0.99 * (num_steps - 1))`` instead of the last step. That capped answer
    gets its own hint.
    """
    import torch

    from snnlesson import encoding

    if is_stub(fn):
        return not_attempted()
    if not callable(fn):
        return failed(f"your answer should be a function of (data, num_steps), got {type(fn).__name__}.")
    cases = [(torch.tensor([0.0, 0.25, 0.5, 1.0]), 5),
             (torch.tensor([[1.0, 0.9], [0.1, 0.02]]), 10),
             (torch.rand(3, 4, generator=torch.Generator().manual_seed(2)), 20),
             (torch.tensor([0.0, 0.002, 0.0039, 0.0099, 0.01, 0.3, 0.77, 1.0]), 200),   # long windows:
             (torch.rand(2, 3, generator=torch.Generator().manual_seed(5)) * 0.02, 1000)]  # dim inputs too
    for data, num_steps in cases:
        case = f"data of shape {tuple(data.shape)} and num_steps={num_steps}"
        step = torch.round((num_steps - 1) * (1 - data)).long()   # the exercise's definition, no cap
        expected = (torch.arange(num_steps).reshape(num_steps, *[1] * data.dim()) == step).to(data.dtype)
        got, problem = call_answer(fn, (data.clone(), num_steps), case)
        if problem is not None:
            return problem
        got, problem = _answer_array("the spike train your function returned", got, case=case)
        if problem is not None:
            return problem
        got = torch.from_numpy(got)
        if tuple(got.shape) != tuple(expected.shape):
            hint = (" Time must be the FIRST axis: [num_steps, *data.shape]."
                    if tuple(got.shape) == (*data.shape, num_steps) else "")
            return failed(f"the spike train has shape {tuple(got.shape)}, expected {tuple(expected.shape)} "
                          f"(for {case}).{hint}")
        if not torch.all((got == 0) | (got == 1)):
            return failed(f"spike trains hold only 0 and 1 (for {case}).")
        per_input = got.sum(dim=0)
        if not torch.all(per_input == 1):
            return failed(f"every input should spike exactly once, but some spike {int(per_input.max())} or "
                          f"{int(per_input.min())} times (for {case}).")
        if torch.equal(got, expected.double()):
            continue
        if torch.equal(got, expected.flip(0).double()):
            return failed(f"your spikes are reversed in time (for {case}): bright inputs must fire FIRST; "
                          "the spike step is (num_steps - 1) * (1 - x).")
        got_step, exp_step = got.argmax(dim=0), expected.argmax(dim=0)
        truncated = torch.floor((num_steps - 1) * (1 - data)).long()
        if torch.equal(got_step, truncated) and not torch.equal(truncated, exp_step):
            return failed(f"your steps are truncated (for {case}); round them to the nearest step with torch.round.")
        i = int(torch.nonzero((got_step != exp_step).reshape(-1))[0])
        problem = (f"the input {float(data.reshape(-1)[i]):.4g} spikes at step {int(got_step.reshape(-1)[i])}, "
                   f"expected step {int(exp_step.reshape(-1)[i])} (for {case}).")
        if torch.equal(got, encoding.latency(data, num_steps, linear=True, normalize=True).double()):
            return failed(f"{problem} Hint: that is snntorch.spikegen.latency's cap: inputs below its threshold "
                          f"0.01 fire at step round(0.99 * (num_steps - 1)) = {round(0.99 * (num_steps - 1))}. "
                          "The exercise's code has no cap: every input fires at round((num_steps - 1) * (1 - x)), "
                          "so 0 fires at the last step.")
        return failed(problem)
    return passed("your encoder fires every input at round((T - 1)(1 - x)), in windows of 5 to 1,000 steps. "
                  "snntorch.spikegen.latency(data, T, linear=True, normalize=True) gives the same trains for "
                  "every input >= 0.01 (its default threshold), and for all inputs when T <= 51; in longer "
                  "windows it caps the spike time at (T - 1)(1 - 0.01), so inputs below 0.01 fire at step "
                  "round(0.99 (T - 1)) (197 for T = 200) instead of the last step.")


MAX_EVENTS = 10_000  # check_dvs_event_count: the largest event count a reference run may produce


def check_dvs_event_count(answer, intensity_before: float = 0.0, intensity_after: float = 1.0,
                          threshold: float = 0.2, eps: float = 0.1) -> CheckResult:
    """Lesson 02: how many events does one DVS pixel emit when its intensity jumps once?

    The reference runs :func:`snnlesson.dvs.events` on a one-pixel, two-frame video:
    ``floor(|ln(I_after + eps) - ln(I_before + eps)| / threshold)`` events.
    """
    from snnlesson import dvs

    if is_stub(answer):
        return not_attempted("replace `...` with the number of events (an expression, or a whole number).")
    intensity_before = check_real("intensity_before", intensity_before, low=0.0)
    intensity_after = check_real("intensity_after", intensity_after, low=0.0)
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    eps = check_real("eps", eps, low=0.0, low_open=True)
    log_change = abs(np.log(intensity_after + eps) - np.log(intensity_before + eps))
    if log_change / threshold > MAX_EVENTS:
        raise ValueError(f"threshold={threshold:g} is too small for this change: the pixel would emit about "
                         f"{log_change / threshold:.3g} events (at most {MAX_EVENTS:,} allowed)")
    video = np.array([intensity_before, intensity_after], dtype=float).reshape(2, 1, 1)
    ev = dvs.events(video, threshold, eps)
    expected = ev.num_events
    got, problem = _answer_number(answer, "the number of events", whole=True)
    if problem is not None:
        return problem
    polarity = "ON" if intensity_after > intensity_before else "OFF"
    linear = int(abs(intensity_after - intensity_before) / threshold)  # two likely mistakes: no log, log10
    in_log10 = int(abs(np.log10(intensity_after + eps) - np.log10(intensity_before + eps)) / threshold)
    if got == expected:
        return passed(f"{expected} {polarity} events: ln({intensity_after:g} + {eps:g}) - ln({intensity_before:g} "
                      f"+ {eps:g}) spans {expected} whole thresholds of {threshold:g}.")
    if got == round(log_change / threshold) or got == int(np.ceil(log_change / threshold)):
        hint = " Only whole thresholds fire: round DOWN; the remainder is kept for the next change."
    elif got in (linear, in_log10):
        # both mistakes can give the same count (5 for the defaults): then both hints are given
        hint = ((" A DVS pixel compares LOG intensities, ln(I + eps), not intensities." if got == linear else "")
                + (" Use the natural logarithm, ln (math.log or np.log), not log10." if got == in_log10 else ""))
    else:
        hint = " Count how many thresholds fit into |ln(I_after + eps) - ln(I_before + eps)|."
    return failed(f"you said {got}, the pixel emits {expected} events.{hint}")


# --- lesson 01: the LIF neuron as an RC circuit


def check_euler_step(euler_step) -> CheckResult:
    """Lesson 01: ``euler_step(v, current, dt, tau_m, v_rest, resistance)`` must return
    v + dt / tau_m * (-(v - v_rest) + resistance * current) (times in seconds)."""
    cases = [  # (v, current, dt, tau_m, v_rest, resistance)
        (0.2, 1.5, 1e-3, 0.02, 0.0, 1.0),
        (-0.065, 2e-9, 1e-4, 0.01, -0.070, 1e7),
        (0.5, 0.0, 2e-3, 0.05, 0.1, 2.0),
        (np.array([0.0, 0.3, 0.9]), np.array([1.0, 0.5, 0.0]), 5e-4, 0.03, -0.2, 3.0),
    ]
    mistakes = [  # (what the reader may have written, hint)
        (lambda v, i, dt, tau, e, r: v + (-(v - e) + r * i) / tau,
         "the step does not scale with dt: multiply the slope dV/dt by dt."),
        (lambda v, i, dt, tau, e, r: v + dt * (-(v - e) + r * i),
         "divide by tau_m: the slope is dV/dt = (-(V - v_rest) + R I) / tau_m."),
        (lambda v, i, dt, tau, e, r: v + dt / tau * ((v - e) + r * i),
         "the leak has the wrong sign: it pulls V back towards v_rest, -(V - v_rest)."),
        (lambda v, i, dt, tau, e, r: v + dt / tau * (-(v - e) + i),
         "multiply the current by the resistance: the drive is R I."),
        (lambda v, i, dt, tau, e, r: v + dt / tau * (-v + r * i),
         "V leaks towards v_rest, not towards 0: use -(V - v_rest)."),
        (lambda v, i, dt, tau, e, r: dt / tau * (-(v - e) + r * i),
         "you returned only the change dV; return the new potential V + dV."),
        (lambda v, i, dt, tau, e, r: (e + r * i) + (v - e - r * i) * np.exp(-dt / tau),
         "that is the exact exponential step; the exercise asks for forward Euler, V + dt * dV/dt."),
    ]
    if is_stub(euler_step):
        return not_attempted()
    if not callable(euler_step):
        return failed(f"euler_step should be a function, got {type(euler_step).__name__}.")
    for v, current, dt, tau_m, v_rest, resistance in cases:
        case = (f"v={v}, current={current}, dt={dt}, tau_m={tau_m}, v_rest={v_rest}, "
                f"resistance={resistance}")
        expected = v + dt / tau_m * (-(v - v_rest) + resistance * current)
        try:
            got = euler_step(v, current, dt, tau_m, v_rest, resistance)
        except Exception as error:  # the reader's code raised: say so
            return failed(f"euler_step raised {type(error).__name__}: {error} for {case}.")
        if is_stub(got):
            return _stub_function("euler_step")
        problem = compare_arrays("the new potential", got, expected, rtol=ANSWER_RTOL, atol=1e-12, case=case)
        if problem is not None:
            for mistake, hint in mistakes:
                if compare_arrays("", got, mistake(v, current, dt, tau_m, v_rest, resistance),
                                  rtol=ANSWER_RTOL, atol=1e-12) is None:
                    return failed(f"{problem.message} Hint: {hint}")
            return problem
    return passed("V(t + dt) = V + dt/tau_m * (-(V - v_rest) + R I) on every case.")


def check_decay_factor(answer, tau_m: float = 0.02, dt: float = 1e-3) -> CheckResult:
    """Lesson 01: the decay factor beta of the discrete model for ``tau_m`` and ``dt`` (s): exp(-dt/tau_m)."""
    if is_stub(answer):
        return not_attempted("replace `...` with an expression for beta.")
    tau_m = check_real("tau_m (s)", tau_m, low=0.0, low_open=True)
    dt = check_real("dt (s)", dt, low=0.0, low_open=True)
    expected = float(np.exp(-dt / tau_m))
    got, problem = _answer_number(answer, "the decay factor")
    if problem is not None:
        return problem
    if abs(got - expected) <= ANSWER_RTOL * expected:
        return passed(f"beta = exp(-dt/tau_m) = {expected:.6f}.")
    mixed = ("milliseconds and seconds are mixed: give dt and tau_m in the same unit (here seconds, "
             f"dt = {dt:g}, tau_m = {tau_m:g}).")
    hints = [(1 - dt / tau_m, "that is 1 - dt/tau_m, forward Euler's factor: close, but the exact decay over "
                              "one step is exp(-dt/tau_m)."),
             (1 / (1 + dt / tau_m), "that is 1/(1 + dt/tau_m), backward Euler's factor: close, but the exact "
                                    "decay over one step is exp(-dt/tau_m)."),
             (dt / tau_m, "that is dt/tau_m, the fraction lost per step (roughly); beta is what is kept."),
             (float(np.exp(-tau_m / dt)), "dt and tau_m are swapped: beta = exp(-dt/tau_m)."),
             (float(np.exp(dt / tau_m)), "the exponent needs a minus sign: a leak shrinks V."),
             (float(np.exp(-1e3 * dt / tau_m)), mixed),  # dt in ms, tau_m in s
             (float(np.exp(-1e-3 * dt / tau_m)), mixed)]  # dt in s, tau_m in ms
    for value, hint in hints:  # relative to each value: a tiny answer matches only a tiny value close to it
        if value != 0 and abs(got - value) <= ANSWER_RTOL * abs(value):
            return failed(f"you gave {got:.6g}, expected {expected:.6f}: {hint}")
    if not 0 < got < 1:
        return failed(f"you gave {got:.6g}, expected {expected:.6f}: beta is the fraction of V kept over one "
                      "step, so it lies between 0 and 1 (close to 1 when dt is much shorter than tau_m).")
    shown_got, shown_expected = _apart(got, expected)
    return failed(f"you gave {shown_got}, expected {shown_expected}. Without input, V shrinks by the factor "
                  "exp(-t/tau_m) in t seconds; put t = dt.")


# --- lesson 05: BPTT with surrogate gradients


def check_fast_sigmoid_derivative(answer) -> CheckResult:
    """Lesson 05: ``answer(x, slope)`` should return the fast-sigmoid surrogate ``1 / (1 + slope * |x|)**2``.

    Reference: :func:`snnlesson.surrogate.fast_sigmoid_derivative` (the backward pass of
    ``snntorch.surrogate.fast_sigmoid``).
    """
    import torch

    from snnlesson.surrogate import fast_sigmoid_derivative

    if is_stub(answer):
        return not_attempted()
    if not callable(answer):
        return failed(f"your answer should be a function of (x, slope), got {type(answer).__name__}.")
    shown = torch.tensor([-1.0, -0.2, -0.01, 0.0, 0.03, 0.5, 2.0])
    # hidden points out to +-10 (a wrong answer far from the threshold must not pass)
    hidden = torch.cat([torch.tensor([-10.0, -6.5, -3.7, -2.6, 2.6, 3.3, 7.25, 10.0]),
                        torch.rand(12, generator=torch.Generator().manual_seed(5)) * 20 - 10])
    x = torch.cat([shown, hidden])
    name = getattr(answer, "__name__", "your function")
    for slope in (25.0, 5.0, 1.0, 0.3):
        case = f"slope={slope:g}, x = {x.numel()} points from -10 to 10"
        expected = fast_sigmoid_derivative(x, slope)
        # wrapped in a list, so that a tuple holding None (such as a backward's `(grad, None)`) is a wrong
        # answer, not the stub
        got, problem = call_answer(lambda x_, k_: [answer(x_, k_)], (x.clone(), slope), case,
                                   stub=_stub_function(name))
        if problem is not None:
            return problem
        got = got[0]
        if isinstance(got, (tuple, list)) and any(g is None or g is Ellipsis or hasattr(g, "detach") for g in got):
            return failed(f"`{name}` returned a {type(got).__name__} of {len(got)} items (for {case}); return one "
                          "tensor shaped like x. (A `torch.autograd.Function`'s backward returns one gradient per "
                          "input, like `(grad, None)`; this function returns only the derivative itself.)")
        problem = compare_arrays("the derivative", got, expected, rtol=1e-5, atol=1e-7, case=case)
        if problem is None:
            continue
        g, unreadable = _answer_array("the derivative", got)
        if unreadable is not None or g.shape != tuple(x.shape):
            return problem
        xs, k = x.numpy().astype(float), slope
        worst = int(np.argmax(np.abs(g - expected.numpy())))
        shown_got, shown_expected = _apart(g[worst], float(expected[worst]))
        problem = failed(f"the derivative for slope={k:g} at x = {xs[worst]:.4g}: got {shown_got}, expected "
                         f"{shown_expected}.")
        hints = [
            (1.0 / (1.0 + k * np.abs(xs)), "you forgot to square the denominator (1 + k|x|)."),
            (k / (1.0 + k * np.abs(xs)) ** 2, "the surrogate is 1 at the threshold: do not multiply by the slope k."),
            (1.0 / (1.0 + k * xs) ** 2, "use the absolute value |x|: the surrogate is symmetric about the threshold."),
            (xs / (1.0 + k * np.abs(xs)), "that is the smooth function itself, x / (1 + k|x|); "
                                          "the backward pass needs its derivative."),
            ((xs > 0).astype(float), "that is the forward pass (the spike), not its surrogate derivative."),
        ]
        for wrong, hint in hints:
            if g.shape == wrong.shape and np.allclose(g, wrong, rtol=1e-5, atol=1e-7, equal_nan=True):
                return failed(f"{problem.message} Hint: {hint}")
        far = np.abs(xs) > 2.5
        if np.allclose(g[~far], expected.numpy()[~far], rtol=1e-5, atol=1e-7):
            return failed(f"{problem.message} Hint: your function is right near the threshold but not far from "
                          "it (|x| > 2.5); the formula 1 / (1 + k|x|)^2 holds for every x, without a cut-off.")
        return failed(f"{problem.message} Hint: the derivative is 1 / (1 + k|x|)^2.")
    return passed("the fast-sigmoid surrogate 1 / (1 + k|x|)^2 matches for every slope and input.")
