"""Every Spanish advice line reads as "normal" or easier on the INFLESZ scale
(Szigriszt-Pazos perspicuity 55 or more), like the English lines' grade 8."""

from __future__ import annotations

import statistics

import pytest

from dialogs.content import Content
from tests.dialogs.readability_es import perspicuity, sentences, syllables

MIN_PERSPICUITY = 55.0


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("calambre", 3),
        ("músculo", 3),
        ("pierna", 2),
        ("día", 2),
        ("país", 2),
        ("hoy", 1),
        ("que", 1),
        ("guitarra", 3),
        ("leer", 2),
        ("aéreo", 4),
        ("cuello", 2),
        ("agua", 2),
        ("estiramiento", 5),
        ("analgésicos", 5),
        ("y", 1),
    ],
)
def test_syllables_are_counted_like_a_grammar_when_words_are_common(word: str, count: int) -> None:
    assert syllables(word) == count


def test_perspicuity_falls_when_sentences_grow_long_and_words_long() -> None:
    short = "Descansa la pierna. No la frotes."
    long = (
        "Las personas con contracciones involuntarias persistentes deberían considerar "
        "consultar a profesionales adecuadamente cualificados sobre investigaciones "
        "electrofisiológicas y evaluaciones bioquímicas exhaustivas."
    )
    assert sentences(short) == 2 and sentences(long) == 1
    assert perspicuity(long) < MIN_PERSPICUITY < 80 < perspicuity(short)


def test_every_spanish_advice_line_reads_as_normal_or_easier_when_checked(
    content: Content,
) -> None:
    scores = {key: perspicuity(text) for key, text in content.texts("es").advice.items()}
    too_hard = {k: round(v, 1) for k, v in scores.items() if v < MIN_PERSPICUITY}
    assert not too_hard
    print(f"Spanish advice lines: median perspicuity {statistics.median(scores.values()):.1f}")
