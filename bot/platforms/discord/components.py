"""Discord components: each question's and outcome's buttons built once, clicks routed by custom_id.

The ``custom_id`` formats are the ones declared in :mod:`bot.platforms.buttons`.
A click is decoded from its id alone (:func:`dispatch`), so nothing is kept per
message and a click on a message sent before a restart still works. The rows
for a question or an outcome are built once per what they show (the cache key
is every input) as a *stopped* ``discord.ui.View``: discord.py serializes its
components, but never keeps it in its view store nor starts a timeout for it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

import discord

from bot.platforms import buttons
from bot.platforms.discord import render
from dialogs import Option, Question

Action = Literal["answer", "toggle", "done"]
ROWS, PER_ROW = 5, 5
CACHED = 1024
"""Views kept per process, the latest used (about 5 KB each): steps differ between people."""
BUTTON, SELECT = discord.ComponentType.button.value, discord.ComponentType.select.value


class Handlers(Protocol):
    """What a click calls on the client (:class:`~bot.platforms.discord.messenger.CrampClient`)."""

    async def press(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        step: int,
        chosen: tuple[str, ...],
        action: Action = "answer",
    ) -> None: ...

    async def move_to_dm(self, interaction: discord.Interaction[Any]) -> None: ...

    async def expand(self, interaction: discord.Interaction[Any], step: int, view: str) -> None: ...


Call = Callable[
    [Handlers, discord.Interaction[Any], dict[str, str], tuple[str, ...]], Awaitable[None]
]


def _press(action: Action) -> Call:
    def call(
        on: Handlers, interaction: discord.Interaction[Any], f: dict[str, str], _: tuple[str, ...]
    ) -> Awaitable[None]:
        chosen = () if action == "done" else (f["payload"],)
        return on.press(interaction, f["question"], int(f["step"]), chosen, action)

    return call


ROUTES: tuple[tuple[buttons.Format, int, Call], ...] = (
    (buttons.PICK, BUTTON, _press("answer")),
    (buttons.TOGGLE, BUTTON, _press("toggle")),
    (buttons.DONE, BUTTON, _press("done")),
    (
        buttons.SELECT,
        SELECT,
        lambda on, i, f, values: on.press(i, f["question"], int(f["step"]), values),
    ),
    (buttons.DM, BUTTON, lambda on, i, f, _: on.move_to_dm(i)),
    (buttons.OUTCOME, BUTTON, lambda on, i, f, _: on.expand(i, int(f["step"]), f["view"])),
)
"""Every component of ours: its format, its component type and what a click on it calls."""


async def dispatch(handlers: Handlers, interaction: discord.Interaction[Any]) -> bool:
    """Run the handler of a component interaction; ``False`` when its id is not ours (any more)."""
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id, kind = data.get("custom_id"), data.get("component_type")
    raw = data.get("values")
    values = tuple(v for v in raw if isinstance(v, str)) if isinstance(raw, list) else ()
    for pattern, component_type, call in ROUTES:
        fields = pattern.parse(custom_id) if kind == component_type else None
        if fields is not None:
            await call(handlers, interaction, fields, values[: render.SELECT_MAX])
            return True
    return False


def question_view(
    question: Question, *, numbered: bool, done: str, dm: str | None = None
) -> discord.ui.View:
    """Buttons, 5 a row: an option each (ticks for a multi question, then Done), then ``dm``.

    In DMs (``numbered``) the labels carry the numbers a person may type. A
    question with more options than fit in the rows gets one select menu.
    """
    placeholder = question.hint or question.text
    return _question_view(
        question.id,
        question.step,
        question.options,
        question.multi,
        question.selected,
        placeholder,
        numbered,
        done,
        dm,
    )


@functools.lru_cache(maxsize=CACHED)
def _question_view(
    question: str,
    step: int,
    options: tuple[Option, ...],
    multi: bool,
    selected: tuple[str, ...],
    placeholder: str,
    numbered: bool,
    done: str,
    dm: str | None,
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    rows = -(-len(options) // PER_ROW)
    controls = rows if multi or dm else None
    if rows + (controls is not None) > ROWS:
        items = [
            discord.SelectOption(label=render.cut(o.label, render.OPTION_MAX), value=o.id)
            for o in options[: render.SELECT_MAX]
        ]
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=buttons.SELECT.pack(step=step, question=question),
            options=items,
            placeholder=render.cut(placeholder, render.PLACEHOLDER_MAX),
            min_values=1,
            max_values=len(items) if multi else 1,
        )
        view.add_item(select)
        controls = 1 if dm else None
    else:
        for i, option in enumerate(options):
            label = f"{i + 1}. {option.label}" if numbered else option.label
            fields = {"step": step, "question": question, "payload": option.id}
            if not multi:
                view.add_item(_button(label, buttons.PICK.pack(**fields), i // PER_ROW))
                continue
            ticked = option.id in selected
            style = discord.ButtonStyle.success if ticked else discord.ButtonStyle.secondary
            shown = f"✓ {label}" if ticked else label
            view.add_item(_button(shown, buttons.TOGGLE.pack(**fields), i // PER_ROW, style))
        if multi and controls is not None:
            data = buttons.DONE.pack(step=step, question=question)
            view.add_item(_button(done, data, controls, discord.ButtonStyle.primary))
    if dm is not None and controls is not None:
        view.add_item(_button(dm, buttons.DM.pack(), controls))
    return _sealed(view)


@functools.lru_cache(maxsize=CACHED)
def outcome_view(step: int, view: str, details: str, sources: str) -> discord.ui.View | None:
    """The buttons that expand an outcome shown as ``view``; ``None`` once fully expanded."""
    more, cited = render.expanded(view)
    shown = discord.ui.View(timeout=None)
    if not more:
        data = buttons.OUTCOME.pack(step=step, view=render.view_name(True, cited))
        shown.add_item(_button(details, data))
    if not cited:
        data = buttons.OUTCOME.pack(step=step, view=render.view_name(more, True))
        shown.add_item(_button(sources, data))
    return _sealed(shown) if shown.children else None


def _button(
    label: str,
    custom_id: str,
    row: int | None = None,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=render.cut(label, render.LABEL_MAX), custom_id=custom_id, style=style, row=row
    )


def _sealed(view: discord.ui.View) -> discord.ui.View:
    """``view`` stopped: sent as often as needed, it is never stored or timed by discord.py
    (its clicks reach ``on_interaction``, see :func:`dispatch`)."""
    view.stop()
    return view
