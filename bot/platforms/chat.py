"""What every chat front end shares: text packing, message references, sources, fact sheets.

The Telegram and Discord adapters differ in how they draw things, not in
these ideas, so each lives here once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, Protocol, TypeVar

from dialogs import Reply

K = TypeVar("K")
V = TypeVar("V")

REMEMBERED = 10_000
"""How many people's last question message a front end keeps (oldest forgotten first)."""

Notifier = Callable[[str, list[Reply]], Awaitable[None]]
"""Shows replies to a person by user id (operators use it to announce a restart)."""


class OperatorCommands(Protocol):
    """What a chat front end needs from the ``/op`` handler (:class:`bot.ops.commands.Operators`)."""

    async def handle(
        self,
        platform: str,
        user_id: str,
        args: str,
        *,
        private: bool,
        origin: str,
        locale: str | None = None,
    ) -> list[str]: ...

    def add_notifier(self, platform: str, notify: Notifier) -> None: ...


class MessageRefs(Generic[K, V]):
    """The last question message shown to each person, bounded so memory stays flat.

    A typed answer marks that message answered; a lost reference only means
    the old message keeps its buttons.
    """

    def __init__(self, limit: int = REMEMBERED) -> None:
        self.limit = limit
        self._refs: OrderedDict[K, V] = OrderedDict()

    def remember(self, key: K, ref: V) -> None:
        self._refs[key] = ref
        self._refs.move_to_end(key)
        while len(self._refs) > self.limit:
            self._refs.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._refs.pop(key, None)

    def __len__(self) -> int:
        return len(self._refs)


def pack(parts: Iterable[str], limit: int, sep: str = "\n\n") -> list[str]:
    """Join ``parts`` greedily into as few texts of at most ``limit`` characters as fit.

    A part is never cut while it fits in one text; a longer part is cut between
    lines (or, failing that, hard), so no text is ever too long.
    """
    out: list[str] = []
    for part in parts:
        while len(part) > limit:
            head = part.rfind("\n", 0, limit)
            head = head if head > 0 else limit
            out.append(part[:head])
            part = part[head:].lstrip("\n")
        if out and len(out[-1]) + len(sep) + len(part) <= limit:
            out[-1] += sep + part
        elif part:
            out.append(part)
    return out


def cited(citations: Iterable[tuple[str, str]]) -> list[str]:
    """Each source as ``ID (citation)``, in the order given."""
    return [f"{sid} ({citation})" for sid, citation in citations]


def topics_menu(topics: Iterable[str]) -> str:
    """The fact sheet commands, one a line, for a missing or unknown topic."""
    return "\n".join(f"/crampinfo {t}" for t in topics)
