"""What only the SQLite store does: its pragmas and surviving a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.stores.sqlite_store import UPDATED_AT_STEP, SqliteStore
from dialogs.store import StoreBroken
from tests.stores.store_helpers import sample


async def test_sqlite_uses_wal_and_secure_delete_when_opened(tmp_path: Path) -> None:
    store = await SqliteStore.open(str(tmp_path / "x.db"))
    try:
        pragmas = [
            store._db.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "secure_delete", "synchronous", "busy_timeout")
        ]
    finally:
        await store.close()
    assert pragmas[:3] == ["wal", 1, 1]  # synchronous 1 is NORMAL
    assert pragmas[3] == 0  # SQLite never blocks the loop on a lock: the store retries itself


async def test_sqlite_keeps_records_when_reopened(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    store = await SqliteStore.open(path)
    await store.save(sample(), 0)
    await store.close()
    store = await SqliteStore.open(path)
    try:
        assert await store.load("telegram:1") == sample()
    finally:
        await store.close()


async def test_sqlite_refuses_when_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreBroken, match="CRAMPBOT_STORE"):
        await SqliteStore.open(str(path))


def test_sqlite_has_the_json_functions_that_note_where_a_question_is_shown() -> None:
    """``note_shown`` is one UPDATE with json_set/json_extract (built into SQLite since
    3.38, and into Debian's before): they exist here, keep other numbers' digits as
    written, and a guard keeps them off text that is not JSON (they would raise)."""
    db = sqlite3.connect(":memory:")
    row = db.execute(
        "SELECT json_set(?, '$.shown', 'm', '$.shown_step', 3), json_extract(?, '$.asked'),"
        " CASE WHEN json_valid('{not json') THEN json_extract('{not json', '$.asked') END",
        ('{"updated_at":1712345678.1234567,"shown":null}', '{"asked":3}'),
    ).fetchone()
    db.close()
    assert row == ('{"updated_at":1712345678.1234567,"shown":"m","shown_step":3}', 3, None)


async def test_updated_at_column_moves_only_when_a_save_enters_another_step(
    tmp_path: Path,
) -> None:
    """Saves within one :data:`UPDATED_AT_STEP` leave the column (and its index) alone."""
    store = await SqliteStore.open(str(tmp_path / "x.db"))
    ran: list[str] = []
    store._db.set_trace_callback(ran.append)
    column = "SELECT updated_at FROM conversations WHERE key = 'telegram:1'"
    try:
        await store.save(sample(updated_at=1000.0), 0)
        first = store._db.execute(column).fetchone()[0]
        assert await store.save(sample(updated_at=1010.0, version=2), 1)
        same = store._db.execute(column).fetchone()[0]
        assert await store.save(sample(updated_at=1000.0 + UPDATED_AT_STEP, version=3), 2)
        moved = store._db.execute(column).fetchone()[0]
    finally:
        await store.close()
    assert first == same == 900.0 and moved == 1200.0
    sets = [sql.partition(" WHERE ")[0] for sql in ran if sql.startswith("UPDATE")]
    assert len(sets) == 2
    assert "updated_at =" not in sets[0] and "updated_at =" in sets[1]


async def test_purge_goes_by_the_records_own_time_when_the_column_lags(tmp_path: Path) -> None:
    """A record saved again within its step keeps an older column time: the purge still
    keeps it until its own last save is past the cut-off."""
    store = await SqliteStore.open(str(tmp_path / "x.db"))
    try:
        await store.save(sample(updated_at=1000.0), 0)
        assert await store.save(sample(updated_at=1090.0, version=2), 1)
        assert await store.purge(1050.0) == 0
        assert await store.load("telegram:1") is not None
        assert await store.purge(1091.0) == 1
    finally:
        await store.close()
