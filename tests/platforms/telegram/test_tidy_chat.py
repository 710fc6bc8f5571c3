"""Issue 11 on Telegram: one tidy conversation, no lost taps, no dead ends.

Each test is named after a defect seen when people used the bot, and drives the
real PTB client against the strict fake Bot API (every callback query must be
answered, no edit may change nothing).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from bot.platforms import buttons
from bot.platforms.telegram.render import CHECKED
from dialogs.content import Content
from dialogs.locales import Texts
from tests.platforms.telegram.conftest import Chat, Harness, shows
from tests.platforms.telegram.test_private_chat import PERSONAS, answer_by_buttons

BOT = "crampbot_test_bot"
PHONE_BUTTON_CHARS = 30  # about what a phone shows of one button's text


def data_of(message: dict[str, Any], label: str) -> str:
    """The callback data of the button for ``label`` on ``message``, as it was drawn."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if shows(button["text"].removeprefix(CHECKED), label, message["text"]):
                return str(button["callback_data"])
    raise AssertionError(f"no button for {label!r}")


async def started(harness: Harness, *lines: str) -> Chat:
    """A private chat where the person sent /start, then ``lines``."""
    chat = harness.private()
    for line in ("/start", *lines):
        await chat.say(line)
    return chat


async def tap_quickly(harness: Harness, chat: Chat, message: dict[str, Any], *options: str) -> None:
    """Tap the buttons of ``options`` (ids, or ``done``) on ``message`` as drawn, each
    before the bot has redrawn anything."""
    assert harness.app is not None
    texts = harness.app.engine.texts("en")
    question = buttons.decode(message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert question is not None
    labels = {**texts.labels[question.question], "done": texts.messages["button_done"]}
    for option in options:
        await harness.deliver(chat.press_update(data_of(message, labels[option]), message))
    await harness.sync()


async def test_fast_taps_keep_every_tick_when_done_is_tapped_before_the_redraw(
    telegram: Harness, app_record: Any, content: Content
) -> None:
    # Before: Done carried the selection as drawn, so "chest pain" was lost and the
    # outcome was urgent instead of emergency.
    chat = await started(telegram)
    red_flags = chat.question()
    assert red_flags is not None
    await tap_quickly(telegram, chat, red_flags, "sudden_weakness", "chest_pain", "done")
    record = await app_record(telegram)
    assert set(record.answers["red_flags"]) == {"sudden_weakness", "chest_pain"}
    outcome = chat.messages()[-1]["text"]
    assert content.texts("en").instruction("emergency", "emergency") in outcome


async def test_two_quick_ticks_keep_both_when_the_second_is_tapped_before_the_redraw(
    telegram: Harness, app_record: Any
) -> None:
    chat = await started(telegram)
    red_flags = chat.question()
    assert red_flags is not None
    await tap_quickly(telegram, chat, red_flags, "dark_urine", "cold_limb")
    assert (await app_record(telegram)).draft == ("dark_urine", "cold_limb")
    ticked = [
        row[0]["text"]
        for row in chat.question()["reply_markup"]["inline_keyboard"]  # type: ignore[index]
        if row[0]["text"].startswith("✅")
    ]
    assert len(ticked) == 2


async def test_none_unticks_the_others_at_once_when_ticked_beside_them(
    telegram: Harness, app_record: Any, content: Content
) -> None:
    texts = content.texts("en")
    chat = await started(telegram)
    await chat.press(texts.labels["red_flags"]["dark_urine"])
    await chat.press(texts.labels["red_flags"]["none"])
    ticked = [
        row[0]["text"]
        for row in chat.question()["reply_markup"]["inline_keyboard"]  # type: ignore[index]
        if row[0]["text"].startswith("✅")
    ]
    assert len(ticked) == 1 and ticked[0].endswith(texts.labels["red_flags"]["none"])
    assert (await app_record(telegram)).draft == ("none",)


async def test_done_with_nothing_ticked_gets_a_toast_when_nothing_is_chosen(
    telegram: Harness, content: Content
) -> None:
    # Before: Done with nothing ticked answered with typing instructions.
    chat = await started(telegram)
    sent = len(telegram.fake.sent("sendMessage"))
    await chat.press_done()
    assert telegram.answers()[-1]["text"] == content.texts("en").messages["tick_one"]
    assert len(telegram.fake.sent("sendMessage")) == sent
    assert len(telegram.fake.live_keyboards(chat.id)) == 1


async def test_typed_answer_marks_the_question_answered_when_the_bot_restarted(
    start_bot: Any, settings: Any, content: Content, tmp_path: Any
) -> None:
    # Before: the answered mark aimed at a message remembered in memory only,
    # so after a restart the old question kept live buttons.
    texts = content.texts("en")
    on_disk = replace(settings, store=f"sqlite:///{tmp_path / 'crampbot.db'}")
    first = await start_bot(on_disk)
    chat = await started(first, "none")
    where = chat.question()
    assert where is not None
    await first.stop()

    second = await start_bot(on_disk)
    chat.harness = second
    await chat.say("calf")
    answered = next(m for m in chat.messages() if m["message_id"] == where["message_id"])
    assert "reply_markup" not in answered
    assert answered["text"].endswith(texts.labels["where"]["calf"])
    assert len(second.fake.live_keyboards(chat.id)) == 1
    assert chat.question_id() == "when"


async def test_tick_redraws_the_stored_copy_when_another_process_sent_it(
    start_bot: Any, settings: Any, tmp_path: Any
) -> None:
    on_disk = replace(settings, store=f"sqlite:///{tmp_path / 'crampbot.db'}")
    first = await start_bot(on_disk)
    chat = await started(first)
    red_flags = chat.question()
    await first.stop()
    second = await start_bot(on_disk)
    chat.harness = second
    await tap_quickly(second, chat, red_flags, "injury", "done")  # type: ignore[arg-type]
    record = await second.app.store.load("telegram:1001")  # type: ignore[union-attr]
    assert record.answers["red_flags"] == ("injury",)


async def test_only_one_keyboard_is_live_when_the_question_is_shown_again(
    telegram: Harness, content: Content
) -> None:
    # Before: every re-send left the old copy's buttons live; one chat ended
    # with five live keyboards.
    texts = content.texts("en")
    chat = await started(telegram, "none")
    where = chat.question()
    assert where is not None
    for line in ("blue elephants", "/help", "?", "/about"):
        await chat.say(line)
        assert len(telegram.fake.live_keyboards(chat.id)) == 1, line
    await chat.press(texts.labels["where"]["calf"])
    await chat.send(chat.press_update(data_of(where, texts.labels["where"]["foot"]), where))
    await chat.send(chat.press_update(data_of(where, texts.labels["where"]["calf"]), where))
    assert [a.get("text") for a in telegram.answers()[-2:]] == [texts.messages["closed"]] * 2
    assert len(telegram.fake.live_keyboards(chat.id)) == 1
    assert chat.question_id() == "when"


async def test_double_tap_gets_a_toast_not_a_second_copy_when_delivered_at_once(
    telegram: Harness, content: Content
) -> None:
    chat = await started(telegram, "none")
    where = chat.question()
    assert where is not None
    sent = len(telegram.fake.sent("sendMessage"))
    await tap_quickly(telegram, chat, where, "calf", "calf")
    assert len(telegram.fake.sent("sendMessage")) == sent + 1  # the next question, once
    assert telegram.answers()[-1]["text"] == content.texts("en").messages["closed"]
    assert len(telegram.fake.live_keyboards(chat.id)) == 1


async def test_tap_after_the_outcome_gets_a_toast_when_the_interview_is_finished(
    telegram: Harness, content: Content
) -> None:
    # Before: a tap on an old button after the end re-sent the whole outcome.
    texts = content.texts("en")
    chat = await started(telegram)
    red_flags = chat.question()
    assert red_flags is not None
    await tap_quickly(telegram, chat, red_flags, "chest_pain", "done")
    sent = len(telegram.fake.sent("sendMessage"))
    await chat.send(chat.press_update(data_of(red_flags, texts.messages["button_done"]), red_flags))
    assert telegram.answers()[-1]["text"] == texts.messages["finished"]
    assert len(telegram.fake.sent("sendMessage")) == sent


async def test_outcome_buttons_go_when_a_new_interview_starts(
    telegram: Harness, content: Content
) -> None:
    texts = content.texts("en")
    chat = await started(telegram, "chest pain")
    outcome = dict(chat.messages()[-1])  # as the person saw it
    assert len(telegram.fake.live_keyboards(chat.id)) == 1  # "More details", "Sources"
    await chat.say("/restart")
    assert len(telegram.fake.live_keyboards(chat.id)) == 1  # the new first question only
    assert chat.question_id() == "red_flags"
    await chat.press(texts.messages["button_more"], outcome)
    assert telegram.answers()[-1]["text"] == texts.messages["closed"]


async def test_group_gets_a_threaded_reason_to_go_private_when_cramps_is_sent_there(
    telegram: Harness, content: Content
) -> None:
    # Before: groups got the private welcome, not threaded to the command.
    group = telegram.group()
    command = group.message(f"/cramps@{BOT}")
    await group.send(command)
    (call,) = telegram.fake.sent("sendMessage", group.id)
    assert call.params["text"] == content.texts("en").messages["group_private"]
    assert call.params["reply_parameters"]["message_id"] == command["message"]["message_id"]
    (button,) = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
    assert button["url"] == f"https://t.me/{BOT}?start=cramps"


async def test_sticker_gets_a_short_reply_when_sent_in_a_private_chat(
    telegram: Harness, content: Content
) -> None:
    # Before: stickers and photos got no reply at all.
    chat = telegram.private()
    photo = chat.message("")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "p", "file_unique_id": "u", "width": 9, "height": 9}]
    await chat.send(photo)
    assert chat.texts() == [content.texts("en").messages["not_text"]]


