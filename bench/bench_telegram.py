"""Updates per second through PTB + our adapter + engine + SQLite, against a bare PTB bot.

The bots run in one process, each on its own instant in-process Bot API
transport (a ``BaseRequest`` subclass), fed as polling and our webhook feed
them: through the Application's update processor. The baseline is a
``ConversationHandler`` keeping its state in a dict, doing the same number of
steps for the same number of users and sending the same texts, keyboards and
outcome length. Our bot uses Telegram's rate limiter with the flood limits
switched off (they would measure Telegram's limits, not our code). Logging is
set up as ``crampbot run`` does (INFO, redacted), writing to nowhere.

A third bot is ours with PTB's typed methods in place of :class:`BotApi` (each
Bot API answer parsed into a ``Message``): the cost of that change, measured
in the same run.

The machine is shared and noisy, so the bots' updates are interleaved in
short blocks, in a shuffled order, each bot paying for its own leftovers
(:func:`bench.rounds.interleave`); wall-clock and CPU time are summed per bot,
and the report gives the median over rounds of the ratios.

Run: ``.venv/bin/python -m bench.bench_telegram``; ``CRAMPBOT_BENCH_QUICK=1`` runs it on tiny sizes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bench.before import shown_in_a_transaction, sqlite_as_before, without_saved_records
from bench.quick import sized
from bench.rounds import BLOCK, cpu_us, interleave, per_second, print_ratios, ratios
from bot.app import build_app
from bot.logs import LIBRARIES, configure
from bot.platforms import buttons
from bot.platforms.telegram.botapi import BotApi, Location
from bot.platforms.telegram.fairness import PerChatLimiter
from bot.platforms.telegram.messenger import build_application
from bot.platforms.telegram.render import outcome_html
from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.locales import Texts
from dialogs.types import Incoming, Outcome

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = yaml.safe_load((ROOT / "tests" / "scenarios.yaml").read_text())
TOKEN = "123456789:AAHbenchbenchbenchbenchbenchbenchbe0"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
USERS = sized(200, 8)
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
ROUNDS = sized(11, 2)
GOAL = 1.0


class InstantRequest(BaseRequest):
    """Answers every Bot API call at once and keeps each chat's open question keyboard."""

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
        params: dict[str, Any] = request_data.parameters if request_data else {}
        result: Any = True
        if name == "getMe":
            result = BOT
        elif name in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat = int(params["chat_id"])
            message_id = params.get("message_id") or next(self._ids)
            markup = params.get("reply_markup")
            if isinstance(markup, str):  # sent as its JSON text, as on the wire
                markup = json.loads(markup)
            if markup and "cbout:" not in json.dumps(markup):  # not the outcome's buttons
                self.keyboards[chat] = {"message_id": message_id, "markup": markup}
            elif name != "sendMessage" and self.keyboards.get(chat, {}).get("message_id") == (
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


class TypedBotApi(BotApi):
    """The adapter's calls through PTB's typed methods, which parse each answer into a Message."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.typed = bot

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
        sent = await self.typed.send_message(
            chat_id,
            text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            message_thread_id=message_thread_id,
            reply_parameters=reply_parameters,
        )
        return sent.chat_id, sent.message_id

    async def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        await self.typed.edit_message_text(
            text, chat_id, message_id, parse_mode=parse_mode, reply_markup=reply_markup
        )

    async def edit_markup(
        self, chat_id: int, message_id: int, reply_markup: InlineKeyboardMarkup | None = None
    ) -> None:
        await self.typed.edit_message_reply_markup(chat_id, message_id, reply_markup=reply_markup)

    async def answer(self, callback_query_id: str, text: str | None = None) -> None:
        await self.typed.answer_callback_query(callback_query_id, text)


TYPED_METHOD_HINT = r"Please use 'Bot\.\w+' instead of 'Bot\.do_api_request"
"""PTB's warning that an endpoint has a typed method, filtered as the adapter once did."""


class RequestBotApi(BotApi):
    """The adapter's calls through PTB's public ``Bot.do_api_request``, which raises a
    warning on every call to an endpoint that has a typed method (filtered, as it was)."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        warnings.filterwarnings("ignore", TYPED_METHOD_HINT, PTBUserWarning)

    async def _call(self, endpoint: str, **params: Any) -> Any:
        return await self._bot.do_api_request(endpoint, api_kwargs=params)


class Person:
    """One user answering their persona with the buttons the bot actually sent."""

    def __init__(self, uid: int, persona: dict[str, Any], texts: Texts) -> None:
        self.uid, self.answers, self.texts = uid, persona["answers"], texts
        self.started = False
        self.updates = 0
        self.ticked: set[str] = set()

    def next_update(self, request: InstantRequest, update_id: int) -> dict[str, Any] | None:
        if not self.started:
            self.started = True
            return command(self.uid, update_id, "/start")
        open_question = request.keyboards.get(self.uid)
        if open_question is None:
            return None
        presses = {
            (p.kind, p.payload): str(b["callback_data"])
            for r in open_question["markup"]["inline_keyboard"]
            for b in r
            if (p := buttons.decode(b["callback_data"])) is not None
        }
        question = next(iter(presses.values())).split(":")[3]
        wanted = self.answers[question]
        if isinstance(wanted, list):  # tick each wanted option once, then Done
            missing = [o for o in wanted if f"{question}:{o}" not in self.ticked]
            if missing:
                self.ticked.add(f"{question}:{missing[0]}")
            key = ("toggle", missing[0]) if missing else ("done", buttons.DRAFT)
        else:
            key = ("pick", wanted)
        return press(self.uid, update_id, presses[key], open_question["message_id"])


def our_updates(request: InstantRequest, people: list[Person]) -> Iterator[dict[str, Any]]:
    """Everyone's interview round-robin, each person pressing the buttons the bot sent them."""
    ids = itertools.count(1)
    active = list(people)
    while active:
        still = []
        for person in active:
            update = person.next_update(request, next(ids))
            if update is None:
                continue
            yield update
            person.updates += 1
            still.append(person)
        active = still


def bare_application(
    request: InstantRequest, counts: list[int], texts: Texts, outcome: str
) -> AnyApplication:
    """The baseline: a ConversationHandler of button questions, state in a dict.

    It asks the interview's questions with their real labels (so both bots send
    keyboards of the same size) and, like ours, ends each user's conversation
    on their last update with an outcome of the same length; it understands
    nothing and decides nothing.
    """
    steps = max(counts) - 1
    presses = {1000 + i: count - 1 for i, count in enumerate(counts)}
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
            query: Any = update.callback_query  # Any: no asserts in the measured path
            context.user_data[number] = query.data
            await query.answer()
            await query.edit_message_text(f"{pages[number][0]}\n{query.data}", parse_mode="HTML")
            chat = query.message.chat_id
            if number + 1 == presses[chat]:
                await context.bot.send_message(chat, outcome, parse_mode="HTML")
                return ConversationHandler.END
            text, markup = pages[number + 1]
            await context.bot.send_message(chat, text, reply_markup=markup, parse_mode="HTML")
            return number + 1

        return answer

    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        n: [CallbackQueryHandler(step(n))] for n in range(steps)
    }
    with warnings.catch_warnings():  # PTB's per_message advice does not apply to one chat each
        warnings.simplefilter("ignore")
        conversation = ConversationHandler([CommandHandler("start", start)], states, [])
    application = ApplicationBuilder().token(TOKEN).request(request).updater(None).build()
    application.add_handler(conversation)
    return application


