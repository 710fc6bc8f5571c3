"""The core stays platform-free, and the generated docs stay current."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from bot.graph import document
from dialogs.content import Content
from tests.conftest import ROOT

FORBIDDEN = ("telegram", "discord", "bot", "aiohttp", "redis", "sqlite3")


def test_dialogs_imports_no_platform_or_adapter_when_scanned() -> None:
    for path in (ROOT / "dialogs").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_dialogs_loads_no_platform_module_when_imported() -> None:
    code = (
        "import sys, dialogs, dialogs.engine, dialogs.loading, dialogs.machine;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_docs_state_diagram_is_current_when_content_changes(content: Content) -> None:
    assert (ROOT / "docs" / "dialog.md").read_text() == document(content), (
        "docs/dialog.md is out of date: run `make graph`"
    )


def test_one_machine_serves_every_conversation_when_many_chat(interview) -> None:
    import asyncio

    from bot.stores.memory_store import InMemoryStore
    from dialogs.engine import Engine
    from dialogs.types import Incoming

    engine = Engine(interview, InMemoryStore())

    async def talk() -> None:
        for n in range(50):
            await engine.handle(f"console:{n}", Incoming(command="start"))
            await engine.handle(f"console:{n}", Incoming(text="none"))

    asyncio.run(talk())
    assert interview.machine.models == []


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every absolute module ``path`` imports, with its line number."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def test_bot_uses_only_the_public_core_api_when_scanned() -> None:
    import dialogs

    for path in (ROOT / "bot").rglob("*.py"):
        for module, line in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            assert module.split(".")[0] != "dialogs" or module == "dialogs", (
                f"{where} imports {module}: use `from dialogs import ...` (dialogs.__all__)"
            )
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "dialogs":
                for alias in node.names:
                    assert alias.name in dialogs.__all__, f"{path.name}: {alias.name} is not public"


def _module_map() -> dict[str, list[str]]:
    """The README's module map: top folder -> the paths listed under it."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## How it works", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    listed: dict[str, list[str]] = {}
    top = ""
    for line in block.splitlines():
        if not line.strip():
            continue
        first = line.split()[0]
        if not line.startswith(" "):
            top = first
            listed[top] = []
        else:
            listed[top].append(first)
    return listed


def test_readme_module_map_matches_the_tree_when_modules_move() -> None:
    listed = _module_map()
    for top in ("bot/", "dialogs/", "content/"):
        assert top in listed, f"README module map lacks {top}"
        named = {top + p for p in listed[top]}
        missing = [p for p in named if not (ROOT / p).is_file()]
        assert not missing, f"README module map lists what does not exist: {missing}"
        tree = {
            str(p.relative_to(ROOT))
            for p in (ROOT / top).rglob("*")
            if p.suffix in (".py", ".yaml")
            and p.name != "__init__.py"
            and "__pycache__" not in p.parts
        }
        unlisted = sorted(tree - named)
        assert not unlisted, f"README module map misses: {unlisted}"
