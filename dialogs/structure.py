"""Reading and checking the structure files: questions, dialog, rules, advice, safety.

:class:`StructureReader` turns each file into the parts of a
:class:`~dialogs.content.Content`, noting every problem (file, key, what is
wrong) instead of stopping at the first: unknown ids, a state nobody reaches,
rules that cannot match, advice without a public source, stretching where it
must never be shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dialogs.content import (
    ANSWER_LINES,
    CONDITIONS,
    NO_STRETCH,
    OUTCOME_STATE,
    STOPPED_STATE,
    TRIGGERS,
    QuestionSpec,
)
from dialogs.locales import SECTIONS
from dialogs.problems import Notes, Problem, str_list
from dialogs.rules import URGENCIES, Clauses, Extra, Rule, RuleBook, Test, UrgencyCase


class StructureReader(Notes):
    """Reads the structure files into the parts of the content, noting every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.not_public: frozenset[str] = frozenset()

    def questions(self, data: Mapping[str, Any]) -> dict[str, QuestionSpec]:
        out: dict[str, QuestionSpec] = {}
        table = data.get("questions")
        if not isinstance(table, dict) or not table:
            self.bad("questions.yaml", "questions", "must map question ids to their options")
            return out
        for qid, spec in table.items():
            key = f"questions.{qid}"
            if not isinstance(spec, dict):
                self.bad("questions.yaml", key, "must be a mapping")
                continue
            options = spec.get("options")
            if not str_list(options) or not options:
                self.bad("questions.yaml", f"{key}.options", "must be a list of option ids")
                continue
            if len(set(options)) != len(options):
                self.bad("questions.yaml", f"{key}.options", "has a duplicate option id")
            exclusive = spec.get("exclusive", [])
            if not str_list(exclusive) or not set(exclusive) <= set(options):
                self.bad("questions.yaml", f"{key}.exclusive", "must list some of its options")
                exclusive = []
            multi = spec.get("multi", False)
            if not isinstance(multi, bool):
                self.bad("questions.yaml", f"{key}.multi", "must be true or false")
                multi = False
            out[str(qid)] = QuestionSpec(str(qid), tuple(options), multi, frozenset(exclusive))
        return out

    # -- dialog.yaml ----------------------------------------------------
    def dialog(
        self, data: Mapping[str, Any], questions: Mapping[str, QuestionSpec]
    ) -> tuple[tuple[str, ...], tuple[Mapping[str, Any], ...], str, frozenset[str]]:
        f = "dialog.yaml"
        states = data.get("states")
        if not str_list(states):
            self.bad(f, "states", "must be a list of state names")
            return (), (), "", frozenset()
        for needed in [*questions, OUTCOME_STATE, STOPPED_STATE]:
            if needed not in states:
                self.bad(f, "states", f"is missing {needed!r}")
        for state in states:
            if state not in questions and state not in (OUTCOME_STATE, STOPPED_STATE):
                self.bad(f, "states", f"{state!r} is not a question in questions.yaml")
        initial = data.get("initial")
        if initial not in questions:
            self.bad(f, "initial", f"{initial!r} is not a question")
        always = data.get("always", [])
        if not str_list(always) or not set(always) <= set(questions):
            self.bad(f, "always", "must list question ids")
            always = []
        if not isinstance(data.get("version"), str) or not data.get("version"):
            self.bad(f, "version", "must be a non-empty string (quote it)")
        transitions = data.get("transitions")
        if not isinstance(transitions, list):
            self.bad(f, "transitions", "must be a list")
            return tuple(states), (), str(initial), frozenset(always)
        edges: dict[str, list[str]] = {s: [] for s in states}
        open_ended: set[str] = set()
        for n, t in enumerate(transitions):
            key = f"transitions[{n}]"
            if not isinstance(t, dict) or set(t) - {"trigger", "source", "dest", "conditions"}:
                self.bad(f, key, "must have only trigger, source, dest and conditions")
                continue
            trigger, source, dest = t.get("trigger"), t.get("source"), t.get("dest")
            if trigger not in TRIGGERS:
                self.bad(f, key, f"trigger {trigger!r} is not one of {', '.join(TRIGGERS)}")
            if source != "*" and source not in states:
                self.bad(f, key, f"source {source!r} is not a state")
            if dest not in states:
                self.bad(f, key, f"dest {dest!r} is not a state")
            conditions = t.get("conditions", [])
            if isinstance(conditions, str):
                conditions = [conditions]
            for c in conditions if isinstance(conditions, list) else [conditions]:
                if c not in CONDITIONS:
                    self.bad(f, key, f"condition {c!r} is not one of {', '.join(CONDITIONS)}")
            if trigger == "answer" and source in edges and dest in states:
                edges[source].append(dest)
                if not conditions:
                    open_ended.add(source)
        for q in questions:
            if q in edges and q not in open_ended:
                self.bad(f, "transitions", f"{q!r} needs an `answer` transition without conditions")
        if not self.problems and isinstance(initial, str):
            self.graph(edges, initial, questions)
        return tuple(states), tuple(transitions), str(initial), frozenset(always)

    def graph(
        self, edges: Mapping[str, list[str]], initial: str, questions: Mapping[str, Any]
    ) -> None:
        seen, todo = {initial}, [initial]
        while todo:
            for nxt in edges.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for state in [*questions, OUTCOME_STATE]:
            if state not in seen:
                self.bad("dialog.yaml", "transitions", f"state {state!r} cannot be reached")
        for state in questions:
            reach, todo = {state}, [state]
            while todo:
                for nxt in edges.get(todo.pop(), []):
                    if nxt not in reach:
                        reach.add(nxt)
                        todo.append(nxt)
            if OUTCOME_STATE not in reach:
                self.bad("dialog.yaml", "transitions", f"state {state!r} cannot reach an outcome")

    # -- rules.yaml -----------------------------------------------------
    def clauses(
        self, file: str, key: str, data: Any, questions: Mapping[str, QuestionSpec]
    ) -> tuple[tuple[Test, ...], ...]:
        if data is None:
            return ()
        if not isinstance(data, list):
            self.bad(file, key, "must be a list of clauses")
            return ()
        out = []
        for n, clause in enumerate(data):
            ckey = f"{key}[{n}]"
            if not isinstance(clause, dict) or not clause:
                self.bad(file, ckey, "must map question ids to options")
                continue
            tests = []
            for qid, options in clause.items():
                spec = questions.get(qid)
                if spec is None:
                    self.bad(file, ckey, f"{qid!r} is not a question")
                    continue
                if isinstance(options, dict) and set(options) == {"except"}:
                    excluded = options["except"]
                    if not str_list(excluded):
                        self.bad(file, f"{ckey}.{qid}", "except must list option ids")
                        continue
                    for o in set(excluded) - set(spec.options):
                        self.bad(file, f"{ckey}.{qid}", f"{o!r} is not an option of {qid}")
                    chosen = [o for o in spec.options if o not in excluded]
                elif str_list(options):
                    chosen = list(options)
                    for o in set(chosen) - set(spec.options):
                        self.bad(file, f"{ckey}.{qid}", f"{o!r} is not an option of {qid}")
                else:
                    self.bad(file, f"{ckey}.{qid}", "must be a list of options or {except: [...]}")
                    continue
                tests.append(Test(qid, frozenset(chosen)))
            out.append(tuple(tests))
        return tuple(out)

    def rulebook(self, data: Mapping[str, Any], questions: Mapping[str, QuestionSpec]) -> RuleBook:
        f = "rules.yaml"
        rules: list[Rule] = []
        seen: set[str] = set()
        for n, r in enumerate(data.get("rules") or []):
            key = f"rules[{n}]"
            if not isinstance(r, dict):
                self.bad(f, key, "must be a mapping")
                continue
            rid, category, urgency = r.get("id"), r.get("category"), r.get("urgency")
            key = f"rules.{rid}"
            if not isinstance(rid, str) or not isinstance(category, str):
                self.bad(f, key, "needs an id and a category")
                continue
            if category in seen:
                self.bad(f, key, f"category {category!r} appears twice")
            seen.add(category)
            clauses = self.clauses(f, f"{key}.match", r.get("match"), questions)
            rules.append(
                Rule(
                    id=rid,
                    category=category,
                    urgencies=self.urgencies(f, f"{key}.urgency", urgency, questions),
                    clauses=clauses,
                    ends_interview=bool(r.get("ends_interview", False)),
                    combines=bool(r.get("combines", False)),
                )
            )
        if not rules:
            self.bad(f, "rules", "must list the rules in order")
        elif rules[-1].clauses:
            self.bad(
                f, f"rules.{rules[-1].id}", "the last rule must have no `match` (the fallback)"
            )
        for rule in rules[:-1]:
            if not rule.clauses:
                self.bad(f, f"rules.{rule.id}", "only the last rule may have no `match`")
        extras = []
        for n, x in enumerate(data.get("extras") or []):
            key = f"extras[{n}]"
            if not isinstance(x, dict) or not isinstance(x.get("id"), str):
                self.bad(f, key, "needs an id")
                continue
            key = f"extras.{x['id']}"
            if set(x) - {"id", "for", "match", "add", "drop"}:
                self.bad(f, key, "may have only id, for, match, add and drop")
            for_categories = x.get("for")
            if for_categories is not None and (
                not str_list(for_categories) or not set(for_categories) <= seen
            ):
                self.bad(f, f"{key}.for", "must list rule categories")
                for_categories = None
            add = x.get("add") or {}
            if not isinstance(add, dict) or set(add) - set(SECTIONS):
                self.bad(f, f"{key}.add", f"must map sections ({', '.join(SECTIONS)}) to advice")
                add = {}
            for section, ids in add.items():
                if not str_list(ids):
                    self.bad(f, f"{key}.add.{section}", "must list advice ids")
            drop = x.get("drop", [])
            if not str_list(drop):
                self.bad(f, f"{key}.drop", "must list advice ids")
                drop = []
            if not x.get("match"):
                self.bad(f, f"{key}.match", "must say when the extra applies")
            extras.append(
                Extra(
                    id=x["id"],
                    for_categories=None if for_categories is None else frozenset(for_categories),
                    clauses=self.clauses(f, f"{key}.match", x.get("match"), questions),
                    add={str(k): tuple(v) for k, v in add.items() if str_list(v)},
                    drop=frozenset(drop),
                )
            )
        return RuleBook(tuple(rules), tuple(extras))

    def urgencies(
        self, f: str, key: str, data: Any, questions: Mapping[str, QuestionSpec]
    ) -> tuple[UrgencyCase, ...]:
        """One urgency, or cases ``{urgency, match}`` whose last case has no ``match``."""
        if isinstance(data, str):
            data = [{"urgency": data}]
        if not isinstance(data, list) or not data:
            self.bad(f, key, "must be an urgency or a list of {urgency, match} cases")
            return (UrgencyCase("routine"),)
        cases = []
        for n, case in enumerate(data):
            ckey = f"{key}[{n}]"
            if not isinstance(case, dict) or set(case) - {"urgency", "match"}:
                self.bad(f, ckey, "must have an urgency and, but for the last case, a match")
                continue
            if case.get("urgency") not in URGENCIES:
                self.bad(f, ckey, f"urgency {case.get('urgency')!r} is not one of {URGENCIES}")
            last = n == len(data) - 1
            if last == bool(case.get("match")):
                self.bad(f, ckey, "only the last case, and it always, has no match")
            clauses: Clauses = self.clauses(f, f"{ckey}.match", case.get("match"), questions)
            cases.append(UrgencyCase(str(case.get("urgency")), clauses))
        return tuple(cases) or (UrgencyCase("routine"),)

    # -- advice.yaml ----------------------------------------------------
    def advice(
        self, data: Mapping[str, Any], questions: Mapping[str, QuestionSpec], rules: RuleBook
    ) -> tuple[
        dict[str, str],
        dict[str, tuple[str, ...]],
        dict[str, dict[str, dict[str, str]]],
        dict[str, dict[str, tuple[str, ...]]],
        dict[str, tuple[str, ...]],
    ]:
        f = "advice.yaml"
        sources = data.get("sources") or {}
        if not isinstance(sources, dict) or not sources:
            self.bad(f, "sources", "must map source ids to citations")
            sources = {}
        not_public = data.get("not_public", [])
        if not str_list(not_public) or not set(not_public) <= set(sources):
            self.bad(f, "not_public", "must list source ids")
            not_public = []
        self.not_public = frozenset(not_public)
        advice_sources: dict[str, tuple[str, ...]] = {}
        for aid, ids in (data.get("advice") or {}).items():
            if not str_list(ids) or not ids:
                self.bad(f, f"advice.{aid}", "must list at least one source id")
                continue
            for s in ids:
                if s not in sources:
                    self.bad(f, f"advice.{aid}", f"source {s!r} is not in `sources`")
            if set(ids) <= self.not_public:
                self.bad(f, f"advice.{aid}", "needs a public source (the seed is not one)")
            advice_sources[str(aid)] = tuple(ids)

        def known(key: str, ids: Any) -> tuple[str, ...]:
            if not str_list(ids):
                self.bad(f, key, "must be a list of advice ids")
                return ()
            for a in ids:
                if a not in advice_sources:
                    self.bad(f, key, f"advice {a!r} is not defined under `advice`")
            return tuple(ids)

        answer_lines: dict[str, dict[str, dict[str, str]]] = {}
        for name in ANSWER_LINES:
            answer_lines[name] = {}
            for qid, table in (data.get(name) or {}).items():
                if qid not in questions or not isinstance(table, dict):
                    self.bad(f, f"{name}.{qid}", "must be a question id mapping options to advice")
                    continue
                for option, aid in table.items():
                    if option not in questions[qid].options:
                        self.bad(f, f"{name}.{qid}.{option}", f"{option!r} is not an option")
                    known(f"{name}.{qid}.{option}", [aid])
                answer_lines[name][qid] = {str(o): str(a) for o, a in table.items()}
        categories: dict[str, dict[str, tuple[str, ...]]] = {}
        table = data.get("categories") or {}
        for rule in rules.rules:
            entry = table.get(rule.category)
            if not isinstance(entry, dict):
                self.bad(f, f"categories.{rule.category}", "is missing")
                continue
            for extra_key in set(entry) - {*SECTIONS, "drop"}:
                self.bad(f, f"categories.{rule.category}.{extra_key}", "is not a section")
            categories[rule.category] = {
                s: known(f"categories.{rule.category}.{s}", entry.get(s, []))
                for s in (*SECTIONS, "drop")
            }
            if not categories[rule.category]["may_be"]:
                self.bad(f, f"categories.{rule.category}.may_be", "must say what it may be")
        for extra in rules.extras:
            for section, ids in extra.add.items():
                known(f"extras.{extra.id}.add.{section}", list(ids))
            known(f"extras.{extra.id}.drop", sorted(extra.drop))
        factsheets = {
            str(topic): known(f"factsheets.{topic}", ids)
            for topic, ids in (data.get("factsheets") or {}).items()
        }
        marks = {}
        for mark in ("stretching", "adult_only"):
            marks[mark] = frozenset(known(mark, data.get(mark, [])))
        if not self.problems:
            self.fitting_advice(rules, categories, answer_lines, marks)
        return dict(sources), advice_sources, answer_lines, categories, factsheets

    def fitting_advice(
        self,
        rules: RuleBook,
        categories: Mapping[str, Mapping[str, tuple[str, ...]]],
        answer_lines: Mapping[str, Mapping[str, Mapping[str, str]]],
        marks: Mapping[str, frozenset[str]],
    ) -> None:
        """Advice must fit the answers: no stretching at urgent or emergency
        urgency, no adult-only advice for a child (``health: under_16``)."""
        f = "advice.yaml"
        combining = [r.category for r in rules.rules if r.combines]
        per_answer = {
            a for table in answer_lines.values() for t in table.values() for a in t.values()
        }

        def reachable(category: str, with_also: bool) -> dict[str, str]:
            """Advice ids an outcome with ``category`` may show, and where they come from."""
            cats = [category, *(combining if with_also else [])]
            found: dict[str, str] = {}
            for c in cats:
                for ids in categories.get(c, {}).values():
                    found.update((a, f"categories.{c}") for a in ids)
                for x in rules.extras:
                    if x.for_categories is None or c in x.for_categories:
                        for ids in x.add.values():
                            found.update((a, f"extras.{x.id}") for a in ids)
            return found

        for rule in rules.rules:
            if not NO_STRETCH.intersection(c.urgency for c in rule.urgencies):
                continue
            shown = reachable(rule.category, rule.combines)
            if not rule.combines:
                shown.update((a, "why/first_aid") for a in per_answer)
            for aid in sorted(marks["stretching"] & set(shown)):
                self.bad(
                    f,
                    shown[aid],
                    f"stretching advice {aid!r} is reachable in the {rule.category!r} outcome "
                    "(urgent or emergency)",
                )
        child_drops: set[str] = set()
        for x in rules.extras:
            if x.for_categories is None and any(
                len(c) == 1 and c[0].question == "health" and "under_16" in c[0].options
                for c in x.clauses
            ):
                child_drops |= x.drop
        for rule in rules.rules:
            shown = reachable(rule.category, rule.combines)
            for aid in sorted((marks["adult_only"] & set(shown)) - child_drops):
                self.bad(f, shown[aid], f"adult-only advice {aid!r} is reachable for under_16")

    # -- safety.yaml ----------------------------------------------------
    def safety(self, data: Mapping[str, Any]) -> dict[str, re.Pattern[str]]:
        out = {}
        for name, pattern in (data.get("forbidden") or {}).items():
            try:
                out[str(name)] = re.compile(str(pattern), re.IGNORECASE)
            except re.error as exc:
                self.bad("safety.yaml", f"forbidden.{name}", f"not a valid pattern: {exc}")
        if not out:
            self.bad("safety.yaml", "forbidden", "must list the forbidden advice patterns")
        return out
