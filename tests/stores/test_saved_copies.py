"""What both shared stores (SQLite, Redis) must get right about the copies they keep of
the records they saved: a copy never stands for a record rebuilt by another process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.stores import open_store
from dialogs import ConversationStore, Engine, Interview
from tests.stores.store_helpers import KEY, answer, start


@pytest.fixture(params=["sqlite", "redis"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crampbot.db'}"
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
async def stores(url: str) -> AsyncIterator[tuple[ConversationStore, ConversationStore]]:
    """Two processes' stores on one file or database (each with its own saved records)."""
    pair = (await open_store(url), await open_store(url))
    try:
        yield pair
    finally:
        for store in pair:
            await store.close()


async def test_cached_record_is_not_used_when_deleted_and_rebuilt_to_its_version_elsewhere(
    stores: tuple[ConversationStore, ConversationStore], interview: Interview
) -> None:
    """The version alone would match (ABA): the stamp of each Redis save, or the row's
    text in SQLite, tells the copies apart."""
    a, b = Engine(interview, stores[0]), Engine(interview, stores[1])
    where = await answer(a, await start(a), "none")
    await answer(a, where, "calf")  # A holds version 3, where=calf
    assert await b.forget(KEY)
    where_again = await answer(b, await start(b), "none")
    when = await answer(b, where_again, "thigh")  # B rebuilt version 3, where=thigh
    assert when.step == 3
    await answer(a, when, "night")
    record = await stores[1].load(KEY)
    assert record is not None
    assert record.answers["where"] == "thigh" and record.answers["when"] == "night"
