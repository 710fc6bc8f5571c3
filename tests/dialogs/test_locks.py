"""Per-key locks: one holder at a time, and nothing left behind."""

from __future__ import annotations

import asyncio

from dialogs.locks import KeyLocks


async def test_holders_of_one_key_take_turns_when_concurrent() -> None:
    locks = KeyLocks()
    inside, most = 0, 0

    async def work() -> None:
        nonlocal inside, most
        async with locks.hold("k"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(work() for _ in range(20)))
    assert most == 1 and len(locks) == 0


async def test_lock_is_forgotten_when_a_waiter_is_cancelled() -> None:
    locks = KeyLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    release.set()
    await first
    assert len(locks) == 0


async def test_lock_is_released_when_the_block_raises() -> None:
    locks = KeyLocks()
    try:
        async with locks.hold("k"):
            raise ValueError("boom")
    except ValueError:
        pass
    async with locks.hold("k"):
        pass
    assert len(locks) == 0
