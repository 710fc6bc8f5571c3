"""Helpers for tests in a second language: typed answers, and English left in a text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from dialogs.content import Content
from dialogs.locales import Texts

# An English text shorter than this many words may also be a Spanish one
# ("Diabetes", "Sources" in a citation) and is not looked for.
MIN_WORDS = 4


def typed(texts: Texts, question: str, answer: str | list[str], turn: int = 0) -> str:
    """What a person types for ``answer``: one lay wording per option (which one
    rotates with ``turn``), several joined by commas."""
    chosen = answer if isinstance(answer, list) else [answer]
    words = []
    for option in chosen:
        wordings = texts.synonyms[question][option]
        words.append(wordings[turn % len(wordings)])
    return ", ".join(words)


def english_texts(content: Content) -> set[str]:
    """Every English text (and each line of a longer one) long enough to tell apart."""
    found: set[str] = set()
    for text in _all_texts(content.locales["en"]):
        for piece in (text, *text.splitlines(), *re.split(r"(?<=[.:?!])\s+", text)):
            piece = piece.strip()
            if len(piece.split()) >= MIN_WORDS:
                found.add(piece)
    return found


def english_in(shown: Iterable[str], content: Content) -> list[str]:
    """The English texts that appear in any of ``shown``."""
    english = {" ".join(e.split()) for e in english_texts(content)}
    seen = " ".join(" ".join(shown).split())  # wrapped lines read as one
    return sorted(e for e in english if e in seen)


def _all_texts(texts: Texts) -> Iterator[str]:
    for section in ("question_text", "hints", "categories", "urgency", "advice", "outcome"):
        yield from getattr(texts, section).values()
    yield from texts.messages.values()
    for options in texts.labels.values():
        yield from options.values()
    for prompt in texts.prompts.values():
        yield str(prompt["text"])
        yield from prompt["options"].values()
    for table in texts.instruction_for.values():
        yield from table.values()


def options_of(reply: Any) -> list[str]:
    return [o.label for o in getattr(reply, "options", ())]


def english_labels_in(shown: Iterable[str], content: Content) -> list[str]:
    """Short English texts (buttons, headings, the progress line) shown as a whole
    line: what :func:`english_in` cannot tell apart inside longer text."""
    en, others = content.locales["en"], [t for c, t in content.locales.items() if c != "en"]
    theirs = {s.strip() for t in others for s in _all_texts(t)}
    short = {s.strip() for s in _all_texts(en) if len(s.split()) < MIN_WORDS} - theirs
    filled = [
        re.compile(re.sub(r"\\\{\w+\\\}", ".+", re.escape(t)))
        for t in en.messages.values()
        if "{" in t and t not in theirs and len(re.sub(r"\{\w+\}", "", t).split()) >= 2
    ]
    found = set()
    for line in (line for text in shown for line in text.splitlines()):
        line = line.strip(" -#*_").removeprefix("✅").strip()
        found.update({line, line.rstrip(":")} & short)
        found.update(m.group() for p in filled if (m := p.search(line)))
    return sorted(found)


def strings_in(value: Any, keys: tuple[str, ...] = ("text", "label", "content")) -> Iterator[str]:
    """Every string under one of ``keys`` anywhere in ``value`` (an API call's parameters)."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in keys and isinstance(item, str):
                yield item
            else:
                yield from strings_in(item, keys)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item, keys)
