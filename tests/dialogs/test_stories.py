"""A whole story at once: typed at the first question after the safety check, shown
for confirmation, then only what is still missing is asked."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from dialogs.engine import Engine
from dialogs.types import Incoming, Message, Outcome, Question
from tests.conftest import personas
from tests.dialogs.test_engine import Chat
from tests.interviewing import interview, story_interview, story_of

PERSONAS = personas()
TOLD = [p for p in PERSONAS if p["answers"]["red_flags"] == ["none"]]
STORY = "my calves cramp at night for a few minutes, I'm on a statin"


async def told(engine: Engine, story: str = STORY) -> Chat:
    chat = Chat(engine)
    for line in ("/start", "none", story):
        await chat.say(line)
    return chat


async def answers(engine: Engine) -> dict[str, Any]:
    record = await engine.store.load("console:tester")
    assert record is not None
    return record.answers


async def test_story_is_shown_for_confirmation_and_nothing_filled_when_typed_at_where(
    engine: Engine,
) -> None:
    chat = await told(engine)
    question = chat.question
    assert question.id == "story" and [o.id for o in question.options] == ["yes", "change"]
    messages = engine.texts().messages
    for topic, label in [
        ("where", "Calf"),
        ("when", "At night or in bed"),
        ("duration", "A few minutes, under 10"),
        ("medicines", "A statin or other cholesterol medicine"),
    ]:
        assert f"{messages['topic_' + topic]}: {label}" in question.text
    assert await answers(engine) == {"red_flags": ("none",)}


async def test_yes_stores_the_story_and_asks_only_what_is_missing_when_confirmed(
    engine: Engine,
) -> None:
    chat = await told(engine)
    await chat.press("yes")
    assert chat.kinds() == ["answered"]
    assert await answers(engine) == {
        "red_flags": ("none",),
        "where": "calf",
        "when": "night",
        "duration": "under_10",
        "medicines": ("statin",),
    }
    asked = []
    while isinstance(chat.replies[-1], Question):
        asked.append(chat.question.id)
        await chat.press(*({"feel": ("knot",)}.get(chat.question.id, ("none",))))
    assert not {"where", "when", "duration", "medicines"} & set(asked)
    outcome = chat.replies[-1]
    assert isinstance(outcome, Outcome) and outcome.category == "medication"


@pytest.mark.parametrize("reply", ["yep", "Yeah!", "that's right", "correct", "1"])
async def test_a_yes_in_own_words_confirms_the_story_when_typed(engine: Engine, reply: str) -> None:
    chat = await told(engine)
    await chat.say(reply)
    assert (await answers(engine))["where"] == "calf"
    assert chat.question.id == "feel"


@pytest.mark.parametrize("reply", ["nope", "no", "not quite", "wrong", "2"])
async def test_a_no_in_own_words_asks_one_by_one_when_typed(engine: Engine, reply: str) -> None:
    chat = await told(engine)
    await chat.say(reply)
    assert await answers(engine) == {"red_flags": ("none",)}
    assert chat.question.id == "where"


@pytest.mark.parametrize("reply", ["maybe", "yes and no", "calf"])
async def test_a_reply_that_is_neither_keeps_the_story_prompt_when_typed(
    engine: Engine, reply: str
) -> None:
    chat = await told(engine)
    await chat.say(reply)
    assert chat.question.id == "story"
    assert await answers(engine) == {"red_flags": ("none",)}


async def test_yes_typed_confirms_the_story_when_in_the_terminal(engine: Engine) -> None:
    chat = await told(engine)
    await chat.say("yes")
    assert (await answers(engine))["where"] == "calf"
    assert chat.question.id == "feel"


async def test_story_that_settles_the_outcome_ends_the_interview_when_confirmed(
    engine: Engine,
) -> None:
    """The machine's skipping rules still apply: a cramp over 10 minutes is R2 at once."""
    chat = await told(engine, "calf cramps at night, they last more than ten minutes")
    await chat.press("yes")
    outcome = chat.replies[-1]
    assert isinstance(outcome, Outcome) and outcome.urgency == "urgent"


async def test_story_that_settles_the_outcome_skips_the_current_question_when_confirmed(
    engine: Engine,
) -> None:
    """ "Legs" could be calf, foot or thigh, so the story leaves ``where`` open; a cramp
    over 10 minutes settles the outcome (R2), so it is not asked."""
    chat = await told(engine, "my legs cramp at night and it lasts more than ten minutes")
    assert chat.question.id == "story"
    assert engine.texts().messages["topic_where"] not in chat.question.text
    await chat.press("yes")
    outcome = chat.replies[-1]
    assert isinstance(outcome, Outcome) and outcome.urgency == "urgent"
    assert "where" not in await answers(engine)


async def test_change_asks_one_by_one_and_stores_nothing_when_the_story_is_declined(
    engine: Engine,
) -> None:
    chat = await told(engine)
    await chat.press("change")
    assert chat.question.id == "where"
    assert await answers(engine) == {"red_flags": ("none",)}
    await chat.say("calf")
    assert chat.question.id == "when"


async def test_back_after_a_story_undoes_the_whole_story_when_the_next_question_is_shown(
    engine: Engine,
) -> None:
    chat = await told(engine)
    await chat.press("yes")
    assert chat.question.id == "feel"
    await chat.say("/back")
    assert chat.question.id == "where"
    assert await answers(engine) == {"red_flags": ("none",)}


