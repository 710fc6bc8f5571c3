"""Split a reply into tokens, and mend typos against a locale's known words.

Tokens keep digits with their decimals, words, a few symbols that carry
meaning (``+ < > -``) and the punctuation that ends a clause, so later
steps can read "10+ min" and "calf, foot" for what they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from dialogs.wordings import Language, fold

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[<>+~\-]|[,;.!?\n:/()&]")
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
#: Punctuation a known phrase may run across ("One leg swollen, red, warm").
SOFT = frozenset(",/-")
#: Punctuation and symbols; the ones not in :data:`SYMBOLS` end a clause.
SYMBOLS = frozenset("<>+~-")


def tokenize(text: str) -> list[str]:
    """Case- and accent-folded tokens of ``text``: numbers, words, symbols and punctuation."""
    text = fold(text).replace("'", "").replace("\u2019", "")
    return _TOKEN.findall(_INNER_HYPHEN.sub(" ", text))


def is_word(token: str) -> bool:
    return token[:1].isalpha()


def is_number(token: str) -> bool:
    return token[:1].isdigit()


@dataclass(frozen=True, slots=True)
class Speller:
    """Mends a typo to the one known word it is close to, when the word is long enough.

    A mend keeps the first letter (people rarely mistype it, and "mother" must not
    become "other"), and never makes a number word: an amount is read only as typed.
    """

    known: frozenset[str]
    choices: tuple[str, ...]
    exact: frozenset[str]
    min_length: int
    two_edits_from: int

    @classmethod
    def build(cls, words: Iterable[str], language: Language) -> Speller:
        known = frozenset(w for w in words if w)
        return cls(
            known,
            tuple(sorted(w for w in known if len(w) >= 3)),
            frozenset(language.numbers),
            language.typo_min_length,
            language.typo_two_edits_from,
        )

    def closest(self, token: str, min_length: int | None = None) -> tuple[str, ...]:
        """The known words nearest to an unknown ``token`` within reach (none if known)."""
        shortest = self.min_length if min_length is None else min_length
        if not is_word(token) or token in self.known or len(token) < shortest:
            return ()
        reach = 2 if len(token) >= self.two_edits_from else 1
        found = process.extract(
            token, self.choices, scorer=OSA.distance, score_cutoff=reach, limit=None
        )
        found = [f for f in found if f[0][0] == token[0] and f[0] not in self.exact]
        best = min((score for _, score, _ in found), default=None)
        return tuple(word for word, score, _ in found if score == best)

    def mend(
        self, tokens: list[str], same: Mapping[str, tuple[str, ...]]
    ) -> tuple[list[str], bool]:
        """``tokens`` with typos mended, and whether any was. A typo is mended when its
        nearest known word is unique, or when all of them mean the same (``same`` maps
        a word to what it means: "diabetis" is near both "diabetes" and "diabetic")."""
        out = []
        for token in tokens:
            near = self.closest(token)
            meanings = {same.get(w, (w,)) for w in near}
            out.append(near[0] if len(meanings) == 1 else token)
        return out, out != tokens
