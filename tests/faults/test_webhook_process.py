"""``crampbot run telegram`` in webhook mode, as a process: oversized bodies cost it nothing.

Memory is read from the process's peak resident size (``VmHWM``), never a clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.platforms.telegram.webhook import SECRET_HEADER
from tests.fakes.telegram_api import FakeBotApi
from tests.faults.chat import no_traceback
from tests.faults.conftest import free_port
from tests.test_run import HANG_GUARD

SECRET = "webhook-secret-0123456789abcdefghij-process"
BIG = 50 * 1024 * 1024
GROWTH_ALLOWED_KB = 10 * 1024  # one 50 MiB body read would be 50 times this


@pytest.fixture
def store() -> str:
    return "memory://"


def by_webhook(env: dict[str, str]) -> str:
    """Settings for webhook mode on a free port; the webhook URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env |= {
        "CRAMPBOT_TELEGRAM_WEBHOOK_URL": url,
        "CRAMPBOT_TELEGRAM_WEBHOOK_PORT": str(port),
        "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    return url


def start(fake: FakeBotApi, user_id: int = 1001) -> dict[str, Any]:
    """A person's ``/start`` in their private chat, as Telegram posts it."""
    return {
        "update_id": fake.next_update_id(),
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Pat"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_process_memory_stays_flat_when_50_mib_bodies_are_posted_to_the_webhook(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str]
) -> None:
    url = by_webhook(env)
    bot = await run("telegram")
    await telegram_api.wait_for(lambda c: c.method == "setWebhook", HANG_GUARD)
    headers = {SECRET_HEADER: SECRET}
    update = start(telegram_api)
    async with httpx.AsyncClient(trust_env=False, timeout=HANG_GUARD) as client:
        assert (await client.post(url, json=update, headers=headers)).status_code == 200
        assert telegram_api.sent("sendMessage", chat_id=1001), "answered before the 200"
        before = peak_kb(bot.process.pid)
        for _ in range(3):
            try:
                response = await client.post(url, content=b" " * BIG, headers=headers)
                assert response.status_code == 413
            except httpx.HTTPError:
                pass  # the server may close before the client has sent it all
        grown = peak_kb(bot.process.pid) - before
    assert grown < GROWTH_ALLOWED_KB, f"peak memory grew by {grown} kB"
    assert await bot.stop() == 0
    no_traceback(bot.text())
    assert bot.text().count("webhook: refused a body") == 3


async def test_health_sees_the_webhook_and_metrics_count_a_429_when_serving_by_webhook(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str]
) -> None:
    from tests.ops.test_health import get, samples, until_health

    url, health = by_webhook(env), free_port()
    env["CRAMPBOT_HEALTH_PORT"] = str(health)
    bot = await run("telegram")
    await telegram_api.wait_for(lambda c: c.method == "setWebhook", HANG_GUARD)
    body = await until_health(health, 200)
    assert body["platforms"] == {"telegram": "connected"}
    telegram_api.fail_next("sendMessage", "429", chat_id=1001)
    update = start(telegram_api)
    async with httpx.AsyncClient(trust_env=False, timeout=HANG_GUARD) as client:
        response = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert telegram_api.sent("sendMessage", chat_id=1001), "sent after waiting out the 429"
    status, text = await get(health, "/metrics")
    assert status == 200
    assert samples(text)[("crampbot_rate_limit_waits_total", (("platform", "telegram"),))] == 1
    assert await bot.stop() == 0
    no_traceback(bot.text())
