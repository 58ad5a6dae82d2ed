"""The architecture rules and the lint run as part of the suite, so CI holds them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    """llmops_core reads ratings only via annotate selectors; pure modules never import Django."""
    proc = subprocess.run(
        [str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", "--output-format", "concise", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_ruff_format_changes_nothing() -> None:
    """The tree is in ruff's format, so diffs carry changes, not reformatting."""
    proc = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]


MAX_MODULE_LINES = 400


def test_no_module_is_past_400_lines() -> None:
    """Modules are split near 400 lines (STYLE.md); migrations are generated, so they are exempt."""
    long = {
        str(path.relative_to(ROOT)): n
        for package in ("llmops_core", "annotate", "bench")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules past {MAX_MODULE_LINES} lines: {long}"


def test_rating_page_scripts_are_split_into_modules() -> None:
    """No script under static/js is past 400 lines either."""
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "static" / "js").rglob("*.js")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"scripts past {MAX_MODULE_LINES} lines: {long}"


@pytest.mark.backend_independent
@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    """The app type-checks with the Django and DRF plugins (their settings need DEBUG=1)."""
    env = {**os.environ, "DEBUG": "1"}
    proc = subprocess.run(
        [
            str(BIN / "mypy"),
            "--cache-dir",
            str(ROOT / "var" / "mypy-cache"),
            "llmops_core",
            "annotate",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


# Import cycles a module may still be part of, with the reason each is inherent. Empty: there
# are none, and a new one fails the test below instead of joining a list.
ALLOWED_CYCLES: list[frozenset[str]] = []


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Return the strongly connected components of a directed graph (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def test_no_module_imports_itself_through_others() -> None:
    """llmops_core and annotate have no import cycles among their modules.

    Every import counts: at module level, inside functions and under ``TYPE_CHECKING``. A
    cycle is what "import it inside the function" hides; services name a job kind instead of
    importing their task, and split types from the machinery that uses them.
    """
    import grimp

    graph = grimp.build_graph("llmops_core", "annotate", cache_dir=None)
    edges = {
        module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules
    }
    cycles = [
        sorted(component)
        for component in _strongly_connected(edges)
        if len(component) > 1 and frozenset(component) not in ALLOWED_CYCLES
    ]
    assert cycles == [], "\n".join(" <-> ".join(cycle) for cycle in cycles)
