"""The records a store keeps for step loads: copies in and out, bounded, every field kept."""

from __future__ import annotations

from dataclasses import fields

from bot.stores.saved import SavedRecords
from dialogs.record import Conversation
from tests.stores.store_helpers import sample


def every_field_set() -> Conversation:
    """A record whose every field differs from its default."""
    return Conversation(
        key="telegram:9",
        state="when",
        dialog_version="2026.1",
        created_at=1.0,
        updated_at=2.0,
        answers={"where": "calf"},
        version=3,
        recent_events=("e",),
        notice="operator_restart",
        pending="story",
        inactive=True,
        candidates=("night",),
        story={"when": "night"},
        told=("when",),
        asked=2,
        shown="m1",
        draft=("a",),
        locale="es",
        chose_locale=True,
    )


def test_copy_keeps_every_field_when_each_is_set() -> None:
    record = every_field_set()
    defaults = Conversation("k", "s", "v", 0.0, 0.0)
    changed = [
        f.name for f in fields(Conversation) if getattr(record, f.name) == getattr(defaults, f.name)
    ]
    assert changed == []  # the sample really sets every field, so the copy is checked on all
    twin = record.copy()
    assert twin == record and twin is not record
    twin.answers["when"] = "night"
    twin.story.clear()
    assert record.answers == {"where": "calf"} and record.story == {"when": "night"}


def test_saved_record_is_a_copy_when_put_and_when_got() -> None:
    saved = SavedRecords()
    record = sample()
    saved.put(record, "s1")
    record.answers["when"] = "night"
    got = saved.get(record.key)
    assert got is not None and "when" not in got.record.answers
    got.record.answers["x"] = "y"
    again = saved.get(record.key)
    assert again is not None and "x" not in again.record.answers
    assert (again.version, again.stamp) == (1, "s1")


def test_least_recently_used_goes_first_when_over_the_bound() -> None:
    saved = SavedRecords(size=2)
    for n in (1, 2):
        saved.put(sample(f"telegram:{n}"))
    saved.get("telegram:1")  # used: telegram:2 is now the oldest
    saved.put(sample("telegram:3"))
    assert len(saved) == 2
    assert saved.get("telegram:2") is None and saved.get("telegram:1") is not None


def test_stamp_is_empty_when_the_version_is_not_the_one_seen() -> None:
    saved = SavedRecords()
    saved.put(sample(version=4), "s4")
    assert saved.stamp("telegram:1", 4) == "s4"
    assert saved.stamp("telegram:1", 3) == ""
    assert saved.stamp("telegram:2", 4) == ""


def test_nothing_is_kept_when_the_size_is_zero() -> None:
    saved = SavedRecords(size=0)
    saved.put(sample())
    assert len(saved) == 0 and saved.get("telegram:1") is None
