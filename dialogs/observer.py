"""What the engine tells an observer after each event: counts for metrics, never content.

The engine calls :meth:`Observer.stepped` once per handled event with a
:class:`Step`. A step holds only closed sets of names (the platform, the kind
of event, the outcome's category and urgency, an error cause) and numbers:
never a conversation key, a text or an answer, so whatever records it cannot leak them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

EventKind = Literal["command", "button", "text"]
ErrorCause = Literal["store_unavailable", "conflict", "record_unreadable", "content_changed"]


@dataclass(frozen=True, slots=True)
class Step:
    """One handled event: where it came from, what it was, how long it took, what it gave."""

    platform: str
    kind: EventKind
    seconds: float
    replies: int
    outcome: tuple[str, str] | None = None
    """(category, urgency) when this event finished an interview."""
    error: ErrorCause | None = None


class Observer(Protocol):
    """Receives a :class:`Step` per event (metrics); must not raise or block."""

    def stepped(self, step: Step) -> None: ...
