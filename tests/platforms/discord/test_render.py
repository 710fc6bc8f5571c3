"""Rendering within Discord's limits: message content, labels, components and outcome embeds."""

from __future__ import annotations

from dataclasses import replace

import discord

from bot.platforms.chat import pack
from bot.platforms.discord import render
from bot.platforms.discord.components import question_view
from dialogs.content import Content
from dialogs.types import Option, Outcome, Question, Section


def limits_hold(groups: list[list[discord.Embed]]) -> None:
    for embeds in groups:
        assert 0 < len(embeds) <= render.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in embeds) <= render.EMBED_TOTAL
        for e in embeds:
            assert len(e.title or "") <= render.EMBED_TITLE
            assert len(e.description or "") <= render.EMBED_DESCRIPTION
            assert len(e.fields) <= render.EMBED_FIELDS
            assert len(e.footer.text or "") <= render.EMBED_FOOTER
            for f in e.fields:
                assert 0 < len(f.name or "") <= render.FIELD_NAME
                assert 0 < len(f.value or "") <= render.FIELD_VALUE


def everything(groups: list[list[discord.Embed]]) -> str:
    parts: list[str] = []
    for e in (e for embeds in groups for e in embeds):
        parts += [e.title or "", e.description or "", *(f.value or "" for f in e.fields)]
        parts.append(e.footer.text or "")
    return "\n".join(parts)


def huge_outcome() -> Outcome:
    sections = tuple(
        Section(
            title=f"Section {s} " + "t" * 300,
            lines=tuple(f"line {s}.{i} " + "x" * 700 for i in range(12)),
        )
        for s in range(30)
    )
    return Outcome(
        category="nocturnal",
        urgency="self_care",
        also=(),
        headline="H" * 300 + "\n" + "you said " * 600,
        sections=sections,
        sources=tuple(f"source{i}" for i in range(200)),
        disclaimer="D" * 2500,
        citations=tuple((f"source{i}", f"source{i}") for i in range(200)),
    )


def test_outcome_embeds_stay_within_discord_limits_when_the_outcome_is_huge(
    content: Content,
) -> None:
    outcome = huge_outcome()
    groups = render.outcome_messages(outcome, content.texts("en"))
    limits_hold(groups)
    text = everything(groups)
    for section in outcome.sections:
        for line in section.lines:
            assert line in text
    assert "source199 (source199)" in text
    assert len(groups) > 1


def test_outcome_is_one_embed_with_urgency_and_sources_when_it_is_a_real_one(
    content: Content,
) -> None:
    texts = content.texts("en")
    sheet_lines = (texts.urgency["emergency"], texts.advice["doctor_emergency"])
    doctor = Section(title=texts.outcome["doctor"], lines=sheet_lines, sources=("nhs_cramps",))
    outcome = Outcome(
        category="emergency",
        urgency="emergency",
        also=(),
        headline=texts.outcome["title"],
        sections=(doctor,),
        sources=("nhs_cramps",),
        disclaimer=texts.outcome["disclaimer"],
        citations=(("nhs_cramps", "NHS: Leg cramps"),),
    )
    [[embed]] = render.outcome_messages(outcome, texts)
    assert embed.title == texts.outcome["title"]
    assert texts.urgency["emergency"] in embed.fields[0].value  # type: ignore[operator]
    assert embed.fields[-1].value == "nhs_cramps (NHS: Leg cramps)"
    assert embed.footer.text == texts.outcome["disclaimer"]
    assert embed.colour == discord.Colour.red()


def test_pack_keeps_every_part_within_the_limit_when_parts_are_long() -> None:
    parts = ["a" * 1500, "b" * 700, "\n".join(["c" * 90] * 50)]
    packed = pack(parts, render.CONTENT_MAX)
    assert all(len(p) <= render.CONTENT_MAX for p in packed)
    assert "".join(packed).replace("\n", "") == "".join(parts).replace("\n", "")


def test_answered_text_fits_in_a_message_when_the_question_is_long() -> None:
    text = render.answered_text("q" * 2000, "Calf")
    assert len(text) <= render.CONTENT_MAX and text.endswith("> ✓ Calf")


async def test_question_view_uses_one_value_select_when_a_single_question_has_many_options() -> (
    None
):
    many = tuple(Option(id=f"o{i}", label=f"Option {i} " + "z" * 120) for i in range(30))
    question = Question(
        id="where", text="Where?", options=many, multi=False, step=3, number=2, hint="Pick one"
    )
    view = question_view(question, numbered=False, done="Done")
    [select] = view.children
    assert isinstance(select, discord.ui.Select)
    assert select.max_values == 1 and len(select.options) == 25
    assert select.placeholder == "Pick one", "was: select menus had no placeholder"
    few = question_view(
        Question(id="where", text="Where?", options=many[:7], multi=False, step=3, number=2),
        numbered=False,
        done="Done",
    )
    labels = [b.label or "" for b in few.children if isinstance(b, discord.ui.Button)]
    assert len(labels) == 7 and all(len(label) <= render.LABEL_MAX for label in labels)


def test_discord_prompts_come_from_content_when_it_has_them(content: Content) -> None:
    texts = content.texts("en")
    assert render.ui(texts, "button_dm") == texts.messages["button_dm"]
    assert render.ui(texts, "dm_offer") == texts.messages["dm_offer"]
    custom = replace(texts, messages={"dm_offer": "Mes DM ?"})
    assert render.ui(custom, "dm_offer") == "Mes DM ?"
