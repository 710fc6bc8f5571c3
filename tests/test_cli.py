"""The command line: settings errors, config overview, graph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def crampbot(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRAMPBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "setting"),
    [
        (["run", "telegram"], {}, "CRAMPBOT_TELEGRAM_TOKEN: is not set"),
        (
            ["run", "telegram"],
            {"CRAMPBOT_TELEGRAM_TOKEN": "nonsense"},
            "CRAMPBOT_TELEGRAM_TOKEN: is malformed",
        ),
        (["run", "discord"], {}, "CRAMPBOT_DISCORD_TOKEN: is not set"),
        (["run", "all"], {"CRAMPBOT_TELEGRAM_TOKEN": TOKEN}, "CRAMPBOT_DISCORD_TOKEN: is not set"),
        (
            ["run", "telegram"],
            {
                "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
                "CRAMPBOT_TELEGRAM_WEBHOOK_URL": "https://x.example/hook",
            },
            "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET: is required",
        ),
        (["chat"], {"CRAMPBOT_STORE": "mysql://x"}, "CRAMPBOT_STORE: unsupported URL"),
        (
            ["chat"],
            {"CRAMPBOT_IDLE_HOURS": "soon"},
            "CRAMPBOT_IDLE_HOURS: must be a positive number",
        ),
        (
            ["config"],
            {"CRAMPBOT_TELEGRAM_OPERATORS": "12,alice"},
            "CRAMPBOT_TELEGRAM_OPERATORS: must be comma-separated numeric ids",
        ),
        (
            ["config"],
            {"CRAMPBOT_CONFIG": "/nonexistent/crampbot.toml"},
            "CRAMPBOT_CONFIG: cannot read",
        ),
    ],
)
def test_bad_setting_gives_one_clear_error_and_exit_2_when_starting(args, env, setting) -> None:
    run = crampbot(*args, env=env)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], run.stderr
    assert "Traceback" not in run.stderr


def test_config_masks_tokens_and_names_origins_when_printed(tmp_path: Path) -> None:
    config = tmp_path / "crampbot.toml"
    config.write_text('store = "memory://"\nCRAMPBOT_DISCORD_OPERATORS = [42, 43]\n')
    run = crampbot("config", env={"CRAMPBOT_TELEGRAM_TOKEN": TOKEN, "CRAMPBOT_CONFIG": str(config)})
    assert run.returncode == 0, run.stderr
    assert TOKEN not in run.stdout and "AAHdq" not in run.stdout
    lines = {line.split()[0]: line for line in run.stdout.splitlines()}
    assert "[environment]" in lines["CRAMPBOT_TELEGRAM_TOKEN"]
    assert "memory://" in lines["CRAMPBOT_STORE"] and "config file" in lines["CRAMPBOT_STORE"]
    assert "42,43" in lines["CRAMPBOT_DISCORD_OPERATORS"]
    assert "[default]" in lines["CRAMPBOT_RETENTION_DAYS"]


def test_environment_beats_config_file_when_both_set(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('retention_days = 7\nlocale = "en"\n')
    settings = load_settings({"CRAMPBOT_RETENTION_DAYS": "3"}, config)
    assert settings.retention_days == 3.0 and settings.origins["retention_days"] == "environment"
    assert settings.origins["locale"].startswith("config file")


def test_unknown_key_in_config_file_is_an_error_when_misspelt(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('telegram_tokn = "x"\n')
    with pytest.raises(SettingsError, match="CRAMPBOT_TELEGRAM_TOKN: is not a setting"):
        load_settings({}, config)


def test_graph_prints_mermaid_state_diagram_when_asked() -> None:
    run = crampbot("graph")
    assert run.returncode == 0
    assert run.stdout.startswith("stateDiagram-v2")
    assert "red_flags --> where : answer if worth asking" in run.stdout


def test_end_of_input_exits_0_when_chatting() -> None:
    run = crampbot("--store", "memory://", "chat", stdin="")
    assert run.returncode == 0
    assert "safety check" in run.stdout
