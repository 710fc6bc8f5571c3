"""Per-key asyncio locks that disappear when nobody holds or waits for them."""

from __future__ import annotations

import asyncio
from types import TracebackType


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class KeyLocks:
    """One lock per conversation key, so one person's events are applied one at a time."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def hold(self, key: str) -> _Held:
        """``async with locks.hold(key):`` runs the block alone for that key."""
        return _Held(self, key)

    def _join(self, key: str) -> _Entry:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        return entry

    def _leave(self, key: str, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[key]


class _Held:
    """Holding one key's lock; a small class rather than a generator, as it runs on every event."""

    __slots__ = ("_entry", "_key", "_locks")

    def __init__(self, locks: KeyLocks, key: str) -> None:
        self._locks, self._key = locks, key

    async def __aenter__(self) -> None:
        self._entry = self._locks._join(self._key)
        try:
            await self._entry.lock.acquire()
        except BaseException:  # cancelled while waiting: stop counting as a user
            self._locks._leave(self._key, self._entry)
            raise

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._entry.lock.release()
        self._locks._leave(self._key, self._entry)
