"""The engine chat by chat: commands, stale presses, replays, pauses, content changes."""

from __future__ import annotations

import logging

import pytest

from bot.stores.memory_store import InMemoryStore
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.types import Incoming, Message, Outcome, Question, Reply


class Chat:
    """One person talking to an engine: ``await chat.say("calf")``, then look at ``chat.replies``."""

    def __init__(self, engine: Engine, key: str = "console:tester") -> None:
        self.engine = engine
        self.key = key
        self.replies: list[Reply] = []

    async def say(self, line: str, event_id: str | None = None) -> list[Reply]:
        self.replies = await self.engine.handle(self.key, Incoming.from_text(line, event_id))
        return self.replies

    async def press(
        self,
        *options: str,
        step: int | None = None,
        question: str | None = None,
        event_id: str | None = None,
    ) -> list[Reply]:
        current = self.question
        event = Incoming(
            choice=options,
            question=question or current.id,
            step=current.step if step is None else step,
            event_id=event_id,
        )
        self.replies = await self.engine.handle(self.key, event)
        return self.replies

    @property
    def question(self) -> Question:
        last = self.replies[-1]
        assert isinstance(last, Question), self.replies
        return last

    @property
    def messages(self) -> list[str]:
        return [r.text for r in self.replies if isinstance(r, Message)]

    def kinds(self) -> list[str]:
        return [r.kind for r in self.replies if isinstance(r, Message)]


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


async def test_first_message_greets_and_asks_red_flags_when_new(chat: Chat) -> None:
    await chat.say("hello")
    assert chat.messages[0] == chat.engine.texts().messages["welcome"]
    assert chat.question.id == "red_flags" and chat.question.multi


