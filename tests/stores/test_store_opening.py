"""Opening stores by URL: bad URLs and unusable places fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.stores import open_store
from bot.stores.redis_store import CONV, UPDATED, RedisStore
from bot.stores.sqlite_store import SqliteStore
from dialogs.store import StoreUnavailable
from tests.stores.store_helpers import sample


@pytest.mark.parametrize(
    "url",
    [
        "postgres://localhost/x",
        "redis://127.0.0.1:1/0",
        "redis://127.0.0.1:notaport/0",
        "sqlite:///{tmp}/a_file/crampbot.db",
        "sqlite:///{tmp}",
    ],
    ids=[
        "unknown-scheme",
        "redis-unreachable",
        "redis-bad-port",
        "sqlite-under-file",
        "sqlite-dir",
    ],
)
async def test_open_store_raises_one_line_naming_setting_when_store_is_unusable(
    tmp_path: Path, url: str
) -> None:
    """The CLI prints this message and exits 2, so it must name CRAMPBOT_STORE on one line."""
    (tmp_path / "a_file").write_text("not a directory")
    with pytest.raises(StoreUnavailable) as caught:
        store = await open_store(url.format(tmp=tmp_path))
        await store.close()
    message = str(caught.value)
    assert message.startswith("CRAMPBOT_STORE")
    assert "\n" not in message


async def test_redis_error_hides_password_when_url_has_one() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await open_store("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in str(caught.value)


async def test_sqlite_creates_directories_when_parent_is_missing(tmp_path: Path) -> None:
    db = tmp_path / "a" / "b" / "crampbot.db"
    store = await open_store(f"sqlite:///{db}")
    await store.close()
    assert db.exists()


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
    assert pragmas[3] > 0


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
    with pytest.raises(StoreUnavailable, match="CRAMPBOT_STORE"):
        await SqliteStore.open(str(path))


async def test_redis_record_expires_after_retention_when_saved(redis_url: str) -> None:
    """Redis drops idle records itself: each save sets a TTL of the retention."""
    store = await RedisStore.open(redis_url, retention_seconds=1234)
    client = redis.Redis.from_url(redis_url)
    try:
        await store.save(sample(), 0)
        ttl = await client.ttl(CONV + "telegram:1")
    finally:
        await client.aclose()
        await store.close()
    assert 0 < ttl <= 1234


async def test_redis_scan_and_purge_ignore_index_entry_when_record_expired(redis_url: str) -> None:
    """An index member whose record Redis already expired is skipped and then cleaned up."""
    store = await RedisStore.open(redis_url)
    client = redis.Redis.from_url(redis_url)
    try:
        await store.save(sample("telegram:2", updated_at=100.0), 0)
        await client.zadd(UPDATED, {"telegram:1": 50.0})
        assert [r.key async for r in store.scan()] == ["telegram:2"]
        assert await store.purge(200.0) == 1
        assert await client.zcard(UPDATED) == 0
    finally:
        await client.aclose()
        await store.close()
