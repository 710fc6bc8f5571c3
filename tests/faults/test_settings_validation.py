"""Settings are validated strictly, and no secret is ever shown: errors, ``config``, ``repr``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.faults.chat import no_traceback, run

TOKEN = "7034491582:AAGfq3-Hx1RkP0wZtF8yVdJc2sLmN4bQe_s"
SECRET = "webhook-secret-0123456789abcdefghij"

BAD = [
    ("RETENTION_DAYS", "inf"),
    ("RETENTION_DAYS", "nan"),
    ("RETENTION_DAYS", "1e999"),
    ("RETENTION_DAYS", "-3"),
    ("RETENTION_DAYS", "0"),
    ("IDLE_HOURS", "Infinity"),
    ("IDLE_HOURS", "NaN"),
    ("TELEGRAM_WEBHOOK_PORT", "8443.9"),
    ("TELEGRAM_WEBHOOK_PORT", "8443.0"),
    ("TELEGRAM_WEBHOOK_PORT", "0x20FB"),
    ("TELEGRAM_WEBHOOK_PORT", "٨٤٤٣"),
    ("TELEGRAM_WEBHOOK_PORT", "70000"),
    ("STORE", "redis://:hunter2-password@127.0.0.1:6379/abc"),
    ("STORE", "redis://:hunter2-password@127.0.0.1:6379/0?db=x"),
    ("STORE", "redis://:hunter2-password@127.0.0.1:port/0"),
    ("STORE", "postgres://me:hunter2-password@db/crampbot"),
    ("STORE", "sqlite:///"),
    ("TELEGRAM_OPERATORS", "0043"),
    ("TELEGRAM_OPERATORS", "٤٢"),
    ("TELEGRAM_OPERATORS", "-5"),
    ("TELEGRAM_OPERATORS", "42,+7"),
    ("DISCORD_OPERATORS", "１２３"),
    ("DISCORD_GUILD", "٤٢"),
    ("LOG_LEVEL", "LOUD"),
    ("LIBRARY_LOG_LEVEL", "TRACE"),
    ("TELEGRAM_BASE_URL", "ftp://me:hunter2-password@host/bot"),
    ("REDIS_PREFIX", "two words:"),
    ("REDIS_PREFIX", " "),
]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v}" for n, v in BAD])
def test_command_exits_2_naming_the_setting_when_a_value_is_bad(name: str, value: str) -> None:
    env = {
        f"CRAMPBOT_{name}": value,
        "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
        "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    done = run("config", env=env)
    assert done.returncode == 2 and done.stdout == ""
    no_traceback(done.stderr)
    assert done.stderr.startswith(f"crampbot: error: CRAMPBOT_{name}:")
    assert done.stderr.count("\n") == 1, done.stderr
    for secret in (TOKEN, SECRET, "hunter2-password"):
        assert secret not in done.stderr


GOOD = [
    ("RETENTION_DAYS", "7.5", "retention_days", 7.5),
    ("TELEGRAM_WEBHOOK_PORT", "8443", "telegram_webhook_port", 8443),
    ("STORE", "redis://127.0.0.1:6379/3", "store", "redis://127.0.0.1:6379/3"),
    ("TELEGRAM_OPERATORS", "42, 1234567890", "telegram_operators", ("42", "1234567890")),
    ("REDIS_PREFIX", "cramps-eu", "redis_prefix", "cramps-eu:"),
    ("REDIS_PREFIX", "bots:cramps:", "redis_prefix", "bots:cramps:"),
]


@pytest.mark.parametrize(("name", "value", "field", "expected"), GOOD)
def test_value_is_read_when_it_is_well_formed(
    name: str, value: str, field: str, expected: object
) -> None:
    assert getattr(load_settings({f"CRAMPBOT_{name}": value}), field) == expected


def test_config_shows_nothing_of_a_secret_when_printing_settings() -> None:
    env = {
        "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
        "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "CRAMPBOT_DISCORD_TOKEN": "MTE4NDk2NzM1.GbX7cK.q1w2e3r4t5y6u7i8o9p0",
        "CRAMPBOT_STORE": "redis://crampbot:hunter2-password@127.0.0.1:6379/0",
    }
    done = run("config", env=env)
    assert done.returncode == 0
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()}
    assert rows["CRAMPBOT_TELEGRAM_TOKEN"] == "******"
    assert rows["CRAMPBOT_TELEGRAM_WEBHOOK_SECRET"] == "******"
    assert rows["CRAMPBOT_DISCORD_TOKEN"] == "******"
    assert rows["CRAMPBOT_STORE"] == "redis://crampbot:******@127.0.0.1:6379/0"
    for secret in ("7034", "AAGf", "webh", "MTE4", "hunter2"):
        assert secret not in done.stdout


def test_repr_holds_no_secret_when_settings_are_printed() -> None:
    settings = load_settings(
        {
            "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
            "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "CRAMPBOT_STORE": "redis://:hunter2-password@127.0.0.1:6379/0",
        }
    )
    shown = repr(settings) + str(settings)
    assert "Settings(" in shown and "******" in shown
    for secret in (TOKEN, SECRET, "hunter2-password"):
        assert secret not in shown


TOML_BAD = [
    ("telegram_webhook_port", "8443.9"),
    ("telegram_webhook_port", "true"),
    ("retention_days", "inf"),
    ("idle_hours", "nan"),
    ("telegram_operators", '["0043"]'),
    ("telegram_operators", "[-5]"),
]


@pytest.mark.parametrize(("name", "value"), TOML_BAD, ids=[f"{n}={v}" for n, v in TOML_BAD])
def test_command_exits_2_naming_the_setting_when_a_config_file_value_is_bad(
    tmp_path: Path, name: str, value: str
) -> None:
    config = tmp_path / "crampbot.toml"
    config.write_text(f"{name} = {value}\n", encoding="utf-8")
    done = run("--config", str(config), "config")
    assert done.returncode == 2 and done.stdout == ""
    no_traceback(done.stderr)
    assert done.stderr.startswith(f"crampbot: error: CRAMPBOT_{name.upper()}:")


SHARDS_BAD = [
    ({"DISCORD_SHARDS": "0"}, "DISCORD_SHARDS"),
    ({"DISCORD_SHARDS": "-2"}, "DISCORD_SHARDS"),
    ({"DISCORD_SHARDS": "two"}, "DISCORD_SHARDS"),
    ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "2", "DISCORD_SHARD_IDS": "2"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "2-4"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "3-2"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "0,1-2,1"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "01"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "-1"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "0,,1"}, "DISCORD_SHARD_IDS"),
    ({"DISCORD_SHARDS": "4", "DISCORD_SHARD_IDS": "١"}, "DISCORD_SHARD_IDS"),
]


@pytest.mark.parametrize(
    ("values", "named"),
    SHARDS_BAD,
    ids=[",".join(f"{k}={v}" for k, v in e.items()) for e, _ in SHARDS_BAD],
)
def test_command_exits_2_naming_the_shard_setting_when_shards_are_bad(
    values: dict[str, str], named: str
) -> None:
    env = {f"CRAMPBOT_{name}": value for name, value in values.items()}
    done = run("config", env=env)
    assert done.returncode == 2 and done.stdout == ""
    no_traceback(done.stderr)
    assert done.stderr.startswith(f"crampbot: error: CRAMPBOT_{named}:")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        ("", "", None),
        ("3", "", None),
        ("4", "2-3", (2, 3)),
        ("4", "3, 0", (0, 3)),
        ("1", "0", (0,)),
    ],
)
def test_shard_ids_are_read_when_well_formed(
    count: str, ids: str, expected: tuple[int, ...] | None
) -> None:
    env = {"CRAMPBOT_DISCORD_SHARDS": count} if count else {}
    env |= {"CRAMPBOT_DISCORD_SHARD_IDS": ids} if ids else {}
    assert load_settings(env).shard_ids() == expected
