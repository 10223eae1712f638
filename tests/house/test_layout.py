"""The house's layout (issue 7): every import between server packages goes one way, down.

Read from the source with `ast`, function-local imports included (an import inside a function ties
two packages exactly as one at the top does). A cycle between packages is named with the import
lines that make it, so the fix is in the failure message."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
# Tools that stand above the whole house and are nobody's dependency.
ABOVE_ALL = {"bench", "migrations"}


def _unit(path: Path) -> str:
    return path.relative_to(SERVER).parts[0].removesuffix(".py")


def _imports() -> dict[str, dict[str, list[str]]]:
    """package -> package it imports -> the import lines (file:line)."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(SERVER.rglob("*.py")):
        unit = _unit(path)
        if unit in ABOVE_ALL:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "server" and len(parts) > 1 and parts[1] != unit:
                    edges[unit][parts[1]].append(f"{path.relative_to(SERVER.parent)}:{node.lineno}")
    return edges


def _cycles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected sets of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_runs_back_up_between_server_packages() -> None:
    edges = _imports()
    assert edges, "no imports read: wrong folder?"
    problems = []
    for group in _cycles(edges):
        ties = [f"  {a} -> {b}: {', '.join(edges[a][b][:3])}" for a in group for b in edges[a] if b in group]
        problems.append(f"circle {group}:\n" + "\n".join(ties))
    assert not problems, "\n".join(problems)


def test_no_domain_imports_the_sync_adapter() -> None:
    """sync_api applies the phones' ops into the domains; only what stands above it may import it:
    the app and its route and model lists, the reactions (writes), verify, and the alert rules
    (which read the sync journal's conflicts)."""
    above_sync = {"app", "routes", "cli", "models", "writes", "verify", "alerts"}
    offenders = {
        unit: lines["sync_api"]
        for unit, lines in _imports().items()
        if "sync_api" in lines and unit not in above_sync
    }
    assert not offenders, offenders
