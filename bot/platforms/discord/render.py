"""Discord rendering for the engine's replies: message text, component rows and outcome embeds.

Pure functions over :mod:`dialogs.types`, kept apart from the client so the
limits (2000 characters of content, 80 per button label, the embed limits) are
tested on their own. All wording comes from the engine and the content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import discord

from bot.platforms.chat import cited, pack
from dialogs import Outcome, Question, Section, Texts

CONTENT_MAX = 2000
LABEL_MAX = 80
OPTION_MAX = 100
PLACEHOLDER_MAX = 150
SELECT_MAX = 25
VIEWS = {(False, False): "", (True, False): "d", (False, True): "s", (True, True): "ds"}
"""An outcome's views: (more details shown, sources shown) -> the name in its buttons."""
EMBED_TITLE, EMBED_DESCRIPTION, FIELD_NAME, FIELD_VALUE = 256, 4096, 256, 1024
EMBED_FIELDS, EMBED_FOOTER, EMBED_TOTAL, EMBEDS_PER_MESSAGE = 25, 2048, 6000, 10
COLOURS = {
    "emergency": discord.Colour.red(),
    "urgent": discord.Colour.orange(),
    "soon": discord.Colour.gold(),
    "routine": discord.Colour.blue(),
    "self_care": discord.Colour.green(),
}


def ui(texts: Texts, name: str) -> str:
    """A Discord-only prompt from the content's messages."""
    return texts.messages[name]


def client_texts(locales: Mapping[str, Texts], locale: str) -> Texts | None:
    """The content locale of a Discord client locale (``es-ES`` -> ``es``), if any."""
    return locales.get(locale) or locales.get(locale.split("-")[0])


def named(text: str, names: Mapping[str, str]) -> str:
    """``text`` with each ``/command`` it names as the client shows it: Discord lists
    slash commands under the names of the client's locale (``/back`` is ``/atras``)."""
    return _COMMAND.sub(lambda m: "/" + names.get(m[1], m[1]), text)


_COMMAND = re.compile(r"(?<![\w/])/([a-z]+)\b")


def cut(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def question_text(question: Question, texts: Texts | None = None) -> str:
    """The question as message content: progress, text and hint."""
    head = f"**{question.text}**"
    if question.number and question.total and texts is not None:
        progress = texts.messages["progress"].format(number=question.number, total=question.total)
        head = f"-# {progress}\n{head}"
    elif question.number:
        head = f"**{question.number}.** {question.text}"
    return f"{head}\n*{question.hint}*" if question.hint else head


def answered_text(content: str, answer: str) -> str:
    """An answered question's new content: the question with the person's answer under it."""
    tail = f"\n> ✓ {answer}"
    return cut(content, CONTENT_MAX - len(tail)) + tail


def ticked_line(answer: str) -> str:
    """The person's last answer, shown above the next question in a message edited in place."""
    return f"> ✓ {answer}"


def view_name(details: bool, sources: bool) -> str:
    return VIEWS[(details, sources)]


def expanded(view: str) -> tuple[bool, bool]:
    """What a view of an outcome shows: (more details, sources); the short form for anything else."""
    return next((shown for shown, name in VIEWS.items() if name == view), (False, False))


def outcome_messages(outcome: Outcome, texts: Texts, view: str = "ds") -> list[list[discord.Embed]]:
    """The outcome as embeds, grouped into messages, each within Discord's embed limits.

    The short form (what it may be, what to do now, when to call) comes first;
    ``view`` adds the full form ("More details") and the sources.
    """
    details, sources = expanded(view)
    title, _, rest = outcome.headline.partition("\n")
    if outcome.instruction and rest.startswith(outcome.instruction):
        said = rest[len(outcome.instruction) :] if details else ""
        rest = f"**{outcome.instruction}**{said}"
    fields: list[tuple[str, str]] = []
    for section in outcome.sections if details or not outcome.short else outcome.short:
        fields.extend(_fields(section.title, [f"• {line}" for line in section.lines]))
    if sources and outcome.citations:
        fields.extend(_fields(texts.outcome["sources"], cited(outcome.citations), sep="; "))
    colour = COLOURS.get(outcome.urgency)
    return _group(cut(title, EMBED_TITLE), rest, fields, outcome.disclaimer, colour)


def factsheet_embeds(
    sheet: Section, texts: Texts, citations: Iterable[tuple[str, str]]
) -> list[discord.Embed]:
    """A public fact sheet as embeds (they fit in one message: it is short general advice)."""
    fields = _fields(texts.outcome["sources"], cited(citations), "; ")
    body = "\n".join(f"• {line}" for line in sheet.lines)
    groups = _group(sheet.title, body, fields, texts.outcome["disclaimer"], None)
    return [e for group in groups for e in group][:EMBEDS_PER_MESSAGE]


def _fields(name: str, lines: list[str], sep: str = "\n") -> list[tuple[str, str]]:
    chunks = pack(lines, FIELD_VALUE, sep)
    return [(cut(name, FIELD_NAME), chunk) for chunk in chunks]


def _group(
    title: str,
    description: str,
    fields: list[tuple[str, str]],
    footer: str,
    colour: discord.Colour | None,
) -> list[list[discord.Embed]]:
    """Spread ``fields`` over embeds (25 fields, 6000 characters) and embeds over messages."""
    descriptions = pack([description], EMBED_DESCRIPTION) if description else [""]
    embeds = [discord.Embed(title=title, description=descriptions[0] or None, colour=colour)]
    for extra in descriptions[1:]:
        embeds.append(discord.Embed(description=extra, colour=colour))
    footer = cut(footer, EMBED_FOOTER)
    for name, value in fields:
        embed = embeds[-1]
        size = len(embed) + len(name) + len(value)
        if len(embed.fields) >= EMBED_FIELDS or size + len(footer) > EMBED_TOTAL:
            embed = discord.Embed(colour=colour)
            embeds.append(embed)
        embed.add_field(name=name, value=value, inline=False)
    if len(embeds[-1]) + len(footer) > EMBED_TOTAL:
        embeds.append(discord.Embed(colour=colour))
    embeds[-1].set_footer(text=footer)
    messages: list[list[discord.Embed]] = [[]]
    for embed in embeds:
        group = messages[-1]
        if len(group) >= EMBEDS_PER_MESSAGE or sum(map(len, group)) + len(embed) > EMBED_TOTAL:
            messages.append(group := [])
        group.append(embed)
    return messages
