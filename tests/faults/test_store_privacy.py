"""What the SQLite files keep: no answers in the WAL after they are cleared, private modes."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.stores.sqlite_store import SqliteStore
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.types import Incoming
from tests.faults.chat import Chat, asked
from tests.stores.store_helpers import WALKING_ANSWERS, run_interview

NEEDLE = b"walking_relieved"  # the answer to "when", given third
KEY = "telegram:987654321"


def wal(db: Path) -> bytes:
    path = db.with_name(db.name + "-wal")
    return path.read_bytes() if path.exists() else b""


def files(db: Path) -> bytes:
    return db.read_bytes() + wal(db)


@pytest.mark.parametrize(
    ("command", "question"), [("/stop", None), ("/restart", "red_flags"), ("/back", "when")]
)
def test_wal_holds_no_cleared_answer_when_person_stops_restarts_or_goes_back(
    chats: Callable[..., Chat], tmp_path: Path, command: str, question: str | None
) -> None:
    db = tmp_path / "crampbot.db"
    chat = chats(f"sqlite:///{db}")
    assert asked(chat.answer(3)) == "duration"
    assert NEEDLE in wal(db)  # so the check below can fail
    if question:
        assert asked(chat.say(command)) == question
    else:
        assert chat.say(command, count=1)[0]["type"] == "message"
    assert NEEDLE not in files(db)  # while the bot still runs
    assert chat.end()[0] == 0


async def test_wal_is_emptied_when_a_reader_that_blocked_forgetting_ends(
    tmp_path: Path, interview: Interview
) -> None:
    db = tmp_path / "crampbot.db"
    store = await SqliteStore.open(str(db))
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        engine = Engine(interview, store)
        await run_interview(engine, KEY, WALKING_ANSWERS)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM conversations").fetchone()  # holds a snapshot
        assert await engine.forget(KEY)
        assert NEEDLE in wal(db)  # the checkpoint had to wait
        reader.execute("COMMIT")
        await asyncio.wait_for(store.checkpointed(), timeout=60)
        assert NEEDLE not in files(db) and KEY.encode() not in files(db)
    finally:
        reader.close()
        await store.close()


def test_database_and_folder_are_private_when_created(
    chats: Callable[..., Chat], tmp_path: Path
) -> None:
    db = tmp_path / "new" / "folder" / "crampbot.db"
    chat = chats(f"sqlite:///{db}")
    assert asked(chat.answer(1)) == "where"
    modes = {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in (db.parent, db, db.with_name("crampbot.db-wal"), db.with_name("crampbot.db-shm"))
    }
    assert chat.end()[0] == 0
    assert modes == {
        "folder": 0o700,
        "crampbot.db": 0o600,
        "crampbot.db-wal": 0o600,
        "crampbot.db-shm": 0o600,
    }


async def test_forget_log_line_names_no_key_when_person_forgets(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await engine.handle(KEY, Incoming(command="start"))
    caplog.clear()
    prompt = (await engine.handle(KEY, Incoming(command="forget")))[-1]
    await engine.handle(KEY, Incoming(choice=("yes",), question="forget", step=prompt.step))  # type: ignore[union-attr]
    assert any("forgotten" in r.getMessage() for r in caplog.records)
    assert not any("987654321" in r.getMessage() for r in caplog.records)
