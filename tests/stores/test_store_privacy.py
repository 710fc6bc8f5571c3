"""Forgetting a person really removes them: no key or answer left in the files or in Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.stores.sqlite_store import SqliteStore
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.store import AuditEntry, ConversationStore
from dialogs.types import Incoming, Question
from tests.stores.store_helpers import WALKING_ANSWERS, run_interview, sample

KEY = "telegram:987654321"
NEEDLES = (b"987654321", b"walking_relieved")


async def forget(engine: Engine, how: str) -> None:
    """Delete the person's data the way an operator or the person would."""
    if how == "operator":
        assert await engine.forget(KEY)
        return
    prompt = (await engine.handle(KEY, Incoming(command="forget")))[-1]
    assert isinstance(prompt, Question) and prompt.id == "forget"
    await engine.handle(KEY, Incoming(choice=("yes",), question="forget", step=prompt.step))
    assert await engine.store.load(KEY) is None


async def audit_about(store: ConversationStore) -> None:
    """Operator actions that name the person, as key and as actor."""
    await store.add_audit(AuditEntry(1.0, "telegram:42", "telegram dm", "restart", KEY, "done"))
    await store.add_audit(AuditEntry(2.0, KEY, "telegram group", "refused", "", "not an operator"))


async def fill(store: ConversationStore, start: int, count: int) -> None:
    """Other people's conversations, so the target's record shares pages with theirs."""
    for n in range(start, start + count):
        await store.save(sample(f"telegram:{n}"), 0)


def file_bytes(db: Path) -> bytes:
    parts = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@pytest.mark.parametrize("how", ["operator", "person"])
async def test_sqlite_files_hold_no_trace_when_person_is_forgotten(
    tmp_path: Path, interview: Interview, how: str
) -> None:
    """secure_delete zeroes the rows and the TRUNCATE checkpoint empties the WAL."""
    db = tmp_path / "crampbot.db"
    store = await SqliteStore.open(str(db))
    try:
        engine = Engine(interview, store)
        await fill(store, 0, 1500)
        await run_interview(engine, KEY, WALKING_ANSWERS)
        await audit_about(store)
        await fill(store, 1500, 1500)
        before = file_bytes(db)
        assert all(n in before for n in NEEDLES)  # so the check below can fail
        await forget(engine, how)
        leftovers = file_bytes(db)
    finally:
        await store.close()
    assert [n for n in NEEDLES if n in leftovers] == []
    assert [n for n in NEEDLES if n in file_bytes(db)] == []


async def redis_dump(url: str) -> bytes:
    """Every key name and value in the database, read back by type."""
    client = redis.Redis.from_url(url)
    chunks: list[bytes] = []
    try:
        async for name in client.scan_iter(count=1000):
            kind = (await client.type(name)).decode()
            if kind == "string":
                value: object = await client.get(name)
            elif kind == "hash":
                value = await client.hgetall(name)
            elif kind == "list":
                value = await client.lrange(name, 0, -1)
            elif kind == "zset":
                value = await client.zrange(name, 0, -1, withscores=True)
            else:
                value = await client.smembers(name)
            chunks.append(name + repr(value).encode())
    finally:
        await client.aclose()
    return b"".join(chunks)


@pytest.mark.parametrize("store", ["redis"], indirect=True)
@pytest.mark.parametrize("how", ["operator", "person"])
async def test_redis_holds_no_trace_when_person_is_forgotten(
    store: ConversationStore, store_url: str, interview: Interview, how: str
) -> None:
    """The record and its index entry go, and the audit log no longer names the person."""
    engine = Engine(interview, store)
    await fill(store, 0, 200)
    await run_interview(engine, KEY, WALKING_ANSWERS)
    await audit_about(store)
    before = await redis_dump(store_url)
    assert all(n in before for n in NEEDLES)  # so the check below can fail
    await forget(engine, how)
    leftovers = await redis_dump(store_url)
    assert [n for n in NEEDLES if n in leftovers] == []
    assert b"telegram:199" in leftovers
