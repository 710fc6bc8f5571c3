"""The corpus of typed replies: never a silent misreading, and nearly all understood.

A reply is *misread* when it is understood as options the corpus does not
expect (for a reply to be asked back or refused, any understood option is a
misreading). It is *right* when understood exactly, asked back with exactly
the expected candidates, or refused when the corpus says so. Accuracy per
question is printed (run with ``-s`` to see it).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.machine import Interview
from dialogs.understanding import Ambiguous, NotUnderstood, Reader, Understood
from tests.conftest import personas

HERE = Path(__file__).resolve().parent
REQUIRED = 0.95


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / name).read_text())
    return data


def cases(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(q, case) for q, items in data["questions"].items() for case in items]


def judge(reader: Reader, question: str, case: dict[str, Any]) -> str:
    """'right', 'asked' (a safe ask-back the corpus did not want), 'refused' or 'misread'."""
    result = reader.understand(question, case["text"])
    if "expect" in case:
        if isinstance(result, Understood):
            return "right" if set(result.ids) == set(case["expect"]) else "misread"
        return "asked" if isinstance(result, Ambiguous) else "refused"
    if "ask_which" in case:
        if isinstance(result, Ambiguous):
            return "right" if set(result.candidates) == set(case["ask_which"]) else "asked"
        return "misread" if isinstance(result, Understood) else "refused"
    assert case.get("not_understood"), case
    if isinstance(result, Understood):
        return "misread"
    return "right" if isinstance(result, NotUnderstood) else "asked"


def report(reader: Reader, data: dict[str, Any], title: str) -> tuple[list[str], float]:
    verdicts: dict[str, Counter[str]] = {}
    misread: list[str] = []
    for question, case in cases(data):
        verdict = judge(reader, question, case)
        verdicts.setdefault(question, Counter())[verdict] += 1
        if verdict == "misread":
            found = reader.understand(question, case["text"])
            misread.append(f"{question}: {case['text']!r} -> {found}")
    total = Counter[str]()
    print(f"\n{title}: question right/total (asked back, refused, misread)")
    for question, counts in verdicts.items():
        total.update(counts)
        n = sum(counts.values())
        print(
            f"  {question:<11} {counts['right']:>3}/{n:<3} {counts['right'] / n:6.1%}"
            f"  ({counts['asked']}, {counts['refused']}, {counts['misread']})"
        )
    n = sum(total.values())
    print(f"  {'overall':<11} {total['right']:>3}/{n:<3} {total['right'] / n:6.1%}")
    return misread, total["right"] / n


@pytest.fixture(scope="module")
def reader(interview: Interview) -> Reader:
    return interview.readers["en"]


def test_corpus_has_enough_realistic_replies_when_counted() -> None:
    data = load("corpus.yaml")
    assert len(cases(data)) + len(data["stories"]) >= 300


def test_no_reply_is_silently_misread_when_corpus_is_read(reader: Reader) -> None:
    misread, _ = report(reader, load("corpus.yaml"), "corpus")
    assert misread == []


def test_nearly_every_reply_is_understood_or_asked_back_when_corpus_is_read(
    reader: Reader,
) -> None:
    _, accuracy = report(reader, load("corpus.yaml"), "corpus")
    assert accuracy >= REQUIRED


def test_no_reply_is_silently_misread_when_held_out_replies_are_read(reader: Reader) -> None:
    """Replies written after the code, never tuned on: safety must hold for them too."""
    misread, _ = report(reader, load("held_out.yaml"), "held out")
    assert misread == []


@pytest.mark.parametrize("story", load("corpus.yaml")["stories"], ids=lambda s: s["text"][:40])
def test_story_fills_exactly_the_questions_it_answers_when_typed_whole(
    reader: Reader, story: dict[str, Any]
) -> None:
    found = {q: set(u.ids) for q, u in reader.read_story(story["text"]).items()}
    assert found == {q: set(ids) for q, ids in story["fills"].items()}


def test_story_never_answers_the_warning_signs_when_it_names_one(reader: Reader) -> None:
    found = reader.read_story("no chest pain but my leg is swollen, calves cramp at night")
    assert "red_flags" not in found
    assert found["where"] == Understood(("calf",))


@pytest.mark.parametrize("persona", personas(), ids=lambda p: p["name"])
def test_persona_outcome_stays_right_when_answered_by_a_story_of_labels_and_follow_ups(
    interview: Interview, persona: dict[str, Any]
) -> None:
    """The story (its answers' labels in one message) fills questions; the persona answers
    the rest as follow-ups; the outcome's category and ``also`` must not change."""
    content = interview.content
    labels = content.locales["en"].labels
    answers = {
        q: tuple(a) if content.questions[q].multi else a for q, a in persona["answers"].items()
    }
    story = ". ".join(
        labels[q][o]
        for q, a in answers.items()
        if q != "red_flags"
        for o in (a if isinstance(a, tuple) else (a,))
        if o not in content.questions[q].exclusive
    )
    filled = interview.readers["en"].read_story(story)
    assert filled, story
    told = {
        **answers,
        **{q: u.ids if content.questions[q].multi else u.ids[0] for q, u in filled.items()},
    }
    expected, got = content.rules.verdict(answers), content.rules.verdict(told)
    assert (got.rule.category, [r.category for r in got.also]) == (
        expected.rule.category,
        [r.category for r in expected.also],
    ), (story, filled)
