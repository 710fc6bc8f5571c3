"""Interactions per second through discord.py: our adapter + engine + SQLite against a bare handler.

Both clients log in against the fake Discord REST on 127.0.0.1 and get
INTERACTION_CREATE payloads fed through ``client._connection.parsers`` (the
gateway socket is skipped). The baseline is a bare discord.py component
callback doing the same steps with state in a dict: defer, mark the answer,
send the next question (or the outcome), with the same REST calls.

Run: ``.venv/bin/python -m bench.bench_discord`` (or ``make bench``).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import yaml

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord

from bot import discord_render as render
from bot.app import App
from bot.discord_messenger import DONE_EVENT, DmButton, build_client
from bot.settings import Settings
from bot.stores import open_store
from bot.stores.memory_store import InMemoryStore
from dialogs.content import load_content
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.store import ConversationStore
from dialogs.types import Incoming, Outcome, Question, Reply
from tests.fakes.discord_api import TOKEN, FakeDiscord, Person, Sent

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = yaml.safe_load((ROOT / "tests" / "scenarios.yaml").read_text())
USERS = 64  # people interviewed at once (each persona 4 times)
ROUNDS = 9


class BarePick(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cb:pick:(?P<step>\d{1,12}):(?P<question>[a-z_]{1,24}):(?P<option>[a-z0-9_]{1,24})",
):
    """The baseline's button: same custom_id format, no engine behind it."""

    def __init__(self, question: str, step: int, option: str, label: str) -> None:
        custom_id = f"cb:pick:{step}:{question}:{option}"
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id))
        self.question, self.option = question, option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str], /
    ) -> BarePick:
        return cls(match["question"], int(match["step"]), match["option"], item.label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, BareClient)
        await client.pick(interaction, self.question, (self.option,))


class BareSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"cbsel:(?P<step>\d{1,12}):(?P<question>[a-z_]{1,24})",
):
    def __init__(self, question: str, step: int, options: list[discord.SelectOption]) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"cbsel:{step}:{question}", options=options, max_values=len(options)
        )
        super().__init__(select)
        self.question = question

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str], /
    ) -> BareSelect:
        return cls(match["question"], int(match["step"]), list(item.options))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, BareClient)
        await client.pick(interaction, self.question, tuple(self.item.values))


