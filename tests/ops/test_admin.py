"""`crampbot admin` against the store of running bot processes (SQLite, and Redis with two)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.stores import open_store
from dialogs.record import Conversation
from tests.platforms.console.console_driver import Console

NIGHT_CRAMPS = ["none", "calf", "night", "seconds", "knot", "none", "none", "none", "weekly"]


def admin(store: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAMPBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--store", store, "admin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


def shown(store: str, key: str) -> dict:
    run = admin(store, "show", key, "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_show_prints_contract_json_when_interview_is_finished(sqlite_store: str) -> None:
    bot = Console("--user", "ann", store=sqlite_store)
    for line in NIGHT_CRAMPS:
        turn = bot.say(line)
    assert turn[-1]["type"] == "outcome"
    data = shown(sqlite_store, "console:ann")
    assert data["key"] == "console:ann" and data["state"] == "outcome"
    assert data["answers"]["red_flags"] == ["none"] and data["answers"]["where"] == "calf"
    assert data["outcome"] == {"category": "nocturnal", "urgency": "routine", "also": []}
    assert data["dialog_version"] == "2026.11.2"
    datetime.fromisoformat(data["updated_at"])
    assert bot.close() == 0


def test_show_prints_null_outcome_and_current_question_when_unfinished(sqlite_store: str) -> None:
    bot = Console("--user", "ben", store=sqlite_store)
    bot.say("none")
    bot.say("thigh")
    data = shown(sqlite_store, "console:ben")
    assert data["state"] == "when" and data["outcome"] is None
    assert data["answers"] == {"red_flags": ["none"], "where": "thigh"}
    assert bot.close() == 0


def test_show_exits_1_with_error_when_key_is_missing(sqlite_store: str) -> None:
    run = admin(sqlite_store, "show", "telegram:404", "--json")
    assert run.returncode == 1
    assert run.stdout == "" and "no conversation with key 'telegram:404'" in run.stderr


def test_restart_takes_effect_on_next_message_when_bot_is_running_on_sqlite(
    sqlite_store: str,
) -> None:
    bot = Console("--user", "cat", store=sqlite_store)
    bot.say("none")
    bot.say("calf")
    run = admin(sqlite_store, "restart", "console:cat")
    assert run.returncode == 0, run.stderr
    turn = bot.say("night")
    assert "restarted by the bot's operator" in turn[0]["text"]
    assert turn[-1]["question"] == "red_flags"
    assert bot.close() == 0


def test_restart_reaches_either_process_when_two_bots_share_redis(redis_url: str) -> None:
    first = Console("--user", "dan", store=redis_url)
    second = Console("--user", "dan", store=redis_url)
    first.say("none")
    turn = second.say("calf")
    assert turn[-1]["question"] == "when", "the second process continues the shared interview"
    run = admin(redis_url, "restart", "console:dan")
    assert run.returncode == 0, run.stderr
    turn = first.say("night")
    assert (
        "restarted by the bot's operator" in turn[0]["text"] and turn[-1]["question"] == "red_flags"
    )
    turn = second.say("none")
    assert turn[-1]["question"] == "where"
    assert first.close() == 0 and second.close() == 0


def test_list_forget_purge_and_audit_work_when_used_from_shell(sqlite_store: str) -> None:
    for user in ("eve", "fay"):
        bot = Console("--user", user, store=sqlite_store)
        bot.say("none")
        assert bot.close() == 0
    listed = admin(sqlite_store, "list", "--state", "where", "--json")
    assert listed.returncode == 0
    assert sorted(json.loads(line)["key"] for line in listed.stdout.splitlines()) == [
        "console:eve",
        "console:fay",
    ]
    table = admin(sqlite_store, "list")
    assert "console:eve" in table.stdout and "2 conversation(s)" in table.stdout
    assert admin(sqlite_store, "forget", "console:eve").returncode == 0
    assert admin(sqlite_store, "show", "console:eve").returncode == 1
    assert admin(sqlite_store, "forget", "console:eve").returncode == 1
    purge = admin(sqlite_store, "purge")
    assert purge.returncode == 0 and "purged 0 conversation(s)" in purge.stdout
    audit = admin(sqlite_store, "audit", "--json")
    entries = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [e["action"] for e in entries][:3] == ["purge", "forget", "show"]
    assert all(e["actor"].startswith("cli:") and e["origin"].startswith("shell@") for e in entries)
    assert "none" not in audit.stdout and "calf" not in audit.stdout


def test_restart_all_restarts_everyone_when_asked(sqlite_store: str) -> None:
    for user in ("gus", "hal"):
        bot = Console("--user", user, store=sqlite_store)
        bot.say("none")
        assert bot.close() == 0
    run = admin(sqlite_store, "restart", "--all")
    assert run.returncode == 0 and "restarted 2 interview(s)" in run.stdout
    assert shown(sqlite_store, "console:gus")["state"] == "red_flags"


def test_unreachable_redis_is_one_error_and_exit_2_when_administering() -> None:
    run = admin("redis://127.0.0.1:1/0", "list")
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "CRAMPBOT_STORE" in run.stderr


def test_show_reads_a_version_1_record_with_version_2_rules_when_content_changed(
    sqlite_store: str,
) -> None:
    answers = {"red_flags": ("none",), "where": "foot", "when": "night", "duration": "seconds",
               "feel": "knot", "associated": ("heat_sweat",), "medicines": ("asthma",),
               "health": ("none",), "frequency": "weekly"}  # fmt: skip

    async def save_v1_record() -> None:
        store = await open_store(sqlite_store)
        record = Conversation(
            key="console:old",
            state="outcome",
            dialog_version="2026.11.1",
            created_at=1.7e9,
            updated_at=1.7e9,
            answers=answers,
            version=1,
        )
        assert await store.save(record, 0)

    asyncio.run(save_v1_record())
    data = shown(sqlite_store, "console:old")
    assert data["dialog_version"] == "2026.11.1"
    assert data["outcome"] == {
        "category": "medication",
        "urgency": "routine",
        "also": ["heat", "nocturnal"],
    }


def test_reload_asks_the_processes_through_the_store_when_it_is_sqlite(sqlite_store: str) -> None:
    """SQLite cannot count who heard: the request waits in the meta for the processes' next look."""
    run = admin(sqlite_store, "reload")
    assert run.returncode == 0, run.stderr
    assert (
        run.stdout
        == "asked for content version 2026.11.2: running processes on this store reload within 5 s\n"
    )
    audit = admin(sqlite_store, "audit", "--json")
    assert json.loads(audit.stdout.splitlines()[0])["action"] == "reload"

    async def request() -> dict:
        store = await open_store(sqlite_store)
        try:
            return json.loads(await store.get_meta("reload_request") or "{}")
        finally:
            await store.close()

    asked = asyncio.run(request())
    assert asked["version"] == "2026.11.2" and asked["by"].startswith("cli:")
