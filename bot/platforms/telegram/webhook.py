"""Our own Telegram webhook server (aiohttp), hardened against forged and oversized requests.

Checks run cheapest first, and nothing is read before the request has earned
it: only the exact path answers; the secret header is compared in constant
time; a body over :data:`MAX_BODY` is refused from its Content-Length before a
byte of it is read (and ``client_max_size`` caps bodies without one). In a
private chat the chat is the person, so an update whose private chat is not its
sender is forged and ignored. Telegram gets 200 only once the update has been
processed (the engine has saved it) and 500 when processing failed, so it sends
that update again: no update is lost with a crashed or stopped process.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.constants import ChatType

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
"""The largest update body accepted; Telegram's updates are far smaller."""
PROCESS_SECONDS = 50.0
"""How long Telegram is kept waiting for an answer (it gives up after about 60 s)."""

Apply = Callable[[Update], Coroutine[Any, Any, bool]]
"""Processes one update to the end; False when processing failed and Telegram should resend."""


def forged(update: Update) -> bool:
    """Whether ``update`` claims a private chat that is not its sender's own."""
    chat, user = update.effective_chat, update.effective_user
    return (
        chat is not None and chat.type == ChatType.PRIVATE and (user is None or user.id != chat.id)
    )


def same_secret(given: str, expected: str) -> bool:
    """Compare secrets in constant time (of equal-length digests, so not even the length leaks)."""
    return hmac.compare_digest(_digest(given), _digest(expected))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class WebhookServer:
    """Receives updates on ``listen:port`` at exactly ``path`` and hands each to ``apply``."""

    def __init__(
        self, bot: Bot, apply: Apply, *, path: str, secret: str, listen: str, port: int
    ) -> None:
        self.bot = bot
        self.apply = apply
        self.path = "/" + path.lstrip("/")
        self.secret = secret
        self.listen, self.port = listen, port
        self._runner: web.AppRunner | None = None
        self._working: set[asyncio.Task[bool]] = set()

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Listen; raises OSError when the address is taken or not ours."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        log.info("telegram: webhook server on %s:%s", self.listen, self.port)

    async def stop(self) -> None:
        """Stop listening and let updates being processed finish."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.gather(*self._working, return_exceptions=True)

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        if not same_secret(request.headers.get(SECRET_HEADER, ""), self.secret):
            log.warning("webhook: refused a request without the right secret")
            return _refuse(403)
        if request.content_length is not None and request.content_length > MAX_BODY:
            log.warning("webhook: refused a body of %d bytes", request.content_length)
            return _refuse(413)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.bot)
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook: refused a body over %d bytes", MAX_BODY)
            return _refuse(413)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("webhook: ignored a body that is not an update")
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        if forged(update):
            log.warning(
                "webhook: ignored update %s: a private chat not its sender's", update.update_id
            )
            return web.Response()  # answered, so Telegram does not send it again
        return await self._process(update)

    async def _process(self, update: Update) -> web.Response:
        task = asyncio.create_task(self.apply(update), name=f"webhook update {update.update_id}")
        self._working.add(task)
        task.add_done_callback(self._working.discard)
        try:
            async with asyncio.timeout(PROCESS_SECONDS):
                done = await asyncio.shield(task)
        except TimeoutError:  # it keeps running; Telegram's resend is applied once
            log.warning(
                "webhook: update %s still processing; Telegram will resend", update.update_id
            )
            return web.Response(status=500)
        except Exception as exc:  # any failure: Telegram resends, nothing is lost
            log.warning("webhook: update %s failed: %s", update.update_id, type(exc).__name__)
            return web.Response(status=500)
        return web.Response(status=200 if done else 500)


def _refuse(status: int) -> web.Response:
    """A refusal that closes the connection, so an unread body is never waited for."""
    response = web.Response(status=status)
    response.force_close()
    return response
