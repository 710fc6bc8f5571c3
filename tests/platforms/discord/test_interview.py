"""Interviews through the real discord.py client: ephemeral in a server channel, plain in DMs."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from dialogs.content import Content
from dialogs.types import Incoming, Outcome
from tests.conftest import personas
from tests.fakes.discord_api import EPHEMERAL, GUILD_ID, Person, Sent
from tests.platforms.discord.conftest import Chat, Shown

PERSONAS = personas()
DM_PERSONAS = [
    p
    for p in PERSONAS
    if p["expect"]["category"] in ("nocturnal", "emergency", "medication", "urgent")
]


async def interview_by_clicks(
    chat: Chat, who: Person, persona: dict[str, Any]
) -> tuple[Shown, list[str]]:
    """Start with /cramps in the server and click the answers the persona would give."""
    shown = await chat.slash(who, "cramps")
    asked: list[str] = []
    while (message := shown.question) is not None:
        assert message.question is not None
        asked.append(message.question)
        shown = await chat.answer(who, message, persona["answers"][message.question])
    return shown, asked


def assert_outcome(shown: Shown, content: Content, persona: dict[str, Any]) -> Sent:
    outcome = shown.outcome
    assert outcome is not None, shown.text()
    expect = persona["expect"]
    instruction = content.texts("en").instruction(expect["category"], expect["urgency"])
    assert instruction in outcome.text()
    return outcome


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_persona_gets_expected_outcome_when_clicking_in_a_server_channel(
    chat: Chat, content: Content, persona: dict[str, Any]
) -> None:
    alice = chat.person("alice")
    shown, asked = await interview_by_clicks(chat, alice, persona)
    outcome = assert_outcome(shown, content, persona)
    assert asked[0] == "red_flags"
    assert outcome.ephemeral and all(m.ephemeral for m in chat.fake.messages.values())
    replies = await chat.app.engine.current(f"discord:{alice.id}")
    assert isinstance(replies[0], Outcome) and replies[0].category == persona["expect"]["category"]


@pytest.mark.parametrize("persona", DM_PERSONAS, ids=[p["name"] for p in DM_PERSONAS])
async def test_persona_gets_expected_outcome_when_typing_answers_in_dms(
    chat: Chat, content: Content, persona: dict[str, Any]
) -> None:
    bob = chat.person("bob")
    shown = await chat.say(bob, "/start")
    while (message := shown.question) is not None:
        answer = persona["answers"][message.question]
        shown = await chat.say(bob, ", ".join(answer) if isinstance(answer, list) else answer)
        assert "> ✓" in message.content, "a typed answer marks the question answered"
        assert all(c["disabled"] for c in message.components())
    assert_outcome(shown, content, persona)
    assert not any(m.ephemeral for m in chat.fake.sent_to(bob.id))


async def test_next_question_replaces_the_answered_one_in_place_when_clicked_in_a_server(
    chat: Chat,
) -> None:
    """Was: every question a new ephemeral message (about 11 per interview)."""
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None and first.question == "red_flags"
    shown = await chat.answer(alice, first, ["none"])
    assert shown.question is first and first.question == "where" and first.ephemeral
    assert first.content.startswith("> ✓ None of these\n")
    assert len(chat.fake.sent_to(alice.id)) == 1


async def test_multi_question_is_ticked_on_the_server_then_done_when_asked(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    ticks = [c for c in first.components() if c["custom_id"].startswith("cb:toggle:")]
    assert len(ticks) == 11 and all(
        len(row["components"]) <= 5 for row in first.payload["components"]
    )
    await chat.click(alice, first, alice.component(first, ":chest_pain"))
    ticked = [c["label"] for c in first.live() if c.get("style") == 3]
    assert ticked == ["✓ " + content.texts("en").labels["red_flags"]["chest_pain"]]
    record = await chat.app.store.load(f"discord:{alice.id}")
    assert record is not None and record.draft == ("chest_pain",)


async def test_single_question_uses_rows_of_at_most_five_buttons_when_asked(chat: Chat) -> None:
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    where = (await chat.answer(alice, first, ["none"])).question
    assert where is not None
    rows = where.payload["components"]
    assert all(len(row["components"]) <= 5 for row in rows)
    assert where.components()[0]["custom_id"].startswith("cb:pick:")
    assert where.components()[0]["custom_id"].endswith(":where:calf")
    assert where.components()[-1]["custom_id"] == "cbdm"


async def test_ticking_none_clears_the_other_ticks_when_clicked_after_them(chat: Chat) -> None:
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    await chat.click(alice, first, alice.component(first, ":chest_pain"))
    await chat.click(alice, first, alice.component(first, ":none"))
    ticked = [c["custom_id"] for c in first.live() if c.get("style") == 3]
    assert len(ticked) == 1 and ticked[0].endswith(":none")


async def test_commands_are_synced_globally_when_no_guild_is_set(chat: Chat) -> None:
    names = {c["name"] for c in chat.fake.commands["global"]}
    assert names == {
        "cramps",
        "crampinfo",
        "restart",
        "back",
        "stop",
        "forget",
        "help",
        "about",
        "language",
    }
    crampinfo = next(c for c in chat.fake.commands["global"] if c["name"] == "crampinfo")
    [topic] = crampinfo["options"]
    assert [c["value"] for c in topic["choices"]] == ["night", "exercise", "warning", "stretch"]


async def test_command_descriptions_come_from_content_when_the_locale_exists(chat: Chat) -> None:
    back = next(c for c in chat.fake.commands["global"] if c["name"] == "back")
    assert (
        back["description"] == back["description_localizations"]["en-GB"] == "Go back one question"
    )
    assert "fr" not in back["description_localizations"]


async def test_crampinfo_is_public_when_asked_in_a_server_channel(
    chat: Chat, content: Content
) -> None:
    shown = await chat.slash(chat.person("carol"), "crampinfo", topic="stretch")
    [sheet] = shown
    assert not sheet.ephemeral and sheet.user is None
    assert content.texts("en").advice["stretch"] in sheet.text()
    assert content.texts("en").outcome["disclaimer"] in sheet.text()


async def test_interview_messages_are_ephemeral_when_in_a_server_channel(chat: Chat) -> None:
    alice = chat.person("alice")
    await chat.slash(alice, "cramps")
    callbacks = [c for c in chat.fake.calls if c.path.endswith("/callback")]
    assert callbacks and all(c.body["data"]["flags"] == EPHEMERAL for c in callbacks)
    assert all(m.ephemeral for m in chat.fake.messages.values())


async def test_back_returns_to_previous_question_when_sent_mid_interview(chat: Chat) -> None:
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    await chat.answer(alice, first, ["none"])
    shown = await chat.slash(alice, "back")
    again = shown.question
    assert again is not None and again.question == "red_flags" and again.ephemeral


async def test_forget_asks_with_buttons_and_deletes_when_confirmed(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    await chat.slash(alice, "cramps")
    prompt = (await chat.slash(alice, "forget")).question
    assert prompt is not None and prompt.question == "forget"
    shown = await chat.answer(alice, prompt, "yes")
    assert content.texts("en").messages["forgotten"] in shown.text()
    assert await chat.app.store.load(f"discord:{alice.id}") is None


async def test_help_shows_help_and_current_question_when_mid_interview(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    await chat.slash(alice, "cramps")
    shown = await chat.slash(alice, "help")
    assert content.texts("en").messages["help"] in shown.text()
    assert shown.question is not None and shown.question.question == "red_flags"


async def test_interview_moves_to_dms_when_continue_in_dms_is_clicked(chat: Chat) -> None:
    alice = chat.person("alice")
    shown = await chat.slash(alice, "cramps")
    offer = next(m for m in shown if any(c["custom_id"] == "cbdm" for c in m.components()))
    moved = await chat.click(alice, offer, "cbdm")
    dm = chat.fake.dm_channels[alice.id]
    question = moved.question
    assert (
        question is not None
        and question.payload["channel_id"] == str(dm)
        and not question.ephemeral
    )
    assert any(m.ephemeral and "sent you a direct message" in m.content for m in moved)
    after = await chat.say(alice, "none")
    assert after.question is not None and after.question.question == "where"


async def test_locale_of_interaction_is_used_when_it_has_no_content(
    chat: Chat, content: Content
) -> None:
    shown = await chat.slash(chat.person("zoe", locale="fr"), "cramps")
    assert content.texts("en").messages["welcome"] in shown.text()


async def test_op_answers_ephemerally_when_operators_are_given(fake: Any, app: Any) -> None:
    class Operators:
        def __init__(self) -> None:
            self.seen: list[tuple[str, str, str, bool, str]] = []
            self.notifiers: dict[str, Any] = {}

        def add_notifier(self, platform: str, notify: Any) -> None:
            self.notifiers[platform] = notify

        async def handle(
            self, platform: str, user_id: str, args: str, *, private: bool, origin: str, **_: str
        ) -> list[str]:
            self.seen.append((platform, user_id, args, private, origin))
            return ["ok: " + args]

    operators = Operators()
    chat = Chat(fake, app)
    await chat.start(operators)
    try:
        op = next(c for c in fake.commands["global"] if c["name"] == "op")
        manage_guild = discord.Permissions(manage_guild=True).value
        assert int(op["default_member_permissions"]) == manage_guild, "hidden from members"
        dave = chat.person("dave")
        [reply] = await chat.slash(dave, "op", command="status")
        assert reply.ephemeral and reply.content == "ok: status"
        [typed] = await chat.say(dave, "/op restart discord:1")
        assert typed.content == "ok: restart discord:1"
        assert operators.seen == [
            ("discord", str(dave.id), "status", False, f"discord server {GUILD_ID}"),
            ("discord", str(dave.id), "restart discord:1", True, "discord dm"),
        ]
    finally:
        await chat.stop()


async def test_every_interaction_is_acknowledged_first_when_an_interview_runs(chat: Chat) -> None:
    persona = next(p for p in PERSONAS if p["expect"]["category"] == "nocturnal")
    await interview_by_clicks(chat, chat.person("alice"), persona)
    first_call: dict[str, str] = {}
    for call in chat.fake.calls:
        token = next((part for part in call.path.split("/") if part.startswith("token-")), None)
        if token is not None:
            first_call.setdefault(token, call.path)
    assert len(first_call) > 5
    assert all(path.endswith("/callback") for path in first_call.values())


async def test_operator_restart_reaches_the_person_in_dms_when_notified(
    fake: Any, app: Any
) -> None:
    class Operators:
        notify: Any = None

        def add_notifier(self, platform: str, notify: Any) -> None:
            assert platform == "discord"
            self.notify = notify

        async def handle(self, *args: Any, **kwargs: Any) -> list[str]:
            return []

    operators = Operators()
    chat = Chat(fake, app)
    await chat.start(operators)
    try:
        erin = chat.person("erin")
        await chat.slash(erin, "cramps")
        replies = await app.engine.handle(f"discord:{erin.id}", Incoming(command="restart"))
        await operators.notify(str(erin.id), replies)
        [dm] = [m for m in fake.sent_to(erin.id) if not m.ephemeral]
        assert dm.question == "red_flags" and dm.payload["channel_id"] == str(
            fake.dm_channels[erin.id]
        )
    finally:
        await chat.stop()


async def test_no_message_can_mention_anyone_when_the_bot_sends_or_edits(chat: Chat) -> None:
    """Issue 12: mentions are off on every message, whatever its text."""
    persona = next(p for p in PERSONAS if p["expect"]["category"] == "nocturnal")
    await interview_by_clicks(chat, chat.person("alice"), persona)
    await chat.say(chat.person("bob"), "/start")
    writes = [
        c
        for c in chat.fake.calls
        if c.method in ("POST", "PATCH")
        and ("/messages" in c.path or "/webhooks/" in c.path or "/callback" in c.path)
    ]
    bodies = [c.body.get("data") if c.path.endswith("/callback") else c.body for c in writes]
    bodies = [b for b in bodies if b and ("content" in b or "embeds" in b)]
    assert bodies and all(b.get("allowed_mentions") == {"parse": []} for b in bodies)
