"""Content reload reaching every process on the store: two bot Apps in one event loop.

Each App has its own store client (its own Redis connections and subscription, its
own SQLite connection), as two processes would; only the in-memory store is one
object. Real processes are in ``test_reload_processes.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App, build_app, load_interview
from bot.ops.reload import Reloads
from bot.settings import Settings
from bot.stores.memory_store import InMemoryStore
from dialogs import Engine
from tests.content_edits import (
    BROKEN_PROBLEM,
    NEW_VERSION,
    break_content,
    copy_content,
    publish_new_content,
)

STORES = ["memory", "sqlite", "redis"]


class Process:
    """One bot's App and its reload follower, running until :meth:`end`."""

    def __init__(self, app: App, poll_seconds: float) -> None:
        self.app = app
        self.reloads = Reloads(app, poll_seconds)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.reloads.follow(self.stop))

    @property
    def version(self) -> str:
        return self.app.engine.interview.version

    async def ready(self) -> None:
        redis = self.app.settings.store.startswith("redis")
        await until(lambda: self.reloads.following and (self.reloads.listening or not redis))

    async def end(self) -> None:
        self.stop.set()
        await self.task
        await self.app.close()


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):  # hang guard only
        while not condition():
            await asyncio.sleep(0.005)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the store the test's ``store`` parameter names."""
    name = request.node.callspec.params["store"]
    if name == "redis":
        return str(request.getfixturevalue("redis_url"))
    return "memory://" if name == "memory" else f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def processes(store_url: str, content_dir: Path) -> AsyncIterator[tuple[Process, Process]]:
    """Two processes on one store of the test's ``store`` parameter, reading one content folder.

    On Redis they check the meta only once a minute: a request reaches them by the channel.
    """
    url = store_url
    settings = Settings(store=url, content_dir=str(content_dir))
    poll = 60.0 if url.startswith("redis") else 0.01
    if url == "memory://":
        store = InMemoryStore()
        apps = [App(settings, store, Engine(load_interview(settings), store)) for _ in "ab"]
    else:
        apps = [await build_app(settings), await build_app(settings)]
    pair = (Process(apps[0], poll), Process(apps[1], poll))
    for process in pair:
        await process.ready()
    try:
        yield pair
    finally:
        for process in pair:
            await process.end()


@pytest.mark.parametrize("store", STORES)
async def test_reload_asked_in_one_process_reaches_the_other_when_they_share_a_store(
    processes: tuple[Process, Process], content_dir: Path, store: str
) -> None:
    asking, other = processes
    publish_new_content(content_dir)
    done = await asking.reloads.everywhere()
    assert (done.problems, done.version, done.sent) == ([], NEW_VERSION, True)
    assert done.received == (2 if store == "redis" else None), "Redis counts the subscribers"
    await until(lambda: other.version == NEW_VERSION)
    assert asking.version == NEW_VERSION


@pytest.mark.parametrize("store", STORES)
async def test_both_keep_their_content_when_the_reloaded_content_is_invalid(
    processes: tuple[Process, Process],
    content_dir: Path,
    store: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asking, other = processes
    old = other.version
    break_content(content_dir)
    with caplog.at_level(logging.INFO, logger="bot.ops.reload"):
        done = await asking.reloads.everywhere()
        assert BROKEN_PROBLEM in done.problems and done.sent
        await until(lambda: caplog.text.count(f"content reload failed; keeping version {old}") == 2)
    assert asking.version == other.version == old
    assert caplog.text.count("reload asked by") == 1, "the asking process does not reload twice"


async def test_reload_stays_within_its_bot_when_two_bots_share_a_redis_by_prefix(
    redis_url: str, tmp_path: Path
) -> None:
    """Two bots on one Redis database under other prefixes: a reload of one is not the other's."""
    bots = []
    for name in ("one", "two"):
        content = copy_content(tmp_path / name)
        settings = Settings(store=redis_url, content_dir=str(content), redis_prefix=f"{name}:")
        bots.append(Process(await build_app(settings), poll_seconds=0.01))
    try:
        for bot in bots:
            await bot.ready()
        publish_new_content(tmp_path / "one" / "content")
        done = await bots[0].reloads.everywhere()
        assert done.received == 1, "only the asking bot's own process listens on its channel"
        assert bots[0].version == NEW_VERSION
        assert await bots[1].app.store.get_meta("reload_request") is None, "nor in its meta"
    finally:
        for bot in bots:
            await bot.end()
