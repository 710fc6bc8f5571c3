"""Contract version 2: the engine's outcomes against an independent statement of the table.

``contract_v2`` below re-states the rule table of docs/dialog-contract.md in
plain Python, without reading content/. Random complete answer sets go
through the real engine (which asks only some questions) and must give what
the table gives on the complete set: so a skipped question never mattered.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.stores.memory_store import InMemoryStore
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.loading import load_content
from dialogs.machine import Interview
from dialogs.outcome import FULL_WORDS, SHORT_WORDS, words
from dialogs.record import Conversation
from dialogs.types import Incoming, Message, Outcome, Question
from tests.conftest import ROOT, personas
from tests.interviewing import interview

PERSONAS = personas()
CONTENT = load_content(ROOT / "content")
INTERVIEW = Interview(CONTENT)
TEXTS = CONTENT.texts("en")

# -- the contract's table, version 2, restated -------------------------------
ORDER = ["emergency", "urgent", "soon", "routine", "self_care"]
MULTI = {
    "red_flags": [
        "chest_pain", "heat_confusion", "dark_urine", "jaw_stiff", "tingling_spasm",
        "fever_neck", "injury", "leg_swollen", "sudden_weakness", "cold_limb",
    ],
    "associated": [
        "weakness", "wasting", "numbness", "twitches", "swelling", "vomiting", "wound",
        "alcohol", "heat_sweat",
    ],
    "medicines": ["diuretic", "statin", "asthma", "hormone", "osteoporosis", "new_med", "other"],
    "health": [
        "pregnant", "kidney", "liver", "thyroid", "diabetes", "neuropathy", "circulation",
        "neuromuscular", "spine", "under_16",
    ],
}  # fmt: skip
SINGLE = {
    "where": ["calf", "foot", "thigh", "hand", "arm", "neck_face", "trunk", "many"],
    "when": [
        "during_exercise", "after_exercise", "night", "rest", "position", "walking_relieved",
        "random",
    ],
    "duration": ["seconds", "under_10", "over_10", "constant"],
    "feel": ["knot", "ache_walking", "twisting", "urge_move", "tingling", "twitching"],
    "frequency": ["first", "yearly", "monthly", "weekly", "nightly"],
}  # fmt: skip


def contract_v2(a: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """(category, urgency, also) for a complete answer set, as the contract's table says."""
    flags, assoc, meds, health = (
        set(a[q]) for q in ("red_flags", "associated", "medicines", "health")
    )
    where, when, duration, feel = a["where"], a["when"], a["duration"], a["feel"]
    by_frequency = "routine" if a["frequency"] in ("weekly", "nightly") else "self_care"
    if flags - {"none", "leg_swollen"}:
        return "emergency", "emergency", ()
    if (
        "leg_swollen" in flags
        or duration in ("over_10", "constant")
        or assoc & {"swelling", "wound"}
    ):
        return "urgent", "urgent", ()
    if (
        where in ("arm", "trunk", "many")
        or assoc & {"weakness", "wasting", "numbness", "twitches", "vomiting"}
        or feel == "twitching"
    ):
        return "see_doctor", "urgent", ()
    later = [
        ("claudication", when == "walking_relieved" or feel == "ache_walking", "soon"),
        (
            "dystonia",
            feel == "twisting" or where == "neck_face" or (where == "hand" and when == "position"),
            "routine",
        ),
        ("not_typical_cramp", feel in ("urge_move", "tingling"), "routine"),
        (
            "medication",
            bool(meds & {"diuretic", "statin", "asthma", "hormone", "osteoporosis", "new_med"})
            or "alcohol" in assoc,
            "soon" if "new_med" in meds or "alcohol" in assoc else "routine",
        ),
        ("pregnancy", "pregnant" in health, by_frequency),
        (
            "condition",
            bool(health & {"kidney", "liver", "thyroid", "diabetes", "neuropathy", "circulation",
                           "neuromuscular", "spine"}),
            "routine",
        ),
        ("heat", "heat_sweat" in assoc, by_frequency),
        ("exercise", when in ("during_exercise", "after_exercise"), by_frequency),
        (
            "nocturnal",
            when in ("night", "rest", "position") and where in ("calf", "foot", "thigh"),
            by_frequency,
        ),
    ]  # fmt: skip
    matched = [(c, u) for c, hit, u in later if hit]
    if not matched:
        return "unclear", by_frequency, ()
    urgency = min((u for _, u in matched), key=ORDER.index)
    return matched[0][0], urgency, tuple(c for c, _ in matched[1:])


