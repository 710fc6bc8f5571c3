"""Helpers shared by the store tests: sample records and driving an interview."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dialogs.engine import Engine
from dialogs.record import Conversation
from dialogs.store import ConversationStore
from dialogs.types import Incoming, Message, Outcome, Question, Reply

STORES = ["memory", "sqlite", "redis"]
KEY = "telegram:77"
# A complete interview whose answer to "when" (walking_relieved) is easy to find in raw bytes.
WALKING_ANSWERS: dict[str, Any] = {
    "red_flags": ["none"],
    "where": "calf",
    "when": "walking_relieved",
    "duration": "seconds",
    "feel": "knot",
    "associated": ["none"],
    "medicines": ["none"],
    "health": ["none"],
    "frequency": "monthly",
}

Corrupt = Callable[[ConversationStore, str], Awaitable[None]]


def sample(key: str = "telegram:1", updated_at: float = 1000.0, version: int = 1) -> Conversation:
    """A small record with a single and a multi answer."""
    return Conversation(
        key=key,
        state="when",
        dialog_version="test",
        created_at=updated_at - 10,
        updated_at=updated_at,
        answers={"red_flags": ("none",), "where": "calf"},
        version=version,
        recent_events=("e1",),
    )


def choice(answer: str | list[str]) -> tuple[str, ...]:
    """A persona's answer (one id, or a list for multi questions) as a button choice."""
    return tuple(answer) if isinstance(answer, list) else (answer,)


async def run_interview(engine: Engine, key: str, answers: dict[str, Any]) -> Outcome:
    """Answer every question asked, by option id with the question's step; return the outcome."""
    replies = await engine.handle(key, Incoming(command="start"))
    while not isinstance(replies[-1], Outcome):
        question = replies[-1]
        assert isinstance(question, Question), replies
        event = Incoming(
            choice=choice(answers[question.id]), question=question.id, step=question.step
        )
        replies = await engine.handle(key, event)
    return replies[-1]


def kinds(replies: list[Reply]) -> list[str]:
    """The kinds of the messages among ``replies`` (info, error, answered, closed)."""
    return [r.kind for r in replies if isinstance(r, Message)]


async def start(engine: Engine) -> Question:
    question = (await engine.handle(KEY, Incoming(command="start")))[-1]
    assert isinstance(question, Question)
    return question


async def answer(engine: Engine, question: Question, option: str) -> Question:
    event = Incoming(choice=(option,), question=question.id, step=question.step)
    asked = (await engine.handle(KEY, event))[-1]
    assert isinstance(asked, Question), asked
    return asked
