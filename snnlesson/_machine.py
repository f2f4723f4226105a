"""Which CPU computed a saved result: enough to tell whether a rerun here must match it bit for bit.

A training in float32 is reproducible bit for bit only with the same kernels summing in the same order.
PyTorch's matrix products (MKL, oneDNN) pick their kernels by CPU model, not only by the vector
instruction set that ``torch.backends.cpu.get_cpu_capability()`` names: two CPUs that both report
``"AVX512"`` can round a product differently, a membrane then crosses its threshold on one machine and
not on the other, and two trainings part ways (seen here: lesson 05's saved runs, written on one machine
reporting ``"AVX512"``, differ from a rerun on another from the first batch, by 2e-6 of the loss).

So a saved record stores :func:`cpu` (with the library versions: :func:`provenance`), and a test asks for identical numbers only where :func:`same_cpu`
says the rerun runs on the same kind of CPU with the same library; elsewhere it compares within the
spread that rounding alone causes.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path


def _cpuinfo() -> tuple[str, str]:
    """``(model name, sorted flags)`` from Linux's ``/proc/cpuinfo`` (``("", "")`` where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return "", ""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:  # the first processor's fields
            fields[key.strip()] = value.strip()
    flags = fields.get("flags", fields.get("Features", ""))
    return fields.get("model name", fields.get("CPU implementer", "")), " ".join(sorted(flags.split()))


def cpu() -> dict:
    """This machine's CPU as a saved record stores it: architecture, the vector instructions torch uses,
    the model name and a short hash of the CPU's feature flags (and the torch build, whose libraries
    choose the kernels)."""
    import torch

    model, flags = _cpuinfo()
    return {"machine": platform.machine(), "capability": torch.backends.cpu.get_cpu_capability(),
            "model": model or platform.processor(),
            "flags": hashlib.sha256(flags.encode()).hexdigest()[:16] if flags else "",
            "torch": torch.__version__}


def same_cpu(stored) -> bool:
    """Whether ``stored`` (a record's ``"cpu"`` entry) names this machine's kind of CPU and torch build,
    every field known: a record without the fields (written before they were stored) is not the same."""
    here = cpu()
    return isinstance(stored, dict) and bool(here["flags"]) and all(stored.get(k) == v for k, v in here.items())


def provenance(libraries) -> dict:
    """What a saved record says of the code that wrote it: ``{"versions": {python and each of
    ``libraries``: its installed version}, "cpu": cpu()}``."""
    from importlib import metadata

    return {"versions": {"python": platform.python_version(), **{name: metadata.version(name) for name in libraries}},
            "cpu": cpu()}
