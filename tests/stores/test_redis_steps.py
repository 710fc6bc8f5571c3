"""The Redis store's step path: one round trip when this process saved the record last,
stale copies caught by the stamped compare-and-set, fresh reads for display; and the key
prefix that lets two bots share one Redis database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from bot.stores.redis_store import RedisStore
from dialogs import AuditEntry, Engine, Incoming, Interview, Message
from tests.stores.store_helpers import KEY, answer, sample, start


class Counting(redis.Connection):
    """Counts what the client sends: one send is one round trip."""

    sent = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        Counting.sent += 1
        await super().send_packed_command(command, check_health)


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    """Two processes' stores on one database (each with its own saved records)."""
    first = await RedisStore.open(redis_url, connection_class=Counting)
    second = await RedisStore.open(redis_url, connection_class=Counting)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def trips(call: Any) -> tuple[int, Any]:
    """Round trips made by awaiting ``call``, and its result."""
    before = Counting.sent
    result = await call
    return Counting.sent - before, result


async def test_step_costs_one_round_trip_when_this_process_saved_the_record_last(
    stores: tuple[RedisStore, RedisStore], interview: Interview
) -> None:
    engine = Engine(interview, stores[0])
    first = await start(engine)
    where = await answer(engine, first, "none")
    await engine.shown(KEY, "m0", where.step)  # Redis learns the script
    made, when = await trips(answer(engine, where, "calf"))
    assert made == 1 and when.id == "when", "the saved copy followed the note"
    made, _ = await trips(engine.shown(KEY, "m1", when.step))
    assert made == 1
    made, replies = await trips(engine.handle(KEY, Incoming(text="at night")))
    assert made == 1
    assert replies[0] == Message(
        text="At night or in bed", kind="answered", question="when", previous="m1"
    )


async def test_step_applies_to_the_fresh_record_when_another_process_saved_since(
    stores: tuple[RedisStore, RedisStore], interview: Interview
) -> None:
    """A's copy is stale after B's step: on it the press looks stale and saves nothing,
    so A works it out again on a fresh load, and applies it."""
    a, b = Engine(interview, stores[0]), Engine(interview, stores[1])
    where = await answer(a, await start(a), "none")
    when = await answer(b, where, "calf")
    made, duration = await trips(answer(a, when, "night"))
    assert duration.id == "duration"
    assert made == 2  # a fresh load, the save
    record = await stores[1].load(KEY)
    assert record is not None
    assert dict(record.answers) == {"red_flags": ("none",), "where": "calf", "when": "night"}


async def test_save_retries_on_a_fresh_load_when_another_process_saved_since(
    stores: tuple[RedisStore, RedisStore], interview: Interview
) -> None:
    """On A's stale copy the event saves: the compare-and-set fails, A reloads and retries."""
    a, b = Engine(interview, stores[0]), Engine(interview, stores[1])
    where = await answer(a, await start(a), "none")
    await answer(b, where, "calf")
    made, _ = await trips(a.handle(KEY, Incoming(command="restart")))
    assert made == 3  # the failed save, a fresh load, the save
    record = await stores[1].load(KEY)
    assert record is not None and record.version == 4 and record.answers == {}


async def test_display_load_is_fresh_when_another_process_saved_since(
    stores: tuple[RedisStore, RedisStore],
) -> None:
    a, b = stores
    await a.save(sample(KEY), 0)
    newer = sample(KEY, updated_at=2000.0, version=2)
    assert await b.save(newer, 1)
    loaded = await a.load(KEY)
    assert loaded is not None and loaded.version == 2
    assert (await a.load(KEY, cached=True)) == loaded  # and the copy is fresh again


async def test_saved_records_are_dropped_when_deleted_or_purged(
    stores: tuple[RedisStore, RedisStore],
) -> None:
    store = stores[0]
    await store.save(sample("telegram:1"), 0)
    await store.save(sample("telegram:2", updated_at=5000.0), 0)
    assert len(store.saved) == 2
    await store.delete("telegram:1")
    assert await store.load("telegram:1", cached=True) is None
    await store.purge(10_000.0)
    assert len(store.saved) == 0 and await store.load("telegram:2", cached=True) is None


async def test_stores_do_not_see_each_other_when_their_prefixes_differ(redis_url: str) -> None:
    """Two bots on one database: records, index, audit, meta and leases stay apart."""
    eu = await RedisStore.open(redis_url, prefix="cramps-eu")
    us = await RedisStore.open(redis_url, prefix="cramps-us:")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert (eu.prefix, us.prefix) == ("cramps-eu:", "cramps-us:")
        await eu.save(sample("telegram:1", updated_at=100.0), 0)
        await eu.save(sample("telegram:2", updated_at=100.0), 0)
        await us.save(sample("telegram:1", updated_at=100.0, version=1), 0)
        for store in (eu, us):
            await store.add_audit(
                AuditEntry(100.0, "telegram:1", store.prefix, "show", "telegram:1")
            )
        await eu.set_meta("commands", "eu")
        assert await eu.lease("sweep", "eu-host", 30)
        assert await us.lease("sweep", "us-host", 30)

        assert await us.get_meta("commands") is None
        assert (await eu.count(), await us.count()) == (2, 1)
        assert sorted([r.key async for r in eu.scan()]) == ["telegram:1", "telegram:2"]
        assert [r.key async for r in us.scan()] == ["telegram:1"]
        assert [e.origin for e in await us.audit()] == ["cramps-us:"]

        assert await us.delete("telegram:1")
        assert await eu.load("telegram:1") is not None
        assert [e.origin for e in await eu.audit()] == ["cramps-eu:"]
        assert await eu.purge(1000.0) == 2
        assert await us.count() == 0 and await eu.count() == 0
        keys = await client.keys("*")
        assert keys and all(k.startswith(("cramps-eu:", "cramps-us:")) for k in keys), keys
    finally:
        await client.aclose()
        await eu.close()
        await us.close()


@pytest.mark.parametrize("prefix", ["", "two words:"])
async def test_store_refuses_prefix_when_it_is_not_a_key_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="without spaces"):
        RedisStore(redis.Redis(), prefix=prefix)


async def test_note_shown_reads_what_is_asked_from_the_data_when_saved_before_that_field(
    stores: tuple[RedisStore, RedisStore], redis_url: str
) -> None:
    """A record saved by an older version has no ``asked`` field: the note reads the data
    (never re-encoding it), and a load takes the noted fields over the data's copy."""
    record = sample(KEY)
    record.asked = 1
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        name = stores[0].prefix + "conv:" + KEY
        await client.hset(name, mapping={"version": 1, "data": record.to_json()})
        assert not await stores[0].note_shown(KEY, 2, "42:7")
        assert await stores[0].note_shown(KEY, 1, "42:7")
        assert await client.hget(name, "data") == record.to_json()
    finally:
        await client.aclose()
    loaded = await stores[1].load(KEY)
    assert loaded is not None and (loaded.shown, loaded.shown_step) == ("42:7", 1)
