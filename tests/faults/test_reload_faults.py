"""The reload channel across a Redis restart: the subscriber comes back by itself, quietly."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import build_app
from bot.ops.reload import request_reload
from bot.settings import Settings
from bot.stores import open_store
from tests.content_edits import NEW_VERSION, copy_content, publish_new_content
from tests.faults.conftest import RedisServer
from tests.ops.test_reload import Process, until


async def test_subscriber_follows_requests_again_when_redis_is_killed_and_restarted(
    redis_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content_dir = copy_content(tmp_path)
    settings = Settings(store=redis_server.url, content_dir=str(content_dir))
    with caplog.at_level(logging.INFO):
        bot = Process(await build_app(settings), poll_seconds=3600)  # only the channel counts
        try:
            await bot.ready()
            redis_server.kill()
            await until(lambda: not bot.reloads.listening)
            redis_server.start()
            await until(lambda: bot.reloads.listening)
            publish_new_content(content_dir)
            admin = await open_store(redis_server.url)
            try:
                assert await request_reload(admin, NEW_VERSION, "cli:ops") == 1
            finally:
                await admin.close()
            await until(lambda: bot.version == NEW_VERSION)
        finally:
            await bot.end()
    reload_lines = [r for r in caplog.records if r.name == "bot.ops.reload"]
    assert [r.levelname for r in reload_lines if "reload channel" in r.message] == ["WARNING"]
    assert any("listening for reload requests again" in r.message for r in reload_lines)
    assert not any(r.exc_info for r in caplog.records), "no traceback"
    assert all(r.levelno < logging.ERROR for r in caplog.records), caplog.text
