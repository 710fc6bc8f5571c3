"""Read a typed reply for its meaning: known phrases, amounts, negation, "none".

One :class:`Reader` per locale is built from the content once. Reading a
reply: tokenize, mend typos, find amounts (by value, through the question's
bands), find known phrases longest first (a phrase may run across commas, so
labels such as "One leg swollen, red, warm or throbbing" stay whole), then
cut clauses and drop every option named after a negation in its clause.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialogs.content import QuestionSpec
from dialogs.locales import Texts
from dialogs.understanding.quantities import quantities
from dialogs.understanding.result import Ambiguous, NotUnderstood, Result, Understood
from dialogs.understanding.tokens import SOFT, SYMBOLS, Speller, is_number, is_word, tokenize
from dialogs.wordings import Language

MAX_INPUT = 1000
#: Filler words a known phrase may have inside it ("after a long run").
MAX_SKIPPED = 2
#: A question a story never answers: the warning signs are always asked.
SAFETY_QUESTION = "red_flags"


@dataclass(frozen=True, slots=True)
class Span:
    """Tokens ``start`` to ``end`` (exclusive) name ``options``."""

    start: int
    end: int
    options: tuple[str, ...]
    vague: bool = False


@dataclass(frozen=True, slots=True)
class _Phrases:
    """A question's known phrases, by first word, longest first."""

    by_first: Mapping[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]
    single: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, spec: QuestionSpec, texts: Texts) -> _Phrases:
        table: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        named: list[tuple[str, tuple[str, ...]]] = [
            (name, (oid,))
            for oid in spec.options
            for name in (oid, oid.replace("_", " "), texts.labels[spec.id][oid])
        ]
        named += [(n, (oid,)) for oid in spec.options for n in texts.synonyms[spec.id][oid]]
        named += list(texts.language.vague.get(spec.id, {}).items())
        for name, options in named:
            words = tuple(t for t in tokenize(name) if t not in SOFT)
            if words:
                table.setdefault(words[0], {}).setdefault(words, options)
        return cls(
            {
                first: tuple(sorted(found.items(), key=lambda item: -len(item[0])))
                for first, found in table.items()
            },
            {w: found[(w,)] for w, found in table.items() if (w,) in found},
        )

    def words(self) -> Iterable[str]:
        for entries in self.by_first.values():
            for words, _ in entries:
                yield from words

    def match(
        self, tokens: list[str], i: int, taken: list[bool], skip: frozenset[str]
    ) -> tuple[int, tuple[str, ...]] | None:
        """The longest phrase at ``i``: its end, and its options (several for a vague one). Inside a phrase, commas
        and up to :data:`MAX_SKIPPED` words of ``skip`` may stand between its words."""
        for words, options in self.by_first.get(tokens[i], ()):
            j, k, skipped = i, 0, 0
            while k < len(words) and j < len(tokens) and not taken[j]:
                if tokens[j] == words[k]:
                    k += 1
                elif k and tokens[j] in SOFT:
                    pass
                elif k and tokens[j] in skip and skipped < MAX_SKIPPED:
                    skipped += 1
                else:
                    break
                j += 1
            if k == len(words):
                return j, options
        return None


