"""The terminal chat as a subprocess speaking the contract's JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dialogs.content import Content
from tests.conftest import ROOT, personas
from tests.platforms.console.console_driver import Console

PERSONAS = personas()


def answer_for(mode: str, question: dict, answer: str | list[str], content: Content) -> str:
    chosen = answer if isinstance(answer, list) else [answer]
    labels = {o["id"]: o["label"] for o in question["options"]}
    if mode == "id":
        return ",".join(chosen)
    if mode == "number":
        ids = [o["id"] for o in question["options"]]
        return ", ".join(str(ids.index(c) + 1) for c in chosen)
    if mode == "label":
        return ", ".join(
            labels[c].upper() if n % 2 else labels[c].lower() for n, c in enumerate(chosen)
        )
    synonyms = content.locales["en"].synonyms[question["question"]]
    return ", ".join(synonyms[c][0] if synonyms[c] else labels[c] for c in chosen)


@pytest.mark.parametrize("mode", ["id", "label", "text"])
@pytest.mark.parametrize("persona", PERSONAS, ids=[p["name"] for p in PERSONAS])
def test_persona_gets_expected_outcome_when_chatting_over_jsonl(
    persona: dict, mode: str, content: Content
) -> None:
    console = Console("--user", "persona")
    turn = console.opening
    assert turn[0]["type"] == "message"
    while turn[-1]["type"] == "question":
        question = turn[-1]
        assert set(question) >= {"type", "question", "multi", "text", "options"}
        line = answer_for(mode, question, persona["answers"][question["question"]], content)
        turn = console.say(line)
        assert all(t["type"] != "error" for t in turn), (line, turn)
    outcome = turn[-1]
    expect = persona["expect"]
    assert (outcome["category"], outcome["urgency"], outcome["also"]) == (
        expect["category"],
        expect["urgency"],
        expect["also"],
    )
    assert outcome["text"]
    assert console.close() == 0


def test_bad_input_gets_error_then_same_question_when_chatting_over_jsonl() -> None:
    console = Console()
    for line in ["", "🦶🦶", "x" * 10_000, "42", "/nonsense", "not sure", "calf"]:
        turn = console.say(line)
        assert turn[-1]["type"] == "question" and turn[-1]["question"] == "red_flags", (line, turn)
        assert turn[0]["type"] in ("error", "message")
    turn = console.say("1, 3")
    assert turn[-1]["type"] == "outcome" and turn[-1]["category"] == "emergency"
    assert console.close() == 0


def test_numbers_work_as_answers_when_chatting_over_jsonl(content: Content) -> None:
    console = Console()
    persona = PERSONAS[0]
    turn = console.opening
    while turn[-1]["type"] == "question":
        turn = console.say(
            answer_for("number", turn[-1], persona["answers"][turn[-1]["question"]], content)
        )
    assert turn[-1]["category"] == persona["expect"]["category"]
    assert console.close() == 0


def test_interview_continues_after_sigkill_when_store_is_sqlite(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'chat.db'}"
    first = Console("--user", "ann", store=store)
    first.say("none")
    turn = first.say("calf")
    assert turn[-1]["question"] == "when"
    first.kill()
    second = Console("--user", "ann", store=store)
    assert second.opening[-1]["type"] == "question" and second.opening[-1]["question"] == "when"
    for line in ["night", "seconds", "knot", "none", "none", "none", "monthly"]:
        turn = second.say(line)
    assert turn[-1]["type"] == "outcome" and turn[-1]["category"] == "nocturnal"
    assert second.close() == 0


def test_content_is_found_when_installed_non_editable_and_run_elsewhere(tmp_path: Path) -> None:
    root = ROOT
    target = tmp_path / "site"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    assert (target / "crampbot_content" / "dialog.yaml").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target))
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import dialogs, sys; from bot.cli import main; print(dialogs.__file__); sys.exit(main(['--store', 'memory://', 'chat', '--jsonl']))",
        ],
        input="none\n",
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert json.loads(lines[-1])["question"] == "where"


async def test_pretty_outcome_prints_short_form_then_the_rest_when_finished(
    engine, content: Content
) -> None:
    import io

    from bot.platforms.console import Pretty
    from tests.interviewing import interview

    persona = next(p for p in PERSONAS if p["expect"]["also"] == ["nocturnal"])
    outcome, _ = await interview(engine, "console:pretty", persona["answers"])
    out = io.StringIO()
    Pretty(out, width=1000).show([outcome])
    printed = out.getvalue()
    texts = content.texts("en")
    lines = [line for line in printed.splitlines() if line.strip() and set(line) != {"─"}]
    assert lines[:2] == [texts.outcome["title"], outcome.instruction]
    divider = printed.index("┄")
    for section in outcome.short:
        assert printed.index(section.title.upper()) < divider
    rest = printed[divider:]
    assert texts.outcome["also"].format(category=texts.categories["nocturnal"]).upper() in rest
    assert texts.outcome["disclaimer"] in rest
    for line in {x for s in outcome.sections for x in s.lines}:
        assert printed.count(line) == 1, line
