"""Composed outcomes are kept by exactly what they depend on: a kept outcome is the one
composing afresh gives, for any answers, in every language."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.loading import load_content
from dialogs.machine import Interview
from dialogs.outcome import compose
from dialogs.types import Outcome
from tests.conftest import ROOT

CONTENT = load_content(ROOT / "content")
KEPT = Interview(CONTENT, outcomes=8)  # small, so entries are also dropped and made again


def answer(spec: Any) -> st.SearchStrategy[Any]:
    options = list(spec.options)
    if spec.multi:
        return st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True).map(tuple)
    return st.sampled_from(options)


ANSWERS = st.fixed_dictionaries(
    {}, optional={qid: answer(spec) for qid, spec in CONTENT.questions.items()}
)


def same(kept: Outcome, fresh: Outcome) -> None:
    assert kept == fresh
    assert (kept.text, kept.short_text, kept.locale) == (fresh.text, fresh.short_text, fresh.locale)


@settings(max_examples=300, deadline=None)
@given(answers=ANSWERS, locale=st.sampled_from(sorted(CONTENT.locales)))
def test_kept_outcome_is_the_composed_one_when_answers_vary(
    answers: dict[str, Any], locale: str
) -> None:
    texts = CONTENT.texts(locale)
    fresh = compose(CONTENT, texts, CONTENT.rules.verdict(answers), answers)
    same(KEPT.outcome(texts, answers), fresh)
    same(KEPT.outcome(texts, answers), fresh)  # now from the cache


def test_outcome_follows_the_language_when_the_same_answers_come_in_another() -> None:
    answers = {"red_flags": ("none",), "where": "calf", "when": "night"}
    english = KEPT.outcome(CONTENT.texts("en"), answers)
    spanish = KEPT.outcome(CONTENT.texts("es"), answers)
    assert (english.locale, spanish.locale) == ("en", "es")
    assert english.text != spanish.text
