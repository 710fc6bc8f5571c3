"""The interview's data, checked and ready to use: :class:`Content` and its parts.

:func:`dialogs.loading.load_content` builds it from ``content/``; this module
holds only the model, the names the contract fixes, and where content lives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dialogs.locales import Texts
from dialogs.rules import RuleBook

TRIGGERS = ("answer", "stop", "restart")
CONDITIONS = ("worth_asking",)
OUTCOME_STATE = "outcome"
STOPPED_STATE = "stopped"
# Tables that turn one answer into one advice line: `why` lines go under
# "what it may be", `first_aid` lines under "what to do now".
ANSWER_LINES = {"why": "may_be", "first_aid": "now"}
# The urgencies at which stretching advice must never be shown.
NO_STRETCH = frozenset({"emergency", "urgent"})


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """A question's ids, as fixed by the contract."""

    id: str
    options: tuple[str, ...]
    multi: bool
    exclusive: frozenset[str]


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the interview needs, checked and ready to use."""

    version: str
    initial: str
    always: frozenset[str]
    states: tuple[str, ...]
    transitions: tuple[Mapping[str, Any], ...]
    questions: Mapping[str, QuestionSpec]
    rules: RuleBook
    sources: Mapping[str, str]
    advice_sources: Mapping[str, tuple[str, ...]]
    why: Mapping[str, Mapping[str, str]]
    categories: Mapping[str, Mapping[str, tuple[str, ...]]]
    factsheets: Mapping[str, tuple[str, ...]]
    locales: Mapping[str, Texts]
    forbidden: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    first_aid: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    not_public: frozenset[str] = frozenset()

    def texts(self, locale: str | None) -> Texts:
        """The wording for ``locale``, falling back to its base language, then English."""
        return self.locales[self.known_locale(locale) or "en"]

    def known_locale(self, locale: str | None) -> str | None:
        """The content's locale for a platform's language code ("es-MX" -> "es"), or None."""
        if not locale:
            return None
        code = locale.strip().replace("_", "-")
        for candidate in (code, code.lower(), code.split("-")[0].lower()):
            if candidate in self.locales:
                return candidate
        return None


def default_content_dir() -> Path:
    """Where the content lives: the installed package, or ``content/`` in a checkout."""
    try:
        path = Path(str(resources.files("crampbot_content")))
        if (path / "dialog.yaml").is_file():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "content"
