"""The imports of dpa_manager, inside functions too: which packages and modules form circles.

Walks the source with ast (nothing is imported), resolves relative imports, and finds the strongly
connected components of the import graph between packages (accounts, notices, mail, …; a top-level
module counts as its own package) and between modules. There are none, and a new one fails the suite:
a package imports only those below it (README, Development, "Layers").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "dpa_manager"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The dpa_manager modules that the file at `path` imports, at any depth of its code."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("dpa_manager")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("dpa_manager"):
                continue
            folder = ROOT.parent / target.replace(".", "/")
            submodules = {
                alias.name
                for alias in node.names
                if (folder / f"{alias.name}.py").exists() or (folder / alias.name / "__init__.py").exists()
            }
            found |= {f"{target}.{name}" for name in submodules}  # "from .. import audit" imports the module
            if len(submodules) < len(node.names):  # and names defined in the package itself import it
                found.add(target)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in ROOT.rglob("*.py")}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def circles(edges: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_graph() -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph().items():
        if module == "dpa_manager":  # create_app wires every package in; it is the top, not a layer
            continue
        source = package_of(module)
        packages.setdefault(source, set()).update(
            package_of(t) for t in targets if t != "dpa_manager" and package_of(t) != source
        )
    return packages


def test_the_walker_sees_imports_inside_functions_and_relative_ones():
    sender = imports_of(ROOT / "mail" / "sender.py")
    assert "dpa_manager.bulk" in sender and "dpa_manager.mail.compose" in sender
    cli = imports_of(ROOT / "cli.py")
    assert "dpa_manager.jobs" in cli  # imported inside a function
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [("a", "b", "c")]


def test_no_circle_between_packages():
    assert circles(package_graph()) == []


def test_no_circle_between_modules():
    assert circles(graph()) == []


def test_imports_inside_functions_say_why():
    """An import inside a function needs a comment on its line or the line before, or sits in the app factory or
    a command (whose modules say once why they import when used)."""
    unexplained = []
    for path in ROOT.rglob("*.py"):
        if path.relative_to(ROOT).as_posix() in ("__init__.py", "cli.py"):
            continue
        lines = path.read_text().split("\n")
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                internal = isinstance(inner, ast.ImportFrom) and (
                    inner.level or (inner.module or "").startswith("dpa_manager")
                )
                if (
                    internal
                    and "#" not in lines[inner.lineno - 1]
                    and not lines[inner.lineno - 2].strip().startswith("#")
                ):
                    unexplained.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert unexplained == []
