"""The Discord adapter: slash commands, persistent components and DMs in front of the engine.

A thin edge: it turns interactions and DM messages into :class:`Incoming`
events for ``Engine.handle`` and hands the replies to a
:class:`~bot.platforms.discord.delivery.Screen`, which decides where they go
(in a server, one ephemeral message per interview edited in place; in DMs,
normal messages that the record can find again). Every interaction is
acknowledged exactly once, before the engine or store is touched (a click the
bot does not know, or on another member's message, gets a short notice), and
every handler runs inside :meth:`CrampClient.handling`, the one place that
reports a failure and signals the event done. The components and their
``custom_id`` formats are in :mod:`bot.platforms.discord.components`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.app_commands import locale_str

from bot.app import App
from bot.ops.startup import log_started
from bot.platforms.chat import OperatorCommands, pack
from bot.platforms.discord import render
from bot.platforms.discord.command_sync import sync_if_changed
from bot.platforms.discord.components import Action, dispatch, outcome_view
from bot.platforms.discord.delivery import Ref, Screen
from bot.platforms.flood import Admission, FloodGate
from bot.settings import Settings, SettingsError
from dialogs import ConversationKey, Incoming, Outcome, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
DONE_EVENT = "cramp_done"
"""Dispatched (``client.wait_for("cramp_done")``) with the event id once an event is handled."""


SHARDING_REFUSED = {
    4010: "invalid shard; CRAMPBOT_DISCORD_SHARD_IDS must name shards below CRAMPBOT_DISCORD_SHARDS",
    4011: "sharding required; set CRAMPBOT_DISCORD_SHARDS to Discord's recommended count"
    " (or unset it to use that count)",
}
"""The gateway close codes that mean the shard settings do not fit the bot, and the fix."""


class ShardingRefused(SettingsError):
    """Discord refused this process's shards (close code 4010 or 4011): a setting to fix."""


