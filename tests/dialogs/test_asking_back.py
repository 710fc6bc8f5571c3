"""Replies that could mean several options are asked back, never guessed; the record
remembers what was asked."""

from __future__ import annotations

import json

from bot.stores.memory_store import InMemoryStore
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.record import Conversation
from dialogs.types import Incoming, Message, Question
from tests.dialogs.test_engine import Chat


async def at_duration(chat: Chat) -> None:
    for line in ("/start", "none", "calf", "at night"):
        await chat.say(line)
    assert chat.question.id == "duration"


async def test_reply_is_asked_back_among_its_candidates_when_it_sits_on_a_band_edge(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    await chat.say("10 minutes")
    assert chat.kinds() == ["error"]
    assert chat.question.id == "duration" and not chat.question.multi
    assert [o.id for o in chat.question.options] == ["under_10", "over_10"]
    assert chat.question.text == engine.texts().messages["which"]
    record = await engine.store.load("console:tester")
    assert record is not None and record.candidates == ("under_10", "over_10")
    assert "duration" not in record.answers


async def test_number_picks_from_the_asked_back_list_when_candidates_are_shown(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    await chat.say("10 minutes")
    await chat.say("2")
    answered = [r for r in chat.replies if isinstance(r, Message) and r.kind == "answered"]
    assert [(m.question, m.text) for m in answered] == [
        ("duration", engine.texts().labels["duration"]["over_10"])
    ]
    record = await engine.store.load("console:tester")
    assert record is not None and record.answers["duration"] == "over_10"
    assert record.candidates == ()


async def test_number_outside_the_asked_back_list_is_refused_when_candidates_are_shown(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    await chat.say("10 minutes")
    await chat.say("3")
    assert chat.kinds() == ["error"]
    assert [o.id for o in chat.question.options] == ["under_10", "over_10"]
    record = await engine.store.load("console:tester")
    assert record is not None and "duration" not in record.answers


async def test_button_press_on_a_candidate_is_the_answer_when_asked_back(engine: Engine) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    await chat.say("10 minutes")
    await chat.press("under_10")
    assert chat.question.id != "duration"
    record = await engine.store.load("console:tester")
    assert record is not None and record.answers["duration"] == "under_10"


async def test_press_on_the_full_question_is_closed_when_it_was_asked_back_since(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    old_step = chat.question.step
    await chat.say("10 minutes")
    await chat.press("constant", step=old_step)
    assert chat.kinds() == ["closed"]
    record = await engine.store.load("console:tester")
    assert record is not None and "duration" not in record.answers


async def test_a_clear_reply_is_the_answer_when_typed_instead_of_a_candidate(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    await chat.say("10 minutes")
    await chat.say("it does not stop")
    record = await engine.store.load("console:tester")
    assert record is not None and record.answers["duration"] == "constant"


async def test_vague_word_is_asked_back_then_resolved_when_typed_at_where(engine: Engine) -> None:
    chat = Chat(engine)
    await chat.say("/start")
    await chat.say("none")
    await chat.say("my leg")
    assert [o.id for o in chat.question.options] == ["calf", "foot", "thigh"]
    await chat.say("thigh")
    record = await engine.store.load("console:tester")
    assert record is not None and record.answers["where"] == "thigh"
    assert record.state == "when"


async def test_short_typo_is_asked_back_as_did_you_mean_when_typed(engine: Engine) -> None:
    chat = Chat(engine)
    await chat.say("/start")
    await chat.say("none")
    await chat.say("clf")
    assert [o.id for o in chat.question.options] == ["calf"]
    await chat.say("1")
    record = await engine.store.load("console:tester")
    assert record is not None and record.answers["where"] == "calf"


async def test_back_forgets_the_candidates_when_asked_back(engine: Engine) -> None:
    chat = Chat(engine)
    await at_duration(chat)
    await chat.say("10 minutes")
    await chat.say("/back")
    assert chat.question.id == "when" and len(chat.question.options) > 2
    record = await engine.store.load("console:tester")
    assert record is not None and record.candidates == ()


async def test_candidates_survive_a_restart_of_the_process_when_stored(
    interview: Interview,
) -> None:
    store = InMemoryStore()
    chat = Chat(Engine(interview, store))
    await at_duration(chat)
    await chat.say("10 minutes")
    again = Chat(Engine(interview, store))
    again.replies = await again.engine.current("console:tester")
    assert [o.id for o in again.question.options] == ["under_10", "over_10"]


def test_old_record_loads_with_nothing_asked_back_when_it_lacks_the_new_fields() -> None:
    old = {
        "key": "console:old",
        "state": "when",
        "dialog_version": "v",
        "created_at": 1.0,
        "updated_at": 2.0,
        "answers": {"red_flags": ["none"], "where": "calf"},
        "version": 3,
    }
    record = Conversation.from_json(json.dumps(old))
    assert (record.candidates, record.story, record.told) == ((), {}, ())
    assert Conversation.from_json(record.to_json()) == record


def test_record_keeps_candidates_and_story_when_serialised() -> None:
    record = Conversation(
        key="console:x",
        state="duration",
        dialog_version="v",
        created_at=1.0,
        updated_at=1.0,
        candidates=("under_10", "over_10"),
        story={"when": "night", "medicines": ("statin",)},
        told=("when",),
    )
    assert Conversation.from_json(record.to_json()) == record


async def test_record_asked_back_among_options_content_lacks_is_started_again_when_loaded(
    interview: Interview,
) -> None:
    store = InMemoryStore()
    record = Conversation(
        key="console:stale",
        state="duration",
        dialog_version=interview.version,
        created_at=1.0,
        updated_at=1.0,
        answers={"red_flags": ("none",), "where": "calf", "when": "night"},
        candidates=("under_10", "ten_to_twenty"),
    )
    await store.save(record, 0)
    replies = await Engine(interview, store).handle("console:stale", Incoming(text="1"))
    assert isinstance(replies[-1], Question) and replies[-1].id == "red_flags"
