"""One event's dialog work: route it, change the record, say what to reply.

A :class:`Turn` touches no store: the engine hands it the loaded record and
saves the :class:`Change` it returns. Commands are routed through the tables
at the end (``ANYTIME``, ``IN_INTERVIEW``, ``FIRST_REPLIES``); prompts (resume,
forget, story, language), answers, toggles, asking back and whole stories are
methods here, and what to show next comes from :mod:`dialogs.screen`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from dialogs import clarify
from dialogs.content import OUTCOME_STATE, STOPPED_STATE, QuestionSpec
from dialogs.language import LANGUAGE, pick_language
from dialogs.locales import PROMPTS, Texts
from dialogs.machine import Interview
from dialogs.record import Conversation
from dialogs.screen import screen
from dialogs.types import Incoming, Message, Reply
from dialogs.understanding import Ambiguous, Refusal, Understood, check_choice
from dialogs.wordings import normalize

START_COMMANDS = frozenset({"start", "cramps"})


@dataclass(frozen=True, slots=True)
class Change:
    """What one event makes of a conversation: the replies, the record to save
    (``None``: nothing to save), and whether to forget the conversation instead."""

    replies: list[Reply] = field(default_factory=list)
    record: Conversation | None = None
    forget: bool = False


class Turn:
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
        code = pick_language(self.content.locales, wanted)
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
            if pick_language(self.content.locales, event.text or "") is None:
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
        return screen(self.interview, self.texts, record)


_Command = Callable[[Turn, Conversation, Incoming, list[Reply]], Change]
ANYTIME: dict[str, _Command] = {
    "help": Turn.info,
    "about": Turn.info,
    "forget": Turn.ask_forget,
    "restart": Turn.on_restart,
    "stop": Turn.stop,
    LANGUAGE: Turn.language,
}
"""Commands that work at any point, even while a prompt waits for its answer."""
IN_INTERVIEW: dict[str, _Command] = {
    "start": Turn.resume,
    "cramps": Turn.resume,
    "back": Turn.back,
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
