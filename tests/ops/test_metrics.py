"""``/metrics`` counts exactly what happened, and no label ever holds a key, text or answer."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App, build_app
from bot.ops import health
from bot.settings import load_settings
from dialogs import Content, ConversationKey, Incoming, Outcome, Question, Reply
from dialogs.rules import URGENCIES
from tests.ops.conftest import RedisServer

NIGHT_CRAMPS = ["none", "calf", "night", "seconds", "knot", "none", "none", "none", "weekly"]
KINDS = {"command", "button", "text"}
CAUSES = {"store_unavailable", "conflict", "record_unreadable", "content_changed"}


async def scrape(app: App) -> str:
    async with TestClient(TestServer(health.build(app, []))) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def interview(app: App, key: ConversationKey) -> tuple[int, list[Reply]]:
    """/start, the first answer by button, the rest typed, then /help: (replies seen, last replies)."""
    replies = await app.engine.handle(key, Incoming(command="start"))
    seen = len(replies)
    first = replies[-1]
    assert isinstance(first, Question)
    press = Incoming(choice=(NIGHT_CRAMPS[0],), question=first.id, step=first.step)
    replies = await app.engine.handle(key, press)
    seen += len(replies)
    for text in NIGHT_CRAMPS[1:]:
        replies = await app.engine.handle(key, Incoming(text=text))
        seen += len(replies)
    assert isinstance(replies[-1], Outcome)
    again = await app.engine.handle(key, Incoming(command="help"))  # shows the outcome again
    assert any(isinstance(r, Outcome) for r in again)
    return seen + len(again), replies


async def test_metrics_count_a_scripted_interview_exactly_when_scraped() -> None:
    app = await build_app(load_settings({"CRAMPBOT_STORE": "memory://"}))
    seen, _ = await interview(app, ConversationKey(platform="telegram", user="4242"))
    other = await app.engine.handle(
        ConversationKey(platform="discord", user="77"), Incoming(command="start")
    )
    found = samples(await scrape(app))
    await app.close()

    events = "crampbot_events_total"
    assert found[(events, (("kind", "command"), ("platform", "telegram")))] == 2
    assert found[(events, (("kind", "button"), ("platform", "telegram")))] == 1
    assert found[(events, (("kind", "text"), ("platform", "telegram")))] == len(NIGHT_CRAMPS) - 1
    assert found[(events, (("kind", "command"), ("platform", "discord")))] == 1
    assert found[("crampbot_replies_total", (("platform", "telegram"),))] == seen
    assert found[("crampbot_replies_total", (("platform", "discord"),))] == len(other)
    assert found[("crampbot_step_seconds_count", ())] == len(NIGHT_CRAMPS) + 3
    outcomes = {k: v for k, v in found.items() if k[0] == "crampbot_outcomes_total"}
    assert outcomes == {
        ("crampbot_outcomes_total", (("category", "nocturnal"), ("urgency", "routine"))): 1
    }, "counted once, when reached; not again when shown again"
    assert not [k for k in found if k[0] == "crampbot_errors_total"]
    assert found[("crampbot_conversations", ())] == 2


async def test_no_label_holds_a_key_text_or_answer_when_interviews_ran(content: Content) -> None:
    app = await build_app(load_settings({"CRAMPBOT_STORE": "memory://"}))
    key = ConversationKey(platform="telegram", user="4242")
    await interview(app, key)
    await app.engine.handle("madeup:99", Incoming(text="my secret words"))  # not a platform
    await app.engine.handle(key, Incoming(text="/nonsense please"))
    text = await scrape(app)
    await app.close()

    allowed = (
        {"telegram", "discord", "console", "other"}
        | KINDS
        | CAUSES
        | set(URGENCIES)
        | {rule.category for rule in content.rules.rules}
    )
    said = {*NIGHT_CRAMPS, "my secret words", "nonsense please", "4242", "99", str(key), "madeup"}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for name, value in sample.labels.items():
                if name in ("le", "quantile"):
                    continue
                assert value in allowed, f"{sample.name}{{{name}={value!r}}}"
                assert value not in said - allowed
    # Names, help and labels; not the sample values, whose digits (a latency sum, a
    # creation time) may contain "4242" by chance.
    described = "\n".join(
        line if line.startswith("#") else line.rsplit("}", 1)[0] if "}" in line else line.split()[0]
        for line in text.splitlines()
        if line.strip()
    )
    for secret in ("4242", "secret", "madeup", "nonsense"):
        assert secret not in described


async def test_store_errors_are_counted_by_cause_when_redis_is_down(
    redis_server: RedisServer,
) -> None:
    app = await build_app(load_settings({"CRAMPBOT_STORE": redis_server.url}))
    key = ConversationKey(platform="telegram", user="5")
    await app.engine.handle(key, Incoming(command="start"))
    redis_server.kill()
    replies: list[Any] = await app.engine.handle(key, Incoming(text="none"))
    assert replies and replies[0].kind == "error"
    found = samples(await scrape(app))  # the gauge keeps its last count while Redis is down
    await app.close()
    assert found[("crampbot_errors_total", (("cause", "store_unavailable"),))] == 1
    assert found[("crampbot_events_total", (("kind", "text"), ("platform", "telegram")))] == 1
