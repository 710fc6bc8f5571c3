"""Updates per second through PTB + our adapter + engine + SQLite, against a bare PTB bot.

Both bots run in one process on the same instant in-process Bot API
transport (a ``BaseRequest`` subclass) and are fed with
``Application.process_update``. The baseline is a ``ConversationHandler``
keeping its state in a dict, doing the same number of steps for the same
number of users. Our bot uses Telegram's rate limiter with the flood limits
switched off (they would measure Telegram's limits, not our code).

Run: ``.venv/bin/python -m bench.bench_telegram``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import yaml
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)
from telegram.request import BaseRequest, RequestData

from bot.app import build_app
from bot.settings import Settings
from bot.telegram_messenger import build_application
from bot.telegram_render import CHECKED, outcome_messages
from dialogs.content import Texts
from dialogs.types import Incoming, Outcome

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = yaml.safe_load((ROOT / "tests" / "scenarios.yaml").read_text())
TOKEN = "123456789:AAHbenchbenchbenchbenchbenchbenchbe0"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
USERS = 200
ROUNDS = 5


class InstantRequest(BaseRequest):
    """Answers every Bot API call at once and keeps each chat's open keyboard."""

    def __init__(self) -> None:
        self.keyboards: dict[int, dict[str, Any]] = {}
        self.calls = 0
        self._ids = itertools.count(1)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[1]
        params = request_data.parameters if request_data else {}
        result: Any = True
        if name == "getMe":
            result = BOT
        elif name in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat = int(params["chat_id"])
            message_id = params.get("message_id") or next(self._ids)
            markup = params.get("reply_markup")
            if markup:
                self.keyboards[chat] = {"message_id": message_id, "markup": markup}
            elif name == "editMessageText" and self.keyboards.get(chat, {}).get("message_id") == (
                message_id
            ):
                del self.keyboards[chat]
            result = {
                "message_id": message_id,
                "date": 1,
                "chat": {"id": chat, "type": "private"},
                "text": params.get("text", "question"),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def user(uid: int) -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": "U", "language_code": "en"}


def command(uid: int, update_id: int, text: str) -> dict[str, Any]:
    chat = {"id": uid, "type": "private"}
    entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    message = {"message_id": update_id, "date": 1, "chat": chat, "from": user(uid), "text": text}
    return {"update_id": update_id, "message": {**message, "entities": [entity]}}


def press(uid: int, update_id: int, data: str, message_id: int) -> dict[str, Any]:
    message = {"message_id": message_id, "date": 1, "chat": {"id": uid, "type": "private"}}
    query = {"id": f"q{update_id}", "from": user(uid), "chat_instance": "c", "data": data}
    return {
        "update_id": update_id,
        "callback_query": {**query, "message": {**message, "text": "q"}},
    }


class Person:
    """One user answering their persona with the buttons the bot actually sent."""

    def __init__(self, uid: int, persona: dict[str, Any], texts: Texts) -> None:
        self.uid, self.answers, self.texts = uid, persona["answers"], texts
        self.started = False
        self.updates = 0

    def next_update(self, request: InstantRequest, update_id: int) -> dict[str, Any] | None:
        if not self.started:
            self.started = True
            return command(self.uid, update_id, "/start")
        open_question = request.keyboards.get(self.uid)
        if open_question is None:
            return None
        rows = open_question["markup"]["inline_keyboard"]
        question = rows[0][0]["callback_data"].split(":")[3]
        wanted = self.answers[question]
        labels = self.texts.labels[question]
        data = None
        if isinstance(wanted, list):
            ticked = {
                b["text"].removeprefix(CHECKED) for r in rows for b in r if CHECKED in b["text"]
            }
            missing = [labels[o] for o in wanted if labels[o] not in ticked]
            for row in rows:
                text = row[0]["text"]
                if (missing and text == missing[0]) or (
                    not missing and "done" in row[0]["callback_data"]
                ):
                    data = row[0]["callback_data"]
        else:
            data = next(r[0]["callback_data"] for r in rows if r[0]["text"] == labels[wanted])
        assert data is not None
        return press(self.uid, update_id, data, open_question["message_id"])


async def feed_ours(application: Application, request: InstantRequest, texts: Texts) -> list[int]:
    """Run every user's interview round-robin; return each user's number of updates."""
    people = [Person(1000 + i, PERSONAS[i % len(PERSONAS)], texts) for i in range(USERS)]
    ids = itertools.count(1)
    active = list(people)
    while active:
        still = []
        for person in active:
            update = person.next_update(request, next(ids))
            if update is None:
                continue
            await application.process_update(Update.de_json(update, application.bot))
            person.updates += 1
            still.append(person)
        active = still
    return [p.updates for p in people]


def bare_application(
    request: InstantRequest, steps: int, texts: Texts, outcome: str
) -> Application:
    """The baseline: a ConversationHandler of ``steps`` button questions, state in a dict.

    It asks the interview's questions with their real labels (so both bots send
    keyboards of the same size) and ends with an outcome of the same length;
    it understands nothing and decides nothing.
    """
    ids = list(texts.question_text)
    pages = []
    for n in range(steps):
        question = ids[n % len(ids)]
        labels = texts.labels[question]
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=f"o:{n}:{o}")]
                for o, label in labels.items()
            ]
        )
        pages.append((f"<b>{texts.question_text[question]}</b>", markup))

    async def start(update: Update, context: Any) -> int:
        assert update.effective_chat is not None
        text, markup = pages[0]
        await context.bot.send_message(
            update.effective_chat.id, text, reply_markup=markup, parse_mode="HTML"
        )
        return 0

    def step(number: int) -> Any:
        async def answer(update: Update, context: Any) -> int:
            query = update.callback_query
            context.user_data[number] = query.data
            await query.answer()
            await query.edit_message_text(f"{pages[number][0]}\n{query.data}", parse_mode="HTML")
            if number + 1 == steps:
                await context.bot.send_message(query.message.chat_id, outcome, parse_mode="HTML")
                return ConversationHandler.END
            text, markup = pages[number + 1]
            await context.bot.send_message(
                query.message.chat_id, text, reply_markup=markup, parse_mode="HTML"
            )
            return number + 1

        return answer

    states = {n: [CallbackQueryHandler(step(n))] for n in range(steps)}
    with warnings.catch_warnings():  # PTB's per_message advice does not apply to one chat each
        warnings.simplefilter("ignore")
        conversation = ConversationHandler([CommandHandler("start", start)], states, [])
    application = ApplicationBuilder().token(TOKEN).request(request).updater(None).build()
    application.add_handler(conversation)
    return application