async def test_back_reasks_previous_question_and_replaces_answer_when_changed(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("none")
    await chat.say("arm")
    assert chat.question.id == "when"
    await chat.say("/back")
    assert chat.question.id == "where"
    await chat.say("calf")
    await chat.say("night")
    assert chat.question.id == "duration"
    record = await chat.engine.store.load(chat.key)
    assert record is not None and record.answers == {
        "red_flags": ("none",),
        "where": "calf",
        "when": "night",
    }


async def test_back_from_outcome_reopens_last_question_when_finished(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("chest pain")
    assert isinstance(chat.replies[-1], Outcome)
    await chat.say("/back")
    assert chat.question.id == "red_flags"


async def test_back_on_first_question_says_nothing_to_go_back_when_nothing_answered(
    chat: Chat,
) -> None:
    await chat.say("/start")
    await chat.say("/back")
    assert chat.messages[0] == chat.engine.texts().messages["nothing_to_go_back"]
    assert chat.question.id == "red_flags"


async def test_restart_clears_answers_when_midway(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("none")
    await chat.say("/restart")
    assert chat.question.id == "red_flags"
    record = await chat.engine.store.load(chat.key)
    assert record is not None and record.answers == {}


async def test_stop_clears_answers_and_start_begins_again_when_stopped(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("none")
    await chat.say("/stop")
    record = await chat.engine.store.load(chat.key)
    assert record is not None and record.state == "stopped" and record.answers == {}
    await chat.say("calf")
    assert chat.messages == [chat.engine.texts().messages["already_stopped"]]
    await chat.say("/start")
    assert chat.question.id == "red_flags"


async def test_help_and_about_keep_the_question_when_asked_midway(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("none")
    for command in ("/help", "/about"):
        await chat.say(command)
        assert chat.question.id == "where"
    await chat.say("/frobnicate")
    assert chat.messages[0] == chat.engine.texts().messages["unknown_command"]
    assert chat.question.id == "where"


async def test_forget_deletes_after_confirmation_when_confirmed(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("none")
    await chat.say("/forget")
    assert chat.question.id == "forget"
    await chat.press("no")
    assert chat.question.id == "where"
    await chat.say("/forget")
    await chat.say("yes")
    assert chat.messages == [chat.engine.texts().messages["forgotten"]]
    assert await chat.engine.store.load(chat.key) is None
    await chat.say("/forget")
    assert chat.messages == [chat.engine.texts().messages["nothing_stored"]]


async def test_forget_reads_own_words_and_keeps_data_when_unclear(chat: Chat) -> None:
    """A typed reply to /forget in own words; one that is neither yes nor no deletes nothing."""
    await chat.say("/start")
    await chat.say("none")
    for unclear in ("maybe", "delete my cramps"):
        await chat.say("/forget")
        await chat.say(unclear)
        assert chat.question.id == "forget"
        assert await chat.engine.store.load(chat.key) is not None
        await chat.say("nah")
        assert chat.question.id == "where"
    await chat.say("/forget")
    await chat.say("yes please")
    assert await chat.engine.store.load(chat.key) is None


async def test_stale_press_is_not_applied_when_question_moved_on(chat: Chat) -> None:
    await chat.say("/start")
    old = chat.question
    await chat.press("none")
    assert chat.question.id == "where"
    chat.replies = [old]
    await chat.press("chest_pain")
    assert chat.kinds() == ["closed"], "a notice, not a second copy of the question"
    await chat.say("/back")
    chat.replies = [old]
    await chat.press("none")
    assert chat.kinds() == ["closed"], "a press from before /back has an old step"


async def test_press_for_another_question_is_closed_when_ids_differ(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("calf", question="where")
    assert chat.kinds()[0] == "closed"
    record = await chat.engine.store.load(chat.key)
    assert record is not None and record.answers == {}


async def test_same_event_is_applied_once_when_delivered_twice(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("none", event_id="u1")
    first = chat.question
    await chat.press("none", step=first.step - 1, question="red_flags", event_id="u1")
    assert chat.question.id == "where" and chat.kinds() == []
    record = await chat.engine.store.load(chat.key)
    assert record is not None and record.version == first.step


async def test_invalid_choice_is_refused_when_none_combined(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("chest_pain", "none")
    assert chat.kinds() == ["error"] and chat.question.id == "red_flags"
    await chat.press("not_an_option")
    assert chat.kinds() == ["error"] and chat.question.id == "red_flags"


async def test_long_pause_offers_to_continue_or_restart_when_idle(interview: Interview) -> None:
    now = [1_000_000.0]
    engine = Engine(interview, InMemoryStore(), idle_after=3600, clock=lambda: now[0])
    chat = Chat(engine)
    await chat.say("/start")
    await chat.say("none")
    now[0] += 7200
    await chat.say("calf")
    assert chat.question.id == "resume"
    await chat.say("carry on")
    assert chat.question.id == "where"
    now[0] += 7200
    await chat.say("calf")
    await chat.press("restart")
    assert chat.question.id == "red_flags"


async def test_operator_restart_tells_person_when_they_write_next(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("none")
    assert await chat.engine.restart(chat.key)
    await chat.say("calf")
    assert chat.messages[0] == chat.engine.texts().messages["operator_restart"]
    assert chat.question.id == "red_flags"


async def test_conversation_continues_when_content_changes_but_state_exists(
    chat: Chat, content
) -> None:
    from dataclasses import replace

    await chat.say("/start")
    await chat.say("none")
    chat.engine.reload(Interview(replace(content, version="2099.1")))
    await chat.say("calf")
    assert chat.question.id == "when"


async def test_conversation_restarts_with_notice_when_its_state_is_gone(
    chat: Chat, content
) -> None:
    from dataclasses import replace

    await chat.say("/start")
    await chat.say("none")
    await chat.say("calf")
    record = await chat.engine.store.load(chat.key)
    assert record is not None
    record.state, expected = "old_question_removed", record.version
    record.version += 1
    assert await chat.engine.store.save(record, expected)
    chat.engine.reload(Interview(replace(content, version="2099.2")))
    await chat.say("night")
    assert chat.messages[0] == chat.engine.texts().messages["content_changed"]
    assert chat.question.id == "red_flags"


async def test_corrupt_record_restarts_with_notice_and_logs_when_unreadable(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    store = chat.engine.store
    assert isinstance(store, InMemoryStore)
    store._rows[chat.key] = (3, 0.0, "{not json")
    with caplog.at_level(logging.WARNING):
        await chat.say("calf")
    assert chat.messages[0] == chat.engine.texts().messages["record_unreadable"]
    assert chat.question.id == "red_flags"
    assert any(
        "unreadable" in r.getMessage() and chat.key in r.getMessage() for r in caplog.records
    )


async def test_message_text_is_never_logged_at_info_when_chatting(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await chat.say("/start")
        await chat.say("secretword none")
        await chat.say("/forget")
        await chat.say("yes")
    assert all("secretword" not in r.getMessage() for r in caplog.records)


async def test_per_key_locks_are_released_when_events_finish(chat: Chat) -> None:
    for n in range(20):
        await chat.engine.handle(f"console:{n}", Incoming(command="start"))
    assert len(chat.engine.locks) == 0


async def test_person_is_reachable_again_when_they_write_after_blocking(chat: Chat) -> None:
    await chat.say("/start")
    await chat.engine.mark_inactive(chat.key)
    assert (await chat.engine.store.load(chat.key)).inactive  # type: ignore[union-attr]
    await chat.say("/help")
    assert not (await chat.engine.store.load(chat.key)).inactive  # type: ignore[union-attr]


async def test_engine_rebuilds_a_multi_question_for_a_step_when_an_adapter_asks(
    interview: Interview,
) -> None:
    engine = Engine(interview, InMemoryStore())
    [shown] = [
        r for r in await engine.handle("t:1", Incoming(command="start")) if isinstance(r, Question)
    ]
    again = engine.question(shown.id, shown.step, "en")
    assert again is not None and again.multi == shown.multi
    assert (again.id, again.text, again.options, again.step) == (
        shown.id,
        shown.text,
        shown.options,
        shown.step,
    )
    assert engine.question("no_such_question", 1) is None


async def test_fact_sheets_come_from_the_engine_when_a_topic_is_named(interview: Interview) -> None:
    engine = Engine(interview, InMemoryStore())
    topic = engine.factsheet_topics[0]
    sheet = engine.factsheet(topic.upper(), "en")
    assert sheet is not None and sheet.lines
    assert [sid for sid, _ in engine.citations(sheet.sources)] == list(sheet.sources)
    assert engine.factsheet("nonsense") is None
