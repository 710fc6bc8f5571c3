"""Persistent Discord components: buttons and select menus that survive a restart.

Their ``custom_id`` formats are the ones declared in :mod:`bot.platforms.buttons`;
discord.py parses them back with the same templates (``DynamicItem``), so state
lives in the id and nothing is kept per message.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

from bot.platforms import buttons
from bot.platforms.discord import render
from dialogs import Question


class Handlers(Protocol):
    """What the components call on the client (:class:`~bot.platforms.discord.messenger.CrampClient`)."""

    async def press(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        step: int,
        chosen: tuple[str, ...],
    ) -> None: ...

    async def move_to_dm(self, interaction: discord.Interaction[Any]) -> None: ...


def _handlers(interaction: discord.Interaction[Any]) -> Handlers:
    return cast(Handlers, interaction.client)


class PickButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=buttons.PICK.template):
    """One option of a single-choice question or prompt."""

    def __init__(self, question: str, step: int, option: str, label: str) -> None:
        data = buttons.PICK.pack(step=step, question=question, payload=option)
        super().__init__(
            discord.ui.Button(label=render.cut(label, render.LABEL_MAX), custom_id=data)
        )
        self.question, self.step, self.option = question, step, option

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickButton:
        label = getattr(item, "label", None) or match["payload"]
        return cls(match["question"], int(match["step"]), match["payload"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handlers(interaction).press(interaction, self.question, self.step, (self.option,))


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=buttons.SELECT.template
):
    """A multi question as one select menu with ``min_values=1`` and ``max_values=len(options)``.

    One native control and one interaction per answer (no toggle round trips); the
    engine rejects "none" combined with others with a clear error and asks again.
    """

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
    """Offered with /cramps in a server: carry on the interview in DMs."""

    def __init__(self, label: str) -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=buttons.DM.pack()))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DmButton:
        # The label is only needed to rebuild the item; the callback does not read it.
        return cls(getattr(item, "label", None) or "DM")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handlers(interaction).move_to_dm(interaction)


COMPONENTS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (PickButton, ChoiceSelect, DmButton)
"""Every persistent component; a ``custom_id`` none of them parses is not ours (any more)."""


def known(custom_id: str) -> bool:
    """Whether a handler here takes a click on ``custom_id``."""
    return any(c.__discord_ui_compiled_template__.fullmatch(custom_id) for c in COMPONENTS)


def question_view(question: Question) -> discord.ui.View:
    """Buttons (5 a row) for single choices; one select menu for multi questions.

    A single question with more than 25 options (more than fit as buttons) gets a
    select menu that takes one value.
    """
    view = discord.ui.View(timeout=None)
    if question.multi or len(question.options) > 25:
        options = render.select_options(question)[:25]
        most = len(options) if question.multi else 1
        placeholder = question.hint or question.text
        view.add_item(ChoiceSelect(question.id, question.step, options, most, placeholder))
        return view
    for option in question.options:
        view.add_item(PickButton(question.id, question.step, option.id, option.label))
    return view
