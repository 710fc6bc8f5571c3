"""The outcome rules as data: matching, the outcome, and what is still worth asking.

A rule matches when any of its clauses holds; a clause holds when every
question it names was answered with one of its options. Rules are compiled
into frozensets once, so evaluating all twelve is a handful of set checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.record import Answer


@dataclass(frozen=True, slots=True)
class Test:
    """``question`` was answered with an option in ``options``."""

    question: str
    options: frozenset[str]

    def holds(self, answers: Mapping[str, Answer]) -> bool:
        answer = answers.get(self.question)
        if answer is None:
            return False
        if isinstance(answer, str):
            return answer in self.options
        return not self.options.isdisjoint(answer)


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One row of the contract's rule table (or an extra advice rule)."""

    id: str
    category: str
    urgency: str
    clauses: tuple[tuple[Test, ...], ...]
    ends_interview: bool = False
    combines: bool = False

    def matches(self, answers: Mapping[str, Answer]) -> bool:
        if not self.clauses:
            return True
        for clause in self.clauses:  # noqa: SIM110 - a loop: this runs on every step
            if _holds(clause, answers):
                return True
        return False

    def reachable_with(self, question: str, answers: Mapping[str, Answer]) -> bool:
        """Whether some answer to ``question`` would make this rule match now."""
        for clause in self.clauses:
            if any(t.question == question for t in clause) and all(
                t.question == question or t.holds(answers) for t in clause
            ):
                return True
        return False


@dataclass(frozen=True, slots=True, eq=False)
class Extra:
    """Advice added when its clauses hold and the outcome includes one of ``for_categories``."""

    id: str
    for_categories: frozenset[str]
    clauses: tuple[tuple[Test, ...], ...]
    advice: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome's ids: first matching rule, combined rules, extra advice."""

    rule: Rule
    also: tuple[Rule, ...]
    extras: tuple[Extra, ...]
    position: int = 0

    @property
    def categories(self) -> frozenset[str]:
        return frozenset([self.rule.category, *(r.category for r in self.also)])


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The ordered rules and extras, with the questions each one reads."""

    rules: tuple[Rule, ...]
    extras: tuple[Extra, ...]

    def verdict(self, answers: Mapping[str, Answer]) -> Verdict:
        """Apply the contract: first match wins, later combining rules go to ``also``."""
        rules = self.rules
        index = 0
        while not rules[index].matches(answers):  # the last rule always matches
            index += 1
        rule = rules[index]
        also: tuple[Rule, ...] = ()
        if rule.combines:
            also = tuple(r for r in rules[index + 1 :] if r.combines and r.matches(answers))
        categories = {rule.category, *(r.category for r in also)}
        extras = tuple(
            x
            for x in self.extras
            if not x.for_categories.isdisjoint(categories)
            and any(_holds(c, answers) for c in x.clauses)
        )
        return Verdict(rule, also, extras, index)

    def could_change(
        self, question: str, answers: Mapping[str, Answer], verdict: Verdict | None = None
    ) -> bool:
        """Whether some answer to ``question`` could still change the outcome.

        A rule that does not match yet matters if it comes before the current
        category, or if both combine (it would join ``also``). An extra matters
        while the outcome includes one of its categories.
        """
        verdict = verdict or self.verdict(answers)
        current = verdict.rule
        position = verdict.position
        for index, rule in enumerate(self.rules):
            if index == position or rule in verdict.also:
                continue
            influential = index < position or (current.combines and rule.combines)
            if influential and rule.reachable_with(question, answers):
                return True
        categories = verdict.categories
        return any(
            not x.for_categories.isdisjoint(categories)
            and x not in verdict.extras
            and any(any(t.question == question for t in c) for c in x.clauses)
            for x in self.extras
        )


def _holds(clause: tuple[Test, ...], answers: Mapping[str, Answer]) -> bool:
    """Every test of ``clause`` holds (a plain loop: this runs on every step)."""
    for test in clause:
        answer = answers.get(test.question)
        if answer is None:
            return False
        if isinstance(answer, str):
            if answer not in test.options:
                return False
        elif test.options.isdisjoint(answer):
            return False
    return True
