"""Load the interview's data from ``content/`` and check every part of it.

:func:`load_content` reads the YAML files with ``yaml.safe_load`` and returns
a :class:`Content`, or raises :class:`ContentError` listing every problem
found (file, key, what is wrong), so a bad edit never reaches a user.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from dialogs.rules import URGENCIES, Clauses, Extra, Rule, RuleBook, Test, UrgencyCase
from dialogs.wordings import Language, fold, read_language
from dialogs.wordings import normalize as normalize

TRIGGERS = ("answer", "stop", "restart")
CONDITIONS = ("worth_asking",)
OUTCOME_STATE = "outcome"
STOPPED_STATE = "stopped"
PROMPTS = {
    "resume": ("continue", "restart"),
    "forget": ("yes", "no"),
    "story": ("yes", "change"),
}
# Sections of an outcome, in the order they are shown (see dialogs/outcome.py).
SECTIONS = ("may_be", "now", "wont_help", "doctor", "gp", "today", "call_now")
# Tables that turn one answer into one advice line: `why` lines go under
# "what it may be", `first_aid` lines under "what to do now".
ANSWER_LINES = {"why": "may_be", "first_aid": "now"}
# The urgencies at which stretching advice must never be shown.
NO_STRETCH = frozenset({"emergency", "urgent"})
# Messages the code says by key; every locale must have each.
MESSAGES = (
    "welcome",
    "resumed",
    "restarted",
    "stopped",
    "already_stopped",
    "not_understood",
    "too_long",
    "pick_one",
    "none_with_others",
    "ambiguous",
    "nothing_to_go_back",
    "back",
    "unknown_command",
    "closed",
    "tick_one",
    "progress",
    "finished",
    "content_changed",
    "record_unreadable",
    "operator_restart",
    "forgotten",
    "forget_cancelled",
    "nothing_stored",
    "busy",
    "not_saved",
    "flood",
    "help",
    "about",
    "button_done",
    "button_private",
    "button_more",
    "group_private",
    "not_text",
    "button_dm",
    "button_details",
    "dm_offer",
    "dm_closed",
    "dm_sent",
    "command_start",
    "command_cramps",
    "command_crampinfo",
    "command_back",
    "command_restart",
    "command_stop",
    "command_forget",
    "command_help",
    "command_about",
    "help_terminal",
    "which",
    "which_hint",
    "story_warning",
    "command_language",
    "command_op",
    "option_crampinfo_topic",
    "option_op_command",
    "op_usage",
    "op_refused",
    "op_private_only",
    "op_no_such",
    "op_not_a_key",
    "op_reload_failed",
    "op_reloaded",
    "op_counts",
    "op_by_state",
    "op_by_outcome",
    "op_versions",
    "op_latest",
    "op_none",
    "op_restarted_told",
    "op_restarted_later",
    "op_confirm_all",
    "op_restarted_all",
    "op_conversation",
    "op_state",
    "op_waiting",
    "op_answers",
    "op_answers_none",
    "op_outcome_also",
    "op_outcome_one",
    "op_not_yet",
    "op_times",
    "op_versions_one",
    "op_unreachable",
    "language_choose",
    "language_set",
    "language_unknown",
)
OUTCOME_TEXTS = (
    "title",
    "you_said",
    *SECTIONS,
    "also",
    "also_fit",
    "sources",
    "disclaimer",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the content."""

    file: str
    key: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.what}"


class ContentError(ValueError):
    """The content is invalid; ``problems`` lists each thing wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.not_public: frozenset[str] = frozenset()
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """A question's ids, as fixed by the contract."""

    id: str
    options: tuple[str, ...]
    multi: bool
    exclusive: frozenset[str]


