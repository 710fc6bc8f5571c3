"""Button data shared by the chat front ends: every format declared once, with pack and parse.

Telegram allows 64 bytes of ``callback_data`` and Discord 100 characters of
``custom_id``; every format here packs into at most 64 bytes, checked when packed.

- ``cb:<kind>:<step>:<question>:<payload>`` (:data:`BUTTON`): ``pick`` and
  ``toggle`` (payload is one option id) and ``done`` (payload ``draft``: Done
  submits the selection stored on the server, never one carried in a button);
- ``cbsel:<step>:<question>`` (:data:`SELECT`): Discord's select menu of a
  multi question (the values are option ids);
- ``cbout:<step>:<view>`` (:data:`OUTCOME`): "More details" and "Sources" on an
  outcome; ``view`` is what to show after the press (``d`` details, ``s``
  sources, ``ds`` both), so a press is the same whenever it is delivered;
- ``cbdm`` (:data:`DM`): Discord's "continue in DMs".

Discord's click routing parses these with :data:`PICK`, :data:`TOGGLE` and
:data:`DONE` (the kinds of :data:`BUTTON` one by one) as templates.

Anything that does not parse is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dialogs import Incoming, Question

LIMIT = 64
KINDS = ("pick", "toggle", "done")
_STEP = r"(?P<step>\d{1,12})"
_QUESTION = r"(?P<question>[a-z_]{1,24})"
_PAYLOAD = r"(?P<payload>[a-z0-9_]{1,24})"


@dataclass(frozen=True, slots=True)
class Format:
    """One button data format: ``template`` is the regular expression that parses it,
    ``layout`` the ``str.format`` that packs it."""

    template: str
    layout: str

    def pack(self, **fields: object) -> str:
        """The data for ``fields``; a value that breaks the format or the length is a bug."""
        data = self.layout.format(**fields)
        if not re.fullmatch(self.template, data) or len(data.encode()) > LIMIT:
            raise ValueError(f"button data does not fit its format: {data!r}")
        return data

    def parse(self, data: str | None) -> dict[str, str] | None:
        """The fields of ``data``, or ``None`` when it is not of this format."""
        match = re.fullmatch(self.template, data or "")
        return match.groupdict() if match else None


BUTTON = Format(
    rf"cb:(?P<kind>pick|toggle|done):{_STEP}:{_QUESTION}:{_PAYLOAD}",
    "cb:{kind}:{step}:{question}:{payload}",
)
PICK = Format(rf"cb:pick:{_STEP}:{_QUESTION}:{_PAYLOAD}", "cb:pick:{step}:{question}:{payload}")
SELECT = Format(rf"cbsel:{_STEP}:{_QUESTION}", "cbsel:{step}:{question}")
OUTCOME = Format(rf"cbout:{_STEP}:(?P<view>d|s|ds)", "cbout:{step}:{view}")
DRAFT = "draft"
ACTIONS: dict[str, Literal["answer", "toggle", "done"]] = {
    "pick": "answer",
    "toggle": "toggle",
    "done": "done",
}
DM = Format("cbdm", "cbdm")
TOGGLE = Format(
    rf"cb:toggle:{_STEP}:{_QUESTION}:{_PAYLOAD}", "cb:toggle:{step}:{question}:{payload}"
)
DONE = Format(rf"cb:done:{_STEP}:{_QUESTION}:{DRAFT}", "cb:done:{step}:{question}:" + DRAFT)


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded button press."""

    kind: str
    step: int
    question: str
    payload: str

    def incoming(self, event_id: str | None, ref: str | None = None) -> Incoming:
        """The engine event: pick answers, toggle ticks one option, done submits the draft;
        ``ref`` is the platform's reference of the pressed message."""
        action = ACTIONS[self.kind]
        return Incoming(
            choice=() if action == "done" else (self.payload,),
            question=self.question,
            step=self.step,
            event_id=event_id,
            action=action,
            ref=ref,
        )


def encode(kind: str, step: int, question: str, payload: str) -> str:
    return BUTTON.pack(kind=kind, step=step, question=question, payload=payload)


def pick(question: Question, option: str) -> str:
    return encode("pick", question.step, question.id, option)


def toggle(question: Question, option: str) -> str:
    """Data for the tick box of ``option``: each press flips it in the stored draft."""
    return encode("toggle", question.step, question.id, option)


def done(question: Question) -> str:
    return encode("done", question.step, question.id, DRAFT)


def outcome(step: int, view: str) -> str:
    """Data for an outcome button that shows ``view`` (``d``, ``s`` or ``ds``)."""
    return OUTCOME.pack(step=step, view=view)


def decode(data: str | None) -> Press | None:
    """Parse button data; ``None`` for anything that is not ours or is malformed."""
    fields = BUTTON.parse(data)
    if fields is None:
        return None
    return Press(fields["kind"], int(fields["step"]), fields["question"], fields["payload"])
