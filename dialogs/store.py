"""The port every conversation store implements (SQLite, Redis, in memory)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Protocol

from dialogs.record import Conversation

# What a deleted person's key becomes in the audit log: "everything about them" goes.
FORGOTTEN = "(forgotten)"
# The action of a refused operator attempt: kept in a log of its own, capped apart.
REFUSED = "refused"
AUDIT_KEEP = 1000
"""How many entries each audit log keeps (operator actions; refused attempts), newest first."""


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

    @property
    def refused(self) -> bool:
        return self.action == REFUSED


def forget_in(entry: AuditEntry, key: str) -> AuditEntry:
    """``entry`` with nothing left that names the person ``key`` (``platform:user``).

    The key goes where it is the entry's key or actor; the origin goes when the
    person was the actor (it says where they were) or names their id (their
    private chat). The Redis store applies the same rule in Lua.
    """
    user = key.partition(":")[2]
    names_user = bool(user) and re.search(rf"(?<!\w){re.escape(user)}(?!\w)", entry.origin)
    if key not in (entry.key, entry.actor) and not names_user:
        return entry
    return replace(
        entry,
        key=FORGOTTEN if entry.key == key else entry.key,
        actor=FORGOTTEN if entry.actor == key else entry.actor,
        origin=FORGOTTEN if entry.actor == key or names_user else entry.origin,
    )


class ConversationStore(Protocol):
    """Durable conversation records with compare-and-set on ``version``.

    ``save`` writes ``record`` only if the stored version still equals
    ``expected`` (0 meaning "no record yet") and returns whether it did; the
    caller bumps ``record.version`` itself. ``load`` raises
    :class:`dialogs.record.CorruptRecord` for a record it cannot read;
    ``scan`` skips (and logs) such records. ``purge`` deletes records last
    updated before ``idle_before`` and returns how many; audit entries older than
    ``idle_before`` go too. ``delete`` removes the record, if any, and applies
    :func:`forget_in` to every audit entry. Audit entries whose action is
    :data:`REFUSED` are kept apart: each log keeps its newest
    :data:`AUDIT_KEEP`, and ``audit`` lists one log (newest first).
    ``ping`` is a cheap round trip for health checks (raises
    :class:`StoreUnavailable`); ``count`` is how many conversations are stored.
    ``load(key, cached=True)`` is the engine's load for a step: a store may
    answer from the records this process saved or read last, with no round
    trip. Such a record may be stale (another process saved since); its
    compare-and-set save then fails, the store forgets it, and the engine's
    retry loads fresh. Reads for display (operators, exports) load fresh.
    ``get_meta``/``set_meta`` keep small named values of the bot itself (e.g.
    the hash of the Discord commands last synced), never anything a person said.
    ``lease`` takes a named lease for ``holder`` (or renews the one ``holder``
    has) for ``seconds`` and says whether it did: one process at a time does a
    shared chore (the retention sweep, registering a webhook); a holder that
    dies loses it when it expires. ``release`` gives it up early (only its holder can).
    """

    async def load(self, key: str, *, cached: bool = False) -> Conversation | None: ...

    async def save(self, record: Conversation, expected: int) -> bool: ...

    async def delete(self, key: str) -> bool: ...

    def scan(self) -> AsyncIterator[Conversation]: ...

    async def purge(self, idle_before: float) -> int: ...

    async def add_audit(self, entry: AuditEntry) -> None: ...

    async def audit(self, limit: int = 20, refused: bool = False) -> list[AuditEntry]: ...

    async def ping(self) -> None: ...

    async def count(self) -> int: ...

    async def get_meta(self, name: str) -> str | None: ...

    async def set_meta(self, name: str, value: str) -> None: ...

    async def lease(self, name: str, holder: str, seconds: float) -> bool: ...

    async def release(self, name: str, holder: str) -> None: ...

    async def close(self) -> None: ...
