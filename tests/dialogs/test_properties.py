"""Thousands of random inputs: the engine never raises and only moves on valid answers."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.stores.memory_store import InMemoryStore
from dialogs.content import OUTCOME_STATE
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.types import Incoming, Message, Outcome, Question
from dialogs.understanding import Refusal, check_choice
from tests.conftest import ROOT

INTERVIEW = Interview(
    __import__("dialogs.loading", fromlist=["load_content"]).load_content(ROOT / "content")
)
CONTENT = INTERVIEW.content
OPTION_IDS = sorted({o for q in CONTENT.questions.values() for o in q.options})
LABELS = sorted({label for q in CONTENT.locales["en"].labels.values() for label in q.values()})
COMMANDS = [
    "/start",
    "/back",
    "/restart",
    "/stop",
    "/help",
    "/about",
    "/forget",
    "/op status",
    "/",
    "//",
    "/start@crampbot payload",
    "/nonsense",
    "/BACK",
]

typed = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "\n", "🦵", "💥🔥", "\x00", "ﬁ", "Ｃａｌｆ", "x" * 10_000, "9" * 400]
    ),
    st.sampled_from(COMMANDS),
    st.integers(-50, 50).map(str),
    st.sampled_from(OPTION_IDS + LABELS),
    st.lists(st.sampled_from(OPTION_IDS + [str(n) for n in range(12)]), min_size=2, max_size=4).map(
        ", ".join
    ),
).map(lambda text: Incoming.from_text(text))

pressed = st.builds(
    lambda options, question, step: Incoming(choice=tuple(options), question=question, step=step),
    st.lists(
        st.sampled_from([*OPTION_IDS, "continue", "restart", "yes", "no", "bogus"]), max_size=3
    ),
    st.sampled_from([*CONTENT.questions, "resume", "forget", "nope"]),
    st.one_of(st.none(), st.integers(-1, 40)),
)


def valid_reply(reply: object) -> bool:
    if isinstance(reply, Question):
        return bool(reply.text and reply.options) and len({o.id for o in reply.options}) == len(
            reply.options
        )
    if isinstance(reply, Outcome):
        return bool(reply.text and reply.sections and reply.sources)
    return isinstance(reply, Message) and bool(reply.text)


async def run(events: list[Incoming]) -> None:
    engine = Engine(INTERVIEW, InMemoryStore())
    key = "console:fuzz"
    for event in events:
        before = await engine.store.load(key)
        replies = await engine.handle(key, event)
        after = await engine.store.load(key)
        assert replies and all(valid_reply(r) for r in replies), (event, replies)
        if before is None or event.command is not None or before.pending or after is None:
            continue
        if any(isinstance(r, Message) and r.kind in ("error", "closed") for r in replies):
            assert (after.state, after.answers) == (before.state, before.answers), event
        grew = set(after.answers) - set(before.answers)
        if grew:
            (question,) = grew
            assert question == before.state, "only the current question can be answered"
            answer = after.answers[question]
            chosen = (answer,) if isinstance(answer, str) else answer
            assert not isinstance(check_choice(CONTENT.questions[question], chosen), Refusal)
            if event.choice is None:
                vocabulary = INTERVIEW.vocabularies[("en", question)]
                assert not isinstance(vocabulary.understand(event.text or ""), Refusal)
        if after.state == OUTCOME_STATE and before.state != OUTCOME_STATE:
            assert isinstance(replies[-1], Outcome)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(typed, pressed), min_size=1, max_size=25))
def test_engine_never_raises_and_moves_only_on_valid_answers_when_fuzzed(
    events: list[Incoming],
) -> None:
    asyncio.run(run([Incoming(command="start"), *events]))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_every_question_vocabulary_answers_or_refuses_when_given_any_text(text: str) -> None:
    for (locale, question), vocabulary in INTERVIEW.vocabularies.items():
        result = vocabulary.understand(text)
        if not isinstance(result, Refusal):
            assert set(result) <= set(CONTENT.questions[question].options), (locale, text)
