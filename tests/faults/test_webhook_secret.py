"""A webhook secret that could be guessed stops ``crampbot run`` before anything listens."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.faults.chat import no_traceback, run

TOKEN = "7034491582:AAGfq3-Hx1RkP0wZtF8yVdJc2sLmN4bQe_s"
WEAK = ["x", "hunter2", "a" * 31, "has spaces in it and is long enough!!", "é" * 40]


@pytest.mark.parametrize(
    "secret", WEAK, ids=["1 char", "7 chars", "31 chars", "spaces", "non-ASCII"]
)
def test_run_exits_2_naming_the_secret_setting_when_the_webhook_secret_is_weak(
    secret: str, tmp_path
) -> None:
    env = {
        "CRAMPBOT_STORE": f"sqlite:///{tmp_path / 'bot.db'}",
        "CRAMPBOT_TELEGRAM_TOKEN": TOKEN,
        "CRAMPBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
        "CRAMPBOT_TELEGRAM_WEBHOOK_SECRET": secret,
    }
    done = run("run", "telegram", env=env)
    assert done.returncode == 2, done.stderr
    no_traceback(done.stderr)
    assert done.stderr.startswith("crampbot: error: CRAMPBOT_TELEGRAM_WEBHOOK_SECRET:")
    assert "32" in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert secret not in done.stderr
    assert not (tmp_path / "bot.db").exists(), "refused before the store was opened"


def test_webhook_secret_is_accepted_when_it_has_32_characters() -> None:
    Settings(
        telegram_token=TOKEN,
        telegram_webhook_url="https://bot.example.org/telegram",
        telegram_webhook_secret="A1_-" * 8,
    ).require_telegram()
