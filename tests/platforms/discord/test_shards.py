"""Sharding: one bot over two processes, and one process running every shard.

The fake Discord routes a guild's events only to its shard and DMs to shard 0,
as Discord does. The two-process test runs ``crampbot run discord`` as shard 0
and as shard 1 on one Redis; without the adapter's ``cramp_done`` signal across
processes, it waits on what a person sees (the question changes, a tick
shows, the outcome arrives), with timeouts as hang guards only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.app import App
from bot.platforms.discord.messenger import ShardingRefused, serve
from dialogs.content import Content
from tests.conftest import personas
from tests.fakes import discord_api
from tests.fakes.discord_api import GUILD_ID, OTHER_GUILD_ID, FakeDiscord, Person, Sent
from tests.platforms.discord.conftest import Chat
from tests.test_run import HANG_GUARD, Bot, content_dir, env, run, store

__all__ = ["content_dir", "env", "run", "store"]  # the process fixtures of tests.test_run

TWO_SHARDS = {"shards": 2, "guilds": (GUILD_ID, OTHER_GUILD_ID)}
PERSONAS = {p["name"]: p for p in personas()}
ON_SHARD_0 = PERSONAS["office worker, calf cramps at rest after sitting long"]
ON_SHARD_1 = PERSONAS["statin, calf ache on walking"]
IN_DMS = PERSONAS["chest pain with the cramps"]


@pytest.fixture
async def sharded(env: dict[str, str], redis_url: str) -> AsyncIterator[FakeDiscord]:
    """A fake Discord that requires two shards, in two servers (one per shard), named in ``env``."""
    async with FakeDiscord(**TWO_SHARDS) as server:
        env |= {
            "CRAMPBOT_STORE": redis_url,
            "CRAMPBOT_DISCORD_TOKEN": discord_api.TOKEN,
            "CRAMPBOT_DISCORD_API_URL": server.api_url,
            "CRAMPBOT_DISCORD_GATEWAY_URL": server.gateway_url,
            "CRAMPBOT_DISCORD_SHARDS": "2",
        }
        yield server
        assert not server.unacknowledged(), f"never acknowledged: {server.unacknowledged()}"
        assert not server.refused and not server.closed


async def start_shard(run: Any, env: dict[str, str], shard: str) -> Bot:
    env["CRAMPBOT_DISCORD_SHARD_IDS"] = shard
    bot: Bot = await run("discord")
    await bot.logged(f"; shard {shard} of 2")
    return bot


async def shows(fake: FakeDiscord, who: Person, answered: str | None) -> Sent | None:
    """Until ``who`` sees a question other than ``answered`` (returned) or an outcome (``None``)."""
    found: list[Sent | None] = []

    def moved_on() -> bool:
        current = fake.asked.get(who.id)
        if current is not None and current.question not in (None, answered):
            found.append(current)
        elif any(m.embeds for m in fake.sent_to(who.id)):
            found.append(None)
        return bool(found)

    async with asyncio.timeout(HANG_GUARD):
        await fake.wait_until(moved_on)
    return found[0]


async def click(fake: FakeDiscord, payload: dict[str, Any], sent: list[str]) -> None:
    sent.append(str(payload["id"]))
    await fake.dispatch("INTERACTION_CREATE", payload)


async def interview(
    fake: FakeDiscord, who: Person, persona: dict[str, Any], guild: int | None, sent: list[str]
) -> Sent:
    """/cramps in ``guild`` (``None``: in DMs), then click the persona's answers; the outcome."""
    await click(fake, who.slash_payload("cramps", dm=guild is None, guild=guild or GUILD_ID), sent)
    question = await shows(fake, who, None)
    while question is not None:
        answer = persona["answers"][question.question]
        if who.ticks(question):
            for option in [answer] if isinstance(answer, str) else answer:
                edits = len(question.history)
                await click(
                    fake, who.click_payload(question, who.component(question, f":{option}")), sent
                )
                async with asyncio.timeout(HANG_GUARD):
                    await fake.wait_until(lambda q=question, n=edits: len(q.history) > n)
            await click(fake, who.click_payload(question, who.done_id(question)), sent)
        else:
            await click(fake, who.answer_payload(question, answer), sent)
        question = await shows(fake, who, question.question)
    return next(m for m in fake.sent_to(who.id) if m.embeds)


