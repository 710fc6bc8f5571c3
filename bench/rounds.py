"""Shared by the chat-platform benchmarks: two sides measured in turns, and their ratios."""

from __future__ import annotations

import asyncio
import gc
import statistics
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


async def interleave(sides: Sequence[Side], guard: float = 600.0) -> None:
    """One event of each side in turn, so both meet the same noise from the machine.

    ``guard`` only stops a hung run; nothing is judged by time here.
    """
    gc.collect()
    running = list(sides)
    async with asyncio.timeout(guard):
        while running:
            running = [side for side in running if await side.step()]


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
