"""Every advice line reads at Flesch-Kincaid grade 8 or below (review finding T4)."""

from __future__ import annotations

import statistics

import pytest

from dialogs.content import Content
from tests.dialogs.readability import grade, sentences, syllables

MAX_GRADE = 8.0


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("cramp", 1),
        ("stroke", 1),
        ("muscle", 2),
        ("raised", 1),
        ("started", 2),
        ("water", 2),
        ("painkillers", 3),
        ("ibuprofen", 4),
        ("paracetamol", 5),
        ("emergency", 4),
        ("the", 1),
        ("every", 3),
        ("don't", 1),
    ],
)
def test_syllables_are_counted_like_a_dictionary_when_words_are_common(
    word: str, count: int
) -> None:
    assert syllables(word) == count


def test_grade_rises_when_sentences_grow_long_and_words_long() -> None:
    short = "Rest the leg. Do not rub it."
    long = (
        "Individuals experiencing persistent involuntary contractions should "
        "consider consulting appropriately qualified professionals regarding "
        "electrophysiological investigations and comprehensive biochemical evaluation."
    )
    assert sentences(short) == 2 and sentences(long) == 1
    assert grade(short) < 3 < MAX_GRADE < grade(long)


def test_every_advice_line_is_at_grade_8_or_below_when_checked(content: Content) -> None:
    grades = {key: grade(text) for key, text in content.texts("en").advice.items()}
    too_hard = {k: round(g, 1) for k, g in grades.items() if g > MAX_GRADE}
    assert not too_hard
    print(f"advice lines: median grade {statistics.median(grades.values()):.1f}")
