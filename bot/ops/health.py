"""The health and metrics endpoint: a small aiohttp server, on when CRAMPBOT_HEALTH_PORT is set.

``GET /healthz`` answers 200 when the store answers a ping and every platform
this process serves is connected, else 503; the JSON body says which part is
not. ``GET /metrics`` is the Prometheus text format of :class:`bot.ops.metrics.Metrics`.
Neither ever shows a key, a text or an answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from dialogs import StoreBroken, StoreUnavailable

log = logging.getLogger(__name__)

PING_TIMEOUT = 3.0


async def health(app: App, platforms: Iterable[str]) -> tuple[bool, dict[str, object]]:
    """Whether the bot can serve now, and the body saying so part by part."""
    try:
        await asyncio.wait_for(app.store.ping(), PING_TIMEOUT)
        store = "ok"
    except (StoreUnavailable, StoreBroken, TimeoutError) as exc:
        log.debug("health: store ping failed: %s", exc)
        store = "down"
    states = {}
    for platform in platforms:
        probe = app.connected.get(platform)
        states[platform] = "connected" if probe is not None and probe() else "disconnected"
    healthy = store == "ok" and all(s == "connected" for s in states.values())
    body: dict[str, object] = {
        "status": "ok" if healthy else "unavailable",
        "store": store,
        "platforms": states,
    }
    return healthy, body


def build(app: App, platforms: Iterable[str]) -> web.Application:
    """The aiohttp application serving ``/healthz`` and ``/metrics`` for ``app``."""
    serving = tuple(platforms)

    async def healthz(request: web.Request) -> web.Response:
        healthy, body = await health(app, serving)
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        try:
            text = await app.metrics.scrape(app.store)
        except (StoreUnavailable, StoreBroken):  # the gauge keeps its last count
            text = app.metrics.exposition()
        return web.Response(body=text, headers={"Content-Type": CONTENT_TYPE_LATEST})

    server = web.Application()
    server.router.add_get("/healthz", healthz)
    server.router.add_get("/metrics", metrics)
    return server


async def start(app: App, platforms: Iterable[str], listen: str, port: int) -> web.AppRunner:
    """Serve the endpoint on ``listen:port``; the caller cleans the returned runner up.

    Raises ``OSError`` when the port cannot be bound.
    """
    runner = web.AppRunner(build(app, platforms), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("health and metrics on http://%s:%d/healthz and /metrics", listen, port)
    return runner
