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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.app import App
from bot.ops.actions import Actor, Operations, iso
from bot.ops.reload import Reloaded
from bot.platforms.chat import Notifier
from dialogs import REFUSED, ConversationKey, Incoming

log = logging.getLogger(__name__)

Messages = Mapping[str, str]
"""The ``messages`` of the operator's locale (:attr:`dialogs.Texts.messages`)."""

CONFIRM_SECONDS = 120.0
REFUSALS_EVERY = 600.0
"""A person's refused attempts are audited (and logged) at most once in this many seconds."""
REFUSERS_KEPT = 10_000
"""People whose last audited refusal is remembered; the oldest are forgotten first."""


class Operators:
    """Parses and authorises ``/op`` commands (:class:`~bot.platforms.chat.OperatorCommands`);
    the work is done by :class:`Operations`."""

    def __init__(
        self,
        app: App,
        reload: Callable[[], Awaitable[Reloaded]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``reload`` reloads the content here and asks every process sharing the store to
        (:meth:`bot.ops.reload.Reloads.everywhere`)."""
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
        self,
        platform: str,
        user_id: str,
        args: str,
        *,
        private: bool,
        origin: str,
        locale: str | None = None,
    ) -> list[str]:
        """Run one ``/op`` command and return the lines to send back, in ``locale``."""
        actor = Actor(f"{platform}:{user_id}", origin)
        says = self.app.engine.texts(locale).messages
        words = args.split()
        if user_id not in self.allowed(platform):
            await self.refuse(actor, "not an operator")
            return [says["op_refused"]]
        if not private:
            await self.refuse(actor, "not a private chat")
            return [says["op_private_only"]]
        verb = words[0].lower() if words else "help"
        if verb == "status":
            return [await self.status(actor, says)]
        if verb == "show" and len(words) == 2:
            found = await self.ops.show(actor, words[1])
            return [readable(found, says) if found else says["op_no_such"].format(key=words[1])]
        if verb == "restart" and len(words) >= 2:
            if words[1].lower() == "all":
                confirmed = words[2:] == ["confirm"]
                return [await self.restart_all(actor, says, confirmed=confirmed)]
            return [await self.restart(actor, words[1], says)]
        if verb == "reload":
            return [await self.reload_everywhere(actor, says)]
        await self.ops.audit(actor, "help")
        return [says["op_usage"]]

    async def reload_everywhere(self, actor: Actor, says: Messages) -> str:
        """Reload here and ask the other processes; say how it went here and who was asked."""
        done = await self.reload()
        await self.ops.audit(actor, "reload", "", "failed" if done.problems else "done")
        if done.problems:
            lines = [says["op_reload_failed"], *done.problems[:30]]
        else:
            lines = [says["op_reloaded"].format(version=done.version)]
        if not done.sent:
            lines.append(says["op_reload_unsent"])
        elif done.received is not None:
            lines.append(says["op_reload_received"].format(count=done.received))
        return "\n".join(lines)

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

    async def status(self, actor: Actor, says: Messages) -> str:
        s = await self.ops.status(actor)

        def counts(table: dict[str, Any], form: str) -> str:
            return ", ".join(form.format(k, v) for k, v in table.items()) or says["op_none"]

        lines = [
            says["op_counts"].format_map(s),
            says["op_by_state"].format(counts=counts(s["states"], "{} {}")),
            says["op_by_outcome"].format(counts=counts(s["outcomes"], "{} {}")),
            says["op_versions"].format(
                versions=counts(s["dialog_versions"], "{} ({})"), running=s["current_version"]
            ),
            says["op_latest"],
        ]
        for e in await self.ops.entries(5):
            lines.append(f"  {iso(e.at)} {e.actor} {e.action} {e.key} {e.result}".rstrip())
        return "\n".join(lines)

    async def restart(self, actor: Actor, key: str, says: Messages) -> str:
        try:
            parsed = ConversationKey.parse(key)
        except ValueError:
            await self.ops.audit(actor, "restart", key, "not a key")
            return says["op_not_a_key"].format(key=key)
        if not await self.ops.restart(actor, key):
            return says["op_no_such"].format(key=key)
        notify = self.notifiers.get(parsed.platform)
        if notify is not None:
            try:
                await notify(
                    parsed.user, await self.app.engine.handle(key, Incoming(command="start"))
                )
                return says["op_restarted_told"].format(key=key)
            except Exception as exc:  # any platform error: fall back to the next message
                log.warning(
                    "could not notify %s at once (%s); they are told on their next message",
                    key,
                    type(exc).__name__,
                )
                # Showing the restart used up its notice: restart again so it waits for them.
                await self.app.engine.restart(key)
        return says["op_restarted_later"].format(key=key)

    async def restart_all(self, actor: Actor, says: Messages, *, confirmed: bool) -> str:
        asked = self._confirm.pop(actor.who, None)
        if not confirmed or asked is None or self.clock() - asked > CONFIRM_SECONDS:
            self._confirm[actor.who] = self.clock()
            return says["op_confirm_all"]
        count = await self.ops.restart_all(actor)
        return says["op_restarted_all"].format(count=count)


def readable(found: dict[str, Any], says: Messages) -> str:
    """One conversation (:meth:`Operations.describe`) as lines to read in a chat.

    ``crampbot admin show --json`` keeps the JSON for scripts.
    """
    outcome = found["outcome"]
    result = says["op_not_yet"]
    if outcome:
        also = ", ".join(outcome["also"])
        result = says["op_outcome_also" if also else "op_outcome_one"].format(
            category=outcome["category"], urgency=outcome["urgency"], also=also
        )
    state = says["op_waiting" if found["pending"] else "op_state"]
    answers = [
        f"  {q}: {', '.join(a) if isinstance(a, list) else a}" for q, a in found["answers"].items()
    ]
    versions = says["op_unreachable" if found["inactive"] else "op_versions_one"]
    return "\n".join(
        [
            says["op_conversation"].format(key=found["key"]),
            state.format(state=found["state"], prompt=found["pending"]),
            says["op_answers"] if answers else says["op_answers_none"],
            *answers,
            result,
            says["op_times"].format(created=found["created_at"], updated=found["updated_at"]),
            versions.format(dialog=found["dialog_version"], record=found["version"]),
        ]
    )