def bare_updates(request: InstantRequest, counts: list[int]) -> Iterator[dict[str, Any]]:
    """The same number of users and updates per user as ``our_updates``, round-robin."""
    ids = itertools.count(1)
    done = [0] * len(counts)
    while any(d < c for d, c in zip(done, counts, strict=True)):
        for i, count in enumerate(counts):
            if done[i] >= count:
                continue
            uid = 1000 + i
            if done[i] == 0:
                yield command(uid, next(ids), "/start")
            else:
                keyboard = request.keyboards[uid]
                data = keyboard["markup"]["inline_keyboard"][0][0]["callback_data"]
                yield press(uid, next(ids), data, keyboard["message_id"])
            done[i] += 1


@dataclass
class Side:
    """One bot under measurement: its update stream and the wall and CPU time it took."""

    application: AnyApplication
    request: InstantRequest
    updates: Iterator[dict[str, Any]]
    wall: float = 0.0
    cpu: float = 0.0
    count: int = 0

    async def step(self) -> bool:
        """Process the next update (parsing included), timed; ``False`` once there is none."""
        update = next(self.updates, None)
        if update is None:
            return False
        application = self.application
        wall, cpu = time.perf_counter(), time.process_time()
        parsed = Update.de_json(update, application.bot)
        await application.update_processor.process_update(
            parsed, application.process_update(parsed)
        )
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.count += 1
        return True


@asynccontextmanager
async def our_bot(
    path: Path,
    texts: Texts,
    api: type[BotApi] = BotApi,
    before: Callable[[Engine], Engine] | None = None,
) -> AsyncIterator[tuple[Side, list[Person]]]:
    """Our bot on a fresh SQLite file, and the people it will interview; ``before`` puts
    back an earlier way of doing part of the work (:mod:`bench.before`)."""
    app = await build_app(Settings(store=f"sqlite:///{path}", telegram_token=TOKEN))
    if before is not None:
        before(app.engine)
    try:
        request = InstantRequest()
        builder = ApplicationBuilder().request(request).updater(None)
        # Telegram's flood limits off: with them on, the limiter caps any bot at ~17 updates/s.
        limiter = PerChatLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
        application = build_application(app, builder=builder, rate_limiter=limiter, api=api)
        people = [Person(1000 + i, PERSONAS[i % len(PERSONAS)], texts) for i in range(USERS)]
        async with application:
            yield Side(application, request, our_updates(request, people)), people
    finally:
        await app.close()


