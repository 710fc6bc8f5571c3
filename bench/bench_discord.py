"""Interactions per second through discord.py: our adapter + engine + SQLite against a bare handler.

Both clients log in against the fake Discord on 127.0.0.1, then their REST
session is swapped for an in-process one that answers from the same fake's
routes (``InstantSession``) and INTERACTION_CREATE payloads are fed through
``client._connection.parsers``, so what is timed is discord.py's parsing and
dispatch, the handler and discord.py's request building and response parsing.
The fake's own share (decoding the request, routing, encoding the answer) is
timed separately and taken out of both sides.

The baseline is a bare discord.py component callback with its state in a
dict. It replays what our bot sent in a warm-up run (the same defers, edits,
texts, components and embeds, checked byte for byte every round), for the
same users and the same number of steps; it decides and renders nothing.

The machine is shared and noisy, so the clients' interactions are interleaved
in short blocks, in a shuffled order, each client paying for its own leftovers
(:func:`bench.rounds.interleave`); every round uses fresh bots and a fresh
database, and the report gives the median over rounds of the wall-clock and
CPU ratios.

Run: ``.venv/bin/python -m bench.bench_discord`` (or ``make bench``).
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord

from bench.before import shown_in_a_transaction, sqlite_as_before
from bench.quick import sized
from bench.rounds import BLOCK, cpu_us, interleave, per_second, print_ratios, ratios
from bot.app import build_app
from bot.platforms.discord.messenger import DONE_EVENT, build_client
from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.loading import load_content
from dialogs.machine import Interview
from tests.fakes.discord_api import TOKEN, FakeDiscord, Person

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = yaml.safe_load((ROOT / "tests" / "scenarios.yaml").read_text())
USERS = sized(48, 6)  # each persona three times
ROUNDS = sized(11, 2)
EPHEMERAL = 64
GOAL = 0.9
"""Ours / bare throughput wanted (issue 16)."""


class InstantResponse:
    """The part of ``aiohttp.ClientResponse`` that discord.py reads."""

    def __init__(self, status: int, result: Any) -> None:
        self.status = status
        self.reason = "OK" if status < 400 else "Error"
        self.headers = {} if result is None else {"content-type": "application/json"}
        self._text = "" if result is None else json.dumps(result)

    async def text(self, encoding: str = "utf-8") -> str:
        return self._text

    async def __aenter__(self) -> InstantResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


@dataclass
class InstantSession:
    """Answers discord.py's REST calls in-process from the fake's routes, timing the fake's share.

    With ``recording`` on it keeps every interaction call (kind, body, query) by
    interaction token, which is how the baseline learns what to send.
    """

    fake: FakeDiscord
    recording: bool = False
    calls: int = 0
    sent_bytes: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    recorded: dict[str, list[tuple[str, Any, dict[str, str]]]] = field(default_factory=dict)
    closed: bool = False

    def request(self, method: str, url: str, *, data: Any = None, **kwargs: Any) -> InstantResponse:
        wall, cpu = time.perf_counter(), time.process_time()
        assert data is None or isinstance(data, str), "multipart bodies are not expected here"
        path = url.partition("/api/v10")[2]  # Route.BASE names the fake that logged in last
        body = json.loads(data) if data else None
        query = {k: str(v) for k, v in (kwargs.get("params") or {}).items()}
        found = self.fake._route(method, path, body, query)
        status, result = found if isinstance(found, tuple) else (200, found)
        response = InstantResponse(status, result)
        if self.recording:
            self.record(method, path, body, query)
        self.calls += 1
        self.sent_bytes += len(data or "")
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        return response

    def record(self, method: str, path: str, body: Any, query: dict[str, str]) -> None:
        parts = path.strip("/").split("/")
        match method, parts:
            case "POST", ["interactions", _, token, "callback"]:
                kind = "defer"
            case "PATCH", ["webhooks", _, token, "messages", "@original"]:
                kind = "edit"
            case "POST", ["webhooks", _, token]:
                kind = "send"
            case _:
                raise AssertionError(f"unexpected call while recording: {method} {path}")
        self.recorded.setdefault(token, []).append(Call(kind, body, query))


@dataclass(frozen=True)
class Call:
    """One request the bot made for an interaction: a defer, an ``@original`` edit or a followup."""

    kind: str
    body: Any
    query: dict[str, str]


Step = list[Call]
"""What the bot sent for one interaction, in order."""


class BareButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cb[a-z]*(:.*)?"):
    """The baseline's button for any of our custom ids, so the same person drives both bots."""

    def __init__(self, component: dict[str, Any], row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle(component.get("style", 2)),
                label=component.get("label"),
                custom_id=component["custom_id"],
                disabled=component.get("disabled", False),
                row=row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str], /
    ) -> BareButton:
        return cls({"custom_id": match[0], "label": item.label, "style": item.style.value})

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await bare(interaction).replay(interaction)


