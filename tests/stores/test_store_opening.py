"""Opening stores by URL: bad URLs and unusable places fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stores import open_store
from dialogs.store import StoreUnavailable


@pytest.mark.parametrize(
    "url",
    [
        "postgres://localhost/x",
        "redis://127.0.0.1:1/0",
        "redis://127.0.0.1:notaport/0",
        "sqlite:///{tmp}/a_file/crampbot.db",
        "sqlite:///{tmp}",
    ],
    ids=[
        "unknown-scheme",
        "redis-unreachable",
        "redis-bad-port",
        "sqlite-under-file",
        "sqlite-dir",
    ],
)
async def test_open_store_raises_one_line_naming_setting_when_store_is_unusable(
    tmp_path: Path, url: str
) -> None:
    """The CLI prints this message and exits 2, so it must name CRAMPBOT_STORE on one line."""
    (tmp_path / "a_file").write_text("not a directory")
    with pytest.raises(StoreUnavailable) as caught:
        store = await open_store(url.format(tmp=tmp_path))
        await store.close()
    message = str(caught.value)
    assert message.startswith("CRAMPBOT_STORE")
    assert "\n" not in message


async def test_redis_error_hides_password_when_url_has_one() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await open_store("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in str(caught.value)


async def test_sqlite_creates_directories_when_parent_is_missing(tmp_path: Path) -> None:
    db = tmp_path / "a" / "b" / "crampbot.db"
    store = await open_store(f"sqlite:///{db}")
    await store.close()
    assert db.exists()
