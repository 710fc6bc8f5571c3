"""Button data shared by the chat front ends: every format declared once, with pack and parse.

Telegram allows 64 bytes of ``callback_data`` and Discord 100 characters of
``custom_id``; every format here packs into at most 64 bytes, checked when packed.

- ``cb:<kind>:<step>:<question>:<payload>`` (:data:`BUTTON`): ``pick`` (payload
  is one option id), ``toggle`` (the hex bit mask of options chosen after the
  press) and ``done`` (the hex mask of the chosen options);
- ``cbsel:<step>:<question>`` (:data:`SELECT`): Discord's select menu of a
  multi question (the values are option ids);
- ``cbdm`` (:data:`DM`): Discord's "continue in DMs";
- ``cbtick:<step>:<question>:<option>`` (:data:`TICK`) and ``cbdone:<step>:<question>``
  (:data:`DONE`): Discord's ticks of a multi question, kept in the stored draft;
- ``cbout:<outcome>:<view>`` (:data:`EXPAND`): Discord's "More details" and
  "Sources" on an outcome (``<outcome>`` tells the outcome apart, ``<view>`` what to show).

Option masks index the question's options in content order, so the data stays
short whatever the labels are. Anything that does not parse is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialogs import Incoming, Question

LIMIT = 64
KINDS = ("pick", "toggle", "done")
_STEP = r"(?P<step>\d{1,12})"
_QUESTION = r"(?P<question>[a-z_]{1,24})"
_PAYLOAD = r"(?P<payload>[a-z0-9_]{1,24})"


@dataclass(frozen=True, slots=True)
class Format:
    """One button data format: ``template`` is the regular expression (Discord's
    ``DynamicItem`` templates take it as is), ``layout`` the ``str.format`` that packs it."""

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
DM = Format("cbdm", "cbdm")
TICK = Format(rf"cbtick:{_STEP}:{_QUESTION}:{_PAYLOAD}", "cbtick:{step}:{question}:{payload}")
DONE = Format(rf"cbdone:{_STEP}:{_QUESTION}", "cbdone:{step}:{question}")
EXPAND = Format(r"cbout:(?P<outcome>[0-9a-f]{8}):(?P<view>[a-z]{1,8})", "cbout:{outcome}:{view}")


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded button press."""

    kind: str
    step: int
    question: str
    payload: str

    def chosen(self, question: Question) -> tuple[str, ...] | None:
        """The option ids this press stands for, against ``question``'s options."""
        ids = [o.id for o in question.options]
        if self.kind == "pick":
            return (self.payload,)
        mask = _mask(self.payload)
        if mask is None or mask >> len(ids):
            return None
        return tuple(o for i, o in enumerate(ids) if mask >> i & 1)

    def incoming(self, options: tuple[str, ...], event_id: str | None) -> Incoming:
        return Incoming(choice=options, question=self.question, step=self.step, event_id=event_id)


def encode(kind: str, step: int, question: str, payload: str) -> str:
    return BUTTON.pack(kind=kind, step=step, question=question, payload=payload)


def pick(question: Question, option: str) -> str:
    return encode("pick", question.step, question.id, option)


def mask_of(question: Question, chosen: tuple[str, ...] | frozenset[str]) -> str:
    return format(sum(1 << i for i, o in enumerate(question.options) if o.id in chosen), "x")


def toggle(question: Question, chosen: frozenset[str], option: str) -> str:
    """Data for the button of ``option``: the mask after toggling it."""
    after = chosen ^ {option}
    return encode("toggle", question.step, question.id, mask_of(question, after))


def done(question: Question, chosen: frozenset[str]) -> str:
    return encode("done", question.step, question.id, mask_of(question, chosen))


def decode(data: str | None) -> Press | None:
    """Parse button data; ``None`` for anything that is not ours or is malformed."""
    fields = BUTTON.parse(data)
    if fields is None:
        return None
    return Press(fields["kind"], int(fields["step"]), fields["question"], fields["payload"])


def _mask(payload: str) -> int | None:
    try:
        return int(payload, 16)
    except ValueError:
        return None
