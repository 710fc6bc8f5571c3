"""Guards on what BotApi relies on in PTB: ``Bot._post`` sends what the typed methods
send, through the rate limiter, and fails with the same errors.

A PTB upgrade that changes any of it fails here, not in a chat.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import BaseRateLimiter, ExtBot
from telegram.request import BaseRequest, RequestData

from bot.platforms.telegram.botapi import BotApi
from bot.platforms.telegram.fairness import PerChatLimiter
from bot.platforms.telegram.render import keyboard
from dialogs.types import Option, Question
from tests.fakes.telegram_api import BOT_USER, TOKEN

CHAT = 1001
HTML = ParseMode.HTML
Answer = tuple[int, dict[str, Any]]
"""An HTTP status and the JSON body the Bot API answers with."""


class Scripted(BaseRequest):
    """An in-process Bot API: records each call's form fields, answers as scripted (else OK)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str | None]]] = []
        self.script: list[Answer] = []

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[1]
        fields = request_data.json_parameters if request_data else {}
        self.calls.append((endpoint, fields))
        if endpoint != "getMe" and self.script:
            status, body = self.script.pop(0)
            return status, json.dumps(body).encode()
        result: Any = BOT_USER if endpoint == "getMe" else True
        if endpoint in ("sendMessage", "editMessageText"):
            chat = json.loads(fields["chat_id"] or "0")
            message = json.loads(fields.get("message_id") or "7")
            result = {"message_id": message, "date": 1, "chat": {"id": chat, "type": "private"}}
        return 200, json.dumps({"ok": True, "result": result}).encode()


