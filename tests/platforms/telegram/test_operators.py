"""``/op`` through the real PTB client: restarts that reach the person, refusals, status, reload.

The bot gets a real :class:`Operators` built on the harness's own App, with its
content read from a private copy that tests may edit and reload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ops.commands import Operators
from bot.ops.reload import Reloads
from bot.settings import Settings
from dialogs.content import Content
from dialogs.machine import Interview
from tests.content_edits import (
    BROKEN_PROBLEM,
    NEW_RED_FLAGS,
    NEW_VERSION,
    break_content,
    copy_content,
    publish_new_content,
)
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.platforms.telegram.conftest import Chat, Harness

OPERATOR = 777
PERSON = 1001
NOT_OPERATOR = ["Sorry, that command is only for the people who run this bot."]
NOT_PRIVATE = "Operator commands work only in a private chat with me."
NIGHT_CRAMPS_UNTIL_FREQUENCY = ["none", "calf", "night", "seconds", "knot", "none", "none", "none"]


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
async def bot(fake: FakeBotApi, interview: Interview, content_dir: Path) -> AsyncIterator[Harness]:
    """The harness's bot with ``Operators`` on the very App it serves (store, engine, content)."""
    settings = Settings(
        store="memory://",
        telegram_token=TOKEN,
        telegram_base_url=fake.base_url,
        telegram_operators=(str(OPERATOR),),
        content_dir=str(content_dir),
    )
    harness = Harness(fake, settings, interview)
    await harness.start(lambda app: Operators(app, reload=Reloads(app).everywhere))
    try:
        yield harness
    finally:
        await harness.close()


async def answered(chat: Chat, *answers: str) -> None:
    """Start the interview and type ``answers``."""
    await chat.say("/start")
    for answer in answers:
        await chat.say(answer)


def texts_sent_anywhere(fake: FakeBotApi) -> str:
    return "\n".join(c.params.get("text", "") for c in fake.sent() if "text" in c.params)


async def test_person_is_told_at_once_and_starts_again_when_operator_restarts_them(
    bot: Harness, content: Content
) -> None:
    texts = content.texts("en")
    person, operator = bot.private(PERSON), bot.private(OPERATOR)
    await answered(person, "none", "calf")
    assert person.question_id() == "when"
    await operator.say(f"/op restart telegram:{PERSON}")
    assert operator.texts() == [f"Restarted telegram:{PERSON}; they have been told."]
    assert texts.messages["operator_restart"] in person.texts()[-2]
    assert person.question_id() == "red_flags"
    await person.press(texts.labels["red_flags"]["none"])
    await person.press_done()
    assert person.question_id() == "where"
    assert bot.app is not None
    record = await bot.app.store.load(f"telegram:{PERSON}")
    assert record is not None and record.answers == {"red_flags": ("none",)}


async def test_refusal_is_sent_and_audited_when_a_non_operator_uses_op(bot: Harness) -> None:
    person = bot.private(PERSON)
    await answered(person, "none")
    await person.say(f"/op show telegram:{PERSON}")
    assert person.texts()[-1] == NOT_OPERATOR[0]
    assert bot.app is not None
    (entry, *_) = await bot.app.store.audit(refused=True)
    assert (entry.actor, entry.action, entry.result) == (
        f"telegram:{PERSON}",
        "refused",
        "not an operator",
    )
    assert entry.origin == f"telegram private chat {PERSON}"
    assert (await bot.app.store.load(f"telegram:{PERSON}")).state == "where"  # type: ignore[union-attr]


async def test_operator_is_refused_without_any_data_when_using_op_in_a_group(
    bot: Harness,
) -> None:
    await answered(bot.private(PERSON), "none", "calf")
    group = bot.group(user_id=OPERATOR)
    for command in (
        f"/op show telegram:{PERSON}",
        "/op@crampbot_test_bot status",
        f"/op restart telegram:{PERSON}",
    ):
        await group.say(command)
    assert group.texts() == [NOT_PRIVATE] * 3
    everything = texts_sent_anywhere(bot.fake)
    assert f"telegram:{PERSON}" not in everything and "active" not in everything
    assert bot.app is not None
    assert (await bot.app.store.load(f"telegram:{PERSON}")).state == "when"  # type: ignore[union-attr]
    entries = await bot.app.store.audit(refused=True)
    # Refusals are rate-limited: one entry per person per while, counting the rest.
    assert [e.result for e in entries] == ["not a private chat"]
    assert all(e.origin == f"telegram supergroup chat {group.id}" for e in entries)