def _multi(options: list[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(
        st.just(["none"]), st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True)
    )


answer_sets = st.fixed_dictionaries(
    {
        # Red flags are rare in the draws, so the later rules get most of them.
        "red_flags": st.one_of(st.just(["none"]), st.just(["none"]), st.just(["none"]),
                               _multi(MULTI["red_flags"])),
        **{q: _multi(o) for q, o in MULTI.items() if q != "red_flags"},
        **{q: st.sampled_from(o) for q, o in SINGLE.items()},
    }
)  # fmt: skip


def run(answers: dict[str, Any]) -> tuple[Outcome, list[str]]:
    return asyncio.run(interview(Engine(INTERVIEW, InMemoryStore()), "console:v2", answers))


def assert_well_formed(outcome: Outcome, answers: dict[str, Any]) -> None:
    """The layout and safety rules every outcome keeps, whatever the answers."""
    lines = [line for line in outcome.text.splitlines() if line.strip()]
    assert lines[0] == TEXTS.outcome["title"]
    assert lines[1] == outcome.instruction == TEXTS.instruction(outcome.category, outcome.urgency)
    assert len(lines) == len(set(lines)), "a line is said twice"
    others = set(TEXTS.urgency.values()) | {
        t for table in TEXTS.instruction_for.values() for t in table.values()
    }
    assert sum(outcome.text.count(i) for i in others) == 1, "one instruction, said once"
    assert words(outcome.short_text) <= SHORT_WORDS
    assert words(outcome.text) <= FULL_WORDS
    assert outcome.short_text.splitlines()[:2] == [TEXTS.outcome["title"], outcome.instruction]
    sources = [line for line in lines if line.startswith(TEXTS.outcome["sources"])]
    assert len(sources) == 1 and "seed" not in sources[0]
    advice = TEXTS.advice
    if outcome.urgency in ("urgent", "emergency"):
        assert "stretch" not in outcome.text.lower()
    if "under_16" in answers.get("health", ()):
        for aid in ("painkillers_after", "magnesium", "magnesium_pregnancy", "magnesium_kidney"):
            assert advice[aid] not in outcome.text
    if {"pregnant", "kidney"} & set(answers.get("health", ())):
        assert advice["magnesium"] not in outcome.text
    if "ibuprofen" in outcome.text:
        assert "pregnant" in outcome.text and "kidney" in outcome.text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets)
def test_engine_matches_the_contract_table_when_answers_are_random(answers: dict[str, Any]) -> None:
    outcome, asked = run(answers)
    assert (outcome.category, outcome.urgency, outcome.also) == contract_v2(answers)
    assert len(asked) <= 9
    assert_well_formed(outcome, answers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets)
def test_frequency_is_asked_only_when_it_changes_the_outcome_when_answers_are_random(
    answers: dict[str, Any],
) -> None:
    _, asked = run(answers)
    first, _ = run(dict(answers, frequency="first"))
    nightly, _ = run(dict(answers, frequency="nightly"))
    differ = (first.urgency, first.text) != (nightly.urgency, nightly.text)
    assert ("frequency" in asked) == differ


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
def test_contract_restatement_agrees_with_scenarios_when_reading_personas(persona: dict) -> None:
    expect = persona["expect"]
    assert contract_v2(persona["answers"]) == (
        expect["category"],
        expect["urgency"],
        tuple(expect["also"]),
    )


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
def test_instruction_comes_first_and_no_line_repeats_when_persona_finishes(persona: dict) -> None:
    outcome, _ = run(persona["answers"])
    assert_well_formed(outcome, persona["answers"])


def test_short_and_full_forms_fit_their_word_budgets_when_running_all_personas() -> None:
    short, full = [], []
    for persona in PERSONAS:
        outcome, _ = run(persona["answers"])
        short.append(words(outcome.short_text))
        full.append(words(outcome.text))
    assert max(short) <= SHORT_WORDS and max(full) <= FULL_WORDS
    assert statistics.median(short) < max(short) or len(set(short)) == 1


def test_short_form_keeps_at_most_three_things_to_do_and_the_emergency_signs_when_composed() -> (
    None
):
    for persona in PERSONAS:
        outcome, _ = run(persona["answers"])
        titles = [s.title for s in outcome.short]
        assert titles[0] == TEXTS.outcome["may_be"]
        assert titles[-1] == TEXTS.outcome["call_now"]
        assert TEXTS.advice["doctor_emergency"] in outcome.short_text
        now = [s for s in outcome.short if s.title == TEXTS.outcome["now"]]
        assert all(1 <= len(s.lines) <= 3 for s in now)