class ContentTranslator(app_commands.Translator):
    """Command names (``command_names``), and command and option descriptions and
    choices (the message named by the string's ``key``), in every locale the content has."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        where = app_commands.TranslationContextLocation
        if context.location not in (
            where.command_name,
            where.command_description,
            where.parameter_description,
            where.choice_name,
        ):
            return None
        texts = render.client_texts(self.app.engine.locales, locale.value)
        if texts is None:
            return None
        if context.location is where.command_name:
            return texts.command_names.get(string.message)
        found = texts.messages.get(string.extras.get("key", ""))
        return render.cut(found, 100) if found else None


class CrampClient(discord.AutoShardedClient):
    """A discord.py client that runs cramp interviews through ``app.engine``.

    Sharded: it runs the shards ``CRAMPBOT_DISCORD_SHARD_IDS`` of
    ``CRAMPBOT_DISCORD_SHARDS`` (unset: Discord's recommended count, all in this
    process), so several processes can share one bot on one store.
    """

    def __init__(self, app: App, operators: OperatorCommands | None = None, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True  # DM content arrives without the message content intent
        options.setdefault("chunk_guilds_at_startup", False)
        # No message may ping anyone, whatever its text says.
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("shard_count", app.settings.discord_shards or None)
        options.setdefault("shard_ids", app.settings.shard_ids())
        super().__init__(intents=intents, **options)
        self.app = app
        self.operators = operators
        self.gate = FloodGate()
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self.on_app_command_error)
        _add_commands(self)

    async def setup_hook(self) -> None:
        """Settle the shard count and sync the slash commands.

        Component clicks need no registration: see ``on_interaction``.
        """
        if self.shard_count is None:
            # Discord's recommended count; the gateway stays the configured one (a proxy).
            self.shard_count, _, _ = await self.http.get_bot_gateway()
        await self.tree.set_translator(ContentTranslator(self.app))
        guild = self.app.settings.discord_guild
        target = discord.Object(int(guild)) if guild else None
        if target is not None:
            self.tree.copy_global_to(guild=target)
        await sync_if_changed(
            self.tree, self.app.store, target, force=self.app.sync_commands, shards=self.running()
        )
        self.app.connected[PLATFORM] = self.is_connected
        me = self.user
        assert me is not None  # setup_hook runs after the login
        invite = invite_url(self.application_id or me.id)
        shards = shards_text(self.running(), self.shard_count)
        log_started(self.app.settings, PLATFORM, str(me), me.id, "invite", invite, shards)
        if self.operators is not None:
            self.operators.add_notifier(PLATFORM, self.notify)

    def running(self) -> tuple[int, ...]:
        """The ids of the shards this process runs (known once the shard count is)."""
        return tuple(self.shard_ids or range(self.shard_count or 1))

    def is_connected(self) -> bool:
        """Whether every shard of this process is connected now (``/healthz``)."""
        shards = self.shards
        return (
            self.is_ready()
            and not self.is_closed()
            and set(shards) == set(self.running())
            and not any(shard.is_closed() for shard in shards.values())
        )

    # -- events ----------------------------------------------------------
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Route a component click by its ``custom_id``; one no handler knows (left by an
        older bot, or forged) gets a notice, without which Discord shows "This interaction failed".

        No view is registered with discord.py, so it answers none of these itself.
        """
        if interaction.type is not discord.InteractionType.component:
            return
        if await dispatch(self, interaction):
            return
        async with self.handling(interaction):
            texts = self.app.engine.texts(_locale(interaction))
            await interaction.response.send_message(texts.messages["closed"], ephemeral=True)

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
            await self.step(interaction, event)

    async def press(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        step: int,
        chosen: tuple[str, ...],
        action: Action = "answer",
    ) -> None:
        """A button or select menu: the engine applies it if it belongs to the current question."""
        if not await self.owned(interaction):
            return
        async with self.handling(interaction, ephemeral=False) as acked:
            if not acked:
                return
            clicked = interaction.message
            event = Incoming(
                choice=chosen,
                question=question,
                step=step,
                action=action,
                event_id=str(interaction.id),
                ref=str(Ref.of(clicked, interaction.guild_id is not None)) if clicked else None,
            )
            await self.step(interaction, event)

    async def step(self, interaction: discord.Interaction[Any], event: Incoming) -> None:
        """Apply ``event`` and show the replies where the interaction came from."""
        key, locale = self.key(interaction.user), _locale(interaction)

        async def tell(text: str) -> None:
            await interaction.followup.send(text, ephemeral=True)

        replies = await self.turn(key, event, locale, tell)
        if replies is None:
            if (
                interaction.response.type
                is discord.InteractionResponseType.deferred_channel_message
            ):
                with contextlib.suppress(discord.HTTPException):  # its "thinking..." goes
                    await interaction.delete_original_response()
            return
        await Screen(self, key, locale, interaction=interaction).show(replies)

    async def turn(
        self,
        key: ConversationKey,
        event: Incoming,
        locale: str | None,
        tell: Callable[[str], Awaitable[None]],
    ) -> list[Reply] | None:
        """The engine's replies, each person's events one at a time and in order; ``None``
        when the event was dropped because its sender is flooding (told once per flood)."""
        person = str(key)
        admission = self.gate.admit(person)
        if admission is not Admission.RUN:
            log.info("event %s dropped: its sender is flooding", event.event_id)
            if admission is Admission.DROP_AND_TELL:
                with contextlib.suppress(discord.HTTPException):
                    await tell(self.app.engine.texts(locale).messages["flood"])
            return None
        async with self.gate.turn(person):
            return await self.app.engine.handle(key, event, locale)

    async def expand(self, interaction: discord.Interaction[Any], step: int, view: str) -> None:
        """ "More details" or "Sources": the same outcome, shown as ``view`` in place."""
        if not await self.owned(interaction):
            return
        async with self.handling(interaction, ephemeral=False) as acked:
            if not acked:
                return
            key, locale = self.key(interaction.user), _locale(interaction)
            current = await self.app.engine.current(key, locale)
            texts = self.app.engine.texts_of(current, locale)
            found = next((r for r in current if isinstance(r, Outcome)), None)
            if found is None or found.step != step:
                await interaction.followup.send(texts.messages["closed"], ephemeral=True)
                return
            [embeds, *_] = render.outcome_messages(found, texts, view)
            buttons = outcome_view(
                step, view, render.ui(texts, "button_details"), texts.outcome["sources"]
            )
            await interaction.edit_original_response(embeds=embeds, view=buttons)

    async def move_to_dm(self, interaction: discord.Interaction[Any]) -> None:
        """Carry on in DMs: the question goes there and the server copy loses its controls.

        If the person's DMs are closed, they are told and the server copy stays.
        """
        if not await self.owned(interaction):
            return
        async with self.handling(interaction, ephemeral=True) as acked:
            if not acked:
                return
            locale = _locale(interaction)
            key = self.key(interaction.user)
            replies = await self.app.engine.current(key, locale)
            if not replies:
                start = Incoming(command="cramps", event_id=str(interaction.id))
                replies = await self.app.engine.handle(key, start, locale)
            texts = self.app.engine.texts_of(replies, locale)
            try:
                channel = await interaction.user.create_dm()
                await Screen(self, key, locale, channel=channel).show(replies)
            except discord.Forbidden:
                log.info("interaction %s: DMs closed for this person", interaction.id)
                await interaction.followup.send(render.ui(texts, "dm_closed"), ephemeral=True)
                return
            await interaction.edit_original_response(
                content=render.ui(texts, "dm_sent"), embeds=[], view=None
            )

    async def owned(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether the clicked message is the clicker's own; if not, a notice and nothing else.

        Only a message made for this person (their interview's interaction, or
        their DMs) is ever edited for them, whatever a crafted click names.
        """
        message = interaction.message
        metadata = message.interaction_metadata if message is not None else None
        if metadata is not None:
            mine = metadata.user.id == interaction.user.id
        else:
            mine = interaction.guild_id is None
        if not mine:
            async with self.handling(interaction):
                texts = self.app.engine.texts(_locale(interaction))
                await interaction.response.send_message(texts.messages["closed"], ephemeral=True)
        return mine

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
                locale=_locale(interaction),
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
            if event.command == "op" and self.operators is not None:
                lines = await self.operators.handle(
                    PLATFORM, str(message.author.id), event.args, private=True, origin=_origin(None)
                )
                for chunk in pack(lines, render.CONTENT_MAX, sep="\n"):
                    await message.channel.send(chunk)
                return
            # A DM message carries no locale: the engine keeps the person's from their
            # last interaction (or /language), else the configured one.
            key, locale = self.key(message.author), self.app.settings.locale

            async def tell(text: str) -> None:
                await message.channel.send(text)

            replies = await self.turn(key, event, None, tell)
            if replies is not None:
                await Screen(self, key, locale, channel=message.channel).show(replies)

    async def notify(self, user_id: str, replies: list[Reply]) -> None:
        """Send ``replies`` to a person's DMs (operators use it to announce a restart)."""
        user = await self.fetch_user(int(user_id))
        channel = await user.create_dm()
        screen = Screen(self, self.key(user), self.app.settings.locale, channel=channel)
        await screen.show(replies)

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

    def describe(name: str, key: str = "") -> locale_str:
        """The text of message ``key`` (default ``command_<name>``), translated per locale."""
        key = key or f"command_{name}"
        return locale_str(render.cut(texts.messages[key], 100), command=name, key=key)

    def engine_command(name: str) -> app_commands.Command[Any, Any, None]:
        async def run(interaction: discord.Interaction[Any]) -> None:
            await client.command(interaction, name)

        return app_commands.Command(name=name, description=describe(name), callback=run)

    for name in ("cramps", "restart", "back", "stop", "forget", "help", "about", "language"):
        client.tree.add_command(engine_command(name))

    topics = client.app.engine.factsheet_topics

    @app_commands.command(name="crampinfo", description=describe("crampinfo"))
    @app_commands.describe(topic=describe("crampinfo", "option_crampinfo_topic"))
    @app_commands.choices(
        topic=[app_commands.Choice(name=describe(t, f"sheet_{t}"), value=t) for t in topics]
    )
    async def crampinfo(
        interaction: discord.Interaction[Any], topic: app_commands.Choice[str]
    ) -> None:
        await client.crampinfo(interaction, topic.value)

    client.tree.add_command(crampinfo)
    if client.operators is None:
        return

    @app_commands.command(name="op", description=describe("op"))
    @app_commands.describe(command=describe("op", "option_op_command"))
    # Hidden from members in servers; it works in DMs, where operators use it.
    @app_commands.default_permissions(manage_guild=True)
    async def op(interaction: discord.Interaction[Any], command: str) -> None:
        await client.op(interaction, command)

    client.tree.add_command(op)


def invite_url(client_id: int) -> str:
    """The URL that adds the bot to a server: scopes ``bot applications.commands``, permissions 0."""
    return discord.utils.oauth_url(
        client_id, permissions=discord.Permissions.none(), scopes=("bot", "applications.commands")
    )


def shards_text(ids: tuple[int, ...], count: int | None) -> str:
    """E.g. ``shards 0-3,8 of 16`` or ``shard 1 of 2``: what the start-up line says."""
    runs: list[list[int]] = []
    for shard in ids:
        if runs and shard == runs[-1][-1] + 1:
            runs[-1].append(shard)
        else:
            runs.append([shard])
    named = ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"shard{'s' if len(ids) > 1 else ''} {named} of {count}"


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
            # Stopped before the close: once closed, a shard still connecting would retry
            # for ever (discord.py 2.7's launch_shard never checks is_closed).
            running.cancel()
            await asyncio.gather(running, stopping, return_exceptions=True)
            await client.close()
        if running.cancelled():
            return
        try:
            running.result()
        except discord.ConnectionClosed as exc:
            if exc.code not in SHARDING_REFUSED:
                raise
            why = SHARDING_REFUSED[exc.code]
            raise ShardingRefused(
                "discord_shards", f"Discord closed shard {exc.shard_id} with {exc.code}: {why}"
            ) from None
