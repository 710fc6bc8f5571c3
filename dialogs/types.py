"""The seam between the core and the adapters: small frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationKey:
    """Who a conversation belongs to: one interview per person per platform."""

    platform: str
    user: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user}"

    @classmethod
    def parse(cls, text: str) -> ConversationKey:
        """Read ``platform:user``; raise ``ValueError`` when either part is missing."""
        platform, sep, user = text.partition(":")
        if not sep or not platform or not user:
            raise ValueError(f"not a conversation key (want platform:user): {text!r}")
        return cls(platform=platform, user=user)


@dataclass(frozen=True, slots=True, kw_only=True)
class Incoming:
    """One thing the person did: typed text, pressed option(s), or a command.

    ``question`` and ``step`` come with button presses so that a press on a
    stale button is never applied to another question. ``event_id`` is the
    platform's id for the delivery, used to apply a redelivered event once.
    ``action`` says what a press does: ``answer`` submits ``choice``;
    ``toggle`` ticks or unticks the one option in ``choice`` in the stored
    draft; ``done`` submits the stored draft. ``ref`` is the platform
    reference of the message whose control was pressed, so a stale copy
    can lose its controls.
    """

    text: str | None = None
    choice: tuple[str, ...] | None = None
    command: str | None = None
    args: str = ""
    question: str | None = None
    step: int | None = None
    event_id: str | None = None
    action: Literal["answer", "toggle", "done"] = "answer"
    ref: str | None = None

    @classmethod
    def from_text(cls, line: str, event_id: str | None = None) -> Incoming:
        """Turn a typed line into a command (``/back``, ``/start@bot x``) or text."""
        stripped = line.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, rest = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            if name.isidentifier():
                return cls(command=name, args=rest.strip(), event_id=event_id)
        return cls(text=line, event_id=event_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One answer the person can pick."""

    id: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """Ask the person something; ``step`` goes into buttons to detect stale presses.

    ``number`` counts the questions so far and ``total`` is the engine's
    estimate of how many this interview will ask (0 for prompts).
    ``selected`` is the stored draft of a multi-choice question.
    ``previous`` is the platform reference of the copy already showing this
    conversation's question: the adapter removes its controls (or, after a
    toggle, redraws it in place); ``None`` when there is nothing to clear.
    ``on_screen`` says ``previous`` is this very question, already shown (the
    answer to a replayed event): the adapter sends no new copy; it may redraw
    that one in place, or do nothing.
    ``locale`` (on every reply) is the language the engine spoke: a front end
    draws its own labels for the reply in it (see ``Engine.texts_of``).
    """

    id: str
    text: str
    options: tuple[Option, ...]
    multi: bool
    step: int
    number: int
    hint: str = ""
    total: int = 0
    selected: tuple[str, ...] = ()
    previous: str | None = None
    on_screen: bool = False
    locale: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Anything else the bot says. ``kind="error"`` marks an answer it could not use.

    ``answered`` echoes what was understood (``question`` is its id); ``closed``
    and ``notice`` answer a tap that changes nothing (a stale control, Done with
    nothing ticked): a short notice (toast or ephemeral), and no question follows.
    ``previous`` is the platform reference of a question copy whose controls must
    go (marked answered for ``answered``). ``key`` is the locale's message key the
    text came from, so a front end may show its own variant (the terminal's help).
    """

    text: str
    kind: Literal["info", "error", "answered", "closed", "notice"] = "info"
    question: str | None = None
    key: str | None = field(default=None, compare=False)
    previous: str | None = None
    locale: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One titled part of an outcome, with the source ids behind its lines."""

    title: str
    lines: tuple[str, ...]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The end of an interview: how urgently to act, what it may be, what to do.

    ``headline`` is the title, then the ``instruction`` for the urgency (said
    once, never contradicted), then what the person said. ``sections`` and
    ``text`` are the full form; ``short`` and ``short_text`` the short form
    that fits one phone screen (what it may be, at most three things to do
    now, the signs that mean calling the emergency number). ``step`` is the
    step token for its controls ("More details", "Sources"), like a question's.
    ``sources_title`` heads the ``citations``, in the person's language.
    ``on_screen`` says it is already shown (the answer to a replayed event): the
    adapter sends no second copy.
    """

    category: str
    urgency: str
    also: tuple[str, ...]
    headline: str
    sections: tuple[Section, ...]
    sources: tuple[str, ...]
    disclaimer: str
    text: str = field(default="", compare=False)
    citations: tuple[tuple[str, str], ...] = ()
    title: str = ""
    instruction: str = ""
    short: tuple[Section, ...] = ()
    short_text: str = field(default="", compare=False)
    step: int = 0
    sources_title: str = ""
    on_screen: bool = False
    locale: str = field(default="", compare=False)


Reply = Question | Message | Outcome
