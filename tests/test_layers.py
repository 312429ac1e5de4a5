"""The house rules, read from the source with `ast`: imports point one way (app -> briefing/evals -> answer ->
index/tools -> core), `tools/` imports nothing from `bot/`, and no module imports itself through others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "tools", "evals")

# Lower numbers sit lower; a module may import its own layer or any lower one, never a higher one.
LAYERS = {
    "bot.core": 0,
    "tools": 1,
    "bot.index": 1,
    "bot.answer": 2,
    "bot.briefing": 3,
    "evals": 3,
    "bot.app": 4,
    "bot": 5,  # bot/__init__.py and bot/__main__.py (the entry point)
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import names (`bot.core.settings.Settings` -> `bot.core.settings`)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """Every project module `module` imports, at the top or inside a function."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            target = _resolve(name)
            if target and target != module:
                found.add(target)
    return found


def layer(module: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS")


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_layer():
    for module in MODULES:
        layer(module)


def test_tools_import_nothing_from_bot():
    bad = sorted(
        f"{m} -> {t}"
        for m, ts in GRAPH.items()
        if m.startswith("tools")
        for t in ts
        if not t.startswith("tools")
    )
    assert not bad, "the tool layer must stand alone: " + "; ".join(bad)


def test_no_upward_import():
    bad = sorted(f"{m} -> {t}" for m, ts in GRAPH.items() for t in ts if layer(t) > layer(m))
    assert not bad, "imports must point down (app -> answer -> index/tools -> core): " + "; ".join(bad)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle():
    # Package __init__ files that re-export their children would form trivial cycles; leave them out.
    graph = {
        m: {t for t in ts if not (MODULES[t].name == "__init__.py" and m.startswith(t + "."))}
        for m, ts in GRAPH.items()
    }
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b"}, "b": {"a"}}, True),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ],
)
def test_cycle_finder_finds_cycles(graph, expected):
    assert (find_cycle(graph) is not None) is expected


def test_upward_import_is_detected(tmp_path):
    """The layer check itself can fail: a core module importing the app is caught."""
    assert layer("bot.core.settings") < layer("bot.app.cli")
    assert layer("tools.tables") < layer("bot.answer.route")
