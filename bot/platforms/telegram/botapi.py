"""The Bot API calls the adapter makes, answered with where a message is, not a parsed Message.

PTB's typed methods parse every answer into a ``telegram.Message``
(``bench.bench_telegram`` weighs what that costs); the adapter needs only the
message's chat and id. These calls go through ``Bot._post``, the method every
typed method (and the public ``Bot.do_api_request``) posts through: the same
request path, so the same rate limiter, serialisation and error mapping
(``RetryAfter``, ``Forbidden``, ``BadRequest``, ``ChatMigrated``, ``NetworkError``,
``InvalidToken``), and the same form fields as the typed methods send. Not
``do_api_request`` itself: for an endpoint that has a typed method it raises a
warning on every call, whose filtering costs more than the rest of its work.
``tests/platforms/telegram/test_botapi.py`` pins all of that against PTB's
typed methods, so an upgrade that changes it fails there. PTB's ``Defaults``
are not applied on this path; the bot sets none.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters

Location = tuple[int, int]
"""Where a message is: ``(chat_id, message_id)``."""


class BotApi:
    """Send, edit and answer through ``bot._post``; markups go as their JSON text."""

    __slots__ = ("_bot",)

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

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
        # PTB drops the None values, as its typed methods do
        return await self._bot._post(endpoint, api_kwargs=params)


def _json(markup: InlineKeyboardMarkup | None) -> str | None:
    """The markup as PTB would send it (its JSON text; render's keyboards keep theirs)."""
    return None if markup is None else markup.to_json()
