"""The Bot API calls the adapter makes, answered with where a message is, not a parsed Message.

PTB's typed methods parse every answer into a ``telegram.Message``
(``bench.bench_telegram`` weighs what that costs); the adapter needs only the
message's chat and id. These calls go through PTB's public
``Bot.do_api_request`` instead: the same request path, so the same rate
limiter, serialisation and error mapping (``RetryAfter``, ``Forbidden``,
``BadRequest``, ``ChatMigrated``, ``NetworkError``), and the same form fields as
the typed methods send. ``tests/platforms/telegram/test_botapi.py`` pins all
of that against PTB's typed methods, so an upgrade that changes it fails there.
PTB's ``Defaults`` are not applied on this path; the bot sets none.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.error import EndPointNotFound, InvalidToken
from telegram.warnings import PTBUserWarning

Location = tuple[int, int]
"""Where a message is: ``(chat_id, message_id)``."""

ENDPOINTS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")
TYPED_METHOD_HINT = rf"Please use 'Bot\.({'|'.join(ENDPOINTS)})' instead of 'Bot\.do_api_request"
"""PTB's warning that a typed method exists for an endpoint: we skip those on purpose."""


class BotApi:
    """Send, edit and answer through ``bot.do_api_request``; markups go as their JSON text."""

    __slots__ = ("_bot",)

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        # For our endpoints only; idempotent (the warnings module keeps one copy of a filter).
        warnings.filterwarnings("ignore", TYPED_METHOD_HINT, PTBUserWarning)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        message_thread_id: int | None = None,
        reply_parameters: ReplyParameters | None = None,
    ) -> Location:
        """Send a text message; where it went (a migrated group answers from its new chat)."""
        sent = await self._call(
            "sendMessage",
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            reply_markup=_json(reply_markup),
            message_thread_id=message_thread_id,
            reply_parameters=reply_parameters,
        )
        return int(sent["chat"]["id"]), int(sent["message_id"])

    async def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Replace a message's text (and its keyboard: none unless given)."""
        await self._call(
            "editMessageText",
            chat_id=chat_id,
            message_id=message_id,
            text=text,
            parse_mode=parse_mode,
            reply_markup=_json(reply_markup),
        )

    async def edit_markup(
        self, chat_id: int, message_id: int, reply_markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Replace a message's keyboard; without one, take the buttons off."""
        await self._call(
            "editMessageReplyMarkup",
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=_json(reply_markup),
        )

    async def answer(self, callback_query_id: str, text: str | None = None) -> None:
        """Answer a button press (stops its spinner), with a toast when ``text`` is given."""
        await self._call("answerCallbackQuery", callback_query_id=callback_query_id, text=text)

    async def _call(self, endpoint: str, **params: Any) -> Any:
        try:  # PTB drops the None values, as its typed methods do
            return await self._bot.do_api_request(endpoint, api_kwargs=params)
        except EndPointNotFound as exc:
            # Our endpoints exist: a 401/404 is a rejected token, as the typed methods say.
            if isinstance(exc.__cause__, InvalidToken):
                raise exc.__cause__ from None
            raise


def _json(markup: InlineKeyboardMarkup | None) -> str | None:
    """The markup as PTB would send it (its JSON text; render's keyboards keep theirs)."""
    return None if markup is None else markup.to_json()