async def test_buttons_fit_a_phone_and_long_labels_are_in_the_message_when_labels_are_long(
    telegram: Harness, content: Content
) -> None:
    # Before: 8 of 65 labels were 35-51 characters, cut off on phones.
    texts = content.texts("en")
    chat = await started(telegram)
    await answer_by_buttons(chat, PERSONAS[0], texts)
    seen = set()
    for call in telegram.fake.sent("sendMessage", chat.id):
        press = None
        for row in call.params.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                assert len(button["text"]) <= PHONE_BUTTON_CHARS, button["text"]
                press = buttons.decode(button.get("callback_data")) or press
        if press is None:
            continue
        seen.add(press.question)
        for option in content.questions[press.question].options:
            label = texts.labels[press.question][option]
            shown = [b["text"] for r in call.params["reply_markup"]["inline_keyboard"] for b in r]
            assert label in shown or label in call.params["text"].replace("&amp;", "&")
    assert {"red_flags", "where", "when"} <= seen


async def test_progress_line_shows_the_number_and_estimate_when_a_question_is_asked(
    telegram: Harness, content: Content
) -> None:
    # Before: no progress indicator on Telegram, unlike the terminal.
    texts: Texts = content.texts("en")
    chat = await started(telegram, "none")
    first, second = [m["text"].split("\n")[0] for m in chat.messages()[1:3]]
    assert second.startswith(texts.messages["progress"].split("{")[0])
    assert "2" in second and first != second


