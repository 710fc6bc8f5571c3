"""Fair under load: one person's flood or one chat's 429 never holds up anyone else.

:class:`FairUpdates` lets PTB process updates concurrently, each person's in
arrival order (their replies stay in order) behind the shared
:class:`~bot.platforms.flood.FloodGate`. :class:`PerChatLimiter` keeps
Telegram's flood limits like PTB's ``AIORateLimiter`` but, on a 429, pauses
only the chat it was for: PTB's limiter pauses every request of the bot.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

from bot.platforms.flood import Admission, FloodGate

log = logging.getLogger(__name__)

MAX_CONCURRENT = 256
"""Updates processed at once, all people together (PTB's own suggestion)."""
GROUP_LIMITERS = 512
"""Group limiters (and chat pauses) kept; idle ones are dropped beyond this, as PTB does."""

DROPPED = "update %s dropped: its sender is flooding"

Dropped = Callable[[Update, bool], Awaitable[None]]
"""Deals with a dropped update (a button press still wants its answer); with True, also
tells the sender, once per flood, that they are sending too fast."""


def person(update: object) -> str:
    """Whose turn an update waits for: its sender, else its chat, else one shared turn."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return f"user {update.effective_user.id}"
        if update.effective_chat is not None:
            return f"chat {update.effective_chat.id}"
    return ""


class FairUpdates(BaseUpdateProcessor):
    """Concurrent updates, each person's one at a time and in order, floods dropped first."""

    def __init__(
        self, gate: FloodGate, dropped: Dropped, max_concurrent: int = MAX_CONCURRENT
    ) -> None:
        super().__init__(max_concurrent)
        self.gate = gate
        self.dropped = dropped

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        who = person(update)
        admission = self.gate.admit(who)
        if admission is not Admission.RUN:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing of it ran
            update_id = update.update_id if isinstance(update, Update) else None
            log.info(DROPPED, update_id)
            if isinstance(update, Update):
                await self.dropped(update, admission is Admission.DROP_AND_TELL)
            return
        async with self.gate.turn(who):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up: the gate holds no resources."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class PerChatLimiter(BaseRateLimiter[int]):
    """Telegram's flood limits (30 messages a second overall, 20 a minute per group); a
    RetryAfter pauses only its own chat, then the request is retried up to ``max_retries``."""

    def __init__(
        self,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        max_retries: int = 3,
    ) -> None:
        self._overall = AsyncLimiter(overall_max_rate, 1) if overall_max_rate else None
        self._group_rate = group_max_rate
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._max_retries = max_retries
        # chat id -> event-loop time until which Telegram asked us to wait.
        self._paused: dict[object, float] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            await self._wait_for(chat)
            try:
                result: bool | dict[str, Any] | list[dict[str, Any]]
                result = await self._limited(chat, callback, args, kwargs)
                return result
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning("Telegram still asks to slow down after %d retries", retries)
                    raise
                seconds = _seconds(exc) + 0.1
                log.info("rate limited on one chat; retrying it after %.1f s", seconds)
                self._pause(chat, seconds)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, chat: object, seconds: float) -> None:
        now = asyncio.get_running_loop().time()
        if len(self._paused) >= GROUP_LIMITERS:  # forget pauses that are over
            self._paused = {c: until for c, until in self._paused.items() if until > now}
        self._paused[chat] = now + seconds

    async def _wait_for(self, chat: object) -> None:
        until = self._paused.get(chat)
        if until is None:
            return
        delay = until - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)
        if self._paused.get(chat) == until:
            del self._paused[chat]

    async def _limited(
        self, chat: object, callback: Callable[..., Awaitable[Any]], args: Any, kwargs: Any
    ) -> Any:
        group: AbstractAsyncContextManager[Any] = self._group(chat) or nullcontext()
        overall: AbstractAsyncContextManager[Any] = nullcontext()
        if chat is not None and self._overall is not None:
            overall = self._overall
        async with group, overall:
            return await callback(*args, **kwargs)

    def _group(self, chat: object) -> AsyncLimiter | None:
        """The per-group limiter for a group chat (negative id or @name), else None."""
        with_name = isinstance(chat, str) and not chat.lstrip("-").isdigit()
        if not self._group_rate or not (with_name or _as_int(chat) < 0):
            return None
        key: int | str = chat if isinstance(chat, str) and with_name else _as_int(chat)
        if key not in self._groups and len(self._groups) >= GROUP_LIMITERS:
            for old, limiter in list(self._groups.items()):
                if limiter.has_capacity(limiter.max_rate):
                    del self._groups[old]
        if key not in self._groups:
            self._groups[key] = AsyncLimiter(self._group_rate, 60)
        return self._groups[key]


def _as_int(chat: object) -> int:
    try:
        return int(str(chat))
    except (TypeError, ValueError):
        return 0


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
