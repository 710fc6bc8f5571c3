"""Per-step cost of Engine.handle on each store, and SQLite latency at 1k vs 100k conversations.

Run: ``.venv/bin/python -m bench.bench_stores`` (Redis from ``CRAMPBOT_BENCH_REDIS``,
default db 14, which is flushed). Prints medians and p99s in microseconds and ratios.
``CRAMPBOT_BENCH_QUICK=1`` runs it on tiny sizes.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import redis.asyncio as redis
from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser

from bench.quick import sized
from bot.stores.memory_store import InMemoryStore
from bot.stores.redis_store import RedisStore
from bot.stores.sqlite_store import SqliteStore
from dialogs.engine import Engine
from dialogs.loading import load_content
from dialogs.machine import Interview
from dialogs.record import Conversation
from dialogs.store import ConversationStore
from dialogs.types import Incoming, Outcome, Question

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("CRAMPBOT_BENCH_REDIS", "redis://127.0.0.1:6379/14")
INTERVIEWS = sized(1000, 10)  # whole interviews per store for the per-step cost
SCALE_STEPS = sized(10_000, 100)  # timed steps per database size
SIZES = (sized(1_000, 100), sized(100_000, 1_000))  # conversations in the small and large database
WARM_UP = sized(50, 5)  # untimed rounds first
HOPS = sized(2000, 100)
ANSWERS = {
    "red_flags": ("none",),
    "where": ("calf",),
    "when": ("rest",),
    "duration": ("seconds",),
    "feel": ("knot",),
    "associated": ("none",),
    "medicines": ("none",),
    "health": ("none",),
    "frequency": ("monthly",),
}


def summary(samples_ns: list[int]) -> tuple[float, float]:
    """Median and p99 in microseconds."""
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000, p99 / 1000


async def timed(call: Awaitable[object], samples: list[int]) -> object:
    start = time.perf_counter_ns()
    result = await call
    samples.append(time.perf_counter_ns() - start)
    return result


class Counting(redis.Connection):
    """A redis-py connection that counts what it sends: one send, one round trip (a
    pipeline or a script is one)."""

    sent = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        Counting.sent += 1
        await super().send_packed_command(command, check_health)


@dataclass
class Side:
    """One store set-up under measurement: its engine, step times and round trips."""

    name: str
    engine: Engine
    samples: list[int] = field(default_factory=list)
    trips: list[int] = field(default_factory=list)  # round trips of each answer step
    first_trips: list[int] = field(default_factory=list)  # of each interview's first step


async def one_interview(side: Side, key: str, keep: bool) -> None:
    """Run one whole interview, timing every Engine.handle call and counting its round trips."""
    engine, samples = side.engine, side.samples if keep else []
    sent = Counting.sent
    replies = await timed(engine.handle(key, Incoming(command="start")), samples)
    if keep:
        side.first_trips.append(Counting.sent - sent)
    while not isinstance(question := replies[-1], Outcome):  # type: ignore[index]
        assert isinstance(question, Question), replies
        event = Incoming(choice=ANSWERS[question.id], question=question.id, step=question.step)
        sent = Counting.sent
        replies = await timed(engine.handle(key, event), samples)
        if keep:
            side.trips.append(Counting.sent - sent)


REDIS_SIDES: dict[str, dict[str, Any]] = {
    # before: no saved records, redis-py's own parser, a connection pool
    "redis before": {"saved": 0, "parser_class": _AsyncRESP2Parser},
    "redis +hiredis": {"saved": 0, "parser_class": _AsyncHiredisParser},
    "redis ours": {"parser_class": _AsyncHiredisParser},  # + saved records
    "redis +single conn": {"parser_class": _AsyncHiredisParser, "single_connection_client": True},
}


async def per_store(interview: Interview, tmp: Path) -> None:
    """Whole interviews through the Engine on memory, SQLite and Redis set-ups, in turns."""
    openers: dict[str, Callable[[], Awaitable[ConversationStore]]] = {
        "memory": _memory,
        "sqlite": lambda: SqliteStore.open(str(tmp / "steps.db")),
    }
    for n, (name, options) in enumerate(REDIS_SIDES.items()):
        openers[name] = functools.partial(_redis, REDIS_URL, f"bench{n}:", options, n == 0)
    sides: list[Side] = []
    for name, opener in openers.items():
        try:
            sides.append(Side(name, Engine(interview, await opener())))
        except Exception as exc:
            print(f"  {name} skipped: {exc}")
    try:
        for n in range(WARM_UP + INTERVIEWS):  # turns, so machine noise hits every store alike
            for side in sides:
                await one_interview(side, f"bench:{n}", keep=n >= WARM_UP)
    finally:
        for side in sides:
            await side.engine.store.close()
    print(f"Engine.handle per step ({INTERVIEWS} whole interviews per store), microseconds:")
    base = summary(sides[0].samples)
    for side in sides:
        p50, p99 = summary(side.samples)
        print(
            f"  {side.name:18} p50 {p50:7.1f}  p99 {p99:7.1f}"
            f"   ratio to memory: p50 x{p50 / base[0]:.2f}, p99 x{p99 / base[1]:.2f}"
        )
    for side in sides:
        if side.name.startswith("redis"):
            per_step = statistics.mean(side.trips)
            print(
                f"  {side.name}: Redis round trips per answer step {per_step:.2f}"
                f" (most {max(side.trips)}), first step of an interview"
                f" {statistics.mean(side.first_trips):.2f}"
            )


async def _memory() -> ConversationStore:
    return InMemoryStore()


async def _redis(url: str, prefix: str, options: dict[str, Any], flush: bool) -> ConversationStore:
    if flush:
        client = redis.Redis.from_url(url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()
    return await RedisStore.open(url, prefix=prefix, connection_class=Counting, **options)


async def template(interview: Interview) -> Conversation:
    """A real mid-interview record (red_flags answered, at "where") to copy into many keys."""
    store = InMemoryStore()
    engine = Engine(interview, store)
    question = (await engine.handle("t", Incoming(command="start")))[-1]
    assert isinstance(question, Question)
    await engine.handle("t", Incoming(choice=("none",), question="red_flags", step=question.step))
    record = await store.load("t")
    assert record is not None and record.state == "where"
    return record


def prefill(path: Path, record: Conversation, count: int) -> None:
    """Insert ``count`` conversations in one transaction with executemany."""
    now = time.time()
    rows = []
    for n in range(count):
        copy = replace(record, key=f"telegram:{n}", updated_at=now - n)
        rows.append((copy.key, copy.version, copy.updated_at, copy.to_json()))
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO conversations (key, version, updated_at, data) VALUES (?, ?, ?, ?)", rows
        )
    db.close()


class RandomSteps:
    """Steps on random existing keys: answer "where", or go back to it, in turn."""

    def __init__(self, engine: Engine, count: int, record: Conversation) -> None:
        self.engine, self.count, self.record = engine, count, record
        self.shown: dict[str, Question] = {}  # the question each touched key is at now
        self.rng = random.Random(count)

    async def step(self, samples: list[int]) -> None:
        key = f"telegram:{self.rng.randrange(self.count)}"
        question = self.shown.get(key)
        if question is None or question.id == "where":
            step = question.step if question else self.record.version
            event = Incoming(choice=("calf",), question="where", step=step)
        else:
            event = Incoming(command="back")
        replies = await timed(self.engine.handle(key, event), samples)
        last = replies[-1]  # type: ignore[index]
        assert isinstance(last, Question), replies
        self.shown[key] = last


async def sqlite_scale(interview: Interview, tmp: Path) -> None:
    """The same steps on a 1k and a 100k database, taken in turns so noise hits both alike."""
    record = await template(interview)
    stores = [await SqliteStore.open(str(tmp / f"scale{count}.db")) for count in SIZES]
    walkers = []
    for store, count in zip(stores, SIZES, strict=True):
        prefill(tmp / f"scale{count}.db", record, count)
        walkers.append(RandomSteps(Engine(interview, store), count, record))
    samples: list[list[int]] = [[] for _ in SIZES]
    try:
        for n in range(WARM_UP + SCALE_STEPS):
            for walker, taken in zip(walkers, samples, strict=True):
                await walker.step(taken if n >= WARM_UP else [])
    finally:
        for store in stores:
            await store.close()
    print(f"SQLite step latency on random existing keys ({SCALE_STEPS} steps each), microseconds:")
    results = [summary(taken) for taken in samples]
    for count, (p50, p99) in zip(SIZES, results, strict=True):
        print(f"  {count:>7,} conversations  p50 {p50:7.1f}  p99 {p99:7.1f}")
    (a50, a99), (b50, b99) = results
    label = "/".join(f"{n // 1000}k" if n >= 1000 else str(n) for n in reversed(SIZES))
    print(f"  ratio {label}: p50 x{b50 / a50:.2f} (goal <= 1.2), p99 x{b99 / a99:.2f}")


async def thread_hop() -> None:
    """What running each store call through asyncio.to_thread would add."""
    samples: list[int] = []
    for _ in range(HOPS):
        await timed(asyncio.to_thread(int), samples)
    p50, p99 = summary(samples[HOPS // 10 :])
    print(f"asyncio.to_thread hop: p50 {p50:.1f} us, p99 {p99:.1f} us (a step makes 2 store calls)")


async def run() -> None:
    interview = Interview(load_content(ROOT / "content"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        await per_store(interview, Path(tmp))
        await sqlite_scale(interview, Path(tmp))
        await thread_hop()
        print(f"total {time.perf_counter() - started:.1f} s")


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
