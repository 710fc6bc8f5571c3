"""Shared by the chat-platform benchmarks: two sides measured in turns, and their ratios."""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
from collections.abc import Sequence
from typing import Protocol


class Side(Protocol):
    """One bot under measurement; ``step`` handles its next event, timed, ``False`` when done."""

    wall: float
    cpu: float
    count: int

    async def step(self) -> bool: ...


def per_second(side: Side) -> float:
    return side.count / side.wall


def cpu_us(side: Side) -> float:
    """CPU microseconds per event."""
    return side.cpu / side.count * 1e6


BLOCK = 16
"""Events each side handles in a row before the next side's turn."""


SETTLE = 20
"""Event-loop turns given to a side's leftover work after its block."""


async def interleave(sides: Sequence[Side], guard: float = 600.0, block: int = BLOCK) -> None:
    """``block`` events of each side in turn, so all meet the same noise from the machine.

    A side can slow down the one stepped after it: two identical copies of our
    bot measured 0.92-0.93 of each other when one always came right after the bare
    discord.py client. So the order of the sides is shuffled on every pass (each
    follows each other about equally often), and each side pays for its own
    leftovers: after its block, the callbacks it left on the event loop run
    (:data:`SETTLE` turns) and its young garbage is collected (the automatic
    collector is off meanwhile), both timed into it. ``guard`` only stops a hung
    run; nothing is judged by time here.
    """
    gc.collect()
    running = list(sides)
    order = random.Random(len(sides))
    gc.disable()
    try:
        async with asyncio.timeout(guard):
            while running:
                order.shuffle(running)
                still = []
                for side in running:
                    done = False
                    for _ in range(block):
                        if not await side.step():
                            done = True
                            break
                    await _settle(side)
                    if not done:
                        still.append(side)
                running = still
    finally:
        gc.enable()


async def _settle(side: Side) -> None:
    """Run what ``side`` left on the loop and collect its young garbage, timed into it."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(SETTLE):
        await asyncio.sleep(0)
    gc.collect(1)
    side.wall += time.perf_counter() - wall
    side.cpu += time.process_time() - cpu


def ratios(rounds: Sequence[tuple[Side, Side]]) -> tuple[list[float], list[float]]:
    """Per-round wall and CPU throughput ratios of the first side to the second."""
    wall = [per_second(first) / per_second(second) for first, second in rounds]
    cpu = [cpu_us(second) / cpu_us(first) for first, second in rounds]
    return wall, cpu


def print_ratios(rounds: Sequence[tuple[Side, Side]], goal: float = 0.8) -> None:
    """Per-round and median ratios of ours (first) to the baseline (second), and the goal."""
    median = statistics.median
    wall, cpu = ratios(rounds)
    print(f"per-round wall ratios {[round(r, 2) for r in wall]}")
    print(f"per-round CPU ratios  {[round(r, 2) for r in cpu]}")
    print(
        f"ratio (ours / bare throughput): wall {median(wall):.2f},"
        f" CPU {median(cpu):.2f} (medians); goal >= {goal:.1f}"
    )
