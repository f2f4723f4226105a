"""Every public module of snnlesson declares its public names in ``__all__``, and they exist.

"Public" = a function or class defined in the module (its ``__module__`` is the module)
whose name does not start with an underscore. Modules whose name starts with an
underscore (``_validate``, ``_data``) are private and skipped.
"""

import importlib
import inspect
import pkgutil

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import snnlesson  # noqa: E402

MODULES = sorted(
    [snnlesson.__name__]
    + [info.name for info in pkgutil.walk_packages(snnlesson.__path__, prefix="snnlesson.")
       if not any(part.startswith("_") for part in info.name.split("."))])


@pytest.mark.parametrize("name", MODULES)
def test_module_lists_its_public_names_in_all(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    declared = list(module.__all__)
    assert len(declared) == len(set(declared)), f"{name}.__all__ lists a name twice"
    missing = [n for n in declared if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names the module does not define: {missing}"
    defined_here = [n for n, obj in vars(module).items()
                    if not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                    and getattr(obj, "__module__", None) == name]
    unlisted = sorted(set(defined_here) - set(declared))
    assert not unlisted, f"{name} defines public names missing from __all__: {unlisted}"


def test_every_lesson_explorer_is_registered_for_the_benchmark():
    from snnlesson import explorer, lessons

    explorers = []
    for info in pkgutil.iter_modules(lessons.__path__):
        module = importlib.import_module(f"snnlesson.lessons.{info.name}")
        explorers += [n for n in module.__all__ if n.endswith("_explorer") and callable(getattr(module, n))]
    assert explorers, "no explorer found in snnlesson.lessons"
    unregistered = sorted(set(explorers) - set(explorer.EXPLORER_DEMOS))
    assert not unregistered, (f"explorers missing from the explorers benchmark: {unregistered}; register a demo "
                              "with @snnlesson.explorer.register_explorer(name)")
