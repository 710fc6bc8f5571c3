"""The flood gate every chat front end shares: order per person, a backlog, one notice."""

from __future__ import annotations

import asyncio

from bot.platforms.flood import Admission, FloodGate


async def test_excess_is_dropped_with_one_notice_when_a_person_exceeds_the_backlog() -> None:
    gate = FloodGate(backlog=3)
    seen = [gate.admit("pat") for _ in range(10)]
    assert seen == [Admission.RUN] * 3 + [Admission.DROP_AND_TELL] + [Admission.DROP] * 6
    assert gate.admit("sam") is Admission.RUN, "another person is not held back"


async def test_events_run_one_at_a_time_in_arrival_order_when_a_person_sends_several() -> None:
    gate = FloodGate(backlog=5)
    ran: list[int] = []
    release = asyncio.Event()

    async def event(n: int) -> None:
        assert gate.admit("pat") is Admission.RUN
        async with gate.turn("pat"):
            if n == 0:
                await release.wait()  # the first is slow; the rest must wait their turn
            ran.append(n)

    tasks = [asyncio.create_task(event(n)) for n in range(5)]
    await asyncio.sleep(0)
    assert ran == []
    release.set()
    await asyncio.gather(*tasks)
    assert ran == [0, 1, 2, 3, 4]
    assert len(gate) == 0, "nothing is kept once a person's events are done"


async def test_a_new_flood_is_told_again_when_the_backlog_drained_in_between() -> None:
    gate = FloodGate(backlog=1)
    for _ in range(2):
        assert gate.admit("pat") is Admission.RUN
        assert gate.admit("pat") is Admission.DROP_AND_TELL
        assert gate.admit("pat") is Admission.DROP
        async with gate.turn("pat"):
            pass
    assert len(gate) == 0
