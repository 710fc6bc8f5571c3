"""The terminal chat: a pleasant interactive chat, or the contract's JSON lines."""

from __future__ import annotations

import asyncio
import json
import shutil
import textwrap
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TextIO

from dialogs import ConversationKey, Engine, Incoming, Message, Outcome, Question, Reply, Texts

#: Messages the terminal says in its own words (message keys of the locale):
#: its help talks about typing, not buttons.
TERMINAL_VARIANTS = {"help": "help_terminal"}
#: Marks the echo of what was understood ("→ More than 10 minutes").
ECHO = "→ "


def for_terminal(replies: Iterable[Reply], texts: Texts) -> list[Reply]:
    """``replies`` with each message the terminal words its own way swapped for its variant."""
    return [
        replace(r, text=texts.messages[TERMINAL_VARIANTS[r.key]])
        if isinstance(r, Message) and r.key in TERMINAL_VARIANTS
        else r
        for r in replies
    ]


def to_json(reply: Reply) -> dict[str, Any]:
    """One reply as the contract's JSON object; what was understood is a message
    with the question id in ``answered``."""
    if isinstance(reply, Question):
        return {
            "type": "question",
            "question": reply.id,
            "multi": reply.multi,
            "text": reply.text,
            "options": [{"id": o.id, "label": o.label} for o in reply.options],
            "hint": reply.hint,
            "step": reply.step,
        }
    if isinstance(reply, Outcome):
        return {
            "type": "outcome",
            "category": reply.category,
            "urgency": reply.urgency,
            "also": list(reply.also),
            "text": reply.text,
            "instruction": reply.instruction,
            "short_text": reply.short_text,
            "sources": list(reply.sources),
        }
    if reply.kind == "answered":
        return {"type": "message", "text": reply.text, "answered": reply.question}
    return {"type": "error" if reply.kind == "error" else "message", "text": reply.text}


class Pretty:
    """Renders replies for a person at a terminal: wrapped text, numbered options."""

    def __init__(self, out: TextIO, width: int | None = None) -> None:
        self.out = out
        self.width = width or min(88, shutil.get_terminal_size((80, 24)).columns)

    def show(self, replies: Iterable[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, Question):
                self.question(reply)
            elif isinstance(reply, Outcome):
                self.outcome(reply)
            elif reply.kind == "answered":
                self.para(ECHO + reply.text, hang="  ")
            else:
                prefix = "! " if reply.kind == "error" else ""
                self.para(prefix + reply.text)
        self.out.flush()

    def para(self, text: str, indent: str = "", hang: str = "") -> None:
        for line in text.splitlines() or [""]:
            wrapped = textwrap.wrap(
                line, self.width, initial_indent=indent, subsequent_indent=indent + hang
            )
            print("\n".join(wrapped) if wrapped else "", file=self.out)

    def question(self, q: Question) -> None:
        print(file=self.out)
        number = f"Q{q.number}. " if q.number else ""
        self.para(f"{number}{q.text}")
        if q.hint:
            self.para(f"({q.hint})")
        for n, option in enumerate(q.options, 1):
            self.para(f"{n:>2}. {option.label}", indent="  ", hang="    ")

    def outcome(self, o: Outcome) -> None:
        """The short form first, then the rest of the full form (lines not yet shown)."""
        rule = "─" * min(self.width, 60)
        print(f"\n{rule}", file=self.out)
        self.para(o.headline)
        shown = {line for s in o.short for line in s.lines}
        for section in o.short:
            self.section(section.title, section.lines)
        print(f"\n{'┄' * min(self.width, 60)}", file=self.out)
        for section in o.sections:
            rest = [x for x in section.lines if x not in shown]
            if rest:
                self.section(section.title, rest)
                self.para(f"[{', '.join(section.sources)}]", indent="    ")
        print(file=self.out)
        self.para(o.sources_title.upper())
        for sid, citation in o.citations:
            self.para(f"{sid}: {citation}", indent="  ", hang="  ")
        print(file=self.out)
        self.para(o.disclaimer)
        print(rule, file=self.out)

    def section(self, title: str, lines: Iterable[str]) -> None:
        print(file=self.out)
        self.para(title.upper())
        for line in lines:
            self.para(f"• {line}", indent="  ", hang="  ")


def chat(
    loop: asyncio.AbstractEventLoop,
    engine: Engine,
    user: str,
    locale: str,
    jsonl: bool,
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    """Chat with ``console:<user>`` until end of input; returns the exit status.

    Lines are read outside the event loop (``loop`` runs one engine call at a
    time), so Ctrl-C at the prompt stops the chat at once.
    """
    key = ConversationKey(platform="console", user=user)
    pretty = None if jsonl else Pretty(stdout)

    def show(replies: list[Reply]) -> None:
        replies = for_terminal(replies, engine.texts_of(replies, locale))
        if pretty is not None:
            pretty.show(replies)
            return
        for reply in replies:
            stdout.write(json.dumps(to_json(reply), ensure_ascii=False) + "\n")
        stdout.flush()

    interactive = pretty is not None and stdin.isatty()
    show(loop.run_until_complete(engine.handle(key, Incoming(command="start"), locale)))
    while True:
        if interactive:
            try:
                line = input("> ")
            except EOFError:
                print(file=stdout)
                return 0
        else:
            line = stdin.readline()
            if not line:
                return 0
            line = line.rstrip("\r\n")
        if not line.strip():
            if interactive:
                continue
            current = loop.run_until_complete(engine.current(key, locale))
            texts = engine.texts_of(current, locale)
            error = Message(text=texts.messages["not_understood"], kind="error")
            show([error, *current])
            continue
        show(loop.run_until_complete(engine.handle(key, Incoming.from_text(line), locale)))
