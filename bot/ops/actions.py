"""What operators can do, for the shell (``crampbot admin``) and for chat (``/op``) alike.

Every action works on the store, so it takes effect in every bot process that
shares it, and every action is written to the audit log (never answers).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dialogs import (
    FORGOTTEN,
    OUTCOME_STATE,
    STOPPED_STATE,
    AuditEntry,
    Conversation,
    Engine,
    Interview,
)


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Actor:
    """Who did an operator action and from where (``telegram:42`` in a private chat, ``cli@host``)."""

    who: str
    origin: str


class Operations:
    """Operator use-cases on one engine and its store."""

    def __init__(self, engine: Engine, retention_days: float = 30.0) -> None:
        self.engine = engine
        self.retention_days = retention_days

    @property
    def store(self) -> Any:
        return self.engine.store

    async def audit(self, actor: Actor, action: str, key: str = "", result: str = "") -> None:
        await self.store.add_audit(
            AuditEntry(time.time(), actor.who, actor.origin, action, key, result)
        )

    def describe(self, record: Conversation) -> dict[str, Any]:
        """One conversation as ``crampbot admin show --json`` prints it (see the contract)."""
        interview: Interview = self.engine.interview
        outcome = None
        if record.state == OUTCOME_STATE and interview.knows(record):
            verdict = interview.content.rules.verdict(record.answers)
            outcome = {
                "category": verdict.rule.category,
                "urgency": verdict.urgency,
                "also": [r.category for r in verdict.also],
            }
        return {
            "key": record.key,
            "state": record.state,
            "answers": {
                q: list(a) if isinstance(a, tuple) else a for q, a in record.answers.items()
            },
            "outcome": outcome,
            "dialog_version": record.dialog_version,
            "created_at": iso(record.created_at),
            "updated_at": iso(record.updated_at),
            "version": record.version,
            "pending": record.pending,
            "inactive": record.inactive,
        }

    async def records(self) -> list[dict[str, Any]]:
        return [self.describe(r) async for r in self.store.scan()]

    async def show(self, actor: Actor, key: str) -> dict[str, Any] | None:
        record = await self.store.load(key)
        await self.audit(actor, "show", key, "found" if record else "missing")
        return self.describe(record) if record else None

    async def status(self, actor: Actor) -> dict[str, Any]:
        """Counts: active, finished, stopped, expired; per state, per outcome, per content version."""
        now = time.time()
        idle_after = self.engine.idle_after
        states: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        versions: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        async for record in self.store.scan():
            states[record.state] += 1
            versions[record.dialog_version] += 1
            if record.state == OUTCOME_STATE:
                totals["finished"] += 1
                described = self.describe(record)["outcome"]
                if described:
                    outcomes[described["category"]] += 1
            elif record.state == STOPPED_STATE:
                totals["stopped"] += 1
            elif now - record.updated_at > idle_after:
                totals["expired"] += 1
            else:
                totals["active"] += 1
        await self.audit(actor, "status")
        return {
            "active": totals["active"],
            "finished": totals["finished"],
            "stopped": totals["stopped"],
            "expired": totals["expired"],
            "states": dict(states.most_common()),
            "outcomes": dict(outcomes.most_common()),
            "dialog_versions": dict(versions.most_common()),
            "current_version": self.engine.interview.version,
        }

    async def restart(self, actor: Actor, key: str) -> bool:
        done = await self.engine.restart(key)
        await self.audit(actor, "restart", key, "done" if done else "missing")
        return done

    async def restart_all(self, actor: Actor) -> int:
        keys = [r.key async for r in self.store.scan()]
        count = 0
        for key in keys:
            count += await self.engine.restart(key)
        await self.audit(actor, "restart_all", "", f"{count} restarted")
        return count

    async def forget(self, actor: Actor, key: str) -> bool:
        """Delete a person's data; the audit entry does not name them afterwards either."""
        done = await self.engine.forget(key)
        await self.audit(actor, "forget", FORGOTTEN, "done" if done else "missing")
        return done

    async def purge(self, actor: Actor) -> int:
        count = int(await self.store.purge(time.time() - self.retention_days * 86400))
        await self.audit(actor, "purge", "", f"{count} purged")
        return count

    async def entries(self, limit: int = 20, refused: bool = False) -> list[AuditEntry]:
        """The newest operator actions, or (``refused``) the newest refused attempts."""
        entries: list[AuditEntry] = await self.store.audit(limit, refused)
        return entries
