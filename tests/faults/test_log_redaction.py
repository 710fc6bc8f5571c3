"""Logs cannot leak: secrets redacted on every handler at DEBUG, library loggers held back."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken
from telegram.request import HTTPXRequest

from bot.logs import LIBRARIES, REDACTED, configure

TOKEN = "7034491582:AAGfq3-Hx1RkP0wZtF8yVdJc2sLmN4bQe_s"
DISCORD = "MTE4NDk2NzM1MjU0NjM1NzI0OQ.GbX7cK.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8"
SECRET = "webhook-secret-0123456789abcdefghij"
REDIS = "redis://crampbot:hunter2-password@127.0.0.1:6379/0"


Configure = Callable[..., io.StringIO]


@pytest.fixture
def logs() -> Iterator[Configure]:
    """Configure logging as ``crampbot`` does, into a buffer; everything restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in LIBRARIES})

    def configured(*args: object) -> io.StringIO:
        for handler in root.handlers[:]:  # pytest's own, added for the test
            root.removeHandler(handler)
        out = io.StringIO()
        configure(args[0], args[1], out, *args[2:])
        return out

    try:
        yield configured
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def rejecting_bot_api() -> web.AppRunner:
    """A Bot API that answers every call with 401, as Telegram does for a revoked token."""

    async def reject(_: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", reject)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def call_bot_api(runner: web.AppRunner) -> None:
    port = runner.addresses[0][1]
    request = HTTPXRequest()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        await bot.get_me()
    except InvalidToken:
        logging.getLogger("crampbot").exception("the token was refused")
    finally:
        await request.shutdown()


async def test_no_secret_is_written_when_every_logger_is_at_debug(logs: Configure) -> None:
    out = logs("DEBUG", "DEBUG", [SECRET, "hunter2-password"])
    runner = await rejecting_bot_api()
    try:
        await call_bot_api(runner)
    finally:
        await runner.cleanup()
    logging.getLogger("discord.http").debug("login with %s", DISCORD)
    logging.getLogger("aiohttp.access").debug("header X-Telegram-Bot-Api-Secret-Token: %s", SECRET)
    logging.getLogger("redis").debug("connecting to %s", REDIS)
    written = out.getvalue()
    assert f"bot{REDACTED}/getMe" in written  # httpx's own request line, so the check can fail
    assert "InvalidToken" in written and REDACTED in written
    for secret in (TOKEN, TOKEN.split(":")[1], DISCORD, SECRET, "hunter2-password"):
        assert secret not in written


async def test_library_loggers_stay_quiet_when_only_our_level_is_debug(logs: Configure) -> None:
    out = logs("DEBUG", "WARNING")
    runner = await rejecting_bot_api()
    try:
        await call_bot_api(runner)
    finally:
        await runner.cleanup()
    lines = out.getvalue().splitlines()
    assert any(" crampbot: the token was refused" in line for line in lines)
    assert not [line for line in lines if " httpx: " in line or " telegram." in line]


async def test_redaction_is_on_every_handler_when_one_is_added_before(logs: Configure) -> None:
    logs("DEBUG", "WARNING")
    other = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(other))
    configure("DEBUG", "WARNING", io.StringIO(), [SECRET])
    logging.getLogger("crampbot").info("secret is %s and token %s", SECRET, TOKEN)
    assert other.getvalue() == f"secret is {REDACTED} and token {REDACTED}\n"