async def test_one_full_interview_is_tidy_when_counted(telegram: Harness, content: Content) -> None:
    """One interview by buttons: a message per question plus welcome and outcome, no stale
    keyboard at the end, and a short outcome that fits a phone screen."""
    texts = content.texts("en")
    chat = await started(telegram)
    persona = next(p for p in PERSONAS if p["expect"]["category"] == "nocturnal")
    await answer_by_buttons(chat, persona, texts)
    sent = telegram.fake.sent("sendMessage", chat.id)
    questions = [c for c in sent if "cb:" in str(c.params.get("reply_markup"))]
    assert len(sent) == 1 + len(questions) + 1
    live = telegram.fake.live_keyboards(chat.id)
    assert [m["message_id"] for m in live] == [chat.messages()[-1]["message_id"]]  # the outcome
    assert len(chat.messages()[-1]["text"]) < 1000
    refused = [c.failed for c in telegram.fake.calls if c.failed]
    assert not refused, "no call refused (no edit that changes nothing)"


async def test_tick_after_a_long_pause_gets_the_resume_prompt_as_a_new_message_when_idle(
    telegram: Harness, content: Content
) -> None:
    texts = content.texts("en")
    chat = await started(telegram, "none")
    persona = PERSONAS[0]
    while not content.questions[chat.question_id() or ""].multi:  # on to a tick-box question
        await chat.press(texts.labels[chat.question_id()][persona["answers"][chat.question_id()]])
    asked = chat.question()
    assert asked is not None and telegram.app is not None
    store = telegram.app.store
    record = await store.load("telegram:1001")
    record.updated_at -= 3 * 24 * 3600
    record.version += 1
    assert await store.save(record, record.version - 1)
    await tap_quickly(telegram, chat, asked, "none")
    assert chat.messages()[-1]["text"] == texts.prompts["resume"]["text"]
    assert chat.messages()[-2]["text"] == asked["text"], "the question is not overwritten"
    assert len(telegram.fake.live_keyboards(chat.id)) == 1


async def test_stale_reference_is_harmless_when_the_shown_message_is_gone(
    telegram: Harness, content: Content, caplog: Any
) -> None:
    chat = await started(telegram, "none")
    assert telegram.app is not None
    record = await telegram.app.store.load("telegram:1001")
    record.shown, record.version = f"{chat.id}/999999", record.version + 1  # a deleted message
    assert await telegram.app.store.save(record, record.version - 1)
    with caplog.at_level(logging.DEBUG, logger="bot.platforms.telegram.messenger"):
        await chat.say("calf")
    assert chat.question_id() == "when"
    assert not [r for r in caplog.records if r.levelno > logging.INFO]
    assert any("stale message reference" in r.getMessage() for r in caplog.records)
