"""The layers of src/audioprobe cannot circle: the graph of every import the package executes,
at module level or inside a function, has no cycle (docs/architecture.md).

An import inside a function is still a dependency: it only moves the moment a circle bites from
import time to call time, so it is counted. Imports under `if TYPE_CHECKING:` are not: they never
run, and they let a contract name in annotations the types of the layer that calls it (a model
kind's `ModelSpec`) without a Protocol for each.

The graph is built with the stdlib (`ast` reads every import statement wherever it stands,
`graphlib` finds a cycle and names it) rather than grimp: grimp would add a compiled dependency
to say the same, and this file shows exactly what counts as an edge. Each `import a.b.c` or
`from a.b import c` is an edge from the importing module to the module it names (`a.b.c` when
that is a module, else the package `a.b`, whose `__init__` holds what is imported).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import audioprobe

PACKAGE = Path(audioprobe.__file__).parent
ROOT = PACKAGE.name


def _modules(package: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside `if TYPE_CHECKING:` blocks (never executed)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules `name` imports anywhere in its source, when it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, path.name == "__init__.py", node)
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in known else module)
    return {m for m in found if m in known and m != name}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of `package` and the modules of the package it imports."""
    modules = _modules(package)
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of `graph` (first module repeated at the end), or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(reversed(exc.args[1]))
    return None


def test_the_package_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def _reachable(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for dep in graph[todo.pop()] - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


#: The layers above results/: it may reach none of them, directly or not. (It reaches the store
#: and what the store reads, and scoring's statistics, which are pure numpy: scoring/intervals.py
#: and scoring/fad.py.)
ABOVE_RESULTS = (
    "scoring", "executors", "feedback", "references", "report", "api", "cli", "runner",
    "compare", "publication", "viewer", "listening", "trial",
)  # fmt: skip
STATISTICS = {f"{ROOT}.scoring.intervals", f"{ROOT}.scoring.fad"}


def test_results_is_a_leaf_that_never_reaches_scoring_or_the_views():
    """Views read a run through results/ alone: it never imports the metric registry, the
    scorer, executors, the report or the API (the column metadata it needs is stored with the
    cards), so a view of a run cannot depend on the plugins installed today."""
    graph = import_graph()
    results = {m for m in graph if m.startswith(f"{ROOT}.results")}
    above = tuple(f"{ROOT}.{layer}" for layer in ABOVE_RESULTS)
    reached = _reachable(graph, results) - STATISTICS
    beyond = sorted(m for m in reached if m in above or m.startswith(tuple(f"{a}." for a in above)))
    assert not beyond, "results/ reaches " + ", ".join(beyond)


def test_a_circle_through_a_function_level_import_is_found(tmp_path):
    """The check is not blind to the imports it claims to count (a circle closed only inside
    a function, through a relative import, must fail it and be named)."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import x\n")
    cycle = find_cycle(import_graph(pkg))
    assert cycle is not None
    assert set(cycle) == {"pkg.a", "pkg.sub.b"}
    assert cycle[0] == cycle[-1]


def test_an_import_only_for_annotations_is_no_edge(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
    )
    assert find_cycle(import_graph(pkg)) is None
    assert import_graph(pkg)["pkg.b"] == set()


@pytest.mark.parametrize(
    "source",
    ["import pkg.a\n", "from pkg import a\n", "from . import a\n", "from .a import thing\n"],
)
def test_every_spelling_of_an_import_is_an_edge(tmp_path, source):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("")
    (pkg / "b.py").write_text("if True:\n    " + source)
    assert import_graph(pkg)["pkg.b"] == {"pkg.a"}
