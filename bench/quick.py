"""Quick mode (``CRAMPBOT_BENCH_QUICK=1``): the same code paths on tiny sizes, for the smoke test.

Numbers from a quick run only show that every benchmark still runs; they judge nothing.
"""

from __future__ import annotations

import os

QUICK = os.environ.get("CRAMPBOT_BENCH_QUICK", "") not in ("", "0")


def sized(full: int, quick: int) -> int:
    """``quick`` in quick mode, else ``full``."""
    return quick if QUICK else full
