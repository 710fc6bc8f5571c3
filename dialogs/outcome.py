"""Compose the outcome a person reads from the rules' verdict and the advice data.

The urgency instruction comes first, right under the title, and is said
once. Every other line is an advice id of the content, chosen for these
answers: the category's lines, the lines of each ``also`` category, the
lines the answers add (``why``, ``first_aid``, extras), minus the lines a
category or an extra drops, each line at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from dialogs.content import Content
from dialogs.locales import SECTIONS, Texts
from dialogs.record import Answer
from dialogs.rules import URGENCIES, Verdict
from dialogs.types import Outcome, Section

# The short form: what it may be, at most three things to do now, the emergency signs.
SHORT = {"may_be": 1, "now": 3, "call_now": None}
# Word budgets: the short form fits one phone screen; the full form stays readable.
SHORT_WORDS = 120
FULL_WORDS = 300
# Sections that may keep fewer lines when a full form is over its budget.
SHORTENED = frozenset({"now", "wont_help", "doctor", "gp"})
# Sections shown only below an urgency: "see a doctor today for ..." adds nothing
# when the instruction is that or more, "book an appointment if ..." only to self-care.
SHOWN_AT = {
    "today": frozenset(URGENCIES[URGENCIES.index("urgent") + 1 :]),
    "gp": frozenset({"self_care"}),
}


OUTCOMES = 1024
"""How many composed outcomes an interview keeps (the least recently used go first)."""


class Outcomes:
    """The outcomes of one content version, composed once and kept by exactly what
    :func:`compose` depends on: the locale, the verdict, and the answers it reads
    beyond the verdict (the ``why`` and ``first_aid`` tables, where and when).

    A bounded LRU of ``size`` outcomes (0: compose every time). Composing costs
    tens of microseconds; many people reach the same outcome.
    """

    def __init__(self, content: Content, size: int = OUTCOMES) -> None:
        self.content = content
        self._read = tuple(dict.fromkeys([*content.why, *content.first_aid, "where", "when"]))
        self._composed = lru_cache(maxsize=size)(self._compose)

    def __call__(self, texts: Texts, verdict: Verdict, answers: Mapping[str, Answer]) -> Outcome:
        """The outcome for ``answers`` (whose verdict is ``verdict``) in the locale of ``texts``."""
        read = tuple((q, answers[q]) for q in self._read if q in answers)
        return self._composed(texts.locale, verdict, read)

    def _compose(
        self, locale: str, verdict: Verdict, read: tuple[tuple[str, Answer], ...]
    ) -> Outcome:
        # Only the answers in the cache key reach compose, so the key is all it depends on.
        return compose(self.content, self.content.locales[locale], verdict, dict(read))


def words(text: str) -> int:
    """How many words a person reads in ``text``."""
    return len(text.split())


def compose(
    content: Content, texts: Texts, verdict: Verdict, answers: Mapping[str, Answer]
) -> Outcome:
    """Build the outcome for ``answers``: the instruction first, then the advice that fits.

    When many categories combine, the full form is kept within its word
    budget: first each ``also`` category keeps fewer of its lines (down to
    one), then the sections that can be shortened keep fewer (answer-specific
    lines come first, so they stay), and last the ``also`` categories are
    named in one line. The instruction, what it may be and the warning signs
    are never cut.
    """
    outcome = _compose(content, texts, verdict, answers, None, None)
    most = max((len(s.lines) for s in outcome.sections), default=1)
    for also_lines, section_lines in [
        *((n, None) for n in range(most - 1, 0, -1)),
        *((1, n) for n in range(most - 1, 0, -1)),
        (0, 1),
    ]:
        if words(outcome.text) <= FULL_WORDS:
            break
        outcome = _compose(content, texts, verdict, answers, also_lines, section_lines)
    return outcome


def _compose(
    content: Content,
    texts: Texts,
    verdict: Verdict,
    answers: Mapping[str, Answer],
    also_lines: int | None,
    section_lines: int | None,
) -> Outcome:
    rule = verdict.rule
    categories = content.categories
    dropped = set(categories[rule.category]["drop"]).union(*(x.drop for x in verdict.extras))
    lines: dict[str, list[str]] = {s: list(categories[rule.category][s]) for s in SECTIONS}
    for extra in reversed(verdict.extras):  # lines for these answers before general ones
        for s, ids in extra.add.items():
            lines[s][:0] = ids
    if not rule.combines:
        lines["may_be"][:0] = _answer_lines(content.why, answers)
        lines["now"][:0] = _answer_lines(content.first_aid, answers)
    for also in verdict.also:
        for s in SECTIONS[2:]:
            lines[s].extend(categories[also.category][s])
    for hidden in (s for s, shown_at in SHOWN_AT.items() if verdict.urgency not in shown_at):
        lines[hidden] = []
    out = texts.outcome
    shown: set[str] = set(dropped)
    to_do_now: list[str] = []  # the short form's "what to do now": category, then also

    def section(title: str, ids: Iterable[str], cap: int | None = None) -> Section | None:
        fresh = [a for a in dict.fromkeys(ids) if a not in shown][:cap]
        shown.update(fresh)
        if not fresh:
            return None
        return Section(
            title=title,
            lines=tuple(texts.advice[a] for a in fresh),
            sources=_public(content, (s for a in fresh for s in content.advice_sources[a])),
        )

    may_be = section(out["may_be"], lines["may_be"])
    if also_lines == 0 and may_be is not None and verdict.also:
        names = ", ".join(texts.categories[r.category] for r in verdict.also)
        may_be = Section(
            title=may_be.title,
            lines=(*may_be.lines, out["also_fit"].format(categories=names)),
            sources=may_be.sources,
        )
    parts = [may_be]
    parts.append(section(out["now"], lines["now"], section_lines))
    to_do_now.extend(parts[-1].lines if parts[-1] else ())
    for also in verdict.also:
        entry = categories[also.category]
        heading = out["also"].format(category=texts.categories[also.category])
        fresh = [a for a in dict.fromkeys([*entry["may_be"], *entry["now"]]) if a not in shown]
        kept = fresh[:also_lines]
        parts.append(section(heading, kept) if kept else None)
        to_do_now.extend(texts.advice[a] for a in kept if a in entry["now"])
    parts.extend(
        section(out[s], lines[s], section_lines if s in SHORTENED else None) for s in SECTIONS[2:]
    )
    sections = tuple(p for p in parts if p is not None)
    sources = _public(content, (s for p in sections for s in p.sources))
    title = out["title"]
    instruction = texts.instruction(rule.category, verdict.urgency)
    headline = f"{title}\n{instruction}"
    where, when = answers.get("where"), answers.get("when")
    if isinstance(where, str) and isinstance(when, str):
        said = out["you_said"].format(
            where=texts.labels["where"][where], when=texts.labels["when"][when]
        )
        headline = f"{headline}\n{said}"
    short, short_text = _short([title, instruction], sections, out, tuple(to_do_now))
    return Outcome(
        category=rule.category,
        urgency=verdict.urgency,
        also=tuple(r.category for r in verdict.also),
        headline=headline,
        sections=sections,
        sources=sources,
        disclaimer=out["disclaimer"],
        text=_render([headline], sections, f"{out['sources']}: {', '.join(sources)}.", out),
        citations=tuple((sid, content.sources[sid]) for sid in sources),
        title=title,
        instruction=instruction,
        short=short,
        short_text=short_text,
        sources_title=out["sources"],
        locale=texts.locale,
    )


def _answer_lines(
    table: Mapping[str, Mapping[str, str]], answers: Mapping[str, Answer]
) -> list[str]:
    """The advice ids ``table`` gives for the chosen options, in question order."""
    found: list[str] = []
    for question, by_option in table.items():
        answer = answers.get(question)
        chosen = (answer,) if isinstance(answer, str) else answer or ()
        found.extend(by_option[o] for o in chosen if o in by_option)
    return found


def _public(content: Content, sources: Iterable[str]) -> tuple[str, ...]:
    """Source ids to show: each once, without the ones that are not public (the seed)."""
    return tuple(s for s in dict.fromkeys(sources) if s not in content.not_public)


def _short(
    head: list[str],
    sections: tuple[Section, ...],
    out: Mapping[str, str],
    to_do_now: tuple[str, ...],
) -> tuple[tuple[Section, ...], str]:
    """The short form's sections and text, cut to fit one phone screen.

    Things to do now are left off from the end while the text is over its
    word budget (never fewer than one).
    """
    by_title = {s.title: s for s in sections}
    for keep in range(SHORT["now"] or 0, 0, -1):
        short = []
        for key, limit in SHORT.items():
            found = by_title.get(out[key])
            lines = to_do_now[:keep] if key == "now" else found.lines[:limit] if found else ()
            if lines:
                short.append(Section(title=out[key], lines=lines))
        text = _render(head, short, None, None)
        if words(text) <= SHORT_WORDS:
            break
    return tuple(short), text


def _render(
    head: list[str],
    sections: Iterable[Section],
    sources: str | None,
    out: Mapping[str, str] | None,
) -> str:
    lines = [*head, ""]
    for s in sections:
        lines.append(f"{s.title}:")
        lines.extend(f"- {line}" for line in s.lines)
        lines.append("")
    if sources is not None and out is not None:
        lines.append(sources)
        lines.append(out["disclaimer"])
    return "\n".join(lines).rstrip("\n")


def factsheet(content: Content, texts: Texts, topic: str) -> Section | None:
    """A public fact sheet (``/crampinfo TOPIC``): general advice only, nothing personal."""
    ids = content.factsheets.get(topic)
    if ids is None:
        return None
    sources = _public(content, (s for a in ids for s in content.advice_sources[a]))
    title = texts.messages[f"sheet_{topic}"]
    return Section(title=title, lines=tuple(texts.advice[a] for a in ids), sources=sources)
