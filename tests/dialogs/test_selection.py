"""Multi-choice selection on the server, and where a question is shown.

Each tick is a toggle of the stored draft (compare-and-set, like every
step); Done submits the stored draft. The record keeps the platform's
reference to the message showing its question, so any process can clear it.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.stores.memory_store import InMemoryStore
from dialogs import Conversation, Engine, Incoming, Interview, Message, Outcome, Question, Reply


class InterleavingStore(InMemoryStore):
    """An in-memory store that yields between a load and its save, as a network store does,
    so two processes working on one person really race for the compare-and-set."""

    async def load(self, key: str, *, cached: bool = False) -> Conversation | None:
        record = await super().load(key, cached=cached)
        await asyncio.sleep(0)
        return record

    async def save(self, record: Conversation, expected: int) -> bool:
        await asyncio.sleep(0)
        return await super().save(record, expected)


KEY = "telegram:42"


def tap(question: Question, action: str, *options: str, event_id: str | None = None) -> Incoming:
    return Incoming(
        choice=options,
        question=question.id,
        step=question.step,
        action=action,  # type: ignore[arg-type]
        event_id=event_id,
    )


async def first_question(engine: Engine) -> Question:
    replies = await engine.handle(KEY, Incoming.from_text("/start"))
    question = replies[-1]
    assert isinstance(question, Question)
    return question


def only(replies: list[Reply], kind: type) -> list[Reply]:
    return [r for r in replies if isinstance(r, kind)]


async def test_fast_taps_keep_every_tick_when_done_is_tapped_before_the_redraw(
    engine: Engine,
) -> None:
    # The defect: Done carried the selection as drawn, so ticks made before the
    # redraw arrived were lost (urgent instead of emergency).
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "sudden_weakness"))
    await engine.handle(KEY, tap(shown, "toggle", "chest_pain"))
    replies = await engine.handle(KEY, tap(shown, "done"))
    echo = replies[0]
    assert isinstance(echo, Message) and echo.kind == "answered"
    record = await engine.store.load(KEY)
    assert record is not None
    assert set(record.answers["red_flags"]) == {"sudden_weakness", "chest_pain"}
    assert isinstance(replies[-1], Outcome) and replies[-1].urgency == "emergency"


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_ticks_are_never_lost_when_delivered_in_any_order(
    engine: Engine, order: tuple[int, ...]
) -> None:
    shown = await first_question(engine)
    options = ["dark_urine", "tingling_spasm", "cold_limb"]
    for i in order:
        await engine.handle(KEY, tap(shown, "toggle", options[i], event_id=f"u{i}"))
    record = await engine.store.load(KEY)
    assert record is not None and set(record.draft) == set(options)


async def test_ticks_are_never_lost_when_two_processes_race_for_one_person(
    interview: Interview,
) -> None:
    store = InterleavingStore()
    one, two = Engine(interview, store), Engine(interview, store)
    shown = await first_question(one)
    options = ["dark_urine", "tingling_spasm", "cold_limb", "injury", "fever_neck"]
    await asyncio.gather(
        *(
            (one if i % 2 else two).handle(KEY, tap(shown, "toggle", o, event_id=f"u{i}"))
            for i, o in enumerate(options)
        )
    )
    record = await store.load(KEY)
    assert record is not None and set(record.draft) == set(options)
    assert record.asked == shown.step, "ticks keep the question's step"


async def test_two_quick_ticks_keep_both_when_the_second_is_drawn_from_the_first_keyboard(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "dark_urine"))
    replies = await engine.handle(KEY, tap(shown, "toggle", "cold_limb"))
    redrawn = replies[-1]
    assert isinstance(redrawn, Question) and redrawn.step == shown.step
    assert redrawn.selected == ("dark_urine", "cold_limb")


async def test_none_and_others_exclude_each_other_at_once_when_ticked(engine: Engine) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "dark_urine"))
    replies = await engine.handle(KEY, tap(shown, "toggle", "none"))
    assert isinstance(replies[-1], Question) and replies[-1].selected == ("none",)
    replies = await engine.handle(KEY, tap(shown, "toggle", "cold_limb"))
    assert isinstance(replies[-1], Question) and replies[-1].selected == ("cold_limb",)


async def test_untick_removes_an_option_when_tapped_again(engine: Engine) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "dark_urine"))
    replies = await engine.handle(KEY, tap(shown, "toggle", "dark_urine"))
    assert isinstance(replies[-1], Question) and replies[-1].selected == ()


async def test_done_with_nothing_ticked_gives_a_short_notice_when_nothing_is_chosen(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    replies = await engine.handle(KEY, tap(shown, "done"))
    assert replies == [Message(text=engine.texts().messages["tick_one"], kind="notice")]


async def test_stale_tap_gives_a_notice_and_no_second_copy_when_the_question_moved_on(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "none"))
    await engine.handle(KEY, tap(shown, "done"))
    for action in ("toggle", "done", "answer"):
        replies = await engine.handle(KEY, tap(shown, action, "none"))
        assert replies == [Message(text=engine.texts().messages["closed"], kind="closed")]
    record = await engine.store.load(KEY)
    assert record is not None and record.answers == {"red_flags": ("none",)}


async def test_tap_after_the_outcome_gives_a_notice_when_the_interview_is_finished(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "chest_pain"))
    replies = await engine.handle(KEY, tap(shown, "done"))
    assert isinstance(replies[-1], Outcome)
    again = await engine.handle(KEY, tap(shown, "done"))
    assert again == [Message(text=engine.texts().messages["finished"], kind="closed")]


async def test_draft_is_cleared_when_the_question_changes(engine: Engine) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "dark_urine"))
    await engine.handle(KEY, Incoming.from_text("none"))
    await engine.handle(KEY, Incoming.from_text("/back"))
    record = await engine.store.load(KEY)
    assert record is not None and record.state == "red_flags" and record.draft == ()


async def test_shown_reference_survives_a_restart_when_another_engine_answers(
    interview: Interview,
) -> None:
    store = InMemoryStore()
    before = Engine(interview, store)
    shown = await first_question(before)
    await before.shown(KEY, "1/100", shown.step)
    after = Engine(interview, store)  # a new process: nothing in memory
    replies = await after.handle(KEY, Incoming.from_text("none"))
    echo, question = replies
    assert isinstance(echo, Message) and echo.kind == "answered" and echo.previous == "1/100"
    assert isinstance(question, Question) and question.previous is None


async def test_question_shown_again_names_the_copy_it_replaces_when_reasked(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    await engine.shown(KEY, "1/100", shown.step)
    for line in ("what?", "/help"):
        question = (await engine.handle(KEY, Incoming.from_text(line)))[-1]
        assert isinstance(question, Question) and question.previous == "1/100"
    stopped = (await engine.handle(KEY, Incoming.from_text("/stop")))[-1]
    assert isinstance(stopped, Message) and stopped.previous == "1/100"


async def test_shown_is_ignored_when_the_record_moved_on(engine: Engine) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, Incoming.from_text("none"))
    await engine.shown(KEY, "1/100", shown.step)
    record = await engine.store.load(KEY)
    assert record is not None and record.shown is None


async def test_old_records_load_with_defaults_when_saved_before_these_fields() -> None:
    old = (
        '{"key":"k","state":"where","dialog_version":"1","created_at":1,"updated_at":2,'
        '"answers":{"red_flags":["none"]},"version":7}'
    )
    record = Conversation.from_json(old)
    assert (record.asked, record.shown, record.draft) == (7, None, ())
    assert Conversation.from_json(record.to_json()) == record


async def test_progress_estimate_counts_the_questions_still_worth_asking_when_asked(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    assert shown.number == 1 and shown.total > 2
    question = (await engine.handle(KEY, Incoming.from_text("none")))[-1]
    assert isinstance(question, Question) and question.number == 2
    assert question.total >= question.number


async def test_next_question_starts_with_nothing_ticked_when_the_last_was_ticked(
    engine: Engine,
) -> None:
    shown = await first_question(engine)
    await engine.handle(KEY, tap(shown, "toggle", "none"))
    replies = await engine.handle(KEY, tap(shown, "done"))
    where = replies[-1]
    assert isinstance(where, Question) and where.id == "where" and where.selected == ()
    back = (await engine.handle(KEY, Incoming.from_text("/back")))[-1]
    assert isinstance(back, Question) and back.id == "red_flags" and back.selected == ()
