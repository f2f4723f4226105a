"""snnlesson: the models behind a hands-on course on spiking neural networks.

One module per concept: the neurons (``lif`` continuous, ``lif_discrete`` the one
discrete step), ``hebbian``, ``encoding``, ``dvs``, ``stdp`` (with ``stdp_competition``
and ``stdp_pattern``), ``spikeprop`` (with ``spikeprop_training``), ``surrogate``,
``bptt`` and ``rsnn``; ``training`` (the one training loop), ``threads`` (how many
CPU threads torch uses: one policy for every training; ``SNNLESSON_THREADS``
overrides it) and ``data`` (MNIST, moving digits, XOR, Iris). Above the models:
``plot`` (shared figure primitives), ``explorer`` (the explorer base class),
``lessons`` (one module per notebook: its figures, explorers and exercise checkers),
``checks`` (checker results) and ``bench`` (``python -m snnlesson.bench``).
"""

from __future__ import annotations

import random

__version__ = "0.1.0"

__all__ = ["seed_everything", "environment_report", "__version__"]


def seed_everything(seed: int = 0):
    """Seed Python, NumPy and torch, and return a ``torch.Generator`` seeded the same.

    Notebooks call this once at the top; functions that draw random numbers
    also take their own ``generator`` or ``seed``.
    """
    import numpy as np
    import torch

    from snnlesson._validate import check_seed

    seed = check_seed("seed", seed)  # an integer in [0, 2**63 - 1], what torch and NumPy accept
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def environment_report() -> dict:
    """Versions of the course's libraries, the compute device and the CPU threads, for the start-here check."""
    import platform
    from importlib import metadata

    import torch

    from snnlesson import threads

    versions = {"python": platform.python_version()}
    for name in ("snnlesson", "torch", "torchvision", "snntorch", "numpy", "matplotlib",
                 "ipywidgets", "tqdm"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)})"
    else:
        device = "cpu"
    versions["device"] = device
    versions["torch threads"] = str(torch.get_num_threads())   # this notebook's cells (threads.use_in_notebook)
    versions["CPUs available"] = str(threads.available_cpus())  # what a training may use (threads.policy)
    return versions
