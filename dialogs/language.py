"""Choosing the language a person reads: the ``/language`` question and its answer.

One option per locale, each named in its own language; a reply picks a locale
by code, by name or by its number in the question.
"""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.locales import Texts
from dialogs.types import Option, Question
from dialogs.wordings import normalize

# The command, and the question id of its buttons, that switch the person's language.
LANGUAGE = "language"


def pick_language(locales: Mapping[str, Texts], said: str) -> str | None:
    """The locale ``said`` names: by code ("es", "es-MX"), by name ("Español"), or by
    its number in the language question."""
    said = normalize(said)
    for number, (code, texts) in enumerate(locales.items(), 1):
        if said in (code, normalize(texts.name), str(number)):
            return code
    base = said.replace(" ", "-").split("-")[0]
    return base if base in locales else None


def language_question(locales: Mapping[str, Texts], texts: Texts, step: int) -> Question:
    """Which language to speak: one option per locale, each named in its own language."""
    return Question(
        id=LANGUAGE,
        text=texts.messages["language_choose"],
        options=tuple(Option(id=code, label=t.name) for code, t in locales.items()),
        multi=False,
        step=step,
        number=0,
    )
