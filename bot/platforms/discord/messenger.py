"""The Discord adapter: slash commands, persistent components and DMs in front of the engine.

A thin edge: it turns interactions and DM messages into :class:`Incoming`
events for ``Engine.handle`` and renders the replies (see
:mod:`bot.platforms.discord.render`). In server channels everything is ephemeral; in DMs
the interview runs as normal messages and typed answers work as in the
terminal. Every interaction is deferred before the engine or store is touched,
and every handler runs inside :meth:`CrampClient.handling`, the one place that
reports a failure and signals the event done. The components and their
``custom_id`` formats are in :mod:`bot.platforms.discord.components`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any, Protocol

import discord
import yarl
from discord import app_commands
from discord.app_commands import locale_str

from bot.app import App
from bot.platforms.chat import MessageRefs, OperatorCommands, pack
from bot.platforms.discord import render
from bot.platforms.discord.components import ChoiceSelect, DmButton, PickButton, question_view
from bot.settings import Settings
from dialogs import ConversationKey, Incoming, Message, Outcome, Question, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
DONE_EVENT = "cramp_done"
"""Dispatched (``client.wait_for("cramp_done")``) with the event id once an event is handled."""


class ContentTranslator(app_commands.Translator):
    """Command names (``command_names``) and descriptions (``command_<name>`` messages)
    in every locale the content has."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        where = app_commands.TranslationContextLocation
        if context.location not in (where.command_name, where.command_description):
            return None
        locales = self.app.engine.locales
        texts = locales.get(locale.value) or locales.get(locale.value.split("-")[0])
        if texts is None:
            return None
        if context.location is where.command_name:
            return texts.command_names.get(string.message)
        found = texts.messages.get(f"command_{string.extras.get('command', '')}")
        return render.cut(found, 100) if found else None