@dataclass(frozen=True, slots=True)
class Texts:
    """One locale's wording."""

    locale: str
    name: str
    labels: Mapping[str, Mapping[str, str]]
    synonyms: Mapping[str, Mapping[str, tuple[str, ...]]]
    question_text: Mapping[str, str]
    hints: Mapping[str, str]
    prompts: Mapping[str, Mapping[str, Any]]
    categories: Mapping[str, str]
    urgency: Mapping[str, str]
    advice: Mapping[str, str]
    outcome: Mapping[str, str]
    messages: Mapping[str, str]
    language: Language = field(default_factory=Language)
    # The instruction for an urgency when a category words it its own way
    # (pregnancy: "tell your midwife"), category -> urgency -> text.
    instruction_for: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Command names a platform may show in this language (Discord), command -> name;
    # the English names are the commands themselves.
    command_names: Mapping[str, str] = field(default_factory=dict)

    def instruction(self, category: str, urgency: str) -> str:
        """The one instruction an outcome gives first, for its urgency and category."""
        return self.instruction_for.get(category, {}).get(urgency) or self.urgency[urgency]


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the interview needs, checked and ready to use."""

    version: str
    initial: str
    always: frozenset[str]
    states: tuple[str, ...]
    transitions: tuple[Mapping[str, Any], ...]
    questions: Mapping[str, QuestionSpec]
    rules: RuleBook
    sources: Mapping[str, str]
    advice_sources: Mapping[str, tuple[str, ...]]
    why: Mapping[str, Mapping[str, str]]
    categories: Mapping[str, Mapping[str, tuple[str, ...]]]
    factsheets: Mapping[str, tuple[str, ...]]
    locales: Mapping[str, Texts]
    forbidden: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    first_aid: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    not_public: frozenset[str] = frozenset()

    def texts(self, locale: str | None) -> Texts:
        """The wording for ``locale``, falling back to its base language, then English."""
        return self.locales[self.known_locale(locale) or "en"]

    def known_locale(self, locale: str | None) -> str | None:
        """The content's locale for a platform's language code ("es-MX" -> "es"), or None."""
        if not locale:
            return None
        code = locale.strip().replace("_", "-")
        for candidate in (code, code.lower(), code.split("-")[0].lower()):
            if candidate in self.locales:
                return candidate
        return None


def default_content_dir() -> Path:
    """Where the content lives: the installed package, or ``content/`` in a checkout."""
    try:
        path = Path(str(resources.files("crampbot_content")))
        if (path / "dialog.yaml").is_file():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "content"


def load_content(directory: Path | str | None = None) -> Content:
    """Read and validate the content in ``directory``; raise :class:`ContentError`."""
    root = Path(directory) if directory is not None else default_content_dir()
    problems: list[Problem] = []
    raw = {
        name: _read(root / f"{name}.yaml", problems)
        for name in ("dialog", "questions", "rules", "advice", "safety")
    }
    locale_files = sorted((root / "locales").glob("*.yaml"))
    if not locale_files:
        problems.append(Problem("locales/", "-", "no locale files"))
    locales_raw = {p.stem: _read(p, problems) for p in locale_files}
    wordings_raw = {p.stem: _read(p, problems) for p in sorted((root / "wordings").glob("*.yaml"))}
    if problems:
        raise ContentError(problems)
    checker = _Checker(problems)
    content = checker.build(raw, locales_raw, wordings_raw)
    if problems or content is None:
        raise ContentError(problems)
    return content


def _read(path: Path, problems: list[Problem]) -> Any:
    name = path.name if path.parent.name not in _SUBFOLDERS else f"{path.parent.name}/{path.name}"
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(Problem(name, "-", "file is missing"))
        return None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "-", f"not valid YAML: {exc}".replace("\n", " ")))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(name, "-", "must be a mapping at the top level"))
        return None
    return data


class _Checker:
    """Builds the :class:`Content`, noting every problem instead of stopping at one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.not_public: frozenset[str] = frozenset()

    def bad(self, file: str, key: str, what: str) -> None:
        self.problems.append(Problem(file, key, what))

    def build(
        self,
        raw: Mapping[str, Any],
        locales_raw: Mapping[str, Any],
        wordings_raw: Mapping[str, Any],
    ) -> Content | None:
        questions = self.questions(raw["questions"])
        states, transitions, initial, always = self.dialog(raw["dialog"], questions)
        rules = self.rulebook(raw["rules"], questions)
        sources, advice_sources, answer_lines, categories, factsheets = self.advice(
            raw["advice"], questions, rules
        )
        forbidden = self.safety(raw["safety"])
        if "en" not in locales_raw:
            self.bad("locales/en.yaml", "-", "the English locale is required")
            return None
        locales = {
            name: self.locale(
                name, data, wordings_raw.get(name) or {}, questions, advice_sources, rules
            )
            for name, data in locales_raw.items()
        }
        for name in set(wordings_raw) - set(locales_raw):
            self.bad(f"wordings/{name}.yaml", "-", f"there is no locales/{name}.yaml")
        self.same_keys(locales_raw)
        for name, texts in locales.items():
            if texts is not None:
                self.forbidden_advice(name, texts, forbidden)
                for topic in factsheets:  # the fact sheet's title
                    self.text(
                        f"locales/{name}.yaml",
                        f"messages.sheet_{topic}",
                        texts.messages.get(f"sheet_{topic}"),
                    )
        if self.problems:
            return None
        return Content(
            version=str(raw["dialog"].get("version", "")),
            initial=initial,
            always=always,
            states=states,
            transitions=transitions,
            questions=questions,
            rules=rules,
            sources=sources,
            advice_sources=advice_sources,
            why=answer_lines["why"],
            categories=categories,
            factsheets=factsheets,
            locales={k: v for k, v in locales.items() if v is not None},
            forbidden=forbidden,
            first_aid=answer_lines["first_aid"],
            not_public=self.not_public,
        )

    # -- questions.yaml -------------------------------------------------
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
            if not _str_list(options) or not options:
                self.bad("questions.yaml", f"{key}.options", "must be a list of option ids")
                continue
            if len(set(options)) != len(options):
                self.bad("questions.yaml", f"{key}.options", "has a duplicate option id")
            exclusive = spec.get("exclusive", [])
            if not _str_list(exclusive) or not set(exclusive) <= set(options):
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
        if not _str_list(states):
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
        if not _str_list(always) or not set(always) <= set(questions):
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
                    if not _str_list(excluded):
                        self.bad(file, f"{ckey}.{qid}", "except must list option ids")
                        continue
                    for o in set(excluded) - set(spec.options):
                        self.bad(file, f"{ckey}.{qid}", f"{o!r} is not an option of {qid}")
                    chosen = [o for o in spec.options if o not in excluded]
                elif _str_list(options):
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
                not _str_list(for_categories) or not set(for_categories) <= seen
            ):
                self.bad(f, f"{key}.for", "must list rule categories")
                for_categories = None
            add = x.get("add") or {}
            if not isinstance(add, dict) or set(add) - set(SECTIONS):
                self.bad(f, f"{key}.add", f"must map sections ({', '.join(SECTIONS)}) to advice")
                add = {}
            for section, ids in add.items():
                if not _str_list(ids):
                    self.bad(f, f"{key}.add.{section}", "must list advice ids")
            drop = x.get("drop", [])
            if not _str_list(drop):
                self.bad(f, f"{key}.drop", "must list advice ids")
                drop = []
            if not x.get("match"):
                self.bad(f, f"{key}.match", "must say when the extra applies")
            extras.append(
                Extra(
                    id=x["id"],
                    for_categories=None if for_categories is None else frozenset(for_categories),
                    clauses=self.clauses(f, f"{key}.match", x.get("match"), questions),
                    add={str(k): tuple(v) for k, v in add.items() if _str_list(v)},
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
        if not _str_list(not_public) or not set(not_public) <= set(sources):
            self.bad(f, "not_public", "must list source ids")
            not_public = []
        self.not_public = frozenset(not_public)
        advice_sources: dict[str, tuple[str, ...]] = {}
        for aid, ids in (data.get("advice") or {}).items():
            if not _str_list(ids) or not ids:
                self.bad(f, f"advice.{aid}", "must list at least one source id")
                continue
            for s in ids:
                if s not in sources:
                    self.bad(f, f"advice.{aid}", f"source {s!r} is not in `sources`")
            if set(ids) <= self.not_public:
                self.bad(f, f"advice.{aid}", "needs a public source (the seed is not one)")
            advice_sources[str(aid)] = tuple(ids)

        def known(key: str, ids: Any) -> tuple[str, ...]:
            if not _str_list(ids):
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

    # -- locales --------------------------------------------------------
    def locale(
        self,
        name: str,
        data: Mapping[str, Any],
        wordings: Mapping[str, Any],
        questions: Mapping[str, QuestionSpec],
        advice_sources: Mapping[str, Any],
        rules: RuleBook,
    ) -> Texts | None:
        f = f"locales/{name}.yaml"
        labels: dict[str, dict[str, str]] = {}
        synonyms: dict[str, dict[str, tuple[str, ...]]] = {}
        question_text: dict[str, str] = {}
        hints: dict[str, str] = {}
        qtable = data.get("questions") or {}
        wtable = wordings.get("questions") or {}
        wf = f"wordings/{name}.yaml"
        for qid, spec in questions.items():
            entry = qtable.get(qid)
            if not isinstance(entry, dict):
                self.bad(f, f"questions.{qid}", "is missing")
                continue
            question_text[qid] = self.text(f, f"questions.{qid}.text", entry.get("text"))
            hints[qid] = str(entry.get("hint", ""))
            labels[qid], synonyms[qid] = {}, {}
            opts = entry.get("options") or {}
            claimed: dict[str, str] = {}
            for oid in spec.options:
                okey = f"questions.{qid}.options.{oid}"
                o = opts.get(oid)
                if not isinstance(o, dict):
                    self.bad(f, okey, "is missing")
                    continue
                labels[qid][oid] = self.text(f, f"{okey}.label", o.get("label"))
                wkey = f"questions.{qid}.{oid}"
                syn = (wtable.get(qid) or {}).get(oid, [])
                if not _str_list(syn):
                    self.bad(wf, wkey, "must be a list of strings")
                    syn = []
                elif not syn:
                    self.bad(wf, wkey, "has no wordings (every option needs some, in every locale)")
                synonyms[qid][oid] = tuple(normalize(s) for s in syn)
                for phrase in {normalize(labels[qid][oid]), normalize(oid), *synonyms[qid][oid]}:
                    other = claimed.setdefault(phrase, oid)
                    if other != oid:
                        self.bad(wf, wkey, f"{phrase!r} also means {other!r}")
            for extra in set(opts) - set(spec.options):
                self.bad(f, f"questions.{qid}.options.{extra}", "is not an option of the question")
            for extra in set(wtable.get(qid) or {}) - set(spec.options):
                self.bad(wf, f"questions.{qid}.{extra}", "is not an option of the question")
        for extra in set(wtable) - set(questions):
            self.bad(wf, f"questions.{extra}", "is not a question")
        language, wrong = read_language(wordings, {q: s.options for q, s in questions.items()})
        for key, problem in wrong:
            self.bad(wf, key, problem)
        prompts = data.get("prompts") or {}
        for prompt, options in PROMPTS.items():
            p = prompts.get(prompt)
            if not isinstance(p, dict):
                self.bad(f, f"prompts.{prompt}", "is missing")
                continue
            self.text(f, f"prompts.{prompt}.text", p.get("text"))
            for o in options:
                self.text(f, f"prompts.{prompt}.options.{o}", (p.get("options") or {}).get(o))
        advice = self.table(f, "advice", data.get("advice"), advice_sources)
        categories = self.table(
            f, "categories", data.get("categories"), [r.category for r in rules.rules]
        )
        urgency = self.table(f, "urgency", data.get("urgency"), URGENCIES)
        instruction_for: dict[str, dict[str, str]] = {}
        for category, table in (data.get("instruction_for") or {}).items():
            if category not in categories or not isinstance(table, dict):
                self.bad(f, f"instruction_for.{category}", "must be a category mapping urgencies")
                continue
            instruction_for[category] = self.table(f, f"instruction_for.{category}", table, table)
            for u in set(table) - set(URGENCIES):
                self.bad(f, f"instruction_for.{category}.{u}", "is not an urgency")
        if not isinstance(data.get("outcome"), dict) or not isinstance(data.get("messages"), dict):
            self.bad(f, "outcome/messages", "both sections are required")
            return None
        for key in (*MESSAGES, *(f"topic_{qid}" for qid in questions)):
            self.text(f, f"messages.{key}", data["messages"].get(key))
        for key in OUTCOME_TEXTS:
            self.text(f, f"outcome.{key}", data["outcome"].get(key))
        return Texts(
            locale=name,
            name=str(data.get("name", name)),
            labels=labels,
            synonyms=synonyms,
            language=language,
            question_text=question_text,
            hints=hints,
            prompts=prompts,
            categories=categories,
            urgency=urgency,
            advice=advice,
            outcome={str(k): str(v) for k, v in data["outcome"].items()},
            messages={str(k): str(v) for k, v in data["messages"].items()},
            instruction_for=instruction_for,
            command_names=self.command_names(f, data.get("command_names")),
        )

    def command_names(self, file: str, data: Any) -> dict[str, str]:
        commands = {k.removeprefix("command_") for k in MESSAGES if k.startswith("command_")}
        names: dict[str, str] = {}
        for command, name in (data or {}).items() if isinstance(data, dict) else ():
            if command not in commands:
                self.bad(file, f"command_names.{command}", "is not a command")
            elif (
                not isinstance(name, str)
                or not _COMMAND_NAME.fullmatch(name)
                or name != name.lower()
            ):
                self.bad(
                    file,
                    f"command_names.{command}",
                    "must be 1-32 lower-case letters, digits, - or _",
                )
            else:
                names[command] = name
        return names

    def text(self, file: str, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            self.bad(file, key, "must be non-empty text")
            return ""
        return value

    def table(self, file: str, section: str, data: Any, keys: Any) -> dict[str, str]:
        data = data if isinstance(data, dict) else {}
        for k in set(data) - set(keys):
            self.bad(file, f"{section}.{k}", "is not used by the content")
        return {k: self.text(file, f"{section}.{k}", data.get(k)) for k in keys}

    def same_keys(self, locales_raw: Mapping[str, Any]) -> None:
        """Every locale has en.yaml's keys and no others, and each text keeps the
        English text's ``{placeholders}``, numbers and ``/commands``."""
        reference = dict(_leaves(locales_raw["en"]))
        for name, data in locales_raw.items():
            if name == "en":
                continue
            f = f"locales/{name}.yaml"
            have = dict(_leaves(data))
            for missing in sorted(reference.keys() - have.keys()):
                self.bad(f, missing, "is missing (present in en.yaml)")
            for extra in sorted(have.keys() - reference.keys()):
                self.bad(f, extra, "is not in en.yaml")
            for key in sorted(reference.keys() & have.keys()):
                for what, marks in _MARKS.items():
                    if sorted(marks(reference[key])) != sorted(marks(have[key])):
                        self.bad(f, key, f"must have the same {what} as en.yaml")

    def forbidden_advice(
        self, name: str, texts: Texts, patterns: Mapping[str, re.Pattern[str]]
    ) -> None:
        for key, value in _texts_of(texts):
            for rule, pattern in patterns.items():
                if pattern.search(value) or pattern.search(fold(value)):
                    self.bad(f"locales/{name}.yaml", key, f"contains forbidden advice ({rule})")


def _texts_of(texts: Texts) -> Iterator[tuple[str, str]]:
    for section in (
        "question_text",
        "hints",
        "categories",
        "urgency",
        "advice",
        "outcome",
        "messages",
    ):
        for k, v in getattr(texts, section).items():
            yield f"{section}.{k}", v
    for category, table in texts.instruction_for.items():
        for u, v in table.items():
            yield f"instruction_for.{category}.{u}", v
    for qid, options in texts.labels.items():
        for oid, label in options.items():
            yield f"questions.{qid}.options.{oid}.label", label
    for pid, prompt in texts.prompts.items():
        yield f"prompts.{pid}.text", str(prompt.get("text", ""))


def _leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(path, text)`` for every text of a locale file, without its identity keys and
    command names (English has none: its names are the commands)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif prefix not in ("locale", "name") and not prefix.startswith("command_names."):
        yield prefix, str(data)


def _placeholders(text: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return ["(unbalanced braces)"]


# What a translation must keep from the English text: the values the code fills
# in, the numbers (minutes, ages, days) and the commands it names.
_MARKS: dict[str, Callable[[str], list[str]]] = {
    "{placeholders}": _placeholders,
    "numbers": re.compile(r"\d+").findall,
    "/commands": re.compile(r"(?<!\w)/[a-z]+").findall,
}


_SUBFOLDERS = ("locales", "wordings")
# A command name as Discord accepts it (letters of any script, in lower case).
_COMMAND_NAME = re.compile(r"[-_\w]{1,32}")


def _str_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