class BareClient(discord.Client):
    """A plain discord.py bot: /cramps and component callbacks replay each person's steps in order."""

    def __init__(self, steps: dict[int, list[Step]]) -> None:
        super().__init__(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        self.tree = discord.app_commands.CommandTree(self)
        self.steps = steps
        self.at: dict[int, int] = {}

        @self.tree.command(name="cramps", description="Start the cramp interview")
        async def cramps(interaction: discord.Interaction[Any]) -> None:
            await self.replay(interaction)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(BareButton)

    async def replay(self, interaction: discord.Interaction[Any]) -> None:
        """Make the requests our bot made for this person's next interaction."""
        index = self.at.get(interaction.user.id, 0)
        self.at[interaction.user.id] = index + 1
        for call in self.steps[interaction.user.id][index]:
            body = call.body or {}
            if call.kind == "defer":
                flags = (body.get("data") or {}).get("flags", 0)
                thinking = body["type"] == 5
                await interaction.response.defer(
                    ephemeral=bool(flags & EPHEMERAL), thinking=thinking
                )
            elif call.kind == "edit":
                await interaction.edit_original_response(
                    content=body.get("content"),
                    embeds=[discord.Embed.from_dict(e) for e in body.get("embeds", [])],
                    view=bare_view(body.get("components", [])),
                )
            else:
                await interaction.followup.send(
                    content=body.get("content", discord.utils.MISSING),
                    embeds=[discord.Embed.from_dict(e) for e in body.get("embeds", [])],
                    ephemeral=bool(body.get("flags", 0) & EPHEMERAL),
                    wait=call.query.get("wait") == "1",
                    view=bare_view(body.get("components", [])) or discord.utils.MISSING,
                )
        self.dispatch(DONE_EVENT, str(interaction.id))


def bare(interaction: discord.Interaction[Any]) -> BareClient:
    client = interaction.client
    assert isinstance(client, BareClient)
    return client


def bare_view(rows: list[dict[str, Any]]) -> discord.ui.View | None:
    """A view of the baseline's buttons for these component rows (``None`` when there are none)."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for c in row["components"]:
            assert c["type"] == 2, "the interviews here use buttons only"
            view.add_item(BareButton(c, number))
    return view


def payloads(fake: FakeDiscord, people: list[Person]) -> Iterator[dict[str, Any]]:
    """Everyone's interview round-robin: /cramps, then a click on each question the bot sent."""
    active = [(who, PERSONAS[i % len(PERSONAS)]["answers"]) for i, who in enumerate(people)]
    for who, _ in active:
        yield who.slash_payload("cramps")
    while active:
        still = []
        for who, answers in active:
            message = fake.asked.get(who.id)
            if message is None or message.question is None:
                continue
            answer = answers[message.question]
            if who.ticks(message):  # a multi question: tick each, then Done
                for option in [answer] if isinstance(answer, str) else answer:
                    yield who.click_payload(message, who.component(message, f":{option}"))
                yield who.click_payload(message, who.done_id(message))
            else:
                yield who.answer_payload(message, answer)
            still.append((who, answers))
        active = still


@dataclass
class Side:
    """One client under measurement: its interactions, and the wall and CPU time they took."""

    client: discord.Client
    fake: FakeDiscord
    session: InstantSession
    people: list[Person]
    wall: float = 0.0
    cpu: float = 0.0
    fake_cpu: float = 0.0
    engine_cpu: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.payloads = payloads(self.fake, self.people)
        self.parse = self.client._connection.parsers["INTERACTION_CREATE"]

    async def step(self) -> bool:
        """Handle the next interaction, timed without the fake's share; ``False`` once there is none."""
        payload = next(self.payloads, None)
        if payload is None:
            return False
        done = self.client.wait_for(DONE_EVENT)
        fake_wall, fake_cpu = self.session.wall, self.session.cpu
        wall, cpu = time.perf_counter(), time.process_time()
        self.parse(payload)
        await done
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        fake_wall, fake_cpu = self.session.wall - fake_wall, self.session.cpu - fake_cpu
        self.wall += wall - fake_wall
        self.cpu += cpu - fake_cpu
        self.fake_cpu += fake_cpu
        self.count += 1
        return True

    def open_questions(self) -> int:
        return sum(1 for who in self.people if (m := self.fake.asked.get(who.id)) and m.question)


@asynccontextmanager
async def logged_in(client: discord.Client, recording: bool = False) -> AsyncIterator[Side]:
    """Log ``client`` in against a fresh fake on 127.0.0.1, then answer its REST in-process."""
    async with FakeDiscord() as fake:
        discord.http.Route.BASE = fake.api_url
        await client.login(TOKEN)
        http = client.http
        real = http._HTTPClient__session  # type: ignore[attr-defined]
        session = InstantSession(fake, recording)
        http._HTTPClient__session = session  # type: ignore[attr-defined]
        try:
            people = [Person(fake, 800000000000000001 + i, f"p{i}") for i in range(USERS)]
            yield Side(client, fake, session, people)
        finally:
            http._HTTPClient__session = real  # type: ignore[attr-defined]
            await client.close()


@asynccontextmanager
async def our_client(
    interview: Interview,
    path: Path,
    recording: bool = False,
    before: Callable[[Engine], Engine] | None = None,
) -> AsyncIterator[Side]:
    """Our client on a fresh SQLite file; ``before`` puts back an earlier way of doing part
    of the work (:mod:`bench.before`)."""
    app = await build_app(Settings(store=f"sqlite:///{path}", discord_token=TOKEN), interview)
    if before is not None:
        before(app.engine)
    try:
        async with logged_in(build_client(app), recording) as side:
            time_engine(app.engine, side)
            yield side
    finally:
        await app.close()


def time_engine(engine: Engine, side: Side) -> None:
    """Count the CPU time of the engine's calls (the step and its store) in ``side.engine_cpu``.

    Nothing else runs meanwhile: the interactions are handled one at a time.
    """
    for name in ("handle", "shown", "current"):
        call = getattr(engine, name)

        async def timed(*args: Any, _call: Any = call, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return await _call(*args, **kwargs)
            finally:
                side.engine_cpu += time.process_time() - start

        setattr(engine, name, timed)


async def warm_up(interview: Interview, tmp: str) -> dict[int, list[Step]]:
    """Ours alone, recording what it sends to each person, step by step."""
    async with our_client(interview, Path(tmp, "warm-up.db"), recording=True) as ours:
        await interleave([ours])
        assert not ours.open_questions(), "some interviews did not finish"
        users = ours.fake._interactions
        steps: dict[int, list[Step]] = {}
        for token, calls in ours.session.recorded.items():
            steps.setdefault(users[token]["user"], []).append(calls)
    return steps


async def measure() -> None:
    """Warm-up, one discarded round of both, then the measured rounds."""
    interview = Interview(load_content(ROOT / "content"))
    rounds: list[tuple[Side, Side, Side, Side]] = []
    base = discord.http.Route.BASE
    try:
        with tempfile.TemporaryDirectory() as tmp:
            steps = await warm_up(interview, tmp)
            for number in range(-1, ROUNDS):
                async with (
                    our_client(interview, Path(tmp, f"round{number}.db")) as ours,
                    our_client(
                        interview, Path(tmp, f"shown{number}.db"), before=shown_in_a_transaction
                    ) as shown,
                    our_client(
                        interview, Path(tmp, f"sqlite{number}.db"), before=sqlite_as_before
                    ) as sqlite,
                    logged_in(BareClient(steps)) as bare,
                ):
                    await interleave([ours, shown, sqlite, bare])
                check(ours, bare, steps)
                check(shown, bare, steps, same_bytes=False)  # its notes bump the step tokens
                check(sqlite, bare, steps)
                if number >= 0:
                    rounds.append((ours, bare, shown, sqlite))
    finally:
        discord.http.Route.BASE = base
    report(rounds)


def check(ours: Side, bare: Side, steps: dict[int, list[Step]], same_bytes: bool = True) -> None:
    """Both did every step for every person and sent the same requests, byte for byte
    (unless not ``same_bytes``: the same number of them)."""
    expected = sum(map(len, steps.values()))
    assert ours.count == bare.count == expected, (ours.count, bare.count, expected)
    assert not ours.open_questions(), "some of our interviews did not finish"
    assert not bare.open_questions(), "some bare interviews did not finish"
    assert ours.session.calls == bare.session.calls, (ours.session.calls, bare.session.calls)
    if same_bytes:
        assert ours.session.sent_bytes == bare.session.sent_bytes, "the two sent other requests"


def report(rounds: list[tuple[Side, Side, Side, Side]]) -> None:
    """Ours, the bare client, ours noting where a question is shown in a transaction, and
    ours writing SQLite's updated_at column every save."""
    median = statistics.median
    ours, bare = rounds[-1][:2]
    print(f"users: {USERS}, interactions per run: {ours.count} ({ours.count / USERS:.1f} per user)")
    print(
        f"{ROUNDS} rounds, the clients' interactions interleaved in blocks of {BLOCK}; medians over"
        " rounds; the in-process fake REST's own time taken out"
    )
    for name, index in (
        ("discord.py + crampbot adapter + engine + SQLite", 0),
        ("  the same noting shown in a transaction (before)", 2),
        ("  the same, SQLite writing updated_at every save (before)", 3),
        ("bare discord.py callbacks, dict state", 1),
    ):
        rate = median(per_second(r[index]) for r in rounds)
        cpu = median(cpu_us(r[index]) for r in rounds)
        fake_us = median(r[index].fake_cpu / r[index].count * 1e6 for r in rounds)
        print(
            f"{name}: {rate:6.0f} interactions/s, {cpu:5.0f} us CPU per interaction"
            f" (+{fake_us:.0f} us in the fake)"
        )
    engine = median(r[0].engine_cpu / r[0].count * 1e6 for r in rounds)
    rest = median(cpu_us(r[0]) - r[0].engine_cpu / r[0].count * 1e6 for r in rounds)
    edge = median(
        cpu_us(r[1]) / (cpu_us(r[0]) - r[0].engine_cpu / r[0].count * 1e6) for r in rounds
    )
    print(
        f"of ours: {engine:.0f} us CPU in the engine (step and SQLite), {rest:.0f} us in the"
        f" adapter and discord.py; bare / (ours without the engine) CPU ratio {edge:.2f}"
    )
    print(
        f"REST calls per run: ours {ours.session.calls}, bare {bare.session.calls};"
        f" request bytes: ours {ours.session.sent_bytes}, bare {bare.session.sent_bytes}"
    )
    for name, pairs in (
        ("before (shown in a transaction) / bare", [(r[2], r[1]) for r in rounds]),
        ("ours / before (shown in a transaction)", [(r[0], r[2]) for r in rounds]),
        ("before (updated_at every save) / bare", [(r[3], r[1]) for r in rounds]),
        ("ours / before (updated_at every save)", [(r[0], r[3]) for r in rounds]),
    ):
        wall, cpu = ratios(pairs)
        print(f"ratio {name}: wall {median(wall):.2f}, CPU {median(cpu):.2f} (medians)")
    print_ratios([(r[0], r[1]) for r in rounds], goal=GOAL)


def main() -> None:
    asyncio.run(measure())


if __name__ == "__main__":
    main()