class CrampClient(discord.Client):
    """A discord.py client that runs cramp interviews through ``app.engine``."""

    def __init__(self, app: App, operators: OperatorCommands | None = None, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True  # DM content arrives without the message content intent
        options.setdefault("chunk_guilds_at_startup", False)
        super().__init__(intents=intents, **options)
        self.app = app
        self.operators = operators
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self.on_app_command_error)
        # user id -> the last question sent in their DMs, marked answered on a typed answer
        self.asked: MessageRefs[int, discord.Message] = MessageRefs()
        _add_commands(self)

    async def setup_hook(self) -> None:
        """Register the persistent components and sync the slash commands."""
        self.add_dynamic_items(PickButton, ChoiceSelect, DmButton)
        await self.tree.set_translator(ContentTranslator(self.app))
        guild = self.app.settings.discord_guild
        target = discord.Object(int(guild)) if guild else None
        if target is not None:
            self.tree.copy_global_to(guild=target)
        synced = await self.tree.sync(guild=target)
        log.info(
            "synced %d slash commands %s", len(synced), f"to guild {guild}" if guild else "globally"
        )
        if self.operators is not None:
            self.operators.add_notifier(PLATFORM, self.notify)

    # -- events ----------------------------------------------------------
    @contextlib.asynccontextmanager
    async def handling(
        self,
        interaction: discord.Interaction[Any] | None = None,
        dm: discord.Message | None = None,
        *,
        ephemeral: bool | None = None,
        thinking: bool = False,
    ) -> AsyncIterator[bool]:
        """Wrap one handler: acknowledge, report any failure once, always signal the event done.

        With ``ephemeral`` set, the interaction is deferred first (Discord allows 3
        seconds); the handler gets ``False`` when it was already answered and should
        stop. Like discord.py's ``View.on_error``, every callback's error goes to one place.
        """
        event_id = str(interaction.id if interaction is not None else dm.id if dm else "")
        acked = True
        try:
            if interaction is not None and ephemeral is not None:
                acked = await _ack(interaction, ephemeral=ephemeral, thinking=thinking)
        except Exception as exc:
            await self.report(exc, interaction, dm)
            acked = False
        try:
            yield acked
        except Exception as exc:
            await self.report(exc, interaction, dm)
        finally:
            self.dispatch(DONE_EVENT, event_id)

    async def command(
        self, interaction: discord.Interaction[Any], name: str, args: str = ""
    ) -> None:
        """A slash command that goes to the engine (everything but /crampinfo and /op)."""
        in_server = interaction.guild_id is not None
        async with self.handling(interaction, ephemeral=in_server, thinking=True) as acked:
            if not acked:
                return
            event = Incoming(command=name, args=args, event_id=str(interaction.id))
            replies = await self.app.engine.handle(
                self.key(interaction.user), event, _locale(interaction)
            )
            await self.deliver(replies, _InteractionSink(self, interaction))
            if name == "cramps" and in_server:
                texts = self.app.engine.texts(_locale(interaction))
                view = discord.ui.View(timeout=None).add_item(
                    DmButton(render.ui(texts, "button_dm"))
                )
                await interaction.followup.send(
                    render.ui(texts, "dm_offer"), view=view, ephemeral=True
                )

    async def press(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        step: int,
        chosen: tuple[str, ...],
    ) -> None:
        """A button or select menu: apply the choice if it still belongs to the current question."""
        in_server = interaction.guild_id is not None
        async with self.handling(interaction, ephemeral=in_server) as acked:
            if not acked:
                return
            event = Incoming(
                choice=chosen, question=question, step=step, event_id=str(interaction.id)
            )
            replies = await self.app.engine.handle(
                self.key(interaction.user), event, _locale(interaction)
            )
            await self.deliver(replies, _InteractionSink(self, interaction))

    async def move_to_dm(self, interaction: discord.Interaction[Any]) -> None:
        """Open a DM and send the current question there; explain if the person's DMs are closed."""
        async with self.handling(interaction, ephemeral=True) as acked:
            if not acked:
                return
            locale = _locale(interaction)
            key = self.key(interaction.user)
            replies = await self.app.engine.current(key, locale)
            if not replies:
                start = Incoming(command="cramps", event_id=str(interaction.id))
                replies = await self.app.engine.handle(key, start, locale)
            texts = self.app.engine.texts(locale)
            try:
                channel = await interaction.user.create_dm()
                await self.deliver(replies, _ChannelSink(self, channel, interaction.user.id))
            except discord.Forbidden:
                log.info("interaction %s: DMs closed for this person", interaction.id)
                await interaction.followup.send(render.ui(texts, "dm_closed"), ephemeral=True)
                return
            await interaction.followup.send(render.ui(texts, "dm_sent"), ephemeral=True)

    async def crampinfo(self, interaction: discord.Interaction[Any], topic: str) -> None:
        """A public fact sheet: general advice only, answered at once (no store involved)."""
        async with self.handling(interaction):
            engine = self.app.engine
            texts = engine.texts(_locale(interaction))
            sheet = engine.factsheet(topic, _locale(interaction))
            if sheet is None:
                await interaction.response.send_message(
                    texts.messages["unknown_command"], ephemeral=True
                )
                return
            embeds = render.factsheet_embeds(sheet, texts, engine.citations(sheet.sources))
            await interaction.response.send_message(embeds=embeds)

    async def op(self, interaction: discord.Interaction[Any], args: str) -> None:
        """``/op ...`` for operators; always answered ephemerally."""
        async with self.handling(interaction, ephemeral=True, thinking=True) as acked:
            if not acked or self.operators is None:
                return
            lines = await self.operators.handle(
                PLATFORM,
                str(interaction.user.id),
                args,
                private=interaction.guild_id is None,
                origin=_origin(interaction.guild_id),
            )
            for chunk in pack(lines, render.CONTENT_MAX, sep="\n"):
                await interaction.followup.send(chunk, ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        """Typed text in a DM: answers, commands and ``/op``; everything else is ignored."""
        if message.guild is not None or message.author.bot or self.user is None:
            return
        if message.author.id == self.user.id:
            return
        async with self.handling(dm=message):
            event = Incoming.from_text(message.content, event_id=str(message.id))
            sink = _ChannelSink(self, message.channel, message.author.id)
            if event.command == "op" and self.operators is not None:
                lines = await self.operators.handle(
                    PLATFORM, str(message.author.id), event.args, private=True, origin=_origin(None)
                )
                for chunk in pack(lines, render.CONTENT_MAX, sep="\n"):
                    await sink.send(content=chunk)
                return
            # A DM message carries no locale: the engine keeps the person's from their
            # last interaction (or /language), else the configured one.
            replies = await self.app.engine.handle(self.key(message.author), event, None)
            await self.deliver(replies, sink)

    async def notify(self, user_id: str, replies: list[Reply]) -> None:
        """Send ``replies`` to a person's DMs (operators use it to announce a restart)."""
        user = await self.fetch_user(int(user_id))
        channel = await user.create_dm()
        await self.deliver(replies, _ChannelSink(self, channel, user.id))

    # -- rendering -------------------------------------------------------
    async def deliver(self, replies: list[Reply], sink: _Sink) -> None:
        """Show the engine's replies: texts go with the next question or outcome when they fit."""
        texts: list[str] = []
        for reply in replies:
            if isinstance(reply, Message) and reply.kind == "answered":
                await sink.answered(reply.text)
            elif isinstance(reply, Message):
                texts.append(reply.text)
            elif isinstance(reply, Question):
                *before, last = pack([*texts, render.question_text(reply)], render.CONTENT_MAX)
                for text in before:
                    await sink.send(content=text)
                sent = await sink.send(content=last, view=question_view(reply))
                sink.asked(sent)
                texts = []
            elif isinstance(reply, Outcome):
                groups = render.outcome_messages(reply, sink.texts)
                packed = pack(texts, render.CONTENT_MAX)
                for text in packed[:-1]:
                    await sink.send(content=text)
                lead: str | None = packed[-1] if packed else None
                for embeds in groups:
                    await sink.send(content=lead, embeds=embeds)
                    lead = None
                texts = []
        for text in pack(texts, render.CONTENT_MAX):
            await sink.send(content=text)

    def key(self, user: discord.abc.User) -> ConversationKey:
        return ConversationKey(platform=PLATFORM, user=str(user.id))

    # -- errors ----------------------------------------------------------
    async def report(
        self,
        error: BaseException,
        interaction: discord.Interaction[Any] | None,
        dm: discord.Message | None = None,
    ) -> None:
        """The one error path: log ids and the error class (never text); tell the person."""
        what = f"interaction {interaction.id}" if interaction else f"message {dm.id if dm else '?'}"
        log.warning("%s failed: %s", what, type(error).__name__)
        log.debug("%s failed", what, exc_info=error)
        locale = _locale(interaction) if interaction else self.app.settings.locale
        text = self.app.engine.texts(locale).messages["busy"]
        try:
            if dm is not None:
                await dm.channel.send(text)
            elif interaction is not None and interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            elif interaction is not None:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("%s: could not report the failure: %s", what, type(exc).__name__)

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await self.report(getattr(error, "original", error), interaction)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        log.warning("event %s failed: %s", event_method, type(error).__name__)
        log.debug("event %s failed", event_method, exc_info=error)


class _Sink(Protocol):
    texts: Any

    async def send(self, **kwargs: Any) -> discord.Message | None: ...

    async def answered(self, answer: str) -> None: ...

    def asked(self, message: discord.Message | None) -> None: ...


class _InteractionSink:
    """Replies to an interaction: ephemeral followups in servers; edits the pressed message."""

    def __init__(self, client: CrampClient, interaction: discord.Interaction[Any]) -> None:
        self.client = client
        self.interaction = interaction
        self.private = interaction.guild_id is None
        self.texts = client.app.engine.texts(_locale(interaction))

    async def send(self, **kwargs: Any) -> discord.Message | None:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return await self.interaction.followup.send(ephemeral=not self.private, wait=True, **kwargs)

    async def answered(self, answer: str) -> None:
        message = self.interaction.message
        if message is None:
            return
        if self.private:
            self.client.asked.pop(self.interaction.user.id)
        content = render.answered_text(message.content, answer)
        await self.interaction.edit_original_response(
            content=content, view=render.disabled(message)
        )

    def asked(self, message: discord.Message | None) -> None:
        if self.private:
            _remember(self.client, self.interaction.user.id, message)


class _ChannelSink:
    """Replies in a DM channel as normal messages; edits the last question on a typed answer."""

    def __init__(self, client: CrampClient, channel: discord.abc.Messageable, user_id: int) -> None:
        self.client = client
        self.channel = channel
        self.user_id = user_id
        self.texts = client.app.engine.texts(client.app.settings.locale)

    async def send(self, **kwargs: Any) -> discord.Message | None:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return await self.channel.send(**kwargs)

    async def answered(self, answer: str) -> None:
        message = self.client.asked.pop(self.user_id)
        if message is None:
            return
        partial = self.client.get_partial_messageable(message.channel.id).get_partial_message(
            message.id
        )
        try:
            await partial.edit(
                content=render.answered_text(message.content, answer), view=render.disabled(message)
            )
        except discord.HTTPException as exc:
            log.info("message %s could not be marked answered: %s", message.id, type(exc).__name__)

    def asked(self, message: discord.Message | None) -> None:
        _remember(self.client, self.user_id, message)


def _remember(client: CrampClient, user_id: int, message: discord.Message | None) -> None:
    if message is not None:
        client.asked.remember(user_id, message)


async def _ack(
    interaction: discord.Interaction[Any], *, ephemeral: bool, thinking: bool = False
) -> bool:
    """Defer at once (Discord allows 3 seconds); ``False`` if the interaction was already answered."""
    try:
        await interaction.response.defer(ephemeral=ephemeral, thinking=thinking)
    except (discord.HTTPException, discord.InteractionResponded) as exc:
        log.info(
            "interaction %s not acknowledged (%s); skipped", interaction.id, type(exc).__name__
        )
        return False
    return True


def _locale(interaction: discord.Interaction[Any]) -> str:
    return str(interaction.locale)


def _origin(guild_id: int | None) -> str:
    return "discord dm" if guild_id is None else f"discord server {guild_id}"


def _add_commands(client: CrampClient) -> None:
    """Register the slash commands on ``client.tree``; /op only when there is an operator hook."""

    texts = client.app.engine.texts(client.app.settings.locale)

    def describe(name: str) -> locale_str:
        return locale_str(render.cut(texts.messages[f"command_{name}"], 100), command=name)

    def engine_command(name: str) -> app_commands.Command[Any, Any, None]:
        async def run(interaction: discord.Interaction[Any]) -> None:
            await client.command(interaction, name)

        return app_commands.Command(name=name, description=describe(name), callback=run)

    for name in ("cramps", "restart", "back", "stop", "forget", "help", "about", "language"):
        client.tree.add_command(engine_command(name))

    topics = client.app.engine.factsheet_topics

    @app_commands.command(name="crampinfo", description=describe("crampinfo"))
    @app_commands.describe(topic="Which fact sheet")
    @app_commands.choices(topic=[app_commands.Choice(name=t, value=t) for t in topics])
    async def crampinfo(
        interaction: discord.Interaction[Any], topic: app_commands.Choice[str]
    ) -> None:
        await client.crampinfo(interaction, topic.value)

    client.tree.add_command(crampinfo)
    if client.operators is None:
        return

    @app_commands.command(name="op", description="Operator commands (operators only)")
    @app_commands.describe(command='For example "status" or "restart discord:123"')
    async def op(interaction: discord.Interaction[Any], command: str) -> None:
        await client.op(interaction, command)

    client.tree.add_command(op)


def point_at(settings: Settings) -> None:
    """Use another REST base and gateway (a proxy, or a fake in tests) when the settings name them.

    ``discord_api_url`` includes the version path (``http://proxy:8080/api/v10``);
    ``discord_gateway_url`` is a ``ws(s)://`` URL.
    """
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def build_client(
    app: App, operators: OperatorCommands | None = None, **options: Any
) -> CrampClient:
    """The client, not yet logged in (tests start it against a fake Discord)."""
    return CrampClient(app, operators, **options)


async def serve(app: App, stop: asyncio.Event, operators: OperatorCommands | None = None) -> None:
    """Run the Discord bot until ``stop`` is set, then close the connection cleanly."""
    app.settings.require_discord()
    point_at(app.settings)
    async with build_client(app, operators) as client:
        running = asyncio.create_task(client.start(app.settings.discord_token), name="discord")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            await client.close()
            await asyncio.gather(stopping, return_exceptions=True)
            if not running.done():
                await running
        running.result()
