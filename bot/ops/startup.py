"""The one start-up line per platform: which bot, which version, which store, how to reach it."""

from __future__ import annotations

import logging
import re
from importlib.metadata import PackageNotFoundError, version

from bot.settings import Settings

log = logging.getLogger("crampbot")
# scheme://user:password@ -> scheme://
CREDENTIALS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/]*@")


def installed_version() -> str:
    """The installed distribution's version (the wheel's metadata, not a copy in the code)."""
    try:
        return version("crampbot")
    except PackageNotFoundError:
        return "unknown (not installed)"


def without_credentials(url: str) -> str:
    """``url`` without any user name or password (``redis://:pw@host/0`` -> ``redis://host/0``)."""
    return CREDENTIALS.sub(r"\1", url)


def startup_line(
    settings: Settings,
    platform: str,
    name: str,
    bot_id: int | str,
    link_kind: str,
    link: str,
    extra: str = "",
) -> str:
    """E.g. ``crampbot 0.2.0 on discord as Cramps#1234 (id 42); store sqlite:///...; 1 operator; invite https://...``.

    ``extra`` (e.g. ``shards 0-1 of 4``) ends the line when given.
    """
    operators = len(getattr(settings, f"{platform}_operators", ()))
    plural = "" if operators == 1 else "s"
    return (
        f"crampbot {installed_version()} on {platform} as {name} (id {bot_id});"
        f" store {without_credentials(settings.store)}; {operators} operator{plural};"
        f" {link_kind} {link}" + (f"; {extra}" if extra else "")
    )


def log_started(
    settings: Settings,
    platform: str,
    name: str,
    bot_id: int | str,
    link_kind: str,
    link: str,
    extra: str = "",
) -> None:
    """Log :func:`startup_line` at INFO (the line operators look for after a start)."""
    log.info("%s", startup_line(settings, platform, name, bot_id, link_kind, link, extra))
