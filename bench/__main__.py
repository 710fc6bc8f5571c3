"""Run every benchmark: ``.venv/bin/python -m bench`` (or ``make bench``)."""

from __future__ import annotations

import importlib

MODULES = ("bench.bench_core", "bench.bench_stores", "bench.bench_telegram", "bench.bench_discord")

for name in MODULES:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        print(f"== {name}: not available ({exc}) ==")
        continue
    module.main()
    print()
