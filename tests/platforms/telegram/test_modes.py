"""Run modes: long polling and webhook (with its secret), and a restart mid-interview."""

from __future__ import annotations

from dataclasses import replace

from tests.platforms.telegram.conftest import SECRET


async def test_interview_runs_when_serving_in_either_mode(
    start_bot, mode_settings, content
) -> None:
    texts = content.texts("en")
    harness = await start_bot(mode_settings)
    chat = harness.private()
    await chat.say("/start")
    await chat.press(texts.labels["red_flags"]["none"])
    await chat.press_done()
    await chat.say("calf")
    assert chat.question_id() == "when"
    assert chat.texts()[-2].endswith(texts.labels["where"]["calf"])


async def test_webhook_refuses_updates_when_the_secret_is_missing_or_wrong(
    start_bot, mode_settings
) -> None:
    if not mode_settings.telegram_webhook_url:
        return  # polling has no webhook to refuse anything
    harness = await start_bot(mode_settings)
    (call,) = harness.fake.sent("setWebhook")
    assert call.params["secret_token"] == SECRET
    assert call.params["url"] == mode_settings.telegram_webhook_url
    chat = harness.private()
    await harness.sync()  # the webhook server is up
    for secret in (None, "wrong"):
        response = await harness.post_webhook(chat.message("/start"), secret=secret)
        assert response.status_code == 403
    await harness.sync()
    assert harness.fake.sent("sendMessage") == []


async def test_interview_continues_when_the_bot_restarts_on_the_same_store(
    start_bot, settings, content, tmp_path
) -> None:
    texts = content.texts("en")
    on_disk = replace(settings, store=f"sqlite:///{tmp_path / 'crampbot.db'}")
    first = await start_bot(on_disk)
    chat = first.private()
    await chat.say("/start")
    red_flags = chat.question()
    await chat.press(texts.labels["red_flags"]["none"])
    await chat.press_done()
    where = chat.question()
    await first.stop()

    second = await start_bot(on_disk)
    chat.harness = second
    await chat.press(texts.labels["where"]["foot"], message=where)
    assert chat.question_id() == "when"
    assert chat.texts()[2].endswith(texts.labels["where"]["foot"])
    stale = red_flags["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
    await chat.send(chat.press_update(stale, red_flags))
    assert second.answers()[-1]["text"] == texts.messages["closed"]
    await chat.press(texts.labels["when"]["night"])
    record = await second.app.store.load("telegram:1001")
    assert record.answers == {"red_flags": ("none",), "where": "foot", "when": "night"}
