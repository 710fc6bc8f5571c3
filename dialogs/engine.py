"""The engine: load a conversation, apply one event, save it, say what to show.

Every event follows the same path: take the per-key lock, load the record,
work out the new record and the replies, and save with compare-and-set on the
record's version (retrying if another process got there first). Replies are
returned only after the save, so a reply that fails to send loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from dialogs import clarify
from dialogs.content import OUTCOME_STATE, STOPPED_STATE, QuestionSpec
from dialogs.locales import PROMPTS, Texts
from dialogs.locks import KeyLocks
from dialogs.machine import Interview
from dialogs.observer import ErrorCause, EventKind, Observer, Step
from dialogs.outcome import factsheet
from dialogs.record import Conversation, CorruptRecord
from dialogs.store import ConversationStore, StoreUnavailable
from dialogs.types import (
    ConversationKey,
    Incoming,
    Message,
    Option,
    Outcome,
    Question,
    Reply,
    Section,
)
from dialogs.understanding import Ambiguous, Refusal, Understood, check_choice
from dialogs.wordings import normalize

log = logging.getLogger(__name__)

DAY = 24 * 3600.0
START_COMMANDS = frozenset({"start", "cramps"})
# Notices that mean a stored record had to be dropped: errors to the observer.
NOTICE_ERRORS: dict[str, ErrorCause] = {
    "record_unreadable": "record_unreadable",
    "content_changed": "content_changed",
}

# The command, and the question id of its buttons, that switch the person's language.
LANGUAGE = "language"


@dataclass(frozen=True, slots=True)
class Change:
    """What one event makes of a conversation: the replies, the record to save
    (``None``: nothing to save), and whether to forget the conversation instead."""

    replies: list[Reply] = field(default_factory=list)
    record: Conversation | None = None
    forget: bool = False


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
            turn = _Turn(self.interview, texts, now, self.idle_after)
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
            fresh = _Turn(self.interview, self.texts(), now, self.idle_after).fresh(record.key)
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
        turn = _Turn(self.interview, texts, self.clock(), self.idle_after)
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


class _Turn:
    """Works out one event's :class:`Change`; touches no store.

    ``touched`` notes that the event changed the record on its way (a notice
    shown, the person reachable again), so it is saved even when the answer
    itself changes nothing.
    """

    def __init__(self, interview: Interview, texts: Texts, now: float, idle_after: float) -> None:
        self.interview = interview
        self.content = interview.content
        self.texts = texts
        self.now = now
        self.idle_after = idle_after

    def say(self, key: str, kind: str = "info", **values: str) -> Message:
        text = self.texts.messages[key]
        text = text.format(**values) if values else text
        return Message(text=text, kind=kind, key=key, locale=self.texts.locale)  # type: ignore[arg-type]

    def fresh(self, key: str) -> Conversation:
        return Conversation(
            key=key,
            state=self.content.initial,
            dialog_version=self.content.version,
            created_at=self.now,
            updated_at=self.now,
        )

    def run(self, key: str, record: Conversation | None, event: Incoming) -> Change:
        if record is None:
            return self.first(key, event)
        replies: list[Reply] = []
        touched = False
        if record.notice:
            known = record.notice in self.texts.messages
            replies.append(self.say(record.notice if known else "restarted"))
            record.notice = None
            touched = True
        if record.inactive:
            record.inactive = False
            touched = True
        change = self.dispatch(record, event, replies)
        if touched and change.record is None and not change.forget:
            return replace(change, record=record)
        return change

    def dispatch(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """Route the event: commands that work at any point, a pending prompt, then the rest."""
        command = _command(event)
        if command in ANYTIME:
            return ANYTIME[command](self, record, event, replies)
        if event.choice is not None and self.stale(record, event):
            return Change([*replies, self.closed(record, event)])
        if record.pending:
            return self.answer_prompt(record, event, replies)
        if command in IN_INTERVIEW:
            return IN_INTERVIEW[command](self, record, event, replies)
        if command is not None:
            return Change([*replies, self.say("unknown_command"), *self.show(record)])
        idle = self.now - record.updated_at > self.idle_after
        if idle and self.interview.is_question(record.state) and record.answers:
            return self.prompt(record, "resume", replies)
        return self.answer(record, event, replies)

    def first(self, key: str, event: Incoming) -> Change:
        """An event with no conversation yet: most commands only answer; others start one."""
        command = _command(event)
        if command in FIRST_REPLIES:
            # /forget with nothing stored still clears what the audit log says about them.
            return Change([self.say(FIRST_REPLIES[command])], forget=command == "forget")
        if command == LANGUAGE:  # the choice only; the interview starts once one is made
            record = self.fresh(key)
            change = self.language(record, event, [])
            if record.pending:
                return Change(change.replies)
            return Change([self.say("welcome"), *self.show(record)], record)
        if command is not None and command not in START_COMMANDS | {"restart", "back"}:
            return Change([self.say("unknown_command")])
        record = self.fresh(key)
        record.shown = event.ref  # a press from a forgotten interview: that copy is cleared
        return Change([self.say("welcome"), *self.show(record)], record)

    # -- commands (see ANYTIME and IN_INTERVIEW) ----------------------------
    def info(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """``/help`` and ``/about``: the text, then the current question again."""
        return Change([*replies, self.say(event.command or "help"), *self.show(record)])

    def ask_forget(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        return self.prompt(record, "forget", replies)

    def on_restart(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        return self.restart(record, replies)

    def language(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """``/language [code]`` or a press on its buttons: switch language, or ask which."""
        wanted = event.choice[0] if event.choice else event.args
        code = _pick_language(self.content.locales, wanted)
        if code is None:
            if wanted:
                replies = [*replies, self.say("language_unknown", "error")]
            record.pending = LANGUAGE
            return Change([*replies, *self.show(record)], record)
        record.locale, record.chose_locale = code, True
        if record.pending == LANGUAGE:
            record.pending = None
        self.texts = self.content.texts(code)
        return Change([*replies, self.say("language_set"), *self.show(record)], record)

    def stop(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        if record.state == STOPPED_STATE:
            return Change([*replies, self.say("already_stopped")])
        stopped = replace(self.say("stopped"), previous=record.shown)
        self.interview.fire("stop", record)
        record.answers = {}
        _forget_asking(record)
        return Change([*replies, stopped], record)

    def resume(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """``/start`` or ``/cramps`` midway: carry on (or start again after /stop)."""
        if record.state == STOPPED_STATE:
            return self.restart(record, replies)
        greeting = [] if replies else [self.say("resumed")]
        return Change([*replies, *greeting, *self.show(record)])

    def back(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """Go back one question; back over a confirmed story, undo the whole story and
        return to the question it was typed at."""
        if record.state == STOPPED_STATE:
            return Change([*replies, self.say("already_stopped")])
        if not record.answers:
            return Change([*replies, self.say("nothing_to_go_back"), *self.show(record)])
        record.candidates = ()
        previous = next(reversed(record.answers))
        if previous in record.told:
            for question in record.told:
                record.answers.pop(question, None)
            record.told = ()
            self.interview.go_to(self.content.initial, record)
            self.advance(record)
        else:
            del record.answers[previous]
            self.interview.go_to(previous, record)
        return Change([*replies, self.say("back"), *self.show(record)], record)

    # -- the interview -----------------------------------------------------
    def restart(self, record: Conversation, replies: list[Reply]) -> Change:
        self.interview.fire("restart", record)
        record.answers, record.pending, record.draft = {}, None, ()
        _forget_asking(record)
        record.dialog_version, record.created_at = self.content.version, self.now
        return Change([*replies, self.say("restarted"), *self.show(record)], record)

    def prompt(self, record: Conversation, name: str, replies: list[Reply]) -> Change:
        record.pending = name
        return Change([*replies, *self.show(record)], record)

    def answer_prompt(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        name = record.pending or ""
        if name == LANGUAGE:
            if event.command in IN_INTERVIEW:  # the person moved on without choosing
                record.pending = None
                return IN_INTERVIEW[event.command](self, record, event, replies)
            if _pick_language(self.content.locales, event.text or "") is None:
                return Change([*replies, self.say("not_understood", "error"), *self.show(record)])
            return self.language(record, replace(event, args=event.text or ""), replies)
        options = PROMPTS[name]
        labels: Mapping[str, str] = self.texts.prompts[name]["options"]
        chosen: str | None = None
        if event.choice is not None and len(event.choice) == 1:
            chosen = event.choice[0] if event.choice[0] in options else None
        elif event.text is not None:
            said = normalize(event.text)
            words = self.texts.prompt_words[name]
            for o in options:
                if said in words[o] or said == str(options.index(o) + 1):
                    chosen = o
        elif event.command in START_COMMANDS and name == "resume":
            chosen = "continue"
        elif event.command == "back" and name == "story":
            chosen = "change"
        if chosen is None:
            return Change([*replies, self.say("not_understood", "error"), *self.show(record)])
        record.pending = None
        if name == "story":
            return self.confirm_story(record, chosen == "yes", labels[chosen], replies)
        if chosen == "yes":
            forgotten = replace(self.say("forgotten"), previous=record.shown)
            return Change([*replies, forgotten], forget=True)
        if chosen == "no":
            return Change([*replies, self.say("forget_cancelled"), *self.show(record)], record)
        if chosen == "restart":
            return self.restart(record, replies)
        return Change([*replies, self.say("resumed"), *self.show(record)], record)

    # -- presses -------------------------------------------------------------
    def stale(self, record: Conversation, event: Incoming) -> bool:
        """Whether a press is on a control of a question that is no longer current."""
        if event.question != (record.pending or record.state):
            return True
        if not record.pending and not self.interview.is_question(record.state):
            return True
        return event.step is not None and event.step != record.asked

    def closed(self, record: Conversation, event: Incoming) -> Message:
        """The notice for a stale press, no second copy of anything; the pressed copy
        loses its controls unless it is the one the record shows."""
        finished = record.state in (OUTCOME_STATE, STOPPED_STATE) and not record.pending
        notice = self.say("finished" if finished else "closed", "closed")
        return replace(notice, previous=event.ref if event.ref != record.shown else None)

    def toggle(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """Tick or untick one option in the stored draft; exclusive options clear the rest."""
        spec = self.content.questions[record.state]
        option = event.choice[0] if event.choice and len(event.choice) == 1 else None
        if not spec.multi or option not in spec.options:
            return Change([*replies, self.closed(record, event)])
        ticked = set(record.draft) ^ {option}
        if option in ticked:  # ticking "none" clears the others, and the others clear "none"
            ticked = {option} if option in spec.exclusive else ticked - spec.exclusive
        record.draft = tuple(o for o in spec.options if o in ticked)
        return Change([*replies, *self.show(record)], record)

    def answer(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        state = record.state
        if state == STOPPED_STATE:
            return Change([*replies, self.say("already_stopped")])
        if state == OUTCOME_STATE:
            return Change([*replies, self.say("finished")])
        spec = self.content.questions[state]
        if event.action == "toggle":
            return self.toggle(record, event, replies)
        if event.action == "done" and not record.draft:
            return Change([*replies, self.say("tick_one", "notice")])
        understood: tuple[str, ...] | Refusal | Ambiguous
        if event.action == "done":
            understood = check_choice(spec, record.draft)
        elif event.choice is not None:
            understood = check_choice(spec, tuple(event.choice))
        else:
            text = event.text or ""
            story = self.offer_story(record, text, replies) if self.at_story(record) else None
            if story is not None:
                return story
            understood = self.read(record, spec, text)
        if isinstance(understood, Ambiguous):
            record.candidates = understood.candidates
            return Change([*replies, self.say("ambiguous", "error"), *self.show(record)], record)
        if isinstance(understood, Refusal):
            error = self.say(understood.message, "error", **(understood.values or {}))
            return Change([*replies, error, *self.show(record)])
        record.candidates = ()
        record.answers[state] = understood if spec.multi else understood[0]
        echo = Message(
            text=clarify.labels(self.texts, state, understood),
            kind="answered",
            question=state,
            previous=record.shown,
            locale=self.texts.locale,
        )
        record.shown = None  # the echo marks that copy answered
        self.interview.fire("answer", record)
        self.advance(record)
        return Change([*replies, echo, *self.show(record)], record)

    def read(
        self, record: Conversation, spec: QuestionSpec, text: str
    ) -> tuple[str, ...] | Refusal | Ambiguous:
        """A typed reply: numbers count in the asked-back list if there is one; otherwise
        its meaning (the options, several to ask back among, or why it is refused)."""
        if record.candidates:
            picked = clarify.numbered(spec, text, record.candidates)
            if picked is not None:
                return picked if isinstance(picked, Refusal) else check_choice(spec, picked)
        result = self.interview.readers[self.texts.locale].understand(spec.id, text)
        if isinstance(result, Understood):
            return check_choice(spec, result.ids)
        if isinstance(result, Ambiguous):
            return result
        return Refusal(result.reason)

    def advance(self, record: Conversation) -> None:
        """Step past questions a confirmed story already answered; the machine still
        decides (its ``worth_asking``) which question comes next."""
        while record.state in record.answers:
            self.interview.fire("answer", record)

    # -- a whole story at once ------------------------------------------------
    def at_story(self, record: Conversation) -> bool:
        """The first question after the safety check, before anything else is answered."""
        return list(record.answers) == [self.content.initial] and not record.candidates

    def offer_story(self, record: Conversation, text: str, replies: list[Reply]) -> Change | None:
        """A reply that answers other questions too is a story: show what it told, to
        confirm (``None`` when it answers at most the current question). A story that
        names a warning sign no other question takes goes back to the safety check."""
        reader = self.interview.readers[self.texts.locale]
        found = reader.read_story(text)
        if not set(found) - {record.state}:
            return None
        if reader.story_signs(text):
            del record.answers[self.content.initial]
            self.interview.go_to(self.content.initial, record)
            return Change(
                [*replies, self.say("story_warning", "error"), *self.show(record)], record
            )
        record.story = clarify.story_answers(self.content.questions, found)
        return self.prompt(record, "story", replies)

    def confirm_story(
        self, record: Conversation, confirmed: bool, label: str, replies: list[Reply]
    ) -> Change:
        """Yes: keep the story's answers and ask only what is missing. Change: ask one by one."""
        story, record.story = record.story, {}
        echo = Message(text=label, kind="answered", question="story")
        if not confirmed:
            return Change([*replies, echo, *self.show(record)], record)
        record.answers.update(story)
        record.told = tuple(story)
        if self.content.rules.verdict(record.answers).rule.ends_interview:
            self.interview.fire("answer", record)  # settled (R1, R2): nothing more is asked
        self.advance(record)
        return Change([*replies, echo, *self.show(record)], record)

    def show(self, record: Conversation) -> list[Reply]:
        """The current question, prompt or outcome of ``record``."""
        texts = self.texts
        if record.pending == LANGUAGE:
            asked = _language_question(self.content.locales, texts, record.version)
            return [replace(asked, previous=record.shown)]  # the question it replaces goes
        if record.pending:
            prompt = texts.prompts[record.pending]
            options = tuple(
                Option(id=o, label=prompt["options"][o]) for o in PROMPTS[record.pending]
            )
            told = clarify.summary(texts, record.story)
            question = Question(
                id=record.pending,
                text=prompt["text"].format(answers=told) if record.story else prompt["text"],
                options=options,
                multi=False,
                step=record.asked,
                number=0,
                previous=record.shown,
            )
            return [question]
        state = record.state
        if state == OUTCOME_STATE:
            outcome = self.interview.outcome(texts, record.answers)
            return [replace(outcome, step=record.asked)]
        if state == STOPPED_STATE:
            return []
        if record.candidates:
            return [
                Question(
                    id=state,
                    text=texts.messages["which"],
                    options=tuple(
                        Option(id=o, label=texts.labels[state][o]) for o in record.candidates
                    ),
                    multi=False,
                    step=record.asked,
                    number=len(record.answers) + 1,
                    hint=texts.messages["which_hint"],
                    previous=record.shown,
                )
            ]
        return [
            Question(
                id=state,
                text=texts.question_text[state],
                options=self.interview.options[(texts.locale, state)],
                multi=self.content.questions[state].multi,
                step=record.asked,
                number=len(record.answers) + 1,
                hint=texts.hints[state],
                total=self.interview.estimate(record),
                selected=record.draft,
                previous=record.shown,
                locale=texts.locale,
            )
        ]


