"""The SQLite store's step path: one statement when this process saw the record last
(saved or noted), stale copies caught by the compare-and-set on the row's text, fresh
reads for display."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.stores.sqlite_store import SqliteStore
from dialogs import Engine, Incoming, Interview, Message
from tests.stores.store_helpers import KEY, answer, sample, start


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    """Two processes' stores on one file (each with its own saved records)."""
    path = str(tmp_path / "crampbot.db")
    first, second = await SqliteStore.open(path), await SqliteStore.open(path)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def statements(store: SqliteStore, call: Any) -> tuple[list[str], Any]:
    """The first word of each SQL statement ``store`` ran while awaiting ``call``, and its result."""
    ran: list[str] = []
    store._db.set_trace_callback(lambda sql: ran.append(sql.split()[0]))
    try:
        result = await call
    finally:
        store._db.set_trace_callback(None)
    return ran, result


async def test_step_is_one_update_when_this_process_saved_and_noted_the_record_last(
    stores: tuple[SqliteStore, SqliteStore], interview: Interview
) -> None:
    store = stores[0]
    engine = Engine(interview, store)
    where = await answer(engine, await start(engine), "none")
    ran, _ = await statements(store, engine.shown(KEY, "m0", where.step))
    assert ran == ["UPDATE"]
    ran, when = await statements(store, answer(engine, where, "calf"))
    assert ran == ["UPDATE"] and when.id == "when", "the saved copy followed the note"
    await engine.shown(KEY, "m1", when.step)
    ran, replies = await statements(store, engine.handle(KEY, Incoming(text="at night")))
    assert ran == ["UPDATE"]
    assert replies[0] == Message(
        text="At night or in bed", kind="answered", question="when", previous="m1"
    )


async def test_step_applies_to_the_fresh_record_when_another_process_saved_since(
    stores: tuple[SqliteStore, SqliteStore], interview: Interview
) -> None:
    """A's copy is stale after B's step: on it the press looks stale and saves nothing,
    so A works it out again on a fresh load, and applies it."""
    a, b = Engine(interview, stores[0]), Engine(interview, stores[1])
    where = await answer(a, await start(a), "none")
    when = await answer(b, where, "calf")
    ran, duration = await statements(stores[0], answer(a, when, "night"))
    assert duration.id == "duration"
    assert ran == ["SELECT", "UPDATE"]  # a fresh load, the save
    record = await stores[1].load(KEY)
    assert record is not None
    assert dict(record.answers) == {"red_flags": ("none",), "where": "calf", "when": "night"}


async def test_save_fails_on_a_copy_noted_elsewhere_since_and_retries_fresh(
    stores: tuple[SqliteStore, SqliteStore], interview: Interview
) -> None:
    """B notes where A's question is shown: the row's text changed, not its version, so
    A's save on its copy fails, and A retries on a fresh load that knows the note."""
    a = Engine(interview, stores[0])
    where = await answer(a, await start(a), "none")
    assert await stores[1].note_shown(KEY, where.step, "m9")
    ran, replies = await statements(stores[0], a.handle(KEY, Incoming(text="calf")))
    assert ran == ["UPDATE", "SELECT", "UPDATE"]  # the failed save, a fresh load, the save
    assert replies[0] == Message(text="Calf", kind="answered", question="where", previous="m9")


async def test_display_load_is_fresh_when_another_process_saved_since(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    a, b = stores
    await a.save(sample(KEY), 0)
    newer = sample(KEY, version=2)
    newer.state = "where"
    assert await b.save(newer, 1)
    record = await a.load(KEY)
    assert record is not None and record.state == "where"
