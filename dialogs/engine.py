"""The engine: load a conversation, apply one event, save it, say what to show.

Every event follows the same path: take the per-key lock, load the record,
work out the new record and the replies, and save with compare-and-set on the
record's version (retrying if another process got there first). Replies are
returned only after the save, so a reply that fails to send loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from dialogs.content import OUTCOME_STATE, PROMPTS, STOPPED_STATE, Texts, normalize
from dialogs.locks import KeyLocks
from dialogs.machine import Interview
from dialogs.outcome import compose
from dialogs.record import Conversation, CorruptRecord
from dialogs.store import ConversationStore, StoreUnavailable
from dialogs.types import ConversationKey, Incoming, Message, Option, Question, Reply
from dialogs.understanding import Refusal, check_choice

log = logging.getLogger(__name__)

DAY = 24 * 3600.0
START_COMMANDS = frozenset({"start", "cramps"})
_FORGET = object()
# What a change makes of a record: the record to save (or None, or _FORGET) and the replies.
_Change = tuple[object, list[Reply]]


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
    ) -> None:
        self.interview = interview
        self.store = store
        self.idle_after = idle_after
        self.clock = clock
        self.attempts = attempts
        self.locks = KeyLocks()

    def reload(self, interview: Interview) -> None:
        """Use new content from now on; running conversations follow on their next event."""
        self.interview = interview

    def texts(self, locale: str | None = None) -> Texts:
        return self.interview.content.texts(locale)

    async def handle(
        self, key: ConversationKey | str, event: Incoming, locale: str | None = None
    ) -> list[Reply]:
        """Apply one event for ``key`` and return what to show the person."""
        key = str(key)
        texts = self.texts(locale)

        def change(record: Conversation | None, notice: str | None, now: float) -> _Change:
            if record is not None and event.event_id and event.event_id in record.recent_events:
                log.debug("event %s for %s already applied", event.event_id, key)
                return None, self._current(record, texts)
            step = _Step(self.interview, texts, now, self.idle_after)
            result, replies = step.run(key, record, event)
            if notice:
                replies.insert(0, Message(texts.messages[notice]))
            return result, replies

        try:
            outcome = await self._transact(key, change, event.event_id)
        except StoreUnavailable as exc:  # nothing was saved: the person sends it again
            return _not_saved(exc, texts)
        return outcome[1] if outcome else [Message(texts.messages["busy"], kind="error")]

    async def current(self, key: ConversationKey | str, locale: str | None = None) -> list[Reply]:
        """What the person should see now (the current question, prompt or outcome)."""
        try:
            record, _ = await self._load(str(key))
        except StoreUnavailable as exc:
            return _not_saved(exc, self.texts(locale))
        if record is None:
            return []
        return self._current(record, self.texts(locale))

    async def forget(self, key: ConversationKey | str) -> bool:
        """Delete everything stored for ``key``."""
        async with self.locks.hold(str(key)):
            return await self.store.delete(str(key))

    async def restart(self, key: ConversationKey | str, notice: str = "operator_restart") -> bool:
        """Restart an interview from outside (an operator); the person is told on their next message."""

        def change(record: Conversation | None, _: str | None, now: float) -> _Change:
            if record is None:
                return None, []
            fresh = _Step(self.interview, self.texts(), now, self.idle_after).fresh(record.key)
            fresh.created_at, fresh.notice = record.created_at, notice
            fresh.recent_events, fresh.inactive = record.recent_events, record.inactive
            return fresh, []

        outcome = await self._transact(str(key), change)
        return bool(outcome and outcome[0])

    async def mark_inactive(self, key: ConversationKey | str) -> None:
        """Note that the person can no longer be reached (they blocked the bot)."""

        def change(record: Conversation | None, _: str | None, now: float) -> _Change:
            if record is None or record.inactive:
                return None, []
            record.inactive = True
            return record, []

        await self._transact(str(key), change)

    async def _transact(
        self,
        key: str,
        change: Callable[[Conversation | None, str | None, float], _Change],
        event_id: str | None = None,
    ) -> tuple[bool, list[Reply]] | None:
        """Load, change and save with compare-and-set under the key's lock, retrying conflicts.

        Returns whether something was saved and the replies, or ``None`` when
        every attempt met a conflicting save.
        """
        async with self.locks.hold(key):
            for _ in range(self.attempts):
                record, notice = await self._load(key)
                expected = record.version if record is not None else 0
                now = self.clock()
                result, replies = change(record, notice, now)
                if result is None:
                    return False, replies
                if result is _FORGET:
                    await self.store.delete(key)
                    log.info("a conversation was forgotten at the person's request")
                    return True, replies
                assert isinstance(result, Conversation)
                result.version = expected + 1
                result.updated_at = now
                result.remember_event(event_id)
                if await self.store.save(result, expected):
                    return True, [_stamp(r, result.version) for r in replies]
                log.debug("version conflict on %s, retrying", key)
        log.warning("gave up on %s after %d conflicting saves", key, self.attempts)
        return None

    def _current(self, record: Conversation, texts: Texts) -> list[Reply]:
        step = _Step(self.interview, texts, self.clock(), self.idle_after)
        return [_stamp(r, record.version) for r in step.show(record)]

    async def _load(self, key: str) -> tuple[Conversation | None, str | None]:
        try:
            record = await self.store.load(key)
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


def _not_saved(exc: StoreUnavailable, texts: Texts) -> list[Reply]:
    """Log a transient store fault (its message names cause and fix) and ask to send again."""
    log.error("%s", exc)
    return [Message(texts.messages["not_saved"], kind="error")]


def _stamp(reply: Reply, version: int) -> Reply:
    """Put the saved version into questions as their step token."""
    if not isinstance(reply, Question) or reply.step == version:
        return reply
    return Question(
        reply.id, reply.text, reply.options, reply.multi, version, reply.number, reply.hint
    )


class _Step:
    """Works out one event's new record and replies; touches no store."""

    def __init__(self, interview: Interview, texts: Texts, now: float, idle_after: float) -> None:
        self.interview = interview
        self.content = interview.content
        self.texts = texts
        self.now = now
        self.idle_after = idle_after
        self.dirty = False

    def kept(self, record: Conversation) -> Conversation | None:
        """``record`` if this event changed it already (notice shown, reachable again), else nothing to save."""
        return record if self.dirty else None

    def say(self, key: str, kind: str = "info", **values: str) -> Message:
        text = self.texts.messages[key]
        return Message(text.format(**values) if values else text, kind=kind)  # type: ignore[arg-type]

    def fresh(self, key: str) -> Conversation:
        return Conversation(
            key=key,
            state=self.content.initial,
            dialog_version=self.content.version,
            created_at=self.now,
            updated_at=self.now,
        )

    def run(
        self, key: str, record: Conversation | None, event: Incoming
    ) -> tuple[object, list[Reply]]:
        command = event.command
        if record is None:
            return self.first(key, event)
        replies: list[Reply] = []
        if record.notice:
            replies.append(
                self.say(record.notice)
                if record.notice in self.texts.messages
                else self.say("restarted")
            )
            record.notice = None
            self.dirty = True
        if record.inactive:
            record.inactive = False
            self.dirty = True
        if command in ("help", "about"):
            return self.kept(record), [*replies, self.say(command), *self.show(record)]
        if command == "forget":
            return self.prompt(record, "forget", replies)
        if command == "restart":
            return self.restart(record, replies)
        if command == "stop":
            if record.state == STOPPED_STATE:
                return self.kept(record), [*replies, self.say("already_stopped")]
            self.interview.fire("stop", record)
            record.answers = {}
            return record, [*replies, self.say("stopped")]
        if record.pending:
            return self.answer_prompt(record, event, replies)
        if command in START_COMMANDS:
            if record.state == STOPPED_STATE:
                return self.restart(record, replies)
            greeting = [] if replies else [self.say("resumed")]
            return self.kept(record), [*replies, *greeting, *self.show(record)]
        if command == "back":
            return self.back(record, replies)
        if command is not None:
            return self.kept(record), [
                *replies,
                self.say("unknown_command"),
                *self.show(record),
            ]
        idle = self.now - record.updated_at > self.idle_after
        if idle and self.interview.is_question(record.state) and record.answers:
            return self.prompt(record, "resume", replies)
        return self.answer(record, event, replies)

    def first(self, key: str, event: Incoming) -> tuple[object, list[Reply]]:
        command = event.command
        if command in ("help", "about"):
            return None, [self.say(command)]
        if command == "forget":
            return None, [self.say("nothing_stored")]
        if command == "stop":
            return None, [self.say("already_stopped")]
        if (
            command is not None
            and command not in START_COMMANDS
            and command not in ("restart", "back")
        ):
            return None, [self.say("unknown_command")]
        record = self.fresh(key)
        return record, [self.say("welcome"), *self.show(record)]

    def restart(self, record: Conversation, replies: list[Reply]) -> tuple[object, list[Reply]]:
        self.interview.fire("restart", record)
        record.answers, record.pending = {}, None
        record.dialog_version, record.created_at = self.content.version, self.now
        return record, [*replies, self.say("restarted"), *self.show(record)]

    def back(self, record: Conversation, replies: list[Reply]) -> tuple[object, list[Reply]]:
        if record.state == STOPPED_STATE:
            return self.kept(record), [*replies, self.say("already_stopped")]
        if not record.answers:
            return self.kept(record), [
                *replies,
                self.say("nothing_to_go_back"),
                *self.show(record),
            ]
        previous = next(reversed(record.answers))
        del record.answers[previous]
        self.interview.go_to(previous, record)
        return record, [*replies, self.say("back"), *self.show(record)]

    def prompt(
        self, record: Conversation, name: str, replies: list[Reply]
    ) -> tuple[object, list[Reply]]:
        record.pending = name
        return record, [*replies, *self.show(record)]

    def answer_prompt(
        self, record: Conversation, event: Incoming, replies: list[Reply]
    ) -> tuple[object, list[Reply]]:
        name = record.pending or ""
        options = PROMPTS[name]
        labels: Mapping[str, str] = self.texts.prompts[name]["options"]
        chosen: str | None = None
        if event.choice is not None and event.question == name and len(event.choice) == 1:
            chosen = event.choice[0] if event.choice[0] in options else None
        elif event.text is not None:
            said = normalize(event.text)
            for o in options:
                if said in (o, normalize(labels[o])) or said == str(options.index(o) + 1):
                    chosen = o
        elif event.command in START_COMMANDS and name == "resume":
            chosen = "continue"
        if chosen is None:
            return self.kept(record), [
                *replies,
                self.say("not_understood", "error"),
                *self.show(record),
            ]
        record.pending = None
        if chosen == "yes":
            return _FORGET, [*replies, self.say("forgotten")]
        if chosen == "no":
            return record, [*replies, self.say("forget_cancelled"), *self.show(record)]
        if chosen == "restart":
            return self.restart(record, replies)
        return record, [*replies, self.say("resumed"), *self.show(record)]

    def answer(
        self, record: Conversation, event: Incoming, replies: list[Reply]
    ) -> tuple[object, list[Reply]]:
        state = record.state
        if state == STOPPED_STATE:
            return self.kept(record), [*replies, self.say("already_stopped")]
        if state == OUTCOME_STATE:
            if event.choice is not None:
                return self.kept(record), [
                    *replies,
                    self.say("closed", "closed"),
                    *self.show(record),
                ]
            return self.kept(record), [*replies, self.say("finished")]
        spec = self.content.questions[state]
        if event.choice is not None:
            if event.question != state or (event.step is not None and event.step != record.version):
                return self.kept(record), [
                    *replies,
                    self.say("closed", "closed"),
                    *self.show(record),
                ]
            understood: tuple[str, ...] | Refusal = check_choice(spec, tuple(event.choice))
        else:
            vocabulary = self.interview.vocabularies[(self.texts.locale, state)]
            understood = vocabulary.understand(event.text or "")
        if isinstance(understood, Refusal):
            values = dict(understood.values or {})
            if "options" in values:
                labels = self.texts.labels[state]
                values["options"] = ", ".join(labels[o] for o in values["options"].split(", "))
            return self.kept(record), [
                *replies,
                self.say(understood.message, "error", **values),
                *self.show(record),
            ]
        record.answers[state] = understood if spec.multi else understood[0]
        labels = self.texts.labels[state]
        echo = Message(", ".join(labels[o] for o in understood), kind="answered", question=state)
        self.interview.fire("answer", record)
        return record, [*replies, echo, *self.show(record)]

    def show(self, record: Conversation) -> list[Reply]:
        """The current question, prompt or outcome of ``record``."""
        texts = self.texts
        if record.pending:
            prompt = texts.prompts[record.pending]
            options = tuple(Option(o, prompt["options"][o]) for o in PROMPTS[record.pending])
            return [Question(record.pending, prompt["text"], options, False, record.version, 0)]
        state = record.state
        if state == OUTCOME_STATE:
            verdict = self.content.rules.verdict(record.answers)
            return [compose(self.content, texts, verdict, record.answers)]
        if state == STOPPED_STATE:
            return []
        return [
            Question(
                state,
                texts.question_text[state],
                self.interview.options[(texts.locale, state)],
                self.content.questions[state].multi,
                record.version,
                len(record.answers) + 1,
                texts.hints[state],
            )
        ]
