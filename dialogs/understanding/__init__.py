"""Understand what a person typed: by meaning, per locale, never silently wrong.

API (the engine and front ends use only these):

- ``Reader(content.questions, texts)``: built once per locale (the machine
  keeps one per locale in ``Interview.readers``).
- ``reader.understand(question, text) -> Understood(ids) | Ambiguous(candidates)
  | NotUnderstood(reason)``. ``Ambiguous`` lists the option ids the reply could
  mean (ask which, as buttons or a numbered list); a single candidate means
  "did you mean ...?" (a short typo). ``NotUnderstood.reason`` is a message
  key of the locale ("not_understood", "too_long", "none_with_others").
- ``reader.read_story(text) -> {question_id: Understood}``: every question a
  whole story clearly answers, never ``red_flags`` and never "none"; show it
  for confirmation before using it. ``reader.story_signs(text)``: the warning
  signs a story names in words none of those answers takes (the engine then
  goes back to the safety check).
- ``Refusal`` and ``check_choice``: why chosen options cannot be used (the
  engine asks an ``Ambiguous`` back among its candidates, see dialogs/clarify.py).
  ``Vocabulary`` is a per-question view of the same reading in those terms.

What a locale's words mean (negations, numbers, units, bands of durations
and rates, lay wordings) is content data in ``content/wordings/<locale>.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.content import QuestionSpec
from dialogs.understanding.reader import MAX_INPUT, Reader
from dialogs.understanding.result import Ambiguous, NotUnderstood, Result, Understood

__all__ = [
    "MAX_INPUT",
    "Ambiguous",
    "NotUnderstood",
    "Reader",
    "Refusal",
    "Result",
    "Understood",
    "Vocabulary",
    "check_choice",
]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an answer could not be used: a message key and its format values."""

    message: str
    values: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One question's view of a locale's :class:`Reader`, in the engine's older terms."""

    reader: Reader
    spec: QuestionSpec

    def understand(self, text: str) -> tuple[str, ...] | Refusal:
        """The options ``text`` names, or why it names none usable."""
        result = self.reader.understand(self.spec.id, text)
        if isinstance(result, Understood):
            return check_choice(self.spec, result.ids)
        if isinstance(result, Ambiguous):
            return Refusal("ambiguous", {"options": ", ".join(result.candidates)})
        return Refusal(result.reason)


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
