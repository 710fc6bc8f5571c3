"""Prometheus metrics of one running bot, in a registry of its own.

Recorded in one place per concept: :class:`Metrics` is the engine's observer
(events, replies, errors, outcomes, step latency), conversations stored are
counted on each scrape, and rate-limit waits come from the one log line each
chat library writes when it waits (:class:`RateLimitCounter`). Every label is
from a closed set of names, so no key, text or answer can ever become a label.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from dialogs import ConversationStore, Step

PLATFORMS = frozenset({"telegram", "discord", "console"})
# Step latency buckets, in seconds: a step is a store round trip or two.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# The loggers whose "rate limit ... Retrying" lines mean a wait, and their platform.
RATE_LIMIT_LOGGERS = {"bot.platforms.telegram.fairness": "telegram", "discord.http": "discord"}


def platform_label(platform: str) -> str:
    """``platform`` if it is one we know, else ``other``: a label never holds what a caller made up."""
    return platform if platform in PLATFORMS else "other"


class Metrics:
    """The bot's metrics; ``stepped`` makes it the engine's :class:`~dialogs.Observer`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter(
            "crampbot_events",
            "Events handled, by platform and kind",
            ["platform", "kind"],
            registry=r,
        )
        self.replies = Counter(
            "crampbot_replies", "Replies the engine returned, by platform", ["platform"], registry=r
        )
        self.errors = Counter(
            "crampbot_errors", "Events that failed, by cause", ["cause"], registry=r
        )
        self.outcomes = Counter(
            "crampbot_outcomes",
            "Interviews finished, by outcome category and urgency",
            ["category", "urgency"],
            registry=r,
        )
        self.step_seconds = Histogram(
            "crampbot_step_seconds", "Time to handle one event", buckets=BUCKETS, registry=r
        )
        self.conversations = Gauge(
            "crampbot_conversations", "Conversations in the store (counted on scrape)", registry=r
        )
        self.rate_limit_waits = Counter(
            "crampbot_rate_limit_waits",
            "Waits imposed by a platform's rate limit",
            ["platform"],
            registry=r,
        )
        # Each step's counters by (platform label, kind), a closed set: ``labels`` checks and
        # locks on every call.
        self._step_counters: dict[tuple[str, str], tuple[Counter, Counter]] = {}

    def stepped(self, step: Step) -> None:
        platform = platform_label(step.platform)
        counters = self._step_counters.get((platform, step.kind))
        if counters is None:
            counters = (self.events.labels(platform, step.kind), self.replies.labels(platform))
            self._step_counters[platform, step.kind] = counters
        counters[0].inc()
        counters[1].inc(step.replies)
        self.step_seconds.observe(step.seconds)
        if step.error is not None:
            self.errors.labels(step.error).inc()
        if step.outcome is not None:
            self.outcomes.labels(*step.outcome).inc()

    async def scrape(self, store: ConversationStore) -> bytes:
        """The text exposition, with the stored conversations counted now.

        The store count raises :class:`~dialogs.StoreUnavailable` when the store is down;
        the gauge then keeps its last value.
        """
        self.conversations.set(await store.count())
        return self.exposition()

    def exposition(self) -> bytes:
        """The text exposition as it stands."""
        return generate_latest(self.registry)


class RateLimitCounter(logging.Handler):
    """Counts the libraries' rate-limit wait lines; writes nothing itself.

    ``install`` attaches it to the loggers of :data:`RATE_LIMIT_LOGGERS` and lets
    their records through from ``INFO``, the level our Telegram limiter writes its
    wait line at (that line holds no payload, so it may reach the log too).
    """

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.DEBUG)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        platform = RATE_LIMIT_LOGGERS.get(record.name)
        line = str(record.msg).lower()
        if platform and "rate limit" in line and "retrying" in line:
            self.metrics.rate_limit_waits.labels(platform).inc()

    def install(self) -> None:
        for name in RATE_LIMIT_LOGGERS:
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)  # the wait line carries no payload
            logger.addHandler(self)

    def remove(self) -> None:
        for name in RATE_LIMIT_LOGGERS:
            logging.getLogger(name).removeHandler(self)
