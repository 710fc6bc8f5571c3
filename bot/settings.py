"""Settings from the environment (``CRAMPBOT_*``) or a TOML config file, with their origin.

Precedence: environment, then the config file (``--config`` or
``CRAMPBOT_CONFIG``), then defaults. A bad value raises :class:`SettingsError`
naming the setting, and the command line turns it into one line and exit 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

PREFIX = "CRAMPBOT_"
SECRETS = frozenset({"telegram_token", "discord_token", "telegram_webhook_secret"})
TELEGRAM_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")


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
    content_dir: str = ""
    locale: str = "en"
    idle_hours: float = 24.0
    retention_days: float = 30.0
    log_level: str = "INFO"
    telegram_token: str = ""
    telegram_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str = ""
    telegram_operators: tuple[str, ...] = ()
    discord_token: str = ""
    discord_api_url: str = ""
    discord_gateway_url: str = ""
    discord_guild: str = ""
    discord_operators: tuple[str, ...] = ()
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
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.telegram_webhook_secret):
                raise SettingsError(
                    "telegram_webhook_secret",
                    "is required with a webhook: 1-256 of A-Z a-z 0-9 _ -",
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

    def shown(self) -> list[tuple[str, str, str]]:
        """(setting, value with secrets masked, origin) for ``crampbot config``."""
        rows = []
        for f in fields(self):
            if f.name == "origins":
                continue
            value = getattr(self, f.name)
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            if f.name in SECRETS and text:
                text = text[:4] + "…" + "*" * 6 if len(text) > 8 else "*" * 6
            rows.append((PREFIX + f.name.upper(), text, self.origins.get(f.name, "default")))
        return rows


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
    settings = Settings(**converted, origins=origins)
    _check(settings)
    return settings


def _convert(name: str, kind: Any, value: Any) -> Any:
    kind = str(kind)
    try:
        if kind == "float":
            number = float(value)
            if number <= 0:
                raise ValueError
            return number
        if kind == "int":
            return int(value)
        if kind.startswith("tuple"):
            items = value if isinstance(value, list) else str(value).split(",")
            ids = tuple(str(i).strip() for i in items if str(i).strip())
            if not all(i.lstrip("-").isdigit() for i in ids):
                raise ValueError
            return ids
    except (TypeError, ValueError):
        want = {"float": "a positive number", "int": "a whole number"}.get(
            kind, "comma-separated numeric ids"
        )
        raise SettingsError(name, f"must be {want}, got {value!r}") from None
    return str(value).strip()


def _check(settings: Settings) -> None:
    if not re.match(r"^(sqlite:///|redis://|rediss://|memory://)", settings.store):
        raise SettingsError(
            "store",
            f"unsupported URL {settings.store!r}; use sqlite:///PATH, redis://HOST:PORT/DB or memory://",
        )
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("log_level", "must be DEBUG, INFO, WARNING or ERROR")
    if not 1 <= settings.telegram_webhook_port <= 65535:
        raise SettingsError("telegram_webhook_port", "must be a port number 1-65535")
