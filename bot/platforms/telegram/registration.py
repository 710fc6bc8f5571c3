"""Register the webhook and the command menus once per deployment, not once per replica.

What was registered is kept in the store as a SHA-256 per bot (the webhook's
URL, secret and update types; the menus' commands, scopes and languages), so
the secret is never stored in clear and a start with nothing changed calls
nothing at Telegram. The webhook is also compared with ``getWebhookInfo``, so
one deleted by someone else is registered again. At ``crampbot run`` start
the work is done under the short ``telegram:setup`` lease: replicas starting
together register once. ``crampbot telegram setup`` does the same from a shell.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import TelegramError

from bot.app import App
from bot.platforms.telegram.render import GROUP_COMMANDS, PRIVATE_COMMANDS, commands
from bot.settings import Settings

log = logging.getLogger(__name__)

SETUP_LEASE = "telegram:setup"
LEASE_SECONDS = 60.0
"""How long one process may take registering before another may try."""
WAIT_SECONDS = 0.5
"""How often a starting replica looks whether the registering one is done."""
BASE_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


@dataclass(frozen=True, slots=True)
class Menu:
    """One ``setMyCommands`` call: the commands of one scope in one language (``None``: default)."""

    commands: tuple[BotCommand, ...]
    scope: BotCommandScope
    language: str | None


def meta_name(settings: Settings, what: str) -> str:
    """The store's meta name for this bot's ``what`` (``webhook`` or ``commands``)."""
    return f"telegram:{settings.telegram_token.partition(':')[0]}:{what}"


def menus(app: App) -> list[Menu]:
    """The command menus: the interview's in private chats, the public ones in groups, per language."""
    default = app.engine.texts(app.settings.locale)
    found = []
    for texts in [default, *(t for t in app.engine.locales.values() if t is not default)]:
        language = None if texts is default else texts.locale
        for names, scope in (
            (PRIVATE_COMMANDS, BotCommandScopeAllPrivateChats()),
            (GROUP_COMMANDS, BotCommandScopeAllGroupChats()),
        ):
            found.append(Menu(tuple(commands(texts, names)), scope, language))
    return found


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def menus_digest(found: list[Menu]) -> str:
    return _digest(
        [[[c.to_dict() for c in m.commands], m.scope.to_dict(), m.language] for m in found]
    )


def webhook_digest(settings: Settings) -> str:
    """The hash of the webhook registration; the secret is in it, never stored apart."""
    return _digest(
        [settings.telegram_webhook_url, settings.telegram_webhook_secret, ALLOWED_UPDATES]
    )


async def register(bot: Bot, app: App) -> list[str]:
    """Register what changed since the last registration; return what was registered.

    The webhook only when ``CRAMPBOT_TELEGRAM_WEBHOOK_URL`` is set; its failure
    raises (TelegramError), a menu's is logged. A hash is saved only after
    Telegram accepted the calls.
    """
    settings, store = app.settings, app.store
    done = []
    found = menus(app)
    digest = menus_digest(found)
    if await store.get_meta(meta_name(settings, "commands")) != digest:
        try:
            for menu in found:
                await bot.set_my_commands(
                    menu.commands, scope=menu.scope, language_code=menu.language
                )
        except TelegramError as exc:  # the bot works without menus; the next start tries again
            log.warning("could not register the command menus: %s", type(exc).__name__)
        else:
            await store.set_meta(meta_name(settings, "commands"), digest)
            done.append("command menus")
    url = settings.telegram_webhook_url
    if url:
        digest = webhook_digest(settings)
        kept = await store.get_meta(meta_name(settings, "webhook")) == digest
        if not kept or (await bot.get_webhook_info()).url != url:
            await bot.set_webhook(
                url, secret_token=settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            await store.set_meta(meta_name(settings, "webhook"), digest)
            done.append("webhook")
    return done


async def register_once(bot: Bot, app: App) -> list[str]:
    """Register under the setup lease, so replicas starting together do it once; return what.

    While another process holds the lease this one waits (at most the lease's
    length), then finds the hashes unchanged. Logs one line saying what it did.
    """
    store, holder = app.store, app.instance
    for _ in range(int(LEASE_SECONDS / WAIT_SECONDS) + 1):
        if await store.lease(SETUP_LEASE, holder, LEASE_SECONDS):
            break
        await asyncio.sleep(WAIT_SECONDS)
    else:
        log.warning("telegram: another process kept the setup lease; not registering here")
        return []
    try:
        done = await register(bot, app)
    finally:
        await store.release(SETUP_LEASE, holder)
    log.info("telegram: %s", describe(done, bool(app.settings.telegram_webhook_url)))
    return done


async def setup(app: App, delete: bool = False) -> str:
    """``crampbot telegram setup [--delete]``: register what changed, or delete the webhook.

    Returns the line to print. Raises TelegramError when Telegram refuses or is unreachable.
    """
    settings = app.settings
    bot = Bot(settings.telegram_token, base_url=settings.telegram_base_url or BASE_URL)
    async with bot:
        if delete:
            await bot.delete_webhook()
            await forget_webhook(app)
            return "telegram: webhook deleted; one process may now poll (crampbot run telegram)"
        done = await register_once(bot, app)
        return f"telegram: {describe(done, webhook=True)} ({settings.telegram_webhook_url})"


def describe(done: list[str], webhook: bool) -> str:
    """One line saying what was registered, or that nothing had changed."""
    if done:
        return f"registered the {' and the '.join(done)}"
    what = "webhook and command menus" if webhook else "command menus"
    return f"{what} unchanged; not registered again"


async def forget_webhook(app: App) -> None:
    """Note that no webhook is registered (polling deleted it, or ``setup --delete`` did)."""
    name = meta_name(app.settings, "webhook")
    if await app.store.get_meta(name):
        await app.store.set_meta(name, "")
