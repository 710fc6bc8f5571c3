"""Three ``crampbot run telegram`` webhook replicas on one Redis behave as one bot.

A test load balancer gives each update to a random replica and re-sends it to
another when it got no 200, as Telegram does. One replica is SIGKILLed while
it holds updates; every interview still finishes with the right outcome.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.platforms import buttons
from dialogs.content import Content
from tests.conftest import personas
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.fakes.webhook_balancer import SECRET, Balancer, Replica, replica_env
from tests.faults.chat import no_traceback
from tests.faults.conftest import free_port
from tests.platforms.telegram.conftest import Chat
from tests.platforms.telegram.test_private_chat import (
    TYPED,
    answer_by_buttons,
    answer_by_typing,
    assert_outcome,
)

pytestmark = pytest.mark.replicas

PERSONAS = personas()
PEOPLE = 30
REPLICAS = 3
KILL_AFTER = 100
"""Updates delivered before the kill: about a third of the run."""
HANG_GUARD = 60


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


async def start_replicas(
    fake: FakeBotApi, store: str, folder: Path, count: int
) -> tuple[list[Replica], Balancer]:
    public = f"http://127.0.0.1:{free_port()}/telegram"  # the balancer's address; never dialled
    env = replica_env(dict(os.environ), fake, store, public)
    argv = ["-m", "bot.cli", "run", "telegram"]
    replicas = [Replica(argv, env, free_port(), folder / f"replica-{n}.log") for n in range(count)]
    await asyncio.gather(*(r.start() for r in replicas))
    return replicas, Balancer(fake, replicas)


async def kill_mid_run(balancer: Balancer, victim: int) -> set[int]:
    """SIGKILL replica ``victim`` once enough updates went by and it holds some; return the
    people whose updates it held."""
    async with asyncio.timeout(HANG_GUARD):
        while balancer.delivered < KILL_AFTER or not balancer.inflight[victim]:
            await asyncio.sleep(0.005)
    held = set(balancer.inflight[victim].values())
    await balancer.replicas[victim].kill()
    return held


class ReplicaChat(Chat):
    """A person who answers the bot's newest message only, as one reads a chat.

    A replica killed between saving an update and showing its replies can leave
    an older question with buttons (see :func:`press_strays`).
    """

    def question(self) -> dict[str, Any] | None:
        for newest in self.messages()[-1:]:
            rows = newest.get("reply_markup", {}).get("inline_keyboard", [])
            if any(buttons.decode(b.get("callback_data")) for row in rows for b in row):
                return dict(newest)
        return None


async def press_strays(chat: Chat) -> None:
    """Press each older message that kept its buttons until they go.

    The killed replica saved an update but died before marking its question
    answered, or before noting where it showed the next question (or the
    outcome), so the re-sent update showed that again. A stray question's press
    changes nothing and takes its buttons off; a stray outcome copy expands.
    """
    fake = chat.harness.fake
    for stray in chat.messages()[:-1]:
        where = (chat.id, stray["message_id"])
        for _ in range(3):
            if "reply_markup" not in fake.messages[where]:
                break
            before = len(chat.messages())
            await chat.press(
                fake.messages[where]["reply_markup"]["inline_keyboard"][0][0]["text"],
                dict(fake.messages[where]),
            )
            assert len(chat.messages()) == before, "nothing new sent"
        assert "reply_markup" not in fake.messages[where]


def shown_questions(fake: FakeBotApi) -> dict[tuple[int, int], str]:
    """(chat, message id) -> the question whose buttons that message was sent with."""
    shown = {}
    for call in fake.sent("sendMessage"):
        rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
        press = next((buttons.decode(b.get("callback_data")) for r in rows for b in r), None)
        if press is not None:
            shown[(call.params["chat_id"], call.result["message_id"])] = press.question
    return shown


def answered_edits(fake: FakeBotApi, content: Content) -> list[tuple[tuple[int, int], str]]:
    """Every "answered" edit: the message edited and the question its new text answers."""
    questions = content.texts("en").question_text
    edits = []
    for call in fake.sent("editMessageText"):
        text = re.sub(r"<[^>]+>", "", call.params["text"])
        asked = [q for q, shown in questions.items() if text.startswith(shown + "\n")]
        if asked:
            edits.append(((call.params["chat_id"], call.params["message_id"]), asked[0]))
    return edits


async def test_thirty_interviews_finish_right_when_one_of_three_replicas_is_killed_mid_run(
    redis_url: str, tmp_path: Path, content: Content
) -> None:
    fake = FakeBotApi()
    await fake.start()
    replicas, balancer = await start_replicas(fake, redis_url, tmp_path, REPLICAS)
    texts = content.texts("en")
    try:
        killed = asyncio.create_task(kill_mid_run(balancer, victim=0))

        async def interview(n: int) -> Chat:
            persona = PERSONAS[n % len(PERSONAS)]
            user = {"id": 2001 + n, "is_bot": False, "first_name": "Pat", "language_code": "en"}
            private = {"id": user["id"], "type": "private", "first_name": "Pat"}
            chat = ReplicaChat(balancer, private, user)
            await chat.say("/start")
            if n % 2 and persona in TYPED:
                await answer_by_typing(chat, persona, content, texts)
            else:
                await answer_by_buttons(chat, persona, texts)
            return chat

        async with asyncio.timeout(HANG_GUARD):
            chats = await asyncio.gather(*(interview(n) for n in range(PEOPLE)))
            held = await killed
            for n, chat in enumerate(chats):
                if chat.id in held:
                    await press_strays(chat)
                persona = PERSONAS[n % len(PERSONAS)]
                await assert_outcome(balancer, chat, persona["expect"], content, texts)
        assert held, "the replica was killed while it held updates"
        assert balancer.resent, "the updates it held were re-sent to another replica"

        assert len(fake.sent("setWebhook")) == 1
        menus = [
            (c.params["scope"]["type"], c.params.get("language_code"))
            for c in fake.sent("setMyCommands")
        ]
        assert menus and len(menus) == len(set(menus)), "each command menu registered once"

        shown = shown_questions(fake)
        edits = answered_edits(fake, content)
        assert len(edits) >= PEOPLE * 4
        for message, question in edits:
            assert shown.get(message) == question, f"{question} answered on {message}"

        sent = Counter((c.params["chat_id"], c.params["text"]) for c in fake.sent("sendMessage"))
        twice = {chat for (chat, _), times in sent.items() if times > 1}
        # A replica killed after sending but before its 200 makes the re-sent update
        # show the current question again: only for the people whose update it held.
        assert twice <= held, f"sent twice to {twice - held}, whose updates were not in flight"
        assert sum(times - 1 for times in sent.values()) <= len(held)
        assert not fake.unanswered()
    finally:
        statuses = [await r.stop() for r in replicas[1:]]
        await asyncio.gather(*(r.reap() for r in replicas))
        await balancer.close()
        await fake.close()
    assert statuses == [0] * (REPLICAS - 1)
    for replica in replicas:
        no_traceback(replica.text())
        assert TOKEN not in replica.text() and SECRET not in replica.text()
