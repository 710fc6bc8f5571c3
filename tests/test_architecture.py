"""The core stays platform-free, and the generated docs stay current."""

from __future__ import annotations

import ast
import subprocess
import sys

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
        "import sys, dialogs.engine, dialogs.content, dialogs.machine;"
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
