"""The terminal shows what it understood, asks back among candidates, takes a story."""

from __future__ import annotations

import pytest

from dialogs.content import Content
from tests.conftest import personas
from tests.interviewing import story_of
from tests.platforms.console.console_driver import Console

TOLD = [p for p in personas() if p["answers"]["red_flags"] == ["none"]]


def echoes(turn: list[dict]) -> list[tuple[str, str]]:
    return [(t["answered"], t["text"]) for t in turn if t["type"] == "message" and "answered" in t]


def test_every_typed_answer_is_echoed_before_the_next_question_when_chatting_over_jsonl(
    content: Content,
) -> None:
    labels = content.locales["en"].labels
    console = Console()
    turn = console.say("nope")
    assert echoes(turn) == [("red_flags", labels["red_flags"]["none"])]
    assert turn[-1]["question"] == "where"
    turn = console.say("the back of my thigh")
    assert echoes(turn) == [("where", labels["where"]["thigh"])]
    console.say("in bed")
    turn = console.say("longer than ten minutes")
    assert echoes(turn) == [("duration", labels["duration"]["over_10"])]
    assert turn[-1]["type"] == "outcome" and turn[-1]["urgency"] == "urgent"
    assert console.close() == 0


def test_ambiguous_reply_is_asked_back_as_a_short_list_when_chatting_over_jsonl(
    content: Content,
) -> None:
    console = Console()
    console.say("none")
    turn = console.say("my leg")
    assert turn[0]["type"] == "error"
    assert turn[-1]["question"] == "where"
    assert [o["id"] for o in turn[-1]["options"]] == ["calf", "foot", "thigh"]
    turn = console.say("2")
    assert echoes(turn) == [("where", content.locales["en"].labels["where"]["foot"])]
    assert turn[-1]["question"] == "when"
    assert console.close() == 0


def test_terminal_help_does_not_talk_about_buttons_when_asked_for() -> None:
    console = Console()
    turn = console.say("/help")
    help_text = turn[0]["text"]
    assert "/back" in help_text and "button" not in help_text.lower()
    assert console.close() == 0


@pytest.mark.parametrize("persona", TOLD, ids=[p["name"] for p in TOLD])
def test_persona_keeps_its_outcome_when_told_as_a_story_over_jsonl(
    persona: dict, content: Content
) -> None:
    story = story_of(persona["answers"], content.locales["en"].labels, content.initial)
    console = Console()
    console.say("none")
    turn = console.say(story)
    assert turn[-1]["question"] == "story", turn
    turn = console.say("yes")
    while turn[-1]["type"] == "question":
        answer = persona["answers"][turn[-1]["question"]]
        turn = console.say(",".join(answer) if isinstance(answer, list) else answer)
        assert all(t["type"] != "error" for t in turn), turn
    expect = persona["expect"]
    assert (turn[-1]["category"], turn[-1]["urgency"], turn[-1]["also"]) == (
        expect["category"],
        expect["urgency"],
        expect["also"],
    )
    assert console.close() == 0
