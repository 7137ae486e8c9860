"""The package's boundaries, read from its source: who may import what, and no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "annotate"


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports (all of them, or only those run when it is imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = list(ast.walk(tree))
    if top_level_only:  # not inside functions, nor under `if TYPE_CHECKING:`
        nodes = [
            n for n in tree.body if not (isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test))
        ]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _sources() -> dict[str, Path]:
    return {_module(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_layout_only_studio_talks_to_label_studio() -> None:
    """Only annotate.studio imports the SDK; export, quality and training never import annotate.studio."""
    for module, path in _sources().items():
        imported = _imports(path, top_level_only=False)
        if not module.startswith("annotate.studio") and not module.startswith("annotate.cli"):
            assert not any(name.startswith("label_studio_sdk") for name in imported), module
        if module.startswith(
            ("annotate.export", "annotate.quality", "annotate.labelstudio", "annotate.training")
        ):
            assert not any(name.startswith("annotate.studio") for name in imported), module


def test_layout_has_no_import_cycles() -> None:
    """No chain of module-level imports leads from a module back to itself."""
    sources = _sources()
    graph = {
        module: {name for name in _imports(path, top_level_only=True) if name in sources and name != module}
        for module, path in sources.items()
    }
    state: dict[str, str] = {}

    def visit(module: str, chain: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            assert state.get(target) != "open", "import cycle: " + " -> ".join([*chain, module, target])
            if target not in state:
                visit(target, [*chain, module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_layout_public_api_names_resolve_and_import_lazily() -> None:
    """Every name of ``annotate.__all__`` resolves; the network and training stacks load on first use."""
    code = (
        "import sys, annotate\n"
        "heavy = [m for m in ('annotate.studio.client', 'label_studio_sdk', 'annotate.training.train') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "missing = [n for n in annotate.__all__ if getattr(annotate, n, None) is None]\n"
        "assert not missing, missing\n"
        "from annotate import Studio, build_dataset, export_dataset, push\n"
        "assert Studio.__module__ == 'annotate.studio.client'\n"
        "assert export_dataset.__name__ == 'export' and build_dataset.__name__ == 'build_dataset'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
