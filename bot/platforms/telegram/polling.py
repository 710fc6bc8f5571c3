"""Long polling refused where it would fight webhook replicas sharing a store.

Telegram serves a bot by webhook or to one poller, never both, and starting to
poll deletes the webhook. So on a shared store (Redis) polling starts only when
no webhook is registered there (the registration hash says so) and no other
process holds the ``telegram:polling`` lease, which the poller renews while it
polls. A single polling process on SQLite (or in memory) is never refused.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from bot.app import App
from bot.platforms.telegram.registration import meta_name
from bot.settings import SettingsError
from dialogs import StoreUnavailable

log = logging.getLogger(__name__)

POLLING_LEASE = "telegram:polling"
LEASE_SECONDS = 30.0
"""How long a poller that stopped without a word (killed) keeps others from polling."""
RENEW_SECONDS = 10.0
FIX = (
    "set CRAMPBOT_TELEGRAM_WEBHOOK_URL to run as one more webhook replica, "
    "or run `crampbot telegram setup --delete` to go back to one polling process"
)


def shared(store_url: str) -> bool:
    """Whether the store can be shared by processes on several hosts (Redis)."""
    return store_url.startswith(("redis://", "rediss://"))


async def claim(app: App) -> None:
    """Take the polling lease, or raise :class:`SettingsError` saying why polling must not start."""
    settings = app.settings
    if not shared(settings.store):
        return
    if await app.store.get_meta(meta_name(settings, "webhook")):
        raise SettingsError(
            "telegram_webhook_url",
            "is not set, but webhook replicas of this bot share this store "
            f"and polling would delete their webhook; {FIX}",
        )
    if not await app.store.lease(POLLING_LEASE, app.instance, LEASE_SECONDS):
        raise SettingsError(
            "telegram_webhook_url",
            f"is not set, but another process already polls for this bot on this store; {FIX}",
        )


async def hold(app: App, stop: asyncio.Event) -> None:
    """Renew the polling lease until ``stop`` is set, then give it up (shared stores only)."""
    if not shared(app.settings.store):
        return
    try:
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RENEW_SECONDS)
            if stop.is_set():
                break
            try:
                if not await app.store.lease(POLLING_LEASE, app.instance, LEASE_SECONDS):
                    log.error("telegram: another process took the polling lease; %s", FIX)
            except StoreUnavailable as exc:
                log.warning("telegram: the polling lease was not renewed: %s", exc)
    finally:
        with suppress(StoreUnavailable):
            await app.store.release(POLLING_LEASE, app.instance)
