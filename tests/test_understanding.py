"""Typed answers: ids, labels, numbers, lists and free text through synonyms."""

from __future__ import annotations

import pytest

from dialogs.machine import Interview
from dialogs.understanding import Refusal, Vocabulary


def vocab(interview: Interview, question: str) -> Vocabulary:
    return interview.vocabularies[("en", question)]


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("where", "calf", ("calf",)),
        ("where", "CALF", ("calf",)),
        ("where", "Calves", ("calf",)),
        ("where", "lower leg", ("calf",)),
        ("where", "  my lower leg!! ", ("calf",)),
        ("where", "2", ("foot",)),
        ("where", "neck_face", ("neck_face",)),
        ("where", "Neck, face, jaw or eyelids", ("neck_face",)),
        ("when", "in bed", ("night",)),
        ("when", "mostly in bed at night", ("night",)),
        ("when", "after running", ("after_exercise",)),
        ("when", "During exercise or sport", ("during_exercise",)),
        ("when", "While walking, easing when I stop", ("walking_relieved",)),
        ("red_flags", "nope", ("none",)),
        ("red_flags", "None of these", ("none",)),
        ("red_flags", "1, 3", ("chest_pain", "dark_urine")),
        ("red_flags", "chest pain and fever", ("chest_pain", "fever_neck")),
        ("red_flags", "chest pain, none", ("chest_pain",)),
        ("associated", "weakness, numbness", ("weakness", "numbness")),
        ("medicines", "statins", ("statin",)),
        ("health", "I'm pregnant", ("pregnant",)),
        ("frequency", "every night", ("nightly",)),
    ],
)
def test_answer_is_understood_when_typed_as_person_would(
    interview: Interview, question: str, typed: str, expected: tuple[str, ...]
) -> None:
    assert vocab(interview, question).understand(typed) == expected


@pytest.mark.parametrize(
    ("question", "typed", "reason"),
    [
        ("red_flags", "1, 11", "none_with_others"),
        ("where", "calf, foot", "ambiguous"),
        ("where", "9", "not_understood"),
        ("where", "0", "not_understood"),
        ("where", "-1", "not_understood"),
        ("where", "99999999999999999999", "not_understood"),
        ("where", "", "not_understood"),
        ("where", "🦵", "not_understood"),
        ("where", "banana", "not_understood"),
        ("where", "x" * 10_000, "too_long"),
        ("where", "calf and foot", "ambiguous"),
    ],
)
def test_answer_is_refused_with_reason_when_unusable(
    interview: Interview, question: str, typed: str, reason: str
) -> None:
    result = vocab(interview, question).understand(typed)
    assert isinstance(result, Refusal)
    assert result.message == reason
