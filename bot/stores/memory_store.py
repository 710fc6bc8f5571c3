"""An in-memory conversation store: a real implementation for tests and one-off runs."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import AsyncIterator

from bot.stores.saved import SAVED, SavedRecords
from dialogs import AUDIT_KEEP, AuditEntry, Conversation, CorruptRecord, forget_in

log = logging.getLogger(__name__)


class InMemoryStore:
    """Keeps serialised records in a dict, so it behaves like a durable store (copies, CAS)."""

    def __init__(self, saved: int = SAVED) -> None:
        self._rows: dict[str, tuple[int, float, str]] = {}
        self.saved = SavedRecords(saved)  # parsed copies for a step's load
        # Operator actions, and refused attempts apart (index 1), oldest first.
        self._audit = (deque[AuditEntry](maxlen=AUDIT_KEEP), deque[AuditEntry](maxlen=AUDIT_KEEP))
        self._meta: dict[str, str] = {}
        self._leases: dict[str, tuple[str, float]] = {}

    async def load(self, key: str, *, cached: bool = False) -> Conversation | None:
        row = self._rows.get(key)
        if row is None:
            return None
        if cached and (hit := self.saved.get(key)) is not None and hit.version == row[0]:
            return hit.record
        return Conversation.from_json(row[2])

    async def save(self, record: Conversation, expected: int) -> bool:
        current = self._rows.get(record.key)
        if (current[0] if current else 0) != expected:
            self.saved.drop(record.key)
            return False
        self._rows[record.key] = (record.version, record.updated_at, record.to_json())
        self.saved.put(record)
        return True

    async def delete(self, key: str) -> bool:
        for entries in self._audit:
            scrubbed = [forget_in(e, key) for e in entries]
            entries.clear()
            entries.extend(scrubbed)
        self.saved.drop(key)
        return self._rows.pop(key, None) is not None

    async def scan(self) -> AsyncIterator[Conversation]:
        for key in list(self._rows):
            row = self._rows.get(key)
            if row is None:
                continue
            try:
                record = Conversation.from_json(row[2])
            except CorruptRecord:
                log.warning("skipping unreadable conversation record %s", key)
                continue
            yield record

    async def purge(self, idle_before: float) -> int:
        old = [k for k, (_, updated, _) in self._rows.items() if updated < idle_before]
        for key in old:
            del self._rows[key]
            self.saved.drop(key)
        for entries in self._audit:
            while entries and entries[0].at < idle_before:
                entries.popleft()
        return len(old)

    async def add_audit(self, entry: AuditEntry) -> None:
        self._audit[entry.refused].append(entry)

    async def audit(self, limit: int = 20, refused: bool = False) -> list[AuditEntry]:
        return list(reversed(self._audit[refused]))[:limit] if limit > 0 else []

    async def ping(self) -> None:
        """Always reachable: the data is in this process."""

    async def count(self) -> int:
        return len(self._rows)

    async def get_meta(self, name: str) -> str | None:
        return self._meta.get(name)

    async def set_meta(self, name: str, value: str) -> None:
        self._meta[name] = value

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        now = time.monotonic()
        current = self._leases.get(name)
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self._leases[name] = (holder, now + seconds)
        return True

    async def release(self, name: str, holder: str) -> None:
        if self._leases.get(name, ("", 0.0))[0] == holder:
            del self._leases[name]

    async def close(self) -> None:
        """Nothing to release: the data lives as long as the object."""
