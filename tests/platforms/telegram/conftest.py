"""Run the real PTB Application with our adapter against the fake Bot API; chat-like helpers.

Every helper that delivers an update then waits until the bot has processed
it: each person's updates are processed one at a time and in order, so after a
marker callback query (id ``sync-N``) from each person who sent something has
been answered, everything delivered before it is done.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bot.app import App, build_app
from bot.platforms import buttons
from bot.platforms.telegram import fairness
from bot.platforms.telegram.messenger import serve
from bot.platforms.telegram.render import CHECKED
from bot.settings import Settings
from dialogs.machine import Interview
from tests.fakes.telegram_api import TOKEN, FakeBotApi

SYNC_USER = {"id": 42, "is_bot": False, "first_name": "Sync"}
SECRET = "s3cret-token_for-tests-0123456789abcdef"
HANG_GUARD = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DroppedUpdates(logging.Handler):
    """The ids of updates the bot dropped from a flood, read from its log line."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.ids: set[int] = set()
        logger = logging.getLogger(fairness.__name__)
        logger.addHandler(self)
        logger.setLevel(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == fairness.DROPPED and record.args:
            self.ids.add(int(record.args[0]))  # type: ignore[index, call-overload]

    def close(self) -> None:
        logging.getLogger(fairness.__name__).removeHandler(self)
        super().close()


class Harness:
    """One running bot (``serve``) plus the fake server it talks to."""

    def __init__(self, fake: FakeBotApi, settings: Settings, interview: Interview) -> None:
        self.fake = fake
        self.settings = settings
        self.interview = interview
        self.app: App | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(trust_env=False)
        self.dropped = DroppedUpdates()
        # Senders of updates delivered since the last sync, by user id.
        self._senders: dict[int, dict[str, Any]] = {}

    @property
    def webhook(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    async def start(self, operators: Any = None) -> None:
        """Start ``serve`` and wait until it listens for updates.

        ``operators`` may be a callable that builds them from the harness's App.
        """
        self.app = await build_app(self.settings, self.interview)
        if callable(operators):
            operators = operators(self.app)
        self._stop = asyncio.Event()
        seen = len(self.fake.calls)
        self._task = asyncio.create_task(serve(self.app, self._stop, operators))
        ready = "setWebhook" if self.webhook else "getUpdates"
        await self.fake.wait_for(lambda c: c.method == ready and c in self.fake.calls[seen:])

    async def stop(self) -> None:
        """Stop ``serve`` (it shuts PTB down) and close the store."""
        self._stop.set()
        if self._task is not None:
            async with asyncio.timeout(HANG_GUARD):
                await self._task
            self._task = None
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def close(self) -> None:
        await self.stop()
        self.dropped.close()
        await self._http.aclose()

    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand an update to the bot: queue it for getUpdates, or POST it to the webhook."""
        update.setdefault("update_id", self.fake.next_update_id())
        for kind in ("message", "callback_query"):
            sender = update.get(kind, {}).get("from")
            if sender is not None:
                self._senders[sender["id"]] = sender
        self.fake.note(update)
        if not self.webhook:
            await self.fake.enqueue(update)
            return
        for _ in range(100):  # hang guard: the webhook server may still be starting
            try:
                response = await self.post_webhook(update, secret=SECRET)
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        assert response.status_code == 200, response.text

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        return await self._http.post(
            self.settings.telegram_webhook_url, json=update, headers=headers
        )

    async def sync(self) -> None:
        """Wait until every update delivered so far has been processed."""
        senders = list(self._senders.values()) or [SYNC_USER]
        self._senders = {}
        markers = set()
        for sender in senders:
            marker = f"sync-{self.fake.next_update_id()}"  # unique across restarts
            markers.add(marker)
            query = {"id": marker, "from": sender, "chat_instance": "sync", "data": "sync"}
            await self.deliver({"callback_query": query})
        self._senders = {}
        for marker in markers:
            await self.fake.wait_for(
                lambda c, marker=marker: (
                    c.method == "answerCallbackQuery"
                    and c.params.get("callback_query_id") == marker
                ),
                timeout=HANG_GUARD,
            )

    async def settle(self, chat: Chat) -> None:
        """Wait until a flooding person's accepted updates are done.

        A marker sent while their backlog is full is dropped (answered at once,
        and logged as dropped), so markers are sent until one is not dropped: it
        waited for all the rest.
        """
        self._senders.pop(chat.user["id"], None)
        await self.sync()
        for _ in range(HANG_GUARD * 20):
            update_id = self.fake.next_update_id()
            marker = f"sync-{update_id}"
            query = {"id": marker, "from": chat.user, "chat_instance": "sync", "data": "sync"}
            await self.deliver({"update_id": update_id, "callback_query": query})
            self._senders.pop(chat.user["id"], None)
            await self.fake.wait_for(
                lambda c, marker=marker: c.params.get("callback_query_id") == marker,
                timeout=HANG_GUARD,
            )
            if update_id not in self.dropped.ids:
                return
            await asyncio.sleep(0.05)  # let the backlog move on before the next marker
        raise AssertionError("the flooding person's updates never settled")

    def answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls, without the sync markers."""
        return [
            c.params
            for c in self.fake.sent("answerCallbackQuery")
            if not str(c.params.get("callback_query_id")).startswith("sync-")
        ]

    def private(self, user_id: int = 1001, language: str = "en") -> Chat:
        user = {"id": user_id, "is_bot": False, "first_name": "Pat", "language_code": language}
        return Chat(self, {"id": user_id, "type": "private", "first_name": "Pat"}, user)

    def group(self, chat_id: int = -100500, user_id: int = 1001, thread: int | None = None) -> Chat:
        user = {"id": user_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}
        chat = {"id": chat_id, "type": "supergroup", "title": "Runners"}
        if thread is not None:
            chat["is_forum"] = True
        self.fake.chat_types[chat_id] = "supergroup"
        return Chat(self, chat, user, thread)


def shows(button: str, label: str, text: str) -> bool:
    """Whether a button stands for ``label``: the label itself, or a number the message
    lists with that label in full (as a person reads a shortened button)."""
    number, dot, _ = button.partition(". ")
    return button == label or bool(dot and number.isdigit() and f"\n{number}. {label}" in text)


class Chat:
    """A person in one chat: say things, press buttons, read what the bot shows there."""

    def __init__(
        self,
        harness: Harness,
        chat: dict[str, Any],
        user: dict[str, Any],
        thread: int | None = None,
    ) -> None:
        self.harness = harness
        self.chat = chat
        self.user = user
        self.thread = thread
        self._message_ids = itertools.count(5000)

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    def message(self, text: str, **extra: Any) -> dict[str, Any]:
        """A message update from this person, with a bot_command entity for commands."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": 1_700_000_000,
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        if self.thread is not None:
            message.update(message_thread_id=self.thread, is_topic_message=True)
        message.update(extra)
        return {"message": message}

    async def send(self, update: dict[str, Any]) -> None:
        """Deliver any update and wait until the bot has processed it."""
        await self.harness.deliver(update)
        await self.harness.sync()

    async def say(self, text: str) -> None:
        await self.send(self.message(text))

    def press_update(self, data: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {
            "id": f"q{self.harness.fake.next_update_id()}",
            "from": self.user,
            "chat_instance": f"ci{self.id}",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        return {"callback_query": query}

    async def press(self, label: str, message: dict[str, Any] | None = None) -> None:
        """Press the button labelled ``label`` (check mark ignored) on the open question."""
        message = message or self.question()
        assert message is not None, "no question with buttons is open"
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if shows(button["text"].removeprefix(CHECKED), label, message["text"]):
                    await self.send(self.press_update(button["callback_data"], message))
                    return
        raise AssertionError(f"no button {label!r} in {message['reply_markup']}")

    async def press_done(self) -> None:
        """Press the Done button of the open multi question."""
        message = self.question()
        assert message is not None
        data = next(
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("cb:done:")
        )
        await self.send(self.press_update(data, message))

    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages in this chat as they look now, oldest first."""
        return self.harness.fake.chat_messages(self.id)

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages()]

    def question(self) -> dict[str, Any] | None:
        """The newest message that still has answer buttons (the open question), if any."""
        for message in reversed(self.messages()):
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if any(buttons.decode(b.get("callback_data")) for row in rows for b in row):
                return dict(message)
        return None

    def question_id(self) -> str | None:
        message = self.question()
        if message is None:
            return None
        press = buttons.decode(message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        assert press is not None
        return press.question


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's httpx client honours proxy variables; everything here is on 127.0.0.1."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    # PTB 22 warns (PTBDeprecationWarning) whenever it builds a RetryAfter unless
    # time periods are opted into timedelta; we never read them as ints.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert not server.unanswered(), "every callback query must be answered"


@pytest.fixture
def settings(fake: FakeBotApi) -> Settings:
    return Settings(store="memory://", telegram_token=TOKEN, telegram_base_url=fake.base_url)


@pytest.fixture(params=["polling", "webhook"])
def mode_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The same bot in long polling and in webhook mode."""
    if request.param == "polling":
        return settings
    url = f"http://127.0.0.1:{free_port()}/telegram"
    port = int(url.split(":")[2].split("/")[0])
    return replace(
        settings,
        telegram_webhook_url=url,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret=SECRET,
    )


@pytest.fixture
async def telegram(
    fake: FakeBotApi, settings: Settings, interview: Interview
) -> AsyncIterator[Harness]:
    """A running bot in long polling mode."""
    harness = Harness(fake, settings, interview)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture
async def start_bot(fake: FakeBotApi, interview: Interview) -> AsyncIterator[Any]:
    """Start a bot with given settings (and operators); every one started is stopped after."""
    started: list[Harness] = []

    async def start(settings: Settings, operators: Any = None) -> Harness:
        harness = Harness(fake, settings, interview)
        started.append(harness)
        await harness.start(operators)
        return harness

    yield start
    for harness in started:
        await harness.close()


@pytest.fixture
def app_record() -> Any:
    """Load a person's stored conversation record from the running bot's store."""

    async def load(harness: Harness, user_id: int = 1001) -> Any:
        assert harness.app is not None
        return await harness.app.store.load(f"telegram:{user_id}")

    return load
