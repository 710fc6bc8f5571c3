"""A ``crampbot chat --jsonl`` process for fault tests: turns that may end in "not saved", exit status, stderr."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
NOT_SAVED = yaml.safe_load((ROOT / "content" / "locales" / "en.yaml").read_text())["messages"][
    "not_saved"
]
# One way through the interview, by option id; ``when`` is the answer tests look for in files.
ANSWERS = [
    ("red_flags", "none"),
    ("where", "calf"),
    ("when", "walking_relieved"),
    ("duration", "seconds"),
    ("feel", "knot"),
]


class Chat:
    """One person chatting with a real ``crampbot`` process on ``store``."""

    def __init__(self, store: str, user: str = "ann", env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--store", store, "chat", "--jsonl", "--user", user],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
            cwd=ROOT,
        )
        self.opening = self.turn()

    def turn(self, count: int | None = None) -> list[dict]:
        """Replies up to a question, an outcome or "not saved" (or ``count`` of them);
        [] when the process ended."""
        assert self.proc.stdout is not None
        lines: list[dict] = []
        while raw := self.proc.stdout.readline():
            lines.append(json.loads(raw))
            if count is not None:
                if len(lines) == count:
                    break
            elif lines[-1]["type"] in ("question", "outcome") or lines[-1]["text"] == NOT_SAVED:
                break
        return lines

    def say(self, line: str, count: int | None = None) -> list[dict]:
        """Send ``line``; the replies of :meth:`turn`."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.turn(count)

    def answer(self, count: int) -> list[dict]:
        """Answer the first ``count`` questions of :data:`ANSWERS`; returns the last turn."""
        turn = self.opening
        for question, option in ANSWERS[:count]:
            assert turn[-1].get("question") == question, turn
            turn = self.say(option)
        return turn

    def __enter__(self) -> Chat:
        return self

    def __exit__(self, *_: object) -> None:
        """Kill the process if a failed assertion left it running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.end()

    def end(self) -> tuple[int, str]:
        """Close the input, wait for the process; its exit status and everything on stderr."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        if self.proc.stderr.closed:
            return self.proc.wait(), ""
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        code = self.proc.wait(timeout=60)
        errors = self.proc.stderr.read()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return code, errors


def asked(turn: list[dict]) -> str:
    """The id of the question a turn ends with."""
    assert turn and turn[-1]["type"] == "question", turn
    return str(turn[-1]["question"])


def no_traceback(errors: str) -> None:
    assert "Traceback" not in errors, errors


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``crampbot ARGS`` to its end, with no input."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
