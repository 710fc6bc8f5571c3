"""A second language end to end through the engine: Spanish by buttons, labels and lay
wordings gives the English outcomes; the person's language is chosen and kept."""

from __future__ import annotations

from typing import Any

import pytest

from bot.stores.memory_store import InMemoryStore
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.record import Conversation
from dialogs.types import Incoming, Message, Outcome, Question, Reply
from tests.conftest import personas
from tests.languages import english_in, typed

PERSONAS = personas()


def expected(persona: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    e = persona["expect"]
    return e["category"], e["urgency"], tuple(e["also"])


async def run_interview(
    engine: Engine, key: str, answer: Any, locale: str | None
) -> tuple[Outcome, list[Reply]]:
    """Answer each question with ``answer(question)``: an Incoming; collect every reply."""
    seen = await engine.handle(key, Incoming(command="start"), locale)
    replies = list(seen)
    for _ in range(15):
        last = replies[-1]
        if isinstance(last, Outcome):
            return last, replies
        assert isinstance(last, Question), replies[-3:]
        step = await engine.handle(key, answer(last), locale)
        errors = [r for r in step if isinstance(r, Message) and r.kind == "error"]
        assert not errors, (last.id, answer(last), errors)
        replies += step
    raise AssertionError("the interview did not end")


@pytest.mark.parametrize("mode", ["buttons", "labels", "wordings"])
@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_persona_gets_english_outcome_when_interviewed_in_spanish(
    engine: Engine, content: Content, persona: dict[str, Any], mode: str
) -> None:
    es = content.locales["es"]
    answers = persona["answers"]
    turn = PERSONAS.index(persona)

    def answer(q: Question) -> Incoming:
        given = answers[q.id]
        chosen = given if isinstance(given, list) else [given]
        if mode == "buttons":
            return Incoming(choice=tuple(chosen), question=q.id, step=q.step)
        if mode == "labels":
            labels = {o.id: o.label for o in q.options}
            if any("," in labels[c] for c in chosen):  # commas separate answers
                return Incoming(
                    text=", ".join(str([o.id for o in q.options].index(c) + 1) for c in chosen)
                )
            return Incoming(text=", ".join(labels[c] for c in chosen))
        return Incoming(text=typed(es, q.id, given, turn))

    outcome, _ = await run_interview(engine, f"console:{mode}", answer, "es")
    assert (outcome.category, outcome.urgency, outcome.also) == expected(persona)
    assert outcome.instruction == es.instruction(outcome.category, outcome.urgency)
    assert outcome.disclaimer == es.outcome["disclaimer"]


@pytest.mark.parametrize("turn", [1, 2, 3])
async def test_every_spanish_wording_reads_as_its_option_when_typed_alone(
    interview: Interview, content: Content, turn: int
) -> None:
    """Each wording, typed alone to its own question, means its option (or, for a wording
    that names a measured amount, the band it falls in, never a different option)."""
    reader = interview.readers["es"]
    es = content.locales["es"]
    wrong = []
    for qid, options in es.synonyms.items():
        for option, wordings in options.items():
            for wording in wordings[turn - 1 :: 3]:
                found = reader.understand(qid, wording)
                ids = getattr(found, "ids", None)
                if ids != (option,):
                    wrong.append(f"{qid}.{option}: {wording!r} -> {found}")
    assert not wrong, "\n".join(wrong)


async def test_spanish_interview_shows_no_english_text_when_run_by_wordings(
    engine: Engine, content: Content
) -> None:
    es = content.locales["es"]
    shown: list[str] = []
    for n, persona in enumerate(PERSONAS):
        key = f"console:noenglish{n}"
        answers = persona["answers"]

        def answer(q: Question, answers: dict[str, Any] = answers, n: int = n) -> Incoming:
            return Incoming(text=typed(es, q.id, answers[q.id], n))

        _, replies = await run_interview(engine, key, answer, "es")
        for command in ("help", "about", "back", "restart", "forget", "nonsense", "language"):
            replies += await engine.handle(key, Incoming(command=command), "es")
        replies += await engine.handle(key, Incoming(text="plátano"), "es")
        shown += list(_texts(replies))
    assert not english_in(shown, content)
    assert any(es.messages["help"] in s for s in shown)


def _texts(replies: list[Reply]) -> list[str]:
    out = []
    for r in replies:
        if isinstance(r, Outcome):
            out += [r.text, r.short_text, r.headline]
        elif isinstance(r, Question):
            out += [r.text, r.hint, *(o.label for o in r.options)]
        else:
            out.append(r.text)
    return out


async def test_platform_language_falls_back_to_base_then_english_when_unknown(
    engine: Engine, content: Content
) -> None:
    for locale, expect in (
        ("es-MX", "es"),
        ("es_419", "es"),
        ("ES", "es"),
        ("fr-FR", "en"),
        (None, "en"),
    ):
        replies = await engine.handle(f"console:{locale}", Incoming(command="start"), locale)
        assert replies[0].text == content.locales[expect].messages["welcome"], locale


async def test_language_command_switches_and_is_kept_when_platform_says_otherwise(
    engine: Engine, content: Content
) -> None:
    es, en = content.locales["es"], content.locales["en"]
    key = "console:switch"
    await engine.handle(key, Incoming(command="start"), "en-GB")
    replies = await engine.handle(key, Incoming(command="language", args="es"), "en-GB")
    assert replies[0].text == es.messages["language_set"]
    assert isinstance(replies[-1], Question) and replies[-1].text == es.question_text["red_flags"]
    replies = await engine.handle(key, Incoming(text="no"), "en-GB")
    assert replies[-1].text == es.question_text["where"]
    record = await engine.store.load(key)
    assert record is not None and (record.locale, record.chose_locale) == ("es", True)
    replies = await engine.handle(key, Incoming(command="language", args="English"), "es")
    assert replies[0].text == en.messages["language_set"]
    assert (await engine.current(key, "es"))[-1].text == en.question_text["where"]


async def test_language_buttons_list_every_locale_when_asked_without_a_code(
    engine: Engine, content: Content
) -> None:
    key = "console:buttons"
    replies = await engine.handle(key, Incoming(command="language"), "en")
    question = replies[-1]
    assert isinstance(question, Question) and question.id == "language"
    assert [(o.id, o.label) for o in question.options] == [("en", "English"), ("es", "Español")]
    replies = await engine.handle(
        key, Incoming(choice=("es",), question="language", step=question.step), "en"
    )
    es = content.locales["es"]
    assert replies[0].text == es.messages["welcome"]
    assert replies[-1].text == es.question_text["red_flags"]


async def test_language_question_takes_a_typed_name_or_number_when_pending(
    engine: Engine, content: Content
) -> None:
    key = "console:typedlang"
    await engine.handle(key, Incoming(command="start"), "en")
    await engine.handle(key, Incoming(command="language", args="klingon"), "en")
    replies = await engine.handle(key, Incoming(text="espanol"), "en")
    assert replies[0].text == content.locales["es"].messages["language_set"]
    await engine.handle(key, Incoming(command="language"), "en")
    replies = await engine.handle(key, Incoming(text="1"), "en")
    assert replies[0].text == content.locales["en"].messages["language_set"]


async def test_unknown_language_is_said_and_asked_again_when_requested(
    engine: Engine, content: Content
) -> None:
    key = "console:unknown"
    await engine.handle(key, Incoming(command="start"), "es")
    replies = await engine.handle(key, Incoming(command="language", args="fr"), "es")
    assert replies[0].text == content.locales["es"].messages["language_unknown"]
    assert isinstance(replies[-1], Question) and replies[-1].id == "language"
    replies = await engine.handle(key, Incoming(text="no"), "es")  # not a language
    assert isinstance(replies[-1], Question) and replies[-1].id == "language"
    replies = await engine.handle(key, Incoming(command="start"), "es")  # moves on
    assert isinstance(replies[-1], Question) and replies[-1].id == "red_flags"


async def test_last_platform_language_is_used_when_a_message_has_none(
    engine: Engine, content: Content
) -> None:
    """A Discord DM carries no locale: the one seen with the person's last interaction holds."""
    key = "discord:dm"
    await engine.handle(key, Incoming(command="cramps"), "es-ES")
    replies = await engine.handle(key, Incoming(text="ninguna"), None)
    assert replies[-1].text == content.locales["es"].question_text["where"]


def test_record_keeps_its_language_when_serialised_and_old_records_load() -> None:
    record = Conversation("k", "where", "v", 1.0, 2.0, locale="es", chose_locale=True)
    again = Conversation.from_json(record.to_json())
    assert (again.locale, again.chose_locale) == ("es", True)
    old = '{"key":"k","state":"where","dialog_version":"v","created_at":1,"updated_at":2,"answers":{},"version":1}'
    loaded = Conversation.from_json(old)
    assert (loaded.locale, loaded.chose_locale) == (None, False)


async def test_default_locale_is_used_when_the_platform_gives_none(interview: Interview) -> None:
    engine = Engine(interview, InMemoryStore(), default_locale="es")
    replies = await engine.handle("console:default", Incoming(command="start"), None)
    assert replies[0].text == interview.content.locales["es"].messages["welcome"]


async def test_replies_name_the_chosen_language_when_the_platform_reports_another(
    engine: Engine, content: Content
) -> None:
    key = "console:spoken"
    started = await engine.handle(key, Incoming(command="start"), "en-GB")
    assert {r.locale for r in started} == {"en"}
    assert engine.texts_of(started, "es") is content.locales["en"]
    switched = await engine.handle(key, Incoming(command="language", args="es"), "en-GB")
    assert {r.locale for r in switched} == {"es"}, "the switch's own replies are Spanish"
    assert {r.locale for r in await engine.current(key, "en-GB")} == {"es"}
    assert engine.texts_of(switched, "en-GB") is content.locales["es"]
    assert engine.texts_of([], "en-GB") is content.locales["en"]


async def test_language_question_clears_the_question_it_replaces_when_asked_midway(
    engine: Engine,
) -> None:
    key = "console:replaced"
    await engine.handle(key, Incoming(command="start"), "en")
    await engine.shown(key, "chat:1:2", 1)
    [asked] = await engine.handle(key, Incoming(command="language"), "en")
    assert isinstance(asked, Question) and asked.id == "language"
    assert asked.previous == "chat:1:2"
