"""``crampbot run`` as a real process: SIGHUP reloads, SIGTERM stops, both platforms on one store.

The fake Bot API and fake Discord run in the test's event loop on 127.0.0.1; the
bot is ``python -m bot.cli run ...`` in a subprocess pointed at them. Waiting is
polling the fakes' recorded calls and the process log, with timeouts as hang
guards only. Also home of the content-editing helpers the ``/op reload`` tests share.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.content_edits import (
    BROKEN_PROBLEM,
    NEW_RED_FLAGS,
    NEW_VERSION,
    break_content,
    copy_content,
    publish_new_content,
)
from tests.fakes import discord_api
from tests.fakes.discord_api import FakeDiscord, Person
from tests.fakes.telegram_api import TOKEN, Call, FakeBotApi

HANG_GUARD = 30


class Bot:
    """One ``crampbot`` process; its log goes to a file the test reads."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def logged(self, line: str) -> None:
        """Wait until the log holds ``line`` (the timeout is a hang guard)."""
        async with asyncio.timeout(HANG_GUARD):
            while line not in self.text():
                assert self.process.returncode is None, f"the bot exited:\n{self.text()}"
                await asyncio.sleep(0.02)

    async def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    async def stop(self) -> int:
        """SIGTERM, then the exit status."""
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(HANG_GUARD):
            return await self.process.wait()


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def env(store: str, content_dir: Path) -> dict[str, str]:
    """The process environment: only our settings, and no proxy for 127.0.0.1."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRAMPBOT_")}
    return clean | {
        "CRAMPBOT_STORE": store,
        "CRAMPBOT_CONTENT_DIR": str(content_dir),
        "CRAMPBOT_LOG_LEVEL": "INFO",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PTB_TIMEDELTA": "true",
    }


@pytest.fixture
async def telegram_api(env: dict[str, str]) -> AsyncIterator[FakeBotApi]:
    """The fake Bot API, named in ``env``."""
    server = FakeBotApi()
    await server.start()
    env |= {"CRAMPBOT_TELEGRAM_TOKEN": TOKEN, "CRAMPBOT_TELEGRAM_BASE_URL": server.base_url}
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def discord_fake(env: dict[str, str]) -> AsyncIterator[FakeDiscord]:
    """The fake Discord, named in ``env``."""
    async with FakeDiscord() as server:
        env |= {
            "CRAMPBOT_DISCORD_TOKEN": discord_api.TOKEN,
            "CRAMPBOT_DISCORD_API_URL": server.api_url,
            "CRAMPBOT_DISCORD_GATEWAY_URL": server.gateway_url,
        }
        yield server


@pytest.fixture
async def run(env: dict[str, str], tmp_path: Path) -> AsyncIterator[Any]:
    """Start ``crampbot run PLATFORM [OPTION...]``; any process still running after the test is killed."""
    started: list[Bot] = []
    logs = (tmp_path / f"run-{n}.log" for n in itertools.count())

    async def start(platform: str, *options: str) -> Bot:
        log = next(logs)
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", platform, *options,
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink,
            )  # fmt: skip
        started.append(Bot(process, log))
        return started[-1]

    yield start
    for bot in started:
        if bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()


async def admin(env: dict[str, str], *args: str) -> tuple[int, str]:
    """``crampbot admin ...`` on the same store, without blocking the fakes' event loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "admin", *args, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(HANG_GUARD):
        out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


_message_ids = itertools.count(5000)


