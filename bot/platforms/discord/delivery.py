"""Showing one event's replies on Discord: where each goes, and which old copy loses its controls.

In a server the interview is ONE ephemeral message, edited in place from
question to question to outcome (a click's acknowledgement lets us edit the
clicked message; a slash command's response becomes the new message). In DMs
each question is a normal message, so any process can later mark it answered
or remove its buttons by the reference the record keeps (``shown``). A short
notice (a stale click, Done with nothing ticked) goes to the clicker alone,
and never brings a second copy of the question.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.platforms.chat import pack
from bot.platforms.discord import render
from bot.platforms.discord.components import outcome_view, question_view
from dialogs import ConversationKey, Message, Outcome, Question, Reply

if TYPE_CHECKING:
    from bot.platforms.discord.messenger import CrampClient

log = logging.getLogger(__name__)

NOTICES = frozenset({"closed", "notice"})


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a question is shown: ``channel/message``, with ``/e`` for a server's ephemeral message.

    An ephemeral message can be edited only through an interaction on it, so
    an ``/e`` reference is cleared only when its own message is clicked.
    """

    channel: int
    message: int
    ephemeral: bool = False

    def __str__(self) -> str:
        return f"{self.channel}/{self.message}" + ("/e" if self.ephemeral else "")

    @classmethod
    def parse(cls, text: str | None) -> Ref | None:
        """The reference in ``text``; ``None`` for anything else (an older record's, another platform's)."""
        parts = (text or "").split("/")
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[:2]):
            return None
        if len(parts) == 3 and parts[2] != "e":
            return None
        return cls(int(parts[0]), int(parts[1]), len(parts) == 3)

    @classmethod
    def of(cls, message: discord.Message | discord.InteractionMessage, ephemeral: bool) -> Ref:
        return cls(message.channel.id, message.id, ephemeral)


