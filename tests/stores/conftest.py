"""Store fixtures: one ``store`` fixture parametrised by name (memory, sqlite, redis).

Tests choose stores with ``pytest.mark.parametrize("store", STORES, indirect=True)``.
``corrupt`` hand-edits a stored record into garbage the way an accident would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.stores import open_store
from bot.stores.memory_store import InMemoryStore
from bot.stores.redis_store import PREFIX, RedisStore
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.store import ConversationStore
from tests.stores.store_helpers import Corrupt


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the store named by the test's ``store`` parameter."""
    name = request.node.callspec.params["store"]
    if name == "memory":
        return "memory://"
    if name == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'crampbot.db'}"
    if name == "redis":
        return str(request.getfixturevalue("redis_url"))
    raise ValueError(f"unknown store {name!r}")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[ConversationStore]:
    """A fresh, empty store of the kind the test's parameter names, opened by its URL."""
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def second_store(
    store: ConversationStore, store_url: str
) -> AsyncIterator[ConversationStore]:
    """Another client on the same database (the same object for the in-memory store)."""
    if store_url.startswith("memory://"):
        yield store
        return
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def make_engine(interview: Interview) -> Callable[[ConversationStore], Engine]:
    """Build an Engine on a given store (several engines may share one database)."""
    return lambda store: Engine(interview, store)


@pytest.fixture
def corrupt(store_url: str) -> Corrupt:
    """Overwrite ``key``'s stored record with garbage, bypassing the store's own code, and
    let ``store`` forget its own copy (as a process that did not save it last finds it)."""

    async def run(store: ConversationStore, key: str) -> None:
        if isinstance(store, InMemoryStore | RedisStore):
            store.saved.drop(key)
        if isinstance(store, InMemoryStore):
            version, updated, _ = store._rows[key]
            store._rows[key] = (version, updated, "{not json")
        elif store_url.startswith("sqlite:///"):
            db = sqlite3.connect(store_url.removeprefix("sqlite:///"))
            with db:
                db.execute("UPDATE conversations SET data = '{not json' WHERE key = ?", (key,))
            db.close()
        else:
            client = redis.Redis.from_url(store_url)
            try:
                await client.hset(PREFIX + "conv:" + key, "data", "{not json")
            finally:
                await client.aclose()

    return run
