"""Turn what a person typed into option ids: ids, labels, numbers, synonyms.

The lookup tables are built once per locale and question; understanding a
line is a few dictionary look-ups and, failing those, a whole-word search
for known phrases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.content import QuestionSpec, Texts, normalize

MAX_INPUT = 1000
_NUMBER = re.compile(r"[-+]?\d+")
_SPLIT = re.compile(r"[,;+&\n]|\band\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an answer could not be used: a message key and its format values."""

    message: str
    values: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every phrase that names an option of one question, in one locale."""

    spec: QuestionSpec
    phrases: Mapping[str, str]
    ordered: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, spec: QuestionSpec, texts: Texts) -> Vocabulary:
        phrases: dict[str, str] = {}
        for oid in spec.options:
            names = [oid, oid.replace("_", " "), texts.labels[spec.id][oid]]
            for phrase in (*map(normalize, names), *texts.synonyms[spec.id][oid]):
                if phrase:
                    phrases.setdefault(phrase, oid)
        ordered = tuple(sorted(phrases.items(), key=lambda item: -len(item[0])))
        return cls(spec, phrases, ordered)

    def understand(self, text: str) -> tuple[str, ...] | Refusal:
        """The options ``text`` names, or why it names none usable."""
        if len(text) > MAX_INPUT:
            return Refusal("too_long")
        whole = self.phrases.get(normalize(text))
        if whole:
            return (whole,)
        pieces = text.split(",") if "," in text else [text]
        chosen: list[str] = []
        for piece in pieces:
            found = self._piece(piece)
            if isinstance(found, Refusal):
                if not self.spec.multi or not _SPLIT.search(piece):
                    return found
                parts = [self._piece(p) for p in _SPLIT.split(piece) if normalize(p)]
                refused = [p for p in parts if isinstance(p, Refusal)]
                if refused or not parts:
                    return refused[0] if refused else found
                found = tuple(o for p in parts if not isinstance(p, Refusal) for o in p)
            chosen.extend(found)
        if not chosen:
            return Refusal("not_understood")
        options = tuple(o for o in self.spec.options if o in chosen)
        if not self.spec.multi and len(options) > 1:
            return Refusal("pick_one")
        return check_choice(self.spec, options)

    def _piece(self, piece: str) -> tuple[str, ...] | Refusal:
        words = normalize(piece)
        if not words:
            return Refusal("not_understood")
        bare = piece.strip()
        if _NUMBER.fullmatch(bare):
            number = int(bare) if len(bare) < 4 else 0
            if 1 <= number <= len(self.spec.options):
                return (self.spec.options[number - 1],)
            return Refusal("not_understood")
        exact = self.phrases.get(words)
        if exact:
            return (exact,)
        padded = f" {words} "
        found: list[str] = []
        covered = padded
        for phrase, oid in self.ordered:
            if f" {phrase} " in covered:
                covered = covered.replace(f" {phrase} ", "  ")
                if oid not in found:
                    found.append(oid)
        if not found:
            return Refusal("not_understood")
        if len(found) > 1 and not self.spec.multi:
            return Refusal("ambiguous", {"options": ", ".join(found)})
        return tuple(found)


def check_choice(spec: QuestionSpec, options: tuple[str, ...]) -> tuple[str, ...] | Refusal:
    """Validate chosen option ids against the question: known, one if single, exclusivity."""
    if not options or any(o not in spec.options for o in options):
        return Refusal("not_understood")
    if len(set(options)) != len(options):
        options = tuple(dict.fromkeys(options))
    if not spec.multi and len(options) != 1:
        return Refusal("pick_one")
    if len(options) > 1 and not spec.exclusive.isdisjoint(options):
        return Refusal("none_with_others")
    return options
