"""The package's layers hold: records <- principles <- views <- forms <- delivery / cli.

Read from the source (every import, including those inside functions and under
TYPE_CHECKING), so a lazy import cannot hide an upward dependency or a cycle.
docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from alliance_kit._moved import MOVED

PACKAGE = Path(__file__).resolve().parents[1] / "alliance_kit"
PRINCIPLES = ("imagine", "align", "succeed", "assess")
#: The widget forms that sit beside each principle's logic: they may use the shared views.
FORMS = {"imagine.forms", "align.forms", "succeed.forms", "assess.survey_widgets"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if name.startswith(("records.migrations", "delivery.share")):
            continue  # Alembic scripts and Jupyter config files, loaded by path
        found[name] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The alliance_kit modules ``path`` imports, as names relative to the package."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
            bases = [t for t in targets if t.startswith("alliance_kit")]
            out.update(b.removeprefix("alliance_kit").lstrip(".") for b in bases)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            elif (node.module or "").startswith("alliance_kit"):
                mod = node.module.removeprefix("alliance_kit").lstrip(".")
            else:
                continue
            for alias in node.names:
                child = f"{mod}.{alias.name}" if mod else alias.name
                out.add(child if child in known else mod)
    out.discard(name)
    return {m for m in out if m in known or m == ""}


def layer(name: str) -> int:
    top = name.split(".")[0]
    if name in ("", "config", "_moved"):
        return 0
    if top == "records":
        return 1
    if name in FORMS:
        return 4
    if top in PRINCIPLES:
        return 2
    if top == "views":
        return 3
    if top in ("delivery", "cli"):
        return 5
    raise AssertionError(
        f"alliance_kit.{name} belongs to no layer: place it (docs/architecture.md)"
    )


GRAPH = {name: imports_of(path, modules()) for name, path in modules().items()}


def test_every_module_has_a_layer() -> None:
    for name in GRAPH:
        layer(name)
    # the tree reads like the product
    assert {n.split(".")[0] for n in GRAPH} >= {"records", *PRINCIPLES, "views", "delivery", "cli"}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_no_module_imports_a_higher_layer(name: str) -> None:
    upward = sorted(m for m in GRAPH[name] if layer(m) > layer(name))
    assert not upward, f"alliance_kit.{name} (layer {layer(name)}) imports higher layers: {upward}"


def test_delivery_does_not_import_the_cli() -> None:
    for name, deps in GRAPH.items():
        if name.startswith("delivery"):
            assert not [d for d in deps if d.startswith("cli")], name


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules() -> None:
    assert _cycle(GRAPH) is None, " -> ".join(_cycle(GRAPH) or [])


def test_no_import_cycle_between_principles() -> None:
    """Succeed builds on Imagine and Align, Assess on all three; never the other way."""
    packages: dict[str, set[str]] = {p: set() for p in PRINCIPLES}
    for name, deps in GRAPH.items():
        top = name.split(".")[0]
        if top in PRINCIPLES and name not in FORMS:
            packages[top] |= {d.split(".")[0] for d in deps if d.split(".")[0] in PRINCIPLES}
    for p in PRINCIPLES:
        packages[p].discard(p)
    assert _cycle(packages) is None, " -> ".join(_cycle(packages) or [])
    assert not packages["imagine"] and not packages["align"], packages


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The graph would miss nothing a module can import at run time."""
    src = PACKAGE / "views" / "documents.py"
    deps = imports_of(src, modules())
    assert {"align.governance", "imagine.strategy", "views.formatting"} <= deps
    assert "views.charts" in deps  # imported inside business_case_document()
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]


def test_old_paths_import_the_moved_module_with_a_warning() -> None:
    """A notebook copied before the layered layout still runs, and is told what to change."""
    import importlib
    import sys
    import warnings

    from alliance_kit.assess import health
    from alliance_kit.views import widgets

    for old in ("health", "widgets"):
        sys.modules.pop(f"alliance_kit.{old}", None)
        vars(importlib.import_module("alliance_kit")).pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from alliance_kit import health as old_health  # noqa: PLC0415

        old_widgets = importlib.import_module("alliance_kit.widgets")
    assert old_health is health and old_widgets is widgets
    said = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert "alliance_kit.health moved to alliance_kit.assess.health" in said[0]
    assert any("alliance_kit.widgets moved to alliance_kit.views.widgets" in s for s in said)
    assert set(MOVED.values()) <= set(GRAPH), "every new path exists"


OLD_NAMES = "|".join(MOVED)
OLD_IMPORT = re.compile(
    rf"from alliance_kit import [^\n]*\b(?:{OLD_NAMES})\b|alliance_kit\.(?:{OLD_NAMES})\b"
)


def test_nothing_in_the_repository_uses_an_old_path() -> None:
    root = PACKAGE.parent
    files = [*root.glob("alliance_kit/**/*.py"), *root.glob("tests/**/*.py"),
             *root.glob("bench/*.py"), *root.glob("notebooks/**/*.ipynb")]  # fmt: skip
    found = []
    for f in files:
        if f.name in ("_moved.py", "test_architecture.py") or f == PACKAGE / "__init__.py":
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if OLD_IMPORT.search(line) and "alliance_kit.sqlite" not in line:
                found.append(f"{f.relative_to(root)}: {line.strip()}")
    assert not found, found


def _from_imports(tree: ast.AST) -> list[tuple[str, str, int]]:
    return [
        (node.module, alias.name, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("alliance_kit")
        for alias in node.names
    ]


def test_every_name_imported_from_the_package_exists() -> None:
    """Imports inside functions run late: a name that moved would fail only when that
    function runs. Every ``from alliance_kit... import name`` in the package, the tests,
    the benchmarks and the notebooks is checked here at once."""
    import importlib
    import importlib.util

    import nbformat

    root = PACKAGE.parent
    sources: list[tuple[str, str]] = []
    for pattern in ("alliance_kit/**/*.py", "tests/**/*.py", "bench/*.py"):
        for f in root.glob(pattern):
            if "migrations/versions" not in str(f):
                sources.append((str(f.relative_to(root)), f.read_text(encoding="utf-8")))
    for f in root.glob("notebooks/**/*.ipynb"):
        nb = nbformat.read(f, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        sources.append((str(f.relative_to(root)), code))
    missing = []
    for where, text in sources:
        for module, name, line in _from_imports(ast.parse(text)):
            mod = importlib.import_module(module)
            submodule = hasattr(mod, "__path__") and importlib.util.find_spec(f"{module}.{name}")
            if not hasattr(mod, name) and not submodule:
                missing.append(f"{where}:{line}: {module} has no {name}")
    assert not missing, missing