async def say(fake: FakeBotApi, user_id: int, text: str) -> list[str]:
    """A person types ``text`` in their private chat; the texts the bot sent up to its question."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": 1_700_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": "Pat"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Pat", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    mark = len(fake.calls)
    await fake.enqueue({"update_id": fake.next_update_id(), "message": message})

    def sent() -> Iterator[Call]:
        return (
            c
            for c in fake.calls[mark:]
            if c.method == "sendMessage" and c.params.get("chat_id") == user_id
        )

    await fake.wait_for(lambda _: any("reply_markup" in c.params for c in sent()), HANG_GUARD)
    texts = [c.params["text"] for c in sent()]
    return texts[: next(i for i, c in enumerate(sent()) if "reply_markup" in c.params) + 1]


async def serving(fake: FakeBotApi) -> None:
    """Wait until the bot polls for updates."""
    await fake.wait_for(lambda c: c.method == "getUpdates", HANG_GUARD)


async def test_sighup_reloads_valid_content_and_keeps_old_when_broken_then_sigterm_stops(
    telegram_api: FakeBotApi, run: Any, content_dir: Path, content: Any
) -> None:
    old_text = content.texts("en").question_text["red_flags"]
    bot = await run("telegram")
    await serving(telegram_api)
    assert old_text in (await say(telegram_api, 1001, "/start"))[-1]
    await say(telegram_api, 1001, "none")

    publish_new_content(content_dir)
    await bot.signal(signal.SIGHUP)
    await bot.logged(f"content reloaded: version {NEW_VERSION}")
    assert NEW_RED_FLAGS in (await say(telegram_api, 1002, "/start"))[-1]
    when = content.texts("en").question_text["when"]
    assert when in (await say(telegram_api, 1001, "calf"))[-1], "its state still exists"

    break_content(content_dir)
    await bot.signal(signal.SIGHUP)
    await bot.logged(BROKEN_PROBLEM)
    assert f"content reload failed; keeping version {NEW_VERSION}" in bot.text()
    assert NEW_RED_FLAGS in (await say(telegram_api, 1003, "/start"))[-1]

    assert await bot.stop() == 0
    assert "crampbot stopped" in bot.text()
    assert "calf" not in bot.text(), "no message text in the log"
    assert TOKEN not in bot.text(), "no bot token in the log (httpx logs request URLs)"


async def test_one_process_serves_telegram_and_discord_on_one_store_when_running_all(
    telegram_api: FakeBotApi, discord_fake: FakeDiscord, run: Any, env: dict[str, str]
) -> None:
    bot = await run("all")
    await serving(telegram_api)
    async with asyncio.timeout(HANG_GUARD):
        await discord_fake.wait_connected(1)
    await say(telegram_api, 1001, "/start")
    dana = Person(discord_fake, 600000000000000001, "dana")
    await discord_fake.dispatch("MESSAGE_CREATE", dana.dm_payload("/start"))
    async with asyncio.timeout(HANG_GUARD):
        while not any(m.question == "red_flags" for m in discord_fake.sent_to(dana.id)):
            await asyncio.sleep(0.02)
    status, out = await admin(env, "list", "--json")
    assert status == 0, out
    keys = sorted(json.loads(line)["key"] for line in out.splitlines())
    assert keys == [f"discord:{dana.id}", "telegram:1001"]
    assert await bot.stop() == 0
    assert "crampbot stopped" in bot.text()
    assert TOKEN not in bot.text() and discord_api.TOKEN not in bot.text()


async def test_admin_restart_takes_effect_on_next_message_when_telegram_bot_is_running(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str], content: Any
) -> None:
    bot = await run("telegram")
    await serving(telegram_api)
    for text in ("/start", "none", "calf"):
        await say(telegram_api, 1001, text)
    status, out = await admin(env, "restart", "telegram:1001")
    assert status == 0, out
    told = await say(telegram_api, 1001, "night")
    assert content.texts("en").messages["operator_restart"] in told
    assert content.texts("en").question_text["red_flags"] in told[-1]
    status, out = await admin(env, "show", "telegram:1001", "--json")
    assert json.loads(out)["state"] == "red_flags" and json.loads(out)["answers"] == {}
    assert await bot.stop() == 0


async def test_process_exits_1_naming_the_error_when_the_platform_is_unreachable(
    run: Any, env: dict[str, str]
) -> None:
    env |= {
        "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
        "CRAMPBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:1/bot",
    }
    bot = await run("telegram")
    async with asyncio.timeout(HANG_GUARD):
        assert await bot.process.wait() == 1
    # The host and the reason, not a bare NetworkError (issue 13).
    assert "telegram stopped serving (cannot reach 127.0.0.1:1: NetworkError" in bot.text()
    assert "Connection refused" in bot.text() or "Connect call failed" in bot.text()
    assert "crampbot stopped" in bot.text() and "Traceback" not in bot.text()
