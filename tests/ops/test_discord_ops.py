"""``crampbot run discord`` as an operator sees it: command sync, start-up line, quiet, JSON logs."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from tests.fakes import discord_api
from tests.fakes.discord_api import FakeDiscord
from tests.test_run import HANG_GUARD


def command_uploads(fake: FakeDiscord) -> int:
    return sum(1 for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands"))


async def start_discord(run: Any, fake: FakeDiscord, *options: str) -> Any:
    """Start the bot and wait until it logged its start-up line (after the sync decision)."""
    bot = await run("discord", *options)
    await bot.logged(" on discord as ")
    return bot


async def test_command_sync_is_skipped_when_unchanged_and_forced_with_sync(
    discord_fake: FakeDiscord, run: Any
) -> None:
    bot = await start_discord(run, discord_fake)
    assert command_uploads(discord_fake) == 1
    assert re.search(r"synced \d+ slash commands globally", bot.text())
    assert await bot.stop() == 0

    again = await start_discord(run, discord_fake)
    assert command_uploads(discord_fake) == 1, "the same commands are not uploaded again"
    assert "slash commands unchanged; not synced globally" in again.text()
    assert await again.stop() == 0

    forced = await start_discord(run, discord_fake, "--sync")
    assert command_uploads(discord_fake) == 2
    assert "not synced" not in forced.text()
    assert await forced.stop() == 0


async def test_command_sync_runs_again_when_the_target_guild_changes(
    discord_fake: FakeDiscord, run: Any, env: dict[str, str]
) -> None:
    bot = await start_discord(run, discord_fake)
    assert await bot.stop() == 0
    env["CRAMPBOT_DISCORD_GUILD"] = "900000000000000001"
    moved = await start_discord(run, discord_fake)
    assert command_uploads(discord_fake) == 2
    assert "to guild 900000000000000001" in moved.text()
    assert await moved.stop() == 0


async def test_startup_line_names_bot_store_operators_and_invite_when_discord_starts(
    discord_fake: FakeDiscord, run: Any, env: dict[str, str], store: str
) -> None:
    from bot.ops.startup import installed_version

    env["CRAMPBOT_DISCORD_OPERATORS"] = "600000000000000009"
    bot = await start_discord(run, discord_fake)
    user = discord_api.BOT_USER
    invite = (
        f"https://discord.com/oauth2/authorize?client_id={discord_api.APP_ID}"
        "&scope=bot+applications.commands&permissions=0"
    )
    line = (
        f"crampbot {installed_version()} on discord as {user['username']} (id {user['id']});"
        f" store {store}; 1 operator; invite {invite}"
    )
    assert line in bot.text()
    assert await bot.stop() == 0


async def test_voice_warnings_are_not_logged_when_discord_starts(
    discord_fake: FakeDiscord, run: Any
) -> None:
    bot = await start_discord(run, discord_fake)
    assert await bot.stop() == 0
    assert "voice will NOT be supported" not in bot.text()


async def test_every_log_line_is_redacted_json_when_log_format_is_json(
    discord_fake: FakeDiscord, run: Any, env: dict[str, str]
) -> None:
    env["CRAMPBOT_LOG_FORMAT"] = "json"
    bot = await run("discord")
    async with asyncio.timeout(HANG_GUARD):
        await discord_fake.wait_connected(1)
    await bot.logged("on discord as")
    assert await bot.stop() == 0
    lines = [json.loads(line) for line in bot.text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    messages = [line["message"] for line in lines]
    assert any(" on discord as " in m for m in messages)
    assert "crampbot stopped" in messages
    assert discord_api.TOKEN not in bot.text()


async def test_rate_limit_waits_are_counted_when_discord_answers_429(
    discord_fake: FakeDiscord, run: Any, env: dict[str, str]
) -> None:
    from tests.ops.conftest import free_port
    from tests.ops.test_health import get, samples

    port = free_port()
    env["CRAMPBOT_HEALTH_PORT"] = str(port)
    discord_fake.fail_next_429("PUT", r"/applications/\d+/commands", 0.05)
    bot = await start_discord(run, discord_fake)
    status, text = await get(port, "/metrics")
    assert status == 200
    assert samples(text)[("crampbot_rate_limit_waits_total", (("platform", "discord"),))] == 1
    assert command_uploads(discord_fake) == 2, "refused once, then accepted"
    assert await bot.stop() == 0


async def test_payload_hash_changes_only_when_the_commands_change() -> None:
    import discord
    from discord import app_commands

    from bot.platforms.discord.command_sync import payload_hash

    def tree(*names: str) -> app_commands.CommandTree[Any]:
        built: app_commands.CommandTree[Any] = app_commands.CommandTree(
            discord.Client(intents=discord.Intents.none())
        )
        for name in names:

            async def callback(interaction: discord.Interaction[Any]) -> None:
                return None

            built.add_command(app_commands.Command(name=name, description=name, callback=callback))
        return built

    same = await payload_hash(tree("cramps", "help"), None)
    assert await payload_hash(tree("cramps", "help"), None) == same
    assert await payload_hash(tree("cramps", "help", "about"), None) != same
    assert await payload_hash(tree("cramps"), None) != same
