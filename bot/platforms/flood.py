"""A per-person flood limit in front of the engine, for every chat front end.

Each person's events run one at a time, in the order they arrived (so their
replies stay in order), while different people run side by side. A person
who already has :data:`BACKLOG` events waiting is flooding: further events are
dropped before they reach the engine, and they are told once per flood (again
only after everything they sent has been dealt with). Counting waiting events
rather than events per second leaves a person who waits for each reply
unlimited, however fast they type, and needs no clock.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

BACKLOG = 8
"""How many of one person's events may wait (or run) at once; more are dropped."""


class Admission(enum.Enum):
    """What to do with one arriving event."""

    RUN = "run"
    DROP = "drop"
    DROP_AND_TELL = "drop and tell"


@dataclass
class _Person:
    waiting: int = 0
    told: bool = False
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)


class FloodGate:
    """Admits each person's events up to a backlog and runs them in order, one at a time.

    Call :meth:`admit` as an event arrives; if it says RUN, process the event
    inside ``async with gate.turn(person):``.
    """

    def __init__(self, backlog: int = BACKLOG) -> None:
        if backlog < 1:
            raise ValueError("backlog must be at least 1")
        self.backlog = backlog
        self._people: dict[str, _Person] = {}

    def __len__(self) -> int:
        """How many people have events waiting (memory stays bounded by active people)."""
        return len(self._people)

    def admit(self, person: str) -> Admission:
        """Count an arriving event of ``person`` in, or say how to drop it."""
        state = self._people.setdefault(person, _Person())
        if state.waiting < self.backlog:
            state.waiting += 1
            return Admission.RUN
        if state.told:
            return Admission.DROP
        state.told = True
        return Admission.DROP_AND_TELL

    @asynccontextmanager
    async def turn(self, person: str) -> AsyncIterator[None]:
        """Wait for ``person``'s earlier events, run the block, then count the event out."""
        state = self._people[person]
        try:
            async with state.turn:
                yield
        finally:
            state.waiting -= 1
            if state.waiting == 0:
                del self._people[person]
