"""A second bot process for the cross-process tests: drives an Engine on a shared SQLite file.

Usage: ``python -m tests.stores.engine_worker DB KEY MODE COUNT TAG [STEP]``. It prints
``ready``, waits for a line on stdin (so both processes start together), sends COUNT
events at once (MODE ``press``: the red_flags "none" button of STEP; ``restart``: /restart),
and prints a JSON count of the message kinds it got back.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from bot.stores.sqlite_store import SqliteStore
from dialogs.engine import Engine
from dialogs.loading import load_content
from dialogs.machine import Interview
from dialogs.types import Incoming
from tests.conftest import ROOT
from tests.stores.store_helpers import kinds


def event(mode: str, tag: str, n: int, step: int | None) -> Incoming:
    if mode == "press":
        return Incoming(choice=("none",), question="red_flags", step=step, event_id=f"{tag}{n}")
    return Incoming(command="restart", event_id=f"{tag}{n}")


async def drive(interview: Interview, argv: list[str]) -> Counter[str]:
    db, key, mode, count, tag = argv[:5]
    step = int(argv[5]) if len(argv) > 5 else None
    store = await SqliteStore.open(db)
    try:
        engine = Engine(interview, store)
        events = [event(mode, tag, n, step) for n in range(int(count))]
        results = await asyncio.gather(*(engine.handle(key, e) for e in events))
    finally:
        await store.close()
    return Counter(kind for replies in results for kind in set(kinds(replies)))


def main() -> None:
    interview = Interview(load_content(ROOT / "content"))
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(asyncio.run(drive(interview, sys.argv[1:]))), flush=True)


if __name__ == "__main__":
    main()
