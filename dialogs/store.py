"""The port every conversation store implements (SQLite, Redis, in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from dialogs.record import Conversation

# What a deleted person's key becomes in the audit log: "everything about them" goes.
FORGOTTEN = "(forgotten)"


class StoreUnavailable(RuntimeError):
    """The store cannot be used right now; the message names the cause and the fix.

    Transient while serving (Redis down, SQLite locked, disk full): the event is
    not saved, the person is asked to send it again, and the bot keeps serving.
    """


class StoreBroken(RuntimeError):
    """The store can never be used as it is (corrupt, foreign or newer schema, read-only).

    Permanent: the process stops with one line naming the cause and the fix, and status 2.
    """


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One operator action: who, from where, when, what, on which key. Never health answers."""

    at: float
    actor: str
    origin: str
    action: str
    key: str = ""
    result: str = ""


class ConversationStore(Protocol):
    """Durable conversation records with compare-and-set on ``version``.

    ``save`` writes ``record`` only if the stored version still equals
    ``expected`` (0 meaning "no record yet") and returns whether it did; the
    caller bumps ``record.version`` itself. ``load`` raises
    :class:`dialogs.record.CorruptRecord` for a record it cannot read;
    ``scan`` skips (and logs) such records. ``purge`` deletes records last
    updated before ``idle_before`` and returns how many. ``delete`` removes the
    record and replaces the key wherever the audit log names it (as key or
    actor) with :data:`FORGOTTEN`. ``ping`` is a cheap round trip for health
    checks (raises :class:`StoreUnavailable`); ``count`` is how many
    conversations are stored. ``get_meta``/``set_meta`` keep small named values
    of the bot itself (e.g. the hash of the Discord commands last synced), never
    anything a person said.
    """

    async def load(self, key: str) -> Conversation | None: ...

    async def save(self, record: Conversation, expected: int) -> bool: ...

    async def delete(self, key: str) -> bool: ...

    def scan(self) -> AsyncIterator[Conversation]: ...

    async def purge(self, idle_before: float) -> int: ...

    async def add_audit(self, entry: AuditEntry) -> None: ...

    async def audit(self, limit: int = 20) -> list[AuditEntry]: ...

    async def ping(self) -> None: ...

    async def count(self) -> int: ...

    async def get_meta(self, name: str) -> str | None: ...

    async def set_meta(self, name: str, value: str) -> None: ...

    async def close(self) -> None: ...
