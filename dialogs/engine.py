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

from dialogs.content import OUTCOME_STATE, PROMPTS, STOPPED_STATE, Texts, normalize
from dialogs.locks import KeyLocks
from dialogs.machine import Interview
from dialogs.outcome import compose, factsheet
from dialogs.record import Conversation, CorruptRecord
from dialogs.store import ConversationStore, StoreUnavailable
from dialogs.types import ConversationKey, Incoming, Message, Option, Question, Reply, Section
from dialogs.understanding import Refusal, check_choice

log = logging.getLogger(__name__)

DAY = 24 * 3600.0
START_COMMANDS = frozenset({"start", "cramps"})
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
        default_locale: str = "en",
    ) -> None:
        self.interview = interview
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
        seen = self.interview.content.known_locale(locale)

        def change(record: Conversation | None, notice: str | None, now: float) -> Change:
            texts = self.texts_for(record, locale)
            if record is not None and event.event_id and event.event_id in record.recent_events:
                log.debug("event %s for %s already applied", event.event_id, key)
                return Change(self._current(record, texts))
            result = _Turn(self.interview, texts, now, self.idle_after).run(key, record, event)
            if notice:
                result.replies.insert(0, Message(text=texts.messages[notice]))
            if result.record is not None and not result.record.chose_locale and seen:
                result.record.locale = seen
            return result

        try:
            outcome = await self._transact(key, change, event.event_id)
        except StoreUnavailable as exc:  # nothing was saved: the person sends it again
            return _not_saved(exc, texts)
        return outcome[1] if outcome else [Message(text=texts.messages["busy"], kind="error")]

    async def current(self, key: ConversationKey | str, locale: str | None = None) -> list[Reply]:
        """What the person should see now (the current question, prompt or outcome)."""
        try:
            record, _ = await self._load(str(key))
        except StoreUnavailable as exc:
            return _not_saved(exc, self.texts(locale))
        if record is None:
            return []
        return self._current(record, self.texts_for(record, locale))

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

        Returns whether something was saved and the replies, or ``None`` when
        every attempt met a conflicting save.
        """
        async with self.locks.hold(key):
            for _ in range(self.attempts):
                record, notice = await self._load(key)
                expected = record.version if record is not None else 0
                now = self.clock()
                result = change(record, notice, now)
                if result.forget:
                    await self.store.delete(key)
                    log.info("a conversation was forgotten at the person's request")
                    return True, result.replies
                saved = result.record
                if saved is None:
                    return False, result.replies
                saved.version = expected + 1
                saved.updated_at = now
                saved.remember_event(event_id)
                if await self.store.save(saved, expected):
                    return True, [_stamp(r, saved.version) for r in result.replies]
                log.debug("version conflict on %s, retrying", key)
        log.warning("gave up on %s after %d conflicting saves", key, self.attempts)
        return None

    def _current(self, record: Conversation, texts: Texts) -> list[Reply]:
        turn = _Turn(self.interview, texts, self.clock(), self.idle_after)
        return [_stamp(r, record.version) for r in turn.show(record)]

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
    return [Message(text=texts.messages["not_saved"], kind="error")]


def _stamp(reply: Reply, version: int) -> Reply:
    """Put the saved version into questions as their step token."""
    if not isinstance(reply, Question) or reply.step == version:
        return reply
    return Question(
        id=reply.id,
        text=reply.text,
        options=reply.options,
        multi=reply.multi,
        step=version,
        number=reply.number,
        hint=reply.hint,
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
        return Message(text=text.format(**values) if values else text, kind=kind)  # type: ignore[arg-type]

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
            return Change([self.say(FIRST_REPLIES[command])])
        if command == LANGUAGE:  # the choice only; the interview starts once one is made
            record = self.fresh(key)
            change = self.language(record, event, [])
            if record.pending:
                return Change(change.replies)
            return Change([self.say("welcome"), *self.show(record)], record)
        if command is not None and command not in START_COMMANDS | {"restart", "back"}:
            return Change([self.say("unknown_command")])
        record = self.fresh(key)
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
        self.interview.fire("stop", record)
        record.answers = {}
        return Change([*replies, self.say("stopped")], record)

    def resume(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        """``/start`` or ``/cramps`` midway: carry on (or start again after /stop)."""
        if record.state == STOPPED_STATE:
            return self.restart(record, replies)
        greeting = [] if replies else [self.say("resumed")]
        return Change([*replies, *greeting, *self.show(record)])

    def back(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        if record.state == STOPPED_STATE:
            return Change([*replies, self.say("already_stopped")])
        if not record.answers:
            return Change([*replies, self.say("nothing_to_go_back"), *self.show(record)])
        previous = next(reversed(record.answers))
        del record.answers[previous]
        self.interview.go_to(previous, record)
        return Change([*replies, self.say("back"), *self.show(record)], record)

    # -- the interview -----------------------------------------------------
    def restart(self, record: Conversation, replies: list[Reply]) -> Change:
        self.interview.fire("restart", record)
        record.answers, record.pending = {}, None
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
            return Change([*replies, self.say("not_understood", "error"), *self.show(record)])
        record.pending = None
        if chosen == "yes":
            return Change([*replies, self.say("forgotten")], forget=True)
        if chosen == "no":
            return Change([*replies, self.say("forget_cancelled"), *self.show(record)], record)
        if chosen == "restart":
            return self.restart(record, replies)
        return Change([*replies, self.say("resumed"), *self.show(record)], record)

    def answer(self, record: Conversation, event: Incoming, replies: list[Reply]) -> Change:
        state = record.state
        if state == STOPPED_STATE:
            return Change([*replies, self.say("already_stopped")])
        if state == OUTCOME_STATE:
            if event.choice is not None:
                return Change([*replies, self.say("closed", "closed"), *self.show(record)])
            return Change([*replies, self.say("finished")])
        spec = self.content.questions[state]
        if event.choice is not None:
            if event.question != state or (event.step is not None and event.step != record.version):
                return Change([*replies, self.say("closed", "closed"), *self.show(record)])
            understood: tuple[str, ...] | Refusal = check_choice(spec, tuple(event.choice))
        else:
            vocabulary = self.interview.vocabularies[(self.texts.locale, state)]
            understood = vocabulary.understand(event.text or "")
        if isinstance(understood, Refusal):
            values = dict(understood.values or {})
            if "options" in values:
                labels = self.texts.labels[state]
                values["options"] = ", ".join(labels[o] for o in values["options"].split(", "))
            error = self.say(understood.message, "error", **values)
            return Change([*replies, error, *self.show(record)])
        record.answers[state] = understood if spec.multi else understood[0]
        labels = self.texts.labels[state]
        echo = Message(
            text=", ".join(labels[o] for o in understood), kind="answered", question=state
        )
        self.interview.fire("answer", record)
        return Change([*replies, echo, *self.show(record)], record)

    def show(self, record: Conversation) -> list[Reply]:
        """The current question, prompt or outcome of ``record``."""
        texts = self.texts
        if record.pending == LANGUAGE:
            return [_language_question(self.content.locales, texts, record.version)]
        if record.pending:
            prompt = texts.prompts[record.pending]
            options = tuple(
                Option(id=o, label=prompt["options"][o]) for o in PROMPTS[record.pending]
            )
            question = Question(
                id=record.pending,
                text=prompt["text"],
                options=options,
                multi=False,
                step=record.version,
                number=0,
            )
            return [question]
        state = record.state
        if state == OUTCOME_STATE:
            verdict = self.content.rules.verdict(record.answers)
            return [compose(self.content, texts, verdict, record.answers)]
        if state == STOPPED_STATE:
            return []
        return [
            Question(
                id=state,
                text=texts.question_text[state],
                options=self.interview.options[(texts.locale, state)],
                multi=self.content.questions[state].multi,
                step=record.version,
                number=len(record.answers) + 1,
                hint=texts.hints[state],
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
