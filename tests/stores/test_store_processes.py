"""Two bot processes on one SQLite file: compare-and-set keeps one event at a time per person."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from bot.stores.sqlite_store import SqliteStore
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.types import Incoming, Question
from tests.conftest import ROOT

KEY = "telegram:777"


async def run_workers(db: Path, *args: str, count: int = 25) -> list[Counter[str]]:
    """Start two worker processes, release them together, and collect their counts."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.stores.engine_worker",
            str(db),
            KEY,
            args[0],
            str(count),
            f"p{n}-",
            *args[1:],
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(2)
    ]
    async with asyncio.timeout(60):  # hang guard only
        for proc in procs:
            assert proc.stdout is not None
            assert await proc.stdout.readline() == b"ready\n"
        outputs = await asyncio.gather(*(p.communicate(b"go\n") for p in procs))
    assert [p.returncode for p in procs] == [0, 0]
    return [Counter(json.loads(out)) for out, _ in outputs]


async def start(db: Path, interview: Interview) -> Question:
    store = await SqliteStore.open(str(db))
    try:
        replies = await Engine(interview, store).handle(KEY, Incoming(command="start"))
    finally:
        await store.close()
    assert isinstance(replies[-1], Question)
    return replies[-1]


async def stored_version(db: Path) -> tuple[int, dict]:
    store = await SqliteStore.open(str(db))
    try:
        record = await store.load(KEY)
    finally:
        await store.close()
    assert record is not None
    return record.version, dict(record.answers)


async def test_press_is_applied_once_when_two_processes_share_sqlite(
    tmp_path: Path, interview: Interview
) -> None:
    """25 copies of one button press in each of two processes: exactly one answer lands."""
    db = tmp_path / "shared.db"
    question = await start(db, interview)
    counts = await run_workers(db, "press", str(question.step))
    assert sum(c["answered"] for c in counts) == 1
    assert sum(c["closed"] for c in counts) == 49
    assert await stored_version(db) == (question.step + 1, {"red_flags": ("none",)})


async def test_no_write_is_lost_when_two_processes_write_one_sqlite_record(
    tmp_path: Path, interview: Interview
) -> None:
    """Every applied /restart from either process bumps the version exactly once."""
    db = tmp_path / "shared.db"
    question = await start(db, interview)
    counts = await run_workers(db, "restart", count=40)
    busy = sum(c["error"] for c in counts)
    assert sum(c["info"] for c in counts) == 80 - busy
    version, _ = await stored_version(db)
    assert version == question.step + 80 - busy
