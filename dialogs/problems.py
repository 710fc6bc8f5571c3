"""What is wrong with the content: each problem found, and the error that lists them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the content."""

    file: str
    key: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.what}"


class ContentError(ValueError):
    """The content is invalid; ``problems`` lists each thing wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Notes:
    """Notes every problem instead of stopping at one, with the checks' shared readers."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def bad(self, file: str, key: str, what: str) -> None:
        self.problems.append(Problem(file, key, what))

    def text(self, file: str, key: str, value: Any) -> str:
        """``value`` when it is non-empty text; else a problem, and ""."""
        if not isinstance(value, str) or not value.strip():
            self.bad(file, key, "must be non-empty text")
            return ""
        return value

    def table(self, file: str, section: str, data: Any, keys: Any) -> dict[str, str]:
        """The text of each of ``keys`` in ``data``; a problem for each missing or unused one."""
        data = data if isinstance(data, dict) else {}
        for k in set(data) - set(keys):
            self.bad(file, f"{section}.{k}", "is not used by the content")
        return {k: self.text(file, f"{section}.{k}", data.get(k)) for k in keys}


def str_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
