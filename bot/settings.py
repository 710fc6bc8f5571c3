"""Settings from the environment (``CRAMPBOT_*``) or a TOML config file, with their origin.

Precedence: environment, then the config file (``--config`` or
``CRAMPBOT_CONFIG``), then defaults. A bad value raises :class:`SettingsError`
naming the setting, and the command line turns it into one line and exit 2.
Validation is strict (finite numbers in range, whole ports, Redis database
numbers, operator ids as positive ASCII integers) and never echoes a secret:
tokens, the webhook secret and URL passwords never reach a message, ``crampbot
config`` or ``repr``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from platformdirs import user_data_dir

PREFIX = "CRAMPBOT_"
SECRETS = frozenset({"telegram_token", "discord_token", "telegram_webhook_secret"})
TELEGRAM_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
MASK = "******"
URLS = frozenset(
    {"store", "telegram_base_url", "telegram_webhook_url", "discord_api_url", "discord_gateway_url"}
)
# Numbers must be finite, above 0 ("at once") and at most this ("never" is not a number).
RANGES = {"idle_hours": 24.0 * 365, "retention_days": 365.0 * 100}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
ID = re.compile(r"[1-9][0-9]{0,19}")
# Telegram allows 1-256 characters; fewer than 32 can be guessed.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}", re.ASCII)
# One shard id (0, 1, ...) or an inclusive range of them (2-3).
SHARD_RANGE = re.compile(r"(0|[1-9][0-9]{0,4})(?:-(0|[1-9][0-9]{0,4}))?", re.ASCII)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"{PREFIX}{setting.upper()}: {problem}")


def default_store_url() -> str:
    return f"sqlite:///{Path(user_data_dir('crampbot')) / 'crampbot.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be configured with. See README "Settings"."""

    store: str = field(default_factory=default_store_url)
    redis_prefix: str = "crampbot:"
    content_dir: str = ""
    locale: str = "en"
    idle_hours: float = 24.0
    retention_days: float = 30.0
    log_level: str = "INFO"
    library_log_level: str = "WARNING"
    log_format: str = "text"
    health_port: int = 0
    health_listen: str = "127.0.0.1"
    telegram_token: str = ""
    telegram_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str = ""
    telegram_operators: tuple[str, ...] = ()
    discord_token: str = ""
    discord_api_url: str = ""
    discord_gateway_url: str = ""
    discord_guild: str = ""
    discord_operators: tuple[str, ...] = ()
    discord_shards: int = 0
    discord_shard_ids: str = ""
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def require_telegram(self) -> None:
        """Check the Telegram settings before anything starts."""
        if not self.telegram_token:
            raise SettingsError("telegram_token", "is not set; get a token from @BotFather")
        if not TELEGRAM_TOKEN.match(self.telegram_token):
            raise SettingsError(
                "telegram_token", "is malformed (expected digits:secret from @BotFather)"
            )
        if self.telegram_webhook_url:
            if not self.telegram_webhook_url.startswith(("https://", "http://")):
                raise SettingsError("telegram_webhook_url", "must be an http(s) URL")
            if not WEBHOOK_SECRET.fullmatch(self.telegram_webhook_secret):
                raise SettingsError(
                    "telegram_webhook_secret",
                    "is required with a webhook and must be 32-256 of A-Z a-z 0-9 _ -"
                    " (make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                )

    def require_discord(self) -> None:
        """Check the Discord settings before anything starts."""
        if not self.discord_token:
            raise SettingsError(
                "discord_token", "is not set; get a bot token from the Developer Portal"
            )
        if self.discord_token.count(".") != 2 or any(not p for p in self.discord_token.split(".")):
            raise SettingsError(
                "discord_token", "is malformed (expected three dot-separated parts)"
            )
        if self.discord_guild and not self.discord_guild.isdigit():
            raise SettingsError("discord_guild", "must be a numeric guild id")
        self.shard_ids()

    def shard_ids(self) -> tuple[int, ...] | None:
        """The Discord shards this process runs, ascending; ``None``: all of them.

        Raises :class:`SettingsError` when ``discord_shard_ids`` is malformed, names
        a shard twice or one not below ``discord_shards``, or is set without it.
        """
        text = self.discord_shard_ids
        if not text:
            return None
        if not self.discord_shards:
            raise SettingsError(
                "discord_shard_ids", f"needs {PREFIX}DISCORD_SHARDS (the total shard count)"
            )
        ids: list[int] = []
        for part in text.split(","):
            found = SHARD_RANGE.fullmatch(part.strip())
            if found is None:
                raise SettingsError(
                    "discord_shard_ids",
                    f"must be shard ids and ranges like 0,1 or 2-3, got {part.strip()!r}",
                )
            first, last = int(found[1]), int(found[2] or found[1])
            if last < first:
                raise SettingsError("discord_shard_ids", f"range {part.strip()!r} runs backwards")
            ids += range(first, last + 1)
        count = self.discord_shards
        if max(ids) >= count:
            raise SettingsError(
                "discord_shard_ids",
                f"names shard {max(ids)}, but with {PREFIX}DISCORD_SHARDS={count}"
                f" the shards are 0-{count - 1}",
            )
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise SettingsError("discord_shard_ids", f"names shard {twice[0]} more than once")
        return tuple(sorted(ids))

    def shown(self) -> list[tuple[str, str, str]]:
        """(setting, value with secrets masked, origin) for ``crampbot config``."""
        return [
            (PREFIX + name.upper(), text, self.origins.get(name, "default"))
            for name, text in self._safe()
        ]

    def secrets(self) -> list[str]:
        """Every secret value set (tokens, webhook secret, URL passwords), for log redaction."""
        found = [getattr(self, name) for name in SECRETS]
        found += [urlsplit(getattr(self, name)).password or "" for name in URLS]
        return [value for value in found if value]

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{name}={text!r}' for name, text in self._safe())})"

    def _safe(self) -> list[tuple[str, str]]:
        rows = []
        for f in fields(self):
            if f.name == "origins":
                continue
            value = getattr(self, f.name)
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            if f.name in SECRETS and text:
                text = MASK
            elif f.name in URLS:
                text = without_password(text)
            rows.append((f.name, text))
        return rows


def without_password(url: str) -> str:
    """``url`` with any password replaced by :data:`MASK`."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:{MASK}@{host}").geturl()


def load_settings(
    env: Mapping[str, str] | None = None, config: str | Path | None = None
) -> Settings:
    """Read settings; raise :class:`SettingsError` naming the first bad one."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    path = config or env.get(PREFIX + "CONFIG")
    known = {f.name: f for f in fields(Settings) if f.name != "origins"}
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError("config", f"cannot read {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError("config", f"{path} is not valid TOML: {exc}") from exc
        for raw_key, value in data.items():
            name = raw_key.lower().removeprefix(PREFIX.lower())
            if name not in known:
                raise SettingsError(name, f"is not a setting (in {path})")
            values[name], origins[name] = value, f"config file {path}"
    for name in known:
        if PREFIX + name.upper() in env:
            values[name], origins[name] = env[PREFIX + name.upper()], "environment"
    converted = {name: _convert(name, known[name].type, value) for name, value in values.items()}
    if "redis_prefix" in converted:
        try:
            converted["redis_prefix"] = redis_prefix(converted["redis_prefix"])
        except ValueError as exc:
            raise SettingsError("redis_prefix", str(exc)) from None
    settings = Settings(**converted, origins=origins)
    _check(settings)
    return settings


def _convert(name: str, kind: Any, value: Any) -> Any:
    kind = str(kind)
    shown = "(hidden)" if name in SECRETS else repr(without_password(str(value)))
    if kind == "float":
        number, high = _number(value), RANGES[name]
        if number is None or not 0 < number <= high:
            raise SettingsError(
                name, f"must be a positive number (finite, at most {high:g}), got {shown}"
            )
        return number
    if kind == "int":
        text = str(value).strip() if isinstance(value, (str, int)) else ""
        if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,5}", text, re.ASCII):
            raise SettingsError(name, f"must be a whole number, got {shown}")
        return int(text)
    if kind.startswith("tuple"):
        items = value if isinstance(value, list) else str(value).split(",")
        ids = tuple(str(i).strip() for i in items if str(i).strip())
        bad = [i for i in ids if not ID.fullmatch(i)]
        if bad:
            raise SettingsError(
                name,
                f"must be comma-separated numeric ids (positive whole numbers written with"
                f" 0-9, no leading zero), got {bad[0]!r}",
            )
        return ids
    if not isinstance(value, str):
        raise SettingsError(name, f"must be text, got {shown}")
    return value.strip()


def redis_prefix(value: str) -> str:
    """``value`` as a Redis key prefix: non-empty, no whitespace, ending with ``:`` (added
    when missing). Raises :class:`ValueError` saying what is wrong."""
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"must be non-empty text without spaces, like crampbot:, got {value!r}")
    return value if value.endswith(":") else value + ":"


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None (``inf``, ``nan``, ``1e999``, booleans, text)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _check(settings: Settings) -> None:
    _check_store(settings.store)
    for name in ("log_level", "library_log_level"):
        if getattr(settings, name).upper() not in LEVELS:
            raise SettingsError(name, f"must be {', '.join(LEVELS[:-1])} or {LEVELS[-1]}")
    if settings.log_format not in LOG_FORMATS:
        raise SettingsError("log_format", "must be text or json")
    if not 1 <= settings.telegram_webhook_port <= 65535:
        raise SettingsError("telegram_webhook_port", "must be a port number 1-65535")
    if settings.health_port > 65535:
        raise SettingsError("health_port", "must be a port number 1-65535 (or unset: no endpoint)")
    if not settings.health_listen:
        raise SettingsError("health_listen", "must be an address to listen on, e.g. 127.0.0.1")
    if settings.discord_guild and not ID.fullmatch(settings.discord_guild):
        raise SettingsError("discord_guild", "must be a numeric guild id")
    if "discord_shards" in settings.origins and settings.discord_shards < 1:
        raise SettingsError(
            "discord_shards", "must be a whole number of shards, at least 1 (or unset)"
        )
    settings.shard_ids()
    for name in URLS - {"store"}:
        url = getattr(settings, name)
        if url and not _is_http_url(url):
            raise SettingsError(
                name, f"must be an http(s) or ws(s) URL, got {without_password(url)!r}"
            )


def _check_store(url: str) -> None:
    usage = "use sqlite:///PATH, redis://HOST:PORT/DB or memory://"
    if url.startswith("memory://"):
        return
    if url.startswith("sqlite:///"):
        if not url.removeprefix("sqlite:///").strip():
            raise SettingsError("store", f"names no file; {usage}")
        return
    if not url.startswith(("redis://", "rediss://")):
        raise SettingsError("store", f"unsupported URL {without_password(url)!r}; {usage}")
    shown = without_password(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        databases = parse_qs(parts.query).get("db", [])
    except ValueError:
        raise SettingsError("store", f"has a bad port in {shown!r}; {usage}") from None
    path = parts.path.strip("/")
    for database in [path] * bool(path) + databases:
        if not re.fullmatch(r"[0-9]{1,5}", database, re.ASCII):
            raise SettingsError(
                "store", f"Redis database must be a number like /0, got {database!r} in {shown!r}"
            )


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https", "ws", "wss") and bool(parts.hostname)
