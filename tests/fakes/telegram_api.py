"""A fake Telegram Bot API server on 127.0.0.1 for running the real python-telegram-bot client.

It records every call, holds ``getUpdates`` long polls, lets tests inject
updates, keeps the messages the bot sent (text parsed from HTML the way
Telegram does, with their current keyboards), and fails the next call of a
method on demand (429 with retry_after, 403, 500, a dropped connection, a
group migrated to a supergroup, "message is not modified").

It is as strict as the platform where the bot could go wrong: every callback
query must be answered, once (:meth:`FakeBotApi.unanswered` lists the ones
that were not); an edit that changes nothing is "message is not modified";
texts, buttons, callback data and toast texts have Telegram's limits; a reply
must name a message of its chat. It keeps the webhook ``setWebhook`` set
(``getWebhookInfo`` shows it, ``deleteWebhook`` removes it) and, as Telegram
does, refuses ``getUpdates`` with 409 while a webhook is set.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAHfakefakefakefakefakefakefakefake0"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Cramp Helper",
    "username": "crampbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
FAILURES: dict[str, tuple[int, dict[str, Any]]] = {
    "429": (
        429,
        {"description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}},
    ),
    "403": (403, {"description": "Forbidden: bot was blocked by the user"}),
    "500": (500, {"description": "Internal Server Error"}),
    "not_modified": (400, {"description": "Bad Request: message is not modified"}),
}
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "link_preview_options",
        "reply_parameters",
    }
)
INT_FIELDS = frozenset({"chat_id", "message_id", "message_thread_id", "offset", "timeout", "limit"})
MESSAGE_LIMIT = 4096
CALLBACK_DATA_BYTES = 64
ANSWER_TEXT_LIMIT = 200
BUTTONS_PER_ROW = 8
BUTTONS_PER_KEYBOARD = 100
CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "s": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_TOKEN = re.compile(
    r'<(/?)([a-z-]+)((?: [a-z-]+="[^"<>]*")*)>|&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[<>&]'
)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and entities; ValueError where Telegram says 400."""
    plain: list[str] = []
    units = 0
    stack: list[tuple[str, int, str]] = []
    entities: list[dict[str, Any]] = []

    def add(text: str) -> None:
        nonlocal units
        plain.append(text)
        units += len(text.encode("utf-16-le")) // 2

    pos = 0
    for m in _TOKEN.finditer(source):
        add(source[pos : m.start()])
        pos = m.end()
        closing, tag, attrs, entity = m.groups()
        if tag:
            if tag not in TAGS:
                raise ValueError(f"unsupported tag <{tag}>")
            if not closing:
                stack.append((tag, units, attrs))
                continue
            if not stack or stack[-1][0] != tag:
                raise ValueError(f"unmatched end tag </{tag}>")
            name, start, attributes = stack.pop()
            if units > start:
                found: dict[str, Any] = {
                    "type": TAGS[name],
                    "offset": start,
                    "length": units - start,
                }
                if name == "a":
                    found["url"] = html.unescape(attributes.partition('"')[2].rstrip('"'))
                entities.append(found)
        elif entity:
            add(html.unescape(m.group(0)))
        else:
            raise ValueError(f"unescaped {m.group(0)!r} at {m.start()}")
    add(source[pos:])
    if stack:
        raise ValueError(f"unclosed tag <{stack[-1][0]}>")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


@dataclass
class Call:
    """One Bot API call the bot made; ``failed`` names the injected failure, or is
    ``400 <why>`` when the fake refused it as Telegram would."""

    method: str
    params: dict[str, Any]
    failed: str | None = None
    result: Any = None
    """What the fake answered (for sendMessage, the message with its id)."""


@dataclass
class _Fault:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


