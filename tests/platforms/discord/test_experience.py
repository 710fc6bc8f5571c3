"""Issue 11 on Discord: one tidy conversation, no lost ticks, no dead ends.

Each test is named after a defect people met; it drives the real discord.py
client against the strict fake (one acknowledgement per interaction, limits).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.app import build_app
from bot.settings import Settings
from dialogs.content import Content
from dialogs.machine import Interview
from tests.conftest import personas
from tests.fakes.discord_api import Person, Sent
from tests.platforms.discord.conftest import Chat, Shown

PERSONAS = {p["name"]: p for p in personas()}
NIGHT = PERSONAS["office worker, calf cramps at rest after sitting long"]


async def in_server(chat: Chat, who: Person, persona: dict[str, Any]) -> Shown:
    """A whole interview by clicks in a server channel, from /cramps to the outcome."""
    shown = await chat.slash(who, "cramps")
    while (message := shown.question) is not None:
        shown = await chat.answer(who, message, persona["answers"][message.question])
    return shown


async def in_dms(chat: Chat, who: Person, persona: dict[str, Any]) -> Shown:
    """A whole interview typed in DMs, from /start to the outcome."""
    shown = await chat.say(who, "/start")
    while (message := shown.question) is not None:
        answer = persona["answers"][message.question]
        shown = await chat.say(who, ", ".join(answer) if isinstance(answer, list) else answer)
    return shown


def expanders(message: Sent) -> list[str]:
    return [c["custom_id"] for c in message.live() if c["custom_id"].startswith("cbout:")]


async def test_server_interview_is_one_message_without_stale_controls_when_finished(
    chat: Chat,
) -> None:
    """Was: about 11 ephemeral messages, the old ones still clickable."""
    alice = chat.person("alice")
    shown = await in_server(chat, alice, NIGHT)
    [only] = chat.fake.sent_to(alice.id)
    assert only.ephemeral and only.embeds and shown.outcome is only
    assert [c["custom_id"] for c in only.live()] == expanders(only), "only the outcome's own"
    posts = [c for c in chat.fake.calls if c.method == "POST" and "/messages" in c.path]
    assert not posts, "nothing but the one response message"


async def test_dm_interview_leaves_no_stale_controls_when_answers_are_typed(chat: Chat) -> None:
    """Was: typed answers left earlier questions live (one chat had five live keyboards)."""
    bob = chat.person("bob")
    await chat.say(bob, "/start")
    await chat.say(bob, "what?")  # not understood: the question comes again
    await chat.say(bob, "/help")  # and again
    shown = await chat.say(bob, "none")
    assert shown.question is not None and shown.question.question == "where"
    assert [m.id for m in chat.fake.live(bob.id)] == [shown.question.id]
    while (message := shown.question) is not None:
        answer = NIGHT["answers"][message.question]
        shown = await chat.say(bob, ", ".join(answer) if isinstance(answer, list) else answer)
    [outcome] = chat.fake.live(bob.id)
    assert outcome is shown.outcome and [c["custom_id"] for c in outcome.live()] == expanders(
        outcome
    )


async def test_dm_offer_and_server_copy_lose_their_controls_when_moved_to_dms(
    chat: Chat, content: Content
) -> None:
    """Was: "Continue in DMs" and the server copy stayed clickable after the move."""
    alice = chat.person("alice")
    server = (await chat.slash(alice, "cramps")).question
    assert server is not None and "cbdm" in [c["custom_id"] for c in server.live()]
    moved = await chat.click(alice, server, "cbdm")
    assert server.content == content.texts("en").messages["dm_sent"] and not server.live()
    dm = moved.question
    assert dm is not None and not dm.ephemeral and dm.question == "red_flags"
    assert [m.id for m in chat.fake.live(alice.id)] == [dm.id]
    after = await chat.answer(alice, dm, ["none"])
    assert after.question is not None and after.question.question == "where"
    assert [m.id for m in chat.fake.live(alice.id)] == [after.question.id]


async def test_typed_answer_marks_the_question_answered_when_the_bot_restarted_in_between(
    chat: Chat, settings: Settings, interview: Interview
) -> None:
    """Was: the answered mark aimed at a message remembered in memory, lost on a restart."""
    bob = chat.person("bob")
    first = (await chat.say(bob, "/start")).question
    assert first is not None
    await chat.stop()
    before, chat.app = chat.app, await build_app(settings, interview)
    try:
        await chat.start()
        shown = await chat.say(bob, "none")
        assert first.content.endswith("> ✓ None of these") and not first.live()
        assert shown.question is not None and shown.question.question == "where"
    finally:
        await chat.stop()
        await chat.app.close()
        chat.app = before


async def test_stale_reference_is_ignored_when_the_question_message_is_gone(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    bob = chat.person("bob")
    first = (await chat.say(bob, "/start")).question
    assert first is not None
    del chat.fake.messages[first.id]  # deleted on Discord's side
    caplog.set_level(logging.DEBUG, logger="bot.platforms.discord.delivery")
    shown = await chat.say(bob, "none")
    assert shown.question is not None and shown.question.question == "where"
    assert any("could not be edited: NotFound" in r.getMessage() for r in caplog.records)
    assert all(r.levelno <= logging.DEBUG for r in caplog.records)


async def test_fast_ticks_are_all_kept_when_clicked_before_the_redraw_arrives(
    chat: Chat,
) -> None:
    """Was (select menus aside): a selection carried by the control as it was drawn."""
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    drawn = Sent(dict(first.payload))  # both clicks come from the same drawing
    await chat.deliver(
        ("INTERACTION_CREATE", alice.click_payload(drawn, alice.component(drawn, ":chest_pain"))),
        (
            "INTERACTION_CREATE",
            alice.click_payload(drawn, alice.component(drawn, ":sudden_weakness")),
        ),
    )
    await chat.click(alice, drawn, alice.done_id(drawn))
    record = await chat.app.store.load(f"discord:{alice.id}")
    assert record is not None
    assert record.answers["red_flags"] == ("chest_pain", "sudden_weakness")


async def test_done_with_nothing_ticked_gets_a_short_notice_when_clicked(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    [notice] = await chat.done(alice, first)
    assert notice.ephemeral and notice.content == content.texts("en").messages["tick_one"]
    assert first.question == "red_flags" and first.live()


async def test_click_after_the_outcome_gets_a_notice_not_the_outcome_again(
    chat: Chat, content: Content
) -> None:
    """Was: a click on an old button after the end re-sent the whole outcome."""
    bob = chat.person("bob")
    first = (await chat.say(bob, "/start")).question
    assert first is not None
    drawn = Sent(dict(first.payload))  # as the person's app still showed it
    await in_dms(chat, bob, NIGHT)
    shown = await chat.click(bob, drawn, bob.component(drawn, ":none"))
    notices = [m.content for m in shown if m.ephemeral]
    assert notices == [content.texts("en").messages["finished"]] and not shown.outcome
    assert not first.live()


async def test_options_are_numbered_when_typing_numbers_is_accepted_in_dms(
    chat: Chat, content: Content
) -> None:
    """Was: numbers were accepted in DMs but the options were not numbered."""
    bob = chat.person("bob")
    first = (await chat.say(bob, "/start")).question
    assert first is not None
    labels = [c["label"] for c in first.components() if c["custom_id"].startswith("cb:toggle:")]
    named = content.texts("en").labels["red_flags"]
    assert labels[:2] == [f"1. {named['chest_pain']}", f"2. {named['heat_confusion']}"]
    where = (await chat.say(bob, "11")).question
    assert where is not None and where.question == "where"
    assert where.components()[1]["label"].startswith("2. ")
    await chat.say(bob, "2")
    record = await chat.app.store.load(f"discord:{bob.id}")
    assert record is not None and record.answers["where"] == "foot"


async def test_outcome_shows_the_short_form_first_and_expands_in_place_when_clicked(
    chat: Chat, content: Content
) -> None:
    """Was: the instruction was the 4th section of one block of 1,100 to 2,060 characters."""
    texts = content.texts("en")
    alice = chat.person("alice")
    outcome = (await in_server(chat, alice, NIGHT)).outcome
    assert outcome is not None
    [embed] = outcome.embeds
    assert embed["description"].startswith("**") and "Sources" not in outcome.text()
    short = outcome.text()
    [more, sources] = expanders(outcome)
    assert more.endswith(":d") and sources.endswith(":s")
    await chat.click(alice, outcome, more)
    assert len(outcome.text()) > len(short) and texts.outcome["wont_help"] in outcome.text()
    await chat.click(alice, outcome, expanders(outcome)[0])
    assert texts.outcome["sources"] in outcome.text()
    assert not outcome.live(), "fully expanded: nothing left to click"
    assert len(chat.fake.sent_to(alice.id)) == 1


async def test_expanding_an_old_outcome_gets_a_notice_when_the_interview_restarted(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    outcome = (await in_server(chat, alice, NIGHT)).outcome
    assert outcome is not None
    await chat.slash(alice, "restart")
    before = outcome.text()
    shown = await chat.click(alice, outcome, expanders(outcome)[0])
    assert [m.content for m in shown] == [content.texts("en").messages["closed"]]
    assert outcome.text() == before


async def test_crafted_click_on_another_members_message_gets_a_notice_and_no_edit(
    chat: Chat, content: Content
) -> None:
    """Issue 12: only the clicker's own interview message is ever edited."""
    alice, mallory = chat.person("alice"), chat.person("mallory")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    edits = len(first.history)
    shown = await chat.click(mallory, first, mallory.component(first, ":chest_pain"))
    assert [m.content for m in shown] == [content.texts("en").messages["closed"]]
    assert shown[0].user == mallory.id and len(first.history) == edits
    assert await chat.app.store.load(f"discord:{mallory.id}") is None
    record = await chat.app.store.load(f"discord:{alice.id}")
    assert record is not None and record.draft == ()
