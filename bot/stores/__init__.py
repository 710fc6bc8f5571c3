"""Conversation stores, chosen by URL: ``sqlite:///PATH``, ``redis://HOST:PORT/DB``, ``memory://``."""

from __future__ import annotations

from dialogs import ConversationStore, StoreUnavailable


async def open_store(url: str, retention_seconds: float = 30 * 86400.0) -> ConversationStore:
    """Open the store ``url`` names; raise :class:`StoreUnavailable` when it cannot be used.

    Redis also expires each record by itself after ``retention_seconds`` idle.
    """
    if url.startswith("memory://"):
        from bot.stores.memory_store import InMemoryStore

        return InMemoryStore()
    if url.startswith("sqlite:///"):
        from bot.stores.sqlite_store import SqliteStore

        return await SqliteStore.open(url.removeprefix("sqlite:///"))
    if url.startswith(("redis://", "rediss://")):
        from bot.stores.redis_store import RedisStore

        return await RedisStore.open(url, retention_seconds)
    raise StoreUnavailable(
        f"CRAMPBOT_STORE: unsupported URL {url!r}; use sqlite:///PATH, redis://HOST:PORT/DB or memory://"
    )