async def test_back_after_a_follow_up_goes_back_one_question_when_a_story_was_told(
    engine: Engine,
) -> None:
    chat = await told(engine)
    await chat.press("yes")
    await chat.press("knot")
    following = chat.question.id
    await chat.say("/back")
    assert chat.question.id == "feel"
    stored = await answers(engine)
    assert "feel" not in stored and stored["medicines"] == ("statin",)
    await chat.press("knot")
    assert chat.question.id == following


async def test_story_missing_the_current_question_asks_it_next_when_confirmed(
    engine: Engine,
) -> None:
    chat = await told(engine, "my legs cramp at night, a few times a year")
    assert chat.question.id == "story"
    await chat.press("yes")
    assert chat.question.id == "where"
    await chat.say("calf")
    assert "when" not in [
        r.id for r in chat.replies if isinstance(r, Question)
    ] and chat.question.id not in ("when", "frequency")


@pytest.mark.parametrize(
    "story",
    [
        "my calves cramp at night and I have chest pain",
        "calf cramps at night, my pee is dark brown",
        "calf cramps at night and I passed out",
    ],
)
async def test_story_naming_a_warning_sign_goes_back_to_the_safety_check_when_typed(
    engine: Engine, story: str
) -> None:
    chat = await told(engine, story)
    assert chat.kinds() == ["error"]
    assert chat.question.id == "red_flags"
    assert await answers(engine) == {}
    await chat.say(story)
    outcome = chat.replies[-1]
    assert isinstance(outcome, Outcome) and outcome.urgency == "emergency"


@pytest.mark.parametrize(
    ("story", "question", "option"),
    [
        ("my calves cramp at night and my legs feel numb", "associated", "numbness"),
        ("thigh cramps after running, swollen leg", "associated", "swelling"),
    ],
)
async def test_story_is_confirmed_when_its_sign_words_answer_another_question(
    engine: Engine, story: str, question: str, option: str
) -> None:
    """Numbness or swelling told with the cramps is weighed by the question that asks
    about it (urgent either way), so the story is not sent back to the safety check."""
    chat = await told(engine, story)
    assert chat.question.id == "story"
    assert engine.texts().labels[question][option] in chat.question.text


@pytest.mark.parametrize("typed", ["calf", "Calf", "lower leg", "3", "my calves"])
async def test_plain_answer_is_not_a_story_when_it_answers_only_the_question(
    engine: Engine, typed: str
) -> None:
    chat = await told(engine, typed)
    assert chat.question.id == "when"


async def test_story_is_read_as_a_plain_reply_when_typed_after_the_first_question(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    for line in ("/start", "none", "calf", "at night, a few minutes, I'm on a statin"):
        await chat.say(line)
    assert chat.question.id != "story"
    stored = await answers(engine)
    assert stored["when"] == "night" and "duration" not in stored


async def test_back_declines_the_story_when_it_waits_for_confirmation(engine: Engine) -> None:
    chat = await told(engine)
    await chat.say("/back")
    assert chat.question.id == "where"
    assert await answers(engine) == {"red_flags": ("none",)}


async def test_other_reply_repeats_the_confirmation_when_the_story_waits(engine: Engine) -> None:
    chat = await told(engine)
    await chat.say("banana")
    assert chat.kinds() == ["error"] and chat.question.id == "story"


@pytest.mark.parametrize("persona", TOLD, ids=[p["name"] for p in TOLD])
async def test_persona_keeps_its_outcome_when_told_as_a_story_with_follow_ups(
    engine: Engine, persona: dict, content
) -> None:
    labels = content.locales["en"].labels
    story = story_of(persona["answers"], labels, content.initial)
    outcome, asked = await story_interview(engine, "console:s", persona["answers"], story)
    expect = persona["expect"]
    assert (outcome.category, outcome.urgency, list(outcome.also)) == (
        expect["category"],
        expect["urgency"],
        expect["also"],
    ), (story, asked)


async def test_stories_ask_fewer_questions_when_every_persona_tells_one(
    engine: Engine, content
) -> None:
    labels = content.locales["en"].labels
    one_by_one, with_story = [], []
    for n, persona in enumerate(TOLD):
        _, asked = await interview(engine, f"console:o{n}", persona["answers"])
        story = story_of(persona["answers"], labels, content.initial)
        _, told_asked = await story_interview(engine, f"console:t{n}", persona["answers"], story)
        one_by_one.append(len(asked))
        with_story.append(len(told_asked))
        print(persona["name"], len(asked), len(told_asked), told_asked)
    assert statistics.median(with_story) < statistics.median(one_by_one)


async def test_answered_echo_names_what_was_understood_when_typed(engine: Engine) -> None:
    chat = Chat(engine)
    for line in ("/start", "none", "calf", "at night", "longer than ten minutes"):
        await chat.say(line)
    echo = [r for r in chat.replies if isinstance(r, Message) and r.kind == "answered"]
    assert [(e.question, e.text) for e in echo] == [
        ("duration", engine.texts().labels["duration"]["over_10"])
    ]


async def test_story_prompt_press_is_applied_once_when_redelivered(engine: Engine) -> None:
    chat = await told(engine)
    step = chat.question.step
    event = Incoming(choice=("yes",), question="story", step=step, event_id="u1")
    await engine.handle("console:tester", event)
    again = await engine.handle("console:tester", event)
    assert isinstance(again[-1], Question) and again[-1].id == "feel"
