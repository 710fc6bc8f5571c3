"""The retention sweep: forget conversations nobody has touched for the retention period.

Processes sharing a store take turns through the store's ``retention`` lease: the
one holding it sweeps, the others skip their round; when the holder stops, or
dies and its lease expires, another takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from dialogs import ConversationStore

log = logging.getLogger(__name__)

LEASE = "retention"
LEASE_FACTOR = 1.5
"""The lease outlasts one interval by half of one, so a sweep running late keeps it."""


async def sweep_forever(
    store: ConversationStore,
    retention_seconds: float,
    stop: asyncio.Event,
    holder: str,
    interval: float = 3600.0,
    clock: Callable[[], float] = time.time,
    lease_seconds: float | None = None,
) -> None:
    """Purge records idle over ``retention_seconds`` now and every ``interval`` until ``stop``,
    in the rounds when ``holder`` holds the store's retention lease (for ``lease_seconds``,
    by default :data:`LEASE_FACTOR` intervals); gives the lease up when stopped.

    A failing sweep is logged and retried on the next round, so the bot keeps running.
    """
    seconds = interval * LEASE_FACTOR if lease_seconds is None else lease_seconds
    try:
        while not stop.is_set():
            try:
                if await store.lease(LEASE, holder, seconds):
                    count = await store.purge(clock() - retention_seconds)
                    log.info("retention sweep removed %d conversation(s)", count)
                else:
                    log.debug("retention sweep skipped: another process holds its lease")
            except Exception as exc:  # any store's error: log it, keep the bot running, retry later
                log.warning("retention sweep failed (%s); retrying later", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        with contextlib.suppress(Exception):  # unreachable store: the lease expires by itself
            await store.release(LEASE, holder)
