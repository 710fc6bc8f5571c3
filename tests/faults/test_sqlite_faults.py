"""SQLite locked, full, read-only, corrupt or not ours, under a real ``crampbot chat`` process."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.stores.sqlite_schema import APPLICATION_ID, VERSION
from bot.stores.sqlite_store import SqliteStore
from dialogs.store import StoreBroken
from tests.faults.chat import NOT_SAVED, Chat, asked, no_traceback
from tests.faults.conftest import SmallDisk
from tests.stores.store_helpers import sample


def url(db: Path) -> str:
    return f"sqlite:///{db}"


def one_error(errors: str, *words: str) -> None:
    """Exactly one line on stderr, an error naming the cause and a fix."""
    no_traceback(errors)
    assert errors.count("\n") == 1 and "error" in errors.lower(), errors
    assert "CRAMPBOT_STORE" in errors and "fix:" in errors, errors
    assert all(w in errors for w in words), errors


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_answer_is_asked_again_and_kept_when_another_connection_holds_the_write_lock(
    chats: Callable[..., Chat],
    tmp_path: Path,
) -> None:
    db = tmp_path / "crampbot.db"
    chat = chats(url(db))
    assert asked(chat.answer(2)) == "when"
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert chat.say("walking_relieved") == [{"type": "error", "text": NOT_SAVED}]
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert asked(chat.say("walking_relieved")) == "duration"
    code, errors = chat.end()
    assert code == 0
    one_error(errors, "locked")


async def test_other_people_are_served_when_one_save_waits_for_a_lock(tmp_path: Path) -> None:
    db = tmp_path / "crampbot.db"
    store = await SqliteStore.open(str(db))
    await store.save(sample("telegram:2"), 0)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        waiting = asyncio.create_task(store.save(sample("telegram:1"), 0))
        await asyncio.sleep(0)
        assert await store.load("telegram:2") == sample("telegram:2")
        assert not waiting.done()  # the loop served someone else meanwhile
    finally:
        other.execute("ROLLBACK")
        other.close()
    try:
        assert await waiting
        assert await store.load("telegram:1") == sample("telegram:1")
    finally:
        await store.close()


def test_answer_is_asked_again_and_kept_when_the_disk_is_full(
    chats: Callable[..., Chat], small_disk: SmallDisk
) -> None:
    db = small_disk.where / "crampbot.db"
    chat = chats(url(db))
    assert asked(chat.answer(2)) == "when"
    filler = small_disk.fill()
    try:
        assert chat.say("walking_relieved") == [{"type": "error", "text": NOT_SAVED}]
    finally:
        filler.unlink()
    assert asked(chat.say("walking_relieved")) == "duration"
    code, errors = chat.end()
    assert code == 0
    one_error(errors, "free")


def test_chat_exits_2_with_one_line_when_the_database_is_read_only(
    chats: Callable[..., Chat],
    small_disk: SmallDisk,
) -> None:
    db = small_disk.where / "crampbot.db"
    chat = chats(url(db))
    assert asked(chat.answer(1)) == "where"
    assert chat.end()[0] == 0
    before = digest(db)
    small_disk.remount("ro")
    chat = chats(url(db))
    code, errors = chat.end()
    assert code == 2 and chat.opening == []
    one_error(errors, "writable")
    assert digest(db) == before


async def corrupt_conversations(db: Path) -> None:
    """A database with many conversations whose table's root page is overwritten."""
    store = await SqliteStore.open(str(db))
    for n in range(300):
        await store.save(sample(f"telegram:{n}"), 0)
    await store.close()
    with sqlite3.connect(db) as plain:
        page_size = plain.execute("PRAGMA page_size").fetchone()[0]
        (root,) = plain.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'conversations'"
        ).fetchone()
    plain.close()
    with db.open("r+b") as raw:
        raw.seek((root - 1) * page_size)
        raw.write(b"\xa5" * page_size)


async def test_chat_exits_2_with_one_line_when_a_page_is_corrupt(
    chats: Callable[..., Chat], tmp_path: Path
) -> None:
    db = tmp_path / "crampbot.db"
    await corrupt_conversations(db)
    chat = chats(url(db))
    code, errors = chat.end()
    assert code == 2 and chat.opening == []
    one_error(errors, "damaged", "backup")


async def test_store_trips_its_breaker_when_a_page_is_corrupt(tmp_path: Path) -> None:
    db = tmp_path / "crampbot.db"
    await corrupt_conversations(db)
    store = await SqliteStore.open(str(db))
    try:
        with pytest.raises(StoreBroken, match="damaged"):
            await store.load("telegram:7")
        assert isinstance(store.breaker.error, StoreBroken)
    finally:
        await store.close()


FOREIGN = {
    "other columns": "CREATE TABLE conversations (key TEXT PRIMARY KEY, state TEXT);",
    "other audit": (
        "CREATE TABLE conversations (key TEXT PRIMARY KEY, version INTEGER NOT NULL,"
        " updated_at REAL NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;"
        " CREATE TABLE audit (id INTEGER PRIMARY KEY, happened REAL, what TEXT);"
    ),
    "other program": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
    "newer crampbot": f"PRAGMA application_id={APPLICATION_ID}; PRAGMA user_version={VERSION + 1};"
    " CREATE TABLE conversations (key TEXT PRIMARY KEY, data BLOB);",
}


@pytest.mark.parametrize("schema", FOREIGN.values(), ids=FOREIGN.keys())
def test_file_is_left_untouched_and_chat_exits_2_when_the_schema_is_not_ours(
    chats: Callable[..., Chat], tmp_path: Path, schema: str
) -> None:
    db = tmp_path / "theirs.db"
    with sqlite3.connect(db) as theirs:
        theirs.executescript(schema)
    theirs.close()
    before = digest(db)
    chat = chats(url(db))
    code, errors = chat.end()
    assert code == 2 and chat.opening == []
    one_error(errors, "theirs.db")
    assert digest(db) == before
    assert not db.with_name("theirs.db-wal").exists()


def test_conversation_is_kept_when_a_file_of_schema_version_0_is_migrated(
    chats: Callable[..., Chat],
    tmp_path: Path,
) -> None:
    db = tmp_path / "crampbot.db"
    chat = chats(url(db))
    assert asked(chat.answer(2)) == "when"
    assert chat.end()[0] == 0
    with sqlite3.connect(db) as plain:  # as written before schema versions existed
        plain.execute("PRAGMA application_id=0")
        plain.execute("PRAGMA user_version=0")
        plain.execute("DROP INDEX conversations_updated_at")
        plain.execute("DROP TABLE meta")  # added by schema version 2
    plain.close()
    chat = chats(url(db))
    assert asked(chat.opening) == "when"
    assert asked(chat.say("walking_relieved")) == "duration"
    code, errors = chat.end()
    assert (code, errors) == (0, "")
    with sqlite3.connect(db) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert plain.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        indexes = plain.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    plain.close()
    assert ("conversations_updated_at",) in indexes
