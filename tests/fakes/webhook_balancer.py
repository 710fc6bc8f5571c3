"""Webhook replicas as processes, and Telegram's delivery to them through a load balancer.

:class:`Replica` is one bot process serving a webhook on its own port (its log
in a file). :class:`Balancer` delivers each update as Telegram does through a
load balancer: to a random replica, one update of a person at a time, and to
another replica when it got no 200 (a dropped connection, a refused one, a
500). It records what was in flight where, so a test can name the updates a
killed replica held. It has the ``fake``/``deliver``/``sync`` of the Telegram
test harness, so the chat helpers of ``tests/platforms/telegram`` drive it.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.telegram_api import TOKEN, FakeBotApi

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET = "replica-secret_0123456789abcdefghijklmnop"
PATH = "/telegram"
HANG_GUARD = 30.0
ATTEMPTS = 10
"""Deliveries of one update before the balancer gives up (Telegram tries for a day)."""
READY = ("telegram: registered", "not registered again")


def replica_env(
    base: dict[str, str], fake: FakeBotApi, store: str, public_url: str
) -> dict[str, str]:
    """The settings every replica shares: one store, one public webhook URL, one secret."""
    clean = {k: v for k, v in base.items() if not k.startswith("CRAMPBOT_")}
    return clean | {
        "CRAMPBOT_STORE": store,
        "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
        "CRAMPBOT_TELEGRAM_BASE_URL": fake.base_url,
        "CRAMPBOT_TELEGRAM_WEBHOOK_URL": public_url,
        "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "CRAMPBOT_LOG_LEVEL": "INFO",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PTB_TIMEDELTA": "true",
    }


class Replica:
    """One bot process listening for the webhook on ``port``."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], port: int, log: Path) -> None:
        self.argv = list(argv)
        self.env = env | {"CRAMPBOT_TELEGRAM_WEBHOOK_PORT": str(port)}
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self.process: asyncio.subprocess.Process | None = None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    async def start(self) -> None:
        """Start the process and wait until it has registered (or found nothing to register)."""
        with self.log.open("wb") as sink:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, env=self.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink,
            )  # fmt: skip
        async with asyncio.timeout(HANG_GUARD):
            while not any(line in self.text() for line in READY):
                assert self.process.returncode is None, f"the replica exited:\n{self.text()}"
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM a running replica and return its status (``None`` if it had gone)."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(HANG_GUARD):
            return await self.process.wait()

    async def reap(self) -> None:
        """Kill it if it still runs (after a failed test)."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


def chat_of(update: dict[str, Any]) -> int:
    """The person an update comes from (every update here is from a private chat)."""
    for kind in ("message", "callback_query"):
        if kind in update:
            return int(update[kind]["from"]["id"])
    raise ValueError("an update without a sender")


class Balancer:
    """Telegram's webhook delivery through a load balancer in front of ``replicas``."""

    def __init__(self, fake: FakeBotApi, replicas: Sequence[Replica], seed: int = 16) -> None:
        self.fake = fake
        self.replicas = list(replicas)
        self.rng = random.Random(seed)
        self.http = httpx.AsyncClient(trust_env=False, timeout=HANG_GUARD)
        self.inflight: list[dict[int, int]] = [{} for _ in replicas]  # update id -> person
        self.down: set[int] = set()
        self.resent: list[int] = []
        self.delivered = 0
        self.latencies: list[float] = []
        """Seconds from the first try of each update to its 200."""

    async def close(self) -> None:
        await self.http.aclose()

    async def deliver(self, update: dict[str, Any]) -> int:
        """Deliver ``update`` until a replica answers 200; return that replica's index."""
        update_id = update.setdefault("update_id", self.fake.next_update_id())
        self.fake.note(update)
        person, tried = chat_of(update), set()
        started = time.perf_counter()
        for _ in range(ATTEMPTS):
            up = [n for n in range(len(self.replicas)) if n not in self.down]
            n = self.rng.choice([m for m in up if m not in tried] or up)
            tried.add(n)
            self.inflight[n][update_id] = person
            try:
                response = await self.http.post(
                    self.replicas[n].url, json=update, headers={SECRET_HEADER: SECRET}
                )
                ok = response.status_code == 200
            except httpx.ConnectError:
                self.down.add(n)  # a health check would take it out too
                ok = False
            except httpx.HTTPError:
                ok = False
            finally:
                del self.inflight[n][update_id]
            if ok:
                self.delivered += 1
                self.latencies.append(time.perf_counter() - started)
                return n
            self.resent.append(update_id)
        raise AssertionError(f"update {update_id} got no 200 in {ATTEMPTS} deliveries")

    async def sync(self) -> None:
        """Nothing to wait for: a replica answers 200 only once the update is done."""
