"""The webhook server against forged and oversized requests, and "200 only once saved".

Each test runs the real bot in webhook mode on 127.0.0.1 and posts to it as
Telegram (or an attacker) would.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bot.ops.commands import Operators
from bot.ops.reload import Reloads
from bot.platforms.telegram.webhook import MAX_BODY, SECRET_HEADER
from bot.settings import Settings
from tests.platforms.telegram.conftest import HANG_GUARD, SECRET, Harness, free_port

OPERATOR = 777
VICTIM = 1001


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    port = free_port()
    return replace(
        settings,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        telegram_webhook_port=port,
        telegram_webhook_secret=SECRET,
        telegram_operators=(str(OPERATOR),),
    )


@pytest.fixture
async def hook(start_bot: Any, hook_settings: Settings) -> Harness:
    harness: Harness = await start_bot(
        hook_settings, lambda app: Operators(app, reload=Reloads(app).everywhere)
    )
    await harness.sync()  # the webhook server is up
    return harness


async def test_webhook_listens_on_loopback_when_no_address_is_set(hook_settings: Settings) -> None:
    assert Settings().telegram_webhook_listen == "127.0.0.1"


async def test_webhook_refuses_a_secret_that_differs_in_one_character_or_is_a_prefix(
    hook: Harness,
) -> None:
    update = hook.private().message("/start")
    near = SECRET[:-1] + ("x" if SECRET[-1] != "x" else "y")
    for secret in (near, SECRET[:-1], SECRET + "x", SECRET.upper()):
        response = await hook.post_webhook(update, secret=secret)
        assert response.status_code == 403
    await hook.sync()
    assert hook.fake.sent("sendMessage") == []


async def test_webhook_answers_only_its_exact_path_when_posted_elsewhere(hook: Harness) -> None:
    update = hook.private().message("/start")
    base = hook.settings.telegram_webhook_url
    async with httpx.AsyncClient(trust_env=False) as client:
        for url in (base + "/", base + "x", base + "/../telegram2", base.rsplit("/", 1)[0] + "/"):
            response = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
            assert response.status_code in (404, 405), url
        assert (await client.get(base, headers={SECRET_HEADER: SECRET})).status_code == 405
    await hook.sync()
    assert hook.fake.sent("sendMessage") == []


async def test_forged_operator_command_gets_nothing_when_its_private_chat_is_another_persons(
    hook: Harness,
) -> None:
    victim = hook.private(VICTIM)
    await victim.say("/start")
    operator = hook.private(OPERATOR)
    forged = operator.message("/op show telegram:1001")
    forged["message"]["chat"] = victim.chat  # Telegram never sends this: the chat is the sender
    forged["update_id"] = hook.fake.next_update_id()
    before = len(hook.fake.sent("sendMessage"))
    response = await hook.post_webhook(forged, secret=SECRET)
    assert response.status_code == 200  # answered, so it is not sent again
    await hook.sync()
    assert len(hook.fake.sent("sendMessage")) == before, "nothing went to any chat"
    assert await hook.app.store.audit(10) == [], "the forged command never ran"


async def test_forged_button_press_changes_nothing_when_its_private_chat_is_another_persons(
    hook: Harness, content: Any
) -> None:
    victim, attacker = hook.private(VICTIM), hook.private(2002)
    await victim.say("/start")
    question = victim.question()
    assert question is not None
    press = attacker.press_update(
        question["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
    )
    press["callback_query"]["message"] = question  # in the victim's chat, from the attacker
    press["update_id"] = hook.fake.next_update_id()
    before = len(hook.fake.calls)
    response = await hook.post_webhook(press, secret=SECRET)
    assert response.status_code == 200
    await hook.sync()
    assert [c.method for c in hook.fake.calls[before:]] == ["answerCallbackQuery"]  # the sync
    assert await hook.app.store.load(f"telegram:{attacker.id}") is None


async def test_webhook_refuses_a_50_mib_body_without_reading_it(hook: Harness) -> None:
    """Only the headers and one chunk are sent: a server that read the body would wait forever."""
    port = hook.settings.telegram_webhook_port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{SECRET_HEADER}: {SECRET}\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n"
    )
    writer.write(head.encode() + b"{" + b" " * 65536)
    await writer.drain()
    async with asyncio.timeout(HANG_GUARD):
        status = await reader.readline()
    writer.close()
    assert status.startswith(b"HTTP/1.1 413"), status


async def test_webhook_refuses_a_body_over_the_cap_when_it_comes_without_a_length(
    hook: Harness,
) -> None:
    async def chunks() -> Any:
        for _ in range(4):
            yield b" " * MAX_BODY

    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            hook.settings.telegram_webhook_url, content=chunks(), headers={SECRET_HEADER: SECRET}
        )
    assert response.status_code == 413


async def test_webhook_refuses_a_body_that_is_not_an_update(hook: Harness) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for body in (b"not json", b"[1, 2]", b'{"message": {}}', b"\xff\xfe"):
            response = await client.post(
                hook.settings.telegram_webhook_url, content=body, headers={SECRET_HEADER: SECRET}
            )
            assert response.status_code == 400, body
    await hook.sync()
    assert hook.fake.sent("sendMessage") == []


async def test_update_is_answered_500_then_applied_once_when_its_replies_fail_and_telegram_resends(
    hook: Harness,
) -> None:
    chat = hook.private()
    await chat.say("/start")
    update = chat.message("none")
    update["update_id"] = hook.fake.next_update_id()
    for _ in range(3):  # every attempt of the reply fails: the update is not done
        hook.fake.fail_next("sendMessage", "500", chat_id=chat.id)
    response = await hook.post_webhook(update, secret=SECRET)
    assert response.status_code == 500

    response = await hook.post_webhook(update, secret=SECRET)  # Telegram sends it again
    assert response.status_code == 200
    assert chat.question_id() == "where"
    record = await hook.app.store.load(f"telegram:{chat.id}")
    assert record.answers == {"red_flags": ("none",)} and record.state == "where"
    assert str(update["update_id"]) in record.recent_events, "applied, and only once"