async def test_status_and_show_display_the_data_when_an_operator_asks_in_private(
    bot: Harness,
) -> None:
    await answered(bot.private(PERSON), "none", "calf")
    await answered(bot.private(PERSON + 1), "chest pain")
    operator = bot.private(OPERATOR)
    await operator.say("/op status")
    status = operator.texts()[-1]
    assert "Conversations: 1 active, 1 finished" in status
    assert "when 1" in status and "emergency 1" in status
    await operator.say(f"/op show telegram:{PERSON}")
    shown = operator.texts()[-1]
    assert f"Conversation telegram:{PERSON}" in shown and "  where: calf" in shown
    await operator.say("/op show telegram:404")
    assert operator.texts()[-1] == "No conversation with key telegram:404."
    await operator.say("/op restart nobody")
    assert operator.texts()[-1].startswith("nobody is not a conversation key")
    await operator.say("/op")
    assert operator.texts()[-1].startswith("Operator commands:")
    assert bot.app is not None
    entries = await bot.app.store.audit()
    assert [(e.action, e.result) for e in entries] == [
        ("help", ""),
        ("restart", "not a key"),
        ("show", "missing"),
        ("show", "found"),
        ("status", ""),
    ]
    assert all(e.actor == f"telegram:{OPERATOR}" for e in entries)


async def test_new_content_is_used_and_running_interviews_follow_it_when_reloaded(
    bot: Harness, content: Content, content_dir: Path
) -> None:
    texts = content.texts("en")
    going_on, at_frequency = bot.private(PERSON), bot.private(PERSON + 1)
    await answered(going_on, "none", "calf")
    await answered(at_frequency, *NIGHT_CRAMPS_UNTIL_FREQUENCY)
    assert at_frequency.question_id() == "frequency"
    publish_new_content(content_dir)
    operator = bot.private(OPERATOR)
    await operator.say("/op reload")
    assert operator.texts()[-1] == f"Content reloaded: version {NEW_VERSION}."

    await going_on.say("night")
    assert going_on.question_id() == "duration", "its state still exists, so it carries on"
    assert texts.messages["content_changed"] not in "\n".join(going_on.texts())
    seen = len(at_frequency.texts())
    await at_frequency.say("weekly")
    assert texts.messages["content_changed"] in at_frequency.texts()[seen:]
    assert at_frequency.question_id() == "red_flags"
    newcomer = bot.private(PERSON + 2)
    await newcomer.say("/start")
    question = newcomer.question()
    assert question is not None and NEW_RED_FLAGS in question["text"]
    assert bot.app is not None
    (entry, *_) = await bot.app.store.audit()
    assert (entry.action, entry.result) == ("reload", "done")


async def test_problems_are_listed_and_nothing_changes_when_reloaded_content_is_broken(
    bot: Harness, content: Content, content_dir: Path
) -> None:
    break_content(content_dir)
    operator = bot.private(OPERATOR)
    await operator.say("/op reload")
    reply = operator.texts()[-1]
    assert reply.startswith("The new content is invalid; still running the old content.")
    assert BROKEN_PROBLEM in reply
    assert bot.app is not None
    assert bot.app.engine.interview.version == content.version
    newcomer = bot.private(PERSON)
    await newcomer.say("/start")
    question = newcomer.question()
    assert question is not None
    assert content.texts("en").question_text["red_flags"] in question["text"]
    (entry, *_) = await bot.app.store.audit()
    assert (entry.action, entry.result) == ("reload", "failed")


async def test_person_is_told_on_next_message_when_the_restart_notice_cannot_be_sent(
    bot: Harness, content: Content
) -> None:
    texts = content.texts("en")
    person, operator = bot.private(PERSON), bot.private(OPERATOR)
    await answered(person, "none", "calf")
    for _ in range(3):  # every attempt the adapter makes
        bot.fake.fail_next("sendMessage", "500")
    await operator.say(f"/op restart telegram:{PERSON}")
    assert operator.texts() == [
        f"Restarted telegram:{PERSON}; they are told on their next message."
    ]
    seen = len(person.texts())
    await person.say("night")
    assert texts.messages["operator_restart"] in person.texts()[seen:]
    assert person.question_id() == "red_flags"


async def test_operator_is_not_told_person_knows_when_person_blocked_the_bot(
    bot: Harness, content: Content
) -> None:
    texts = content.texts("en")
    person, operator = bot.private(PERSON), bot.private(OPERATOR)
    await answered(person, "none", "calf")
    bot.fake.fail_next("sendMessage", "403")
    await operator.say(f"/op restart telegram:{PERSON}")
    assert operator.texts() == [
        f"Restarted telegram:{PERSON}; they are told on their next message."
    ]
    assert bot.app is not None
    record = await bot.app.store.load(f"telegram:{PERSON}")
    assert record is not None and record.inactive and record.notice == "operator_restart"
    seen = len(person.texts())
    await person.say("night")
    assert texts.messages["operator_restart"] in person.texts()[seen:]
