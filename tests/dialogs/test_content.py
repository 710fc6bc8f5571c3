"""Content validation: structure, locales, sources, forbidden advice, and `crampbot check`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dialogs.content import Content
from dialogs.loading import load_content
from dialogs.problems import ContentError
from tests.conftest import ROOT

CLINICAL_NOTES = ROOT / "docs" / "clinical-notes.md"


def source_ids_in_clinical_notes() -> set[str]:
    text = CLINICAL_NOTES.read_text()
    sources = text.split("## Sources", 1)[1]
    return set(re.findall(r"^- ([A-Z][A-Za-z-]*|seed)[:,]", sources, re.M)) | set(
        re.findall(r"\b([A-Z]{2,}(?:-[A-Z]+)?)\b", sources)
    )


def test_every_advice_source_appears_in_clinical_notes_when_loaded(content: Content) -> None:
    known = source_ids_in_clinical_notes()
    for sid in content.sources:
        assert sid in known, f"source {sid} is not in docs/clinical-notes.md"
    for advice, sources in content.advice_sources.items():
        assert sources, advice
        assert set(sources) <= set(content.sources)


def test_clinical_notes_copy_matches_shared_reference_when_present() -> None:
    shared = ROOT.parent / "shared" / "reference" / "clinical-notes.md"
    if not shared.exists():
        pytest.skip("no ../shared/reference beside this checkout")
    assert CLINICAL_NOTES.read_text() == shared.read_text()


def test_every_advice_line_has_text_in_every_locale_when_loaded(content: Content) -> None:
    for texts in content.locales.values():
        assert set(content.advice_sources) == set(texts.advice)


def test_forbidden_advice_appears_nowhere_in_content_files_when_scanned(content: Content) -> None:
    words = re.compile(r"quinine|tonic water|drink plenty|drink lots|force yourself to drink", re.I)
    for path in (ROOT / "content").rglob("*.yaml"):
        if path.name == "safety.yaml":
            continue
        assert not words.search(path.read_text()), path
    stop_meds = content.forbidden["stopping_medicines"]
    assert stop_meds.search("Stop taking your statin.")
    assert not stop_meds.search("Do not stop or change a prescribed medicine on your own.")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return [str(p) for p in caught.value.problems]


def test_unreachable_state_is_reported_when_its_transitions_are_removed(broken: Path) -> None:
    edit(
        broken / "dialog.yaml",
        lambda d: d.update(transitions=[t for t in d["transitions"] if t["dest"] != "feel"]),
    )
    assert "dialog.yaml: transitions: state 'feel' cannot be reached" in problems_of(broken)


def test_dead_end_is_reported_when_a_question_has_no_way_on(broken: Path) -> None:
    edit(
        broken / "dialog.yaml",
        lambda d: d.update(transitions=[t for t in d["transitions"] if t["source"] != "health"]),
    )
    found = problems_of(broken)
    assert (
        "dialog.yaml: transitions: 'health' needs an `answer` transition without conditions"
        in found
    )


def test_unknown_condition_is_reported_when_not_in_allow_list(broken: Path) -> None:
    edit(
        broken / "dialog.yaml",
        lambda d: d["transitions"][0].update(conditions=["__import__('os')"]),
    )
    assert any("condition" in p and "is not one of worth_asking" in p for p in problems_of(broken))


def test_missing_locale_key_is_reported_when_second_locale_is_incomplete(broken: Path) -> None:
    data = yaml.safe_load((broken / "locales" / "en.yaml").read_text())
    del data["advice"]["stretch"]
    del data["messages"]["help"]
    (broken / "locales" / "de.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    found = problems_of(broken)
    assert "locales/de.yaml: advice.stretch: must be non-empty text" in found
    assert "locales/de.yaml: messages.help: is missing (present in en.yaml)" in found


def test_advice_without_known_source_is_reported_when_source_is_made_up(broken: Path) -> None:
    edit(broken / "advice.yaml", lambda d: d["advice"].update(stretch=["WIKIPEDIA"]))
    assert "advice.yaml: advice.stretch: source 'WIKIPEDIA' is not in `sources`" in problems_of(
        broken
    )


def test_forbidden_advice_is_reported_when_a_text_recommends_quinine(broken: Path) -> None:
    edit(
        broken / "locales" / "en.yaml",
        lambda d: d["advice"].update(stretch="Try tonic water at night."),
    )
    assert "locales/en.yaml: advice.stretch: contains forbidden advice (quinine)" in problems_of(
        broken
    )


def test_rule_naming_unknown_option_is_reported_when_misspelt(broken: Path) -> None:
    edit(
        broken / "rules.yaml", lambda d: d["rules"][0]["match"][0].update(red_flags=["chest_pian"])
    )
    assert (
        "rules.yaml: rules.R1.match[0].red_flags: 'chest_pian' is not an option of red_flags"
        in problems_of(broken)
    )


def test_yaml_without_code_is_required_when_tags_are_used(broken: Path) -> None:
    (broken / "rules.yaml").write_text("rules: !!python/object/apply:os.system ['true']\n")
    assert any(p.startswith("rules.yaml: -: not valid YAML") for p in problems_of(broken))


def test_check_command_exits_1_with_precise_messages_when_content_is_broken(broken: Path) -> None:
    edit(broken / "advice.yaml", lambda d: d["advice"].update(stretch=["WIKIPEDIA"]))
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--content", str(broken), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert (
        "error: advice.yaml: advice.stretch: source 'WIKIPEDIA' is not in `sources`" in run.stderr
    )


def test_check_command_exits_0_when_content_is_valid() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "is valid" in run.stdout


def test_wording_band_naming_unknown_option_is_reported_when_misspelt(broken: Path) -> None:
    edit(
        broken / "wordings" / "en.yaml",
        lambda d: d["bands"]["duration"]["options"].update({"over_ten": [600, None]}),
    )
    found = problems_of(broken)
    assert (
        "wordings/en.yaml: bands.duration.over_ten: must be an option with [from, to] (to may be null)"
        in found
    )


def test_wording_language_list_is_reported_when_not_a_list_of_words(broken: Path) -> None:
    edit(broken / "wordings" / "en.yaml", lambda d: d["language"].update({"negations": "no"}))
    assert "wordings/en.yaml: language.negations: must be a list of strings" in problems_of(broken)


def test_prompt_wording_meaning_both_options_is_reported_when_loaded(broken: Path) -> None:
    """A prompt's reply must mean one option: "no" cannot also confirm a story."""
    edit(broken / "wordings" / "es.yaml", lambda d: d["prompts"]["story"]["yes"].append("no"))
    edit(broken / "wordings" / "en.yaml", lambda d: d["prompts"].update(ask={"yes": ["y"]}))
    found = problems_of(broken)
    assert any(
        p.startswith("wordings/es.yaml: prompts.story.") and "'no' also means" in p for p in found
    )
    assert "wordings/en.yaml: prompts.ask: is not a prompt" in found


