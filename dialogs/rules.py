"""The outcome rules as data: matching, the outcome, and what is still worth asking.

A rule matches when any of its clauses holds; a clause holds when every
question it names was answered with one of its options. A rule's urgency is
a list of cases (the first whose clauses hold wins), so an urgency can depend
on the answers without code in the content. Rules are compiled into
frozensets once, so evaluating all of them is a handful of set checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.record import Answer

# Most urgent first (dialog-contract.md, "The outcome's urgency").
URGENCIES = ("emergency", "urgent", "soon", "routine", "self_care")
_RANK = {u: n for n, u in enumerate(URGENCIES)}


def most_urgent(urgencies: tuple[str, ...] | list[str]) -> str:
    """The most urgent of ``urgencies`` in the contract's order."""
    return min(urgencies, key=_RANK.__getitem__)


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


Clauses = tuple[tuple[Test, ...], ...]


def any_holds(clauses: Clauses, answers: Mapping[str, Answer]) -> bool:
    """Some clause holds (no clauses: always)."""
    if not clauses:
        return True
    for clause in clauses:  # noqa: SIM110 - a loop: this runs on every step
        if _holds(clause, answers):
            return True
    return False


def reachable_with(clauses: Clauses, question: str, answers: Mapping[str, Answer]) -> bool:
    """Whether some answer to ``question`` would make one of ``clauses`` hold now."""
    for clause in clauses:
        if any(t.question == question for t in clause) and all(
            t.question == question or t.holds(answers) for t in clause
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class UrgencyCase:
    """``urgency`` applies when one of ``clauses`` holds (no clauses: always)."""

    urgency: str
    clauses: Clauses = ()


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One row of the contract's rule table."""

    id: str
    category: str
    urgencies: tuple[UrgencyCase, ...]
    clauses: Clauses
    ends_interview: bool = False
    combines: bool = False

    def matches(self, answers: Mapping[str, Answer]) -> bool:
        return any_holds(self.clauses, answers)

    def reachable_with(self, question: str, answers: Mapping[str, Answer]) -> bool:
        """Whether some answer to ``question`` would make this rule match now."""
        return reachable_with(self.clauses, question, answers)

    def urgency(self, answers: Mapping[str, Answer]) -> str:
        """The urgency of the first case that holds (the last case has no clauses)."""
        return self._case(answers)[1].urgency

    def urgencies_with(self, question: str, answers: Mapping[str, Answer]) -> list[str]:
        """The urgencies an answer to ``question`` could still switch this rule to."""
        index, _ = self._case(answers)
        return [
            c.urgency
            for c in self.urgencies[:index]
            if reachable_with(c.clauses, question, answers)
        ]

    def _case(self, answers: Mapping[str, Answer]) -> tuple[int, UrgencyCase]:
        for index, case in enumerate(self.urgencies):
            if any_holds(case.clauses, answers):
                return index, case
        return len(self.urgencies) - 1, self.urgencies[-1]


@dataclass(frozen=True, slots=True, eq=False)
class Extra:
    """Advice that depends on the answers: ``add`` per outcome section, ``drop`` ids.

    It applies when one of its clauses holds and, if ``for_categories`` is
    given, the outcome's category or ``also`` includes one of them.
    """

    id: str
    for_categories: frozenset[str] | None
    clauses: Clauses
    add: Mapping[str, tuple[str, ...]]
    drop: frozenset[str] = frozenset()

    def fits(self, categories: frozenset[str]) -> bool:
        return self.for_categories is None or not self.for_categories.isdisjoint(categories)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome's ids: first matching rule, combined rules, urgency, extra advice."""

    rule: Rule
    also: tuple[Rule, ...]
    extras: tuple[Extra, ...]
    urgency: str
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
        categories = frozenset([rule.category, *(r.category for r in also)])
        extras = tuple(
            x for x in self.extras if x.fits(categories) and any_holds(x.clauses, answers)
        )
        urgency = most_urgent([r.urgency(answers) for r in (rule, *also)])
        return Verdict(rule=rule, also=also, extras=extras, urgency=urgency, position=index)

    def could_change(
        self, question: str, answers: Mapping[str, Answer], verdict: Verdict | None = None
    ) -> bool:
        """Whether some answer to ``question`` could still change the outcome.

        A rule that does not match yet matters if it comes before the current
        category, or if both combine (it would join ``also``). A matched rule
        matters if the answer could switch its urgency and so the outcome's.
        An extra matters while it could still apply, unless the category is
        settled by a rule that neither combines nor is the fallback (R3).
        """
        verdict = verdict or self.verdict(answers)
        current = verdict.rule
        position = verdict.position
        involved = (current, *verdict.also)
        for index, rule in enumerate(self.rules):
            if index == position or rule in verdict.also:
                continue
            influential = index < position or (current.combines and rule.combines)
            if influential and rule.reachable_with(question, answers):
                return True
        for rule in involved:
            others = [r.urgency(answers) for r in involved if r is not rule]
            for candidate in rule.urgencies_with(question, answers):
                if most_urgent([*others, candidate]) != verdict.urgency:
                    return True
        if not current.combines and current.clauses:
            return False
        categories = verdict.categories
        return any(
            x.fits(categories)
            and x not in verdict.extras
            and reachable_with(x.clauses, question, answers)
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
