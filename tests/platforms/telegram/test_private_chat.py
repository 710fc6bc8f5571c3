"""The interview in a private chat, through the real PTB client and the fake Bot API."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from dialogs.content import Content
from dialogs.locales import Texts
from tests.conftest import personas

PERSONAS = personas()
TYPED = [
    p
    for p in PERSONAS
    if p["expect"]["category"]
    in ("nocturnal", "exercise", "claudication", "medication", "emergency")
]


async def answer_by_buttons(chat: Any, persona: dict[str, Any], texts: Texts) -> None:
    """Answer every open question with the buttons the bot sent (toggles + Done for multi)."""
    for _ in range(12):
        question = chat.question_id()
        if question is None:
            return
        answer, labels = persona["answers"][question], texts.labels[question]
        if isinstance(answer, list):
            for option in answer:
                await chat.press(labels[option])
            await chat.press_done()
        else:
            await chat.press(labels[answer])
    raise AssertionError("the interview did not end")


async def answer_by_typing(
    chat: Any, persona: dict[str, Any], content: Content, texts: Texts
) -> None:
    """Type each answer: the label of a single answer, else 1-based option numbers.

    Labels with a comma are typed as numbers: the core reads commas as separators.
    """
    for _ in range(12):
        question = chat.question_id()
        if question is None:
            return
        answer = persona["answers"][question]
        chosen = answer if isinstance(answer, list) else [answer]
        label = texts.labels[question][chosen[0]]
        if len(chosen) == 1 and "," not in label:
            await chat.say(label)
        else:
            options = content.questions[question].options
            await chat.say(", ".join(str(options.index(o) + 1) for o in chosen))
    raise AssertionError("the interview did not end")


async def assert_outcome(
    harness: Any, chat: Any, expect: dict[str, Any], content: Content, texts: Texts
) -> None:
    """The outcome arrives as one short message, instruction first; "More details" and
    "Sources" expand that same message to the full form with the key advice and sources."""
    instruction = texts.instruction(expect["category"], expect["urgency"])
    sent = len(harness.fake.sent("sendMessage", chat.id))
    outcome = chat.messages()[-1]
    assert outcome["text"].split("\n")[:2] == [texts.outcome["title"], instruction]
    assert texts.outcome["disclaimer"] in outcome["text"]
    await chat.press(texts.messages["button_more"], outcome)
    await chat.press(texts.outcome["sources"], chat.messages()[-1])
    expanded = chat.messages()[-1]
    assert expanded["message_id"] == outcome["message_id"], "expanded in place"
    assert len(harness.fake.sent("sendMessage", chat.id)) == sent
    text = expanded["text"]
    assert instruction in text and texts.outcome["disclaimer"] in text
    advice = content.categories[expect["category"]]
    assert texts.advice[advice["may_be"][0]] in text
    for category in expect.get("also", []):
        assert texts.outcome["also"].format(category=texts.categories[category]) in text
    assert f"{texts.outcome['sources']}:" in text
    assert "reply_markup" not in expanded
    assert chat.question() is None
    assert not harness.fake.live_keyboards(chat.id)


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_persona_completes_when_answering_with_buttons(telegram, content, persona) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await chat.say("/start")
    await answer_by_buttons(chat, persona, texts)
    await assert_outcome(telegram, chat, persona["expect"], content, texts)
    assert all(a.get("text") is None for a in telegram.answers())


@pytest.mark.parametrize("persona", TYPED, ids=[p["name"] for p in TYPED])
async def test_persona_completes_when_typing_answers(telegram, content, persona) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await chat.say("/start")
    await answer_by_typing(chat, persona, content, texts)
    await assert_outcome(telegram, chat, persona["expect"], content, texts)


def test_typed_subset_is_large_enough_when_collected() -> None:
    assert len(TYPED) >= 4


async def test_question_shows_answer_without_buttons_when_answered_by_typing(
    telegram, content
) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await chat.say("/start")
    await chat.say("none")
    red_flags = chat.messages()[1]
    assert red_flags["text"].endswith(texts.labels["red_flags"]["none"])
    assert "reply_markup" not in red_flags
    assert chat.question_id() == "where"


async def test_multi_question_marks_chosen_options_when_toggled(
    telegram, content, app_record
) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await chat.say("/start")
    await chat.press(texts.labels["red_flags"]["none"])
    rows = chat.question()["reply_markup"]["inline_keyboard"]
    ticked = [row[0]["text"] for row in rows if row[0]["text"].startswith("✅ ")]
    assert len(ticked) == 1 and ticked[0].endswith(texts.labels["red_flags"]["none"])
    record = await app_record(telegram)
    assert record.answers == {} and record.draft == ("none",)  # each tick is stored
    await chat.press(texts.labels["red_flags"]["none"])
    rows = chat.question()["reply_markup"]["inline_keyboard"]
    assert not any(row[0]["text"].startswith("✅") for row in rows)


async def test_button_data_fits_64_bytes_when_questions_are_sent(telegram, content) -> None:
    chat = telegram.private()
    await chat.say("/start")
    await answer_by_buttons(chat, PERSONAS[0], content.texts("en"))
    for call in telegram.fake.sent("sendMessage"):
        for row in call.params.get("reply_markup", {}).get("inline_keyboard", []):
            assert len(row[0]["callback_data"].encode()) <= 64


async def test_interview_starts_when_deep_link_payload_is_given(telegram, content) -> None:
    chat = telegram.private()
    await chat.say("/start cramps")
    assert chat.texts()[0] == content.texts("en").messages["welcome"]
    assert chat.question_id() == "red_flags"


async def test_commands_are_registered_per_scope_when_serving(telegram) -> None:
    calls = telegram.fake.sent("setMyCommands")
    scopes = {
        c.params["scope"]["type"]: [cmd["command"] for cmd in c.params["commands"]] for c in calls
    }
    assert set(scopes["all_private_chats"]) >= {
        "start",
        "back",
        "restart",
        "stop",
        "help",
        "about",
        "cramps",
        "crampinfo",
        "forget",
    }
    assert set(scopes["all_group_chats"]) == {"cramps", "crampinfo", "help", "about"}
    assert all(cmd["description"] for c in calls for cmd in c.params["commands"])


class FakeOperators:
    """Records /op calls and answers with one line per call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, bool, str]] = []
        self.notifiers: dict[str, Any] = {}

    def add_notifier(self, platform: str, notify: Any) -> None:
        self.notifiers[platform] = notify

    async def handle(
        self, platform: str, user_id: str, args: str, *, private: bool, origin: str, **_: str
    ) -> list[str]:
        self.calls.append((platform, user_id, args, private, origin))
        return [f"op said: {args}", "second line"]


