"""The Spanish corpus of typed replies: never a silent misreading, and nearly all understood."""

from __future__ import annotations

from dialogs.machine import Interview
from tests.understanding.test_corpus import REQUIRED, cases, load, report


def test_spanish_corpus_has_enough_realistic_replies_when_counted() -> None:
    assert len(cases(load("corpus_es.yaml"))) >= 80


def test_no_spanish_reply_is_silently_misread_when_corpus_is_read(interview: Interview) -> None:
    misread, _ = report(interview.readers["es"], load("corpus_es.yaml"), "corpus (es)")
    assert misread == []


def test_nearly_every_spanish_reply_is_understood_or_asked_back_when_corpus_is_read(
    interview: Interview,
) -> None:
    _, accuracy = report(interview.readers["es"], load("corpus_es.yaml"), "corpus (es)")
    assert accuracy >= REQUIRED


def test_spanish_story_fills_every_question_it_answers_when_typed_whole(
    interview: Interview,
) -> None:
    found = interview.readers["es"].read_story(
        "se me sube el gemelo por la noche, dura unos segundos, dos veces por semana"
    )
    assert {q: u.ids for q, u in found.items()} == {
        "where": ("calf",),
        "when": ("night",),
        "feel": ("knot",),  # "se me sube" is how a knotting cramp is told
        "duration": ("seconds",),
        "frequency": ("weekly",),
    }
