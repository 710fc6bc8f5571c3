"""The ``crampbot`` command line: chat, check, graph, run, admin, config, telegram setup."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.logs import configure as configure_logging
from bot.ops.startup import installed_version
from bot.settings import Settings, SettingsError, load_settings
from dialogs import ContentError, StoreBroken, StoreUnavailable, load_content

log = logging.getLogger("crampbot")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="crampbot",
        description="A chatbot that asks when and where muscle cramps happen and gives safe, sourced advice.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    top.add_argument("--config", help="a TOML file with settings (default: $CRAMPBOT_CONFIG)")
    top.add_argument(
        "--store",
        help="store URL: sqlite:///PATH, redis://HOST:PORT/DB or memory:// (default: $CRAMPBOT_STORE)",
    )
    top.add_argument("--content", help="content directory (default: the installed content)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--jsonl", action="store_true", help="speak the contract's JSON lines")
    chat.add_argument(
        "--user", default="me", help="your name here; the conversation key is console:NAME"
    )
    chat.add_argument("--locale", help="language of the texts (default: $CRAMPBOT_LOCALE or en)")

    sub.add_parser("check", help="validate the content; exit 1 listing each problem")
    graph = sub.add_parser("graph", help="print the dialog as a Mermaid state diagram")
    graph.add_argument("--markdown", action="store_true", help="print the docs/dialog.md page")
    sub.add_parser(
        "config", help="print the effective settings, secrets masked, and where each came from"
    )

    run = sub.add_parser("run", help="run the bot on a chat platform")
    run.add_argument("platform", choices=["telegram", "discord", "all"])
    run.add_argument(
        "--sync",
        action="store_true",
        help="sync the Discord slash commands even if they did not change",
    )

    telegram = sub.add_parser("telegram", help="set up the Telegram bot for a deployment")
    actions = telegram.add_subparsers(dest="action", required=True, metavar="ACTION")
    setup = actions.add_parser(
        "setup",
        help="register the webhook and command menus once for all replicas (changes nothing "
        "when nothing changed)",
    )
    setup.add_argument(
        "--delete", action="store_true", help="delete the webhook, to run one polling process"
    )

    from bot.ops.admin import add_admin_parser

    add_admin_parser(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crampbot`` script; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"crampbot: error: {exc}", file=sys.stderr)
        return 2
    quiet = args.command in ("chat", "check", "graph", "config", "admin", "telegram")
    configure_logging(
        "WARNING" if quiet else settings.log_level,
        settings.library_log_level,
        sys.stderr,
        settings.secrets(),
        settings.log_format,
    )
    try:
        return _dispatch(args, settings)
    except SettingsError as exc:
        print(f"crampbot: error: {exc}", file=sys.stderr)
        return 2
    except (StoreUnavailable, StoreBroken) as exc:
        print(f"crampbot: error: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:
        print(f"crampbot: error: the content is invalid:\n{exc}", file=sys.stderr)
        return 2


def _settings(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if args.store:
        env["CRAMPBOT_STORE"] = args.store
    if args.content:
        env["CRAMPBOT_CONTENT_DIR"] = args.content
    if getattr(args, "locale", None):
        env["CRAMPBOT_LOCALE"] = args.locale
    return load_settings(env, args.config)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "check":
        return _check(settings)
    if args.command == "graph":
        from bot.graph import document, mermaid

        content = load_content(Path(settings.content_dir) if settings.content_dir else None)
        print(document(content) if args.markdown else mermaid(content), end="")
        return 0
    if args.command == "config":
        rows = settings.shown()
        width = max(len(name) for name, _, _ in rows)
        for name, value, origin in rows:
            print(f"{name:<{width}}  {value or '(empty)'}  [{origin}]")
        return 0
    if args.command == "chat":
        return _chat(args, settings)
    if args.command == "run":
        from bot.runner import run

        return run(settings, args.platform, sync=args.sync)
    if args.command == "admin":
        from bot.ops.admin import run_admin

        return run_admin(args, settings)
    if args.command == "telegram":
        return _telegram_setup(settings, args.delete)
    raise AssertionError(args.command)


def _telegram_setup(settings: Settings, delete: bool) -> int:
    """``crampbot telegram setup``: one line saying what was done; 1 when Telegram refused."""
    settings.require_telegram()
    if not delete and not settings.telegram_webhook_url:
        raise SettingsError(
            "telegram_webhook_url", "is not set; setup registers it (--delete removes a webhook)"
        )
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from telegram.error import TelegramError

    from bot.app import build_app
    from bot.platforms.telegram.registration import setup
    from bot.runner import describe

    async def work() -> str:
        app = await build_app(settings)
        try:
            return await setup(app, delete)
        finally:
            await app.close()

    try:
        print(asyncio.run(work()))
    except TelegramError as exc:
        print(f"crampbot: error: Telegram did not take it: {describe(exc)}", file=sys.stderr)
        return 1
    return 0


def _check(settings: Settings) -> int:
    try:
        content = load_content(Path(settings.content_dir) if settings.content_dir else None)
    except ContentError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    print(
        f"content {content.version} is valid: {len(content.questions)} questions, "
        f"{len(content.rules.rules)} rules, {len(content.advice_sources)} advice lines, "
        f"{len(content.sources)} sources, locales: {', '.join(sorted(content.locales))}"
    )
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    """The terminal chat; Ctrl-C at the prompt ends it (status 0), like end of input."""
    from bot.app import build_app
    from bot.platforms.console import chat

    loop = asyncio.new_event_loop()
    try:
        app = loop.run_until_complete(build_app(settings))
        try:
            return chat(
                loop, app.engine, args.user, settings.locale, args.jsonl, sys.stdin, sys.stdout
            )
        except KeyboardInterrupt:
            print(file=sys.stdout)
            return 0
        finally:
            loop.run_until_complete(app.close())
    finally:
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
