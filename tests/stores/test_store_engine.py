"""The Engine on every real store: whole interviews, redeliveries, races and bad records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, cast

import pytest

from dialogs.engine import Engine
from dialogs.record import Conversation
from dialogs.store import ConversationStore
from dialogs.types import Incoming, Message, Outcome, Question
from tests.conftest import personas
from tests.stores.store_helpers import STORES, Corrupt, choice, kinds, run_interview

pytestmark = pytest.mark.parametrize("store", STORES, indirect=True)

PERSONAS = personas()
KEY = "telegram:555"
EngineFactory = Callable[[ConversationStore], Engine]


async def first_question(engine: Engine, key: str = KEY) -> Question:
    replies = await engine.handle(key, Incoming(command="start"))
    question = replies[-1]
    assert isinstance(question, Question)
    return question


def press(question: Question, event_id: str, option: str = "none") -> Incoming:
    return Incoming(choice=(option,), question=question.id, step=question.step, event_id=event_id)


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
async def test_persona_gets_expected_outcome_when_state_lives_in_store(
    store: ConversationStore, make_engine: EngineFactory, persona: dict
) -> None:
    """The record survives a save/load round trip at every step of a whole interview."""
    outcome = await run_interview(make_engine(store), "console:persona", persona["answers"])
    expect = persona["expect"]
    assert (outcome.category, outcome.urgency, outcome.also) == (
        expect["category"],
        expect["urgency"],
        tuple(expect["also"]),
    )


async def test_event_is_applied_once_when_delivered_twice(
    store: ConversationStore, make_engine: EngineFactory
) -> None:
    """A platform redelivery gets the current question back and changes nothing."""
    engine = make_engine(store)
    await first_question(engine)
    first = await engine.handle(KEY, Incoming(text="none", event_id="update-1"))
    assert kinds(first) == ["answered"]
    saved = await store.load(KEY)
    again = await engine.handle(KEY, Incoming(text="none", event_id="update-1"))
    assert again == first[-1:]
    assert isinstance(again[0], Question) and again[0].id == "where"
    assert await store.load(KEY) == saved


async def test_press_is_applied_once_when_50_copies_arrive_at_once(
    store: ConversationStore, make_engine: EngineFactory
) -> None:
    """Fifty deliveries of one button press (distinct event ids): one answer, 49 closed."""
    engine = make_engine(store)
    question = await first_question(engine)
    results = await asyncio.gather(
        *(engine.handle(KEY, press(question, f"e{n}")) for n in range(50))
    )
    assert sum("answered" in kinds(r) for r in results) == 1
    assert sum("closed" in kinds(r) for r in results) == 49
    record = await store.load(KEY)
    assert record is not None
    assert (record.state, record.answers, record.version) == (
        "where",
        {"red_flags": ("none",)},
        question.step + 1,
    )


async def test_press_is_applied_once_when_two_engines_share_the_store(
    store: ConversationStore, second_store: ConversationStore, make_engine: EngineFactory
) -> None:
    """Two processes' engines (own clients, own locks) racing on one key: compare-and-set wins."""
    engines = (make_engine(store), make_engine(second_store))
    question = await first_question(engines[0])
    results = await asyncio.gather(
        *(engines[n % 2].handle(KEY, press(question, f"e{n}")) for n in range(50))
    )
    assert sum("answered" in kinds(r) for r in results) == 1
    record = await second_store.load(KEY)
    assert record is not None
    assert (record.answers, record.version) == ({"red_flags": ("none",)}, question.step + 1)


async def test_every_write_counts_once_when_two_engines_race(
    store: ConversationStore, second_store: ConversationStore, make_engine: EngineFactory
) -> None:
    """Fifty restarts split over two engines: the version grows by exactly the applied ones."""
    engines = (make_engine(store), make_engine(second_store))
    question = await first_question(engines[0])
    results = await asyncio.gather(
        *(
            engines[n % 2].handle(KEY, Incoming(command="restart", event_id=f"r{n}"))
            for n in range(50)
        )
    )
    busy = sum("error" in kinds(r) for r in results)
    record = await store.load(KEY)
    assert record is not None
    assert record.version == question.step + 50 - busy
    assert busy < 50


