"""The embedded default store: one SQLite file in WAL mode, private by construction.

The file is created 0600 in a folder created 0700, and carries our
``application_id`` and a schema version (``user_version``) that :mod:`bot.stores.sqlite_schema`
checks before anything is written: a foreign or newer file is refused as it is.

Deleted conversations are really gone: ``secure_delete`` zeroes their bytes in
the database file and a ``TRUNCATE`` checkpoint empties the ``-wal`` file that
still held older copies, after every delete and every save that drops answers
(``/stop``, ``/restart``, ``/back``). A checkpoint cannot finish while another
connection reads an older snapshot; a deferred one is retried in the background
until it succeeds.

One statement per step: the records this process saved or read last are kept
(:class:`~bot.stores.saved.SavedRecords`, stamped with their row's JSON text), so
the engine's step load skips the file, and the save's compare-and-set is one
``UPDATE ... WHERE version = ? AND data = <that text>``: a row changed since (by a
note, or another process) fails it, and the engine's retry loads fresh.

The ``updated_at`` column, which only the purge reads, moves in steps of
:data:`UPDATED_AT_STEP` (the record's JSON keeps the exact time): a save in the
same step leaves the column, and so its index, alone, which makes it about a
third cheaper. The purge takes the records the column shows may have expired and
deletes those whose own time says they have.

Calls run directly on the event loop, not via ``asyncio.to_thread``: each is one
short autocommit statement on the primary key, cheaper than a thread hop
(``python -m bench.bench_stores``). SQLite never waits for a lock itself
(``busy_timeout=0``): a statement that meets another process's write lock is
retried after an ``asyncio.sleep``, so the loop keeps serving everyone else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from bot.stores.faults import Breaker, one_line
from bot.stores.saved import SAVED, SavedRecords
from bot.stores.sqlite_schema import prepare
from dialogs import (
    AUDIT_KEEP,
    REFUSED,
    AuditEntry,
    Conversation,
    CorruptRecord,
    StoreBroken,
    StoreUnavailable,
    forget_in,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SCAN_BATCH = 500
LEASE = "lease:"
"""Meta names of leases start with this."""
# How long a statement may keep meeting another connection's lock before the event fails.
BUSY_BUDGET = 5.0
BUSY_FIRST, BUSY_MAX = 0.001, 0.05
# A deferred checkpoint is tried again after these pauses (doubling) until it succeeds.
CHECKPOINT_FIRST, CHECKPOINT_MAX = 0.05, 5.0

UPDATED_AT_STEP = 300.0
"""Seconds: the ``updated_at`` column holds the start of a step that the record's last save
is in (never later than that save), so the purge finds candidates by it and then checks
the record's own time (:data:`SAVED_AT`)."""
# When a stored record was last saved; the column's time for data that is not JSON.
SAVED_AT = (
    "coalesce(CASE WHEN json_valid(data) THEN json_extract(data, '$.updated_at') END, updated_at)"
)

# What a stored record asks; NULL for data that is not JSON (json_extract would raise),
# so such a row is never noted.
ASKED = "CASE WHEN json_valid(data) THEN coalesce(json_extract(data, '$.asked'), version) END"

_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_BROKEN = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_READONLY", "SQLITE_ERROR", "SQLITE_PERM")


