"""The retention sweep purges idle conversations on a schedule and stops when asked."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.stores.memory_store import InMemoryStore
from bot.stores.retention import sweep_forever
from dialogs.record import Conversation
from dialogs.store import AuditEntry, ConversationStore
from tests.stores.store_helpers import STORES, sample

DAY = 24 * 3600.0


class StopAfterPurges:
    """A store that passes everything to a real one and sets ``stop`` after ``rounds`` purges."""

    def __init__(self, store: ConversationStore, stop: asyncio.Event, rounds: int) -> None:
        self.store, self.stop, self.rounds = store, stop, rounds
        self.cutoffs: list[float] = []

    async def purge(self, idle_before: float) -> int:
        self.cutoffs.append(idle_before)
        if len(self.cutoffs) >= self.rounds:
            self.stop.set()
        return await self.store.purge(idle_before)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


class FailingFirstPurge(StopAfterPurges):
    """Like its parent, but the first purge fails as an unreachable database would."""

    async def purge(self, idle_before: float) -> int:
        count = await super().purge(idle_before)
        if len(self.cutoffs) == 1:
            raise ConnectionError("database went away")
        return count


class FakeClock:
    """A clock that moves a day forward each time it is read."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += DAY
        return self.now


async def save_idle(store: ConversationStore, ages_in_days: dict[str, float], now: float) -> None:
    for key, age in ages_in_days.items():
        await store.save(sample(key, updated_at=now - age * DAY), 0)


async def keys(store: ConversationStore) -> set[str]:
    records: list[Conversation] = [r async for r in store.scan()]
    return {r.key for r in records}


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_sweep_purges_only_idle_records_when_it_runs_once(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    """One round at day 100 with 30 days retention removes what was idle for longer."""
    now = 100 * DAY
    await save_idle(store, {"telegram:old": 45, "telegram:recent": 3}, now)
    stop = asyncio.Event()
    counting = StopAfterPurges(store, stop, rounds=1)
    with caplog.at_level(logging.INFO, logger="bot.stores.retention"):
        async with asyncio.timeout(10):  # hang guard only
            await sweep_forever(counting, 30 * DAY, stop, interval=0.001, clock=lambda: now)
    assert counting.cutoffs == [70 * DAY]
    assert await keys(store) == {"telegram:recent"}
    assert caplog.messages == ["retention sweep removed 1 conversation(s)"]


async def test_sweep_repeats_until_stopped_when_time_passes() -> None:
    """Each round uses the clock's time, so records age out one by one."""
    store = InMemoryStore()
    now = 100 * DAY
    await save_idle(store, {"telegram:a": 29.5, "telegram:b": 28.5, "telegram:c": 0}, now)
    stop = asyncio.Event()
    counting = StopAfterPurges(store, stop, rounds=2)
    async with asyncio.timeout(10):  # hang guard only
        await sweep_forever(counting, 30 * DAY, stop, interval=0.001, clock=FakeClock(now))
    assert counting.cutoffs == [71 * DAY, 72 * DAY]
    assert await keys(store) == {"telegram:c"}


async def test_sweep_keeps_running_when_a_purge_fails(caplog: pytest.LogCaptureFixture) -> None:
    """A store outage is logged by class and the next round tries again."""
    store = InMemoryStore()
    await save_idle(store, {"telegram:old": 40}, 100 * DAY)
    stop = asyncio.Event()
    failing = FailingFirstPurge(store, stop, rounds=2)
    with caplog.at_level(logging.INFO, logger="bot.stores.retention"):
        async with asyncio.timeout(10):  # hang guard only
            await sweep_forever(failing, 30 * DAY, stop, interval=0.001, clock=lambda: 100 * DAY)
    assert len(failing.cutoffs) == 2
    assert "ConnectionError" in caplog.messages[0]
    assert not any("telegram:" in m for m in caplog.messages)


async def test_sweep_does_nothing_when_stopped_before_start() -> None:
    stop = asyncio.Event()
    stop.set()
    counting = StopAfterPurges(InMemoryStore(), stop, rounds=1)
    await sweep_forever(counting, 30 * DAY, stop)
    assert counting.cutoffs == []


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_sweep_expires_audit_entries_when_they_are_older_than_the_retention(
    store: ConversationStore,
) -> None:
    """The audit trail names people and chats: it is kept no longer than their conversations."""
    now = 100 * DAY
    for age, action in ((45, "forget"), (31, "refused"), (3, "show"), (2, "refused")):
        entry = AuditEntry(now - age * DAY, "telegram:7", "telegram private chat 7", action)
        await store.add_audit(entry)
    stop = asyncio.Event()
    async with asyncio.timeout(10):  # hang guard only
        await sweep_forever(
            StopAfterPurges(store, stop, rounds=1), 30 * DAY, stop, clock=lambda: now
        )
    assert [e.action for e in await store.audit()] == ["show"]
    assert [e.at for e in await store.audit(refused=True)] == [now - 2 * DAY]
