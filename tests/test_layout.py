"""The package's layout (docs/architecture.md): layers that only import downwards, no circle, small modules.

Read from the source with ast, so function-level imports count too; imports
under `if TYPE_CHECKING:` are for annotations only and are not edges.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mfaenv"
#: Top to bottom; a module may import its own layer's modules and those below.
LAYERS = ("cli", "flow", "aws", "store", "shells", "core")
MAX_LINES = 300


def _layer(module: str) -> str:
    parts = module.split(".")
    if module == "mfaenv.__main__":
        return "cli"  # `python -m mfaenv`: the entry point, like cli.main
    return parts[1] if len(parts) >= 2 and parts[1] in LAYERS else "core"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out[name] = ast.parse(path.read_text(), str(path))
    return out


def _imports(tree: ast.Module, here: str) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every mfaenv import outside `if TYPE_CHECKING:`."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mfaenv":
            names = [a.name for a in node.names]
            # `from mfaenv.store import cache` imports the module mfaenv.store.cache
            subs = [
                f"{node.module}.{n}"
                for n in names
                if (PACKAGE.parent / f"{node.module}.{n}".replace(".", "/")).with_suffix(".py").exists()
            ]
            found += [(s, [], node.lineno) for s in subs] or [(node.module, names, node.lineno)]
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "mfaenv"]
    return found


MODULES = _modules()


def test_every_import_points_down_or_sideways() -> None:
    wrong = []
    for name, tree in MODULES.items():
        for target, _, line in _imports(tree, name):
            if target == "mfaenv":
                continue  # __version__
            if LAYERS.index(_layer(target)) < LAYERS.index(_layer(name)):
                wrong.append(f"{name}:{line} imports {target} ({_layer(name)} -> {_layer(target)})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circle() -> None:
    graph = {
        name: {t for t, _, _ in _imports(tree, name) if t in MODULES and t != name} for name, tree in MODULES.items()
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_private_name_taken_across_modules() -> None:
    wrong = [
        f"{name}:{line} takes {target}.{n}"
        for name, tree in MODULES.items()
        for target, names, line in _imports(tree, name)
        for n in names
        if n.startswith("_") and n != "__version__"
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_each_subpackage_says_what_it_holds_and_its_init_is_empty() -> None:
    for layer in ("cli", "flow", "aws", "store"):
        tree = MODULES[f"mfaenv.{layer}"]
        # A docstring and nothing else: importing a submodule runs no more than it did.
        assert ast.get_docstring(tree) and len(tree.body) == 1, (
            f"mfaenv/{layer}/__init__.py must hold only its docstring"
        )
    for name, tree in MODULES.items():
        assert ast.get_docstring(tree), f"{name} has no docstring"


def test_the_checker_sees_an_upward_import() -> None:
    # The checker itself: a store module importing the cli is caught.
    tree = ast.parse("def f():\n    from mfaenv.cli import commands\n")
    assert [t for t, _, _ in _imports(tree, "mfaenv.store.x")] == ["mfaenv.cli.commands"]
    assert LAYERS.index(_layer("mfaenv.cli.commands")) < LAYERS.index(_layer("mfaenv.store.x"))
