"""Fair under load: one person's flood or one chat's 429 never holds up another person.

Order is read from the fake Bot API's call log (which call came first), never
from a clock.
"""

from __future__ import annotations

from typing import Any

from bot.platforms.flood import BACKLOG
from tests.platforms.telegram.conftest import Chat, Harness

FLOOD = 300


def sends(harness: Harness, chat: Chat) -> list[int]:
    """Positions in the call log of the messages the bot sent to ``chat``."""
    return [
        n
        for n, c in enumerate(harness.fake.calls)
        if c.method == "sendMessage" and c.failed is None and c.params.get("chat_id") == chat.id
    ]


async def test_other_person_is_answered_first_when_one_person_sends_300_messages(
    telegram: Harness, content: Any
) -> None:
    messages = content.texts("en").messages
    flooder, other = telegram.private(1001), telegram.private(2002)
    await flooder.say("/start")
    for n in range(FLOOD):
        await telegram.deliver(flooder.message(f"spam {n}"))
    await telegram.deliver(other.message("/start"))
    await telegram.settle(flooder)

    flood_texts = flooder.texts()
    assert flood_texts.count(messages["flood"]) == 1, "at most one notice per flood"
    not_understood = [t for t in flood_texts if t == messages["not_understood"]]
    assert 0 < len(not_understood) <= BACKLOG, "the excess never reached the engine"
    assert other.question_id() == "red_flags"
    # The other person's first reply came before the flooder's accepted messages were done.
    assert sends(telegram, other)[0] < sends(telegram, flooder)[-1]


async def test_flood_notice_is_sent_again_only_when_a_new_flood_starts(
    telegram: Harness, content: Any
) -> None:
    notice = content.texts("en").messages["flood"]
    chat = telegram.private(1001)
    await chat.say("/start")
    for flood in range(2):
        for n in range(BACKLOG * 3):
            await telegram.deliver(chat.message(f"spam {flood} {n}"))
        await telegram.settle(chat)
        assert chat.texts().count(notice) == flood + 1
    await chat.say("none")
    assert chat.question_id() == "where", "after the flood the person is served as usual"


async def test_each_persons_replies_stay_in_order_when_two_people_answer_at_once(
    telegram: Harness, content: Any
) -> None:
    labels = content.texts("en").labels
    people = [telegram.private(1001), telegram.private(2002)]
    answers = ["/start", "none", "calf", "at night", "under 2 minutes"]
    for answer in answers:  # delivered interleaved, without waiting for any reply
        for chat in people:
            await telegram.deliver(chat.message(answer))
    await telegram.sync()
    for chat in people:
        record = await telegram.app.store.load(f"telegram:{chat.id}")
        assert record is not None
        assert list(record.answers) == ["red_flags", "where", "when", "duration"]
        texts = chat.texts()
        # Each answer is echoed after the question it answers and before the next one.
        positions = [
            next(n for n, t in enumerate(texts) if t.endswith(labels[q][a]))
            for q, a in (("where", "calf"), ("when", "night"))
        ]
        assert positions == sorted(positions)


async def test_other_chat_is_answered_while_one_chat_waits_out_a_429(
    telegram: Harness, content: Any
) -> None:
    slowed, other = telegram.private(1001), telegram.private(2002)
    telegram.fake.fail_next("sendMessage", "429", chat_id=slowed.id)
    await telegram.deliver(slowed.message("/start"))
    await telegram.fake.wait_for(lambda c: c.failed == "429")
    await telegram.deliver(other.message("/start"))
    await telegram.sync()

    (failed,) = [n for n, c in enumerate(telegram.fake.calls) if c.failed == "429"]
    retried = sends(telegram, slowed)[0]
    # The other chat's replies went out while the slowed chat was still waiting to retry.
    assert failed < sends(telegram, other)[0] < retried
    assert slowed.question_id() == "red_flags" and other.question_id() == "red_flags"
