"""Earlier ways of doing what a benchmark measures, to run beside ours in the same rounds."""

from __future__ import annotations

from bot.stores.saved import SavedRecords
from bot.stores.sqlite_store import SqliteStore
from dialogs.engine import Engine
from dialogs.record import Conversation
from dialogs.turn import Change
from dialogs.types import ConversationKey


def shown_in_a_transaction(engine: Engine) -> Engine:
    """``engine`` noting where a question is shown as it did before ``note_shown``: a
    transaction of its own (the key's lock, a load, a compare-and-set save)."""

    def change(ref: str, step: int, record: Conversation | None) -> Change:
        if record is None or record.asked != step or record.shown == ref:
            return Change()
        record.shown = ref
        return Change(record=record)

    async def shown(key: ConversationKey | str, ref: str, step: int) -> None:
        await engine._transact(str(key), lambda record, _, now: change(ref, step, record))

    engine.shown = shown  # type: ignore[method-assign]
    return engine


def without_saved_records(engine: Engine) -> Engine:
    """``engine`` with its store keeping no saved records: every step load reads the store,
    and a SQLite save reads the row it replaces (as before SQLite kept them)."""
    store = engine.store
    if hasattr(store, "saved"):
        store.saved = SavedRecords(0)
    return engine


def sqlite_as_before(engine: Engine) -> Engine:
    """``engine`` with its SQLite store writing the ``updated_at`` column (and so its index)
    on every save, as before the column moved in steps."""
    store = engine.store
    if isinstance(store, SqliteStore):
        replace = store._replace
        store._replace = (  # type: ignore[method-assign]
            lambda record, expected, data, old, moved: replace(record, expected, data, old, True)
        )
    return engine
