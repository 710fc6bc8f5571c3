"""The interactive terminal chat on a real pseudo-terminal: Ctrl-C quits at once."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def read_until(fd: int, needle: bytes, limit: float = 20.0) -> bytes:
    """Read the terminal until ``needle`` shows (``limit`` guards against a hang)."""
    seen = b""
    end = time.monotonic() + limit
    while needle not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def spawn(tmp_path: Path) -> tuple[int, int]:
    """``crampbot chat`` on a new pseudo-terminal: its pid and the terminal's fd."""
    env = dict(os.environ, CRAMPBOT_STORE=f"sqlite:///{tmp_path / 'tty.db'}", COLUMNS="80")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the chat on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "bot.cli", "chat", "--user", "tty"], env)
    return pid, fd


def test_ctrl_c_at_the_prompt_ends_the_chat_when_interactive(tmp_path: Path) -> None:
    pid, fd = spawn(tmp_path)
    try:
        assert b"> " in read_until(fd, b"> ")
        os.write(fd, b"calf\r")
        assert b"couldn't match" in read_until(fd, b"couldn't match")
        os.write(fd, b"\x03")
        read_until(fd, b"never printed", limit=3)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("Ctrl-C did not end the chat")
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(fd)


def test_terminal_echoes_what_it_understood_when_an_answer_is_typed(tmp_path: Path) -> None:
    pid, fd = spawn(tmp_path)
    try:
        read_until(fd, b"> ")
        os.write(fd, b"nope\r")
        assert "→ None of these".encode() in read_until(fd, b"Q2.")
        read_until(fd, b"> ")
        os.write(fd, b"more than 10 minutes\r")
        assert b"I understood" in read_until(fd, b"> ")
        os.write(fd, b"2\r")
        assert "→ Change".encode() in read_until(fd, b"> ")
        os.write(fd, b"clf\r")
        seen = read_until(fd, b"> ")
        assert b"1. Calf" in seen and b"2." not in seen.split(b"1. Calf")[1]
        os.write(fd, b"1\r")
        assert "→ Calf".encode() in read_until(fd, b"Q3.")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
