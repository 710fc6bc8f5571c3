"""``serve()`` as ``crampbot run discord`` uses it, and the discord.py seams the fake relies on."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import App
from bot.platforms.discord.messenger import serve
from bot.settings import SettingsError
from tests.fakes.discord_api import GUILD_ID, FakeDiscord
from tests.platforms.discord.conftest import HANG_GUARD


def test_discord_py_still_has_the_redirect_attributes_when_upgraded() -> None:
    assert discord.__version__.startswith("2.7.")
    assert isinstance(discord.http.Route.BASE, str)
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)


async def test_serve_syncs_to_the_guild_and_stops_when_stop_is_set(
    fake: FakeDiscord, app: App
) -> None:
    discord.http.Route.BASE = "https://discord.invalid/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.invalid/")
    app.settings = replace(
        app.settings,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        discord_guild=str(GUILD_ID),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, stop))
    async with asyncio.timeout(HANG_GUARD):
        await fake.wait_connected(1)
        stop.set()
        await running
    assert fake.api_url == discord.http.Route.BASE
    assert {c["name"] for c in fake.commands[str(GUILD_ID)]} >= {"cramps", "crampinfo"}
    assert "global" not in fake.commands


async def test_serve_refuses_to_start_when_the_token_is_missing(app: App) -> None:
    app.settings = replace(app.settings, discord_token="")
    with pytest.raises(SettingsError, match="DISCORD_TOKEN"):
        await serve(app, asyncio.Event())


async def test_serve_stops_when_stop_is_set_while_a_shard_is_still_connecting(
    fake: FakeDiscord, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """Was: closing first made discord.py's launch_shard retry for ever, and the stop hung."""
    fake.greeting.clear()
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, stop))
    async with asyncio.timeout(HANG_GUARD):
        await fake.wait_opened(1)
        stop.set()
        await running
    assert fake.identifies == 0, "it stopped before the shard identified"
    assert "Failed to connect" not in caplog.text
