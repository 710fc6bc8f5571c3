"""Every persona of scenarios.yaml gets its expected outcome, in 9 questions at most."""

from __future__ import annotations

import statistics

import pytest

from dialogs.engine import Engine
from dialogs.types import Incoming, Outcome, Question
from tests.conftest import personas

PERSONAS = personas()


def expected(persona: dict) -> tuple[str, str, tuple[str, ...]]:
    e = persona["expect"]
    return e["category"], e["urgency"], tuple(e["also"])


async def interview(engine: Engine, key: str, answers: dict) -> tuple[Outcome, list[str]]:
    """Answer every question the engine asks by option id; return the outcome and the questions."""
    asked: list[str] = []
    replies = await engine.handle(key, Incoming(command="start"))
    while not isinstance(replies[-1], Outcome):
        question = replies[-1]
        assert isinstance(question, Question), replies
        asked.append(question.id)
        answer = answers[question.id]
        choice = tuple(answer) if isinstance(answer, list) else (answer,)
        replies = await engine.handle(
            key, Incoming(choice=choice, question=question.id, step=question.step)
        )
    return replies[-1], asked


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_persona_gets_expected_outcome_when_answering_through_engine(
    engine: Engine, persona: dict
) -> None:
    outcome, asked = await interview(engine, "console:persona", persona["answers"])
    assert (outcome.category, outcome.urgency, outcome.also) == expected(persona)
    assert asked[0] == "red_flags"
    if persona["answers"]["red_flags"] == ["none"]:
        assert asked[1:3] == ["where", "when"]
    else:
        assert asked == ["red_flags"]


async def test_question_count_median_is_at_most_8_when_running_all_personas(engine: Engine) -> None:
    counts = []
    for n, persona in enumerate(PERSONAS):
        _, asked = await interview(engine, f"console:p{n}", persona["answers"])
        counts.append(len(asked))
    assert max(counts) <= 9
    assert statistics.median(counts) <= 8


async def test_frequency_is_asked_only_when_exercise_or_nocturnal_when_interviewing(
    engine: Engine,
) -> None:
    for n, persona in enumerate(PERSONAS):
        outcome, asked = await interview(engine, f"console:f{n}", persona["answers"])
        involved = {outcome.category, *outcome.also} & {"exercise", "nocturnal"}
        assert ("frequency" in asked) == bool(involved), persona["name"]


async def test_frequent_cramps_add_gp_advice_when_weekly(engine: Engine, content) -> None:
    persona = next(p for p in PERSONAS if p["answers"]["frequency"] == "weekly")
    outcome, _ = await interview(engine, "console:weekly", persona["answers"])
    gp = engine.texts().advice["see_gp_frequent"]
    assert any(gp in section.lines for section in outcome.sections)
    monthly = dict(persona["answers"], frequency="monthly")
    outcome, _ = await interview(engine, "console:monthly", monthly)
    assert all(gp not in section.lines for section in outcome.sections)


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_outcome_says_may_and_cites_sources_when_finished(
    engine: Engine, persona: dict, content
) -> None:
    outcome, _ = await interview(engine, "console:words", persona["answers"])
    titles = [s.title for s in outcome.sections]
    texts = engine.texts()
    assert titles[0] == texts.outcome["may_be"]
    assert texts.outcome["doctor"] in titles
    assert " may " in " ".join(outcome.sections[0].lines)
    assert texts.urgency[outcome.urgency] in outcome.text
    assert outcome.sources and all(s in content.sources for s in outcome.sources)
    assert outcome.disclaimer in outcome.text
    lowered = outcome.text.lower()
    assert "you have " not in lowered and "diagnosis:" not in lowered
