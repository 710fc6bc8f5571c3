"""Drive a ``crampbot chat --jsonl`` subprocess from tests, one turn at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


class Console:
    """A ``crampbot chat --jsonl`` process: send a line, read replies up to the next prompt."""

    def __init__(
        self,
        *args: str,
        store: str = "memory://",
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--store", store, "chat", "--jsonl", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.opening = self.read()

    def read(self) -> list[dict]:
        """Lines until a question or an outcome (what ends a turn)."""
        assert self.proc.stdout is not None
        lines = []
        while True:
            raw = self.proc.stdout.readline()
            assert raw, (
                f"the chat ended early: {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
            lines.append(json.loads(raw))
            if lines[-1]["type"] in ("question", "outcome"):
                return lines

    def say(self, line: str) -> list[dict]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=20)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return code

    def kill(self) -> None:
        """SIGKILL the process, as a crash would, and close its pipes."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
