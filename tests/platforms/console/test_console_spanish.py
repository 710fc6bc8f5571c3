"""The terminal chat in Spanish: `--locale es` / CRAMPBOT_LOCALE, personas over JSON lines,
no English on screen, and an unknown locale refused by name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dialogs.content import Content
from tests.conftest import ROOT, personas
from tests.languages import english_in, typed
from tests.platforms.console.console_driver import Console

PERSONAS = personas()


def line_for(mode: str, question: dict, answer: str | list[str], content: Content, n: int) -> str:
    chosen = answer if isinstance(answer, list) else [answer]
    labels = {o["id"]: o["label"] for o in question["options"]}
    if mode == "label" and not any("," in labels[c] for c in chosen):
        return ", ".join(labels[c] for c in chosen)
    if mode == "label":
        ids = [o["id"] for o in question["options"]]
        return ", ".join(str(ids.index(c) + 1) for c in chosen)
    return typed(content.locales["es"], question["question"], answer, n)


@pytest.mark.parametrize("mode", ["label", "text"])
@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
def test_persona_gets_expected_outcome_when_chatting_in_spanish_over_jsonl(
    persona: dict, mode: str, content: Content
) -> None:
    es = content.locales["es"]
    console = Console("--user", "persona", "--locale", "es")
    turn = console.opening
    assert turn[0]["text"] == es.messages["welcome"]
    n = PERSONAS.index(persona)
    while turn[-1]["type"] == "question":
        question = turn[-1]
        line = line_for(mode, question, persona["answers"][question["question"]], content, n)
        turn = console.say(line)
        assert all(t["type"] != "error" for t in turn), (line, turn)
    outcome, expect = turn[-1], persona["expect"]
    assert (outcome["category"], outcome["urgency"], outcome["also"]) == (
        expect["category"],
        expect["urgency"],
        expect["also"],
    )
    assert es.instruction(expect["category"], expect["urgency"]) in outcome["text"]
    assert console.close() == 0


def chat(
    *args: str, stdin: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--store", "memory://", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize("persona", PERSONAS[:6], ids=[p["name"] for p in PERSONAS[:6]])
def test_spanish_speaker_sees_no_english_when_chatting_in_the_terminal(
    persona: dict, content: Content
) -> None:
    """A whole interview on screen (typed lay wordings, commands, a bad reply, the outcome)."""
    es = content.locales["es"]
    n = PERSONAS.index(persona)
    order = [
        "red_flags",
        "where",
        "when",
        "duration",
        "feel",
        "associated",
        "medicines",
        "health",
        "frequency",
    ]
    lines = ["/help", "/about", "plátano"]
    lines += [typed(es, q, persona["answers"][q], n) for q in order]
    done = chat("--locale", "es", stdin="\n".join(lines) + "\n/back\n/language\n")
    assert done.returncode == 0, done.stderr
    assert es.outcome["disclaimer"] in " ".join(done.stdout.split())
    assert not english_in([done.stdout], content)
    assert es.outcome["sources"].upper() in done.stdout
    assert content.locales["en"].outcome["sources"].upper() not in done.stdout


def test_locale_comes_from_the_environment_when_no_option_is_given(content: Content) -> None:
    done = chat(stdin="", env={"CRAMPBOT_LOCALE": "es-MX"})
    assert done.returncode == 0, done.stderr
    assert content.locales["es"].question_text["red_flags"].split(".")[0] in done.stdout


def test_unknown_locale_is_an_error_naming_the_available_ones_when_chatting() -> None:
    done = chat("--locale", "fr", stdin="no\n")
    assert done.returncode == 2
    assert "'fr'" in done.stderr and "available: en, es" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_terminal_help_follows_the_chosen_language_when_the_terminal_is_english(
    content: Content,
) -> None:
    """The terminal's own variant of the help is drawn in the language of the reply."""
    es = content.locales["es"]
    done = chat("--locale", "en", stdin="/language es\n/help\n\n")
    assert done.returncode == 0, done.stderr
    after = " ".join(done.stdout.split(es.messages["language_set"], 1)[1].split())
    assert " ".join(es.messages["help_terminal"].split()[:8]) in after
    assert " ".join(es.messages["not_understood"].split()) in after
    assert not english_in([after], content)
