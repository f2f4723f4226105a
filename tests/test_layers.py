"""The package's imports go one way (DESIGN.md, "Layout"): no import circle among snnlesson's modules,
and a model module never imports what sits above the models (a lesson module, ``plot``, ``explorer``,
``checks``, the benchmark runner) or ipywidgets. Read from the source with ``ast``: imports inside
functions count too (a benchmark's lazy import is still an import)."""

import ast
import functools
from pathlib import Path

import pytest

import snnlesson

PACKAGE = Path(snnlesson.__file__).parent
#: What sits above the models: the lessons and what they are built from, and the benchmark runner.
ABOVE_MODELS = ("snnlesson.lessons", "snnlesson.plot", "snnlesson._plotcheck", "snnlesson.explorer",
                "snnlesson.checks", "snnlesson.bench")


def module_name(path: Path) -> str:
    parts = ("snnlesson",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.lru_cache(maxsize=None)
def imports_of(path: Path, modules: frozenset) -> set:
    """Every module (snnlesson's or another) that ``path`` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module_name(path).split(".")
                package = package if path.name == "__init__.py" else package[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:  # "from snnlesson import training" imports the module snnlesson.training
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return found


@functools.lru_cache(maxsize=None)
def graph() -> dict:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = frozenset(files)
    return {name: {m for m in imports_of(path, modules) if m in modules and m != name}
            for name, path in files.items()}


def cycle(edges: dict) -> list | None:
    """One import circle ``[a, b, ..., a]``, or None (depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def is_above(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in ABOVE_MODELS)


def test_the_graph_sees_the_package():
    edges = graph()
    assert "snnlesson.training" in edges["snnlesson.bptt"]                # "from snnlesson import training"
    assert "snnlesson.lessons.l02_encoding" in edges["snnlesson.lessons.l00_start"]
    assert "snnlesson.stdp" in edges["snnlesson.stdp_competition"]        # "from snnlesson.stdp import ..."


def test_the_cycle_finder_finds_a_circle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle():
    found = cycle(graph())
    assert found is None, "import circle: " + " -> ".join(found)


@pytest.mark.parametrize("name", sorted(n for n in graph() if not is_above(n) and n != "snnlesson"))
def test_a_model_module_never_imports_above_the_models(name):
    path = PACKAGE / Path(*name.split(".")[1:]).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    upward = sorted(m for m in imports_of(path, frozenset(graph())) if is_above(m) or m.split(".")[0] == "ipywidgets")
    assert not upward, f"{name} imports {upward}, which sit above the models (DESIGN.md: data flows one way)"


def test_lessons_never_import_the_benchmark_runner():
    edges = graph()
    assert not [n for n in edges if n.startswith("snnlesson.lessons") and "snnlesson.bench" in edges[n]]
