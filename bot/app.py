"""The composition root: build content, store and engine from settings, once."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.ops.metrics import Metrics
from bot.settings import Settings, SettingsError
from bot.stores import open_store
from bot.stores.faults import Breaker
from dialogs import ConversationStore, Engine, Interview, load_content

log = logging.getLogger(__name__)


def instance_name() -> str:
    """``<hostname>:<pid>:<6 hex>``: unique among processes, and telling an operator which one."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class App:
    """Everything a running bot shares: settings, the store and the engine.

    ``breaker`` trips on the store's first permanent fault; the runner then stops with status 2.
    ``metrics`` is the engine's observer. Each platform adapter registers in
    ``connected`` a probe saying whether it is connected now (``/healthz``).
    ``sync_commands`` forces the Discord command sync (``crampbot run discord --sync``).
    ``instance`` names this process among those sharing the store (the holder of its leases).
    """

    settings: Settings
    store: ConversationStore
    engine: Engine
    breaker: Breaker = field(default_factory=Breaker)
    metrics: Metrics = field(default_factory=Metrics)
    connected: dict[str, Callable[[], bool]] = field(default_factory=dict)
    sync_commands: bool = False
    instance: str = field(default_factory=instance_name)

    async def close(self) -> None:
        await self.store.close()


def load_interview(settings: Settings) -> Interview:
    """Load and validate the content named by the settings (raises ContentError)."""
    return Interview(load_content(Path(settings.content_dir) if settings.content_dir else None))


async def build_app(settings: Settings, interview: Interview | None = None) -> App:
    """Open the store and build the engine; raises StoreUnavailable or ContentError."""
    interview = interview or load_interview(settings)
    locales = interview.content.locales
    if interview.content.known_locale(settings.locale) is None:
        available = ", ".join(sorted(locales))
        raise SettingsError(
            "locale", f"no {settings.locale!r} in the content; available: {available}"
        )
    breaker = Breaker()
    store = await open_store(
        settings.store, settings.retention_days * 86400, breaker, settings.redis_prefix
    )
    metrics = Metrics()
    engine = Engine(
        interview,
        store,
        idle_after=settings.idle_hours * 3600,
        observer=metrics,
        default_locale=settings.locale,
    )
    log.info("content %s loaded; store %s", interview.version, settings.store.split("://")[0])
    return App(settings, store, engine, breaker, metrics)
