"""Logging that cannot leak: secrets redacted on every handler, chatty libraries kept quiet.

Every handler of the root logger gets a :class:`Redactor`, so a record is
cleaned whichever logger wrote it: Bot API URLs (``bot<token>/``), Telegram and
Discord tokens, the webhook secret, URL passwords and ``Authorization`` headers
become ``[redacted]``, also in tracebacks. Library loggers (python-telegram-bot,
httpx, discord.py, redis, aiohttp, transitions, ...) stay at
``CRAMPBOT_LIBRARY_LOG_LEVEL`` (WARNING by default) whatever ``CRAMPBOT_LOG_LEVEL``
says: below WARNING they print update payloads, which contain health data.

``CRAMPBOT_LOG_FORMAT=json`` writes one JSON object per line instead (the
redactor runs before either format). discord.py's two start-up warnings about
voice support (PyNaCl, davey) are dropped: crampbot never uses voice.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import TextIO

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers of the libraries we use; their debug output holds payloads and URLs with tokens.
LIBRARIES = (
    "telegram",
    "httpx",
    "httpcore",
    "hpack",
    "h2",
    "discord",
    "websockets",
    "aiohttp",
    "redis",
    "asyncio",
    "transitions",
    "apscheduler",
    "urllib3",
)

PATTERNS = (
    # A Telegram bot token, alone or in a Bot API URL (.../bot<token>/getMe).
    re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}"),
    # A Discord bot token: three base64url parts separated by dots.
    re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"),
    # Credentials in headers.
    re.compile(r"(?i)(?<=authorization: )(?:bot |bearer )?[^\s'\",]+"),
    re.compile(r"(?i)(?<=x-telegram-bot-api-secret-token: )[^\s'\",]+"),
    re.compile(r"(?i)(?<=['\"]x-telegram-bot-api-secret-token['\"]: ['\"])[^'\"]+"),
    re.compile(r"(?i)(?<=['\"]authorization['\"]: ['\"])[^'\"]+"),
)
# The password of a URL: scheme://user:PASSWORD@host.
URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")


# discord.py warns at every start that voice is not supported; crampbot has no voice.
VOICE_WARNINGS = ("PyNaCl is not installed, voice", "davey is not installed, voice")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["traceback"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


class _NoVoiceWarnings(logging.Filter):
    """Drops discord.py's "voice will NOT be supported" warnings, nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(VOICE_WARNINGS)


def quiet_voice_warnings() -> None:
    """Filter discord.py's voice warnings out at their logger (once, whatever the handlers)."""
    voice = logging.getLogger("discord.client")
    if not any(isinstance(f, _NoVoiceWarnings) for f in voice.filters):
        voice.addFilter(_NoVoiceWarnings())


class Redactor(logging.Filter):
    """Replaces secrets in a record's message and traceback before any handler writes it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
        for pattern in PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what can be shown safely
            message = str(record.msg)
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure(
    level: str,
    library_level: str,
    stream: TextIO,
    secrets: Iterable[str] = (),
    form: str = "text",
) -> Redactor:
    """Log to ``stream`` at ``level``, every handler through a :class:`Redactor`.

    Like :func:`logging.basicConfig`, a handler is added only when the root logger
    has none; it writes ``form`` (``text`` or ``json``). The redactor goes on every
    root handler, replacing an earlier one. Library loggers are set to ``library_level``.
    """
    redactor = Redactor(secrets)
    root = logging.getLogger()
    if not root.handlers:
        console = logging.StreamHandler(stream)
        console.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(FORMAT))
        root.addHandler(console)
    quiet_voice_warnings()
    root.setLevel(level.upper())
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, Redactor)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(library_level.upper())
    return redactor
