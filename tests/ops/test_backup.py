"""``crampbot admin backup PATH``: an online copy of the SQLite store that restores the same conversation."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from bot.stores import open_store
from tests.ops.conftest import RedisServer
from tests.ops.test_admin import NIGHT_CRAMPS, admin
from tests.platforms.console.console_driver import Console


async def record_json(url: str, key: str) -> str:
    store = await open_store(url)
    try:
        record = await store.load(key)
        assert record is not None
        return record.to_json()
    finally:
        await store.close()


def test_backup_restores_an_identical_conversation_when_taken_while_chatting(
    tmp_path: Path,
) -> None:
    live, copy = f"sqlite:///{tmp_path / 'bot.db'}", tmp_path / "backup.db"
    bot = Console("--user", "ann", store=live)
    for line in NIGHT_CRAMPS[:4]:
        bot.say(line)
    done = admin(live, "backup", str(copy))  # while the chat still holds the store open
    assert done.returncode == 0, done.stderr
    assert f"backed up the store to {copy}" in done.stdout
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    restored = f"sqlite:///{copy}"
    assert asyncio.run(record_json(restored, "console:ann")) == asyncio.run(
        record_json(live, "console:ann")
    )
    again = Console("--user", "ann", store=restored)
    nxt = bot.say(NIGHT_CRAMPS[4])
    assert again.say(NIGHT_CRAMPS[4]) == nxt, "the restored interview goes on the same way"
    assert bot.close() == 0 and again.close() == 0


def test_backup_refuses_to_overwrite_when_the_file_exists(tmp_path: Path) -> None:
    live, copy = f"sqlite:///{tmp_path / 'bot.db'}", tmp_path / "backup.db"
    copy.write_text("keep me")
    done = admin(live, "backup", str(copy))
    assert done.returncode == 1 and "File exists" in done.stderr
    assert copy.read_text() == "keep me"


def test_backup_points_to_redis_persistence_when_the_store_is_redis(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    done = admin(redis_server.url, "backup", str(tmp_path / "backup.db"))
    assert done.returncode == 2
    assert "Redis keeps its own persistence" in done.stderr and "appendonly" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "backup.db").exists()
