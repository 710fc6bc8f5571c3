"""Store faults under ``crampbot run telegram``: keep serving when transient, exit 2 when not."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
import redis

from tests.fakes.telegram_api import FakeBotApi
from tests.faults.chat import NOT_SAVED, no_traceback
from tests.faults.conftest import RedisServer
from tests.test_run import HANG_GUARD, say, serving

_ids = itertools.count(9000)
NOT_SAVED_END = NOT_SAVED.split(", ")[-1]  # the part no HTML escaping changes


@pytest.fixture
def store(redis_server: RedisServer) -> str:
    return redis_server.url


async def type_text(fake: FakeBotApi, user_id: int, text: str) -> None:
    """A person types ``text``; wait for the bot's "not saved" answer."""
    mark = len(fake.calls)
    await fake.enqueue(
        {
            "update_id": fake.next_update_id(),
            "message": {
                "message_id": next(_ids),
                "date": 1_700_000_000,
                "chat": {"id": user_id, "type": "private", "first_name": "Pat"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Pat"},
                "text": text,
            },
        }
    )
    await fake.wait_for(
        lambda c: (
            fake.calls.index(c) >= mark
            and c.method == "sendMessage"
            and NOT_SAVED_END in str(c.params.get("text"))
        ),
        HANG_GUARD,
    )


async def test_bot_keeps_serving_and_asks_again_when_redis_is_killed_and_restarted(
    telegram_api: FakeBotApi, run: Any, redis_server: RedisServer, content: Any
) -> None:
    bot = await run("telegram")
    await serving(telegram_api)
    await say(telegram_api, 1001, "/start")
    await say(telegram_api, 1001, "none")
    redis_server.kill()
    await type_text(telegram_api, 1001, "calf")
    redis_server.start()
    when = content.texts("en").question_text["when"]
    assert when in (await say(telegram_api, 1001, "calf"))[-1]  # nothing lost, nothing doubled
    assert await bot.stop() == 0
    log = bot.text()
    no_traceback(log)
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "cannot be reached" in errors[0] and "fix:" in errors[0], log


async def test_bot_exits_2_with_one_error_line_when_redis_refuses_writes(
    telegram_api: FakeBotApi, run: Any, redis_server: RedisServer
) -> None:
    bot = await run("telegram")
    await serving(telegram_api)
    await say(telegram_api, 1001, "/start")
    redis.Redis(port=redis_server.port).replicaof("127.0.0.1", "1")
    await telegram_api.enqueue(
        {
            "update_id": telegram_api.next_update_id(),
            "message": {
                "message_id": next(_ids),
                "date": 1_700_000_000,
                "chat": {"id": 1001, "type": "private", "first_name": "Pat"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Pat"},
                "text": "none",
            },
        }
    )
    async with asyncio.timeout(HANG_GUARD):
        assert await bot.process.wait() == 2
    log = bot.text()
    no_traceback(log)
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "refuses" in errors[0] and "fix:" in errors[0], log
