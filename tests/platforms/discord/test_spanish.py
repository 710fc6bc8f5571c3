"""A Spanish-speaking Discord user (interaction locale es-ES): clicks, DMs, /language, commands."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.content import Content
from tests.conftest import personas
from tests.languages import english_in, english_labels_in, strings_in
from tests.platforms.discord.conftest import Chat, Person, Shown
from tests.platforms.discord.test_interview import interview_by_clicks

PERSONAS = personas()


def read(shown: Shown) -> list[str]:
    """Everything a person reads in ``shown``: texts, embeds and component labels."""
    return (
        [m.text() for m in shown]
        + [str(c.get("label") or "") for m in shown for c in m.components()]
        + [str(o.get("label")) for m in shown for c in m.components() for o in c.get("options", [])]
    )


async def test_persona_completes_in_spanish_when_clicking_in_a_server_channel(
    chat: Chat, content: Content
) -> None:
    es = content.locales["es"]
    persona = next(p for p in PERSONAS if p["expect"]["also"])
    ana = chat.person("ana", locale="es-ES")
    shown, _ = await interview_by_clicks(chat, ana, persona)
    outcome = shown.outcome
    assert outcome is not None
    expect: dict[str, Any] = persona["expect"]
    assert es.instruction(expect["category"], expect["urgency"]) in outcome.text()
    everything = [m.text() for m in chat.fake.messages.values()]
    everything += [
        str(c.get("label") or "") for m in chat.fake.messages.values() for c in m.components()
    ]
    assert not english_in(everything, content)


async def test_dm_keeps_the_spanish_of_the_last_interaction_when_typing(
    chat: Chat, content: Content
) -> None:
    es = content.locales["es"]
    luis = chat.person("luis", locale="es-ES")
    await chat.slash(luis, "cramps")
    shown = await chat.say(luis, "ninguna")
    question = shown.question
    assert question is not None and es.question_text["where"] in question.text()
    assert not english_in(read(shown), content)


async def test_language_command_offers_every_language_when_used(
    chat: Chat, content: Content
) -> None:
    eva = chat.person("eva", locale="en-US")
    await chat.slash(eva, "cramps")
    shown = await chat.slash(eva, "language")
    question = shown.question
    assert question is not None and question.question == "language"
    shown = await chat.answer(eva, question, "es")
    assert content.locales["es"].messages["language_set"] in shown.text()


async def test_commands_are_named_and_described_in_spanish_when_synced(
    chat: Chat, content: Content
) -> None:
    es = content.locales["es"]
    commands = {c["name"]: c for c in chat.fake.commands["global"]}
    assert (
        commands["language"]["description_localizations"]["es-ES"]
        == es.messages["command_language"]
    )
    for command, name in es.command_names.items():
        assert commands[command]["name_localizations"]["es-ES"] == name
        assert commands[command]["name_localizations"]["es-419"] == name
        assert "en-GB" not in commands[command]["name_localizations"]
    [topic] = commands["crampinfo"]["options"]
    assert topic["description_localizations"]["es-ES"] == es.messages["option_crampinfo_topic"]
    for choice in topic["choices"]:
        assert choice["name_localizations"]["es-ES"] == es.messages[f"sheet_{choice['value']}"]


DISCORD_TEXTS = ("content", "title", "description", "label", "placeholder", "text", "name", "value")


async def choose_spanish(chat: Chat, who: Person, *, dm: bool) -> tuple[Shown, int]:
    """/cramps then /language (slash commands in a server, typed in DMs) on a client in
    English, and the choice of Spanish; returns what is shown and the mark of the first
    call made after the choice."""
    if dm:  # a typed DM carries no locale: only the person's choice can say Spanish
        await chat.say(who, "/start")
        asked = (await chat.say(who, "/language")).question
    else:
        await chat.slash(who, "cramps")
        asked = (await chat.slash(who, "language")).question
    assert asked is not None
    mark = len(chat.fake.calls)
    return await chat.answer(who, asked, "es"), mark


async def finish_and_expand(chat: Chat, who: Person, shown: Shown, persona: Any) -> None:
    """Click the persona's answers, then "More details" and "Sources" on the outcome."""
    while (message := shown.question) is not None:
        assert message.question is not None
        shown = await chat.answer(who, message, persona["answers"][message.question])
    outcome = shown.outcome
    assert outcome is not None
    while outcome.live():  # each click expands it in place and takes its own button away
        await chat.click(who, outcome, outcome.live()[0]["custom_id"])


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_no_english_is_shown_when_an_english_client_user_chose_spanish(
    chat: Chat, content: Content, dm: bool
) -> None:
    es = content.locales["es"]
    persona = next(p for p in PERSONAS if p["expect"]["also"])
    eva = chat.person("eva", locale="en-US")
    shown, mark = await choose_spanish(chat, eva, dm=dm)
    await finish_and_expand(chat, eva, shown, persona)
    said = [s for call in chat.fake.since(mark) for s in strings_in(call.body, DISCORD_TEXTS)]
    assert es.messages["button_details"] in said and es.messages["button_done"] in said
    assert es.outcome["sources"] in said
    assert not english_in(said, content)
    assert not english_labels_in(said, content)


@pytest.mark.parametrize("client", ["es-ES", "en-US"])
async def test_help_names_the_commands_the_client_lists_when_asked_in_spanish(
    chat: Chat, content: Content, client: str
) -> None:
    """Discord lists slash commands under the client's locale names (/atras on a Spanish
    client), whatever language the person chose for the interview."""
    es = content.locales["es"]
    ana = chat.person("ana", locale=client)
    await chat.slash(ana, "cramps")
    if client == "en-US":
        asked = (await chat.slash(ana, "language")).question
        assert asked is not None
        await chat.answer(ana, asked, "es")
    said = (await chat.slash(ana, "help")).text()
    names = es.command_names if client == "es-ES" else {}
    for command in ("back", "restart", "language"):
        assert f"/{names.get(command, command)} " in said
    assert ("/back " in said) is (client == "en-US")
