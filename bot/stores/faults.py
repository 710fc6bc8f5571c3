"""How a store's permanent fault reaches the process: a breaker the runner waits on.

Transient faults are raised as :class:`~dialogs.store.StoreUnavailable` and the
engine answers them; permanent ones are raised as :class:`~dialogs.store.StoreBroken`
and also trip the store's :class:`Breaker`, because the chat platforms catch
every error of a handler and would otherwise keep serving from a broken store.
"""

from __future__ import annotations

import asyncio

from dialogs import StoreBroken


class Breaker:
    """Remembers the first permanent fault of a store and wakes whoever waits for it."""

    def __init__(self) -> None:
        self.error: StoreBroken | None = None
        self._tripped = asyncio.Event()

    def trip(self, error: StoreBroken) -> StoreBroken:
        """Record ``error`` (the first one wins) and return it, for ``raise breaker.trip(...)``."""
        if self.error is None:
            self.error = error
            self._tripped.set()
        return error

    async def wait(self) -> StoreBroken:
        """Return the first permanent fault, once there is one."""
        await self._tripped.wait()
        assert self.error is not None
        return self.error


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, or its class name when it has none."""
    return " ".join(str(exc).split()) or type(exc).__name__