class Reader:
    """Understands typed replies to every question in one locale."""

    def __init__(self, questions: Mapping[str, QuestionSpec], texts: Texts) -> None:
        self.questions = questions
        self.language: Language = texts.language
        self.phrases = {qid: _Phrases.build(spec, texts) for qid, spec in questions.items()}
        lang = self.language
        known = {
            *(w for p in self.phrases.values() for w in p.words()),
            *lang.negations,
            *lang.clause_breaks,
            *lang.fillers,
            *lang.numbers,
            *lang.units,
            *lang.links,
            *lang.ranges,
            *lang.times,
            *lang.per,
            *lang.every,
            *lang.other,
            *lang.articles,
            *lang.open_ended,
            *(w for p in (*lang.more_than, *lang.less_than) for w in p),
            *(w for p in (*lang.more_after, *lang.less_after) for w in p),
        }
        self.speller = Speller.build(known, lang)
        self.quiet = frozenset(
            {*lang.fillers, *lang.negations, *lang.clause_breaks, *lang.links, *lang.per}
        )

    # -- one question ---------------------------------------------------
    def understand(self, question: str, text: str) -> Result:
        """What ``text`` answers to ``question``: options, a choice to ask, or why not."""
        spec = self.questions[question]
        if len(text) > MAX_INPUT:
            return NotUnderstood("too_long")
        raw = tokenize(text)
        numbered = self._numbered(spec, raw)
        if numbered is not None:
            return numbered
        tokens, mended = self.speller.mend(raw, self.phrases[question].single)
        spans, negated, leftover = self._read(question, tokens)
        chosen = self._choice(spec, spans)
        if chosen is not None:
            return chosen
        if spec.exclusive and not mended and self._says_no(spans, negated, leftover, tokens):
            return Understood(tuple(spec.exclusive))
        if not spans and not negated and len(raw) == 1:
            return self._guess(question, raw[0])
        return NotUnderstood("not_understood")

    def read_story(self, text: str) -> dict[str, Understood]:
        """Every question (but the safety check) that ``text`` clearly answers."""
        return {qid: found for qid, found, _ in self._story(text)}

    def story_signs(self, text: str) -> tuple[str, ...]:
        """The warning signs a story names in words that no question it clearly answers
        takes: "and now my chest hurts" counts, "numb" read as numbness with the cramps
        does not (the story says it to a question that weighs it)."""
        if len(text) > MAX_INPUT:
            return ()
        covered = {
            k for _, _, spans in self._story(text) for s in spans for k in range(s.start, s.end)
        }
        tokens, _ = self.speller.mend(tokenize(text), self.phrases[SAFETY_QUESTION].single)
        exclusive = self.questions[SAFETY_QUESTION].exclusive
        named = {
            o
            for s in self._read(SAFETY_QUESTION, tokens)[0]
            if any(k not in covered and tokens[k] not in self.quiet for k in range(s.start, s.end))
            for o in s.options
            if o not in exclusive
        }
        return tuple(o for o in self.questions[SAFETY_QUESTION].options if o in named)

    def _story(self, text: str) -> Iterable[tuple[str, Understood, list[Span]]]:
        """Each question a story clearly answers, with what it understood and the spans read."""
        if len(text) > MAX_INPUT:
            return
        raw = tokenize(text)
        for qid, spec in self.questions.items():
            if qid == SAFETY_QUESTION:
                continue
            tokens, _ = self.speller.mend(raw, self.phrases[qid].single)
            spans, _, _ = self._read(qid, tokens)
            result = self._choice(spec, spans)
            if isinstance(result, Understood):
                yield qid, result, spans

    # -- steps ------------------------------------------------------------
    def _numbered(self, spec: QuestionSpec, tokens: list[str]) -> Result | None:
        """Options picked by number ("2", "1, 3"), when the reply is only numbers."""
        quiet = self.language.clause_breaks
        if not tokens or not any(is_number(t) for t in tokens):
            return None
        if any(not (is_number(t) or t in quiet or not is_word(t)) for t in tokens):
            return None
        if any(t in SYMBOLS for t in tokens) or any("." in t for t in tokens):
            return None
        picked: list[str] = []
        for t in tokens:
            if is_number(t):
                n = int(t) if len(t) < 4 else 0
                if not 1 <= n <= len(spec.options):
                    return NotUnderstood("not_understood")
                picked.append(spec.options[n - 1])
        picked = list(dict.fromkeys(picked))
        if len(picked) > 1 and not spec.multi:
            return Ambiguous(tuple(o for o in spec.options if o in picked))
        if len(picked) > 1 and not spec.exclusive.isdisjoint(picked):
            return NotUnderstood("none_with_others")
        return Understood(tuple(o for o in spec.options if o in picked))

    def _read(self, question: str, tokens: list[str]) -> tuple[list[Span], list[Span], list[str]]:
        """Kept spans, negated spans, and the words no span or known word covers."""
        taken = [False] * len(tokens)
        spans: list[Span] = []
        bands = self.language.bands.get(question)
        if bands is not None:
            for q in quantities(tokens, self.language, bands):
                for k in range(q.start, q.end):
                    taken[k] = True
                if q.options(bands):
                    spans.append(Span(q.start, q.end, q.options(bands)))
        phrases = self.phrases[question]
        i = 0
        while i < len(tokens):
            hit = None if taken[i] else phrases.match(tokens, i, taken, self.language.fillers)
            if hit is None:
                i += 1
                continue
            end, options = hit
            spans.append(Span(i, end, options, vague=len(options) > 1))
            for k in range(i, end):
                taken[k] = True
            i = end
        if bands is not None:
            spans += self._open_ended(tokens, taken, spans, [b.option for b in bands.bands])
        kept, negated = self._negate(sorted(spans, key=lambda s: s.start), tokens, taken)
        leftover = [
            t
            for t, used in zip(tokens, taken, strict=True)
            if not used and (is_number(t) or (is_word(t) and t not in self.quiet))
        ]
        return kept, negated, leftover

    def _open_ended(
        self, tokens: list[str], taken: list[bool], spans: list[Span], ordered: list[str]
    ) -> list[Span]:
        """An amount said with "longer" or "more" beside it may be any band from its own
        upward ("a minute, sometimes longer"): never read it as the shorter one alone."""
        found = [ordered.index(o) for s in spans for o in s.options if o in ordered]
        if not found:
            return []
        upward = tuple(ordered[min(found) :])
        return [
            Span(k, k + 1, upward)
            for k, t in enumerate(tokens)
            if not taken[k] and t in self.language.open_ended
        ]

    def _negate(
        self, spans: list[Span], tokens: list[str], taken: list[bool]
    ) -> tuple[list[Span], list[Span]]:
        """Split ``spans`` into kept and negated: a free negation word turns off what
        follows it in its clause."""
        lang = self.language
        starts = {s.start: s for s in spans}
        kept: list[Span] = []
        negated: list[Span] = []
        negating = False
        i = 0
        while i < len(tokens):
            span = starts.get(i)
            if span is not None:
                (negated if negating else kept).append(span)
                i = span.end
                continue
            t = tokens[i]
            if not taken[i] and (t in lang.clause_breaks or not (is_word(t) or is_number(t))):
                if t not in SYMBOLS:
                    negating = False
            elif not taken[i] and t in lang.negations:
                negating = True
            i += 1
        return kept, negated

    def _says_no(
        self, spans: list[Span], negated: list[Span], leftover: list[str], tokens: list[str]
    ) -> bool:
        """A reply is "none" only when all of it says no (contract v2)."""
        if leftover:
            return False
        if spans:
            return True  # only "none" phrases are left here
        free_no = any(t in self.language.negations for t in tokens)
        if not negated:
            return free_no
        return self._bare_no_clause(tokens)

    def _bare_no_clause(self, tokens: list[str]) -> bool:
        """Whether some clause is only "no" words and fillers ("no, no chest pain")."""
        lang = self.language
        clause: list[str] = []
        for t in [*tokens, "."]:
            if t in lang.clause_breaks or not (is_word(t) or is_number(t)):
                said_no = any(w in lang.negations for w in clause)
                if said_no and all(w in self.quiet for w in clause):
                    return True
                clause = []
            else:
                clause.append(t)
        return False

    def _choice(self, spec: QuestionSpec, spans: list[Span]) -> Result | None:
        """What the kept spans name, but "none": understood, or ask which (None if
        nothing). A vague word gives way to a precise one it covers ("leg ... calf")."""
        precise = {o for s in spans if len(s.options) == 1 for o in s.options}
        spans = [s for s in spans if not (s.vague and precise.intersection(s.options))]
        named = {o for s in spans for o in s.options if o not in spec.exclusive}
        options = tuple(o for o in spec.options if o in named)
        if not options:
            return None
        sure = all(len(s.options) == 1 for s in spans)
        if sure and (spec.multi or len(options) == 1):
            return Understood(options)
        return Ambiguous(options)

    def _guess(self, question: str, token: str) -> Result:
        """One short unknown word close to one option's word: ask whether it means that."""
        spans = [
            s for near in self.speller.closest(token, 3) for s in self._read(question, [near])[0]
        ]
        options = tuple(
            o for o in self.questions[question].options if any(o in s.options for s in spans)
        )
        return Ambiguous(options) if options else NotUnderstood("not_understood")
