"""Rendering the engine's replies as Telegram HTML: escaping, limits, short buttons, progress."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.platforms import buttons
from bot.platforms.chat import pack
from bot.platforms.telegram.render import (
    BUTTON_CHARS,
    CHECKED,
    LIMIT,
    commands,
    keyboard,
    outcome_html,
    outcome_markup,
    question_html,
)
from dialogs.types import Option, Outcome, Question, Section
from tests.fakes.telegram_api import parse_html


def outcome(sections: tuple[Section, ...]) -> Outcome:
    return Outcome(
        category="nocturnal",
        urgency="self_care",
        also=(),
        headline="What your answers suggest\nRest & stretch.\nYou told me: calf, at night.",
        sections=sections,
        sources=("nhs_cramp",),
        disclaimer="Not a diagnosis.",
        citations=(("nhs_cramp", "NHS"),),
        title="What your answers suggest",
        instruction="Rest & stretch.",
        short=sections[:1],
        step=9,
    )


def test_outcome_is_one_message_when_it_fits(content) -> None:
    texts = content.texts("en")
    sections = (Section(title="What it may be", lines=('Cramps <at night> & rest are "common".',)),)
    (message,) = outcome_html(outcome(sections), texts, "ds")
    plain, entities = parse_html(message)
    assert 'Cramps <at night> & rest are "common".' in plain
    assert "You told me: calf, at night." in plain and "NHS" in plain
    assert plain.startswith("What your answers suggest\nRest & stretch.\n")
    assert entities[0] == {"type": "bold", "offset": 0, "length": len("What your answers suggest")}
    assert any(e["type"] == "italic" for e in entities)


def test_outcome_shows_the_short_form_first_when_sent(content) -> None:
    texts = content.texts("en")
    first = Section(title="What it may be", lines=("Common.",))
    later = Section(title="The doctor", lines=("See a GP if it gets worse.",))
    result = outcome((first, later))
    (message,) = outcome_html(result, texts)
    plain = parse_html(message)[0]
    assert plain.startswith("What your answers suggest\nRest & stretch.")
    assert "Common." in plain and "See a GP" not in plain and "NHS" not in plain
    markup = outcome_markup(result, texts)
    assert markup is not None
    (row,) = markup.inline_keyboard
    assert [b.text for b in row] == [texts.messages["button_more"], texts.outcome["sources"]]
    assert [b.callback_data for b in row] == [buttons.outcome(9, "d"), buttons.outcome(9, "s")]
    (details,) = outcome_html(result, texts, "d")
    assert "See a GP" in parse_html(details)[0]
    assert outcome_markup(result, texts, "ds") is None


def test_outcome_is_split_between_sections_when_it_is_too_long(content) -> None:
    texts = content.texts("en")
    line = "Stretch the calf & hold it <30 s>. " * 20
    sections = tuple(Section(title=f"Part {i}", lines=(line, line, line)) for i in range(12))
    messages = outcome_html(outcome(sections), texts, "ds")
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
    question = Question(
        id="where", text="Where?", options=options, multi=True, step=7, number=2, selected=("foot",)
    )
    markup = keyboard(question, texts)
    expected = InlineKeyboardMarkup(markup.inline_keyboard).to_dict()
    first = markup.to_dict()
    assert first == expected
    assert first["inline_keyboard"][1][0]["text"] == CHECKED + "Foot, toes"
    first["inline_keyboard"][0][0]["text"] = "changed by a caller"
    assert keyboard(question, texts).to_dict() == expected


def test_long_labels_fit_a_phone_button_and_are_listed_in_full_when_any_is_long(content) -> None:
    texts = content.texts("en")
    for spec in content.questions.values():
        question = Question(
            id=spec.id,
            text=texts.question_text[spec.id],
            options=tuple(Option(id=o, label=texts.labels[spec.id][o]) for o in spec.options),
            multi=spec.multi,
            step=3,
            number=1,
            selected=spec.options,
        )
        plain = parse_html(question_html(question, texts))[0]
        for row in keyboard(question, texts).inline_keyboard:
            assert all(len(b.text) <= BUTTON_CHARS for b in row), row
        for number, option in enumerate(question.options, 1):
            if len(option.label) > BUTTON_CHARS - len(CHECKED):
                assert f"\n{number}. {option.label}" in plain


def test_progress_line_comes_first_when_the_engine_estimates_a_total(content) -> None:
    texts = content.texts("en")
    question = Question(id="when", text="When?", options=(), multi=False, step=3, number=3, total=8)
    plain = parse_html(question_html(question, texts))[0]
    assert plain.splitlines()[0] == texts.messages["progress"].format(number=3, total=8)
