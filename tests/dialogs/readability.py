"""A small Flesch-Kincaid grade counter (textstat needs an online word list).

Grade = 0.39 * words per sentence + 11.8 * syllables per word - 15.59.
Syllables are counted by vowel groups with the usual English corrections
(a silent final "e", "-le" after a consonant, "-ed" after most consonants).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)")
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Estimated syllables in one English word (at least one)."""
    w = word.lower().replace("'", "").replace("\u2019", "")
    count = len(_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # silent final e: "stroke", "ease"
    elif w.endswith("le") and len(w) > 2 and w[-3] in "aeiouy" and count > 1:
        count -= 1  # "-le" after a vowel is silent: "whole"
    if w.endswith("ed") and len(w) > 3 and w[-3] not in "td" and count > 1:
        count -= 1  # "raised", "changed" (but "started", "needed")
    if w.endswith("es") and len(w) > 3 and w[-3] not in "scxzgh" and count > 1:
        count -= 1  # "takes", "tablets" is unaffected
    return max(count, 1)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> int:
    """Sentences in ``text``: runs ending at ., !, ? or a colon (at least one)."""
    parts = [p for p in _SENTENCE_END.split(text) if _WORD.search(p)]
    return max(len(parts), 1)


def grade(text: str) -> float:
    """Flesch-Kincaid grade level of ``text``."""
    found = words(text)
    if not found:
        return 0.0
    per_sentence = len(found) / sentences(text)
    per_word = sum(map(syllables, found)) / len(found)
    return 0.39 * per_sentence + 11.8 * per_word - 15.59
