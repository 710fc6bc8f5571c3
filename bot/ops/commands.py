"""``/op`` chat commands for operators, shared by the Telegram and Discord adapters.

Only ids listed in ``CRAMPBOT_TELEGRAM_OPERATORS`` / ``CRAMPBOT_DISCORD_OPERATORS``
may use them, and only in a private chat or DM. Everyone else gets a polite
refusal. Every operator action is audited; refused attempts go to a log of
their own (so they cannot push actions out of the capped audit log), at most
one per person per :data:`REFUSALS_EVERY` seconds, noting how many were skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.app import App
from bot.ops.actions import Actor, Operations, iso
from bot.platforms.chat import Notifier
from dialogs import REFUSED, ConversationKey, Incoming

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 120.0
REFUSALS_EVERY = 600.0
"""A person's refused attempts are audited (and logged) at most once in this many seconds."""
REFUSERS_KEPT = 10_000
"""People whose last audited refusal is remembered; the oldest are forgotten first."""
USAGE = (
    "Operator commands:\n"
    "/op status - conversations and outcomes, and the latest operator actions\n"
    "/op show KEY - one conversation (e.g. telegram:123)\n"
    "/op restart KEY - restart that interview\n"
    "/op restart all - restart every interview (asks to confirm)\n"
    "/op reload - reload and validate the content"
)


