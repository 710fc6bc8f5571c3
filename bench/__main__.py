"""Run every benchmark: ``.venv/bin/python -m bench`` (or ``make bench``).

Each one prints under a ``== <name> ==`` header. A benchmark that fails prints
its traceback and the others still run; the exit status is then 1.
``CRAMPBOT_BENCH_QUICK=1`` runs them all on tiny sizes (a smoke test, not a measurement).
"""

from __future__ import annotations

import importlib
import sys
import traceback

from bench.quick import QUICK

MODULES = ("bench_core", "bench_stores", "bench_telegram", "bench_discord", "bench_replicas")


def main() -> int:
    if QUICK:
        print("quick mode (CRAMPBOT_BENCH_QUICK): tiny sizes, the numbers judge nothing\n")
    failed = []
    for name in MODULES:
        print(f"== {name} ==", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