_Command = Callable[[_Turn, Conversation, Incoming, list[Reply]], Change]
ANYTIME: dict[str, _Command] = {
    "help": _Turn.info,
    "about": _Turn.info,
    "forget": _Turn.ask_forget,
    "restart": _Turn.on_restart,
    "stop": _Turn.stop,
    LANGUAGE: _Turn.language,
}
"""Commands that work at any point, even while a prompt waits for its answer."""
IN_INTERVIEW: dict[str, _Command] = {
    "start": _Turn.resume,
    "cramps": _Turn.resume,
    "back": _Turn.back,
}
"""Commands that work once no prompt is pending."""
FIRST_REPLIES = {
    "help": "help",
    "about": "about",
    "forget": "nothing_stored",
    "stop": "already_stopped",
}
"""Commands that only answer (the message key) when there is no conversation yet."""


def _forget_asking(record: Conversation) -> None:
    """Drop what was being asked back or confirmed, and which answers a story gave."""
    record.candidates, record.story, record.told = (), {}, ()


def _command(event: Incoming) -> str | None:
    """The event's command; a press on the language buttons counts as ``/language``."""
    if event.choice is not None and event.question == LANGUAGE:
        return LANGUAGE
    return event.command


def _pick_language(locales: Mapping[str, Texts], said: str) -> str | None:
    """The locale ``said`` names: by code ("es", "es-MX"), by name ("Español"), or by
    its number in the language question."""
    said = normalize(said)
    for number, (code, texts) in enumerate(locales.items(), 1):
        if said in (code, normalize(texts.name), str(number)):
            return code
    base = said.replace(" ", "-").split("-")[0]
    return base if base in locales else None


def _language_question(locales: Mapping[str, Texts], texts: Texts, step: int) -> Question:
    """Which language to speak: one option per locale, each named in its own language."""
    return Question(
        id=LANGUAGE,
        text=texts.messages["language_choose"],
        options=tuple(Option(id=code, label=t.name) for code, t in locales.items()),
        multi=False,
        step=step,
        number=0,
    )