class Operators:
    """Parses and authorises ``/op`` commands (:class:`~bot.platforms.chat.OperatorCommands`);
    the work is done by :class:`Operations`."""

    def __init__(
        self, app: App, reload: Callable[[], list[str]], clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.ops = Operations(app.engine, app.settings.retention_days)
        self.reload = reload
        self.clock = clock
        self.notifiers: dict[str, Notifier] = {}
        self._confirm: dict[str, float] = {}
        # actor -> (when their last refusal was audited, refusals skipped since).
        self._refusals: dict[str, tuple[float, int]] = {}

    def allowed(self, platform: str) -> tuple[str, ...]:
        settings = self.app.settings
        return {"telegram": settings.telegram_operators, "discord": settings.discord_operators}.get(
            platform, ()
        )

    def add_notifier(self, platform: str, notify: Notifier) -> None:
        """Let restarts reach people on ``platform`` at once, not only on their next message."""
        self.notifiers[platform] = notify

    async def handle(
        self, platform: str, user_id: str, args: str, *, private: bool, origin: str
    ) -> list[str]:
        """Run one ``/op`` command and return the lines to send back."""
        actor = Actor(f"{platform}:{user_id}", origin)
        words = args.split()
        if user_id not in self.allowed(platform):
            await self.refuse(actor, "not an operator")
            return ["Sorry, that command is only for the people who run this bot."]
        if not private:
            await self.refuse(actor, "not a private chat")
            return ["Operator commands work only in a private chat with me."]
        verb = words[0].lower() if words else "help"
        if verb == "status":
            return [await self.status(actor)]
        if verb == "show" and len(words) == 2:
            found = await self.ops.show(actor, words[1])
            return [readable(found) if found else f"No conversation with key {words[1]}."]
        if verb == "restart" and len(words) >= 2:
            if words[1].lower() == "all":
                return [await self.restart_all(actor, confirmed=words[2:] == ["confirm"])]
            return [await self.restart(actor, words[1])]
        if verb == "reload":
            problems = self.reload()
            await self.ops.audit(actor, "reload", "", "failed" if problems else "done")
            if problems:
                return [
                    "The new content is invalid; still running the old content. Problems:\n"
                    + "\n".join(problems[:30])
                ]
            return [f"Content reloaded: version {self.app.engine.interview.version}."]
        await self.ops.audit(actor, "help")
        return [USAGE]

    async def refuse(self, actor: Actor, why: str) -> None:
        """Audit and log a refused attempt, unless this person's last one was audited lately."""
        now = self.clock()
        last, skipped = self._refusals.get(actor.who, (float("-inf"), 0))
        if now - last < REFUSALS_EVERY:
            self._refusals[actor.who] = (last, skipped + 1)
            return
        self._refusals.pop(actor.who, None)
        self._refusals[actor.who] = (now, 0)
        while len(self._refusals) > REFUSERS_KEPT:
            del self._refusals[next(iter(self._refusals))]
        more = f" ({skipped} more since the last one)" if skipped else ""
        log.warning("refused /op from %s (%s) in %s%s", actor.who, why, actor.origin, more)
        await self.ops.audit(actor, REFUSED, "", why + more)

    async def status(self, actor: Actor) -> str:
        s = await self.ops.status(actor)
        lines = [
            f"Conversations: {s['active']} active, {s['finished']} finished, {s['stopped']} stopped, {s['expired']} expired",
            "By state: " + (", ".join(f"{k} {v}" for k, v in s["states"].items()) or "none"),
            "By outcome: " + (", ".join(f"{k} {v}" for k, v in s["outcomes"].items()) or "none"),
            f"Content versions: {', '.join(f'{k} ({v})' for k, v in s['dialog_versions'].items()) or 'none'}; running {s['current_version']}",
            "Latest operator actions:",
        ]
        for e in await self.ops.entries(5):
            lines.append(f"  {iso(e.at)} {e.actor} {e.action} {e.key} {e.result}".rstrip())
        return "\n".join(lines)

    async def restart(self, actor: Actor, key: str) -> str:
        try:
            parsed = ConversationKey.parse(key)
        except ValueError:
            await self.ops.audit(actor, "restart", key, "not a key")
            return f"{key} is not a conversation key (want platform:user, e.g. telegram:123)."
        if not await self.ops.restart(actor, key):
            return f"No conversation with key {key}."
        notify = self.notifiers.get(parsed.platform)
        if notify is not None:
            try:
                await notify(
                    parsed.user, await self.app.engine.handle(key, Incoming(command="start"))
                )
                return f"Restarted {key}; they have been told."
            except Exception as exc:  # any platform error: fall back to the next message
                log.warning(
                    "could not notify %s at once (%s); they are told on their next message",
                    key,
                    type(exc).__name__,
                )
                # Showing the restart used up its notice: restart again so it waits for them.
                await self.app.engine.restart(key)
        return f"Restarted {key}; they are told on their next message."

    async def restart_all(self, actor: Actor, confirmed: bool) -> str:
        asked = self._confirm.pop(actor.who, None)
        if not confirmed or asked is None or self.clock() - asked > CONFIRM_SECONDS:
            self._confirm[actor.who] = self.clock()
            return "This restarts every interview. Send /op restart all confirm within 2 minutes to go ahead."
        count = await self.ops.restart_all(actor)
        return f"Restarted {count} interview(s); each person is told on their next message."


def readable(found: dict[str, Any]) -> str:
    """One conversation (:meth:`Operations.describe`) as lines to read in a chat.

    ``crampbot admin show --json`` keeps the JSON for scripts.
    """
    outcome = found["outcome"]
    result = "not yet"
    if outcome:
        also = f", also {', '.join(outcome['also'])}" if outcome["also"] else ""
        result = f"{outcome['category']} ({outcome['urgency']}{also})"
    waiting = f", waiting for the {found['pending']} prompt" if found["pending"] else ""
    answers = [
        f"  {q}: {', '.join(a) if isinstance(a, list) else a}" for q, a in found["answers"].items()
    ]
    return "\n".join(
        [
            f"Conversation {found['key']}",
            f"State: {found['state']}{waiting}",
            "Answers:" if answers else "Answers: none yet",
            *answers,
            f"Outcome: {result}",
            f"Started {found['created_at']}, last active {found['updated_at']}",
            f"Content version {found['dialog_version']}, record version {found['version']}"
            + (", person unreachable" if found["inactive"] else ""),
        ]
    )
