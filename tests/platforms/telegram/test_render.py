"""Rendering the engine's replies as Telegram HTML: escaping and the 4,096-character limit."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.platforms.chat import pack
from bot.platforms.telegram.render import LIMIT, commands, keyboard, outcome_messages
from dialogs.types import Option, Outcome, Question, Section
from tests.fakes.telegram_api import parse_html


def outcome(sections: tuple[Section, ...]) -> Outcome:
    return Outcome(
        category="nocturnal",
        urgency="self_care",
        also=(),
        headline="What your answers suggest\nYou told me: calf, at night.",
        sections=sections,
        sources=("nhs_cramp",),
        disclaimer="Not a diagnosis.",
        citations=(("nhs_cramp", "NHS"),),
    )


def test_outcome_is_one_message_when_it_fits(content) -> None:
    texts = content.texts("en")
    sections = (Section(title="What it may be", lines=('Cramps <at night> & rest are "common".',)),)
    (message,) = outcome_messages(outcome(sections), texts)
    plain, entities = parse_html(message)
    assert 'Cramps <at night> & rest are "common".' in plain
    assert "You told me: calf, at night." in plain
    headline = "What your answers suggest\nYou told me: calf, at night."
    assert entities[0] == {"type": "bold", "offset": 0, "length": len(headline)}
    assert any(e["type"] == "italic" for e in entities)


def test_outcome_is_split_between_sections_when_it_is_too_long(content) -> None:
    texts = content.texts("en")
    line = "Stretch the calf & hold it <30 s>. " * 20
    sections = tuple(Section(title=f"Part {i}", lines=(line, line, line)) for i in range(12))
    messages = outcome_messages(outcome(sections), texts)
    assert len(messages) > 1
    plains = [parse_html(m)[0] for m in messages]
    assert all(len(p) <= LIMIT and len(m) <= LIMIT for p, m in zip(plains, messages, strict=True))
    for i in range(12):
        holding = [p for p in plains if f"Part {i}\n" in p]
        assert len(holding) == 1 and holding[0].count(line.strip()) == 3  # never cut mid-section
    assert plains[-1].endswith("Not a diagnosis.")


def test_block_is_cut_between_lines_when_it_alone_is_too_long() -> None:
    block = "\n".join(f"• line {i} " + "x" * 90 for i in range(100))
    messages = pack(["head", block, "tail"], LIMIT)
    assert all(len(m) <= LIMIT for m in messages)
    assert "\n\n".join(messages).replace("\n\n", "\n").count("• line") == 100


def test_commands_take_descriptions_from_content_when_registered(content) -> None:
    texts = content.texts("en")
    listed = {c.command: c.description for c in commands(texts, ("back", "cramps"))}
    assert listed == {
        "back": texts.messages["command_back"],
        "cramps": texts.messages["command_cramps"],
    }


def test_cached_keyboard_serialises_like_ptb_when_sent_again(content) -> None:
    """The keyboard keeps its serialised form; each send must still get PTB's exact, fresh dict."""
    texts = content.texts("en")
    options = (Option(id="calf", label="Calf"), Option(id="foot", label="Foot, toes"))
    question = Question(id="where", text="Where?", options=options, multi=True, step=7, number=2)
    markup = keyboard(question, texts, frozenset({"foot"}))
    expected = InlineKeyboardMarkup(markup.inline_keyboard).to_dict()
    first = markup.to_dict()
    assert first == expected
    first["inline_keyboard"][0][0]["text"] = "changed by a caller"
    assert keyboard(question, texts, frozenset({"foot"})).to_dict() == expected
