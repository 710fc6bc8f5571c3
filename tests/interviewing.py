"""Drive a whole interview through the engine from a persona's answers."""

from __future__ import annotations

from typing import Any

from dialogs.engine import Engine
from dialogs.types import Incoming, Outcome, Question


async def interview(engine: Engine, key: str, answers: dict[str, Any]) -> tuple[Outcome, list[str]]:
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


def story_of(answers: dict[str, Any], labels: dict[str, dict[str, str]], skip: str) -> str:
    """A persona's answers told in one message: the labels of every answer but ``skip``
    (the safety check) and "none", one sentence each."""
    return ". ".join(
        labels[q][o]
        for q, a in answers.items()
        if q != skip
        for o in (a if isinstance(a, list) else [a])
        if o != "none"
    )


async def story_interview(
    engine: Engine, key: str, answers: dict[str, Any], story: str
) -> tuple[Outcome, list[str]]:
    """Answer the safety check, tell ``story`` at the next question and confirm what it
    told (Yes), then answer every follow-up by option id. Returns the outcome and the
    questions shown (the confirmation as ``story``)."""
    asked: list[str] = []
    replies = await engine.handle(key, Incoming(command="start"))
    told = False
    while not isinstance(replies[-1], Outcome):
        question = replies[-1]
        assert isinstance(question, Question), replies
        asked.append(question.id)
        if question.id == "story":
            event = Incoming(choice=("yes",), question="story", step=question.step)
        elif len(asked) == 2 and not told:
            told = True
            event = Incoming(text=story)
        else:
            answer = answers[question.id]
            choice = tuple(answer) if isinstance(answer, list) else (answer,)
            event = Incoming(choice=choice, question=question.id, step=question.step)
        replies = await engine.handle(key, event)
    return replies[-1], asked
