"""One locale's texts: the keys the code says, and reading ``locales/<name>.yaml``.

:class:`LocaleReader` reads a locale with its ``wordings/<name>.yaml`` into
:class:`Texts` and checks it: every key present and non-empty, each
translation keeping English's placeholders, numbers and commands, and no
forbidden advice in any text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.problems import Notes, str_list
from dialogs.rules import URGENCIES, RuleBook
from dialogs.wordings import Language, fold, normalize, read_language

PROMPTS = {
    "resume": ("continue", "restart"),
    "forget": ("yes", "no"),
    "story": ("yes", "change"),
}
# Sections of an outcome, in the order they are shown (see dialogs/outcome.py).
SECTIONS = ("may_be", "now", "wont_help", "doctor", "gp", "today", "call_now")
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
    # What a typed reply to a prompt may say for each option, prompt -> option -> phrases
    # (normalized; the option's id, label and number count too).
    prompt_words: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # Command names a platform may show in this language (Discord), command -> name;
    # the English names are the commands themselves.
    command_names: Mapping[str, str] = field(default_factory=dict)

    def instruction(self, category: str, urgency: str) -> str:
        """The one instruction an outcome gives first, for its urgency and category."""
        return self.instruction_for.get(category, {}).get(urgency) or self.urgency[urgency]


class LocaleReader(Notes):
    """Reads and checks locale files, noting every problem."""

    def read(
        self,
        name: str,
        data: Mapping[str, Any],
        wordings: Mapping[str, Any],
        questions: Mapping[str, tuple[str, ...]],
        advice_sources: Mapping[str, Any],
        rules: RuleBook,
    ) -> Texts | None:
        """The texts of locale ``name`` for questions with these options; None if unusable."""
        f = f"locales/{name}.yaml"
        labels: dict[str, dict[str, str]] = {}
        synonyms: dict[str, dict[str, tuple[str, ...]]] = {}
        question_text: dict[str, str] = {}
        hints: dict[str, str] = {}
        qtable = data.get("questions") or {}
        wtable = wordings.get("questions") or {}
        wf = f"wordings/{name}.yaml"
        for qid, options in questions.items():
            entry = qtable.get(qid)
            if not isinstance(entry, dict):
                self.bad(f, f"questions.{qid}", "is missing")
                continue
            question_text[qid] = self.text(f, f"questions.{qid}.text", entry.get("text"))
            hints[qid] = str(entry.get("hint", ""))
            labels[qid], synonyms[qid] = {}, {}
            opts = entry.get("options") or {}
            claimed: dict[str, str] = {}
            for oid in options:
                okey = f"questions.{qid}.options.{oid}"
                o = opts.get(oid)
                if not isinstance(o, dict):
                    self.bad(f, okey, "is missing")
                    continue
                labels[qid][oid] = self.text(f, f"{okey}.label", o.get("label"))
                wkey = f"questions.{qid}.{oid}"
                syn = (wtable.get(qid) or {}).get(oid, [])
                if not str_list(syn):
                    self.bad(wf, wkey, "must be a list of strings")
                    syn = []
                elif not syn:
                    self.bad(wf, wkey, "has no wordings (every option needs some, in every locale)")
                synonyms[qid][oid] = tuple(normalize(s) for s in syn)
                for phrase in {normalize(labels[qid][oid]), normalize(oid), *synonyms[qid][oid]}:
                    other = claimed.setdefault(phrase, oid)
                    if other != oid:
                        self.bad(wf, wkey, f"{phrase!r} also means {other!r}")
            for extra in set(opts) - set(options):
                self.bad(f, f"questions.{qid}.options.{extra}", "is not an option of the question")
            for extra in set(wtable.get(qid) or {}) - set(options):
                self.bad(wf, f"questions.{qid}.{extra}", "is not an option of the question")
        for extra in set(wtable) - set(questions):
            self.bad(wf, f"questions.{extra}", "is not a question")
        language, wrong = read_language(wordings, questions)
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
        prompt_words = self.prompt_words(wf, wordings.get("prompts"), prompts)
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
            prompt_words=prompt_words,
            command_names=self.command_names(f, data.get("command_names")),
        )

    def prompt_words(
        self, file: str, data: Any, prompts: Mapping[str, Any]
    ) -> dict[str, dict[str, tuple[str, ...]]]:
        """The wordings of each prompt's options (``prompts:`` in the wordings file), each
        phrase meaning one option of its prompt, labels and ids included."""
        table = data if isinstance(data, dict) else {}
        if data is not None and not isinstance(data, dict):
            self.bad(file, "prompts", "must map prompts to their options' wordings")
        for extra in set(table) - set(PROMPTS):
            self.bad(file, f"prompts.{extra}", "is not a prompt")
        words: dict[str, dict[str, tuple[str, ...]]] = {}
        for prompt, options in PROMPTS.items():
            given = table.get(prompt) or {}
            labels = (prompts.get(prompt) or {}).get("options") or {}
            for extra in set(given) - set(options) if isinstance(given, dict) else ():
                self.bad(file, f"prompts.{prompt}.{extra}", "is not an option of the prompt")
            claimed: dict[str, str] = {}
            words[prompt] = {}
            for o in options:
                phrases = given.get(o, []) if isinstance(given, dict) else None
                if not str_list(phrases):
                    self.bad(file, f"prompts.{prompt}.{o}", "must be a list of strings")
                    phrases = []
                own = {normalize(o), normalize(str(labels.get(o, ""))), *map(normalize, phrases)}
                own.discard("")
                for phrase in own:
                    other = claimed.setdefault(phrase, o)
                    if other != o:
                        self.bad(file, f"prompts.{prompt}.{o}", f"{phrase!r} also means {other!r}")
                words[prompt][o] = tuple(sorted(own))
        return words

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


# A command name as Discord accepts it (letters of any script, in lower case).
_COMMAND_NAME = re.compile(r"[-_\w]{1,32}")
