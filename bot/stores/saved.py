"""The records this process saved or read last, so the engine's load for a step can
skip the store: a bounded LRU the Redis and in-memory stores share."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from dialogs import Conversation

SAVED = 10_000
"""How many records a store keeps for its step loads (about 1 KB each)."""


class Saved(NamedTuple):
    """A record as this process last saw it in the store, and the stamp of that save."""

    version: int
    stamp: str
    record: Conversation


class SavedRecords:
    """Key -> :class:`Saved`, the least recently used dropped past ``size`` (0: keep none).

    A hit may be stale when another process saved since: the store's
    compare-and-set save then fails and :meth:`drop` s it, and the engine's retry
    loads fresh. Records go in and come out as copies, so no caller shares one.
    """

    def __init__(self, size: int = SAVED) -> None:
        self.size = size
        self._saved: OrderedDict[str, Saved] = OrderedDict()

    def get(self, key: str) -> Saved | None:
        """The record last seen for ``key`` (a copy), or ``None``."""
        found = self._saved.get(key)
        if found is None:
            return None
        self._saved.move_to_end(key)
        return found._replace(record=found.record.copy())

    def stamp(self, key: str, version: int) -> str:
        """The stamp of ``key``'s save at ``version`` if that is the one last seen, else ``""``."""
        found = self._saved.get(key)
        return found.stamp if found is not None and found.version == version else ""

    def peek(self, key: str, version: int) -> Saved | None:
        """What was last seen of ``key`` if at ``version``, not copied: to read, never change."""
        found = self._saved.get(key)
        return found if found is not None and found.version == version else None

    def put(self, record: Conversation, stamp: str = "") -> None:
        """Note ``record`` (a copy of it) as the store now holds it."""
        if self.size <= 0:
            return
        self._saved[record.key] = Saved(record.version, stamp, record.copy())
        self._saved.move_to_end(record.key)
        if len(self._saved) > self.size:
            self._saved.popitem(last=False)

    def noted(self, key: str, step: int, ref: str, noted: bool, stamp: str = "") -> None:
        """Follow a store's ``note_shown``: a copy asking ``step`` takes ``ref`` when the store
        took it (and ``stamp``, for a store whose note changes it); a copy that disagrees
        with the store about what is asked goes."""
        found = self._saved.get(key)
        if found is None:
            return
        if (found.record.asked == step) != noted:
            del self._saved[key]
        elif noted:
            found.record.shown, found.record.shown_step = ref, step
            if stamp:
                self._saved[key] = found._replace(stamp=stamp)

    def drop(self, key: str) -> None:
        """Forget ``key`` (deleted, or saved elsewhere since)."""
        self._saved.pop(key, None)

    def clear(self) -> None:
        """Forget every record (after a purge)."""
        self._saved.clear()

    def __len__(self) -> int:
        return len(self._saved)
