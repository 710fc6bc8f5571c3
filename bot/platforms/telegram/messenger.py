"""The Telegram adapter (python-telegram-bot 22): updates in, engine events, rendered replies out.

Thin by design: no dialog logic here. Private chats run the interview with
inline keyboards; groups only get a deep link into the private chat and public
fact sheets, so no answer is ever shown in a group.

Where a question is shown lives in the stored record (``chat_id/message_id``),
not in this process: marking it answered and taking the buttons off an older
copy work after a restart and from any process. Each tick is its own event on
the stored draft, so taps in quick succession are never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url

from bot.app import App
from bot.ops.startup import log_started
from bot.platforms import buttons
from bot.platforms.chat import OperatorCommands, topics_menu
from bot.platforms.flood import FloodGate
from bot.platforms.telegram import polling, registration
from bot.platforms.telegram.botapi import BotApi, Location
from bot.platforms.telegram.fairness import FairUpdates, PerChatLimiter
from bot.platforms.telegram.render import (
    answered_html,
    factsheet_html,
    invite_markup,
    keyboard,
    outcome_html,
    outcome_markup,
    question_html,
)
from bot.platforms.telegram.webhook import WebhookServer
from dialogs import ConversationKey, Incoming, Outcome, Question, Reply, Texts

log = logging.getLogger(__name__)

PLATFORM = "telegram"
HTML = ParseMode.HTML
SEND_ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
RATE_LIMIT_RETRIES = 3
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


class _Human(filters.MessageFilter):
    """Messages a person sent: not a bot, not an anonymous admin or channel."""

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and not message.from_user.is_bot


NEW = filters.UpdateType.MESSAGE & _Human(name="HUMAN")
PRIVATE = NEW & filters.ChatType.PRIVATE
GROUP = NEW & filters.ChatType.GROUPS


@dataclass(frozen=True, slots=True)
class _Where:
    """Where replies go; ``key`` is set in private chats, so a blocked bot marks it inactive."""

    chat_id: int
    thread: int | None = None
    key: ConversationKey | None = None
    # Raise Forbidden to the caller too (a notifier must know the person was not told).
    strict: bool = False
    # In groups, replies are threaded to the command they answer.
    reply_to: int | None = None


def ref(at: Location) -> str:
    """The reference a record keeps to a message: ``chat_id/message_id``."""
    return f"{at[0]}/{at[1]}"


def located(message: Message) -> Location:
    """Where a message PTB parsed (an update's) is."""
    return message.chat_id, message.message_id


def parse_ref(text: str | None) -> Location | None:
    """``(chat_id, message_id)`` of a reference; ``None`` for none or anything malformed."""
    chat, _, message = (text or "").partition("/")
    try:
        return int(chat), int(message)
    except ValueError:
        return None


class TelegramMessenger:
    """Handlers for one Application: translate updates, call the engine, render its replies."""

    def __init__(
        self, app: App, operators: OperatorCommands | None = None, api: type[BotApi] = BotApi
    ) -> None:
        self.engine = app.engine
        self.operators = operators
        self.bot: Any = None
        self._make_api = api
        self.api: BotApi  # set by install(), over the Application's bot
        # update id -> still fine, for updates the webhook waits for (it answers 500 on a failure).
        self._watched: dict[int, bool] = {}

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Register the handlers, the error handler and (if offered) the operators' notifier."""
        self.bot = application.bot
        self.api = self._make_api(application.bot)
        # Button presses first: they are most updates, and PTB tries handlers in order.
        handlers: list[Any] = [
            CallbackQueryHandler(self.on_press),
            CommandHandler("crampinfo", self.on_crampinfo, filters=NEW),
        ]
        if self.operators is not None:
            handlers.append(CommandHandler("op", self.on_op, filters=NEW))
            self.operators.add_notifier(PLATFORM, self.notify)
        handlers += [
            CommandHandler(("cramps", "start", "help"), self.on_invite, filters=GROUP),
            CommandHandler("about", self.on_about, filters=GROUP),
            MessageHandler(PRIVATE & filters.TEXT, self.on_private_text),
            MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, self.on_not_text),
        ]
        application.add_handlers(handlers)
        application.add_error_handler(self.on_error)

    async def on_private_text(self, update: Update, context: Context) -> None:
        """Typed answers and commands in a private chat go to the engine as typed."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and message.text is not None and user is not None
        log.debug("update %s: private message", update.update_id)
        key = ConversationKey(platform=PLATFORM, user=str(user.id))
        event = Incoming.from_text(message.text, event_id=str(update.update_id))
        replies = await self.engine.handle(key, event, user.language_code)
        await self._show(_Where(message.chat_id, key=key), replies, user.language_code)

    async def on_not_text(self, update: Update, context: Context) -> None:
        """A sticker, photo, voice note, ... in a private chat: a short reply saying what works."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        log.debug("update %s: private message without text", update.update_id)
        texts = await self._texts(user)
        await self._send(_where(message), texts.messages["not_text"])

    async def on_press(self, update: Update, context: Context) -> None:
        """A button press; the query is always answered, so no spinner is left hanging."""
        query = update.callback_query
        assert query is not None
        log.debug("update %s: button press", update.update_id)
        notice = None
        try:
            notice = await self._press(update.update_id, query)
        finally:
            await self._answer(query, notice)

    async def _press(self, update_id: int, query: CallbackQuery) -> str | None:
        """Apply a press; return the notice for the callback answer (a toast), if any."""
        message = query.message
        if not isinstance(message, Message) or message.chat.type != ChatType.PRIVATE:
            log.debug("update %s: ignored button data", update_id)
            return None
        locale = query.from_user.language_code
        key = ConversationKey(platform=PLATFORM, user=str(query.from_user.id))
        where = _Where(message.chat_id, key=key)
        view = buttons.OUTCOME.parse(query.data)
        if view is not None:
            return await self._expand(where, message, int(view["step"]), view["view"], locale)
        press = buttons.decode(query.data)
        if press is None:
            log.debug("update %s: ignored button data", update_id)
            return None
        event = press.incoming(str(update_id), ref(located(message)))
        replies = await self.engine.handle(key, event, locale)
        ticked = (press.question, press.step) if press.kind == "toggle" else None
        return await self._show(where, replies, locale, message, ticked)

    async def _expand(
        self, where: _Where, message: Message, step: int, view: str, locale: str | None
    ) -> str | None:
        """Expand an outcome in place ("More details", "Sources"): the same message shows more."""
        assert where.key is not None
        current = await self.engine.current(where.key, locale)
        texts = self.engine.texts_of(current, locale)
        outcome = next((r for r in current if isinstance(r, Outcome)), None)
        if outcome is None or outcome.step != step:
            await self._clear(where, ref(located(message)))
            return texts.messages["closed"]
        first, *rest = outcome_html(outcome, texts, view)
        markup = outcome_markup(outcome, texts, view)
        await self._edit(
            where,
            located(message),
            lambda chat, at: self.api.edit_text(
                chat, at, first, parse_mode=HTML, reply_markup=markup
            ),
        )
        for part in rest:
            await self._send(where, part, parse_mode=HTML)
        return None

    async def on_invite(self, update: Update, context: Context) -> None:
        """``/cramps`` (or /start, /help) in a group: a deep link to the private chat, no more."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        log.debug("update %s: group invite", update.update_id)
        texts = await self._texts(user)
        url = create_deep_linked_url(self.bot.username, "cramps")
        markup = invite_markup(url, texts)
        await self._send(_where(message), texts.messages["group_private"], reply_markup=markup)

    async def on_about(self, update: Update, context: Context) -> None:
        """``/about`` in a group: what the bot is, from the content."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        await self._send(_where(message), (await self._texts(user)).messages["about"])

    async def on_crampinfo(self, update: Update, context: Context) -> None:
        """``/crampinfo TOPIC``: a public fact sheet; without a known topic, the topics."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        log.debug("update %s: fact sheet", update.update_id)
        texts = await self._texts(user)
        topic = context.args[0] if context.args else ""
        sheet = self.engine.factsheet(topic, texts.locale) if topic else None
        if sheet is None:
            await self._send(_where(message), topics_menu(self.engine.factsheet_topics))
            return
        citations = self.engine.citations(sheet.sources)
        for part in factsheet_html(sheet, texts, citations):
            await self._send(_where(message), part, parse_mode=HTML)

    async def _texts(self, user: User) -> Texts:
        """The texts for ``user`` outside the interview: the language they chose, if any."""
        key = ConversationKey(platform=PLATFORM, user=str(user.id))
        return await self.engine.texts_to(key, user.language_code)

    async def on_op(self, update: Update, context: Context) -> None:
        """``/op ...``: the operators' handler decides; its lines go back as plain messages."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and message.text is not None and user is not None
        assert self.operators is not None
        log.debug("update %s: operator command", update.update_id)
        args = Incoming.from_text(message.text).args
        private = message.chat.type == ChatType.PRIVATE
        origin = f"telegram {message.chat.type} chat {message.chat_id}"
        lines = await self.operators.handle(
            PLATFORM, str(user.id), args, private=private, origin=origin, locale=user.language_code
        )
        for line in lines:
            await self._send(_where(message), line)

    async def on_error(self, update: object, context: Context) -> None:
        """Log the update id and the error class; details (never message text) at debug level."""
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id in self._watched:
            self._watched[update_id] = False
        log.warning("update %s failed: %s", update_id, type(context.error).__name__)
        log.debug("update %s failure details", update_id, exc_info=context.error)

    async def apply(
        self, application: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> bool:
        """Process ``update`` to the end, as polling would; False when a handler failed."""
        self._watched[update.update_id] = True
        try:
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
            return self._watched[update.update_id]
        finally:
            del self._watched[update.update_id]

    async def on_dropped(self, update: Update, tell: bool) -> None:
        """A flooding person's update was skipped: stop its button's spinner; tell them once."""
        chat, user = update.effective_chat, update.effective_user
        try:
            if update.callback_query is not None:
                await self._answer(update.callback_query, None)
            if tell and chat is not None:
                texts = self.engine.texts(user.language_code if user else None)
                await self._send(_Where(chat.id), texts.messages["flood"])
        except TelegramError as exc:
            log.info("flood notice not sent: %s", type(exc).__name__)

    async def notify(self, user_id: str, replies: list[Reply]) -> None:
        """Show ``replies`` to a person in their private chat (used by operators' restarts)."""
        key = ConversationKey(platform=PLATFORM, user=user_id)
        await self._show(_Where(int(user_id), key=key, strict=True), replies, None)

    async def _show(
        self,
        where: _Where,
        replies: list[Reply],
        locale: str | None,
        pressed: Message | None = None,
        ticked: tuple[str, int] | None = None,
    ) -> str | None:
        """Render replies in a private chat; return the notice for the callback answer, if any.

        ``pressed`` is the message whose button was pressed; after a tick on
        ``ticked`` (question, step), that question is redrawn in place, not sent again.
        """
        notice = None
        texts = self.engine.texts_of(replies, locale)
        for reply in replies:
            redraw = isinstance(reply, Question) and (reply.id, reply.step) == ticked
            if isinstance(reply, Question) and redraw and pressed is not None:
                await self._redraw(where, reply, texts, pressed)
            elif isinstance(reply, Question):
                await self._clear(where, reply.previous)
                text = question_html(reply, texts)
                sent = await self._send(
                    where, text, parse_mode=HTML, reply_markup=keyboard(reply, texts)
                )
                await self._shown(where, sent, reply.step)
            elif isinstance(reply, Outcome):
                first, *rest = outcome_html(reply, texts)
                markup = outcome_markup(reply, texts)
                sent = await self._send(where, first, parse_mode=HTML, reply_markup=markup)
                for part in rest:
                    await self._send(where, part, parse_mode=HTML)
                await self._shown(where, sent, reply.step)
            elif reply.kind == "answered":
                await self._mark_answered(where, reply.previous, reply.question, reply.text, texts)
            elif reply.kind in ("closed", "notice") and pressed is not None:
                notice = reply.text
                await self._clear(where, reply.previous)
            else:
                await self._clear(where, reply.previous)
                await self._send(where, reply.text)
        return notice

    async def _redraw(
        self, where: _Where, question: Question, texts: Texts, pressed: Message
    ) -> None:
        """A tick: redraw the ticks on the copy the record names (or the one pressed)."""
        target = parse_ref(question.previous) or located(pressed)
        markup = keyboard(question, texts)
        await self._edit(
            where,
            target,
            lambda chat, message: self.api.edit_markup(chat, message, markup),
        )
        if question.previous is None:
            await self._shown(where, located(pressed), question.step)

    async def _shown(self, where: _Where, sent: Location | None, step: int) -> None:
        """Note in the record where the question (or outcome) of ``step`` is shown."""
        if sent is not None and where.key is not None:
            await self.engine.shown(where.key, ref(sent), step)

    async def _mark_answered(
        self,
        where: _Where,
        previous: str | None,
        question: str | None,
        answer: str,
        texts: Texts,
    ) -> None:
        """Edit the answered question's message to show the answer, without buttons."""
        asked = texts.question_text.get(question) if question else None
        if asked is None:
            await self._clear(where, previous)
            return
        html = answered_html(asked, answer)
        await self._edit(
            where,
            parse_ref(previous),
            lambda chat, message: self.api.edit_text(chat, message, html, parse_mode=HTML),
        )

    async def _clear(self, where: _Where, previous: str | None) -> None:
        """Take the buttons off an older copy of a question (if the record names one)."""
        await self._edit(
            where,
            parse_ref(previous),
            lambda chat, message: self.api.edit_markup(chat, message),
        )

    async def _edit(
        self,
        where: _Where,
        target: tuple[int, int] | None,
        action: Callable[[int, int], Awaitable[object]],
    ) -> None:
        """Edit a message a record refers to; a stale reference is harmless (logged at debug)."""
        if target is None:
            return
        chat, message = target
        if chat != where.chat_id:
            where = replace(where, chat_id=chat)
        try:
            await self._call(where, lambda c: action(c, message))
        except BadRequest as exc:  # deleted, too old to edit, another chat: nothing to clear
            log.debug("a stale message reference was not edited: %s", type(exc).__name__)

    async def _answer(self, query: CallbackQuery, notice: str | None) -> None:
        """Answer a button press, with ``notice`` as its toast; a too old query is only logged."""
        text = notice[:200] if notice else None
        try:
            await self._call(_Where(0), lambda _chat: self.api.answer(query.id, text))
        except BadRequest as exc:  # e.g. the query is too old to answer
            log.info("callback query not answered: %s", type(exc).__name__)

    async def _send(
        self,
        where: _Where,
        text: str,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> Location | None:
        """Send a message; where it went, or None when the chat is unreachable."""
        reply = None
        if where.reply_to is not None:
            reply = ReplyParameters(where.reply_to, allow_sending_without_reply=True)
        return await self._call(
            where,
            lambda chat: self.api.send(
                chat,
                text,
                parse_mode=parse_mode,
                reply_markup=reply_markup,
                message_thread_id=where.thread,
                reply_parameters=reply,
            ),
        )

    async def _call(self, where: _Where, action: Callable[[int], Awaitable[T]]) -> T | None:
        """Run one Bot API call with the good-citizen rules.

        Retries network errors and 5xx with a small backoff, follows a group's
        migration to a supergroup, marks a person who blocked the bot inactive,
        and ignores "message is not modified". RetryAfter is the rate limiter's.
        """
        chat = where.chat_id
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await action(chat)
            except ChatMigrated as exc:
                log.info("chat migrated to a supergroup; resending")
                chat = int(exc.new_chat_id)
            except Forbidden as exc:
                log.info("chat unreachable: %s", type(exc).__name__)
                if where.key is not None:
                    await self.engine.mark_inactive(where.key)
                if where.strict:
                    raise
                return None
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return None
                raise
            except NetworkError as exc:  # also TimedOut; BadRequest is caught above
                if attempt == SEND_ATTEMPTS:
                    raise
                log.info("retrying a Bot API call after %s", type(exc).__name__)
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        return None


def _where(message: Message) -> _Where:
    """Reply in the message's chat and forum topic; private chats carry the person's key."""
    thread = message.message_thread_id if message.is_topic_message else None
    user, key = message.from_user, None
    if message.chat.type == ChatType.PRIVATE:
        if user is not None:
            key = ConversationKey(platform=PLATFORM, user=str(user.id))
        return _Where(message.chat_id, thread, key)
    return _Where(message.chat_id, thread, key, reply_to=message.message_id)


def build_application(
    app: App,
    operators: OperatorCommands | None = None,
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    api: type[BotApi] = BotApi,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the Application with our handlers; updates run concurrently, fairly.

    ``builder`` lets a benchmark pick the transport. ``rate_limiter=None`` means
    the default limiter, not none: Telegram's flood limits (30 messages a second
    overall, 20 a minute per group; callback answers are not limited), a 429
    pausing only its own chat, retried up to three times; that limit is
    Telegram's ceiling, not ours. A benchmark of our own cost passes
    ``PerChatLimiter(overall_max_rate=0, group_max_rate=0)``, and ``api`` to
    weigh PTB's typed methods against our :class:`BotApi`.
    """
    return _build(app, operators, builder, rate_limiter, api)[0]


def _build(
    app: App,
    operators: OperatorCommands | None = None,
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    api: type[BotApi] = BotApi,
) -> tuple[Application[Any, Any, Any, Any, Any, Any], TelegramMessenger]:
    settings = app.settings
    messenger = TelegramMessenger(app, operators, api)
    builder = (builder or ApplicationBuilder()).token(settings.telegram_token)
    builder = builder.rate_limiter(rate_limiter or PerChatLimiter(max_retries=RATE_LIMIT_RETRIES))
    builder = builder.concurrent_updates(FairUpdates(FloodGate(), messenger.on_dropped))
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    application = builder.build()
    messenger.install(application)
    return application, messenger


async def serve(
    app: App,
    stop: asyncio.Event,
    operators: OperatorCommands | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> None:
    """Run the bot (long polling, or our webhook server when configured) until ``stop`` is set.

    A webhook replica listens first, then registers (once per deployment, see
    :mod:`~bot.platforms.telegram.registration`). Polling first claims its lease
    on a shared store (:mod:`~bot.platforms.telegram.polling`), or is refused.
    ``rate_limiter`` as for :func:`build_application` (a benchmark switches the limits off).
    """
    settings = app.settings
    settings.require_telegram()
    application, messenger = _build(app, operators, rate_limiter=rate_limiter)
    updater = application.updater
    assert updater is not None
    webhook: WebhookServer | None = None
    holding: asyncio.Task[None] | None = None
    async with application:
        await application.start()
        try:
            if settings.telegram_webhook_url:
                webhook = WebhookServer(
                    application.bot,
                    lambda update: messenger.apply(application, update),
                    path=urlsplit(settings.telegram_webhook_url).path,
                    secret=settings.telegram_webhook_secret,
                    listen=settings.telegram_webhook_listen,
                    port=settings.telegram_webhook_port,
                )
                await webhook.start()
                await registration.register_once(application.bot, app)
            else:
                await polling.claim(app)
                holding = asyncio.create_task(polling.hold(app, stop), name="polling lease")
                await registration.register_once(application.bot, app)
                await updater.start_polling(allowed_updates=registration.ALLOWED_UPDATES)
                await registration.forget_webhook(app)  # starting to poll deleted it
                log.info("telegram: long polling")
            listening = webhook
            app.connected[PLATFORM] = lambda: (
                listening.running if listening is not None else updater.running
            )
            me = application.bot
            link = create_deep_linked_url(me.username, "cramps")
            log_started(settings, PLATFORM, f"@{me.username}", me.id, "deep link", link)
            await stop.wait()
        finally:
            if webhook is not None:
                await webhook.stop()
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
            if holding is not None:
                holding.cancel()
                await asyncio.gather(holding, return_exceptions=True)