@asynccontextmanager
async def bare_bot(counts: list[int], texts: Texts, outcome: str) -> AsyncIterator[Side]:
    request = InstantRequest()
    application = bare_application(request, counts, texts, outcome)
    async with application:
        yield Side(application, request, bare_updates(request, counts))


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
        return texts, outcome_html(outcome, texts)[0]
    finally:
        await app.close()


@contextmanager
def production_logging() -> Iterator[None]:
    """Log as ``crampbot run`` does (INFO, redacted) to nowhere; then put logging back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    with open(os.devnull, "w") as nowhere:
        root.handlers = []
        configure("INFO", "WARNING", nowhere, [TOKEN])
        try:
            yield
        finally:
            root.handlers, root.level = handlers, level
            for name, was in levels.items():
                logging.getLogger(name).setLevel(was)


@dataclass(frozen=True)
class Variant:
    """Ours with one earlier way of doing part of the work, run beside ours in every round."""

    name: str
    api: type[BotApi] = BotApi
    before: Callable[[Engine], Engine] | None = None


VARIANTS = (
    Variant("noting shown in a transaction", before=shown_in_a_transaction),
    Variant("with PTB's typed methods", api=TypedBotApi),
    Variant("SQLite keeping no saved records", before=without_saved_records),
    Variant("through Bot.do_api_request", api=RequestBotApi),
    Variant("SQLite writing updated_at every save", before=sqlite_as_before),
)
Round = tuple[Side, list[Side], Side]
"""Ours, each variant's (in the order of :data:`VARIANTS`), and the bare bot."""


async def measure() -> None:
    """A warm-up run of ours alone (it tells each user's number of updates), then the rounds."""
    texts, outcome = await sample_outcome()
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory() as tmp, production_logging():
        async with our_bot(Path(tmp, "warm-up.db"), texts) as (warm_up, people):
            await interleave([warm_up])
        counts = [p.updates for p in people]
        for number in range(ROUNDS):
            async with contextlib.AsyncExitStack() as stack:
                ours, crowd = await stack.enter_async_context(
                    our_bot(Path(tmp, f"ours{number}.db"), texts)
                )
                crowds, variants = [crowd], []
                for index, variant in enumerate(VARIANTS):
                    side, crowd = await stack.enter_async_context(
                        our_bot(
                            Path(tmp, f"v{index}-{number}.db"), texts, variant.api, variant.before
                        )
                    )
                    variants.append(side)
                    crowds.append(crowd)
                bare = await stack.enter_async_context(bare_bot(counts, texts, outcome))
                sides = [ours, *variants, bare]
                await interleave(sides)
                for crowd in crowds:
                    assert [p.updates for p in crowd] == counts, "ours took another path"
                for side in sides:
                    assert not side.request.keyboards, "some interviews did not finish"
            rounds.append((ours, variants, bare))
    report(rounds, sum(counts))


def report(rounds: list[Round], updates: int) -> None:
    median = statistics.median
    print(f"users: {USERS}, updates per run: {updates} ({updates / USERS:.1f} per user)")
    print(
        f"{ROUNDS} rounds, the bots' updates interleaved in blocks of {BLOCK}; medians over rounds"
    )
    lines = [("PTB + crampbot adapter + engine + SQLite", [r[0] for r in rounds])]
    for index, variant in enumerate(VARIANTS):
        lines.append((f"  the same {variant.name} (before)", [r[1][index] for r in rounds]))
    lines.append(("bare PTB ConversationHandler, dict state", [r[2] for r in rounds]))
    for name, sides in lines:
        rate = median(per_second(side) for side in sides)
        each = median(cpu_us(side) for side in sides)
        print(f"{name + ':':<66} {rate:6.0f} updates/s, {each:5.0f} us CPU per update")
    ours, variants, bare = rounds[-1]
    typed = variants[1]
    calls = f"ours {ours.request.calls}, typed {typed.request.calls}, bare {bare.request.calls}"
    print(f"API calls per run: {calls}")
    for index, variant in enumerate(VARIANTS):
        for name, pairs in (
            (f"before ({variant.name}) / bare", [(r[1][index], r[2]) for r in rounds]),
            (f"ours / before ({variant.name})", [(r[0], r[1][index]) for r in rounds]),
        ):
            wall, cpu = ratios(pairs)
            print(f"ratio {name}: wall {median(wall):.2f}, CPU {median(cpu):.2f} (medians)")
    print_ratios([(r[0], r[2]) for r in rounds], goal=GOAL)


def main() -> None:
    asyncio.run(measure())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
