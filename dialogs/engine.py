"""The engine: load a conversation, apply one event, save it, say what to show.

Every event follows the same path: take the per-key lock, load the record,
work out the new record and the replies, and save with compare-and-set on the
record's version (retrying if another process got there first). Replies are
returned only after the save, so a reply that fails to send loses nothing.
What one event does to the dialog is worked out by :class:`dialogs.turn.Turn`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from dialogs.content import OUTCOME_STATE
from dialogs.locales import Texts
from dialogs.locks import KeyLocks
from dialogs.machine import Interview
from dialogs.observer import ErrorCause, EventKind, Observer, Step
from dialogs.outcome import factsheet
from dialogs.record import Conversation, CorruptRecord
from dialogs.store import ConversationStore, StoreUnavailable
from dialogs.turn import Change, Turn
from dialogs.types import (
    ConversationKey,
    Incoming,
    Message,
    Outcome,
    Question,
    Reply,
    Section,
)

log = logging.getLogger(__name__)

DAY = 24 * 3600.0
# Notices that mean a stored record had to be dropped: errors to the observer.
NOTICE_ERRORS: dict[str, ErrorCause] = {
    "record_unreadable": "record_unreadable",
    "content_changed": "content_changed",
}


class Engine:
    """Runs interviews for any number of people on one shared :class:`Interview`."""

    def __init__(
        self,
        interview: Interview,
        store: ConversationStore,
        *,
        idle_after: float = DAY,
        clock: Callable[[], float] = time.time,
        attempts: int = 10,
        observer: Observer | None = None,
        default_locale: str = "en",
    ) -> None:
        self.interview = interview
        self.observer = observer
        self.default_locale = default_locale
        self.store = store
        self.idle_after = idle_after
        self.clock = clock
        self.attempts = attempts
        self.locks = KeyLocks()

    def reload(self, interview: Interview) -> None:
        """Use new content from now on; running conversations follow on their next event."""
        self.interview = interview

    def texts(self, locale: str | None = None) -> Texts:
        """The texts of ``locale`` (or its base language), else of the default locale."""
        content = self.interview.content
        return content.texts(content.known_locale(locale) or self.default_locale)

    def texts_for(self, record: Conversation | None, locale: str | None) -> Texts:
        """The texts a person reads: the language they chose, else the one their platform
        reports (``locale``), else the one last seen with their conversation."""
        content = self.interview.content
        if record is not None and (record.chose_locale or not content.known_locale(locale)):
            return self.texts(record.locale or locale)
        return self.texts(locale)

    def texts_of(self, replies: Iterable[Reply], locale: str | None = None) -> Texts:
        """The texts the engine spoke ``replies`` in, so a front end draws its own labels
        (buttons, progress, headings) in the same language; else those of ``locale``."""
        spoken = next((r.locale for r in replies if r.locale), None)
        return self.texts(spoken or locale)

    async def texts_to(self, key: ConversationKey | str, locale: str | None) -> Texts:
        """The texts for what is said to a person outside an interview event (a sticker's
        answer, a fact sheet, a notice): :meth:`texts_for` their stored conversation."""
        try:
            record = await self.store.load(str(key))
        except (StoreUnavailable, CorruptRecord):  # the platform's language will do
            record = None
        return self.texts_for(record, locale)

    @property
    def locales(self) -> Mapping[str, Texts]:
        """Every locale the content has, by its code."""
        return self.interview.content.locales

    def question(self, question: str, step: int, locale: str | None = None) -> Question | None:
        """Question ``question`` as it was shown at ``step``, from content alone (no store read).

        Adapters use it to redraw a multi-choice keyboard on a toggle press.
        """
        texts = self.texts(locale)
        spec = self.interview.content.questions.get(question)
        if spec is None:
            return None
        return Question(
            id=spec.id,
            text=texts.question_text[spec.id],
            options=self.interview.options[(texts.locale, spec.id)],
            multi=spec.multi,
            step=step,
            number=0,
            hint=texts.hints[spec.id],
        )

    @property
    def factsheet_topics(self) -> tuple[str, ...]:
        """The topics of the public fact sheets (``/crampinfo TOPIC``)."""
        return tuple(self.interview.content.factsheets)

    def factsheet(self, topic: str, locale: str | None = None) -> Section | None:
        """The public fact sheet on ``topic``: general advice only; ``None`` for no such topic."""
        return factsheet(self.interview.content, self.texts(locale), topic.lower())

    def citations(self, sources: Iterable[str]) -> tuple[tuple[str, str], ...]:
        """``(source id, citation)`` for each of ``sources``, as outcomes carry them."""
        names = self.interview.content.sources
        return tuple((sid, names.get(sid, sid)) for sid in sources)

    async def handle(
        self, key: ConversationKey | str, event: Incoming, locale: str | None = None
    ) -> list[Reply]:
        """Apply one event for ``key`` and return what to show the person."""
        key = str(key)
        texts = self.texts(locale)
        started = time.perf_counter()
        seen = _Seen()
        reported = self.interview.content.known_locale(locale)

        def change(record: Conversation | None, notice: str | None, now: float) -> Change:
            seen.notice, seen.finished = notice, False
            texts = seen.texts = self.texts_for(record, locale)
            if record is not None and event.event_id and event.event_id in record.recent_events:
                log.debug("event %s for %s already applied", event.event_id, key)
                return Change(self._current(record, texts))
            before = record.state if record is not None else None
            turn = Turn(self.interview, texts, now, self.idle_after)
            result = turn.run(key, record, event)
            seen.texts = turn.texts  # the language switched, after /language
            after = result.record.state if result.record is not None else None
            seen.finished = before != OUTCOME_STATE and after == OUTCOME_STATE
            if notice:
                result.replies.insert(0, Message(text=texts.messages[notice]))
            if result.record is not None and not result.record.chose_locale and reported:
                result.record.locale = reported
            return result

        error: ErrorCause | None = None
        replies: list[Reply]
        try:
            outcome = await self._transact(key, change, event.event_id)
        except StoreUnavailable as exc:  # nothing was saved: the person sends it again
            replies, error, saved = _not_saved(exc, texts), "store_unavailable", False
        else:
            replies = (
                outcome[1] if outcome else [Message(text=texts.messages["busy"], kind="error")]
            )
            saved = bool(outcome and outcome[0])
            error = NOTICE_ERRORS.get(seen.notice or "") if outcome else "conflict"
            replies = _spoken(replies, seen.texts or texts)
        if self.observer is not None:
            finished = seen.finished and saved
            self.observer.stepped(_step(key, event, started, replies, finished, error))
        return replies

    async def shown(self, key: ConversationKey | str, ref: str, step: int) -> None:
        """Note where the question put at ``step`` is shown (``ref``, the platform's reference).

        Ignored when the conversation has moved on since; saved with
        compare-and-set, so any process can later edit that message.
        """

        def change(record: Conversation | None, _: str | None, now: float) -> Change:
            if record is None or record.asked != step or record.shown == ref:
                return Change()
            record.shown = ref
            return Change(record=record)

        try:
            await self._transact(str(key), change)
        except StoreUnavailable as exc:  # the old copy may keep its buttons: harmless
            log.info("where a question is shown was not saved: %s", type(exc).__name__)

    async def current(self, key: ConversationKey | str, locale: str | None = None) -> list[Reply]:
        """What the person should see now (the current question, prompt or outcome)."""
        try:
            record, _ = await self._load(str(key))
        except StoreUnavailable as exc:
            return _not_saved(exc, self.texts(locale))
        if record is None:
            return []
        texts = self.texts_for(record, locale)
        return _spoken(self._current(record, texts), texts)

    async def forget(self, key: ConversationKey | str) -> bool:
        """Delete everything stored for ``key``."""
        async with self.locks.hold(str(key)):
            return await self.store.delete(str(key))

    async def restart(self, key: ConversationKey | str, notice: str = "operator_restart") -> bool:
        """Restart an interview from outside (an operator); the person is told on their next message."""

        def change(record: Conversation | None, _: str | None, now: float) -> Change:
            if record is None:
                return Change()
            fresh = Turn(self.interview, self.texts(), now, self.idle_after).fresh(record.key)
            fresh.created_at, fresh.notice = record.created_at, notice
            fresh.recent_events, fresh.inactive = record.recent_events, record.inactive
            fresh.shown = record.shown  # its controls go when the next question is shown
            return Change(record=fresh)

        outcome = await self._transact(str(key), change)
        return bool(outcome and outcome[0])

    async def mark_inactive(self, key: ConversationKey | str) -> None:
        """Note that the person can no longer be reached (they blocked the bot)."""

        def change(record: Conversation | None, _: str | None, now: float) -> Change:
            if record is None or record.inactive:
                return Change()
            record.inactive = True
            return Change(record=record)

        await self._transact(str(key), change)

    async def _transact(
        self,
        key: str,
        change: Callable[[Conversation | None, str | None, float], Change],
        event_id: str | None = None,
    ) -> tuple[bool, list[Reply]] | None:
        """Load, change and save with compare-and-set under the key's lock, retrying conflicts.

        The first load may come from the records this process saved: a stale one
        fails the save, and an event that saves nothing is worked out again on a
        fresh load. Returns whether something was saved and the replies, or ``None``
        when every attempt met a conflicting save.
        """
        async with self.locks.hold(key):
            for attempt in range(self.attempts):
                # First from what this process saved last; after a conflict, fresh.
                cached = attempt == 0
                record, notice = await self._load(key, cached=cached)
                expected = record.version if record is not None else 0
                before = _position(record)
                now = self.clock()
                result = change(record, notice, now)
                if result.forget:
                    await self.store.delete(key)
                    log.info("a conversation was forgotten at the person's request")
                    return True, result.replies
                saved = result.record
                if saved is None:
                    if cached and record is not None:
                        continue  # no save to catch a stale copy: answer from a fresh load
                    return False, result.replies
                saved.version = expected + 1
                saved.updated_at = now
                saved.remember_event(event_id)
                if saved is not record or _position(saved) != before:
                    # A new question: its buttons get a new step, and nothing is ticked yet.
                    saved.asked, saved.draft = saved.version, ()
                if await self.store.save(saved, expected):
                    return True, [_stamp(r, saved) for r in result.replies]
                log.debug("version conflict on %s, retrying", key)
        log.warning("gave up on %s after %d conflicting saves", key, self.attempts)
        return None

    def _current(self, record: Conversation, texts: Texts) -> list[Reply]:
        turn = Turn(self.interview, texts, self.clock(), self.idle_after)
        return turn.show(record)

    async def _load(self, key: str, cached: bool = False) -> tuple[Conversation | None, str | None]:
        try:
            record = await self.store.load(key, cached=cached)
        except CorruptRecord as exc:
            log.warning("conversation %s has an unreadable record (%s); starting again", key, exc)
            await self.store.delete(key)
            return None, "record_unreadable"
        if record is not None and not self.interview.knows(record):
            log.info(
                "conversation %s does not fit content %s; starting again",
                key,
                self.interview.version,
            )
            await self.store.delete(key)
            return None, "content_changed"
        return record, None


@dataclass(slots=True)
class _Seen:
    """What the last attempt of an event's change saw, for the observer."""

    notice: str | None = None
    finished: bool = False
    texts: Texts | None = None


def _spoken(replies: list[Reply], texts: Texts) -> list[Reply]:
    """``replies`` marked with the locale of ``texts``, the language they are in (most
    already are: a turn marks what it says, and a copy costs microseconds)."""
    locale = texts.locale
    return [r if r.locale == locale else replace(r, locale=locale) for r in replies]


def _step(
    key: str,
    event: Incoming,
    started: float,
    replies: list[Reply],
    finished: bool,
    error: ErrorCause | None,
) -> Step:
    """The :class:`Step` of one event: names and numbers only (no key, text or answer)."""
    kind: EventKind = "command" if event.command is not None else "text"
    if event.choice is not None:
        kind = "button"
    reached = next((r for r in replies if isinstance(r, Outcome)), None) if finished else None
    return Step(
        platform=key.partition(":")[0],
        kind=kind,
        seconds=time.perf_counter() - started,
        replies=len(replies),
        outcome=(reached.category, reached.urgency) if reached is not None else None,
        error=error,
    )


def _not_saved(exc: StoreUnavailable, texts: Texts) -> list[Reply]:
    """Log a transient store fault (its message names cause and fix) and ask to send again."""
    log.error("%s", exc)
    return [Message(text=texts.messages["not_saved"], kind="error")]


def _stamp(reply: Reply, saved: Conversation) -> Reply:
    """Put the saved record's step token (its ``asked``) into questions and outcomes, and its
    draft into questions (a new question starts with nothing ticked)."""
    if isinstance(reply, Message):
        return reply
    if isinstance(reply, Outcome):
        return reply if reply.step == saved.asked else replace(reply, step=saved.asked)
    selected = saved.draft if reply.multi else ()
    if reply.step == saved.asked and reply.selected == selected:
        return reply
    return replace(reply, step=saved.asked, selected=selected)


def _position(record: Conversation | None) -> tuple[object, ...] | None:
    """Where an interview stands: when it changes, a new question is put."""
    if record is None:
        return None
    return (
        record.state,
        record.pending,
        tuple(record.answers),
        record.created_at,
        record.candidates,
    )