class BareClient(discord.Client):
    """A plain discord.py bot that walks a precomputed question path per person in a dict."""

    def __init__(self, paths: dict[int, list[Reply]], labels: dict[str, dict[str, str]]) -> None:
        super().__init__(intents=discord.Intents.none())
        self.tree = discord.app_commands.CommandTree(self)
        self.paths = paths
        self.labels = labels
        self.state: dict[int, int] = {}

        @self.tree.command(name="cramps", description="Start")
        async def cramps(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            self.state[interaction.user.id] = 0
            await self.show(interaction, self.paths[interaction.user.id][0])
            view = discord.ui.View(timeout=None)
            view.add_item(DmButton("Continue in DMs"))
            await interaction.followup.send("DMs?", view=view, ephemeral=True)
            self.dispatch(DONE_EVENT, str(interaction.id))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(BarePick, BareSelect)

    async def pick(
        self, interaction: discord.Interaction[Any], question: str, chosen: tuple[str, ...]
    ) -> None:
        await interaction.response.defer()
        index = self.state[interaction.user.id]
        path = self.paths[interaction.user.id]
        current = path[index]
        if isinstance(current, Question) and current.id == question:
            index = self.state[interaction.user.id] = index + 1
            answer = ", ".join(self.labels[question][c] for c in chosen)
            assert interaction.message is not None
            content = render.answered_text(interaction.message.content, answer)
            view = render.disabled(interaction.message)
            await interaction.edit_original_response(content=content, view=view)
        await self.show(interaction, path[index])
        self.dispatch(DONE_EVENT, str(interaction.id))

    async def show(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        if isinstance(reply, Question):
            view = discord.ui.View(timeout=None)
            if reply.multi:
                view.add_item(BareSelect(reply.id, reply.step, render.select_options(reply)))
            else:
                for o in reply.options:
                    view.add_item(BarePick(reply.id, reply.step, o.id, o.label))
            text = render.question_text(reply)
            await interaction.followup.send(text, view=view, ephemeral=True, wait=True)
        elif isinstance(reply, Outcome):
            for embeds in reply_embeds[reply.category]:
                await interaction.followup.send(embeds=embeds, ephemeral=True, wait=True)


reply_embeds: dict[str, list[list[discord.Embed]]] = {}


async def interview_paths(interview: Interview) -> list[list[Reply]]:
    """The questions and outcome each persona meets, from the engine (on a throwaway store)."""
    engine = Engine(interview, InMemoryStore())
    texts = interview.content.texts("en")
    paths = []
    for i, persona in enumerate(PERSONAS):
        replies = await engine.handle(f"x:{i}", Incoming(command="cramps"))
        path: list[Reply] = []
        while True:
            shown = next(r for r in reversed(replies) if isinstance(r, Question | Outcome))
            path.append(shown)
            if isinstance(shown, Outcome):
                reply_embeds[shown.category] = render.outcome_messages(
                    shown, texts, interview.content.sources
                )
                break
            answer = persona["answers"][shown.id]
            choice = tuple(answer) if isinstance(answer, list) else (answer,)
            replies = await engine.handle(
                f"x:{i}", Incoming(choice=choice, question=shown.id, step=shown.step)
            )
        paths.append(path)
    return paths


async def run_people(
    fake: FakeDiscord, client: discord.Client, people: list[tuple[Person, dict[str, Any]]]
) -> int:
    """Interview everyone at once; returns the number of interactions handled."""
    parse = client._connection.parsers["INTERACTION_CREATE"]

    async def send(payload: dict[str, Any]) -> None:
        done = client.wait_for(DONE_EVENT, check=lambda i: i == payload["id"], timeout=60)
        parse(payload)
        await done

    async def one(who: Person, persona: dict[str, Any]) -> int:
        count = 1
        await send(who.slash_payload("cramps"))
        while (message := latest_question(fake, who.id)) is not None:
            assert message.question is not None
            await send(who.answer_payload(message, persona["answers"][message.question]))
            count += 1
        return count

    counts = await asyncio.gather(*(one(who, persona) for who, persona in people))
    return sum(counts)


def latest_question(fake: FakeDiscord, user: int) -> Sent | None:
    """The person's newest question message, while it still has live components."""
    found = fake.asked.get(user)
    return found if found is not None and found.question else None


async def measure(
    fake: FakeDiscord, clients: dict[str, discord.Client], ids: dict[str, list[int]]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Alternate rounds between the clients (the machine is shared and noisy).

    Returns per round the wall-clock rate and the CPU microseconds per interaction
    (everything runs in this process, the fake server included, on one event loop).
    """
    rates: dict[str, list[float]] = {name: [] for name in clients}
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    for r in range(ROUNDS):
        for name, client in clients.items():
            people = [
                (Person(fake, ids[name][r * USERS + i], f"p{i}"), PERSONAS[i % len(PERSONAS)])
                for i in range(USERS)
            ]
            began, began_cpu = time.perf_counter(), time.process_time()
            count = await run_people(fake, client, people)
            rates[name].append(count / (time.perf_counter() - began))
            cpu[name].append((time.process_time() - began_cpu) / count * 1e6)
    return rates, cpu


async def open_bench_store(tmp: Path) -> tuple[ConversationStore, str]:
    try:
        return await open_store(f"sqlite:///{tmp / 'bench.db'}"), "SQLite"
    except ImportError:
        print("  note: bot/stores/sqlite_store.py is missing; using the in-memory store")
        return InMemoryStore(), "memory"


async def bench() -> None:
    content = load_content(ROOT / "content")
    interview = Interview(content)
    labels = {q: dict(content.texts("en").labels[q]) for q in content.questions}
    paths = await interview_paths(interview)
    with tempfile.TemporaryDirectory() as tmp:
        store, kind = await open_bench_store(Path(tmp))
        app = App(Settings(store="memory://", discord_token=TOKEN), store, Engine(interview, store))
        async with FakeDiscord() as fake:
            discord.http.Route.BASE = fake.api_url
            base = 800000000000000001
            ours_ids = [base + i for i in range(USERS * ROUNDS)]
            bare_ids = [base + 10**6 + i for i in range(USERS * ROUNDS)]
            bare_paths = {uid: paths[i % USERS % len(PERSONAS)] for i, uid in enumerate(bare_ids)}

            ours = build_client(app)
            bare = BareClient(bare_paths, labels)
            clients: dict[str, discord.Client] = {"bare": bare, "ours": ours}
            try:
                for client in clients.values():
                    await client.login(TOKEN)
                rates, cpu = await measure(fake, clients, {"bare": bare_ids, "ours": ours_ids})
            finally:
                for client in clients.values():
                    await client.close()
        await store.close()
    bare_rate, ours_rate = (statistics.median(rates[n]) for n in ("bare", "ours"))
    ratios = [o / b for o, b in zip(rates["ours"], rates["bare"], strict=True)]
    print(f"Discord interactions per second ({USERS} people at once, {ROUNDS} alternating rounds):")
    print(f"  bare discord.py callback, state in a dict   {bare_rate:8.0f} /s (median)")
    print(f"  adapter + engine + {kind:24} {ours_rate:8.0f} /s (median)")
    print(
        f"  ratio adapter/bare: {ours_rate / bare_rate:.2f} (medians); per round median "
        f"{statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f} "
        "(goal >= 0.8)"
    )
    bare_cpu, ours_cpu = (statistics.median(cpu[n]) for n in ("bare", "ours"))
    print(
        f"  CPU per interaction (fake server included): bare {bare_cpu:.0f} us, "
        f"adapter {ours_cpu:.0f} us, +{ours_cpu - bare_cpu:.0f} us; "
        f"throughput ratio by CPU {bare_cpu / ours_cpu:.2f}"
    )


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
