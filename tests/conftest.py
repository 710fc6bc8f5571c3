"""Shared fixtures: content, the interview, an engine on the in-memory store, Redis."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.stores.memory_store import InMemoryStore
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.loading import load_content
from dialogs.machine import Interview

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("CRAMPBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")


def personas() -> list[dict]:
    """The personas of scenarios.yaml with the outcomes they must get."""
    return yaml.safe_load((ROOT / "tests" / "scenarios.yaml").read_text())


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(ROOT / "content")


@pytest.fixture(scope="session")
def interview(content: Content) -> Interview:
    return Interview(content)


@pytest.fixture
def engine(interview: Interview) -> Engine:
    return Engine(interview, InMemoryStore())


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """A Redis database for tests, emptied before and after.

    In CI (``CI`` set) a missing Redis fails the test; elsewhere it skips with the reason.
    """
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        await client.aclose()
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL} ({exc}); CI runs these tests")
    await client.flushdb()
    try:
        yield REDIS_URL
    finally:
        await client.flushdb()
        await client.aclose()
