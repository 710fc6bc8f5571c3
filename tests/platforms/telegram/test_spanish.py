"""A Spanish-speaking Telegram user (``language_code`` es): buttons, menus, /language."""

from __future__ import annotations

import pytest

from dialogs.content import Content
from tests.conftest import personas
from tests.languages import english_in, english_labels_in, strings_in
from tests.platforms.telegram.test_private_chat import answer_by_buttons, assert_outcome

PERSONAS = personas()
SOME = [PERSONAS[0], *(p for p in PERSONAS if p["expect"]["urgency"] in ("emergency", "urgent"))][
    :3
]


@pytest.mark.parametrize("chosen", [False, True], ids=["platform es", "chose es on en"])
@pytest.mark.parametrize("persona", SOME, ids=[p["name"] for p in SOME])
async def test_persona_completes_in_spanish_without_english_when_user_reads_spanish(
    telegram, content: Content, persona, chosen: bool
) -> None:
    """Spanish from the platform's ``language_code``, or chosen with /language on an
    English one: every text and button after that is Spanish."""
    es = content.locales["es"]
    chat = telegram.private(language="en" if chosen else "es-419")
    await chat.say("/start")
    if chosen:
        await chat.say("/language")
    mark = len(telegram.fake.calls)
    if chosen:
        await chat.press("Español")
    else:
        assert chat.texts()[0] == es.messages["welcome"]
    await answer_by_buttons(chat, persona, es)
    await assert_outcome(telegram, chat, persona["expect"], content, es)
    shown = [s for call in telegram.fake.sent()[mark:] for s in strings_in(call.params)]
    assert es.messages["button_more"] in shown and es.messages["button_done"] in shown
    assert not english_in(shown, content)
    assert not english_labels_in(shown, content)


async def test_language_command_switches_an_english_user_to_spanish_when_pressed(
    telegram, content: Content
) -> None:
    es = content.locales["es"]
    chat = telegram.private(language="en")
    await chat.say("/start")
    await chat.say("/language")
    await chat.press("Español")
    assert es.messages["language_set"] in chat.texts()
    assert chat.question_id() == "red_flags"
    assert es.question_text["red_flags"] in chat.question()["text"]


async def test_command_menus_are_registered_in_spanish_when_serving(
    telegram, content: Content
) -> None:
    es = content.locales["es"]
    spanish = [
        c for c in telegram.fake.sent("setMyCommands") if c.params.get("language_code") == "es"
    ]
    private = next(c for c in spanish if c.params["scope"]["type"] == "all_private_chats")
    described = {cmd["command"]: cmd["description"] for cmd in private.params["commands"]}
    assert described["language"] == es.messages["command_language"]
    assert described["back"] == es.messages["command_back"]


async def test_chosen_spanish_is_kept_outside_the_interview_when_the_platform_says_en(
    telegram, content: Content
) -> None:
    """The answer to a message without text and a fact sheet follow /language, not
    ``language_code``."""
    es = content.locales["es"]
    chat = telegram.private(language="en")
    await chat.say("/language es")
    place = chat.message("")
    del place["message"]["text"]
    place["message"]["location"] = {"latitude": 40.4, "longitude": -3.7}
    mark = len(telegram.fake.calls)
    await chat.send(place)
    await chat.say("/crampinfo night")
    shown = [s for call in telegram.fake.sent()[mark:] for s in strings_in(call.params)]
    assert shown[0] == es.messages["not_text"]
    sheet = " ".join(shown[1:])
    assert es.outcome["sources"] in sheet and es.advice["stretch"] in sheet
    assert not english_in(shown, content)
    assert not english_labels_in(shown, content)
