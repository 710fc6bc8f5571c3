"""Asking back and stories in Discord DMs through the real discord.py client: buttons for
the candidates and for Yes / Change, with no Discord-specific code in the core."""

from __future__ import annotations

from dialogs.content import Content
from tests.platforms.discord.conftest import Chat

STORY = "my calves cramp at night for a few minutes, I'm on a statin"


async def test_vague_reply_is_asked_back_with_candidate_buttons_when_typed_in_dms(
    chat: Chat, content: Content
) -> None:
    bob = chat.person("bob")
    await chat.say(bob, "/start")
    await chat.say(bob, "none")
    shown = await chat.say(bob, "my leg")
    message = shown.question
    assert message is not None and message.question == "where"
    assert [c["custom_id"].rsplit(":", 1)[1] for c in message.components()] == [
        "calf",
        "foot",
        "thigh",
    ]
    shown = await chat.answer(bob, message, "thigh")
    assert shown.question is not None and shown.question.question == "when"


async def test_story_is_confirmed_with_yes_button_when_typed_in_dms(
    chat: Chat, content: Content
) -> None:
    texts = content.texts("en")
    bob = chat.person("bob")
    await chat.say(bob, "/start")
    await chat.say(bob, "none")
    shown = await chat.say(bob, STORY)
    prompt = shown.question
    assert prompt is not None and prompt.question == "story"
    assert f"{texts.messages['topic_when']}: {texts.labels['when']['night']}" in prompt.text()
    shown = await chat.answer(bob, prompt, "yes")
    assert shown.question is not None and shown.question.question == "feel"
