"""Persistent Discord components: buttons and select menus that survive a restart.

Their ``custom_id`` formats are the ones declared in :mod:`bot.platforms.buttons`;
discord.py parses them back with the same templates (``DynamicItem``), so state
lives in the id and the stored conversation, and nothing is kept per message.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Protocol, cast

import discord

from bot.platforms import buttons
from bot.platforms.discord import render
from dialogs import Question

Action = Literal["answer", "toggle", "done"]
ROWS, PER_ROW = 5, 5


class Handlers(Protocol):
    """What the components call on the client (:class:`~bot.platforms.discord.messenger.CrampClient`)."""

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


def _handlers(interaction: discord.Interaction[Any]) -> Handlers:
    return cast(Handlers, interaction.client)


def _label(item: discord.ui.Item[Any], fallback: str) -> str:
    return getattr(item, "label", None) or fallback


class PickButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=buttons.PICK.template):
    """One option of a single-choice question or prompt."""

    def __init__(self, question: str, step: int, option: str, label: str, row: int = 0) -> None:
        data = buttons.PICK.pack(step=step, question=question, payload=option)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=render.cut(label, render.LABEL_MAX), custom_id=data, row=row
        )
        super().__init__(button)
        self.question, self.step, self.option = question, step, option

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickButton:
        label = _label(item, match["payload"])
        return cls(match["question"], int(match["step"]), match["payload"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handlers(interaction).press(interaction, self.question, self.step, (self.option,))


class TickButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=buttons.TOGGLE.template):
    """One option of a multi-choice question: ticks or unticks it in the stored draft."""

    def __init__(
        self, question: str, step: int, option: str, label: str, ticked: bool, row: int = 0
    ) -> None:
        data = buttons.TOGGLE.pack(step=step, question=question, payload=option)
        style = discord.ButtonStyle.success if ticked else discord.ButtonStyle.secondary
        shown = render.cut(f"✓ {label}" if ticked else label, render.LABEL_MAX)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=shown, custom_id=data, style=style, row=row
        )
        super().__init__(button)
        self.question, self.step, self.option = question, step, option

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> TickButton:
        label = _label(item, match["payload"])
        return cls(match["question"], int(match["step"]), match["payload"], label, False)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handlers = _handlers(interaction)
        await handlers.press(interaction, self.question, self.step, (self.option,), "toggle")


class DoneButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=buttons.DONE.template):
    """Submits the ticks stored for a multi-choice question."""

    def __init__(self, question: str, step: int, label: str, row: int = 0) -> None:
        data = buttons.DONE.pack(step=step, question=question)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, custom_id=data, style=discord.ButtonStyle.primary, row=row
        )
        super().__init__(button)
        self.question, self.step = question, step

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DoneButton:
        return cls(match["question"], int(match["step"]), _label(item, "Done"))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handlers(interaction).press(interaction, self.question, self.step, (), "done")


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=buttons.SELECT.template
):
    """A question with more options than fit as buttons: one select menu, answered at once."""

    def __init__(
        self,
        question: str,
        step: int,
        options: list[discord.SelectOption],
        max_values: int,
        placeholder: str,
    ) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=buttons.SELECT.pack(step=step, question=question),
            options=options,
            placeholder=render.cut(placeholder, render.PLACEHOLDER_MAX),
            min_values=1,
            max_values=max_values,
        )
        super().__init__(select)
        self.question, self.step = question, step

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceSelect:
        options = list(getattr(item, "options", []))
        most, placeholder = getattr(item, "max_values", 1), getattr(item, "placeholder", None)
        return cls(match["question"], int(match["step"]), options, most, placeholder or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        chosen = tuple(self.item.values)
        await _handlers(interaction).press(interaction, self.question, self.step, chosen)


class DmButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=buttons.DM.template):
    """On the interview message in a server: carry on the interview in DMs."""

    def __init__(self, label: str, row: int = 0) -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=buttons.DM.pack(), row=row))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DmButton:
        # The label is only needed to rebuild the item; the callback does not read it.
        return cls(_label(item, "DM"))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handlers(interaction).move_to_dm(interaction)


class ExpandButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=buttons.OUTCOME.template
):
    """ "More details" or "Sources" on an outcome: shows ``view`` of it in place."""

    def __init__(self, step: int, view: str, label: str) -> None:
        data = buttons.OUTCOME.pack(step=step, view=view)
        super().__init__(discord.ui.Button(label=label, custom_id=data))
        self.step, self.shows = step, view

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ExpandButton:
        return cls(int(match["step"]), match["view"], _label(item, match["view"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handlers(interaction).expand(interaction, self.step, self.shows)


COMPONENTS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    PickButton,
    TickButton,
    DoneButton,
    ChoiceSelect,
    DmButton,
    ExpandButton,
)
"""Every persistent component; a ``custom_id`` none of them parses is not ours (any more)."""


def known(custom_id: str) -> bool:
    """Whether a handler here takes a click on ``custom_id``."""
    return any(c.__discord_ui_compiled_template__.fullmatch(custom_id) for c in COMPONENTS)


def question_view(
    question: Question, *, numbered: bool, done: str, dm: str | None = None
) -> discord.ui.View:
    """Buttons, 5 a row: an option each (ticks for a multi question, then Done), then ``dm``.

    In DMs (``numbered``) the labels carry the numbers a person may type. A
    question with more options than fit in the rows gets one select menu.
    """
    view = discord.ui.View(timeout=None)
    options = question.options
    rows = -(-len(options) // PER_ROW)
    controls = rows if question.multi or dm else None
    if rows + (controls is not None) > ROWS:
        items = render.select_options(question)[: render.SELECT_MAX]
        most = len(items) if question.multi else 1
        placeholder = question.hint or question.text
        view.add_item(ChoiceSelect(question.id, question.step, items, most, placeholder))
        controls = 1 if dm else None
    else:
        for i, option in enumerate(options):
            label = f"{i + 1}. {option.label}" if numbered else option.label
            row = i // PER_ROW
            if question.multi:
                ticked = option.id in question.selected
                view.add_item(TickButton(question.id, question.step, option.id, label, ticked, row))
            else:
                view.add_item(PickButton(question.id, question.step, option.id, label, row))
        if question.multi and controls is not None:
            view.add_item(DoneButton(question.id, question.step, done, controls))
    if dm is not None and controls is not None:
        view.add_item(DmButton(dm, controls))
    return view


def outcome_view(step: int, view: str, details: str, sources: str) -> discord.ui.View | None:
    """The buttons that expand an outcome shown as ``view``; ``None`` once fully expanded."""
    more, cited = render.expanded(view)
    buttons_view = discord.ui.View(timeout=None)
    if not more:
        buttons_view.add_item(ExpandButton(step, render.view_name(True, cited), details))
    if not cited:
        buttons_view.add_item(ExpandButton(step, render.view_name(more, True), sources))
    return buttons_view if buttons_view.children else None
