"""Every persona of scenarios.yaml gets its expected outcome, in 9 questions at most."""

from __future__ import annotations

import statistics

import pytest

from dialogs.engine import Engine
from tests.conftest import personas
from tests.interviewing import interview

PERSONAS = personas()


def expected(persona: dict) -> tuple[str, str, tuple[str, ...]]:
    e = persona["expect"]
    return e["category"], e["urgency"], tuple(e["also"])


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


async def test_frequency_is_asked_exactly_when_it_could_change_the_outcome_when_interviewing(
    engine: Engine,
) -> None:
    """Asked when a first cramp and nightly cramps would give different outcomes, else never."""
    for n, persona in enumerate(PERSONAS):
        _, asked = await interview(engine, f"console:f{n}", persona["answers"])
        outcomes = []
        for frequency in ("first", "nightly"):
            answers = dict(persona["answers"], frequency=frequency)
            outcome, _ = await interview(engine, f"console:f{n}{frequency}", answers)
            outcomes.append((outcome.urgency, outcome.text))
        assert ("frequency" in asked) == (outcomes[0] != outcomes[1]), persona["name"]


async def test_weekly_cramps_raise_self_care_to_routine_when_by_frequency(engine: Engine) -> None:
    persona = next(
        p
        for p in PERSONAS
        if p["expect"]["urgency"] == "self_care" and p["answers"]["red_flags"] == ["none"]
    )
    outcome, _ = await interview(engine, "console:monthly", persona["answers"])
    assert outcome.urgency == "self_care"
    weekly = dict(persona["answers"], frequency="weekly")
    outcome, _ = await interview(engine, "console:weekly", weekly)
    assert outcome.urgency == "routine"
    assert outcome.instruction == engine.texts().urgency["routine"]


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_outcome_says_may_and_cites_sources_when_finished(
    engine: Engine, persona: dict, content
) -> None:
    outcome, _ = await interview(engine, "console:words", persona["answers"])
    titles = [s.title for s in outcome.sections]
    texts = engine.texts()
    assert titles[0] == texts.outcome["may_be"]
    assert titles[-1] == texts.outcome["call_now"]
    assert " may " in " ".join(outcome.sections[0].lines)
    assert outcome.instruction == texts.instruction(outcome.category, outcome.urgency)
    assert outcome.sources and all(s in content.sources for s in outcome.sources)
    assert not set(outcome.sources) & content.not_public
    assert outcome.disclaimer in outcome.text
    lowered = outcome.text.lower()
    assert "you have " not in lowered and "diagnosis:" not in lowered
