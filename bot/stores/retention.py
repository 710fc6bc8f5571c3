"""The retention sweep: forget conversations nobody has touched for the retention period."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from dialogs import ConversationStore

log = logging.getLogger(__name__)


async def sweep_forever(
    store: ConversationStore,
    retention_seconds: float,
    stop: asyncio.Event,
    interval: float = 3600.0,
    clock: Callable[[], float] = time.time,
) -> None:
    """Purge records idle over ``retention_seconds`` now and every ``interval`` until ``stop``.

    A failing sweep is logged and retried on the next round, so the bot keeps running.
    """
    while not stop.is_set():
        try:
            count = await store.purge(clock() - retention_seconds)
        except Exception as exc:  # any store's error: log it, keep the bot running, retry later
            log.warning("retention sweep failed (%s); retrying later", type(exc).__name__)
        else:
            log.info("retention sweep removed %d conversation(s)", count)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
