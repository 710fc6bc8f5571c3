"""Telegram rendering of the engine's replies: HTML text, inline keyboards, command lists.

Pure functions, no I/O: every word comes from the engine's replies or the
content's texts; only button decoration (a check mark) lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.platforms import buttons
from bot.platforms.chat import cited, pack
from dialogs import Outcome, Question, Section, Texts

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
    "language",
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
    """An inline keyboard serialised once, not walked by PTB's ``to_dict`` on every send."""

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
    # gets the same one (steps are record versions, so small numbers repeat).
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


def _sources_html(citations: Iterable[tuple[str, str]], label: str) -> str:
    listed = "; ".join(escape(line) for line in cited(citations))
    return f"<b>{escape(label)}:</b> {listed}"


def outcome_messages(outcome: Outcome, texts: Texts) -> list[str]:
    """The outcome as Telegram HTML: one message, or several split between sections if too long."""
    blocks = [f"<b>{escape(outcome.headline)}</b>"]
    blocks += [_section_html(s) for s in outcome.sections]
    blocks.append(_sources_html(outcome.citations, texts.outcome["sources"]))
    blocks.append(f"<i>{escape(outcome.disclaimer)}</i>")
    return pack(blocks, LIMIT)


def factsheet_html(
    section: Section, texts: Texts, citations: Iterable[tuple[str, str]]
) -> list[str]:
    """A public fact sheet: the advice lines and their sources."""
    blocks = [_section_html(section, titled=False)]
    blocks.append(_sources_html(citations, texts.outcome["sources"]))
    return pack(blocks, LIMIT)


def commands(texts: Texts, names: Iterable[str]) -> list[BotCommand]:
    """Bot commands with their descriptions from the content."""
    return [BotCommand(name, texts.messages[f"command_{name}"][:256]) for name in names]
