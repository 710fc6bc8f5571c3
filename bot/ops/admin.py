"""``crampbot admin``: inspect and manage conversations on the configured store from a shell,
and ask the running bot processes to reload their content."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import socket
import sys
from typing import Any

from bot.ops.actions import Actor, Operations, iso
from bot.settings import Settings
from dialogs import ContentError, ConversationStore


def add_admin_parser(sub: Any) -> None:
    admin = sub.add_parser("admin", help="inspect and manage conversations on the store")
    verbs = admin.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="list conversations")
    listing.add_argument("--state", help="only this state (a question id, outcome or stopped)")
    listing.add_argument("--outcome", help="only this outcome category")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = verbs.add_parser("show", help="show one conversation")
    show.add_argument("key", help="a conversation key, e.g. telegram:123456789")
    show.add_argument("--json", action="store_true", help="print it as one JSON object")
    restart = verbs.add_parser("restart", help="restart one interview, or all with --all")
    restart.add_argument("key", nargs="?", help="a conversation key")
    restart.add_argument("--all", action="store_true", help="restart every interview")
    forget = verbs.add_parser("forget", help="delete everything stored about a person")
    forget.add_argument("key")
    verbs.add_parser("purge", help="delete conversations idle longer than the retention")
    audit = verbs.add_parser("audit", help="show the latest operator actions")
    audit.add_argument("--limit", type=int, default=20)
    audit.add_argument("--json", action="store_true")
    audit.add_argument(
        "--refused", action="store_true", help="show refused /op attempts (kept apart) instead"
    )
    verbs.add_parser(
        "reload",
        help="check the content, then ask every running bot process on the store to reload it",
    )
    backup = verbs.add_parser(
        "backup", help="copy the SQLite store, while the bot runs, to a new file (mode 0600)"
    )
    backup.add_argument("path", help="the new file, e.g. /var/backups/crampbot-2026-11-28.db")


def run_admin(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_admin(args, settings))


async def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app

    try:
        app = await build_app(settings)
    except ContentError as exc:
        if args.verb != "reload":
            raise
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(
            f"crampbot: error: the content is invalid ({len(exc.problems)} problem(s));"
            " no process was asked to reload",
            file=sys.stderr,
        )
        return 1
    ops = Operations(app.engine, settings.retention_days)
    actor = Actor(f"cli:{getpass.getuser()}", f"shell@{socket.gethostname()}")
    try:
        if args.verb == "backup":
            return await _backup(app.store, args.path, ops, actor)
        if args.verb == "reload":
            return await _reload(app.store, app.engine.interview.version, ops, actor)
        return await _verb(args, ops, actor)
    finally:
        await app.close()


async def _backup(store: ConversationStore, path: str, ops: Operations, actor: Actor) -> int:
    """SQLite's online backup of the store to ``path``; Redis and memory stores are refused."""
    from bot.stores.sqlite_store import SqliteStore

    if not isinstance(store, SqliteStore):
        print(
            "crampbot: error: `admin backup` copies a SQLite store; this store is not one. Redis"
            " keeps its own persistence: turn on appendonly or save, and back up dump.rdb and"
            " appendonlydir (docs/operating.md, Backups)",
            file=sys.stderr,
        )
        return 2
    try:
        await store.backup(path)
    except OSError as exc:
        print(f"crampbot: error: cannot write {path!r}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    await ops.audit(actor, "backup", "", "done")
    print(f"backed up the store to {path} (mode 0600); it holds people's answers: keep it safe")
    return 0


async def _reload(store: ConversationStore, version: str, ops: Operations, actor: Actor) -> int:
    """Ask the bot processes on ``store`` to reload the content (checked valid here)."""
    from bot.ops.reload import POLL_SECONDS, request_reload

    received = await request_reload(store, version, actor.who)
    if received is None:
        reached = f"running processes on this store reload within {POLL_SECONDS:g} s"
    else:
        reached = f"{received} running process(es) received it"
    await ops.audit(actor, "reload", "", "asked")
    print(f"asked for content version {version}: {reached}")
    return 0


async def _verb(args: argparse.Namespace, ops: Operations, actor: Actor) -> int:
    verb = args.verb
    if verb == "list":
        rows = [
            r
            for r in await ops.records()
            if (not args.state or r["state"] == args.state)
            and (not args.outcome or (r["outcome"] or {}).get("category") == args.outcome)
        ]
        await ops.audit(actor, "list", "", f"{len(rows)} shown")
        if args.json:
            for row in rows:
                print(json.dumps(row))
        else:
            _table(rows)
        return 0
    if verb == "show":
        found = await ops.show(actor, args.key)
        if found is None:
            print(f"crampbot: error: no conversation with key {args.key!r}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(found))
        else:
            for name, value in found.items():
                print(
                    f"{name:>14}: {json.dumps(value) if isinstance(value, dict | list) else value}"
                )
        return 0
    if verb == "restart":
        if args.all == bool(args.key):
            print("crampbot: error: give a KEY or --all, not both", file=sys.stderr)
            return 2
        if args.all:
            print(f"restarted {await ops.restart_all(actor)} interview(s)")
            return 0
        if not await ops.restart(actor, args.key):
            print(f"crampbot: error: no conversation with key {args.key!r}", file=sys.stderr)
            return 1
        print(f"restarted {args.key}; they are told on their next message")
        return 0
    if verb == "forget":
        if not await ops.forget(actor, args.key):
            print(f"crampbot: error: no conversation with key {args.key!r}", file=sys.stderr)
            return 1
        print(f"deleted everything stored for {args.key}")
        return 0
    if verb == "purge":
        print(
            f"purged {await ops.purge(actor)} conversation(s) idle over {ops.retention_days:g} days"
        )
        return 0
    if verb == "audit":
        entries = await ops.entries(args.limit, refused=args.refused)
        for e in entries:
            if args.json:
                print(
                    json.dumps(
                        {
                            "at": iso(e.at),
                            "actor": e.actor,
                            "origin": e.origin,
                            "action": e.action,
                            "key": e.key,
                            "result": e.result,
                        }
                    )
                )
            else:
                print(
                    f"{iso(e.at)}  {e.actor:<22} {e.origin:<24} {e.action:<12} {e.key:<24} {e.result}"
                )
        return 0
    raise AssertionError(verb)


def _table(rows: list[dict[str, Any]]) -> None:
    header = ("KEY", "STATE", "OUTCOME", "VERSION", "UPDATED")
    body = [
        (
            r["key"],
            r["state"],
            (r["outcome"] or {}).get("category", "-"),
            r["dialog_version"],
            r["updated_at"],
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    for row in (header, *body):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(body)} conversation(s)")