class Recording(BaseRateLimiter[int]):
    """A rate limiter that only notes which endpoints (and chats) passed through it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        self.seen.append((endpoint, data.get("chat_id")))
        return await callback(*args, **kwargs)


async def a_bot(limiter: BaseRateLimiter[Any] | None = None) -> tuple[ExtBot[Any], Scripted]:
    request = Scripted()
    bot: ExtBot[Any] = ExtBot(TOKEN, request=request, rate_limiter=limiter)
    await bot.initialize()
    return bot, request


MULTI = Question(
    id="when",
    text="When?",
    options=(Option(id="night", label="At night"), Option(id="sport", label="During sport")),
    multi=True,
    step=3,
    number=2,
    selected=("night",),
)
TEXTS: Any = type("Texts", (), {"messages": {"button_done": "Done"}})
PLAIN = InlineKeyboardMarkup([[InlineKeyboardButton("Sources", callback_data="cbout:9:s")]])
Call = Callable[[BotApi, ExtBot[Any]], Awaitable[object]]

# (what, our call, the typed method it stands for): the same arguments both ways.
SAME: list[tuple[str, Call, Call]] = [
    ("plain text", lambda a, b: a.send(CHAT, "hi"), lambda a, b: b.send_message(CHAT, "hi")),
    (
        "html, cached keyboard, topic",
        lambda a, b: a.send(
            CHAT,
            "<b>q</b>",
            parse_mode=HTML,
            reply_markup=keyboard(MULTI, TEXTS),
            message_thread_id=5,
        ),
        lambda a, b: b.send_message(
            CHAT,
            "<b>q</b>",
            parse_mode=HTML,
            reply_markup=keyboard(MULTI, TEXTS),
            message_thread_id=5,
        ),
    ),
    (
        "group reply",
        lambda a, b: a.send(
            -5, "x", reply_parameters=ReplyParameters(3, allow_sending_without_reply=True)
        ),
        lambda a, b: b.send_message(
            -5, "x", reply_parameters=ReplyParameters(3, allow_sending_without_reply=True)
        ),
    ),
    (
        "edit text and markup",
        lambda a, b: a.edit_text(CHAT, 7, "<i>t</i>", parse_mode=HTML, reply_markup=PLAIN),
        lambda a, b: b.edit_message_text("<i>t</i>", CHAT, 7, parse_mode=HTML, reply_markup=PLAIN),
    ),
    (
        "edit text only",
        lambda a, b: a.edit_text(CHAT, 7, "t"),
        lambda a, b: b.edit_message_text("t", CHAT, 7),
    ),
    (
        "new keyboard",
        lambda a, b: a.edit_markup(CHAT, 7, keyboard(MULTI, TEXTS)),
        lambda a, b: b.edit_message_reply_markup(CHAT, 7, reply_markup=keyboard(MULTI, TEXTS)),
    ),
    (
        "buttons off",
        lambda a, b: a.edit_markup(CHAT, 7),
        lambda a, b: b.edit_message_reply_markup(CHAT, 7),
    ),
    ("answer", lambda a, b: a.answer("q1"), lambda a, b: b.answer_callback_query("q1")),
    (
        "answer with a toast",
        lambda a, b: a.answer("q1", "Closed"),
        lambda a, b: b.answer_callback_query("q1", "Closed"),
    ),
]


@pytest.mark.parametrize(("what", "ours", "typed"), SAME, ids=[s[0] for s in SAME])
async def test_raw_calls_send_the_typed_methods_fields_when_given_the_same_arguments(
    what: str, ours: Call, typed: Call
) -> None:
    bot, request = await a_bot(PerChatLimiter(max_retries=0))
    await typed(BotApi(bot), bot)
    await ours(BotApi(bot), bot)
    (endpoint, expected), (sent_to, sent) = request.calls[-2:]
    assert (sent_to, sent) == (endpoint, expected)


async def test_raw_calls_pass_the_rate_limiter_when_the_bot_has_one() -> None:
    limiter = Recording()
    bot, _ = await a_bot(limiter)
    api = BotApi(bot)
    await api.send(CHAT, "hi")
    await api.edit_text(CHAT, 7, "hi")
    await api.edit_markup(CHAT, 7)
    await api.answer("q1")
    assert limiter.seen[-4:] == [
        ("sendMessage", CHAT),
        ("editMessageText", CHAT),
        ("editMessageReplyMarkup", CHAT),
        ("answerCallbackQuery", None),
    ]


async def test_raw_send_is_retried_by_our_limiter_when_telegram_says_retry_after() -> None:
    bot, request = await a_bot(PerChatLimiter(max_retries=1))
    request.script.append(
        (429, {"ok": False, "description": "slow", "parameters": {"retry_after": 1}})
    )
    assert await BotApi(bot).send(CHAT, "hi") == (CHAT, 7)
    assert [e for e, _ in request.calls].count("sendMessage") == 2


def refused(status: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    return status, {**body, "parameters": parameters} if parameters else body


REFUSALS = {
    "not modified": (refused(400, "Bad Request: message is not modified"), BadRequest),
    "blocked": (refused(403, "Forbidden: bot was blocked by the user"), Forbidden),
    "flood": (refused(429, "Too Many Requests", retry_after=3), RetryAfter),
    "migrated": (refused(400, "Bad Request: upgraded", migrate_to_chat_id=-100), ChatMigrated),
    "server error": (refused(500, "Internal Server Error"), NetworkError),
    "token revoked": (refused(401, "Unauthorized"), InvalidToken),
    "no such chat": (refused(404, "Not Found"), InvalidToken),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
@pytest.mark.parametrize("what", ["send", "edit", "answer"])
async def test_raw_calls_raise_what_typed_methods_raise_when_telegram_refuses(
    kind: str, what: str
) -> None:
    answer, expected = REFUSALS[kind]
    ours, typed = {s[0]: s[1:] for s in SAME}[
        {"send": "plain text", "edit": "edit text only", "answer": "answer"}[what]
    ]
    bot, request = await a_bot(PerChatLimiter(max_retries=0))
    raised: list[TelegramError] = []
    for call in (typed, ours):
        request.script.append(answer)
        with pytest.raises(TelegramError) as caught:
            await call(BotApi(bot), bot)
        raised.append(caught.value)
    assert [type(e) for e in raised] == [expected, expected]
    assert raised[0].message == raised[1].message


async def test_raw_calls_warn_nothing_when_warnings_are_errors() -> None:
    bot, _ = await a_bot()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api = BotApi(bot)
        await api.send(CHAT, "hi")
        await api.edit_text(CHAT, 7, "hi")
        await api.edit_markup(CHAT, 7)
        await api.answer("q1")