class Screen:
    """Shows the replies to one event: an interaction (server or DM) or a DM channel."""

    def __init__(
        self,
        client: CrampClient,
        key: ConversationKey,
        locale: str,
        *,
        interaction: discord.Interaction[Any] | None = None,
        channel: discord.abc.Messageable | None = None,
    ) -> None:
        self.client = client
        self.key = key
        self.locale = locale
        self.texts = client.app.engine.texts(locale)
        # The command names the person's client lists (typed DMs take the base names).
        shown = render.client_texts(client.app.engine.locales, locale) if interaction else None
        self.names = shown.command_names if shown is not None else {}
        self.interaction = interaction
        self.server = interaction is not None and interaction.guild_id is not None
        self.slash = (
            interaction is not None
            and interaction.type is discord.InteractionType.application_command
        )
        self.clicked: Ref | None = None
        if interaction is not None and interaction.message is not None and not self.slash:
            self.clicked = Ref.of(interaction.message, self.server)
        if channel is None and interaction is not None and not self.server:
            channel = client.get_partial_messageable(interaction.channel_id or 0)
        self.channel = channel
        self.put = False  # whether the interaction's own message was filled or edited

    # -- the replies ---------------------------------------------------------
    async def show(self, replies: list[Reply]) -> None:
        """Show ``replies`` in order; texts go with the next question or outcome.

        Labels are drawn in the language the engine spoke, which may be the one
        the person chose rather than their client's.
        """
        self.texts = self.client.app.engine.texts_of(replies, self.locale)
        self.locale = self.texts.locale
        lines: list[str] = []
        for reply in replies:
            if isinstance(reply, Message) and reply.kind == "answered":
                lines.extend(await self.answered(reply))
            elif isinstance(reply, Message) and reply.kind in NOTICES:
                await self.stale(reply.previous)
                await self.notice(reply.text)
            elif isinstance(reply, Message):
                await self.clear(reply.previous)
                lines.append(render.named(reply.text, self.names))
            elif isinstance(reply, Question):
                await self.question(reply, lines)
                lines = []
            else:
                await self.outcome(reply, lines)
                lines = []
        if lines:
            await self.say(lines)
        if self.slash and not self.put and self.interaction is not None:
            await self.interaction.delete_original_response()

    async def answered(self, reply: Message) -> list[str]:
        """Mark the copy that was answered; in a server its tick shows above the next question."""
        ref = Ref.parse(reply.previous)
        if self.server:
            if ref is not None and ref != self.clicked:
                await self.clear(reply.previous)
            return [render.ticked_line(reply.text)]
        question = self.client.app.engine.question(reply.question or "", 0, self.locale)
        head = f"**{question.text}**" if question is not None else ""
        await self.edit(ref, content=render.answered_text(head, reply.text).lstrip("\n"))
        return []

    async def question(self, question: Question, lines: list[str]) -> None:
        """Show ``question`` (in place when its copy was clicked) and record where it is."""
        view = question_view(
            question,
            numbered=not self.server,
            done=render.ui(self.texts, "button_done"),
            dm=render.ui(self.texts, "button_dm") if self.server and question.number else None,
        )
        text = render.question_text(question, self.texts)
        if self.server and self.slash:
            lines = [*lines, f"-# {render.ui(self.texts, 'dm_offer')}"]
        previous = Ref.parse(question.previous)
        if self.server or (previous is not None and previous == self.clicked):
            if previous != self.clicked:
                await self.clear(question.previous)
            where = await self.fill([*lines, text], view=view)
        else:
            await self.clear(question.previous)
            if self.slash and lines:
                await self.fill(lines)
                lines = []
            where = await self.send([*lines, text], view=view)
        # Edited in place (a click in a server), the copy is already the one on record.
        if where is not None and str(where) != question.previous:
            await self.client.app.engine.shown(self.key, str(where), question.step)

    async def outcome(self, outcome: Outcome, lines: list[str]) -> None:
        """The short form first, with buttons that expand it in place."""
        first, *more = render.outcome_messages(outcome, self.texts, "")
        details = render.ui(self.texts, "button_details")
        view = outcome_view(outcome.step, "", details, self.texts.outcome["sources"])
        if self.server:
            where = await self.fill(lines, embeds=first, view=view)
        else:
            if self.slash and lines:
                await self.fill(lines)
                lines = []
            where = await self.send(lines, embeds=first, view=view)
        for embeds in more:
            await self.send([], embeds=embeds)
        if where is not None:  # so a late click on it is not taken for a stale copy's
            await self.client.app.engine.shown(self.key, str(where), outcome.step)

    async def notice(self, text: str) -> None:
        """A short notice for the person alone: no copy of the question comes with it."""
        if self.interaction is None:
            await self.send([text])
        elif self.slash and not self.put:
            await self.fill([text])
        else:
            await self.interaction.followup.send(text, ephemeral=True)

    async def say(self, lines: list[str]) -> None:
        """Texts with no question or outcome after them (stopped, forgotten, help, ...)."""
        if self.server or (self.slash and not self.put):
            await self.fill(lines, embeds=[], view=None)
        else:
            await self.send(lines)

    async def stale(self, previous: str | None) -> None:
        """A stale click's copy loses its controls, unless it has become the current one.

        In a server the clicked message is edited in place, so after a double
        click it may already show the next question (saved as shown a moment
        later): it is read back, and cleared only if it still shows that control.
        """
        ref = Ref.parse(previous)
        if ref is None or ref != self.clicked or not self.server or self.interaction is None:
            await self.edit(ref)
            return
        data: dict[str, Any] = dict(self.interaction.data or {})
        try:
            message = await self.interaction.original_response()
        except discord.HTTPException as exc:
            log.debug("copy %s could not be read: %s", ref, type(exc).__name__)
            return
        ids = {getattr(c, "custom_id", None) for row in message.components for c in _items(row)}
        if data.get("custom_id") in ids:
            await self.edit(ref)

    # -- the messages ----------------------------------------------------------
    async def fill(
        self,
        lines: list[str],
        *,
        embeds: list[discord.Embed] | None = None,
        view: discord.ui.View | None = None,
    ) -> Ref | None:
        """Put ``lines`` (and embeds, view) in the interaction's own message: the one clicked,
        or a slash command's response. Earlier parts of a long text go before it."""
        assert self.interaction is not None
        *before, last = pack(lines, render.CONTENT_MAX) or [""]
        for part in before:
            await self.interaction.followup.send(part, ephemeral=self.server)
        message = await self.interaction.edit_original_response(
            content=last or None, embeds=embeds or [], view=view
        )
        self.put = True
        return Ref.of(message, self.server)

    async def send(
        self,
        lines: list[str],
        *,
        embeds: list[discord.Embed] | None = None,
        view: discord.ui.View | None = None,
    ) -> Ref | None:
        """Send a new message (or several, for long text) in the DM; the reference of the last."""
        if self.channel is None:  # a server interaction: only its own message changes
            await self.fill(lines, embeds=embeds, view=view)
            return None
        *before, last = pack(lines, render.CONTENT_MAX) or [""]
        for part in before:
            await self.channel.send(part)
        kwargs: dict[str, Any] = {"content": last or None, "embeds": embeds or []}
        if view is not None:
            kwargs["view"] = view
        message = await self.channel.send(**kwargs)
        return Ref.of(message, False)

    async def clear(self, previous: str | None) -> None:
        """Remove the controls of an older copy; a stale reference is harmless."""
        await self.edit(Ref.parse(previous))

    async def edit(self, ref: Ref | None, *, content: str | None = None) -> None:
        """Edit ``ref``'s message: new ``content`` if given, and no components.

        The clicked message goes through the interaction; a DM message through
        REST, from any process; another ephemeral message cannot be reached.
        """
        if ref is None:
            return
        changes: dict[str, Any] = {"view": None}
        if content is not None:
            changes["content"] = content
        try:
            if ref == self.clicked and self.interaction is not None:
                await self.interaction.edit_original_response(**changes)
                self.put = True
            elif not ref.ephemeral:
                partial = self.client.get_partial_messageable(ref.channel)
                await partial.get_partial_message(ref.message).edit(**changes)
            else:
                log.debug("copy %s is ephemeral and not clicked; left as it is", ref)
        except discord.HTTPException as exc:
            log.debug("copy %s could not be edited: %s", ref, type(exc).__name__)


def _items(row: Any) -> list[Any]:
    return list(getattr(row, "children", ()))
