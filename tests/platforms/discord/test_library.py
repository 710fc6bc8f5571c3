"""Guards on the discord.py behaviour the components rely on, so an upgrade that breaks it fails here.

The adapter registers no view or dynamic item: every click must reach
``on_interaction`` unanswered, and the views it sends (built once, stopped) must
be serialized as Discord expects without discord.py keeping or timing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord

from bot.platforms.discord.components import outcome_view, question_view
from dialogs.types import Option, Question
from tests.fakes.discord_api import BOT_USER, CHANNEL_ID, TOKEN, FakeDiscord, Person, Sent
from tests.platforms.discord.conftest import HANG_GUARD, Chat

CALF_OR_FOOT = Question(
    id="where",
    text="Where?",
    options=(Option(id="calf", label="Calf"), Option(id="foot", label="Foot")),
    multi=False,
    step=7,
    number=1,
)
ROWS = [
    {
        "type": 1,
        "components": [
            {
                "type": 2,
                "style": 2,
                "disabled": False,
                "label": "1. Calf",
                "custom_id": "cb:pick:7:where:calf",
            },
            {
                "type": 2,
                "style": 2,
                "disabled": False,
                "label": "2. Foot",
                "custom_id": "cb:pick:7:where:foot",
            },
        ],
    },
    {
        "type": 1,
        "components": [
            {"type": 2, "style": 2, "disabled": False, "label": "DMs", "custom_id": "cbdm"}
        ],
    },
]


class Bare(discord.Client):
    """A client with no views and no dynamic items; it only collects interactions."""

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.none(), guild_ready_timeout=0.01, chunk_guilds_at_startup=False
        )
        self.seen: asyncio.Queue[discord.Interaction[Any]] = asyncio.Queue()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self.seen.put(interaction)

    async def next(self, fake: FakeDiscord, payload: dict[str, Any]) -> discord.Interaction[Any]:
        await fake.dispatch("INTERACTION_CREATE", payload)
        async with asyncio.timeout(HANG_GUARD):
            return await self.seen.get()


@asynccontextmanager
async def connected(fake: FakeDiscord) -> AsyncIterator[Bare]:
    client = Bare()
    seen = fake.identifies
    task = asyncio.create_task(client.start(TOKEN))
    try:
        async with asyncio.timeout(HANG_GUARD):
            await fake.wait_connected(seen + 1)
            await client.wait_until_ready()
        yield client
    finally:
        await client.close()
        async with asyncio.timeout(HANG_GUARD):
            await task


def view_timers() -> list[asyncio.Task[Any]]:
    """discord.py's pending view timeout tasks."""
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and "timeout_task" in getattr(t.get_coro(), "__qualname__", "")
    ]


async def test_click_reaches_on_interaction_unanswered_when_no_view_is_registered(
    fake: FakeDiscord,
) -> None:
    async with connected(fake) as client:
        ann = Person(fake, 600000000000000001, "ann")
        message = Sent(fake.message(CHANNEL_ID, BOT_USER, "Where?", components=ROWS))
        payload = ann.click_payload(message, "cb:pick:7:where:calf")
        interaction = await client.next(fake, payload)
        assert interaction.type is discord.InteractionType.component
        assert interaction.data == {"custom_id": "cb:pick:7:where:calf", "component_type": 2}
        for _ in range(10):  # let any task the library may have started run
            await asyncio.sleep(0)
        assert not interaction.response.is_done()
        assert fake.unacknowledged() == [payload["id"]], "discord.py answered it by itself"
        await interaction.response.defer()  # the adapter's own acknowledgement still works
        assert fake.unacknowledged() == []
        assert client.persistent_views == []


async def test_built_views_are_sent_as_discord_expects_and_never_kept_when_sent_every_way(
    fake: FakeDiscord,
) -> None:
    view = question_view(CALF_OR_FOOT, numbered=True, done="Done", dm="DMs")
    assert question_view(CALF_OR_FOOT, numbered=True, done="Done", dm="DMs") is view, "built once"
    async with connected(fake) as client:
        ann = Person(fake, 600000000000000002, "ann")
        in_dm = await client.get_partial_messageable(fake.dm_channel(ann.id)).send("q", view=view)
        interaction = await client.next(fake, ann.slash_payload("cramps"))
        await interaction.response.defer(ephemeral=True)
        edited = await interaction.edit_original_response(content="q", view=view)
        followup = await interaction.followup.send("q", view=view, ephemeral=True, wait=True)
        for sent in (in_dm, edited, followup):
            assert fake.messages[sent.id].payload["components"] == ROWS
        assert view.is_finished() and not view.is_dispatching()
        assert client.persistent_views == [] and view_timers() == []

        # The same rows in a live view are kept and timed: what the checks above would see.
        live = discord.ui.View(timeout=None)
        live.add_item(discord.ui.Button(label="Calf", custom_id="cb:pick:7:where:calf"))
        await interaction.followup.send("q", view=live, ephemeral=True)
        assert live.is_dispatching() and len(view_timers()) == 1
        live.stop()


async def test_outcome_and_select_rows_serialize_with_their_limits_when_built() -> None:
    [[more, sources]] = [
        row["components"] for row in outcome_view(9, "", "More", "Src").to_components()
    ]
    assert (more["custom_id"], more["label"]) == ("cbout:9:d", "More")
    assert (sources["custom_id"], sources["label"]) == ("cbout:9:s", "Src")
    assert outcome_view(9, "ds", "More", "Src") is None
    many = tuple(Option(id=f"o{i}", label=f"Option {i}") for i in range(30))
    question = Question(id="where", text="Where?", options=many, multi=True, step=3, number=1)
    [[select]] = [
        row["components"]
        for row in question_view(question, numbered=False, done="Done").to_components()
    ]
    assert select["type"] == 3 and select["custom_id"] == "cbsel:3:where"
    assert (select["min_values"], select["max_values"], select["placeholder"]) == (1, 25, "Where?")
    assert select["options"][:2] == [
        {"label": "Option 0", "value": "o0", "default": False},
        {"label": "Option 1", "value": "o1", "default": False},
    ]


async def test_interview_leaves_no_view_or_timer_behind_when_clicked_through(chat: Chat) -> None:
    """Was: every click rebuilt the message's view through a DynamicItem, and ephemeral
    followups with views left a 15-minute timeout task each."""
    alice = chat.person("alice")
    first = (await chat.slash(alice, "cramps")).question
    assert first is not None
    where = (await chat.answer(alice, first, ["none"])).question
    assert where is not None and where.question == "where"
    await chat.answer(alice, where, "calf")
    assert chat.client is not None and chat.client.persistent_views == []
    assert view_timers() == []
