"""Groups and forum topics: a deep link into the private chat and public fact sheets only."""

from __future__ import annotations

from dialogs.outcome import factsheet

BOT = "crampbot_test_bot"


def callback_buttons(calls) -> list[dict]:
    return [
        b
        for c in calls
        for row in c.params.get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
        if "callback_data" in b
    ]


async def test_group_gets_only_a_deep_link_when_cramps_is_addressed_to_the_bot(
    telegram, app_record
) -> None:
    group = telegram.group()
    await group.say(f"/cramps@{BOT}")
    calls = telegram.fake.sent("sendMessage", group.id)
    assert len(calls) == 1
    (button,) = [b for row in calls[0].params["reply_markup"]["inline_keyboard"] for b in row]
    assert button["url"] == f"https://t.me/{BOT}?start=cramps"
    assert not callback_buttons(telegram.fake.sent("sendMessage"))
    assert await app_record(telegram) is None


async def test_interview_starts_in_private_when_the_deep_link_is_followed(telegram) -> None:
    await telegram.group().say(f"/cramps@{BOT}")
    chat = telegram.private()
    await chat.say("/start cramps")
    assert chat.question_id() == "red_flags"
    assert not callback_buttons(telegram.fake.sent("sendMessage", telegram.group().id))


async def test_group_is_ignored_when_messages_are_not_addressed_to_the_bot(telegram) -> None:
    group = telegram.group()
    await group.say("my calf cramps at night, none of these")
    await group.say("/cramps@otherbot")
    await group.say("/back")
    await group.say("Calf")
    assert telegram.fake.sent("sendMessage") == []


async def test_fact_sheet_is_posted_when_crampinfo_names_a_topic(telegram, content) -> None:
    texts = content.texts("en")
    group = telegram.group()
    await group.say(f"/crampinfo@{BOT} night")
    (call,) = telegram.fake.sent("sendMessage", group.id)
    assert call.params["parse_mode"] == "HTML"
    sheet = factsheet(content, texts, "night")
    assert sheet is not None
    for line in sheet.lines:
        assert line in group.texts()[0]
    assert texts.outcome["sources"] in group.texts()[0]


async def test_topics_are_listed_when_crampinfo_has_no_known_topic(telegram, content) -> None:
    group = telegram.group()
    await group.say("/crampinfo")
    await group.say("/crampinfo nonsense")
    topics = [f"/crampinfo {t}" for t in content.factsheets]
    assert group.texts() == ["\n".join(topics)] * 2


async def test_replies_stay_in_the_topic_when_the_group_is_a_forum(telegram) -> None:
    topic = telegram.group(thread=77)
    await topic.say(f"/cramps@{BOT}")
    await topic.say("/crampinfo stretch")
    calls = telegram.fake.sent("sendMessage", topic.id)
    assert [c.params.get("message_thread_id") for c in calls] == [77, 77]


async def test_reply_reaches_the_supergroup_when_the_group_was_migrated(telegram) -> None:
    group = telegram.group(chat_id=-500)
    telegram.fake.fail_next("sendMessage", "migrate", to=-1009999)
    await group.say(f"/cramps@{BOT}")
    assert [c.failed for c in telegram.fake.calls if c.method == "sendMessage"] == ["migrate", None]
    assert len(telegram.fake.sent("sendMessage", -1009999)) == 1


async def test_service_message_is_ignored_when_a_group_migrates(telegram) -> None:
    group = telegram.group(chat_id=-500)
    update = group.message("", migrate_to_chat_id=-1009999)
    del update["message"]["text"]
    await group.send(update)
    await group.say(f"/cramps@{BOT}")
    assert len(telegram.fake.sent("sendMessage", -500)) == 1
