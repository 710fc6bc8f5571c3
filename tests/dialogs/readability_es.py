"""Spanish readability: the Szigriszt-Pazos perspicuity (INFLESZ scale).

P = 206.835 - 62.3 * syllables per word - words per sentence. On the INFLESZ
scale 55-65 is "normal" (secondary school, general press), 65-80 "fairly easy"
and above 80 "very easy". Syllables are counted from vowel nuclei: strong
vowels (a, e, o) side by side, or an accented i/u, split (hiato); an
unaccented i/u joins its neighbour (diptongo); the u of que/qui/gue/gui is silent.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)")
_STRONG = set("aeoáéó")
_VOWELS = _STRONG | set("iuíúü")


def syllables(word: str) -> int:
    """Syllables in one Spanish word (at least one)."""
    w = word.lower()
    w = re.sub(r"(?<=[qg])u(?=[eiéí])", "", w)  # que, guiso: the u is not said
    if w.endswith("y") and len(w) > 1 and w[-2] in _VOWELS:
        w = w[:-1] + "i"  # hoy, muy
    count, previous = 0, ""
    for ch in w:
        if ch not in _VOWELS:
            previous = ""
            continue
        hiatus = previous and (
            (previous in _STRONG and ch in _STRONG)
            or "í" in (previous, ch)
            or "ú" in (previous, ch)
        )
        if not previous or hiatus:
            count += 1
        previous = ch
    return max(count, 1)


def sentences(text: str) -> int:
    parts = [p for p in _SENTENCE_END.split(text) if _WORD.search(p)]
    return max(len(parts), 1)


def perspicuity(text: str) -> float:
    """Szigriszt-Pazos perspicuity of ``text`` (higher is easier)."""
    found = _WORD.findall(text)
    if not found:
        return 100.0
    per_word = sum(map(syllables, found)) / len(found)
    return 206.835 - 62.3 * per_word - len(found) / sentences(text)
