"""Earlier ways of doing what a benchmark measures, to run beside ours in the same rounds."""

from __future__ import annotations

from bot.stores.saved import SavedRecords
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
