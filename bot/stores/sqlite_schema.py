"""The SQLite store's file: created private, recognised, migrated, then set up for serving.

A crampbot database carries :data:`APPLICATION_ID` and its schema version in
``user_version``. Version 0 is the layout written before versions existed
(recognised by its exact tables and columns). :func:`prepare` reads only,
until it knows the file is ours and not newer than :data:`VERSION`; a foreign
file gets no index, no WAL and no version written into it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.stores.faults import one_line
from dialogs import StoreBroken, StoreUnavailable

log = logging.getLogger(__name__)

APPLICATION_ID = 0x4352414D  # "CRAM"
VERSION = 2
# Waiting for another process at start-up is fine; while serving, the store retries itself.
OPEN_BUSY_MS = 5000

# WITHOUT ROWID keeps each key once, in the primary-key b-tree (whose interior
# cells are real entries), so a delete removes every copy. The updated_at index
# serves purge; lookups and CAS use the primary key, so latency stays flat.
V0 = """
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

# The tables and columns of version 0, by which a file written before versions is known.
V0_TABLES = {
    "conversations": ("key", "version", "updated_at", "data"),
    "audit": ("id", "at", "actor", "origin", "action", "key", "result"),
}
# Tables SQLite adds by itself.
INTERNAL = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat4"})


# MIGRATIONS[n] takes a file from version n to n + 1, inside one transaction.
def _v0_to_v1(db: sqlite3.Connection) -> None:
    """Version 1 adds nothing but the version itself: create what an empty file lacks."""
    for statement in V0.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1_to_v2(db: sqlite3.Connection) -> None:
    """Version 2 adds ``meta``: small named values of the bot itself (never a person's data)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v0_to_v1, _v1_to_v2)


def prepare(path: str) -> sqlite3.Connection:
    """Open ``path`` (creating it 0600 in a 0700 folder), check, migrate and set it up."""
    file = Path(path).expanduser()
    try:
        _create_private(file)
        db = sqlite3.connect(file.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailable(
            f"CRAMPBOT_STORE: cannot open SQLite database {path!r}: {one_line(exc)}"
        ) from exc
    try:
        db.execute(f"PRAGMA busy_timeout={OPEN_BUSY_MS}")
        version = _recognise(db, path)
        if version < VERSION:
            _migrate(db, version)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA busy_timeout=0")
    except StoreBroken:
        db.close()
        raise
    except sqlite3.Error as exc:
        db.close()
        raise _refusal(path, exc) from exc
    _tighten(file)
    return db


def _recognise(db: sqlite3.Connection, path: str) -> int:
    """The schema version of a crampbot file; :class:`StoreBroken` for any other file."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name not in INTERNAL
    }
    if app_id == APPLICATION_ID:
        if version > VERSION:
            raise StoreBroken(
                f"CRAMPBOT_STORE: SQLite database {path!r} has schema version {version}, newer"
                f" than this crampbot's {VERSION}; fix: upgrade crampbot, or point CRAMPBOT_STORE"
                " at another file"
            )
        return int(version)
    if app_id == 0 and version == 0 and (not tables or _is_v0(db, tables)):
        return 0
    raise StoreBroken(
        f"CRAMPBOT_STORE: {path!r} is not a crampbot database (tables:"
        f" {', '.join(sorted(tables)) or 'none'}; application id {app_id}, version {version});"
        " it was left untouched; fix: point CRAMPBOT_STORE at another file"
    )


def _is_v0(db: sqlite3.Connection, tables: set[str]) -> bool:
    if tables != set(V0_TABLES):
        return False
    for table, columns in V0_TABLES.items():
        found = tuple(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            return False
    return True


def _migrate(db: sqlite3.Connection, version: int) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        for step in range(version, VERSION):
            MIGRATIONS[step](db)
            log.info("SQLite store migrated from schema version %d to %d", step, step + 1)
        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        db.execute(f"PRAGMA user_version={VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _refusal(path: str, exc: sqlite3.Error) -> Exception:
    name = getattr(exc, "sqlite_errorname", "") or ""
    reason = one_line(exc)
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN")):
        return StoreBroken(
            f"CRAMPBOT_STORE: SQLite database {path!r} cannot be written ({reason}); fix: make"
            " the file and its folder writable for this user, or point CRAMPBOT_STORE elsewhere"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreUnavailable(
            f"CRAMPBOT_STORE: SQLite database {path!r} is locked by another program ({reason});"
            " fix: end that program's transaction and start again"
        )
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return StoreUnavailable(
            f"CRAMPBOT_STORE: cannot write SQLite database {path!r} ({reason}); fix: free disk"
            " space there"
        )
    return StoreBroken(
        f"CRAMPBOT_STORE: SQLite database {path!r} is damaged or not a database ({reason});"
        " fix: restore it from a backup, or point CRAMPBOT_STORE at a new file"
    )


def _create_private(file: Path) -> None:
    """Create ``file`` empty with mode 0600, and its folder 0700 if it is missing."""
    if not file.parent.exists():
        file.parent.mkdir(parents=True, mode=0o700)
        os.chmod(file.parent, 0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _tighten(file: Path) -> None:
    """Make an older, world-readable crampbot database and its WAL files private."""
    for part in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        try:
            if part.stat().st_mode & 0o077:
                os.chmod(part, 0o600)
                log.info("made %s private (mode 0600)", part.name)
        except OSError:
            continue
