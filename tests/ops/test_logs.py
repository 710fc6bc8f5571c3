"""Log lines an operator can use: JSON when asked, redacted either way, no voice warnings."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import FORMAT, REDACTED, JsonFormatter, Redactor, quiet_voice_warnings
from bot.runner import describe

SECRET = "123456789:AAHsecretsecretsecretsecretsecret00"


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor([SECRET]))
    log = logging.getLogger("tests.ops.logs")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, stream, handler
    log.removeHandler(handler)


def test_json_lines_parse_and_are_redacted_when_log_format_is_json(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, handler = logger
    handler.setFormatter(JsonFormatter())
    log.info("calling https://api.telegram.org/bot%s/getMe", SECRET)
    try:
        raise ConnectionError(f"failed for redis://:hunter22@db:6379/0 with {SECRET}")
    except ConnectionError:
        log.exception("store failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        f"calling https://api.telegram.org/bot{REDACTED}/getMe",
        "store failed",
    ]
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "tests.ops.logs"
    assert "ConnectionError" in lines[1]["traceback"]
    assert SECRET not in stream.getvalue() and "hunter22" not in stream.getvalue()


def test_text_lines_keep_the_usual_format_when_log_format_is_text(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, handler = logger
    handler.setFormatter(logging.Formatter(FORMAT))
    log.warning("token %s", SECRET)
    assert stream.getvalue().rstrip().endswith(f"WARNING tests.ops.logs: token {REDACTED}")


def test_only_the_voice_warnings_are_dropped_when_discord_logs_at_start() -> None:
    quiet_voice_warnings()  # what configure() does; configure itself would change the root logger
    voice = logging.getLogger("discord.client")
    kept: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record.getMessage())

    keep = Keep()
    voice.addHandler(keep)
    try:
        voice.warning("PyNaCl is not installed, voice will NOT be supported")
        voice.warning("davey is not installed, voice will NOT be supported")
        voice.warning("Shard ID %s has stopped responding to the gateway.", None)
    finally:
        voice.removeHandler(keep)
    assert kept == ["Shard ID None has stopped responding to the gateway."]


def test_failure_description_names_each_cause_when_errors_are_chained() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)")
        except OSError as exc:
            raise RuntimeError("All connection attempts failed") from exc
    except RuntimeError as exc:
        text = describe(exc)
    assert text == (
        "RuntimeError: All connection attempts failed; caused by"
        " ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    )
