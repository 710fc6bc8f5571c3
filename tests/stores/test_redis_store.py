"""What only the Redis store does: TTLs, index entries of expired records, foreign values."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as redis

from bot.stores.redis_store import PREFIX, RedisStore
from dialogs.record import CorruptRecord
from tests.stores.store_helpers import sample

CONV, UPDATED = PREFIX + "conv:", PREFIX + "updated"


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


async def test_load_and_scan_treat_value_as_corrupt_when_it_is_not_a_hash(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone SET a string over a record: it reads as corrupt instead of crashing."""
    store = await RedisStore.open(redis_url)
    client = redis.Redis.from_url(redis_url)
    try:
        await store.save(sample("telegram:2"), 0)
        await client.set(CONV + "telegram:1", "garbage")
        await client.zadd(UPDATED, {"telegram:1": 50.0})
        with pytest.raises(CorruptRecord):
            await store.load("telegram:1")
        with caplog.at_level(logging.WARNING):
            assert [r.key async for r in store.scan()] == ["telegram:2"]
        assert any("telegram:1" in m for m in caplog.messages)
        assert await store.delete("telegram:1")
    finally:
        await client.aclose()
        await store.close()
