"""What only the SQLite store does: its pragmas and surviving a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stores.sqlite_store import SqliteStore
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
