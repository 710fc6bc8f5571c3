"""``/op`` through the real discord.py client: the slash command and typed DMs, refusals, reload.

The bot gets a real :class:`Operators` built on the test's App, with its content
read from a private copy that tests may edit and reload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.ops.commands import Operators
from bot.ops.reload import Reloads
from bot.settings import Settings
from dialogs.content import Content
from tests.content_edits import (
    BROKEN_PROBLEM,
    NEW_RED_FLAGS,
    NEW_VERSION,
    break_content,
    copy_content,
    publish_new_content,
)
from tests.fakes.discord_api import CHANNEL_ID, TOKEN, FakeDiscord, Person
from tests.platforms.discord.conftest import Chat

OPERATOR = 400000000000000007
NOT_OPERATOR = "Sorry, that command is only for the people who run this bot."
NOT_PRIVATE = "Operator commands work only in a private chat with me."


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return Settings(
        store=f"sqlite:///{tmp_path / 'crampbot.db'}",
        discord_token=TOKEN,
        discord_operators=(str(OPERATOR),),
        content_dir=str(content_dir),
    )


@pytest.fixture
async def chat(fake: FakeDiscord, app: App) -> AsyncIterator[Chat]:
    """A started bot whose ``/op`` is a real Operators on the same App."""
    running = Chat(fake, app)
    await running.start(Operators(app, reload=Reloads(app).everywhere))
    yield running
    await running.stop()


@pytest.fixture
def operator(chat: Chat) -> Person:
    return Person(chat.fake, OPERATOR, "olga")


async def started(chat: Chat, who: Person, *answers: str) -> None:
    """Start the interview in DMs and type ``answers``."""
    await chat.say(who, "/start")
    for answer in answers:
        await chat.say(who, answer)


def key(who: Person) -> str:
    return f"discord:{who.id}"


@pytest.mark.parametrize("how", ["slash", "typed"])
async def test_person_is_told_at_once_and_starts_again_when_operator_restarts_them(
    chat: Chat, operator: Person, content: Content, how: str
) -> None:
    texts = content.texts("en")
    pat = chat.person("pat")
    await started(chat, pat, "none", "calf")
    command = f"restart {key(pat)}"
    if how == "slash":
        shown = await chat.slash(operator, "op", dm=True, command=command)
    else:
        shown = await chat.say(operator, f"/op {command}")
    assert f"Restarted {key(pat)}; they have been told." in shown.text()
    told = chat.fake.sent_to(pat.id)[-1]
    assert texts.messages["operator_restart"] in told.text()
    assert told.question == "red_flags"
    await chat.answer(pat, told, ["none"])
    record = await chat.app.store.load(key(pat))
    assert record is not None and record.state == "where"
    assert record.answers == {"red_flags": ("none",)}


async def test_refusal_is_sent_and_audited_when_a_non_operator_uses_op(chat: Chat) -> None:
    pat = chat.person("pat")
    await started(chat, pat, "none")
    shown = await chat.slash(pat, "op", dm=True, command=f"show {key(pat)}")
    assert shown.text() == NOT_OPERATOR and all(m.ephemeral for m in shown)
    shown = await chat.say(pat, "/op status")
    assert shown.text() == NOT_OPERATOR
    entries = await chat.app.store.audit(refused=True)
    assert [(e.actor, e.action, e.result) for e in entries] == [
        (key(pat), "refused", "not an operator")
    ]  # refusals are rate-limited: one entry per person per while
    assert (await chat.app.store.load(key(pat))).state == "where"  # type: ignore[union-attr]


async def test_operator_is_refused_ephemerally_without_data_when_in_a_server_channel(
    chat: Chat, operator: Person
) -> None:
    pat = chat.person("pat")
    await started(chat, pat, "none", "calf")
    for command in (f"show {key(pat)}", "status", f"restart {key(pat)}"):
        shown = await chat.slash(operator, "op", command=command)
        assert shown.text() == NOT_PRIVATE
        assert all(m.ephemeral for m in shown)
    in_channel = [
        m for m in chat.fake.messages.values() if m.payload["channel_id"] == str(CHANNEL_ID)
    ]
    assert all(m.ephemeral for m in in_channel)
    everything = "\n".join(m.text() for m in chat.fake.messages.values())
    assert key(pat) not in everything and "active" not in everything
    assert (await chat.app.store.load(key(pat))).state == "when"  # type: ignore[union-attr]
    entries = await chat.app.store.audit(refused=True)
    assert [e.result for e in entries] == ["not a private chat"]


async def test_status_and_show_display_the_data_when_an_operator_asks_in_dms(
    chat: Chat, operator: Person
) -> None:
    pat, sam = chat.person("pat"), chat.person("sam")
    await started(chat, pat, "none", "calf")
    await started(chat, sam, "chest pain")
    status = (await chat.slash(operator, "op", dm=True, command="status")).text()
    assert "Conversations: 1 active, 1 finished" in status
    assert "when 1" in status and "emergency 1" in status
    shown = (await chat.say(operator, f"/op show {key(pat)}")).text()
    assert f"Conversation {key(pat)}\nState: when\nAnswers:\n" in shown
    assert "  red_flags: none\n  where: calf\nOutcome: not yet" in shown


async def test_new_content_is_used_when_an_operator_reloads_valid_content(
    chat: Chat, operator: Person, content_dir: Path
) -> None:
    pat = chat.person("pat")
    await started(chat, pat, "none", "calf")
    publish_new_content(content_dir)
    shown = await chat.slash(operator, "op", dm=True, command="reload")
    assert shown.text() == f"Content reloaded: version {NEW_VERSION}."
    assert (await chat.say(pat, "night")).question.question == "duration"  # type: ignore[union-attr]
    newcomer = (await chat.slash(chat.person("new"), "cramps")).question
    assert newcomer is not None and NEW_RED_FLAGS in newcomer.text()


async def test_problems_are_listed_and_nothing_changes_when_reloaded_content_is_broken(
    chat: Chat, operator: Person, content: Content, content_dir: Path
) -> None:
    break_content(content_dir)
    reply = (await chat.say(operator, "/op reload")).text()
    assert reply.startswith("The new content is invalid; still running the old content.")
    assert BROKEN_PROBLEM in reply
    assert chat.app.engine.interview.version == content.version
    newcomer = (await chat.slash(chat.person("new"), "cramps")).question
    assert newcomer is not None
    assert content.texts("en").question_text["red_flags"] in newcomer.text()
