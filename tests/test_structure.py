"""The package's shape: no import cycles, and lower layers never import higher ones."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "xdata"

#: Layers, bottom first: a module may import (at module level) only from its own layer or below.
LAYERS = [
    {"errors", "hashing", "langs", "records", "workers", "interrupt", "models", "_callable"},
    {"io", "dataset", "lexicon"},
    {"pipeline", "recipe", "plan"},
    {"normalize", "tokenize", "lid", "filters", "align", "project", "backtranslate", "codeswitch", "steps", "hooks", "dvc", "drift", "rebuild",
     "mix", "report", "teacher"},
    {"cli", "__main__", "_entry", "api"},
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules of xdata that ``path`` imports, at module level or inside functions (a lazy import
    is still a dependency: a cycle through one is a cycle), except under ``TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skip |= {id(n) for n in ast.walk(node)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        nodes = [node] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
        for n in nodes:
            if isinstance(n, ast.Import):
                out |= {a.name for a in n.names if a.name.startswith("xdata")}
            else:
                if n.level:
                    mod = ".".join(base[: len(base) - (n.level - 1)] + ([n.module] if n.module else []))
                else:
                    mod = n.module or ""
                if mod.startswith("xdata"):
                    out.add(mod)
                    out |= {f"{mod}.{a.name}" for a in n.names}
    return out


def _graph() -> dict[str, set[str]]:
    mods = {_module_name(p): p for p in PKG.rglob("*.py")}
    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        g[name] = {m for m in _imports(path, name) if m in mods and m != name}
    return g


def test_no_import_cycles():
    g = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g[n]):
            # importing a package's submodule runs the package's __init__ first; that edge is not a cycle
            if n.startswith(m + "."):
                continue
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if n not in state:
            visit(n)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_lower_layers_never_import_higher_ones():
    def layer(mod: str) -> int:
        top = mod.split(".")[1] if "." in mod else mod
        for i, names in enumerate(LAYERS):
            if top in names:
                return i
        raise AssertionError(f"module {mod} is in no layer; add it to LAYERS")

    bad = []
    for mod, deps in _graph().items():
        if mod == "xdata":
            continue
        for d in deps:
            if d != "xdata" and layer(d) > layer(mod):
                bad.append(f"{mod} imports {d}")
    assert bad == []
