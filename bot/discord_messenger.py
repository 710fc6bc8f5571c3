"""The Discord adapter: slash commands, persistent components and DMs in front of the engine.

A thin edge: it turns interactions and DM messages into :class:`Incoming`
events for ``Engine.handle`` and renders the replies (see
:mod:`bot.discord_render`). In server channels everything is ephemeral; in DMs
the interview runs as normal messages and typed answers work as in the
terminal. Every interaction is deferred before the engine or store is touched.

Component ``custom_id`` formats (persistent across restarts, parsed by
:class:`discord.ui.DynamicItem` templates):

- ``cb:pick:<step>:<question>:<option>``: a button (:mod:`bot.buttons` format);
- ``cbsel:<step>:<question>``: the select menu of a multi question (values are option ids);
- ``cbdm``: "continue in DMs".
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections import OrderedDict
from typing import Any, Protocol

import discord
import yarl
from discord import app_commands
from discord.app_commands import locale_str

from bot import buttons
from bot import discord_render as render
from bot.app import App
from bot.operators import OperatorCommands
from bot.settings import Settings
from dialogs.outcome import factsheet
from dialogs.types import ConversationKey, Incoming, Message, Outcome, Question, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
REMEMBERED_DMS = 10_000
DONE_EVENT = "cramp_done"
"""Dispatched (``client.wait_for("cramp_done")``) with the event id once an event is handled."""


class PickButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cb:pick:(?P<step>\d{1,12}):(?P<question>[a-z_]{1,24}):(?P<option>[a-z0-9_]{1,24})",
):
    """One option of a single-choice question or prompt."""

    def __init__(self, question: Question | str, step: int, option: str, label: str) -> None:
        qid = question.id if isinstance(question, Question) else question
        data = buttons.encode("pick", step, qid, option)
        super().__init__(
            discord.ui.Button(label=render.cut(label, render.LABEL_MAX), custom_id=data)
        )
        self.question, self.step, self.option = qid, step, option

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickButton:
        label = getattr(item, "label", None) or match["option"]
        return cls(match["question"], int(match["step"]), match["option"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client(interaction).press(interaction, self.question, self.step, (self.option,))


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"cbsel:(?P<step>\d{1,12}):(?P<question>[a-z_]{1,24})",
):
    """A multi question as one select menu with ``min_values=1`` and ``max_values=len(options)``.

    One native control and one interaction per answer (no toggle round trips); the
    engine rejects "none" combined with others with a clear error and asks again.
    """

    def __init__(
        self, question: str, step: int, options: list[discord.SelectOption], max_values: int
    ) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"cbsel:{step}:{question}",
            options=options,
            min_values=1,
            max_values=max_values,
        )
        super().__init__(select)
        self.question, self.step = question, step

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceSelect:
        options = list(getattr(item, "options", []))
        return cls(match["question"], int(match["step"]), options, getattr(item, "max_values", 1))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        chosen = tuple(self.item.values)
        await _client(interaction).press(interaction, self.question, self.step, chosen)


class DmButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cbdm"):
    """Offered with /cramps in a server: carry on the interview in DMs."""

    def __init__(self, label: str) -> None:
        super().__init__(discord.ui.Button(label=label, custom_id="cbdm"))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DmButton:
        # The label is only needed to rebuild the item; the callback does not read it.
        return cls(getattr(item, "label", None) or "DM")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client(interaction).move_to_dm(interaction)


class ContentTranslator(app_commands.Translator):
    """Command descriptions (``command_<name>`` messages) in every locale the content has."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location is not app_commands.TranslationContextLocation.command_description:
            return None
        locales = self.app.engine.interview.content.locales
        texts = locales.get(locale.value) or locales.get(locale.value.split("-")[0])
        if texts is None:
            return None
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
        self._asked: OrderedDict[int, discord.Message] = OrderedDict()
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
        add_notifier = getattr(self.operators, "add_notifier", None)
        if add_notifier is not None:
            add_notifier(PLATFORM, self.notify)

    # -- events ----------------------------------------------------------
    async def command(
        self, interaction: discord.Interaction[Any], name: str, args: str = ""
    ) -> None:
        """A slash command that goes to the engine (everything but /crampinfo and /op)."""
        in_server = interaction.guild_id is not None
        try:
            if not await _ack(interaction, ephemeral=in_server, thinking=True):
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
        except Exception as exc:
            await self.report(exc, interaction)
        finally:
            self.dispatch(DONE_EVENT, str(interaction.id))

    async def press(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        step: int,
        chosen: tuple[str, ...],
    ) -> None:
        """A button or select menu: apply the choice if it still belongs to the current question."""
        try:
            if not await _ack(interaction, ephemeral=interaction.guild_id is not None):
                return
            event = Incoming(
                choice=chosen, question=question, step=step, event_id=str(interaction.id)
            )
            replies = await self.app.engine.handle(
                self.key(interaction.user), event, _locale(interaction)
            )
            await self.deliver(replies, _InteractionSink(self, interaction))
        except Exception as exc:
            await self.report(exc, interaction)
        finally:
            self.dispatch(DONE_EVENT, str(interaction.id))

    async def move_to_dm(self, interaction: discord.Interaction[Any]) -> None:
        """Open a DM and send the current question there; explain if the person's DMs are closed."""
        try:
            if not await _ack(interaction, ephemeral=True):
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
        except Exception as exc:
            await self.report(exc, interaction)
        finally:
            self.dispatch(DONE_EVENT, str(interaction.id))

    async def crampinfo(self, interaction: discord.Interaction[Any], topic: str) -> None:
        """A public fact sheet: general advice only, answered at once (no store involved)."""
        try:
            texts = self.app.engine.texts(_locale(interaction))
            content = self.app.engine.interview.content
            sheet = factsheet(content, texts, topic)
            if sheet is None:
                await interaction.response.send_message(
                    texts.messages["unknown_command"], ephemeral=True
                )
                return
            embeds = render.factsheet_embeds(sheet, texts, content.sources)
            await interaction.response.send_message(embeds=embeds)
        except Exception as exc:
            await self.report(exc, interaction)
        finally:
            self.dispatch(DONE_EVENT, str(interaction.id))

    async def op(self, interaction: discord.Interaction[Any], args: str) -> None:
        """``/op ...`` for operators; always answered ephemerally."""
        try:
            if self.operators is None or not await _ack(interaction, ephemeral=True, thinking=True):
                return
            lines = await self.operators.handle(
                PLATFORM,
                str(interaction.user.id),
                args,
                private=interaction.guild_id is None,
                origin=_origin(interaction.guild_id),
            )
            for chunk in render.pack(lines, sep="\n"):
                await interaction.followup.send(chunk, ephemeral=True)
        except Exception as exc:
            await self.report(exc, interaction)
        finally:
            self.dispatch(DONE_EVENT, str(interaction.id))

    async def on_message(self, message: discord.Message) -> None:
        """Typed text in a DM: answers, commands and ``/op``; everything else is ignored."""
        if message.guild is not None or message.author.bot or self.user is None:
            return
        if message.author.id == self.user.id:
            return
        try:
            event = Incoming.from_text(message.content, event_id=str(message.id))
            sink = _ChannelSink(self, message.channel, message.author.id)
            if event.command == "op" and self.operators is not None:
                lines = await self.operators.handle(
                    PLATFORM, str(message.author.id), event.args, private=True, origin=_origin(None)
                )
                for chunk in render.pack(lines, sep="\n"):
                    await sink.send(content=chunk)
                return
            locale = self.app.settings.locale
            replies = await self.app.engine.handle(self.key(message.author), event, locale)
            await self.deliver(replies, sink)
        except Exception as exc:
            await self.report(exc, None, message)
        finally:
            self.dispatch(DONE_EVENT, str(message.id))

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
                *before, last = render.pack([*texts, render.question_text(reply)])
                for text in before:
                    await sink.send(content=text)
                sent = await sink.send(content=last, view=self.question_view(reply))
                sink.asked(sent)
                texts = []
            elif isinstance(reply, Outcome):
                groups = render.outcome_messages(
                    reply, sink.texts, self.app.engine.interview.content.sources
                )
                packed = render.pack(texts)
                for text in packed[:-1]:
                    await sink.send(content=text)
                lead: str | None = packed[-1] if packed else None
                for embeds in groups:
                    await sink.send(content=lead, embeds=embeds)
                    lead = None
                texts = []
        for text in render.pack(texts):
            await sink.send(content=text)

    def question_view(self, question: Question) -> discord.ui.View:
        """Buttons (5 a row) for single choices; one select menu for multi questions.

        A single question with more than 25 options (more than fit as buttons) gets a
        select menu that takes one value.
        """
        view = discord.ui.View(timeout=None)
        if question.multi or len(question.options) > 25:
            options = render.select_options(question)[:25]
            most = len(options) if question.multi else 1
            view.add_item(ChoiceSelect(question.id, question.step, options, most))
            return view
        for option in question.options:
            view.add_item(PickButton(question, question.step, option.id, option.label))
        return view

    def key(self, user: discord.abc.User) -> ConversationKey:
        return ConversationKey(PLATFORM, str(user.id))

    def remember(self, user_id: int, message: discord.Message | None) -> None:
        """Keep the last question sent in a DM so a typed answer can mark it answered."""
        if message is None:
            return
        self._asked[user_id] = message
        self._asked.move_to_end(user_id)
        while len(self._asked) > REMEMBERED_DMS:
            self._asked.popitem(last=False)

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
            self.client._asked.pop(self.interaction.user.id, None)
        content = render.answered_text(message.content, answer)
        await self.interaction.edit_original_response(
            content=content, view=render.disabled(message)
        )

    def asked(self, message: discord.Message | None) -> None:
        if self.private:
            self.client.remember(self.interaction.user.id, message)


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
        message = self.client._asked.pop(self.user_id, None)
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
        self.client.remember(self.user_id, message)


def _client(interaction: discord.Interaction[Any]) -> CrampClient:
    client = interaction.client
    assert isinstance(client, CrampClient)
    return client


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

    for name in ("cramps", "restart", "back", "stop", "forget", "help", "about"):
        client.tree.add_command(engine_command(name))

    topics = client.app.engine.interview.content.factsheets

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
