"""Conversation stores, chosen by URL: ``sqlite:///PATH``, ``redis://HOST:PORT/DB``, ``memory://``."""

from __future__ import annotations

from bot.stores.faults import Breaker
from dialogs import ConversationStore, StoreUnavailable


async def open_store(
    url: str,
    retention_seconds: float = 30 * 86400.0,
    breaker: Breaker | None = None,
    redis_prefix: str = "crampbot:",
) -> ConversationStore:
    """Open the store ``url`` names; raise :class:`StoreUnavailable` when it cannot be used now
    and :class:`~dialogs.store.StoreBroken` when it never can.

    Redis also expires each record by itself after ``retention_seconds`` idle, and
    keeps every key under ``redis_prefix``. A permanent fault while serving trips ``breaker``.
    """
    if url.startswith("memory://"):
        from bot.stores.memory_store import InMemoryStore

        return InMemoryStore()
    if url.startswith("sqlite:///"):
        from bot.stores.sqlite_store import SqliteStore

        return await SqliteStore.open(url.removeprefix("sqlite:///"), breaker)
    if url.startswith(("redis://", "rediss://")):
        from bot.stores.redis_store import RedisStore

        return await RedisStore.open(url, retention_seconds, breaker, prefix=redis_prefix)
    raise StoreUnavailable(
        f"CRAMPBOT_STORE: unsupported URL {url!r}; use sqlite:///PATH, redis://HOST:PORT/DB or memory://"
    )
