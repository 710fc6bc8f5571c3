"""A locale's language data for reading replies: negations, numbers, units, bands.

It lives in ``content/wordings/<locale>.yaml`` beside the lay wordings so a
clinician or translator edits words, never Python. :func:`read_language`
checks the ``language`` and ``bands`` sections and says what is wrong.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def fold(text: str) -> str:
    """Lower-case and unify unicode, without accents: people often type "musculo"
    for "músculo", so every locale matches either spelling."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text)


def normalize(text: str) -> str:
    """Fold case and accents, drop apostrophes and punctuation, squeeze spaces."""
    text = fold(text).replace("'", "").replace("\u2019", "")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Band:
    """One option that a measured value chooses: it covers ``low`` to ``high``."""

    option: str
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Bands:
    """How a question reads numbers: a duration in seconds or a rate per year."""

    per_year: bool
    bands: tuple[Band, ...]
    bare_unit: float | None = None
    largest_unit: float = float("inf")


@dataclass(frozen=True, slots=True)
class Language:
    """The words a locale uses to say no, count, compare and measure time."""

    negations: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()
    fillers: frozenset[str] = frozenset()
    numbers: Mapping[str, float] = field(default_factory=dict)
    links: frozenset[str] = frozenset()
    articles: frozenset[str] = frozenset()
    units: Mapping[str, float] = field(default_factory=dict)
    more_than: tuple[tuple[str, ...], ...] = ()
    less_than: tuple[tuple[str, ...], ...] = ()
    more_after: tuple[tuple[str, ...], ...] = ()
    less_after: tuple[tuple[str, ...], ...] = ()
    ranges: frozenset[str] = frozenset()
    times: frozenset[str] = frozenset()
    per: frozenset[str] = frozenset()
    every: frozenset[str] = frozenset()
    other: frozenset[str] = frozenset()
    typo_min_length: int = 5
    typo_two_edits_from: int = 8
    bands: Mapping[str, Bands] = field(default_factory=dict)
    vague: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    open_ended: frozenset[str] = frozenset()


_WORD_LISTS = (
    "negations",
    "clause_breaks",
    "fillers",
    "links",
    "articles",
    "ranges",
    "times",
    "per",
    "every",
    "other",
    "open_ended",
)


def read_language(
    data: Mapping[str, Any], questions: Mapping[str, tuple[str, ...]]
) -> tuple[Language, list[tuple[str, str]]]:
    """The ``language`` and ``bands`` of a wordings file, and (key, problem) pairs."""
    problems: list[tuple[str, str]] = []
    lang = data.get("language") or {}
    if not isinstance(lang, dict):
        return Language(), [("language", "must be a mapping")]

    def words(key: str) -> frozenset[str]:
        value = lang.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append((f"language.{key}", "must be a list of strings"))
            return frozenset()
        return frozenset(normalize(v) for v in value if normalize(v))

    def phrases(key: str) -> tuple[tuple[str, ...], ...]:
        value = lang.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append((f"language.{key}", "must be a list of strings"))
            return ()
        return tuple(tuple(normalize(v).split()) for v in value if normalize(v))

    lists = {key: words(key) for key in _WORD_LISTS}
    numbers: dict[str, float] = {}
    for word, value in (lang.get("numbers") or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append((f"language.numbers.{word}", "must be a positive number"))
        else:
            numbers[normalize(str(word))] = float(value)
    units: dict[str, float] = {}
    for i, unit in enumerate(lang.get("units") or []):
        seconds = unit.get("seconds") if isinstance(unit, dict) else None
        names = unit.get("words") if isinstance(unit, dict) else None
        if not isinstance(seconds, int | float) or seconds <= 0 or not isinstance(names, list):
            problems.append((f"language.units.{i}", "needs positive `seconds` and a `words` list"))
            continue
        units.update({normalize(str(n)): float(seconds) for n in names})
    typos = lang.get("typos") or {}
    bands: dict[str, Bands] = {}
    for qid, spec in (data.get("bands") or {}).items():
        found = _bands(qid, spec, questions.get(qid), problems)
        if found:
            bands[qid] = found
    vague: dict[str, dict[str, tuple[str, ...]]] = {}
    for qid, table in (data.get("vague") or {}).items():
        options = questions.get(qid, ())
        for phrase, meant in (table or {}).items() if isinstance(table, dict) else ():
            ok = isinstance(meant, list) and len(meant) > 1 and set(meant) <= set(options)
            if not ok:
                problems.append((f"vague.{qid}.{phrase}", "must list two or more options"))
                continue
            vague.setdefault(qid, {})[normalize(str(phrase))] = tuple(meant)
    return (
        Language(
            **lists,
            numbers=numbers,
            units=units,
            more_than=phrases("more_than"),
            less_than=phrases("less_than"),
            more_after=phrases("more_after"),
            less_after=phrases("less_after"),
            typo_min_length=int(typos.get("min_length", 5)),
            typo_two_edits_from=int(typos.get("two_edits_from", 8)),
            bands=bands,
            vague=vague,
        ),
        problems,
    )


def _bands(
    qid: str, spec: Any, options: tuple[str, ...] | None, problems: list[tuple[str, str]]
) -> Bands | None:
    key = f"bands.{qid}"
    if options is None or not isinstance(spec, dict) or not isinstance(spec.get("options"), dict):
        problems.append((key, "must name a question and map its options to [from, to]"))
        return None
    out: list[Band] = []
    for oid, edges in spec["options"].items():
        ok = isinstance(edges, list) and len(edges) == 2
        low, high = edges if ok else (None, None)
        if oid not in options or not isinstance(low, int | float):
            problems.append((f"{key}.{oid}", "must be an option with [from, to] (to may be null)"))
            continue
        out.append(Band(oid, float(low), float("inf") if high is None else float(high)))
    bare, largest = spec.get("bare_unit"), spec.get("largest_unit")
    return Bands(
        bool(spec.get("per_year")),
        tuple(out),
        float(bare) if bare else None,
        float(largest) if largest else float("inf"),
    )