async def feed_bare(application: Application, request: InstantRequest, counts: list[int]) -> None:
    """The same number of users and updates per user as ``feed_ours``, round-robin."""
    ids = itertools.count(1)
    done = [0] * len(counts)
    while any(d < c for d, c in zip(done, counts, strict=True)):
        for i, count in enumerate(counts):
            if done[i] >= count:
                continue
            uid = 1000 + i
            if done[i] == 0:
                update = command(uid, next(ids), "/start")
            else:
                keyboard = request.keyboards[uid]
                data = keyboard["markup"]["inline_keyboard"][0][0]["callback_data"]
                update = press(uid, next(ids), data, keyboard["message_id"])
            await application.process_update(Update.de_json(update, application.bot))
            done[i] += 1


async def run_ours(tmp: Path, round_: int) -> tuple[float, int, list[int], str]:
    store = f"sqlite:///{tmp / f'bench{round_}.db'}"
    note = ""
    if not (ROOT / "bot" / "stores" / "sqlite_store.py").exists():
        store, note = "memory://", "note: no SQLite store yet, measured on memory://"
    app = await build_app(Settings(store=store, telegram_token=TOKEN))
    request = InstantRequest()
    builder = ApplicationBuilder().request(request).updater(None)
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    application = build_application(app, builder=builder, rate_limiter=limiter)
    texts = app.engine.texts("en")
    try:
        async with application:
            started = time.perf_counter()
            counts = await feed_ours(application, request, texts)
            elapsed = time.perf_counter() - started
    finally:
        await app.close()
    assert not request.keyboards, "some interviews did not finish"
    return sum(counts) / elapsed, request.calls, counts, note


async def run_bare(counts: list[int], texts: Texts, outcome: str) -> tuple[float, int]:
    request = InstantRequest()
    application = bare_application(request, max(counts) - 1, texts, outcome)
    # Each user does exactly their count of updates; the longest path decides the states.
    async with application:
        started = time.perf_counter()
        await feed_bare(application, request, counts)
        elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, request.calls


async def sample_outcome() -> tuple[Texts, str]:
    """The texts, and a typical outcome as our bot renders it, for the baseline to send."""
    app = await build_app(Settings(store="memory://"))
    try:
        replies = await app.engine.handle("bench:0", Incoming(command="start"))
        for line in ("none", "calf", "night", "seconds", "knot", "none", "none", "none", "weekly"):
            replies = await app.engine.handle("bench:0", Incoming(text=line))
        outcome = replies[-1]
        assert isinstance(outcome, Outcome)
        texts = app.engine.texts("en")
        return texts, outcome_messages(outcome, texts, dict(outcome.citations))[0]
    finally:
        await app.close()


async def measure() -> None:
    best_ours = best_bare = 0.0
    ratios = []
    texts, outcome = await sample_outcome()
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):
            ours, calls_ours, counts, note = await run_ours(Path(tmp), round_)
            bare, calls_bare = await run_bare(counts, texts, outcome)
            best_ours, best_bare = max(best_ours, ours), max(best_bare, bare)
            ratios.append(ours / bare)
    updates = sum(counts)
    print(f"users: {USERS}, updates per run: {updates} ({updates / USERS:.1f} per user)")
    print(f"{ROUNDS} alternating rounds; per-round ratios {[round(r, 2) for r in ratios]}")
    if note:
        print(note)
    print(f"PTB + crampbot adapter + engine + SQLite: {best_ours:6.0f} updates/s (best)")
    print(f"bare PTB ConversationHandler, dict state: {best_bare:6.0f} updates/s (best)")
    print(f"API calls per run: ours {calls_ours}, bare {calls_bare}")
    median = statistics.median(ratios)
    print(f"ratio of bests {best_ours / best_bare:.2f}; median per-round ratio {median:.2f}")
    print("goal: ratio >= 0.8")


def main() -> None:
    asyncio.run(measure())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
