"""Button data shared by the chat adapters: question, option(s) and step token in a short string.

Telegram allows 64 bytes of ``callback_data`` and Discord 100 characters of
``custom_id``. The format is ``cb:<kind>:<step>:<question>:<payload>``:

- ``pick``: payload is one option id (single questions and prompts);
- ``toggle``: payload is the hex bit mask of options chosen after the press;
- ``done``: payload is the hex bit mask of the chosen options (multi questions).

Option masks index the question's options in content order, so the data stays
short whatever the labels are. Anything that does not parse is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialogs.types import Incoming, Question

PREFIX = "cb"
KINDS = ("pick", "toggle", "done")
_PATTERN = re.compile(r"^cb:(pick|toggle|done):(\d{1,12}):([a-z_]{1,24}):([a-z0-9_]{1,24})$")


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
    data = f"{PREFIX}:{kind}:{step}:{question}:{payload}"
    assert _PATTERN.match(data) and len(data.encode()) <= 64, data
    return data


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
    match = _PATTERN.match(data or "")
    if not match:
        return None
    kind, step, question, payload = match.groups()
    return Press(kind, int(step), question, payload)


def _mask(payload: str) -> int | None:
    try:
        return int(payload, 16)
    except ValueError:
        return None
