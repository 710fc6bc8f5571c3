"""Faults: stale and repeated presses, redelivered updates, API errors, odd updates."""

from __future__ import annotations

import logging

import pytest


async def start_where(chat, texts) -> None:
    """Start an interview and answer the safety check, so "where" is open."""
    await chat.say("/start")
    await chat.press(texts.labels["red_flags"]["none"])
    await chat.press_done()


async def test_stale_button_is_refused_when_the_question_was_reopened_by_back(
    telegram, content, app_record
) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await start_where(chat, texts)
    old_where = chat.question()
    await chat.press(texts.labels["where"]["calf"])
    await chat.say("/back")
    await chat.press(texts.labels["where"]["foot"], message=old_where)
    assert telegram.answers()[-1]["text"] == texts.messages["closed"]
    record = await app_record(telegram)
    assert record.state == "where" and "where" not in record.answers
    assert chat.question_id() == "where"


async def test_old_done_is_refused_when_its_question_was_answered(
    telegram, content, app_record
) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await chat.say("/start")
    red_flags = chat.question()
    await chat.press(texts.labels["red_flags"]["none"])
    await chat.press_done()
    done = red_flags["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
    await chat.send(chat.press_update(done, red_flags))
    assert telegram.answers()[-1]["text"] == texts.messages["closed"]
    assert (await app_record(telegram)).state == "where"


async def test_one_step_is_taken_when_the_same_button_is_pressed_twice_at_once(
    telegram, content, app_record
) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await start_where(chat, texts)
    question = chat.question()
    data = next(
        row[0]["callback_data"]
        for row in question["reply_markup"]["inline_keyboard"]
        if row[0]["text"] == texts.labels["where"]["calf"]
    )
    await telegram.deliver(chat.press_update(data, question))
    await telegram.deliver(chat.press_update(data, question))
    await telegram.sync()
    record = await app_record(telegram)
    assert record.answers == {"red_flags": ("none",), "where": "calf"}
    assert record.state == "when"
    assert [a.get("text") for a in telegram.answers()[-2:]] == [None, texts.messages["closed"]]


async def test_update_is_applied_once_when_delivered_twice(telegram, content, app_record) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await start_where(chat, texts)
    update = chat.message("calf")
    await telegram.deliver(update)
    await telegram.deliver(dict(update))
    await telegram.sync()
    record = await app_record(telegram)
    assert record.answers == {"red_flags": ("none",), "where": "calf"}
    assert record.state == "when"


async def test_replayed_update_sends_no_second_copy_when_its_question_is_on_screen(
    telegram, content, app_record
) -> None:
    """A webhook re-sent after the bot applied and answered it (a replica died before its
    200): the question it led to is on screen already, so nothing is sent again."""
    texts = content.texts("en")
    chat = telegram.private()
    await start_where(chat, texts)
    update = chat.message("calf")
    await chat.send(update)
    sent = len(telegram.fake.sent("sendMessage"))
    shown = chat.question()
    await chat.send(dict(update))
    assert len(telegram.fake.sent("sendMessage")) == sent
    assert chat.question() == shown and chat.question_id() == "when"
    record = await app_record(telegram)
    assert record.shown_step == record.asked


async def test_message_arrives_when_the_api_says_retry_after(telegram, content) -> None:
    chat = telegram.private()
    telegram.fake.fail_next("sendMessage", "429")
    await chat.say("/start")
    assert [c.failed for c in telegram.fake.calls if c.method == "sendMessage"][:2] == ["429", None]
    assert chat.texts()[0] == content.texts("en").messages["welcome"]
    assert chat.question_id() == "red_flags"


@pytest.mark.parametrize("fault", ["500", "drop"])
async def test_message_arrives_when_a_send_fails_once(telegram, content, fault) -> None:
    chat = telegram.private()
    await chat.say("/start")
    telegram.fake.fail_next("sendMessage", fault)
    await chat.say("/help")
    assert [c.failed for c in telegram.fake.calls if c.method == "sendMessage"][-3:] == [
        fault,
        None,
        None,
    ]
    assert content.texts("en").messages["help"] in chat.texts()


async def test_person_is_marked_inactive_when_they_blocked_the_bot(
    telegram, content, app_record
) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await start_where(chat, texts)
    telegram.fake.fail_next("sendMessage", "403")
    await chat.press(texts.labels["where"]["calf"])
    assert (await app_record(telegram)).inactive is True
    assert [c.failed for c in telegram.fake.calls if c.method == "sendMessage"][-1] == "403"
    await chat.say("night")  # the question never arrived, so they type the answer
    assert (await app_record(telegram)).inactive is False


async def test_not_modified_is_harmless_when_a_toggle_repeats(telegram, content, caplog) -> None:
    texts = content.texts("en")
    chat = telegram.private()
    await chat.say("/start")
    telegram.fake.fail_next("editMessageReplyMarkup", "not_modified")
    with caplog.at_level(logging.WARNING, logger="bot.platforms.telegram.messenger"):
        await chat.press(texts.labels["red_flags"]["none"])
    assert not caplog.records
    assert telegram.answers()[-1].get("text") is None


async def test_bot_keeps_serving_when_updates_are_malformed_or_unexpected(
    telegram, content
) -> None:
    chat = telegram.private()
    await chat.say("/start")
    question = chat.question()
    garbage = ["hello", "cb:done:1:nosuch:1", "cb:toggle:1:where:zz", "cb:done:1:red_flags:fffff"]
    for data in garbage:
        await chat.send(chat.press_update(data, question))
    await chat.send(chat.press_update("cb:pick:1:where:calf"))  # no message attached
    sticker = chat.message("")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "f",
        "file_unique_id": "u",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    await chat.send(sticker)
    await chat.send({"edited_message": {**chat.message("calf")["message"], "edit_date": 1}})
    channel = {"id": -100777, "type": "channel", "title": "News"}
    post = {"message_id": 1, "date": 1, "chat": channel, "text": "/start"}
    await chat.send({"channel_post": post})
    from_bot = chat.message("/start")
    from_bot["message"]["from"] = {"id": 555, "is_bot": True, "first_name": "Other"}
    await chat.send(from_bot)
    sent = telegram.fake.sent("sendMessage")
    # The welcome, the first question, and the short reply to the sticker only.
    assert len(sent) == 3 and sent[-1].params["text"] == content.texts("en").messages["not_text"]
    assert len(telegram.fake.live_keyboards(chat.id)) == 1
    assert len(telegram.answers()) == len(garbage) + 1
    await chat.say("/help")
    assert content.texts("en").messages["help"] in chat.texts()
