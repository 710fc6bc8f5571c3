"""Drive ``crampbot chat --jsonl`` through one interview; exit 0 once an outcome arrives.

Usage: python interview.py CRAMPBOT [ARG ...]. Answers every question with "none" when it
is an option, else the first option, and fails (exit 1, the transcript on stderr) if the
bot errors, ends, or asks more questions than the contract allows before an outcome.
Standard library only: it runs on the fresh interpreter of the installed wheel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

MAX_QUESTIONS = 12  # the contract allows at most 9 per interview


def answer(question: dict[str, Any]) -> str:
    ids = [str(option["id"]) for option in question["options"]]
    return "none" if "none" in ids else ids[0]


def main(command: list[str]) -> int:
    transcript: list[str] = []
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as bot:
        assert bot.stdin is not None and bot.stdout is not None
        asked = 0
        for line in bot.stdout:
            transcript.append(line.rstrip("\n"))
            reply = json.loads(line)
            if reply["type"] == "outcome":
                bot.stdin.close()
                print(
                    f"outcome after {asked} question(s): {reply['category']} ({reply['urgency']})"
                )
                return 0 if bot.wait(timeout=60) == 0 else 1
            if reply["type"] == "error" or asked >= MAX_QUESTIONS:
                break
            if reply["type"] == "question":
                asked += 1
                bot.stdin.write(answer(reply) + "\n")
                bot.stdin.flush()
        bot.kill()
    print("no outcome; transcript:", *transcript, sep="\n  ", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
