"""What a person sees now: the current question, prompt or outcome of a record.

Built from the record and the content alone, so the engine can draw it again
at any time (``Engine.current``) and a turn can show it after each change.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs import clarify
from dialogs.content import OUTCOME_STATE, STOPPED_STATE
from dialogs.language import LANGUAGE, language_question
from dialogs.locales import PROMPTS, Texts
from dialogs.machine import Interview
from dialogs.record import Conversation
from dialogs.types import Option, Question, Reply


def screen(interview: Interview, texts: Texts, record: Conversation) -> list[Reply]:
    """The current question, prompt or outcome of ``record``, in ``texts``."""
    if record.pending == LANGUAGE:
        asked = language_question(interview.content.locales, texts, record.version)
        return [replace(asked, previous=record.shown)]  # the question it replaces goes
    if record.pending:
        prompt = texts.prompts[record.pending]
        options = tuple(Option(id=o, label=prompt["options"][o]) for o in PROMPTS[record.pending])
        told = clarify.summary(texts, record.story)
        question = Question(
            id=record.pending,
            text=prompt["text"].format(answers=told) if record.story else prompt["text"],
            options=options,
            multi=False,
            step=record.asked,
            number=0,
            previous=record.shown,
        )
        return [question]
    state = record.state
    if state == OUTCOME_STATE:
        outcome = interview.outcome(texts, record.answers)
        return [replace(outcome, step=record.asked)]
    if state == STOPPED_STATE:
        return []
    if record.candidates:
        return [
            Question(
                id=state,
                text=texts.messages["which"],
                options=tuple(
                    Option(id=o, label=texts.labels[state][o]) for o in record.candidates
                ),
                multi=False,
                step=record.asked,
                number=len(record.answers) + 1,
                hint=texts.messages["which_hint"],
                previous=record.shown,
            )
        ]
    return [
        Question(
            id=state,
            text=texts.question_text[state],
            options=interview.options[(texts.locale, state)],
            multi=interview.content.questions[state].multi,
            step=record.asked,
            number=len(record.answers) + 1,
            hint=texts.hints[state],
            total=interview.estimate(record),
            selected=record.draft,
            previous=record.shown,
            locale=texts.locale,
        )
    ]
