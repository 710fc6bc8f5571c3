"""The one shared ``transitions`` machine, built from the content at start-up.

Conversations are not added to the machine: each step fires an event on it
with the conversation record as the model (``machine.events[name].trigger``),
so there is one machine however many people are talking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from transitions import EventData, Machine

from dialogs.content import Content
from dialogs.locales import Texts
from dialogs.outcome import OUTCOMES, Outcomes
from dialogs.record import Answer, Conversation
from dialogs.rules import Verdict
from dialogs.types import Option, Outcome
from dialogs.understanding import Reader, Vocabulary

ESTIMATES = 4096
"""How many progress estimates an interview keeps (by position and answers so far)."""


class Interview:
    """A content version with its machine, per-locale answer vocabularies, and its
    composed outcomes (``outcomes``: how many to keep); ``estimates``: how many
    verdicts, conditions and progress estimates to keep (0: work each out every time)."""

    def __init__(
        self, content: Content, outcomes: int = OUTCOMES, estimates: int = ESTIMATES
    ) -> None:
        self.content = content
        self.outcomes = Outcomes(content, outcomes)
        conditions: dict[str, Callable[[EventData], bool]] = {"worth_asking": self._worth_asking}
        transitions = [
            {
                **t,
                "conditions": [
                    conditions[c]
                    for c in (
                        [t["conditions"]]
                        if isinstance(t.get("conditions"), str)
                        else t.get("conditions", [])
                    )
                ],
            }
            for t in content.transitions
        ]
        self.machine = Machine(
            model=None,
            states=list(content.states),
            initial=content.initial,
            transitions=transitions,
            send_event=True,
            auto_transitions=True,
        )
        self._events = self.machine.events
        self.options = {
            (locale, qid): tuple(Option(id=o, label=texts.labels[qid][o]) for o in spec.options)
            for locale, texts in content.locales.items()
            for qid, spec in content.questions.items()
        }
        self._known = {qid: frozenset(spec.options) for qid, spec in content.questions.items()}
        self._states = frozenset(content.states)
        self._order = [s for s in content.states if s in content.questions]
        self._estimate = lru_cache(maxsize=estimates)(self._count)
        self._verdict = lru_cache(maxsize=estimates)(self._verdict_of)
        self._worth = lru_cache(maxsize=estimates)(self._worth_of)
        self.readers = {
            locale: Reader(content.questions, texts) for locale, texts in content.locales.items()
        }
        self.vocabularies = {
            (locale, qid): Vocabulary(self.readers[locale], spec)
            for locale in content.locales
            for qid, spec in content.questions.items()
        }

    @property
    def version(self) -> str:
        return self.content.version

    def fire(self, trigger: str, record: Conversation) -> None:
        """Step ``record`` with one of the machine's events."""
        self._events[trigger].trigger(record)

    def go_to(self, state: str, record: Conversation) -> None:
        """Jump to ``state`` (for ``/back``) with the machine's ``to_<state>`` event."""
        self._events[f"to_{state}"].trigger(record)

    def is_question(self, state: str) -> bool:
        return state in self.content.questions

    def estimate(self, record: Conversation) -> int:
        """How many questions this interview may ask in all, were the answers so far to stay.

        The answered ones, the current one, and the later ones still worth
        asking; a progress line shows it as "about". Cached: many people share
        the same answers so far.
        """
        return self._estimate(record.state, frozenset(record.answers.items()))

    def outcome(self, texts: Texts, answers: Mapping[str, Answer]) -> Outcome:
        """The outcome ``answers`` lead to, in the language of ``texts`` (both the verdict
        and the composed outcome are kept: many people give the same answers)."""
        return self.outcomes(texts, self._verdict(frozenset(answers.items())), answers)

    def _verdict_of(self, given: frozenset[tuple[str, Answer]]) -> Verdict:
        return self.content.rules.verdict(dict(given))

    def _count(self, state: str, given: frozenset[tuple[str, Answer]]) -> int:
        answers = dict(given)
        verdict = self._verdict(given)
        asked = len(answers) + 1
        if verdict.rule.ends_interview or state not in self._order:
            return asked
        later = self._order[self._order.index(state) + 1 :]
        return asked + sum(
            q not in answers
            and (q in self.content.always or self.content.rules.could_change(q, answers, verdict))
            for q in later
        )

    def knows(self, record: Conversation) -> bool:
        """Whether ``record`` still fits this content: its state and answers exist."""
        if record.state not in self._states:
            return False
        if record.candidates and not self._known.get(record.state, set()).issuperset(
            record.candidates
        ):
            return False
        for qid, answer in (*record.answers.items(), *record.story.items()):
            known = self._known.get(qid)
            if known is None:
                return False
            if isinstance(answer, str):
                if answer not in known:
                    return False
            elif not known.issuperset(answer):
                return False
        return True

    def _worth_asking(self, event: EventData) -> bool:
        """The ``worth_asking`` condition: whether the transition's question is still worth
        asking with the model's answers (cached: many people share the same answers)."""
        model: Any = event.model
        question: Any = event.transition.dest if event.transition else None
        return self._worth(question, frozenset(model.answers.items()))

    def _worth_of(self, question: Any, given: frozenset[tuple[str, Answer]]) -> bool:
        verdict = self._verdict(given)
        if verdict.rule.ends_interview:
            return False
        rules = self.content.rules
        return question in self.content.always or rules.could_change(question, dict(given), verdict)
