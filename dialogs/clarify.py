"""Asking back: which of several options a reply meant, and what a whole story told.

The engine keeps the interview's flow; this module holds the small pieces it
needs to ask back without guessing: picking among asked-back candidates by
number, turning a read story into answers, and summing a story up for the
person to confirm ("Where: Calf · When: At night or in bed").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dialogs.content import QuestionSpec
from dialogs.locales import Texts
from dialogs.record import Answer
from dialogs.understanding import Refusal, Understood

#: Separates the answers of a story summary; a symbol, the same in every locale.
SUMMARY_SEPARATOR = " · "
_NUMBERS = re.compile(r"\s*\d{1,3}(\s*[,;]\s*\d{1,3})*\s*[.!]?\s*")


def numbered(
    spec: QuestionSpec, text: str, candidates: tuple[str, ...]
) -> tuple[str, ...] | Refusal | None:
    """The candidates a reply made only of numbers picks ("2", "1, 3"), counted in the
    asked-back list; ``None`` when the reply is not only numbers."""
    if not _NUMBERS.fullmatch(text):
        return None
    picked = tuple(dict.fromkeys(int(n) for n in re.findall(r"\d+", text)))
    if any(not 1 <= n <= len(candidates) for n in picked):
        return Refusal("not_understood")
    if len(picked) > 1 and not spec.multi:
        return Refusal("pick_one")
    return tuple(candidates[n - 1] for n in picked)


def story_answers(
    questions: Mapping[str, QuestionSpec], found: Mapping[str, Understood]
) -> dict[str, Answer]:
    """What a read story answers, as record answers, in question order."""
    return {
        qid: found[qid].ids if spec.multi else found[qid].ids[0]
        for qid, spec in questions.items()
        if qid in found
    }


def summary(texts: Texts, answers: Mapping[str, Answer]) -> str:
    """Each answer as "Topic: Label, Label", for the person to check."""
    return SUMMARY_SEPARATOR.join(
        f"{texts.messages['topic_' + qid]}: {labels(texts, qid, answer)}"
        for qid, answer in answers.items()
    )


def labels(texts: Texts, question: str, answer: Answer | tuple[str, ...]) -> str:
    """The labels of an answer's options, joined."""
    chosen = (answer,) if isinstance(answer, str) else answer
    return ", ".join(texts.labels[question][o] for o in chosen)
