"""Content reload in every process sharing the store (SIGHUP, ``/op reload``, ``crampbot admin reload``).

A request is a small JSON object (an id, the content version the requester
loaded, empty when its content was invalid, and who asked) kept in the store's
meta as ``reload_request``. On Redis it is also published on the channel
``<prefix>reload:<db>``, which every running process subscribes to, so it
arrives at once and PUBLISH counts who received it. Every process also checks
the meta every :data:`POLL_SECONDS`, which is how processes on one SQLite file
learn of it, and how a Redis subscriber that was disconnected catches up. Each
process reloads its own content directory and keeps its old content when the
new one is invalid.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass

import redis.asyncio as redis

from bot.app import App, load_interview
from bot.stores.faults import one_line
from bot.stores.redis_store import RedisStore
from dialogs import ContentError, ConversationStore, StoreBroken, StoreUnavailable

log = logging.getLogger(__name__)

META = "reload_request"
POLL_SECONDS = 5.0
"""How often a process looks for a request in the store's meta."""
RESUBSCRIBE_SECONDS = 1.0
"""The pause before subscribing again after the Redis channel was lost."""
LISTEN_SECONDS = 1.0
"""The longest wait for one message on the channel, so a stop is noticed."""


@dataclass(frozen=True)
class Reloaded:
    """What a reload asked of every process gave here: the problems (none when it worked),
    the content version now running, and how many processes received the request
    (``None`` when the store cannot count them; ``sent`` is False when it could not be sent)."""

    problems: list[str]
    version: str
    received: int | None
    sent: bool = True


async def reload_content(app: App) -> list[str]:
    """Load the content again; on success use it and return [], else return the problems.

    The files are read and checked in a thread, so the bot keeps serving meanwhile.
    """
    try:
        interview = await asyncio.to_thread(load_interview, app.settings)
    except ContentError as exc:
        problems = [str(p) for p in exc.problems]
        # Content problems name files and keys, never anything a person said: safe to log.
        log.error(
            "content reload failed; keeping version %s: %d problem(s):\n  %s",
            app.engine.interview.version,
            len(problems),
            "\n  ".join(problems),
        )
        return problems
    app.engine.reload(interview)
    log.info("content reloaded: version %s", interview.version)
    return []


def channel(store: RedisStore) -> str:
    """The reload channel, under the store's key prefix; channels span every database of a
    server, so it names the database too."""
    return f"{store.prefix}reload:{store.client.connection_pool.connection_kwargs.get('db', 0)}"


async def request_reload(
    store: ConversationStore, version: str, by: str, ident: str | None = None
) -> int | None:
    """Ask every process on ``store`` to reload (the request's id is ``ident``, or a new one);
    returns, on Redis, how many processes received it. Raises StoreUnavailable/StoreBroken."""
    message = json.dumps({"id": ident or secrets.token_hex(8), "version": version, "by": by})
    await store.set_meta(META, message)
    if not isinstance(store, RedisStore):
        return None
    try:
        return int(await store.client.publish(channel(store), message))
    except (redis.RedisError, OSError) as exc:  # kept in the meta: the processes still see it
        raise StoreUnavailable(f"cannot publish the reload request ({one_line(exc)})") from exc


class Reloads:
    """This process's side of reloads: asking every process, and following what others ask.

    ``following`` turns true once the store's current request is known (older ones are
    not followed); ``listening`` says whether the Redis channel is subscribed now.
    """

    def __init__(self, app: App, poll_seconds: float = POLL_SECONDS) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self._seen: str | None = None  # the id of the last request followed or made here
        self.following = False
        self.listening = False
        self._signalled: set[asyncio.Task[Reloaded]] = set()
        self._reloading = asyncio.Lock()

    async def everywhere(self) -> Reloaded:
        """Reload here, then ask every other process to reload too (even when it failed
        here: each process reads its own content directory)."""
        async with self._reloading:
            problems = await reload_content(self.app)
        version = self.app.engine.interview.version
        asked = "" if problems else version  # no version to ask for when the new one is invalid
        self._seen = ident = secrets.token_hex(8)  # before sending: our own request is done
        try:
            received = await request_reload(self.app.store, asked, self.app.instance, ident)
        except (StoreUnavailable, StoreBroken) as exc:
            log.warning("could not ask the other processes to reload: %s", exc)
            return Reloaded(problems, version, None, sent=False)
        if received is None:
            log.info("asked every process to reload (version %s) through the store", version)
        else:
            log.info(
                "asked every process to reload (version %s): %d received it", version, received
            )
        return Reloaded(problems, version, received)

    def on_signal(self) -> None:
        """SIGHUP: :meth:`everywhere`, as a task of the running loop."""
        task = asyncio.get_running_loop().create_task(self.everywhere())
        self._signalled.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._signalled.discard)

    async def follow(self, stop: asyncio.Event) -> None:
        """Until ``stop``: reload whenever another process asks (subscribed on Redis, and
        by checking the store's meta every ``poll_seconds`` on every store)."""
        tasks = [asyncio.create_task(self._poll(stop))]
        if isinstance(self.app.store, RedisStore):
            tasks.append(asyncio.create_task(self._listen(self.app.store, stop)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                raw = await self.app.store.get_meta(META)
            except (StoreUnavailable, StoreBroken) as exc:
                log.debug("reload check skipped: %s", exc)
            else:
                if not self.following:  # requests made before this process started are done
                    self._seen = _ident(raw) if raw is not None else None
                    self.following = True
                elif raw is not None:
                    await self._follow(raw)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)

    async def _listen(self, store: RedisStore, stop: asyncio.Event) -> None:
        """Follow requests published on the channel; subscribe again after Redis comes back."""
        lost = False
        while not stop.is_set():
            try:
                async with store.client.pubsub() as pubsub:
                    await pubsub.subscribe(channel(store))
                    while not stop.is_set():
                        message = await pubsub.get_message(timeout=LISTEN_SECONDS)
                        if message is None:
                            continue
                        if message["type"] == "subscribe":  # Redis confirms: we hear requests
                            self.listening = True
                            again = " again" if lost else f" on {channel(store)}"
                            log.info("listening for reload requests%s", again)
                            lost = False
                        elif message["type"] == "message" and self.following:
                            await self._follow(str(message["data"]))
            except (redis.RedisError, OSError) as exc:
                self.listening = False
                if not lost:
                    log.warning(
                        "lost the reload channel (%s); subscribing again when Redis is back",
                        one_line(exc),
                    )
                    lost = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RESUBSCRIBE_SECONDS)

    async def _follow(self, raw: str) -> None:
        """Reload for a request not followed yet; a reload's failure keeps the old content."""
        try:
            request = json.loads(raw)
            ident, version, by = str(request["id"]), str(request["version"]), str(request["by"])
        except (ValueError, TypeError, KeyError):
            log.warning("ignoring an unreadable reload request")
            return
        if ident == self._seen:
            return
        self._seen = ident
        log.info("reload asked by %s (content version %s)", by, version or "unknown")
        async with self._reloading:  # one at a time, so the last request's content wins
            problems = await reload_content(self.app)
        if not problems and version not in ("", self.app.engine.interview.version):
            log.warning(
                "reloaded content version %s, not the %s asked for: this process's"
                " CRAMPBOT_CONTENT_DIR holds other content",
                self.app.engine.interview.version,
                version,
            )


def _ident(raw: str) -> str | None:
    try:
        return str(json.loads(raw)["id"])
    except (ValueError, TypeError, KeyError):
        return None
