"""The conversation record: the small, storable state of one interview."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# How many recently applied platform event ids a record remembers.
RECENT_EVENTS = 16
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode

Answer = str | tuple[str, ...]


class CorruptRecord(ValueError):
    """A stored record that cannot be read back (hand-edited, truncated, ...)."""


@dataclass(slots=True)
class Conversation:
    """One person's interview; the shared state machine steps it as its model.

    ``answers`` keeps the order questions were answered in, so ``/back``
    can return to the last one. ``version`` is the compare-and-set counter a
    store uses, and doubles as the step token put into buttons. ``notice``
    holds a message owed to the person (an operator restart) that is
    delivered with their next reply; ``pending`` names an open yes/no prompt
    (``resume`` after a long pause, ``forget`` before deleting, ``story`` to
    confirm the answers read from a whole story, kept in ``story``).
    ``candidates`` are the options a typed reply to the current question could
    mean (asked back: "which of these?"); ``told`` names the questions a
    confirmed story answered, so ``/back`` can undo the story as a whole.

    ``asked`` is the version at which the current question (or prompt) was
    put: the step token in its buttons, unchanged by ticks, so quick taps on
    one question are never stale. ``shown`` is the platform's opaque
    reference to the message showing it (any process can edit it after a
    restart); ``draft`` the options ticked so far on a multi-choice question.
    Both are cleared whenever the current question changes.

    ``locale`` is the language the person reads: the one they chose with
    ``/language`` (``chose_locale``), otherwise the last one their platform
    reported, so a message that comes without one (a Discord DM) keeps it.
    """

    key: str
    state: str
    dialog_version: str
    created_at: float
    updated_at: float
    answers: dict[str, Answer] = field(default_factory=dict)
    version: int = 0
    recent_events: tuple[str, ...] = ()
    notice: str | None = None
    pending: str | None = None
    inactive: bool = False
    candidates: tuple[str, ...] = ()
    story: dict[str, Answer] = field(default_factory=dict)
    told: tuple[str, ...] = ()
    asked: int = 0
    shown: str | None = None
    draft: tuple[str, ...] = ()
    locale: str | None = None
    chose_locale: bool = False

    def to_json(self) -> str:
        """Serialise for a store; multi answers (tuples) become JSON lists; the
        fields of a question asked back or a story to confirm only while in use."""
        data = {
            "key": self.key,
            "state": self.state,
            "dialog_version": self.dialog_version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "answers": self.answers,
            "version": self.version,
            "recent_events": self.recent_events,
            "notice": self.notice,
            "pending": self.pending,
            "inactive": self.inactive,
            "asked": self.asked,
            "shown": self.shown,
            "draft": self.draft,
            "locale": self.locale,
            "chose_locale": self.chose_locale,
        }
        for name in ("candidates", "story", "told"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return _ENCODE(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Conversation:
        """Parse a stored record; raise :class:`CorruptRecord` on anything off."""
        try:
            data: Any = json.loads(raw)
            answers = _answers(data["answers"])
            record = cls(
                key=_typed(data["key"], str),
                state=_typed(data["state"], str),
                dialog_version=_typed(data["dialog_version"], str),
                created_at=float(data["created_at"]),
                updated_at=float(data["updated_at"]),
                answers=answers,
                version=_typed(data["version"], int),
                recent_events=tuple(_typed(e, str) for e in data.get("recent_events", ())),
                notice=data.get("notice"),
                pending=data.get("pending"),
                inactive=bool(data.get("inactive", False)),
                candidates=tuple(_typed(c, str) for c in data.get("candidates", ())),
                story=_answers(data.get("story", {})),
                told=tuple(_typed(q, str) for q in data.get("told", ())),
                # Records from before these fields: buttons carry the version as step.
                asked=_typed(data.get("asked", data["version"]), int),
                shown=data.get("shown"),
                draft=tuple(_typed(o, str) for o in data.get("draft", ())),
                locale=data.get("locale"),
                chose_locale=bool(data.get("chose_locale", False)),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CorruptRecord(f"unreadable conversation record: {exc}") from exc
        for name in ("notice", "pending", "shown", "locale"):
            if getattr(record, name) is not None and not isinstance(getattr(record, name), str):
                raise CorruptRecord(f"unreadable conversation record: {name} is not text")
        return record

    def copy(self) -> Conversation:
        """A copy to change freely: new dicts; every other field is immutable. Spelled
        out, as it is on a store's hot path (a test checks it copies every field)."""
        return Conversation(
            self.key,
            self.state,
            self.dialog_version,
            self.created_at,
            self.updated_at,
            dict(self.answers),
            self.version,
            self.recent_events,
            self.notice,
            self.pending,
            self.inactive,
            self.candidates,
            dict(self.story),
            self.told,
            self.asked,
            self.shown,
            self.draft,
            self.locale,
            self.chose_locale,
        )

    def remember_event(self, event_id: str | None) -> None:
        """Note a platform event id as applied, keeping only the latest few."""
        if event_id:
            self.recent_events = (*self.recent_events, event_id)[-RECENT_EVENTS:]


def _answers(data: Any) -> dict[str, Answer]:
    """Question id to option id, or to a list of them for a multi question."""
    answers: dict[str, Answer] = {}
    for question, answer in data.items():
        if type(answer) is str:
            answers[question] = answer
        elif type(answer) is list and all(type(a) is str for a in answer):
            answers[question] = tuple(answer)
        else:
            raise TypeError(f"answer to {question} is not option ids")
    return answers


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value
