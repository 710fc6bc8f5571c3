"""Telegram webhook replicas on one Redis: updates per second and p99 latency, 1 to 3 replicas.

Each cluster is 1, 2 or 3 bot processes (``serve`` in webhook mode, as
``crampbot run telegram`` runs it, with Telegram's flood limits off: they would
measure Telegram, not us) behind the tests' load balancer, with the fake Bot
API in this process. Every round runs the same batch of concurrent interviews
through each cluster in turn (interleaved, so each meets the same noise);
latency is from an update's first delivery to its 200 (applied and saved). The
report gives medians over rounds and ratios against the single process.

Run: ``.venv/bin/python -m bench.bench_replicas`` (Redis from ``CRAMPBOT_BENCH_REDIS``);
``CRAMPBOT_BENCH_QUICK=1`` runs it on tiny sizes, with 1 and 2 replicas.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as redis

from bench.quick import sized
from bot.platforms import buttons
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.webhook_balancer import Balancer, Replica, replica_env

REDIS_URL = os.environ.get("CRAMPBOT_BENCH_REDIS", "redis://127.0.0.1:6379/14")
SIZES = (1, 2, 3) if sized(1, 0) else (1, 2)
ROUNDS = sized(5, 1)
PEOPLE = sized(24, 2)
"""Interviews at once in each batch."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def interview(balancer: Balancer, user_id: int) -> None:
    """/start, then the first option of each single question and "none" (or the first)
    plus Done on each multi question, until the outcome."""
    fake = balancer.fake
    user = {"id": user_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}
    chat = {"id": user_id, "type": "private", "first_name": "Pat"}
    message = {"message_id": 1, "date": 1_700_000_000, "chat": chat, "from": user}
    command = [{"type": "bot_command", "offset": 0, "length": 6}]
    await balancer.deliver({"message": message | {"text": "/start", "entities": command}})
    for _ in range(20):
        newest = fake.chat_messages(user_id)[-1]
        rows = newest.get("reply_markup", {}).get("inline_keyboard", [])
        presses = [
            (b["callback_data"], buttons.decode(b["callback_data"])) for r in rows for b in r
        ]
        answers = [(data, p) for data, p in presses if p is not None]
        if not answers:
            return
        toggles = [(data, p) for data, p in answers if p.kind == "toggle"]
        if toggles:
            tick = next((d for d, p in toggles if p.payload == "none"), toggles[0][0])
            done = next(d for d, p in answers if p.kind == "done")
            chosen = [tick, done]
        else:
            chosen = [answers[0][0]]
        for data in chosen:
            query = {"id": f"q{fake.next_update_id()}", "from": user, "chat_instance": "b"}
            query |= {"data": data, "message": newest}
            await balancer.deliver({"callback_query": query})
    raise RuntimeError("the interview did not end")


class Cluster:
    """``size`` replicas and their balancer; one batch of interviews at a time."""

    def __init__(self, fake: FakeBotApi, size: int, folder: Path) -> None:
        public = f"http://127.0.0.1:{free_port()}/telegram"
        env = replica_env(dict(os.environ), fake, REDIS_URL, public)
        argv = ["-m", "bench.bench_replicas", "--replica"]
        self.replicas = [
            Replica(argv, env, free_port(), folder / f"cluster{size}-{n}.log") for n in range(size)
        ]
        self.balancer = Balancer(fake, self.replicas)
        self.size = size
        self.rates: list[float] = []
        self.p99s: list[float] = []

    async def batch(self, first_user: int) -> None:
        self.balancer.latencies.clear()
        delivered = self.balancer.delivered
        started = time.perf_counter()
        await asyncio.gather(*(interview(self.balancer, first_user + n) for n in range(PEOPLE)))
        seconds = time.perf_counter() - started
        self.rates.append((self.balancer.delivered - delivered) / seconds)
        self.p99s.append(statistics.quantiles(self.balancer.latencies, n=100)[98] * 1000)

    async def close(self) -> None:
        await self.balancer.close()
        for replica in self.replicas:
            await replica.stop()


async def measure() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.flushdb()
    except (OSError, redis.RedisError) as exc:
        print(f"skipped: no Redis at {REDIS_URL} ({exc})")
        return
    finally:
        await client.aclose()
    fake = FakeBotApi()
    await fake.start()
    clusters: list[Cluster] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            for size in SIZES:
                clusters.append(Cluster(fake, size, Path(folder)))
                await asyncio.gather(*(r.start() for r in clusters[-1].replicas))
            users = iter(range(100_000, 10_000_000, 1000))
            for _ in range(ROUNDS):
                for cluster in clusters:
                    await cluster.batch(next(users))
        finally:
            for cluster in clusters:
                await cluster.close()
            await fake.close()
    updates = clusters[0].balancer.delivered // ROUNDS
    print(f"{PEOPLE} interviews at once, {updates} updates a batch, {ROUNDS} interleaved rounds")
    one = statistics.median(clusters[0].rates)
    one_p99 = statistics.median(clusters[0].p99s)
    for cluster in clusters:
        rate, p99 = statistics.median(cluster.rates), statistics.median(cluster.p99s)
        print(
            f"{cluster.size} replica{'s' if cluster.size > 1 else ''}: {rate:.0f} updates/s,"
            f" p99 {p99:.1f} ms; ratio to 1 process: throughput x{rate / one:.2f},"
            f" p99 x{p99 / one_p99:.2f}"
        )


def replica() -> None:
    """One replica: ``serve`` in webhook mode with the flood limits off, until SIGTERM."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from bot.app import build_app
    from bot.logs import configure
    from bot.platforms.telegram.fairness import PerChatLimiter
    from bot.platforms.telegram.messenger import serve
    from bot.settings import load_settings

    settings = load_settings(dict(os.environ))
    configure("INFO", "WARNING", sys.stderr, settings.secrets(), "text")

    async def run() -> None:
        app = await build_app(settings)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        limiter: Any = PerChatLimiter(overall_max_rate=0, group_max_rate=0)
        try:
            await serve(app, stop, rate_limiter=limiter)
        finally:
            await app.close()

    asyncio.run(run())


def main() -> None:
    asyncio.run(measure())


if __name__ == "__main__":
    replica() if sys.argv[1:] == ["--replica"] else main()
