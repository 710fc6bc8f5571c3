"""The retention sweep purges idle conversations on a schedule and stops when asked; processes
sharing a store take turns through its lease."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

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
            await sweep_forever(counting, 30 * DAY, stop, "a", interval=0.001, clock=lambda: now)
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
        await sweep_forever(counting, 30 * DAY, stop, "a", interval=0.001, clock=FakeClock(now))
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
            await sweep_forever(
                failing, 30 * DAY, stop, "a", interval=0.001, clock=lambda: 100 * DAY
            )
    assert len(failing.cutoffs) == 2
    assert "ConnectionError" in caplog.messages[0]
    assert not any("telegram:" in m for m in caplog.messages)


async def test_sweep_does_nothing_when_stopped_before_start() -> None:
    stop = asyncio.Event()
    stop.set()
    counting = StopAfterPurges(InMemoryStore(), stop, rounds=1)
    await sweep_forever(counting, 30 * DAY, stop, "a")
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
            StopAfterPurges(store, stop, rounds=1), 30 * DAY, stop, "a", clock=lambda: now
        )
    assert [e.action for e in await store.audit()] == ["show"]
    assert [e.at for e in await store.audit(refused=True)] == [now - 2 * DAY]


class Sweeper:
    """One process's view of a shared store: counts its lease attempts and its purges."""

    def __init__(self, store: ConversationStore, holder: str) -> None:
        self.store, self.holder = store, holder
        self.leases = self.purges = 0
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        self.leases += 1
        return await self.store.lease(name, holder, seconds)

    async def purge(self, idle_before: float) -> int:
        self.purges += 1
        return await self.store.purge(idle_before)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def start(self) -> None:
        """Sweep every few milliseconds, holding the lease for a minute per round."""
        sweep = sweep_forever(
            self,
            30 * DAY,
            self.stop,
            self.holder,
            interval=0.002,
            lease_seconds=60,  # type: ignore[arg-type]
        )
        self.task = asyncio.create_task(sweep)

    async def end(self) -> None:
        self.stop.set()
        assert self.task is not None
        await self.task


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):  # hang guard only
        while not condition():
            await asyncio.sleep(0.001)


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_one_process_sweeps_and_another_takes_over_when_the_holder_stops(
    store: ConversationStore, second_store: ConversationStore
) -> None:
    """Two processes on one store: only the lease holder purges; when it stops, the other does."""
    first, second = Sweeper(store, "host:1:aaaaaa"), Sweeper(second_store, "host:2:bbbbbb")
    try:
        first.start()
        await until(lambda: first.purges >= 1)
        second.start()
        await until(lambda: second.leases >= 3)
        assert second.purges == 0, "a process without the lease skips its rounds"
        assert first.purges >= 2, "the holder renews its lease and keeps sweeping"
        await first.end()
        purged = first.purges
        await save_idle(store, {"telegram:old": 45}, time.time())
        begun = second.purges  # a round begun before the save may have missed the record
        await until(lambda: second.purges > begun)
        await until(lambda: second.purges > begun + 1)  # so one round began after it, and ended
        assert await keys(store) == set(), "the other process swept once the holder stopped"
        await second.end()
        assert first.purges == purged
    finally:  # a failed check must not leave sweeps running against a closing store
        for sweeper in (first, second):
            sweeper.stop.set()
            if sweeper.task is not None:
                await asyncio.gather(sweeper.task, return_exceptions=True)


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_another_process_sweeps_when_the_holders_lease_expires_after_it_died(
    store: ConversationStore, second_store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A killed holder never gives its lease up: the others wait for it to expire."""
    await save_idle(store, {"telegram:old": 45}, time.time())
    assert await store.lease("retention", "host:1:dead00", 60)
    survivor = Sweeper(second_store, "host:2:bbbbbb")
    with caplog.at_level(logging.DEBUG, logger="bot.stores.retention"):
        survivor.start()
        await until(lambda: survivor.leases >= 3)
        assert survivor.purges == 0 and await keys(store) == {"telegram:old"}
        assert "retention sweep skipped: another process holds its lease" in caplog.messages
        assert await store.lease("retention", "host:1:dead00", 0.05), "its last renewal"
        await until(lambda: survivor.purges >= 1)
        await survivor.end()
    assert await keys(store) == set()
    assert await store.lease("retention", "host:3:cccccc", 60), "given up when stopped"
