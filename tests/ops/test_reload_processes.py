"""``crampbot admin reload`` and SIGHUP reaching two real ``crampbot run`` processes on one Redis,
which also take turns at the retention sweep.

Real processes, not two Apps in one loop: this is the runner's own wiring (the
subscription, the SIGHUP handler, the admin verb's count) as deployed. They are
two Discord shards of one bot on the fake gateway; their logs say what they did.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.content_edits import BROKEN_PROBLEM, NEW_VERSION, break_content, publish_new_content
from tests.fakes.discord_api import FakeDiscord
from tests.test_run import HANG_GUARD, admin


@pytest.fixture
def store(redis_url: str) -> str:
    """The processes share the test Redis."""
    return redis_url


async def test_admin_reload_reaches_both_processes_and_broken_content_is_kept_out_of_both(
    discord_fake: FakeDiscord, run: Any, env: dict[str, str], content_dir: Path
) -> None:
    bots = []
    for shard in ("0", "1"):  # two Discord shards, one per process
        env |= {"CRAMPBOT_DISCORD_SHARDS": "2", "CRAMPBOT_DISCORD_SHARD_IDS": shard}
        bots.append(await run("discord"))
    async with asyncio.timeout(HANG_GUARD):
        await discord_fake.wait_connected(2)
    db = urlsplit(env["CRAMPBOT_STORE"]).path.strip("/") or "0"
    for bot in bots:
        await bot.logged(f"listening for reload requests on crampbot:reload:{db}")
    async with asyncio.timeout(HANG_GUARD):
        while not any("retention sweep removed" in bot.text() for bot in bots):
            await asyncio.sleep(0.02)

    publish_new_content(content_dir)
    status, out = await admin(env, "reload")
    assert (status, out) == (
        0,
        f"asked for content version {NEW_VERSION}: 2 running process(es) received it\n",
    )
    for bot in bots:
        await bot.logged(f"content reloaded: version {NEW_VERSION}")

    break_content(content_dir)
    status, out = await admin(env, "reload")
    assert status == 1 and BROKEN_PROBLEM in out and "no process was asked to reload" in out

    await bots[0].signal(signal.SIGHUP)
    for bot in bots:
        await bot.logged(f"content reload failed; keeping version {NEW_VERSION}")
    asked = [bot.text().count("reload asked by") for bot in bots]
    assert asked == [1, 2], "the admin asked both; the signalled process asked the other"

    for bot in bots:
        assert await bot.stop() == 0
        assert "Traceback" not in bot.text()
        assert bot.text().count("content reloaded") == 1, "one reload each, not one per request"
    swept = [bot.text().count("retention sweep removed") for bot in bots]
    assert sorted(swept) == [0, 1], "one process holds the retention lease; the other skips"
