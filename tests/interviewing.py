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