async def test_op_goes_to_operators_when_they_are_given(start_bot, settings) -> None:
    operators = FakeOperators()
    harness = await start_bot(settings, operators)
    chat = harness.private()
    await chat.say("/op show telegram:5")
    group = harness.group()
    await group.say("/op status")
    assert [c[:4] for c in operators.calls] == [
        ("telegram", "1001", "show telegram:5", True),
        ("telegram", "1001", "status", False),
    ]
    assert chat.texts() == ["op said: show telegram:5", "second line"]
    assert group.texts() == ["op said: status", "second line"]


async def test_op_is_an_unknown_command_when_there_are_no_operators(telegram, content) -> None:
    chat = telegram.private()
    await chat.say("/op status")
    assert chat.texts() == [content.texts("en").messages["unknown_command"]]


async def test_interview_logs_no_line_per_update_when_logging_at_info(
    telegram, content, caplog: pytest.LogCaptureFixture
) -> None:
    """Per-update lines cost on every update; at INFO (the default) the adapter says nothing."""
    caplog.set_level(logging.INFO, logger="bot.platforms.telegram")
    chat = telegram.private()
    await chat.say("/start")
    await answer_by_buttons(chat, PERSONAS[0], content.texts("en"))
    await chat.say("hello")
    assert chat.question() is None  # the interview ran to its end
    lines = [r for r in caplog.records if r.name.startswith("bot.platforms.telegram")]
    assert [r.getMessage() for r in lines] == []
    with caplog.at_level(logging.DEBUG, logger="bot.platforms.telegram"):
        await chat.say("hello")
    assert any("private message" in r.getMessage() for r in caplog.records)
