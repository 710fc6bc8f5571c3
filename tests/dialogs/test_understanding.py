"""Typed answers: ids, labels, numbers, lists and free text through synonyms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.loading import load_content
from dialogs.machine import Interview
from dialogs.understanding import (
    Ambiguous,
    NotUnderstood,
    Refusal,
    Understood,
    Vocabulary,
)
from tests.conftest import ROOT

FUZZ_INTERVIEW = Interview(load_content(ROOT / "content"))
QUESTIONS = tuple(FUZZ_INTERVIEW.content.questions)
WORDS = tuple(
    sorted(
        {
            *(
                w
                for t in FUZZ_INTERVIEW.content.locales["en"].synonyms.values()
                for ws in t.values()
                for p in ws
                for w in p.split()
            ),
            *FUZZ_INTERVIEW.content.locales["en"].language.negations,
            *FUZZ_INTERVIEW.content.locales["en"].language.numbers,
            *FUZZ_INTERVIEW.content.locales["en"].language.units,
            "10",
            "2.5",
            "+",
            "-",
            ">",
            "<",
            "1000000000000000000000",
        }
    )
)


def vocab(interview: Interview, question: str) -> Vocabulary:
    return interview.vocabularies[("en", question)]


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("where", "calf", ("calf",)),
        ("where", "CALF", ("calf",)),
        ("where", "Calves", ("calf",)),
        ("where", "lower leg", ("calf",)),
        ("where", "  my lower leg!! ", ("calf",)),
        ("where", "2", ("foot",)),
        ("where", "neck_face", ("neck_face",)),
        ("where", "Neck, face, jaw or eyelids", ("neck_face",)),
        ("when", "in bed", ("night",)),
        ("when", "mostly in bed at night", ("night",)),
        ("when", "after running", ("after_exercise",)),
        ("when", "During exercise or sport", ("during_exercise",)),
        ("when", "While walking, easing when I stop", ("walking_relieved",)),
        ("red_flags", "nope", ("none",)),
        ("red_flags", "None of these", ("none",)),
        ("red_flags", "1, 3", ("chest_pain", "dark_urine")),
        ("red_flags", "chest pain and fever", ("chest_pain", "fever_neck")),
        ("red_flags", "chest pain, none", ("chest_pain",)),
        ("associated", "weakness, numbness", ("weakness", "numbness")),
        ("medicines", "statins", ("statin",)),
        ("health", "I'm pregnant", ("pregnant",)),
        ("frequency", "every night", ("nightly",)),
    ],
)
def test_answer_is_understood_when_typed_as_person_would(
    interview: Interview, question: str, typed: str, expected: tuple[str, ...]
) -> None:
    assert vocab(interview, question).understand(typed) == expected


@pytest.mark.parametrize(
    ("question", "typed", "reason"),
    [
        ("red_flags", "1, 11", "none_with_others"),
        ("where", "calf, foot", "ambiguous"),
        ("where", "9", "not_understood"),
        ("where", "0", "not_understood"),
        ("where", "-1", "not_understood"),
        ("where", "99999999999999999999", "not_understood"),
        ("where", "", "not_understood"),
        ("where", "🦵", "not_understood"),
        ("where", "banana", "not_understood"),
        ("where", "x" * 10_000, "too_long"),
        ("where", "calf and foot", "ambiguous"),
    ],
)
def test_answer_is_refused_with_reason_when_unusable(
    interview: Interview, question: str, typed: str, reason: str
) -> None:
    result = vocab(interview, question).understand(typed)
    assert isinstance(result, Refusal)
    assert result.message == reason


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("duration", "longer than ten minutes", ("over_10",)),
        ("duration", "10+ minutes", ("over_10",)),
        ("duration", "more than 10 minutes", ("over_10",)),
        ("duration", "over 10 minutes", ("over_10",)),
        ("duration", "half an hour", ("over_10",)),
        ("duration", "2 mins", ("seconds",)),
        ("duration", "5 minutes", ("under_10",)),
        ("frequency", "twice a week", ("weekly",)),
        ("frequency", "once a month", ("monthly",)),
        ("frequency", "3 times a year", ("yearly",)),
    ],
)
def test_amount_is_read_by_value_when_a_number_has_a_unit(
    interview: Interview, question: str, typed: str, expected: tuple[str, ...]
) -> None:
    assert interview.readers["en"].understand(question, typed) == Understood(expected)


def test_amount_on_a_band_edge_is_asked_back_when_exactly_ten_minutes(
    interview: Interview,
) -> None:
    found = interview.readers["en"].understand("duration", "10 minutes")
    assert found == Ambiguous(("under_10", "over_10"))


def test_shorter_band_is_never_chosen_when_a_longer_amount_follows(interview: Interview) -> None:
    found = interview.readers["en"].understand("duration", "5 minutes, sometimes 20")
    assert found == Ambiguous(("under_10", "over_10"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("no but my leg is swollen", ("leg_swollen",)),
        ("swollen calf", ("leg_swollen",)),
        ("my pee is dark", ("dark_urine",)),
        ("passed out", ("heat_confusion",)),
        ("numb", ("sudden_weakness",)),
        ("pins and needles round my mouth", ("tingling_spasm",)),
        ("my leg is cold and pale", ("cold_limb",)),
        (
            "Tingling lips or fingers with hand or foot spasms, One leg swollen, red, warm or "
            "throbbing",
            ("tingling_spasm", "leg_swollen"),
        ),
    ],
)
def test_warning_sign_counts_when_named_in_lay_words_or_beside_no(
    interview: Interview, typed: str, expected: tuple[str, ...]
) -> None:
    assert interview.readers["en"].understand("red_flags", typed) == Understood(expected)


@pytest.mark.parametrize("typed", ["no chest pain", "not sure", "no, my calf hurts", "nope?? chst"])
def test_warning_signs_are_asked_again_when_reply_does_not_wholly_say_no(
    interview: Interview, typed: str
) -> None:
    assert interview.readers["en"].understand("red_flags", typed) == NotUnderstood("not_understood")


@pytest.mark.parametrize(
    ("question", "typed"),
    [("when", "not at night"), ("when", "never during exercise"), ("associated", "no swelling")],
)
def test_negated_option_is_not_chosen_when_said_with_no_or_not(
    interview: Interview, question: str, typed: str
) -> None:
    assert isinstance(interview.readers["en"].understand(question, typed), NotUnderstood)


def test_typo_is_mended_when_the_word_is_long_and_close_to_one_word(interview: Interview) -> None:
    assert interview.readers["en"].understand("when", "nigth") == Understood(("night",))


def test_short_typo_is_asked_back_when_it_could_only_mean_one_option(interview: Interview) -> None:
    assert interview.readers["en"].understand("where", "clf") == Ambiguous(("calf",))


def test_back_of_thigh_means_thigh_when_typed_in_lay_words(interview: Interview) -> None:
    assert interview.readers["en"].understand("where", "the back of my thigh") == Understood(
        ("thigh",)
    )


def test_story_fills_what_it_clearly_answers_when_typed_whole(interview: Interview) -> None:
    story = "my calves cramp at night for a few minutes, I'm on a statin"
    assert interview.readers["en"].read_story(story) == {
        "where": Understood(("calf",)),
        "when": Understood(("night",)),
        "duration": Understood(("under_10",)),
        "medicines": Understood(("statin",)),
    }


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(QUESTIONS),
    st.text(max_size=300)
    | st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
    | st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=12).map(", ".join),
)
def test_reader_returns_one_of_three_results_when_given_any_text(question: str, text: str) -> None:
    reader = FUZZ_INTERVIEW.readers["en"]
    spec = FUZZ_INTERVIEW.content.questions[question]
    found = reader.understand(question, text)
    assert isinstance(found, Understood | Ambiguous | NotUnderstood)
    if isinstance(found, Understood):
        assert found.ids and set(found.ids) <= set(spec.options)
        assert spec.multi or len(found.ids) == 1
        assert len(found.ids) == 1 or spec.exclusive.isdisjoint(found.ids)
    if isinstance(found, Ambiguous):
        assert found.candidates and set(found.candidates) <= set(spec.options)
    story = reader.read_story(text)
    assert "red_flags" not in story
    assert all(isinstance(u, Understood) and u.ids for u in story.values())
    signs = reader.story_signs(text)
    assert set(signs) <= set(FUZZ_INTERVIEW.content.questions["red_flags"].options) - {"none"}


def test_weeks_are_not_read_as_a_cramp_duration_when_a_story_says_weeks_pregnant(
    interview: Interview,
) -> None:
    found = interview.readers["en"].read_story("I'm 30 weeks pregnant, my legs cramp every night")
    assert "duration" not in found
    assert found["health"] == Understood(("pregnant",))
    assert found["frequency"] == Understood(("nightly",))


@pytest.mark.parametrize(
    ("question", "typed", "candidates"),
    [
        ("duration", "a minute or so, sometimes longer", ("seconds", "under_10", "over_10")),
        ("duration", "minutes", ("seconds", "under_10", "over_10")),
        ("where", "arms and legs", ("calf", "foot", "thigh", "arm")),
        ("when", "at the gym", ("during_exercise", "after_exercise")),
    ],
)
def test_reply_is_asked_back_when_it_is_vague_or_open_ended(
    interview: Interview, question: str, typed: str, candidates: tuple[str, ...]
) -> None:
    assert interview.readers["en"].understand(question, typed) == Ambiguous(candidates)


def test_vague_word_gives_way_when_a_precise_one_is_also_said(interview: Interview) -> None:
    found = interview.readers["en"].understand("where", "my leg, the calf mostly")
    assert found == Understood(("calf",))


def test_none_is_not_taken_when_a_number_is_said_beside_no(interview: Interview) -> None:
    found = interview.readers["en"].understand("health", "no, but I'm 14")
    assert found == NotUnderstood("not_understood")


@pytest.mark.parametrize(
    ("question", "typed"), [("medicines", "same as my mother"), ("duration", "thirsty")]
)
def test_real_word_is_not_mended_when_it_differs_in_first_letter_or_would_become_a_number(
    interview: Interview, question: str, typed: str
) -> None:
    assert interview.readers["en"].understand(question, typed) == NotUnderstood("not_understood")
