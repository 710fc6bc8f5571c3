"""Webhook and command menus registered once per deployment; ``crampbot telegram setup``;
polling refused beside webhook replicas on a shared store."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from telegram import Bot

from bot.app import build_app
from bot.platforms.telegram import registration
from bot.platforms.telegram.polling import POLLING_LEASE
from bot.settings import Settings
from bot.stores import open_store
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.fakes.webhook_balancer import SECRET, replica_env
from tests.faults.chat import no_traceback

HANG_GUARD = 30
URL = "https://bot.example.org/telegram"


def webhook_settings(fake: FakeBotApi, store: str = "memory://") -> Settings:
    return Settings(
        store=store,
        telegram_token=TOKEN,
        telegram_base_url=fake.base_url,
        telegram_webhook_url=URL,
        telegram_webhook_secret=SECRET,
    )


async def test_nothing_is_registered_again_when_nothing_changed(fake: FakeBotApi) -> None:
    app = await build_app(webhook_settings(fake))
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        assert await registration.register_once(bot, app) == ["command menus", "webhook"]
        calls = len(fake.calls)
        assert await registration.register_once(bot, app) == []
        assert [c.method for c in fake.calls[calls:]] == ["getWebhookInfo"]
        assert len(fake.sent("setWebhook")) == 1
    stored = await app.store.get_meta(registration.meta_name(app.settings, "webhook"))
    assert stored and SECRET not in stored, "the secret is kept hashed, never in clear"
    await app.close()


async def test_webhook_is_registered_again_when_its_secret_changed_or_it_was_deleted(
    fake: FakeBotApi,
) -> None:
    app = await build_app(webhook_settings(fake))
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        await registration.register(bot, app)
        app.settings = replace(app.settings, telegram_webhook_secret=SECRET + "-new")
        assert await registration.register(bot, app) == ["webhook"]
        assert fake.webhook["secret_token"] == SECRET + "-new"
        fake.webhook = {}  # deleted by someone else (a polling start elsewhere)
        assert await registration.register(bot, app) == ["webhook"]
        assert fake.webhook["url"] == URL
    await app.close()


async def test_a_replica_waits_for_the_setup_lease_then_finds_it_done_when_replicas_start_together(
    fake: FakeBotApi,
) -> None:
    settings = webhook_settings(fake)
    first = await build_app(settings)
    second = replace(first, instance="another process")  # the same store, another holder
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        assert await first.store.lease(registration.SETUP_LEASE, first.instance, 60)
        waiting = asyncio.create_task(registration.register_once(bot, second))
        await asyncio.sleep(registration.WAIT_SECONDS)
        assert not waiting.done(), "it waits while another process registers"
        await registration.register(bot, first)
        await first.store.release(registration.SETUP_LEASE, first.instance)
        async with asyncio.timeout(HANG_GUARD):
            assert await waiting == []
    assert len(fake.sent("setWebhook")) == 1
    await first.close()


async def crampbot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run ``crampbot ARGS`` without blocking the fake's event loop; status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(HANG_GUARD):
        out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def shell_env(fake: FakeBotApi, tmp_path: Path) -> dict[str, str]:
    import os

    return replica_env(dict(os.environ), fake, f"sqlite:///{tmp_path / 'bot.db'}", URL)


async def test_setup_changes_nothing_at_telegram_when_run_again_and_delete_removes_the_webhook(
    fake: FakeBotApi, shell_env: dict[str, str]
) -> None:
    status, out, err = await crampbot(shell_env, "telegram", "setup")
    assert (status, err) == (0, "")
    assert out == f"telegram: registered the command menus and the webhook ({URL})\n"
    status, out, _ = await crampbot(shell_env, "telegram", "setup")
    assert status == 0 and "unchanged; not registered again" in out
    assert len(fake.sent("setWebhook")) == 1 and fake.webhook["url"] == URL
    status, out, _ = await crampbot(shell_env, "telegram", "setup", "--delete")
    assert status == 0 and "webhook deleted" in out
    assert fake.webhook == {}
    status, out, _ = await crampbot(shell_env, "telegram", "setup")
    assert status == 0 and "registered the webhook" in out


async def test_setup_names_the_setting_when_there_is_no_webhook_url(
    fake: FakeBotApi, shell_env: dict[str, str]
) -> None:
    del shell_env["CRAMPBOT_TELEGRAM_WEBHOOK_URL"]
    status, out, err = await crampbot(shell_env, "telegram", "setup")
    assert status == 2 and out == ""
    assert err.startswith("crampbot: error: CRAMPBOT_TELEGRAM_WEBHOOK_URL") and err.count("\n") == 1
    assert not fake.calls


async def test_setup_says_what_telegram_refused_in_one_line_when_the_token_is_wrong(
    fake: FakeBotApi, shell_env: dict[str, str]
) -> None:
    fake.fail_next("getMe", "403")
    status, _, err = await crampbot(shell_env, "telegram", "setup")
    assert status == 1 and err.startswith("crampbot: error: Telegram") and err.count("\n") == 1
    no_traceback(err)


async def polling_refused(env: dict[str, str], fake: FakeBotApi) -> str:
    """``crampbot run telegram`` by polling: refused with status 2 before it touches Telegram."""
    polling = {k: v for k, v in env.items() if k != "CRAMPBOT_TELEGRAM_WEBHOOK_URL"}
    calls = len(fake.calls)
    status, _, err = await crampbot(polling, "run", "telegram")
    assert status == 2, err
    no_traceback(err)
    lines = [line for line in err.splitlines() if "error" in line.lower()]
    assert len(lines) == 1 and lines[0].startswith("crampbot: error: CRAMPBOT_TELEGRAM_WEBHOOK_URL")
    assert "crampbot telegram setup --delete" in lines[0]
    assert not [c for c in fake.calls[calls:] if c.method in ("deleteWebhook", "getUpdates")]
    return lines[0]


async def test_polling_is_refused_when_webhook_replicas_share_the_redis_store(
    fake: FakeBotApi, shell_env: dict[str, str], redis_url: str
) -> None:
    shell_env["CRAMPBOT_STORE"] = redis_url
    assert (await crampbot(shell_env, "telegram", "setup"))[0] == 0
    assert "polling would delete their webhook" in await polling_refused(shell_env, fake)
    assert fake.webhook["url"] == URL, "the replicas' webhook is still there"


async def test_polling_is_refused_when_another_process_polls_on_the_redis_store(
    fake: FakeBotApi, shell_env: dict[str, str], redis_url: str
) -> None:
    shell_env["CRAMPBOT_STORE"] = redis_url
    store = await open_store(redis_url)
    assert await store.lease(POLLING_LEASE, "another:1:abcdef", 30)
    try:
        assert "another process already polls" in await polling_refused(shell_env, fake)
    finally:
        await store.close()


async def test_one_process_polls_on_redis_when_the_webhook_was_deleted_by_setup(
    fake: FakeBotApi, shell_env: dict[str, str], redis_url: str, tmp_path: Path
) -> None:
    shell_env["CRAMPBOT_STORE"] = redis_url
    assert (await crampbot(shell_env, "telegram", "setup"))[0] == 0
    assert (await crampbot(shell_env, "telegram", "setup", "--delete"))[0] == 0
    polling = {k: v for k, v in shell_env.items() if k != "CRAMPBOT_TELEGRAM_WEBHOOK_URL"}
    log = tmp_path / "poller.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "telegram", env=polling,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    try:
        await fake.wait_for(lambda c: c.method == "getUpdates" and c.failed is None, HANG_GUARD)
        store = await open_store(redis_url)
        try:
            assert not await store.lease(POLLING_LEASE, "another:1:abcdef", 30), "held"
        finally:
            await store.close()
    finally:
        process.terminate()
        async with asyncio.timeout(HANG_GUARD):
            status = await process.wait()
    assert status == 0, log.read_text()
