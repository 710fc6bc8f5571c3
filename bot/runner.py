"""``crampbot run``: the chat platforms on one engine and one store, until a signal stops them.

SIGINT/SIGTERM stop the bot cleanly; SIGHUP reloads and validates the content
(keeping the old content if the new one is invalid) here and in every process
sharing the store (:mod:`bot.ops.reload`), and the process follows the reloads
others ask for. A retention sweep purges old conversations in the background,
one process at a time. With ``CRAMPBOT_HEALTH_PORT`` set, the health and
metrics endpoint (:mod:`bot.ops.health`) serves alongside.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from typing import Any
from urllib.parse import urlsplit

from bot.app import build_app
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def run(settings: Settings, platform: str, sync: bool = False) -> int:
    """Check the platform settings, then serve until stopped; returns the exit status.

    ``sync`` forces the Discord command sync even when the commands did not change.
    """
    if platform in ("telegram", "all"):
        settings.require_telegram()
    if platform in ("discord", "all"):
        settings.require_discord()
    # Until the content is loaded and the handler is installed, a SIGHUP must not kill us.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return asyncio.run(_serve(settings, platform, sync))


async def _serve(settings: Settings, platform: str, sync: bool = False) -> int:
    from bot.ops import health
    from bot.ops.commands import Operators
    from bot.ops.metrics import RateLimitCounter
    from bot.ops.reload import Reloads
    from bot.stores.retention import sweep_forever

    app = await build_app(settings)
    app.sync_commands = sync
    if platform in ("telegram", "all") and not settings.telegram_webhook_url:
        from bot.platforms.telegram.polling import claim

        try:
            await claim(app)  # polling beside webhook replicas: refused (status 2)
        except SettingsError:
            await app.close()
            raise
    serving = ["telegram", "discord"] if platform == "all" else [platform]
    endpoint = None
    if settings.health_port:
        try:
            endpoint = await health.start(
                app, serving, settings.health_listen, settings.health_port
            )
        except OSError as exc:
            await app.close()
            log.error(
                "cannot serve health and metrics on %s:%d (%s); fix CRAMPBOT_HEALTH_PORT",
                settings.health_listen,
                settings.health_port,
                exc.strerror or exc,
            )
            return 2
    waits = RateLimitCounter(app.metrics)
    waits.install()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    reloads = Reloads(app)
    loop.add_signal_handler(signal.SIGHUP, reloads.on_signal)
    operators = Operators(app, reload=reloads.everywhere)
    retention = settings.retention_days * 86400
    sweep = asyncio.create_task(sweep_forever(app.store, retention, stop, app.instance))
    following = asyncio.create_task(reloads.follow(stop), name="reloads")
    broken = asyncio.create_task(app.breaker.wait(), name="store")
    platforms: list[asyncio.Task[None]] = []
    if platform in ("telegram", "all"):
        # python-telegram-bot 22 warns on every RetryAfter unless it may use timedelta.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from bot.platforms.telegram import messenger as telegram

        platforms.append(asyncio.create_task(telegram.serve(app, stop, operators), name="telegram"))
    if platform in ("discord", "all"):
        from bot.platforms.discord import messenger as discord

        platforms.append(asyncio.create_task(discord.serve(app, stop, operators), name="discord"))
    # What start-up built (app, content; the platforms' clients, built before their first
    # await) lives as long as the process. Frozen out of the collector's sight, a rare full
    # collection takes ~2 ms instead of 26-77 ms (measured in issue 16).
    await asyncio.sleep(0)
    gc.freeze()
    log.info("crampbot running on %s", platform)
    try:
        waiting: list[asyncio.Task[Any]] = [*platforms, broken]
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if broken in done:
            log.error("stopping crampbot: %s", broken.result())
            return 2
        failed = [task for task in done if _failed(task, stop, settings)]
        refused = any(isinstance(_error(task), SettingsError) for task in failed)
        return 2 if refused else 1 if failed else 0
    finally:
        stop.set()
        broken.cancel()
        await asyncio.gather(*platforms, sweep, following, broken, return_exceptions=True)
        waits.remove()
        if endpoint is not None:
            await endpoint.cleanup()
        await app.close()
        log.info("crampbot stopped")


def _failed(task: asyncio.Task[None], stop: asyncio.Event, settings: Settings) -> bool:
    """Whether a platform stopped by itself (an error, or an end nobody asked for); logs why.

    The line names the error and its causes; for a network failure, also the host
    it could not reach. Secrets in them are redacted by the log handlers.
    """
    error = _error(task)
    if error is None and stop.is_set():
        return False
    platform = task.get_name()
    why = describe(error) if error is not None else "it ended by itself"
    if error is not None and _is_network(error):
        why = f"cannot reach {platform_host(settings, platform)}: {why}"
    log.error("%s stopped serving (%s); stopping crampbot", platform, why)
    if error is not None:
        log.debug("%s failure details", platform, exc_info=error)
    return True


def _error(task: asyncio.Task[None]) -> BaseException | None:
    return None if task.cancelled() else task.exception()


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and what caused it, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe(error: BaseException) -> str:
    """``Class: message`` of the error and each cause, without repeating a message."""
    parts: list[str] = []
    for exc in _chain(error):
        text = " ".join(str(exc).split())
        if parts and text and text in parts[-1]:
            continue
        parts.append(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
    return "; caused by ".join(parts)


def _is_network(error: BaseException) -> bool:
    return any(
        isinstance(exc, OSError) or type(exc).__name__ in ("NetworkError", "TimedOut")
        for exc in _chain(error)
    )


def platform_host(settings: Settings, platform: str) -> str:
    """The host a platform connects to (the configured base URL's, or the platform's own)."""
    configured = settings.telegram_base_url if platform == "telegram" else settings.discord_api_url
    default = "api.telegram.org" if platform == "telegram" else "discord.com"
    return urlsplit(configured).netloc.rpartition("@")[2] if configured else default
