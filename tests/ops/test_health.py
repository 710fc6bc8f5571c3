"""``/healthz`` and ``/metrics`` of a real ``crampbot run`` process (CRAMPBOT_HEALTH_PORT set)."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.telegram_api import BOT_USER, FakeBotApi
from tests.ops.conftest import RedisServer, free_port
from tests.test_run import HANG_GUARD, say, serving


async def get(port: int, path: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        if path == "/healthz":
            return response.status, await response.json()
        return response.status, await response.text()


async def until_health(port: int, status: int) -> dict[str, Any]:
    """Poll /healthz until it answers ``status``; its body (the timeout is a hang guard)."""
    async with asyncio.timeout(HANG_GUARD):
        while True:
            try:
                got, body = await get(port, "/healthz")
            except aiohttp.ClientConnectionError:
                got, body = 0, None
            if got == status:
                return body  # type: ignore[no-any-return]
            await asyncio.sleep(0.05)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_healthz_is_503_while_redis_is_down_and_200_when_it_is_back(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str], redis_server: RedisServer
) -> None:
    port = free_port()
    env |= {"CRAMPBOT_STORE": redis_server.url, "CRAMPBOT_HEALTH_PORT": str(port)}
    bot = await run("telegram")
    await serving(telegram_api)
    body = await until_health(port, 200)
    assert body == {"status": "ok", "store": "ok", "platforms": {"telegram": "connected"}}

    redis_server.kill()
    body = await until_health(port, 503)
    assert body == {
        "status": "unavailable",
        "store": "down",
        "platforms": {"telegram": "connected"},
    }

    redis_server.start()
    await redis_server.ready()
    assert (await until_health(port, 200))["store"] == "ok"
    await say(telegram_api, 1001, "/start")  # and the bot serves again on the same store
    assert await bot.stop() == 0


async def test_healthz_is_503_when_a_platform_has_not_connected(
    run: Any, env: dict[str, str]
) -> None:
    port, dead = free_port(), free_port()
    env |= {
        "CRAMPBOT_TELEGRAM_TOKEN": "123456789:AAHfakefakefakefakefakefakefakefake0",
        "CRAMPBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{dead}/bot",
        "CRAMPBOT_HEALTH_PORT": str(port),
    }
    bot = await run("telegram")
    # Either the endpoint says the platform is not connected, or the bot has already given up.
    async with asyncio.timeout(HANG_GUARD):
        while bot.process.returncode is None:
            try:
                status, body = await get(port, "/healthz")
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
                continue
            assert status == 503 and body["platforms"] == {"telegram": "disconnected"}
            break
    async with asyncio.timeout(HANG_GUARD):
        assert await bot.process.wait() == 1


async def test_metrics_count_the_telegram_events_of_a_process_when_scraped(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str]
) -> None:
    port = free_port()
    env |= {"CRAMPBOT_HEALTH_PORT": str(port)}
    bot = await run("telegram")
    await serving(telegram_api)
    await until_health(port, 200)
    for text in ("/start", "none", "calf"):
        await say(telegram_api, 1001, text)
    await say(telegram_api, 1002, "/start")
    status, text = await get(port, "/metrics")
    assert status == 200
    found = samples(text)
    events = "crampbot_events_total"
    assert found[(events, (("kind", "command"), ("platform", "telegram")))] == 2
    assert found[(events, (("kind", "text"), ("platform", "telegram")))] == 2
    assert found[("crampbot_step_seconds_count", ())] == 4
    assert found[("crampbot_conversations", ())] == 2
    assert "1001" not in text and "1002" not in text and "calf" not in text
    assert await bot.stop() == 0


async def test_startup_line_names_bot_version_store_operators_and_deep_link_when_telegram_starts(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str], store: str
) -> None:
    from bot.ops.startup import installed_version

    env |= {"CRAMPBOT_TELEGRAM_OPERATORS": "11,22"}
    bot = await run("telegram")
    await serving(telegram_api)
    name = BOT_USER["username"]
    line = (
        f"crampbot {installed_version()} on telegram as @{name} (id {BOT_USER['id']});"
        f" store {store}; 2 operators; deep link https://t.me/{name}?start=cramps"
    )
    await bot.logged(line)
    assert len(re.findall(r" on telegram as ", bot.text())) == 1, "one start-up line"
    assert await bot.stop() == 0


async def test_dockerfile_healthcheck_passes_while_the_bot_serves_and_fails_when_it_stopped(
    telegram_api: FakeBotApi, run: Any, env: dict[str, str]
) -> None:
    from tests.test_deploy import DEPLOY, DockerfileParser, healthcheck

    image_env = DockerfileParser(path=str(DEPLOY / "Dockerfile")).envs
    command = healthcheck()
    assert command[0] == "python" and "/healthz" in command[-1]
    port = free_port()
    env |= {"CRAMPBOT_HEALTH_PORT": str(port)}
    check_env = env | {"CRAMPBOT_HEALTH_PORT": str(port)}
    assert image_env["CRAMPBOT_HEALTH_PORT"], "the image turns the endpoint on"

    async def probe() -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command[1:], env=check_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        async with asyncio.timeout(HANG_GUARD):
            return await process.wait()

    bot = await run("telegram")
    await serving(telegram_api)
    await until_health(port, 200)
    assert await probe() == 0
    assert await bot.stop() == 0
    assert await probe() != 0


async def test_healthz_reports_both_platforms_connected_when_running_all(
    telegram_api: FakeBotApi, discord_fake: Any, run: Any, env: dict[str, str]
) -> None:
    port = free_port()
    env |= {"CRAMPBOT_HEALTH_PORT": str(port)}
    bot = await run("all")
    body = await until_health(port, 200)
    assert body["platforms"] == {"telegram": "connected", "discord": "connected"}
    assert await bot.stop() == 0


async def test_run_exits_2_naming_the_port_when_the_health_port_is_taken(
    run: Any, env: dict[str, str], telegram_api: FakeBotApi
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env |= {"CRAMPBOT_HEALTH_PORT": str(port)}
        bot = await run("telegram")
        async with asyncio.timeout(HANG_GUARD):
            assert await bot.process.wait() == 2
    assert f"cannot serve health and metrics on 127.0.0.1:{port}" in bot.text()
    assert "Traceback" not in bot.text()


def test_settings_refuse_a_bad_log_format_or_health_port_when_loaded() -> None:
    import pytest

    from bot.settings import SettingsError, load_settings

    assert load_settings({"CRAMPBOT_HEALTH_PORT": "9090"}).health_port == 9090
    assert load_settings({}).health_listen == "127.0.0.1"
    for env, named in (
        ({"CRAMPBOT_LOG_FORMAT": "xml"}, "CRAMPBOT_LOG_FORMAT"),
        ({"CRAMPBOT_HEALTH_PORT": "70000"}, "CRAMPBOT_HEALTH_PORT"),
        ({"CRAMPBOT_HEALTH_PORT": "http"}, "CRAMPBOT_HEALTH_PORT"),
        ({"CRAMPBOT_HEALTH_LISTEN": " "}, "CRAMPBOT_HEALTH_LISTEN"),
    ):
        with pytest.raises(SettingsError, match=named):
            load_settings(env)
