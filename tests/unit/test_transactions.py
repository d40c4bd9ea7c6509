"""Where a transaction ends: services change the session and never commit or roll back; a request ends in
web.end_transaction (or web.show_error, which undoes a refused service before the page is shown again), a command in
cli.Commands, and the jobs commit per batch (jobs.in_batches, jobs.sweep), per message (the sender) or per bounce
(intake.receive_bounce)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "dpa_manager"

#: The functions that end a transaction, per module: nothing else commits or rolls back.
BOUNDARIES = {
    "web.py": {"end_transaction", "_roll_back", "show_error"},
    "cli.py": {"run"},
    "jobs.py": {"in_batches", "sweep", "anchor_audit"},
    # one bounce a transaction, committed before the SMTP endpoint answers 250 or the mailbox copy is deleted
    "intake.py": {"receive_bounce"},
    "mail/sender.py": {
        "claim",
        "_cancel",
        "_record_answer",
        "apply_acceptances",
        "_mark_failed",
        "_hold",
        "_defer",
        "drain",
    },
}


def own_nodes(function: ast.FunctionDef):
    """Yield the nodes of `function` itself, not those of the functions defined inside it."""
    stack = [node for node in function.body if not isinstance(node, ast.FunctionDef)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(
            child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.FunctionDef | ast.Lambda)
        )


def ends_of_transactions() -> dict[str, set[str]]:
    """Return, per module, the functions that call session.commit() or session.rollback()."""
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in own_nodes(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback")
                    and "session" in ast.unparse(node.func.value)
                ):
                    found.setdefault(path.relative_to(ROOT).as_posix(), set()).add(function.name)
    return found


def test_only_the_boundaries_commit_or_roll_back():
    found = ends_of_transactions()
    outside = {module: names - BOUNDARIES.get(module, set()) for module, names in found.items()}
    assert {module: names for module, names in outside.items() if names} == {}


def test_the_walker_finds_the_boundaries():
    found = ends_of_transactions()
    assert found["web.py"] == {"end_transaction", "_roll_back", "show_error"} and "in_batches" in found["jobs.py"]