async def test_interviews_finish_on_each_shard_and_commands_sync_once_when_two_processes_share_redis(
    sharded: FakeDiscord, run: Any, env: dict[str, str], content: Content
) -> None:
    def syncs() -> int:
        return sum(c.method == "PUT" and c.path.endswith("/commands") for c in sharded.calls)

    one = await start_shard(run, env, "1")
    assert syncs() == 0 and "synced by the process running shard 0; not synced here" in one.text()
    zero = await start_shard(run, env, "0")
    assert syncs() == 1 and "synced 10 slash commands globally" in zero.text()
    async with asyncio.timeout(HANG_GUARD):
        await sharded.wait_connected(2)
    assert sorted((s.shard, s.count) for s in sharded.sessions.values()) == [(0, 2), (1, 2)]

    cases = [
        (Person(sharded, 600000000000000001, "ann"), ON_SHARD_0, GUILD_ID, [0]),
        (Person(sharded, 600000000000000002, "bob"), ON_SHARD_1, OTHER_GUILD_ID, [1]),
        (Person(sharded, 600000000000000003, "cy"), IN_DMS, None, [0]),
    ]
    for who, persona, guild, shard in cases:
        sent: list[str] = []
        outcome = await interview(sharded, who, persona, guild, sent)
        expect = persona["expect"]
        assert (
            content.texts("en").instruction(expect["category"], expect["urgency"]) in outcome.text()
        )
        assert outcome.ephemeral == (guild is not None)
        assert {tuple(sharded.routed[i]) for i in sent} == {tuple(shard)}, "each event to one shard"

    for bot in (zero, one):
        assert await bot.stop() == 0
        assert "Traceback" not in bot.text() and discord_api.TOKEN not in bot.text()


@pytest.mark.parametrize("fake", [TWO_SHARDS], indirect=True)
async def test_one_process_runs_every_recommended_shard_when_the_count_is_unset(
    fake: FakeDiscord, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    chat = Chat(fake, app)
    client = await chat.start()
    try:
        assert client.shard_count == 2 and set(client.shards) == {0, 1}
        assert "; shards 0-1 of 2" in caplog.text and fake.commands["global"]
        assert app.connected["discord"]()
        for guild in (GUILD_ID, OTHER_GUILD_ID):
            who = chat.person(f"in {guild}")
            shown = await chat.deliver(
                ("INTERACTION_CREATE", who.slash_payload("cramps", guild=guild))
            )
            assert shown.question is not None and shown.question.question == "red_flags"
    finally:
        await chat.stop()
    assert not app.connected["discord"]()


@pytest.mark.parametrize("fake", [TWO_SHARDS], indirect=True)
async def test_serve_stops_naming_the_setting_when_discord_requires_more_shards(
    fake: FakeDiscord, app: App
) -> None:
    app.settings = replace(
        app.settings,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        discord_shards=1,
    )
    with pytest.raises(
        ShardingRefused, match="shard 0 with 4011: sharding required; set CRAMPBOT_DISCORD_SHARDS"
    ):
        async with asyncio.timeout(HANG_GUARD):
            await serve(app, asyncio.Event())
    assert fake.closed == [([0, 1], 4011)]


async def test_run_exits_2_naming_the_setting_when_discord_refuses_the_shards(
    run: Any, env: dict[str, str]
) -> None:
    """A shard count Discord refuses is bad configuration: one line, status 2, no traceback."""
    async with FakeDiscord(**TWO_SHARDS) as server:
        env |= {
            "CRAMPBOT_DISCORD_TOKEN": discord_api.TOKEN,
            "CRAMPBOT_DISCORD_API_URL": server.api_url,
            "CRAMPBOT_DISCORD_GATEWAY_URL": server.gateway_url,
            "CRAMPBOT_DISCORD_SHARDS": "1",
        }
        bot: Bot = await run("discord")
        async with asyncio.timeout(HANG_GUARD):
            status = await bot.process.wait()
    assert status == 2, bot.text()
    assert "CRAMPBOT_DISCORD_SHARDS: Discord closed shard 0 with 4011" in bot.text()
    assert "Traceback" not in bot.text()