class SqliteStore:
    """Conversation records in one SQLite file, with compare-and-set on ``version``; the
    last ``saved`` records this process saw are kept for step loads."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: str = "",
        breaker: Breaker | None = None,
        saved: int = SAVED,
    ) -> None:
        self._db = connection
        self._path = path
        self.breaker = breaker or Breaker()
        self.saved = SavedRecords(saved)
        self._checkpointing: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, path: str, breaker: Breaker | None = None, saved: int = SAVED
    ) -> SqliteStore:
        """Open (creating it privately) the database at ``path``, after checking its schema.

        Raises :class:`StoreBroken` for a file that is not ours, newer, corrupt or
        read-only, and :class:`StoreUnavailable` when it cannot be opened now.
        """
        return cls(prepare(path), path, breaker, saved)

    async def load(self, key: str, *, cached: bool = False) -> Conversation | None:
        """The record of ``key``; with ``cached``, the copy this process saw last if any
        (other processes may have written the file since: the save's check catches that)."""
        if cached and (hit := self.saved.get(key)) is not None:
            return hit.record
        row = await self._call(
            lambda: self._db.execute(
                "SELECT data FROM conversations WHERE key = ?", (key,)
            ).fetchone()
        )
        if row is None:
            self.saved.drop(key)
            return None
        try:
            record = Conversation.from_json(row[0])
        except CorruptRecord:
            self.saved.drop(key)
            raise
        self.saved.put(record, row[0])
        return record

    async def save(self, record: Conversation, expected: int) -> bool:
        try:
            saved = await self._save(record, expected)
        except BaseException:
            self.saved.drop(record.key)  # it may or may not have been written
            raise
        if saved:
            self.saved.put(record, saved)
        else:
            self.saved.drop(record.key)  # changed since it was read: the next load is fresh
        return bool(saved)

    async def _save(self, record: Conversation, expected: int) -> str:
        """Save ``record``; its JSON text when saved, else ``""``."""
        data = record.to_json()
        if expected == 0:
            inserted = await self._call(
                lambda: (
                    self._db.execute(
                        "INSERT INTO conversations (key, version, updated_at, data) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (key) DO NOTHING",
                        (record.key, record.version, _step_of(record.updated_at), data),
                    ).rowcount
                    == 1
                )
            )
            return data if inserted else ""
        seen = self.saved.peek(record.key, expected)
        if seen is not None:  # the row as this process last saw it: one conditional UPDATE
            old, stamp = seen.record, seen.stamp
            if old.shown_step != record.shown_step:
                return ""  # noted shown since the load
            # The column is in the step of old.updated_at (or an older process's exact time).
            moved = _step_of(old.updated_at) != _step_of(record.updated_at)
            saved, dropped = await self._call(
                lambda: (
                    self._replace(record, expected, data, stamp, moved),
                    _drops_answers(old.answers, record),
                )
            )
        else:
            saved, dropped = await self._call(self._read_and_replace, record, expected, data)
        if dropped:  # old answers are still in the -wal file: move them out
            self._checkpoint()
        return data if saved else ""

    def _replace(
        self, record: Conversation, expected: int, data: str, old: str, moved: bool
    ) -> bool:
        """Write ``data`` if the row is still at version ``expected`` with the text ``old``;
        the ``updated_at`` column too when the save ``moved`` it to another step."""
        column = "updated_at = ?2, " if moved else ""
        return (
            self._db.execute(
                f"UPDATE conversations SET version = ?1, {column}data = ?3"
                " WHERE key = ?4 AND version = ?5 AND data = ?6",
                (record.version, _step_of(record.updated_at), data, record.key, expected, old),
            ).rowcount
            == 1
        )

    def _read_and_replace(
        self, record: Conversation, expected: int, data: str
    ) -> tuple[bool, bool]:
        """Read the row at version ``expected``, check it, and :meth:`_replace` it; whether it
        was saved and whether that drops answers."""
        old = self._db.execute(
            "SELECT data, updated_at FROM conversations WHERE key = ? AND version = ?",
            (record.key, expected),
        ).fetchone()
        if old is None:
            return False, False
        stored = _readable(old[0])
        if stored is not None and stored.get("shown_step", 0) != record.shown_step:
            return False, False  # noted shown since the load
        # Unchanged since that read (a note in between changes the data, not the version).
        moved = _step_of(old[1]) != _step_of(record.updated_at)
        saved = self._replace(record, expected, data, old[0], moved)
        return saved, _drops_answers(None if stored is None else stored.get("answers"), record)

    async def note_shown(self, key: str, step: int, ref: str) -> bool:
        """One ``UPDATE`` that sets ``shown`` and ``shown_step`` inside the record's JSON
        (SQLite's JSON functions keep every other value's text as it is); the saved copy
        follows, with the row's new text."""
        try:
            row = await self._call(
                lambda: self._db.execute(
                    "UPDATE conversations"
                    " SET data = json_set(data, '$.shown', ?, '$.shown_step', ?)"
                    f" WHERE key = ? AND {ASKED} = ? RETURNING data",
                    (ref, step, key, step),
                ).fetchone()
            )
        except BaseException:
            self.saved.drop(key)  # it may or may not have been written
            raise
        self.saved.noted(key, step, ref, row is not None, row[0] if row else "")
        return row is not None

    async def delete(self, key: str) -> bool:
        self.saved.drop(key)

        def work() -> bool:
            with self._transaction():
                deleted = self._db.execute(
                    "DELETE FROM conversations WHERE key = ?", (key,)
                ).rowcount
                self._forget_in_audit(key)
            return deleted > 0

        deleted = await self._call(work)
        self._checkpoint()
        return deleted

    def _forget_in_audit(self, key: str) -> None:
        """Apply :func:`forget_in` to every audit entry that may name ``key``."""
        user = key.partition(":")[2]
        rows = self._db.execute(
            "SELECT id, at, actor, origin, action, key, result FROM audit"
            " WHERE key = ?1 OR actor = ?1 OR (?2 != '' AND instr(origin, ?2) > 0)",
            (key, user),
        ).fetchall()
        for row_id, *fields in rows:
            entry = AuditEntry(*fields)
            scrubbed = forget_in(entry, key)
            if scrubbed != entry:
                self._db.execute(
                    "UPDATE audit SET actor = ?, origin = ?, key = ? WHERE id = ?",
                    (scrubbed.actor, scrubbed.origin, scrubbed.key, row_id),
                )

    async def scan(self) -> AsyncIterator[Conversation]:
        """Yield every readable record, in key order, a batch per short query."""
        after = ""
        while True:
            rows = await self._call(self._page, after)
            for key, data in rows:
                try:
                    record = Conversation.from_json(data)
                except CorruptRecord:
                    log.warning("skipping unreadable conversation record %s", key)
                    continue
                yield record
            if len(rows) < SCAN_BATCH:
                return
            after = rows[-1][0]

    def _page(self, after: str) -> list[tuple[str, str]]:
        return self._db.execute(
            "SELECT key, data FROM conversations WHERE key > ? ORDER BY key LIMIT ?",
            (after, SCAN_BATCH),
        ).fetchall()

    async def purge(self, idle_before: float) -> int:
        """Delete records idle since before ``idle_before``, a short batch at a time, and
        audit entries older than that."""
        count = 0
        self.saved.clear()  # cheaper than finding which went; the next loads go to the file
        while True:
            deleted: int = await self._call(
                lambda: (
                    self._db.execute(
                        "DELETE FROM conversations WHERE key IN"
                        " (SELECT key FROM conversations WHERE updated_at < ?1"
                        f" AND {SAVED_AT} < ?1 LIMIT ?2)",
                        (idle_before, SCAN_BATCH),
                    ).rowcount
                )
            )
            count += deleted
            if deleted < SCAN_BATCH:
                break
            await asyncio.sleep(0)
        expired: int = await self._call(
            lambda: self._db.execute("DELETE FROM audit WHERE at < ?", (idle_before,)).rowcount
        )
        if count or expired:
            self._checkpoint()
        return count

    async def add_audit(self, entry: AuditEntry) -> None:
        """Append an entry, keeping the newest :data:`AUDIT_KEEP` of its log like the other stores."""

        def work() -> None:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO audit (at, actor, origin, action, key, result)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (entry.at, entry.actor, entry.origin, entry.action, entry.key, entry.result),
                )
                self._db.execute(
                    "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE (action = ?) = ?"
                    " ORDER BY id DESC LIMIT -1 OFFSET ?)",
                    (REFUSED, entry.refused, AUDIT_KEEP),
                )

        await self._call(work)

    async def audit(self, limit: int = 20, refused: bool = False) -> list[AuditEntry]:
        rows = await self._call(
            lambda: self._db.execute(
                "SELECT at, actor, origin, action, key, result FROM audit WHERE (action = ?) = ?"
                " ORDER BY id DESC LIMIT ?",
                (REFUSED, refused, max(limit, 0)),
            ).fetchall()
        )
        return [AuditEntry(*row) for row in rows]

    async def ping(self) -> None:
        await self._call(lambda: self._db.execute("SELECT 1 FROM conversations LIMIT 1").fetchall())

    async def count(self) -> int:
        row = await self._call(
            lambda: self._db.execute("SELECT count(*) FROM conversations").fetchone()
        )
        return int(row[0])

    async def get_meta(self, name: str) -> str | None:
        row = await self._call(
            lambda: self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        )
        return str(row[0]) if row else None

    async def set_meta(self, name: str, value: str) -> None:
        await self._call(
            lambda: self._db.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
        )

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        """Kept as ``lease:<name>`` in the meta table: ``<expiry> <holder>``, read and written in
        one transaction, so processes sharing the file agree (their clocks are one machine's)."""

        def work() -> bool:
            with self._transaction():
                row = self._db.execute(
                    "SELECT value FROM meta WHERE name = ?", (LEASE + name,)
                ).fetchone()
                now = time.time()
                if row is not None:
                    expiry, _, current = str(row[0]).partition(" ")
                    if current != holder and float(expiry) > now:
                        return False
                self._db.execute(
                    "INSERT INTO meta (name, value) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (LEASE + name, f"{now + seconds!r} {holder}"),
                )
                return True

        return await self._call(work)

    async def release(self, name: str, holder: str) -> None:
        await self._call(
            lambda: self._db.execute(
                "DELETE FROM meta WHERE name = ? AND substr(value, instr(value, ' ') + 1) = ?",
                (LEASE + name, holder),
            )
        )

    async def backup(self, path: str) -> None:
        """Copy the whole database, WAL included, to a new file ``path`` (mode 0600).

        Uses SQLite's online backup, so the bot may keep serving meanwhile.
        Raises ``FileExistsError`` rather than overwrite ``path``.
        """
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        target = sqlite3.connect(path)
        try:
            await self._call(lambda: self._db.backup(target))
        except BaseException:
            target.close()
            os.unlink(path)  # a half-written copy is no backup
            raise
        target.close()

    async def checkpointed(self) -> None:
        """Wait until a deferred WAL checkpoint, if any, has succeeded."""
        if self._checkpointing is not None:
            await asyncio.shield(self._checkpointing)

    async def close(self) -> None:
        if self._checkpointing is not None:
            self._checkpointing.cancel()
            await asyncio.gather(self._checkpointing, return_exceptions=True)
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.ProgrammingError:  # closed already
            pass
        except sqlite3.Error as exc:
            log.warning("final WAL checkpoint failed: %s", one_line(exc))
        self._db.close()

    async def _call(self, work: Callable[..., T], *args: object) -> T:
        """Run ``work``; while another connection holds the lock, retry it without blocking the loop.

        Any other SQLite error becomes :class:`StoreUnavailable` (transient) or
        :class:`StoreBroken` (permanent, also tripping the breaker).
        """
        pause, waited = BUSY_FIRST, 0.0
        while True:
            try:
                return work(*args)
            except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
                raise  # our own mistake (e.g. a closed store), not the file's
            except sqlite3.Error as exc:
                if not _is_busy(exc) or waited >= BUSY_BUDGET:
                    raise self._fault(exc) from exc
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, BUSY_MAX)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _fault(self, exc: sqlite3.Error) -> Exception:
        name = getattr(exc, "sqlite_errorname", "") or ""
        where = f"SQLite database {self._path!r}"
        reason = one_line(exc)
        if name.startswith(_BUSY):
            return StoreUnavailable(
                f"CRAMPBOT_STORE: {where} stayed locked by another connection for over"
                f" {BUSY_BUDGET:g} s ({reason}); fix: end the other program's long transaction"
            )
        if name.startswith("SQLITE_FULL"):
            return StoreUnavailable(
                f"CRAMPBOT_STORE: the disk holding {where} is full ({reason}); fix: free space there"
            )
        if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_PERM"):
            return self.breaker.trip(
                StoreBroken(
                    f"CRAMPBOT_STORE: {where} is read-only ({reason}); fix: make the file and"
                    " its folder writable for this user, or point CRAMPBOT_STORE elsewhere"
                )
            )
        if name.startswith(_BROKEN) or (isinstance(exc, sqlite3.DatabaseError) and not name):
            return self.breaker.trip(
                StoreBroken(
                    f"CRAMPBOT_STORE: {where} is damaged or was changed by another program"
                    f" ({reason}); fix: restore it from a backup, or point CRAMPBOT_STORE at a"
                    " new file"
                )
            )
        return StoreUnavailable(
            f"CRAMPBOT_STORE: {where} failed ({reason}); fix: check the disk and the file"
        )

    def _checkpoint(self) -> None:
        """Move everything into the main file and empty the WAL; if a reader blocks it, retry later."""
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        if not self._try_checkpoint():
            log.info("WAL checkpoint deferred: another connection is reading; retrying")
            self._checkpointing = asyncio.get_running_loop().create_task(
                self._checkpoint_later(), name="sqlite-checkpoint"
            )

    def _try_checkpoint(self) -> bool:
        try:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            if not _is_busy(exc):
                log.warning("WAL checkpoint failed: %s", one_line(exc))
            return False
        return not busy

    async def _checkpoint_later(self) -> None:
        pause = CHECKPOINT_FIRST
        while not self._try_checkpoint():
            await asyncio.sleep(pause)
            pause = min(pause * 2, CHECKPOINT_MAX)
        log.info("deferred WAL checkpoint done")


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error: nothing is half-saved."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.warning("rollback failed: %s", one_line(exc))


def _step_of(updated_at: float) -> float:
    """The ``updated_at`` column's value for a save at ``updated_at``: the start of its step."""
    return updated_at - updated_at % UPDATED_AT_STEP


def _is_busy(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorname", "") or "").startswith(_BUSY)


def _readable(data: str) -> dict[str, Any] | None:
    """The stored record JSON ``data`` as a dict; ``None`` when it is not one."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _drops_answers(stored: Any, record: Conversation) -> bool:
    """Whether saving ``record`` removes or changes an answer of the ``stored`` answers
    (JSON lists or tuples for multi answers); unreadable counts as yes."""
    try:
        return stored is None or any(
            _as_stored(record.answers.get(question)) != _as_stored(answer)
            for question, answer in stored.items()
        )
    except (KeyError, TypeError, AttributeError):
        return True


def _as_stored(answer: object) -> object:
    return list(answer) if isinstance(answer, tuple) else answer