async def test_redelivery_is_applied_once_when_two_engines_get_it_at_once(
    store: ConversationStore, second_store: ConversationStore, make_engine: EngineFactory
) -> None:
    """The same event id raced through two engines is remembered across the CAS retry."""
    engines = (make_engine(store), make_engine(second_store))
    question = await first_question(engines[0])
    same = Incoming(command="restart", event_id="update-9")
    await asyncio.gather(*(engines[n % 2].handle(KEY, same) for n in range(20)))
    record = await store.load(KEY)
    assert record is not None
    assert record.version == question.step + 1


async def test_engine_restarts_with_notice_when_record_is_corrupt(
    store: ConversationStore,
    make_engine: EngineFactory,
    corrupt: Corrupt,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hand-edited record neither crashes nor sticks: the person is told and starts again."""
    engine = make_engine(store)
    question = await first_question(engine)
    await engine.handle(KEY, press(question, "e1"))
    await corrupt(store, KEY)
    with caplog.at_level(logging.WARNING):
        replies = await engine.handle(KEY, Incoming(text="calf"))
    assert replies[0] == Message(text=engine.texts().messages["record_unreadable"])
    assert isinstance(replies[-1], Question) and replies[-1].id == "red_flags"
    assert any(KEY in m and "unreadable" in m for m in caplog.messages)
    record = await store.load(KEY)
    assert record is not None and record.answers == {}


class NoteBeforeSave:
    """A process's store whose first save lets another process's note land just before
    it: after that step's load, before its compare-and-set."""

    def __init__(self, store: ConversationStore, note: Awaitable[None]) -> None:
        self.store = store
        self.note: Awaitable[None] | None = note

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def save(self, record: Conversation, expected: int) -> bool:
        if self.note is not None:
            note, self.note = self.note, None
            await note
        return bool(await self.store.save(record, expected))


async def test_step_marks_the_noted_copy_answered_when_the_note_lands_between_its_load_and_save(
    store: ConversationStore, second_store: ConversationStore, make_engine: EngineFactory
) -> None:
    """B's step loaded before A noted where "where" is shown: B's save fails, and worked out
    again it sees the note, so its echo marks that copy answered (no stray buttons)."""
    a = make_engine(store)
    where = (await a.handle(KEY, press(await first_question(a), "u1")))[-1]
    assert isinstance(where, Question) and where.id == "where"
    b = make_engine(
        cast(ConversationStore, NoteBeforeSave(second_store, a.shown(KEY, "m2", where.step)))
    )
    replies = await b.handle(KEY, Incoming(text="calf", event_id="u2"))
    assert replies[0] == Message(text="Calf", kind="answered", question="where", previous="m2")
    record = await store.load(KEY)
    assert record is not None and record.answers["where"] == "calf" and record.shown is None


async def test_replay_marks_the_question_on_screen_when_its_copy_was_noted(
    store: ConversationStore, make_engine: EngineFactory
) -> None:
    """A replayed press gets the current question; once noted shown, it says so (the
    adapter sends no second copy), and points at that copy."""
    engine = make_engine(store)
    first = await first_question(engine)
    where = (await engine.handle(KEY, press(first, "u1")))[-1]
    assert isinstance(where, Question) and not where.on_screen
    again = await engine.handle(KEY, press(first, "u1"))
    assert again == [where], "not noted yet: sent as it was"
    await engine.shown(KEY, "m2", where.step)
    again = await engine.handle(KEY, press(first, "u1"))
    assert again == [replace(where, previous="m2", on_screen=True)]
    assert await engine.current(KEY) == [replace(where, previous="m2")], "display: no flag"


async def test_replay_marks_the_outcome_on_screen_when_its_copy_was_noted(
    store: ConversationStore, make_engine: EngineFactory
) -> None:
    engine = make_engine(store)
    answers = PERSONAS[0]["answers"]
    replies = await engine.handle(KEY, Incoming(command="start"))
    while isinstance(question := replies[-1], Question):
        event = press(question, f"u{question.step}", option="")
        event = replace(event, choice=choice(answers[question.id]))
        replies = await engine.handle(KEY, event)
    outcome = replies[-1]
    assert isinstance(outcome, Outcome)
    assert [r.on_screen for r in await engine.handle(KEY, event) if isinstance(r, Outcome)] == [
        False
    ]
    await engine.shown(KEY, "m9", outcome.step)
    again = await engine.handle(KEY, event)
    assert again == [replace(outcome, on_screen=True)]
