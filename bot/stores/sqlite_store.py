"""The embedded default store: one SQLite file in WAL mode, private by construction.

Deleted conversations are really gone: ``secure_delete`` zeroes their bytes in
the database file and a ``TRUNCATE`` checkpoint after every delete empties the
``-wal`` file that still held older copies. (A checkpoint cannot finish while
another process holds a read transaction; the next delete's checkpoint will.)

Calls run directly on the event loop, not via ``asyncio.to_thread``: each is one
short autocommit statement on the primary key (``synchronous=NORMAL`` skips the
fsync per commit), cheaper than the thread hop itself (``python -m bench.bench_stores``
prints both). The loop stalls only while another process holds the write lock, i.e.
for one such statement; ``busy_timeout`` bounds the wait. A checkpoint after each
delete or purge costs its fsyncs, which is rare and the price of forgetting for real.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from dialogs import FORGOTTEN, AuditEntry, Conversation, CorruptRecord, StoreUnavailable

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
SCAN_BATCH = 500
AUDIT_KEEP = 1000

# WITHOUT ROWID keeps each key once, in the primary-key b-tree (whose interior
# cells are real entries), so a delete removes every copy. The updated_at index
# serves purge; lookups and CAS use the primary key, so latency stays flat.
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversations_updated_at ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    origin TEXT NOT NULL,
    action TEXT NOT NULL,
    key TEXT NOT NULL,
    result TEXT NOT NULL
);
"""


class SqliteStore:
    """Conversation records in one SQLite file, with compare-and-set on ``version``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Open (creating it and its directory) the database at ``path``."""
        try:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(Path(path).expanduser(), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(path, exc) from exc
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA secure_delete=ON")
            db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            db.close()
            raise _unavailable(path, exc) from exc
        return cls(db)

    async def load(self, key: str) -> Conversation | None:
        row = self._db.execute("SELECT data FROM conversations WHERE key = ?", (key,)).fetchone()
        return Conversation.from_json(row[0]) if row else None

    async def save(self, record: Conversation, expected: int) -> bool:
        data = record.to_json()
        if expected == 0:
            cursor = self._db.execute(
                "INSERT INTO conversations (key, version, updated_at, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (record.key, record.version, record.updated_at, data),
            )
        else:
            cursor = self._db.execute(
                "UPDATE conversations SET version = ?, updated_at = ?, data = ?"
                " WHERE key = ? AND version = ?",
                (record.version, record.updated_at, data, record.key, expected),
            )
        return cursor.rowcount == 1

    async def delete(self, key: str) -> bool:
        deleted = self._db.execute("DELETE FROM conversations WHERE key = ?", (key,)).rowcount
        self._db.execute(
            "UPDATE audit SET key = CASE key WHEN ?1 THEN ?2 ELSE key END,"
            " actor = CASE actor WHEN ?1 THEN ?2 ELSE actor END WHERE key = ?1 OR actor = ?1",
            (key, FORGOTTEN),
        )
        self._checkpoint()
        return deleted > 0

    async def scan(self) -> AsyncIterator[Conversation]:
        """Yield every readable record, in key order, a batch per short query."""
        after = ""
        while True:
            rows = self._db.execute(
                "SELECT key, data FROM conversations WHERE key > ? ORDER BY key LIMIT ?",
                (after, SCAN_BATCH),
            ).fetchall()
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

    async def purge(self, idle_before: float) -> int:
        """Delete records idle since before ``idle_before``, a short batch at a time."""
        count = 0
        while True:
            deleted = self._db.execute(
                "DELETE FROM conversations WHERE key IN"
                " (SELECT key FROM conversations WHERE updated_at < ? LIMIT ?)",
                (idle_before, SCAN_BATCH),
            ).rowcount
            count += deleted
            if deleted < SCAN_BATCH:
                break
            await asyncio.sleep(0)
        if count:
            self._checkpoint()
        return count

    async def add_audit(self, entry: AuditEntry) -> None:
        """Append an entry, keeping the newest :data:`AUDIT_KEEP` like the other stores."""
        cursor = self._db.execute(
            "INSERT INTO audit (at, actor, origin, action, key, result) VALUES (?, ?, ?, ?, ?, ?)",
            (entry.at, entry.actor, entry.origin, entry.action, entry.key, entry.result),
        )
        self._db.execute("DELETE FROM audit WHERE id <= ?", ((cursor.lastrowid or 0) - AUDIT_KEEP,))

    async def audit(self, limit: int = 20) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT at, actor, origin, action, key, result FROM audit ORDER BY id DESC LIMIT ?",
            (max(limit, 0),),
        ).fetchall()
        return [AuditEntry(*row) for row in rows]

    async def close(self) -> None:
        self._db.close()

    def _checkpoint(self) -> None:
        """Move everything into the main file and empty the WAL, so deleted bytes leave it."""
        busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.info("WAL checkpoint deferred: another connection is reading")


def _unavailable(path: str, exc: BaseException) -> StoreUnavailable:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return StoreUnavailable(f"CRAMPBOT_STORE: cannot open SQLite database {path!r}: {reason}")
