"""Numbers with units, read by value: "over ten minutes", "twice a week".

A duration becomes a span of seconds, a rate a span of times per year; the
question's bands (content data) turn the span into the options it touches.
A span that touches two bands, such as exactly "10 minutes", is asked back.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.understanding.tokens import is_number
from dialogs.wordings import Bands, Language

_YEAR = 365.25 * 86400
_TINY = 1e-9
_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Quantity:
    """A measured amount found at tokens ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    low: float
    high: float
    rate: bool
    unit: float = 0.0

    def options(self, bands: Bands) -> tuple[str, ...]:
        """The options whose band this amount touches (none if it is not the kind of
        amount the bands measure)."""
        if self.rate != bands.per_year or self.unit > bands.largest_unit:
            return ()
        return tuple(b.option for b in bands.bands if self.low <= b.high and b.low <= self.high)


class _Scanner:
    """Reads amounts from a token list, left to right."""

    def __init__(self, tokens: list[str], language: Language, bare_unit: float | None) -> None:
        self.t = tokens
        self.lang = language
        self.bare_unit = bare_unit
        self.last_unit: float | None = None

    def word(self, i: int) -> str:
        return self.t[i] if 0 <= i < len(self.t) else ""

    def phrase_at(self, i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
        """Length of the longest of ``phrases`` starting at ``i`` (0 if none)."""
        best = 0
        for p in phrases:
            if len(p) > best and tuple(self.t[i : i + len(p)]) == p:
                best = len(p)
        return best

    def phrase_before(self, i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
        """Length of the longest of ``phrases`` ending just before ``i``."""
        best = 0
        for p in phrases:
            if len(p) > best and i >= len(p) and tuple(self.t[i - len(p) : i]) == p:
                best = len(p)
        return best

    def number(self, i: int) -> tuple[float, int] | None:
        """A number starting at ``i`` ("2", "twenty five", "a couple of", "half an")."""
        values: list[float] = []
        j = i
        while True:
            w = self.word(j)
            if is_number(w):
                values.append(float(w))
            elif w in self.lang.numbers and (
                j == i or values[-1] < 1 or w not in self.lang.articles
            ):
                values.append(self.lang.numbers[w])
            else:
                break
            j += 1
        if not values:
            return None
        articles = [v for v, w in zip(values, self.t[i:j], strict=False) if w in self.lang.articles]
        if len(values) > 1 and len(articles) < len(values):
            values = [
                v for v, w in zip(values, self.t[i:j], strict=False) if w not in self.lang.articles
            ]
        if 0.5 in values and len(values) > 1:
            value = 0.5
            for v in values:
                value *= v if v != 0.5 else 1
            return value, j
        if len(values) == 2 and values[0] >= 20 and values[1] < 10:
            return values[0] + values[1], j
        return values[-1], j

    def is_count_word(self, i: int) -> bool:
        w = self.word(i)
        return is_number(w) or (w in self.lang.numbers and w not in self.lang.articles)

    def unit(self, i: int) -> float | None:
        return self.lang.units.get(self.word(i))

    def scan(self) -> list[Quantity]:
        found: list[Quantity] = []
        i = 0
        while i < len(self.t):
            q = self.rate_every(i) or self.amount(i)
            if q is None:
                i += 1
                continue
            found.append(q)
            i = q.end
        return found

    def rate_every(self, i: int) -> Quantity | None:
        """ "every night", "every 2 weeks", "every other day"."""
        if self.word(i) not in self.lang.every:
            return None
        j, count = i + 1, 1.0
        if self.word(j) in self.lang.other:
            j, count = j + 1, 2.0
        else:
            n = self.number(j)
            if n and self.unit(n[1]):
                count, j = n
        period = self.unit(j)
        if period is None:
            return None
        value = _YEAR / (count * period)
        return Quantity(i, j + 1, value, value, rate=True)

    def amount(self, i: int) -> Quantity | None:
        """A count or a duration, with its comparison, range and rate words."""
        if not (self.is_count_word(i) or self.word(i) in self.lang.articles):
            return None
        first = self.number(i)
        if first is None:
            return None
        low, j = first
        high = low
        rng = self.word(j)
        if rng in self.lang.ranges or rng in ("-", "~"):
            second = self.number(j + 1) if self.is_count_word(j + 1) else None
            if second:
                high, j = max(low, second[0]), second[1]
                low = min(low, first[0])
        if self.word(j) in self.lang.links and (
            self.unit(j + 1) or self.word(j + 1) in self.lang.times
        ):
            j += 1
        start = i - self.phrase_before(i, self.lang.more_than + self.lang.less_than)
        more = self.phrase_before(i, self.lang.more_than) > 0
        less = not more and self.phrase_before(i, self.lang.less_than) > 0
        if self.word(i - 1) in ("<", ">"):
            start, more, less = i - 1, self.word(i - 1) == ">", self.word(i - 1) == "<"
        if self.word(j) == "+":
            j, more = j + 1, True
        rate = self.rate_after(j, low, high)
        if rate:
            low, high, j = rate
            return Quantity(start, j, *_compare(low, high, more, less), rate=True)
        unit = self.unit(j)
        if unit is not None:
            j += 1
        elif self.word(j) in self.lang.times or not self.is_count_word(i):
            return None
        else:  # "5 minutes, sometimes 20" (the unit said before); "10+" (the question's unit)
            unit = self.last_unit or (self.bare_unit if more or less else None)
            if unit is None:
                return None
        self.last_unit = unit
        if self.word(j) == "+":
            j, more = j + 1, True
        after_more = self.phrase_at(j, self.lang.more_after)
        after_less = self.phrase_at(j, self.lang.less_after)
        if after_more or after_less:
            j += after_more or after_less
            more, less = bool(after_more), bool(after_less)
        low, high = _compare(low * unit, high * unit, more, less)
        return Quantity(start, j, low, high, rate=False, unit=unit)

    def rate_after(self, j: int, low: float, high: float) -> tuple[float, float, int] | None:
        """ "<count> times a week", "<count> nights a week", "<count> every 2 weeks"."""
        counted = self.unit(j) or 0.0
        if self.word(j) in self.lang.times or (
            counted >= _DAY and self.word(j + 1) in self.lang.per
        ):
            j += 1
        elif self.word(j) not in self.lang.per:
            return None
        if self.word(j) not in self.lang.per and not self.unit(j):
            return None
        while self.word(j) in self.lang.per:
            j += 1
        count = 1.0
        n = self.number(j) if self.is_count_word(j) else None
        if n:
            count, j = n
        period = self.unit(j)
        if period is None:
            return None
        per = _YEAR / (count * period)
        return low * per, high * per, j + 1


def _compare(low: float, high: float, more: bool, less: bool) -> tuple[float, float]:
    """The span "more than" or "less than" an amount means: "less than X" is read as
    between a quarter of X and X, since people name a bound close to what they mean."""
    if more:
        return high * (1 + _TINY), float("inf")
    if less:
        return high / 4 * (1 + _TINY), high * (1 - _TINY)
    return low, high


def quantities(tokens: list[str], language: Language, bands: Bands) -> list[Quantity]:
    """Every duration or rate in ``tokens`` of the kind ``bands`` measures; others are
    returned too (so a rate is not read as a duration) with ``rate`` telling them apart."""
    return _Scanner(tokens, language, bands.bare_unit).scan()
