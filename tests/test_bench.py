"""Smoke test of the benchmarks: ``python -m bench`` in quick mode runs and prints every number.

It checks that each benchmark still runs and prints its ratio and goal lines
with positive numbers; it never checks that a goal is met (speed is judged by
running the benchmarks on demand, not by tests).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REDIS_URL, ROOT

NUMBER = r"(\d+(?:\.\d+)?)"


def throughput(goal: str) -> list[str]:
    """The lines a chat-platform benchmark prints, with its goal ratio."""
    return [
        rf"^ratio \(ours / bare throughput\): wall {NUMBER}, CPU {NUMBER} \(medians\); goal >= {goal}$",
        r"^per-round wall ratios \[(.+)\]$",
        r"^per-round CPU ratios  \[(.+)\]$",
    ]


SHOWN_BEFORE = (
    rf"^ratio ours / before \(shown in a transaction\): wall {NUMBER}, CPU {NUMBER} \(medians\)$"
)
"""Noting where a question is shown as one write, against a transaction of its own."""

EXPECTED = {
    "bench_core": [
        rf"^ratio engine step / bare trigger: p50 {NUMBER}x \(goal <= 3x\), p99 {NUMBER}x \(goal <= 2x\)$",
        rf"^  the same trigger with our cached condition: p50 {NUMBER} us, p99 {NUMBER} us;"
        rf" engine step / it: p50 {NUMBER}x, p99 {NUMBER}x$",
        rf"^understanding one typed reply, .*: p50 {NUMBER} us, p99 {NUMBER} us$",
        rf"^ratio understanding / bare look-up: p50 {NUMBER}x, p99 {NUMBER}x$",
        rf"^Engine.shown .*, ours / as a transaction \(before\): p50 {NUMBER}x, p99 {NUMBER}x$",
        rf"^memory per idle conversation record .*: {NUMBER} bytes \(goal <= 2048\)$",
        rf"^start-up of .*: {NUMBER} ms; bare interpreter {NUMBER} ms; ratio {NUMBER}x$",
    ],
    "bench_stores": [
        rf"^  memory .* ratio to memory: p50 x{NUMBER}, p99 x{NUMBER}$",
        rf"^  sqlite .* ratio to memory: p50 x{NUMBER}, p99 x{NUMBER}$",
        *(
            [
                rf"^  redis ours .* ratio to memory: p50 x{NUMBER}, p99 x{NUMBER}$",
                rf"^  redis ours: Redis round trips per answer step {NUMBER} \(most \d+\),"
                rf" first step of an interview {NUMBER}, per Engine.shown {NUMBER}$",
                rf"^  redis ours +shown p50 +{NUMBER} p99 +{NUMBER}, before .*"
                rf" \(x{NUMBER}, x{NUMBER}\); press p50 .* \(x{NUMBER}, x{NUMBER}\)$",
            ]
            if os.environ.get("CI")
            else []
        ),
        rf"^  sqlite +shown p50 +{NUMBER} p99 +{NUMBER}, before .*"
        rf" \(x{NUMBER}, x{NUMBER}\); press p50 .* \(x{NUMBER}, x{NUMBER}\)$",
        rf"^  ratio \S+/\S+: p50 x{NUMBER} \(goal <= 1\.2\), p99 x{NUMBER}$",
    ],
    "bench_telegram": [
        *throughput(r"1\.0"),
        *(
            rf"^ratio ours / before \({name}\): wall {NUMBER}, CPU {NUMBER} \(medians\)$"
            for name in (
                "noting shown in a transaction",
                "with PTB's typed methods",
                "SQLite keeping no saved records",
                "through Bot.do_api_request",
                "SQLite writing updated_at every save",
            )
        ),
    ],
    "bench_discord": [
        *throughput(r"0\.9"),
        rf"^of ours: {NUMBER} us CPU in the engine .*; bare / \(ours without the engine\) CPU ratio {NUMBER}$",
        SHOWN_BEFORE,
        rf"^ratio ours / before \(updated_at every save\): wall {NUMBER}, CPU {NUMBER} \(medians\)$",
    ],
    # Without Redis (outside CI) it prints that it skipped.
    "bench_replicas": [
        rf"^{NUMBER} interviews at once, {NUMBER} updates a batch, {NUMBER} interleaved rounds$",
        *(
            rf"^{n} replicas?: {NUMBER} updates/s, p99 {NUMBER} ms;"
            rf" ratio to 1 process: throughput x{NUMBER}, p99 x{NUMBER}$"
            for n in (1, 2)
        ),
    ]
    if os.environ.get("CI")
    else [],
}


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess[str]:
    """One quick run of every benchmark (Redis numbers use the tests' database, which tests flush)."""
    env = {**os.environ, "CRAMPBOT_BENCH_QUICK": "1", "CRAMPBOT_BENCH_REDIS": REDIS_URL}
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,  # hang guard only; a quick run takes seconds (replica processes: ~15 s)
    )


def sections(output: str) -> dict[str, list[str]]:
    """The printed lines under each ``== name ==`` header."""
    found: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in output.splitlines():
        if header := re.fullmatch(r"== (\w+) ==", line):
            lines = found.setdefault(header[1], [])
        else:
            lines.append(line)
    return found


def numbers(groups: tuple[str, ...]) -> list[float]:
    """Every number in the matched groups (a group may hold a list like ``0.81, 0.85``)."""
    return [float(n) for group in groups for n in group.split(",")]


def test_benchmarks_exit_cleanly_when_run_quick(
    quick_run: subprocess.CompletedProcess[str],
) -> None:
    """Status 0, no warning or traceback, and every benchmark printed under its header."""
    assert quick_run.returncode == 0, quick_run.stderr
    assert "Traceback" not in quick_run.stderr, quick_run.stderr
    assert "Exception ignored" not in quick_run.stderr, quick_run.stderr
    assert list(sections(quick_run.stdout)) == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_benchmark_prints_positive_ratios_when_run_quick(
    quick_run: subprocess.CompletedProcess[str], name: str
) -> None:
    """Each ratio and goal line is there once, with positive finite numbers (goals are not judged)."""
    printed = sections(quick_run.stdout).get(name, [])
    for pattern in EXPECTED[name]:
        matches = [m for line in printed if (m := re.fullmatch(pattern, line))]
        assert len(matches) == 1, f"{name}: no line like {pattern!r} in {printed}"
        values = numbers(matches[0].groups())
        assert values, pattern
        assert all(math.isfinite(v) and v > 0 for v in values), (pattern, values)
