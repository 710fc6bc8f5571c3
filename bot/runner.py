"""``crampbot run``: the chat platforms on one engine and one store, until a signal stops them.

SIGINT/SIGTERM stop the bot cleanly; SIGHUP reloads and validates the content
(keeping the old content if the new one is invalid). A retention sweep purges
old conversations in the background.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

from bot.app import App, build_app, load_interview
from bot.settings import Settings
from dialogs import ContentError

log = logging.getLogger(__name__)


def reload_content(app: App) -> list[str]:
    """Load the content again; on success use it and return [], else return the problems."""
    try:
        interview = load_interview(app.settings)
    except ContentError as exc:
        problems = [str(p) for p in exc.problems]
        # Content problems name files and keys, never anything a person said: safe to log.
        log.error(
            "content reload failed; keeping version %s: %d problem(s):\n  %s",
            app.engine.interview.version,
            len(problems),
            "\n  ".join(problems),
        )
        return problems
    app.engine.reload(interview)
    log.info("content reloaded: version %s", interview.version)
    return []


def run(settings: Settings, platform: str) -> int:
    """Check the platform settings, then serve until stopped; returns the exit status."""
    if platform in ("telegram", "all"):
        settings.require_telegram()
    if platform in ("discord", "all"):
        settings.require_discord()
    # Until the content is loaded and the handler is installed, a SIGHUP must not kill us.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return asyncio.run(_serve(settings, platform))


async def _serve(settings: Settings, platform: str) -> int:
    from bot.ops.commands import Operators
    from bot.stores.retention import sweep_forever

    app = await build_app(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: reload_content(app))
    operators = Operators(app, reload=lambda: reload_content(app))
    sweep = asyncio.create_task(sweep_forever(app.store, settings.retention_days * 86400, stop))
    broken = asyncio.create_task(app.breaker.wait(), name="store")
    platforms: list[asyncio.Task[None]] = []
    if platform in ("telegram", "all"):
        # python-telegram-bot 22 warns on every RetryAfter unless it may use timedelta.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from bot.platforms.telegram import messenger as telegram

        serving = telegram.serve(app, stop, operators)
        platforms.append(asyncio.create_task(serving, name="telegram"))
    if platform in ("discord", "all"):
        from bot.platforms.discord import messenger as discord

        serving = discord.serve(app, stop, operators)
        platforms.append(asyncio.create_task(serving, name="discord"))
    log.info("crampbot running on %s", platform)
    try:
        waiting: list[asyncio.Task[Any]] = [*platforms, broken]
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if broken in done:
            log.error("stopping crampbot: %s", broken.result())
            return 2
        return 1 if any(_failed(task, stop) for task in done) else 0
    finally:
        stop.set()
        broken.cancel()
        await asyncio.gather(*platforms, sweep, broken, return_exceptions=True)
        await app.close()
        log.info("crampbot stopped")


def _failed(task: asyncio.Task[None], stop: asyncio.Event) -> bool:
    """Whether a platform stopped by itself (an error, or an end nobody asked for); logs why.

    Only the error class is logged at error level: details may hold URLs with tokens.
    """
    error = None if task.cancelled() else task.exception()
    if error is None and stop.is_set():
        return False
    why = type(error).__name__ if error is not None else "it ended by itself"
    log.error("%s stopped serving (%s); stopping crampbot", task.get_name(), why)
    if error is not None:
        log.debug("%s failure details", task.get_name(), exc_info=error)
    return True