def test_advice_cited_only_to_the_seed_is_reported_when_loaded(broken: Path) -> None:
    edit(broken / "advice.yaml", lambda d: d["advice"].update(doctor_tests=["seed"]))
    assert (
        "advice.yaml: advice.doctor_tests: needs a public source (the seed is not one)"
        in problems_of(broken)
    )


def test_stretching_is_reported_when_reachable_in_an_urgent_outcome(broken: Path) -> None:
    edit(broken / "advice.yaml", lambda d: d["categories"]["urgent"].update(now=["stretch"]))
    assert (
        "advice.yaml: categories.urgent: stretching advice 'stretch' is reachable in the "
        "'urgent' outcome (urgent or emergency)" in problems_of(broken)
    )


def test_stretching_is_reported_when_an_extra_for_any_outcome_adds_it(broken: Path) -> None:
    def add_stretch(d: dict) -> None:
        d["extras"].append(
            {"id": "calf", "match": [{"where": ["calf"]}], "add": {"now": ["stretch"]}}
        )

    edit(broken / "rules.yaml", add_stretch)
    found = problems_of(broken)
    assert (
        "advice.yaml: extras.calf: stretching advice 'stretch' is reachable in the "
        "'see_doctor' outcome (urgent or emergency)" in found
    )


def test_adult_only_advice_is_reported_when_a_child_could_see_it(broken: Path) -> None:
    def keep_adult_lines(d: dict) -> None:
        child = next(x for x in d["extras"] if x["id"] == "child")
        child["drop"] = [a for a in child["drop"] if a != "painkillers_after"]

    edit(broken / "rules.yaml", keep_adult_lines)
    assert (
        "advice.yaml: categories.nocturnal: adult-only advice 'painkillers_after' is reachable "
        "for under_16" in problems_of(broken)
    )


def test_urgency_cases_need_a_last_case_without_match_when_answer_dependent(
    broken: Path,
) -> None:
    def no_fallback(d: dict) -> None:
        rule = next(r for r in d["rules"] if r["id"] == "R7")
        rule["urgency"] = rule["urgency"][:1]

    edit(broken / "rules.yaml", no_fallback)
    assert (
        "rules.yaml: rules.R7.urgency[0]: only the last case, and it always, has no match"
        in problems_of(broken)
    )


def test_check_command_rejects_stretching_in_an_emergency_when_content_has_it(
    broken: Path,
) -> None:
    edit(broken / "advice.yaml", lambda d: d["categories"]["emergency"].update(now=["stretch"]))
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--content", str(broken), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "stretching advice 'stretch' is reachable in the 'emergency' outcome" in run.stderr
