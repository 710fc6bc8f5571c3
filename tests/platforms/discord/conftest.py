"""Run the real discord.py client with our adapter against the fake Discord; chat-like helpers.

Every helper dispatches a gateway event and then waits for the adapter's
``cramp_done`` signal for that event id, so when it returns the bot has made
all its REST calls; it returns the messages the bot sent or edited meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yarl

with warnings.catch_warnings():
    # discord.py imports the stdlib audioop (voice support), deprecated since Python 3.11.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
from discord.gateway import DiscordWebSocket

from bot.app import App, build_app
from bot.platforms.discord.messenger import DONE_EVENT, CrampClient, build_client
from bot.settings import Settings
from dialogs.machine import Interview
from tests.fakes.discord_api import TOKEN, FakeDiscord, Person, Sent

HANG_GUARD = 30


class Shown(list[Sent]):
    """The messages the bot sent or edited in answer to one thing a person did."""

    @property
    def question(self) -> Sent | None:
        """The last message that asks a question with live components."""
        return next((m for m in reversed(self) if m.question), None)

    @property
    def outcome(self) -> Sent | None:
        return next((m for m in reversed(self) if m.embeds), None)

    def text(self) -> str:
        return "\n".join(m.text() for m in self)


class Chat:
    """A bot connected to the fake Discord, and people who talk to it."""

    def __init__(self, fake: FakeDiscord, app: App) -> None:
        self.fake = fake
        self.app = app
        self.client: CrampClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._people = itertools.count(500000000000000001)

    async def start(self, operators: Any = None) -> CrampClient:
        """Log in, connect to the gateway and wait until the client is ready."""
        seen = self.fake.identifies
        self.client = build_client(self.app, operators, guild_ready_timeout=0.01)
        self._task = asyncio.create_task(self.client.start(TOKEN))
        async with asyncio.timeout(HANG_GUARD):
            await self.fake.wait_connected(seen + 1)
            await self.client.wait_until_ready()
        return self.client

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            async with asyncio.timeout(HANG_GUARD):
                await self._task
        self.client, self._task = None, None

    def person(self, name: str, locale: str = "en-US") -> Person:
        return Person(self.fake, next(self._people), name, locale)

    async def deliver(self, *events: tuple[str, dict[str, Any]]) -> Shown:
        """Dispatch gateway events at once and wait until the bot has handled each of them."""
        assert self.client is not None
        mark = len(self.fake.touched)
        waiters = [
            self.client.wait_for(DONE_EVENT, check=lambda done, i=str(p["id"]): done == i)
            for _, p in events
        ]
        for event, payload in events:
            await self.fake.dispatch(event, payload)
        async with asyncio.timeout(HANG_GUARD):
            await asyncio.gather(*waiters)
        ids = dict.fromkeys(self.fake.touched[mark:])
        return Shown(self.fake.messages[i] for i in ids)

    async def slash(self, who: Person, name: str, *, dm: bool = False, **options: str) -> Shown:
        return await self.deliver(("INTERACTION_CREATE", who.slash_payload(name, dm=dm, **options)))

    async def answer(self, who: Person, message: Sent, answer: str | list[str]) -> Shown:
        """Click the button (or choose the select values) that gives ``answer``.

        On a multi question: tick each option of ``answer`` in turn, then Done.
        """
        if not who.ticks(message):
            return await self.deliver(("INTERACTION_CREATE", who.answer_payload(message, answer)))
        for option in [answer] if isinstance(answer, str) else answer:
            ticked = await self.click(who, message, who.component(message, f":{option}"))
            message = ticked.question or message
        return await self.done(who, message)

    async def done(self, who: Person, message: Sent) -> Shown:
        """Press Done on a multi question."""
        return await self.click(who, message, who.done_id(message))

    async def click(self, who: Person, message: Sent, custom_id: str) -> Shown:
        return await self.deliver(("INTERACTION_CREATE", who.click_payload(message, custom_id)))

    async def say(self, who: Person, text: str) -> Shown:
        """Type ``text`` in a DM with the bot."""
        return await self.deliver(("MESSAGE_CREATE", who.dm_payload(text)))


@pytest.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """The fake Discord, with discord.py pointed at it (and pointed back afterwards).

    Parametrised indirectly, the parameter holds :class:`FakeDiscord`'s keyword arguments.
    """
    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord(**getattr(request, "param", {})) as server:
        discord.http.Route.BASE = server.api_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
        try:
            yield server
        finally:
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
        # What Discord would show as "This interaction failed" or refuse as invalid.
        assert not server.unacknowledged(), f"never acknowledged: {server.unacknowledged()}"
        assert not server.refused, f"refused by Discord's limits: {server.refused}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'crampbot.db'}", discord_token=TOKEN)


@pytest.fixture
async def app(settings: Settings, interview: Interview) -> AsyncIterator[App]:
    built = await build_app(settings, interview)
    yield built
    await built.close()


@pytest.fixture
async def chat(fake: FakeDiscord, app: App) -> AsyncIterator[Chat]:
    """A started bot on the fake Discord; stopped and closed after the test."""
    running = Chat(fake, app)
    await running.start()
    yield running
    await running.stop()
