"""The ConversationStore contract, run against every store (memory, SQLite, Redis)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dialogs.record import CorruptRecord
from dialogs.store import FORGOTTEN, AuditEntry, ConversationStore
from tests.stores.store_helpers import STORES, Corrupt, sample

pytestmark = pytest.mark.parametrize("store", STORES, indirect=True)


async def test_load_returns_what_was_saved_when_saved_once(store: ConversationStore) -> None:
    """A record comes back equal, multi answers as tuples, event ids kept."""
    record = sample()
    assert await store.save(record, 0)
    assert await store.load(record.key) == record


async def test_load_returns_none_when_nothing_stored(store: ConversationStore) -> None:
    assert await store.load("telegram:404") is None


async def test_save_succeeds_when_expected_version_matches(store: ConversationStore) -> None:
    """Compare-and-set: the writer that saw version 1 may write version 2."""
    assert await store.save(sample(version=1), 0)
    assert await store.save(sample(version=2, updated_at=2000.0), 1)
    loaded = await store.load("telegram:1")
    assert loaded is not None
    assert (loaded.version, loaded.updated_at) == (2, 2000.0)


async def test_save_refuses_when_expected_version_is_stale(store: ConversationStore) -> None:
    """A writer that read an older version loses; the stored record is untouched."""
    assert await store.save(sample(version=1), 0)
    assert await store.save(sample(version=2), 1)
    assert not await store.save(sample(version=2, updated_at=5.0), 1)
    assert not await store.save(sample(version=9), 8)
    loaded = await store.load("telegram:1")
    assert loaded is not None
    assert (loaded.version, loaded.updated_at) == (2, 1000.0)


async def test_insert_refuses_when_record_exists(store: ConversationStore) -> None:
    """Two first events racing: only one may create the record."""
    assert await store.save(sample(version=1), 0)
    assert not await store.save(sample(version=1, updated_at=5.0), 0)
    loaded = await store.load("telegram:1")
    assert loaded is not None
    assert loaded.updated_at == 1000.0


async def test_delete_removes_record_when_it_exists(store: ConversationStore) -> None:
    await store.save(sample(), 0)
    assert await store.delete("telegram:1")
    assert await store.load("telegram:1") is None
    assert not await store.delete("telegram:1")
    assert [r async for r in store.scan()] == []


async def test_save_creates_again_when_record_was_deleted(store: ConversationStore) -> None:
    """After a delete the key starts over at version 0."""
    await store.save(sample(version=3), 0)
    await store.delete("telegram:1")
    assert await store.save(sample(version=1), 0)


async def test_scan_yields_every_record_when_several_stored(store: ConversationStore) -> None:
    keys = {f"discord:{n}" for n in range(7)}
    for key in keys:
        await store.save(sample(key), 0)
    assert {r.key async for r in store.scan()} == keys


async def test_scan_skips_and_logs_record_when_it_is_corrupt(
    store: ConversationStore, corrupt: Corrupt, caplog: pytest.LogCaptureFixture
) -> None:
    """One bad record must not hide the others from operators."""
    for key in ("telegram:1", "telegram:2", "telegram:3"):
        await store.save(sample(key), 0)
    await corrupt(store, "telegram:2")
    with caplog.at_level(logging.WARNING):
        keys = {r.key async for r in store.scan()}
    assert keys == {"telegram:1", "telegram:3"}
    assert any("telegram:2" in m for m in caplog.messages)


async def test_load_raises_corrupt_record_when_record_is_garbage(
    store: ConversationStore, corrupt: Corrupt
) -> None:
    await store.save(sample(), 0)
    await corrupt(store, "telegram:1")
    with pytest.raises(CorruptRecord):
        await store.load("telegram:1")


async def test_purge_deletes_only_old_records_when_some_are_idle(store: ConversationStore) -> None:
    """Records updated before the cut-off go; the one updated at or after it stays."""
    for n, updated in enumerate((100.0, 200.0, 250.0, 300.0)):
        await store.save(sample(f"telegram:{n}", updated_at=updated), 0)
    assert await store.purge(250.0) == 2
    assert {r.key async for r in store.scan()} == {"telegram:2", "telegram:3"}
    assert await store.load("telegram:0") is None
    assert await store.purge(250.0) == 0


async def test_purge_uses_latest_update_when_record_was_saved_again(
    store: ConversationStore,
) -> None:
    """The index follows every save, so an active conversation is not purged."""
    await store.save(sample(updated_at=100.0), 0)
    await store.save(sample(version=2, updated_at=900.0), 1)
    assert await store.purge(500.0) == 0
    assert await store.load("telegram:1") is not None


async def test_audit_returns_newest_first_when_limited(store: ConversationStore) -> None:
    for n in range(5):
        await store.add_audit(AuditEntry(float(n), "op", "telegram:7", f"action{n}", "k", "ok"))
    newest = await store.audit(3)
    assert [e.action for e in newest] == ["action4", "action3", "action2"]
    assert newest[0] == AuditEntry(4.0, "op", "telegram:7", "action4", "k", "ok")
    assert len(await store.audit()) == 5
    assert await store.audit(0) == []


async def test_scan_and_purge_reach_every_record_when_there_are_many(
    store: ConversationStore,
) -> None:
    """Stores page through big tables in batches; no record may fall between two batches."""
    keys = {f"telegram:{n}" for n in range(1234)}
    for n, key in enumerate(sorted(keys)):
        await store.save(sample(key, updated_at=float(n)), 0)
    assert {r.key async for r in store.scan()} == keys
    assert await store.purge(1200.0) == 1200
    assert len([r async for r in store.scan()]) == 34


async def test_delete_leaves_audit_entries_without_the_key_when_person_is_forgotten(
    store: ConversationStore,
) -> None:
    await store.save(sample("telegram:555"), 0)
    await store.add_audit(AuditEntry(1.0, "telegram:42", "dm", "restart", "telegram:555", "done"))
    await store.add_audit(
        AuditEntry(2.0, "telegram:555", "group", "refused", "", "not an operator")
    )
    await store.add_audit(AuditEntry(3.0, "telegram:42", "dm", "restart", "telegram:556", "done"))
    await store.delete("telegram:555")
    entries = await store.audit(10)
    assert [(e.actor, e.key) for e in entries] == [
        ("telegram:42", "telegram:556"),
        ("telegram:42", FORGOTTEN),
    ]
    (refused,) = await store.audit(10, refused=True)
    assert (refused.actor, refused.origin, refused.key) == (FORGOTTEN, FORGOTTEN, "")
    assert (refused.at, refused.action, refused.result) == (2.0, "refused", "not an operator")


async def test_ping_answers_and_count_follows_saves_and_deletes_when_the_store_is_up(
    store: ConversationStore,
) -> None:
    await store.ping()
    assert await store.count() == 0
    assert await store.save(sample(key="telegram:1"), 0)
    assert await store.save(sample(key="discord:2"), 0)
    assert await store.count() == 2
    assert await store.delete("telegram:1")
    assert await store.count() == 1


async def test_meta_keeps_the_last_value_when_set_twice(store: ConversationStore) -> None:
    assert await store.get_meta("discord_commands:1:global") is None
    await store.set_meta("discord_commands:1:global", "aaa")
    await store.set_meta("discord_commands:1:global", "bbb")
    await store.set_meta("other", "x")
    assert await store.get_meta("discord_commands:1:global") == "bbb"
    assert await store.get_meta("other") == "x"
    assert await store.count() == 0, "meta values are not conversations"


async def test_lease_is_held_by_one_holder_until_released(store: ConversationStore) -> None:
    """One holder at a time; the holder renews; only the holder releases; then another takes it."""
    assert await store.lease("retention", "a", 60)
    assert not await store.lease("retention", "b", 60)
    assert await store.lease("retention", "a", 60), "the holder renews its lease"
    assert await store.lease("other", "b", 60), "leases are separate by name"
    await store.release("retention", "b")
    assert not await store.lease("retention", "b", 60), "only the holder releases"
    await store.release("retention", "a")
    assert await store.lease("retention", "b", 60)
    assert await store.count() == 0, "leases are not conversations"


async def test_lease_goes_to_another_holder_once_expired(store: ConversationStore) -> None:
    """A holder that died loses its lease when it expires."""
    assert await store.lease("setup", "a", 0.05)
    deadline = 200
    while not await store.lease("setup", "b", 60):
        deadline -= 1
        assert deadline, "the expired lease was never given to another holder"
        await asyncio.sleep(0.01)
    assert not await store.lease("setup", "a", 60)
