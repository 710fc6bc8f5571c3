"""What the chat front ends share: packing, bounded message references, button formats."""

from __future__ import annotations

import pytest

from bot.platforms import buttons
from bot.platforms.chat import MessageRefs, cited, pack, topics_menu


def test_message_refs_forget_the_oldest_when_the_limit_is_reached() -> None:
    refs: MessageRefs[int, str] = MessageRefs(limit=3)
    for person in range(5):
        refs.remember(person, f"message {person}")
    assert len(refs) == 3
    assert refs.pop(0) is None and refs.pop(1) is None
    assert refs.pop(4) == "message 4"
    assert refs.pop(4) is None


def test_message_refs_keep_a_person_when_they_are_remembered_again() -> None:
    refs: MessageRefs[int, str] = MessageRefs(limit=2)
    refs.remember(1, "a")
    refs.remember(2, "b")
    refs.remember(1, "c")
    refs.remember(3, "d")
    assert refs.pop(2) is None
    assert refs.pop(1) == "c"


def test_pack_joins_short_parts_and_cuts_long_ones_between_lines_when_packing() -> None:
    assert pack(["a", "b"], 10) == ["a\n\nb"]
    long = "\n".join(["x" * 8] * 4)
    packed = pack([long], 20)
    assert all(len(p) <= 20 for p in packed)
    assert "".join(packed).replace("\n", "") == long.replace("\n", "")
    assert pack(["y" * 25], 10) == ["y" * 10, "y" * 10, "y" * 5]


def test_sources_and_topics_are_listed_in_order_when_formatted() -> None:
    assert cited([("NHS", "NHS: Leg cramps"), ("AFP", "AFP 2016")]) == [
        "NHS (NHS: Leg cramps)",
        "AFP (AFP 2016)",
    ]
    assert topics_menu(["night", "stretch"]) == "/crampinfo night\n/crampinfo stretch"


@pytest.mark.parametrize("fmt", [buttons.BUTTON, buttons.PICK, buttons.SELECT, buttons.DM])
def test_button_data_round_trips_when_packed_and_parsed(fmt: buttons.Format) -> None:
    fields = {"kind": "pick", "step": 12, "question": "where", "payload": "calf"}
    data = fmt.pack(**fields)
    parsed = fmt.parse(data)
    assert parsed is not None
    assert all(parsed[k] == str(fields[k]) for k in parsed)
    assert len(data.encode()) <= buttons.LIMIT


def test_button_data_is_refused_when_it_breaks_its_format() -> None:
    with pytest.raises(ValueError):
        buttons.SELECT.pack(step=1, question="x" * 30)
    with pytest.raises(ValueError):
        buttons.BUTTON.pack(kind="pick", step=1, question="where", payload="Calf!")
    assert buttons.SELECT.parse("cbsel:1:where:extra") is None
    assert buttons.decode("cb:pick:1:where:calf:more") is None
