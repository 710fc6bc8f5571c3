"""Asking back and stories through the real python-telegram-bot client: buttons for the
candidates and for Yes / Change, with no Telegram-specific code in the core."""

from __future__ import annotations

from typing import Any

from dialogs import Content

STORY = "my calves cramp at night for a few minutes, I'm on a statin"


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def told(telegram: Any) -> Any:
    """A private chat past the safety check, where the story was just typed."""
    chat = telegram.private()
    for line in ("/start", "none", STORY):
        await chat.say(line)
    return chat


async def test_vague_reply_is_asked_back_with_candidate_buttons_when_typed(
    telegram: Any, content: Content
) -> None:
    labels = content.texts("en").labels["where"]
    chat = telegram.private()
    await chat.say("/start")
    await chat.say("none")
    await chat.say("my leg")
    question = chat.question()
    assert chat.question_id() == "where"
    assert buttons(question) == [labels["calf"], labels["foot"], labels["thigh"]]
    await chat.press(labels["thigh"])
    assert chat.question_id() == "when"
    assert any(m["text"].endswith(labels["thigh"]) for m in chat.messages())


async def test_story_is_confirmed_with_yes_button_then_only_missing_questions_when_typed(
    telegram: Any, content: Content
) -> None:
    texts = content.texts("en")
    chat = await told(telegram)
    assert chat.question_id() == "story"
    prompt = chat.question()
    assert buttons(prompt) == list(texts.prompts["story"]["options"].values())
    assert f"{texts.messages['topic_where']}: {texts.labels['where']['calf']}" in prompt["text"]
    await chat.press(texts.prompts["story"]["options"]["yes"])
    assert chat.question_id() == "feel"


async def test_change_button_asks_one_by_one_when_the_story_is_declined(
    telegram: Any, content: Content
) -> None:
    texts = content.texts("en")
    chat = await told(telegram)
    await chat.press(texts.prompts["story"]["options"]["change"])
    assert chat.question_id() == "where"