def test_first_aid_replaces_stretching_when_a_clot_is_suspected() -> None:
    answers = {"red_flags": ["leg_swollen"]}
    outcome, asked = run(answers)
    assert asked == ["red_flags"] and outcome.urgency == "urgent"
    assert TEXTS.advice["aid_clot"] in outcome.text
    assert TEXTS.advice["stretch"] not in outcome.text


def test_heat_stroke_outcome_says_how_to_cool_down_when_confused_after_heat() -> None:
    outcome, _ = run({"red_flags": ["heat_confusion"]})
    assert outcome.urgency == "emergency"
    assert TEXTS.advice["aid_heat_stroke"] in outcome.short_text


def test_child_gets_childrens_painkiller_advice_when_under_16() -> None:
    base = next(p for p in PERSONAS if "under_16" in p["answers"]["health"])["answers"]
    outcome, _ = run(base)
    assert TEXTS.advice["child_painkillers"] in outcome.text
    adult, _ = run(dict(base, health=["none"]))
    assert TEXTS.advice["painkillers_after"] in adult.text
    assert TEXTS.advice["child_painkillers"] not in adult.text


def test_also_category_adds_no_contradicting_may_be_when_not_a_typical_cramp() -> None:
    answers = dict(PERSONAS[0]["answers"], feel="urge_move", when="night")
    outcome, _ = run(answers)
    assert (outcome.category, outcome.also[-1:]) == ("not_typical_cramp", ("nocturnal",))
    assert TEXTS.advice["may_nocturnal"] not in outcome.text
    assert TEXTS.advice["restless_legs"] in outcome.text


def test_statin_line_and_medicine_urgency_when_statin_is_long_term_or_new() -> None:
    base = dict(PERSONAS[0]["answers"], medicines=["statin"])
    outcome, _ = run(base)
    assert (outcome.category, outcome.urgency) == ("medication", "routine")
    assert TEXTS.advice["statin_safety"] in outcome.text
    assert TEXTS.advice["doctor_long_term_medicine"] in outcome.text
    new, _ = run(dict(base, medicines=["statin", "new_med"]))
    assert new.urgency == "soon"
    assert TEXTS.advice["doctor_long_term_medicine"] not in new.text


def test_pregnancy_instruction_names_the_midwife_when_cramps_are_nightly() -> None:
    answers = next(p for p in PERSONAS if p["expect"] == {
        "category": "pregnancy", "urgency": "routine", "also": ["nocturnal"]})["answers"]  # fmt: skip
    outcome, _ = run(answers)
    assert "midwife" in outcome.instruction


# -- stored conversations from version-1 content ------------------------------
V1_RECORDS = {
    "finished": ("outcome", {"red_flags": ("none",), "where": "calf", "when": "night",
                             "duration": "seconds", "feel": "knot", "associated": ("none",),
                             "medicines": ("none",), "health": ("none",), "frequency": "weekly"}),
    "midway": ("feel", {"red_flags": ("none",), "where": "calf", "when": "night",
                        "duration": "seconds"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(V1_RECORDS))
async def test_version_1_conversation_follows_the_content_change_rule_when_loaded(
    name: str, content: Content
) -> None:
    state, answers = V1_RECORDS[name]
    store = InMemoryStore()
    record = Conversation(
        key="console:old",
        state=state,
        dialog_version="2026.11.1",
        created_at=time.time(),
        updated_at=time.time(),
        answers=dict(answers),
        version=1,
    )
    assert await store.save(record, 0)
    engine = Engine(Interview(content), store)
    replies = await engine.current("console:old")
    if state == "outcome":
        (outcome,) = replies
        assert isinstance(outcome, Outcome)
        assert (outcome.category, outcome.urgency) == ("nocturnal", "routine")
    else:
        assert isinstance(replies[-1], Question) and replies[-1].id == "feel"
        replies = await engine.handle("console:old", Incoming(text="knot"))
        assert not [r for r in replies if isinstance(r, Message) and r.kind == "error"], replies
        assert isinstance(replies[-1], Question) and replies[-1].id == "associated"
    saved = await store.load("console:old")
    assert saved is not None and saved.answers.items() >= dict(answers).items()


async def test_version_1_conversation_restarts_with_notice_when_its_answer_is_gone(
    content: Content,
) -> None:
    store = InMemoryStore()
    record = Conversation(
        key="console:gone",
        state="frequency",
        dialog_version="2026.11.1",
        created_at=time.time(),
        updated_at=time.time(),
        answers={"red_flags": ("none",), "where": "elbow"},
        version=1,
    )
    assert await store.save(record, 0)
    engine = Engine(Interview(content), store)
    replies = await engine.handle("console:gone", Incoming(text="weekly"))
    texts = [r.text for r in replies if not isinstance(r, Outcome)]
    assert TEXTS.messages["content_changed"] in texts
