"""Telegram rendering of the engine's replies: HTML text, inline keyboards, command lists.

Pure functions, no I/O: every word comes from the engine's replies or the
content's texts; only button decoration (a check mark) lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot import buttons
from dialogs.content import Texts
from dialogs.types import Outcome, Question, Section

LIMIT = 4096
CHECKED = "✅ "
ANSWER_MARK = "➡️ "
PRIVATE_COMMANDS = (
    "start",
    "back",
    "restart",
    "stop",
    "forget",
    "help",
    "about",
    "cramps",
    "crampinfo",
)
GROUP_COMMANDS = ("cramps", "crampinfo", "help", "about")


# Wording the content does not hold (yet); a locale may override each under ``messages``.
def question_html(question: Question) -> str:
    """The question in bold with its hint in italics."""
    text = f"<b>{escape(question.text)}</b>"
    return f"{text}\n<i>{escape(question.hint)}</i>" if question.hint else text


def answered_html(question_html: str, answer: str) -> str:
    """The question message once answered: the question, then the answer, no buttons."""
    return f"{question_html}\n\n{ANSWER_MARK}<b>{escape(answer)}</b>"


def keyboard(
    question: Question, texts: Texts, chosen: frozenset[str] = frozenset()
) -> InlineKeyboardMarkup:
    """One button per option; a multi question toggles (chosen ones checked) and has Done."""
    return _keyboard(question, texts.messages["button_done"], chosen)


class _Keyboard(InlineKeyboardMarkup):
    """An inline keyboard serialised once: PTB's ``to_dict`` walk costs ~70 us per send."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[Sequence[InlineKeyboardButton]]) -> None:
        super().__init__(rows)
        with self._unfrozen():
            self._rows = super().to_dict()["inline_keyboard"]

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        # Fresh containers each time: the caller may change what it gets.
        return {"inline_keyboard": [[dict(b) for b in row] for row in self._rows]}


@lru_cache(maxsize=1024)
def _keyboard(question: Question, done_label: str, chosen: frozenset[str]) -> InlineKeyboardMarkup:
    # Cached: markups are immutable, and everyone at the same step of a question
    # gets the same one (steps are record versions, so small numbers repeat; the
    # benchmark's 200 interviews use 24). ~10 KB an entry with its serialised form.
    rows = []
    for option in question.options:
        if question.multi:
            label = (CHECKED if option.id in chosen else "") + option.label
            data = buttons.toggle(question, chosen, option.id)
        else:
            label, data = option.label, buttons.pick(question, option.id)
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    if question.multi:
        done = InlineKeyboardButton(done_label, callback_data=buttons.done(question, chosen))
        rows.append([done])
    return _Keyboard(rows)


def invite_markup(url: str, texts: Texts) -> InlineKeyboardMarkup:
    """The group reply's single button: a deep link into the private chat."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.messages["button_private"], url=url)]])


def _section_html(section: Section, titled: bool = True) -> str:
    head = f"<b>{escape(section.title)}</b>\n" if titled else ""
    return head + "\n".join(f"• {escape(line)}" for line in section.lines)


def _sources_html(ids: Iterable[str], names: Mapping[str, str], label: str) -> str:
    listed = "; ".join(f"{escape(sid)} ({escape(names.get(sid, sid))})" for sid in ids)
    return f"<b>{escape(label)}:</b> {listed}"


def outcome_messages(outcome: Outcome, texts: Texts, source_names: Mapping[str, str]) -> list[str]:
    """The outcome as Telegram HTML: one message, or several split between sections if too long."""
    blocks = [f"<b>{escape(outcome.headline)}</b>"]
    blocks += [_section_html(s) for s in outcome.sections]
    blocks.append(_sources_html(outcome.sources, source_names, texts.outcome["sources"]))
    blocks.append(f"<i>{escape(outcome.disclaimer)}</i>")
    return pack(blocks)


def factsheet_html(section: Section, texts: Texts, source_names: Mapping[str, str]) -> list[str]:
    """A public fact sheet: the advice lines and their sources."""
    blocks = [_section_html(section, titled=False)]
    blocks.append(_sources_html(section.sources, source_names, texts.outcome["sources"]))
    return pack(blocks)


def pack(blocks: list[str], limit: int = LIMIT) -> list[str]:
    """Join blocks with blank lines into as few messages of at most ``limit`` characters as fit.

    Blocks are never cut while they fit in one message; a longer block is cut
    between lines (or, failing that, hard) so no message is ever too long.
    """
    pieces: list[str] = []
    for block in blocks:
        pieces.extend([block] if len(block) <= limit else _cut(block, limit))
    messages: list[str] = []
    for piece in pieces:
        if messages and len(messages[-1]) + 2 + len(piece) <= limit:
            messages[-1] += "\n\n" + piece
        else:
            messages.append(piece)
    return messages


def _cut(block: str, limit: int) -> list[str]:
    parts: list[str] = []
    for line in block.split("\n"):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        if parts and len(parts[-1]) + 1 + len(line) <= limit:
            parts[-1] += "\n" + line
        else:
            parts.append(line)
    return parts


def commands(texts: Texts, names: Iterable[str]) -> list[BotCommand]:
    """Bot commands with their descriptions from the content."""
    return [BotCommand(name, texts.messages[f"command_{name}"][:256]) for name in names]
