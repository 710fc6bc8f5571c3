"""Compose the outcome a person reads from the rules' verdict and the advice data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dialogs.content import Content, Texts
from dialogs.record import Answer
from dialogs.rules import Verdict
from dialogs.types import Outcome, Section


def compose(
    content: Content, texts: Texts, verdict: Verdict, answers: Mapping[str, Answer]
) -> Outcome:
    """Build the outcome: what it may be, why, what may help, when to see a doctor, also, sources."""
    rule = verdict.rule
    advice = content.categories[rule.category]
    shown: set[str] = set()
    out = texts.outcome

    def section(title: str, ids: Iterable[str]) -> Section | None:
        fresh = [a for a in dict.fromkeys(ids) if a not in shown]
        shown.update(fresh)
        if not fresh:
            return None
        sources = tuple(dict.fromkeys(s for a in fresh for s in content.advice_sources[a]))
        return Section(title=title, lines=tuple(texts.advice[a] for a in fresh), sources=sources)

    why: list[str] = []
    if not rule.combines:
        for question, table in content.why.items():
            answer = answers.get(question)
            chosen = (answer,) if isinstance(answer, str) else answer or ()
            why.extend(table[o] for o in chosen if o in table)
    doctor_lines = [*advice["doctor"], *(a for x in verdict.extras for a in x.advice)]
    parts = [
        section(out["may_be"], advice["may_be"]),
        section(out["why"], why),
        section(out["now"], advice["now"]),
        _urgency_first(section(out["doctor"], doctor_lines), texts.urgency[rule.urgency]),
    ]
    for extra_rule in verdict.also:
        extra = content.categories[extra_rule.category]
        title = out["also"].format(category=texts.categories[extra_rule.category])
        parts.append(section(title, [*extra["may_be"], *extra["now"]]))
    sections = tuple(p for p in parts if p is not None)
    sources = tuple(dict.fromkeys(s for p in sections for s in p.sources))
    headline = out["title"]
    where, when = answers.get("where"), answers.get("when")
    if isinstance(where, str) and isinstance(when, str):
        said = out["you_said"].format(
            where=texts.labels["where"][where].lower(), when=texts.labels["when"][when].lower()
        )
        headline = f"{headline}\n{said}"
    outcome = Outcome(
        category=rule.category,
        urgency=rule.urgency,
        also=tuple(r.category for r in verdict.also),
        headline=headline,
        sections=sections,
        sources=sources,
        disclaimer=out["disclaimer"],
    )
    return _with_text(outcome, content, texts)


def _urgency_first(section: Section | None, urgency: str) -> Section | None:
    if section is None:
        return None
    return Section(title=section.title, lines=(urgency, *section.lines), sources=section.sources)


def _with_text(outcome: Outcome, content: Content, texts: Texts) -> Outcome:
    lines = [outcome.headline, ""]
    for s in outcome.sections:
        lines.append(f"{s.title}:")
        lines.extend(f"- {line}" for line in s.lines)
        lines.append("")
    lines.append(
        f"{texts.outcome['sources']}: "
        + "; ".join(f"{sid} ({content.sources[sid]})" for sid in outcome.sources)
    )
    lines.append(outcome.disclaimer)
    return Outcome(
        category=outcome.category,
        urgency=outcome.urgency,
        also=outcome.also,
        headline=outcome.headline,
        sections=outcome.sections,
        sources=outcome.sources,
        disclaimer=outcome.disclaimer,
        text="\n".join(lines),
        citations=tuple((sid, content.sources[sid]) for sid in outcome.sources),
    )


def factsheet(content: Content, texts: Texts, topic: str) -> Section | None:
    """A public fact sheet (``/crampinfo TOPIC``): general advice only, nothing personal."""
    ids = content.factsheets.get(topic)
    if ids is None:
        return None
    sources = tuple(dict.fromkeys(s for a in ids for s in content.advice_sources[a]))
    return Section(title=topic, lines=tuple(texts.advice[a] for a in ids), sources=sources)
