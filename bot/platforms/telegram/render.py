"""Telegram rendering of the engine's replies: HTML text, inline keyboards, command lists.

Pure functions, no I/O: every word comes from the engine's replies or the
content's texts; only button decoration (a check mark) lives here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.platforms import buttons
from bot.platforms.chat import cited, pack
from dialogs import Option, Outcome, Question, Section, Texts

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


BUTTON_CHARS = 30
"""About what a phone shows of one button's text; longer labels are shortened on the
button, and the question's message lists every option in full."""


def numbered(question: Question) -> bool:
    """Whether ``question`` lists its options in the message (some label is too long for a button)."""
    return _numbered(question.options)


def _numbered(options: Sequence[Option]) -> bool:
    return any(len(o.label) > BUTTON_CHARS - len(CHECKED) for o in options)


def question_html(question: Question, texts: Texts) -> str:
    """The progress line, the question in bold, its hint in italics and, when some labels are
    too long for a button, every option numbered in full."""
    progress = texts.messages["progress"] if question.total else ""
    return _question_html(
        question.text, question.hint, question.options, question.number, question.total, progress
    )


@lru_cache(maxsize=1024)
def _question_html(
    text: str,
    hint: str | None,
    options: tuple[Option, ...],
    number: int,
    total: int,
    progress: str,
) -> str:
    # Cached by everything it is drawn from: people at the same question see the same text.
    lines = []
    if progress:
        lines.append(f"<i>{escape(progress.format(number=number, total=total))}</i>")
    lines.append(f"<b>{escape(text)}</b>")
    if hint:
        lines.append(f"<i>{escape(hint)}</i>")
    if _numbered(options):
        lines.append("")
        lines += [f"{i}. {escape(o.label)}" for i, o in enumerate(options, 1)]
    return "\n".join(lines)


def answered_html(question: str, answer: str) -> str:
    """The question message once answered: the question, then the answer, no buttons."""
    return f"<b>{escape(question)}</b>\n\n{ANSWER_MARK}{escape(answer)}"


def keyboard(question: Question, texts: Texts) -> InlineKeyboardMarkup:
    """One button per option; a multi question has tick boxes (its draft ticked) and Done."""
    return _keyboard(
        question.id,
        question.step,
        question.options,
        question.multi,
        frozenset(question.selected),
        texts.messages["button_done"],
    )


def button_text(number: int, label: str, numbered: bool) -> str:
    """A button's text: the label, or its number and as much of it as fits a phone."""
    if not numbered:
        return label
    prefix = f"{number}. "
    width = BUTTON_CHARS - len(CHECKED) - len(prefix)
    return prefix + textwrap.shorten(label, width, placeholder="…")


class _Keyboard(InlineKeyboardMarkup):
    """An inline keyboard serialised once, not walked by PTB's ``to_dict`` on every send."""

    __slots__ = ("_json", "_rows")

    def __init__(self, rows: Sequence[Sequence[InlineKeyboardButton]]) -> None:
        super().__init__(rows)
        with self._unfrozen():
            self._rows = super().to_dict()["inline_keyboard"]
            self._json = super().to_json()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        # Fresh containers each time: the caller may change what it gets.
        return {"inline_keyboard": [[dict(b) for b in row] for row in self._rows]}

    def to_json(self) -> str:
        """The JSON text PTB would send for it, computed once."""
        return self._json


@lru_cache(maxsize=1024)
def _keyboard(
    qid: str,
    step: int,
    options: tuple[Option, ...],
    multi: bool,
    ticked: frozenset[str],
    done_label: str,
) -> InlineKeyboardMarkup:
    # Cached: markups are immutable, and everyone at the same step of a question
    # gets the same one (steps are record versions, so small numbers repeat).
    question = Question(id=qid, text="", options=options, multi=multi, step=step, number=0)
    long = _numbered(options)
    rows = []
    for number, option in enumerate(options, 1):
        label = button_text(number, option.label, long)
        if multi:
            label = (CHECKED if option.id in ticked else "") + label
            data = buttons.toggle(question, option.id)
        else:
            data = buttons.pick(question, option.id)
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    if multi:
        rows.append([InlineKeyboardButton(done_label, callback_data=buttons.done(question))])
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


def outcome_html(outcome: Outcome, texts: Texts, view: str = "") -> list[str]:
    """The outcome as Telegram HTML: the short form, or with ``d`` in ``view`` the full form,
    and with ``s`` the sources; one message unless that is too long."""
    head = f"<b>{escape(outcome.title)}</b>\n<b>{escape(outcome.instruction)}</b>"
    said = outcome.headline.removeprefix(f"{outcome.title}\n{outcome.instruction}").strip()
    blocks = [f"{head}\n{escape(said)}" if said and "d" in view else head]
    blocks += [_section_html(s) for s in (outcome.sections if "d" in view else outcome.short)]
    if "s" in view:
        blocks.append(_sources_html(outcome.citations, texts.outcome["sources"]))
    blocks.append(f"<i>{escape(outcome.disclaimer)}</i>")
    return pack(blocks, LIMIT)


def outcome_markup(outcome: Outcome, texts: Texts, view: str = "") -> InlineKeyboardMarkup | None:
    """ "More details" and "Sources" for the parts not shown yet; ``None`` once all are shown."""
    return _outcome_markup(
        outcome.step, view, texts.messages["button_more"], texts.outcome["sources"]
    )


@lru_cache(maxsize=1024)
def _outcome_markup(
    step: int, view: str, more_label: str, sources_label: str
) -> InlineKeyboardMarkup | None:
    # Cached like the question keyboards: immutable, and steps repeat across people.
    row = []
    if "d" not in view:
        data = buttons.outcome(step, _view(view, "d"))
        row.append(InlineKeyboardButton(more_label, callback_data=data))
    if "s" not in view:
        data = buttons.outcome(step, _view(view, "s"))
        row.append(InlineKeyboardButton(sources_label, callback_data=data))
    return _Keyboard([row]) if row else None


def _view(view: str, part: str) -> str:
    return "".join(p for p in "ds" if p in view or p == part)


def factsheet_html(
    section: Section, texts: Texts, citations: Iterable[tuple[str, str]]
) -> list[str]:
    """A public fact sheet: its title, the advice lines and their sources."""
    blocks = [_section_html(section)]
    blocks.append(_sources_html(citations, texts.outcome["sources"]))
    return pack(blocks, LIMIT)


def commands(texts: Texts, names: Iterable[str]) -> list[BotCommand]:
    """Bot commands with their descriptions from the content."""
    return [BotCommand(name, texts.messages[f"command_{name}"][:256]) for name in names]
