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


# ----------------------------------------------------------------- lesson 02: encoding and event cameras


def check_rate_count_stats(mean, std, num_steps: int = 1000, p: float = 32 / 256) -> CheckResult:
    """Lesson 02: mean and standard deviation of the spike count of a rate-coded pixel.

    A Bernoulli rate code with probability ``p`` per step gives a Binomial(T, p)
    count: mean ``T p``, standard deviation ``sqrt(T p (1 - p))``. Accepts answers
    rounded to 0.5 (mean) and 0.05 (standard deviation).
    """
    try:
        mean, std = float(mean), float(std)
    except (TypeError, ValueError):
        return failed(f"mean and std should be numbers, got {mean!r} and {std!r}.")
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

    The reference is ``snnlesson.encoding.latency(data, num_steps, linear=True,
    normalize=True)`` (equal to snntorch's): input ``x`` spikes once, at step
    ``round((num_steps - 1) * (1 - x))``.
    """
    import torch

    from snnlesson import encoding

    cases = [(torch.tensor([0.0, 0.25, 0.5, 1.0]), 5),
             (torch.tensor([[1.0, 0.9], [0.1, 0.02]]), 10),
             (torch.rand(3, 4, generator=torch.Generator().manual_seed(2)), 20)]
    for data, num_steps in cases:
        case = f"data of shape {tuple(data.shape)} and num_steps={num_steps}"
        expected = encoding.latency(data, num_steps, linear=True, normalize=True)
        try:
            got = fn(data.clone(), num_steps)
        except Exception as err:  # the reader's code failed: report it, do not raise
            return failed(f"your function raised {type(err).__name__}: {err} (for {case}).")
        try:
            got = torch.as_tensor(np.asarray(got.detach().cpu() if hasattr(got, "detach") else got, dtype=float))
        except (TypeError, ValueError):
            return failed(f"your function should return a tensor, got {type(got).__name__} (for {case}).")
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
        return failed(f"the input {float(data.reshape(-1)[i]):.4g} spikes at step {int(got_step.reshape(-1)[i])}, "
                      f"expected step {int(exp_step.reshape(-1)[i])} (for {case}).")
    return passed("your encoder gives the same spike trains as snnlesson.encoding.latency(..., linear=True, "
                  "normalize=True), and hence snntorch.spikegen.latency.")


def check_dvs_event_count(answer, intensity_before: float = 0.0, intensity_after: float = 1.0,
                          threshold: float = 0.2, eps: float = 0.1) -> CheckResult:
    """Lesson 02: how many events does one DVS pixel emit when its intensity jumps once?

    The reference runs :func:`snnlesson.dvs.events` on a one-pixel, two-frame video:
    ``floor(|ln(I_after + eps) - ln(I_before + eps)| / threshold)`` events.
    """
    from snnlesson import dvs

    video = np.array([intensity_before, intensity_after], dtype=float).reshape(2, 1, 1)
    ev = dvs.events(video, threshold, eps)
    expected = len(ev)
    try:
        got = int(answer)
        if got != float(answer):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        return failed(f"the answer should be a whole number of events, got {answer!r}.")
    polarity = "ON" if intensity_after > intensity_before else "OFF"
    if got == expected:
        return passed(f"{expected} {polarity} events: ln({intensity_after:g} + {eps:g}) - ln({intensity_before:g} "
                      f"+ {eps:g}) spans {expected} whole thresholds of {threshold:g}.")
    log_change = abs(np.log(intensity_after + eps) - np.log(intensity_before + eps))
    if got == round(log_change / threshold) or got == int(np.ceil(log_change / threshold)):
        hint = " Only whole thresholds fire: round DOWN; the remainder is kept for the next change."
    elif got == int(abs(intensity_after - intensity_before) / threshold):
        hint = " A DVS pixel compares LOG intensities, ln(I + eps), not intensities."
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
    for v, current, dt, tau_m, v_rest, resistance in cases:
        case = (f"v={v}, current={current}, dt={dt}, tau_m={tau_m}, v_rest={v_rest}, "
                f"resistance={resistance}")
        expected = v + dt / tau_m * (-(v - v_rest) + resistance * current)
        try:
            got = euler_step(v, current, dt, tau_m, v_rest, resistance)
        except Exception as error:  # the reader's code raised: say so
            return failed(f"euler_step raised {type(error).__name__}: {error} for {case}.")
        problem = compare_arrays("the new potential", got, expected, rtol=1e-9, atol=1e-15, case=case)
        if problem is not None:
            for mistake, hint in mistakes:
                if compare_arrays("", got, mistake(v, current, dt, tau_m, v_rest, resistance),
                                  rtol=1e-9, atol=1e-15) is None:
                    return failed(f"{problem.message} Hint: {hint}")
            return problem
    return passed("V(t + dt) = V + dt/tau_m * (-(V - v_rest) + R I) on every case.")


def check_decay_factor(answer, tau_m: float = 0.02, dt: float = 1e-3) -> CheckResult:
    """Lesson 01: the decay factor beta of the discrete model for ``tau_m`` and ``dt`` (s): exp(-dt/tau_m)."""
    expected = float(np.exp(-dt / tau_m))
    try:
        got = float(answer)
    except (TypeError, ValueError):
        return failed(f"the answer should be a number, got {answer!r}.")
    if abs(got - expected) <= 1e-9:
        return passed(f"beta = exp(-dt/tau_m) = {expected:.6f}.")
    hints = [(1 - dt / tau_m, "that is 1 - dt/tau_m, forward Euler's factor: close, but the exact decay over "
                              "one step is exp(-dt/tau_m)."),
             (dt / tau_m, "that is dt/tau_m, the fraction lost per step (roughly); beta is what is kept."),
             (float(np.exp(-tau_m / dt)), "dt and tau_m are swapped: beta = exp(-dt/tau_m)."),
             (float(np.exp(dt / tau_m)), "the exponent needs a minus sign: a leak shrinks V.")]
    for value, hint in hints:
        if abs(got - value) <= 1e-9 * max(1.0, abs(value)):
            return failed(f"you gave {got:.6g}, expected {expected:.6f}: {hint}")
    return failed(f"you gave {got:.6g}, expected {expected:.6f}. Without input, V shrinks by the factor "
                  "exp(-t/tau_m) in t seconds; put t = dt.")


# --- lesson 05: BPTT with surrogate gradients


def check_fast_sigmoid_derivative(answer) -> CheckResult:
    """Lesson 05: ``answer(x, slope)`` should return the fast-sigmoid surrogate ``1 / (1 + slope * |x|)**2``.

    Reference: :func:`snnlesson.bptt.fast_sigmoid_derivative` (the backward pass of
    ``snntorch.surrogate.fast_sigmoid``).
    """
    import torch

    from snnlesson.bptt import fast_sigmoid_derivative

    x = torch.tensor([-1.0, -0.2, -0.01, 0.0, 0.03, 0.5, 2.0])
    for slope in (25.0, 5.0, 1.0):
        case = f"slope={slope:g}, x=[{', '.join(f'{v:g}' for v in x.tolist())}]"
        expected = fast_sigmoid_derivative(x, slope)
        try:
            got = answer(x.clone(), slope)
        except Exception as err:  # the reader's code failed: report it, do not raise
            return failed(f"your function raised {type(err).__name__}: {err} (for {case}).")
        problem = compare_arrays("the derivative", got, expected, rtol=1e-5, atol=1e-7, case=case)
        if problem is None:
            continue
        try:
            g = np.asarray(got.detach() if hasattr(got, "detach") else got, dtype=float)
        except (TypeError, ValueError):
            return problem
        xs, k = x.numpy().astype(float), slope
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
        return failed(f"{problem.message} Hint: the derivative is 1 / (1 + k|x|)^2.")
    return passed("the fast-sigmoid surrogate 1 / (1 + k|x|)^2 matches for every slope and input.")
