"""The three things reading a reply can give: understood, ask which, not understood."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Understood:
    """The reply clearly names these options (in question order)."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """The reply could mean any of these options, which differ: ask which."""

    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    """The reply names no usable option; ``reason`` is the message key to say so."""

    reason: str


Result = Understood | Ambiguous | NotUnderstood