class FakeBotApi:
    """The Bot API over HTTP on 127.0.0.1, enough for the crampbot adapter and PTB itself."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chat_types: dict[int, str] = {}
        self.queries: dict[str, int] = {}  # callback query id -> times answered
        self.incoming: set[tuple[int, int]] = set()  # (chat, message) the people sent
        self.webhook: dict[str, Any] = {}  # what setWebhook set: url, secret_token, ...
        self.port = 0
        self._updates: list[dict[str, Any]] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._changed = asyncio.Condition()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._closing = False
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # What tests do to the fake.

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def note(self, update: dict[str, Any]) -> None:
        """Know what an update brings (a callback query to answer, a message to reply to)."""
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self.queries.setdefault(str(query["id"]), 0)
        message = update.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            self.incoming.add((message["chat"].get("id"), message.get("message_id")))

    def unanswered(self) -> list[str]:
        """Callback queries the bot never answered (a spinner left on the person's button)."""
        return [q for q, times in self.queries.items() if times == 0]

    def live_keyboards(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in ``chat_id`` that still have buttons to press."""
        return [
            m
            for m in self.chat_messages(chat_id)
            if any(
                "callback_data" in b
                for row in m.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
            )
        ]

    async def enqueue(self, update: dict[str, Any]) -> None:
        """Make ``update`` available to the bot's next getUpdates."""
        self.note(update)
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def fail_next(self, method: str, kind: str, **params: Any) -> None:
        """Fail the next call of ``method``: 429, 403, 500, drop, migrate or not_modified.

        With ``chat_id``, only the next call of ``method`` to that chat fails.
        """
        assert kind in (*FAILURES, "drop", "migrate"), kind
        self._faults.setdefault(method, []).append(_Fault(kind, params))

    async def wait_for(self, found: Callable[[Call], bool], timeout: float = 15) -> Call:
        """The first recorded call ``found`` accepts, waiting for it (timeout: a hang guard)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: any(found(c) for c in self.calls))
        return next(c for c in self.calls if found(c))

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        """Successful calls, optionally of one method and to one chat."""
        return [
            c
            for c in self.calls
            if c.failed is None
            and (method is None or c.method == method)
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages the bot has in ``chat_id`` now, oldest first."""
        return [m for (chat, _), m in sorted(self.messages.items()) if chat == chat_id]

    # The server side.

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = _params(dict(await request.post()))
        fault = self._take_fault(method, params.get("chat_id"))
        call = Call(method, params, fault.kind if fault else None)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if fault is not None:
            return self._fail(request, fault)
        if method == "getUpdates":
            if self.webhook:
                call.failed = "409 conflict"
                return _error(409, CONFLICT)
            return _ok(await self._get_updates(params))
        try:
            call.result = self._answer(method, params)
            return _ok(call.result)
        except ValueError as exc:
            call.failed = f"400 {exc}"  # refused as Telegram would: not among the sent calls
            return _error(400, f"Bad Request: {exc}")

    def _take_fault(self, method: str, chat_id: Any) -> _Fault | None:
        faults = self._faults.get(method, [])
        for n, fault in enumerate(faults):
            if fault.params.get("chat_id", chat_id) == chat_id:
                return faults.pop(n)
        return None

    def _fail(self, request: web.Request, fault: _Fault) -> web.StreamResponse:
        if fault.kind == "drop":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if fault.kind == "migrate":
            parameters = {"migrate_to_chat_id": fault.params["to"]}
            return _error(
                400, "Bad Request: group chat was upgraded to a supergroup chat", parameters
            )
        status, body = FAILURES[fault.kind]
        return _error(status, body["description"], body.get("parameters"))

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset, timeout = params.get("offset", 0), params.get("timeout", 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout and not self._closing:
                ready = lambda: bool(self._updates) or self._closing  # noqa: E731
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(ready)
                except TimeoutError:
                    pass
            return list(self._updates)

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            _check_markup(params)
            self._check_reply(params)
            return self._new_message(params)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            _check_markup(params)
            message = self.messages.get((params["chat_id"], params["message_id"]))
            if message is None:
                raise ValueError("message to edit not found")
            edited = dict(message)
            if method == "editMessageText":
                edited.update(_text(params))
            edited.pop("reply_markup", None)
            if params.get("reply_markup"):
                edited["reply_markup"] = params["reply_markup"]
            if edited == message:
                raise ValueError(
                    "message is not modified: specified new message content and reply markup"
                    " are exactly the same as a current content and reply markup of the message"
                )
            message.clear()
            message.update(edited)
            return message
        if method == "answerCallbackQuery":
            return self._answer_query(params)
        if method == "setWebhook":
            self.webhook = params
        elif method == "deleteWebhook":
            self.webhook = {}
        elif method == "getWebhookInfo":
            url = self.webhook.get("url", "")
            allowed = self.webhook.get("allowed_updates")
            info = {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
            return info | ({"allowed_updates": allowed} if allowed else {})
        return True  # setMyCommands, ...

    def _answer_query(self, params: dict[str, Any]) -> bool:
        query = str(params.get("callback_query_id"))
        if self.queries.get(query, 1) != 0:  # unknown, or answered already
            raise ValueError(QUERY_INVALID)
        if len(str(params.get("text", ""))) > ANSWER_TEXT_LIMIT:
            raise ValueError("MESSAGE_TOO_LONG")
        self.queries[query] = 1
        return True

    def _check_reply(self, params: dict[str, Any]) -> None:
        reply = params.get("reply_parameters")
        if not reply:
            return
        target = (reply.get("chat_id", params["chat_id"]), reply.get("message_id"))
        known = target in self.incoming or target in self.messages
        if not known and not reply.get("allow_sending_without_reply"):
            raise ValueError("message to be replied not found")

    def _new_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        kind = self.chat_types.get(chat_id, "private" if chat_id > 0 else "supergroup")
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind},
            "from": BOT_USER,
            **_text(params),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        self.messages[(chat_id, message["message_id"])] = message
        return message


def _check_markup(params: dict[str, Any]) -> None:
    """Telegram's limits on an inline keyboard: rows, buttons, texts and callback data."""
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    if sum(len(row) for row in rows) > BUTTONS_PER_KEYBOARD:
        raise ValueError("reply markup is too long")
    for row in rows:
        if not row or len(row) > BUTTONS_PER_ROW:
            raise ValueError("BUTTON_ROWS_INVALID")
        for button in row:
            if not str(button.get("text", "")).strip():
                raise ValueError("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_BYTES:
                raise ValueError("BUTTON_DATA_INVALID")
            if data is None and "url" not in button:
                raise ValueError("BUTTON_TYPE_INVALID")


def _text(params: dict[str, Any]) -> dict[str, Any]:
    raw = params["text"]
    text, entities = parse_html(raw) if params.get("parse_mode") == "HTML" else (raw, [])
    if not text.strip():
        raise ValueError("message text is empty")
    if len(text.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
        raise ValueError("message is too long")
    return {"text": text, "entities": entities}


def _params(form: dict[str, Any]) -> dict[str, Any]:
    """Form fields as the Bot API reads them: nested values are JSON, ids are numbers."""
    out: dict[str, Any] = {}
    for name, value in form.items():
        if name in JSON_FIELDS:
            out[name] = json.loads(value)
        elif name in INT_FIELDS and str(value).lstrip("-").isdigit():
            out[name] = int(value)
        else:
            out[name] = value
    return out


def _ok(result: Any) -> web.Response:
    return web.Response(
        body=json.dumps({"ok": True, "result": result}), content_type="application/json"
    )


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.Response(status=status, body=json.dumps(body), content_type="application/json")
