"""The Engine on every real store: whole interviews, redeliveries, races and bad records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from dialogs.engine import Engine
from dialogs.store import ConversationStore
from dialogs.types import Incoming, Message, Question
from tests.conftest import personas
from tests.stores.store_helpers import STORES, Corrupt, kinds, run_interview

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
