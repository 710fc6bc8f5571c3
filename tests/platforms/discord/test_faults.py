"""Things that go wrong on Discord: stale and double clicks, replays, 429, 403, disconnects, restarts."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import build_app
from bot.platforms.flood import BACKLOG
from bot.settings import Settings
from dialogs import Incoming, Reply
from dialogs.content import Content
from dialogs.machine import Interview
from tests.fakes.discord_api import Person, Sent
from tests.platforms.discord.conftest import HANG_GUARD, Chat


async def start_where(chat: Chat, who: Person) -> Sent:
    """/cramps, answer the safety check with "none", and return the "where" question."""
    first = (await chat.slash(who, "cramps")).question
    assert first is not None
    where = (await chat.answer(who, first, ["none"])).question
    assert where is not None and where.question == "where"
    return where


async def answers(chat: Chat, who: Person) -> dict[str, object]:
    record = await chat.app.store.load(f"discord:{who.id}")
    assert record is not None
    return dict(record.answers)


async def test_stale_click_is_closed_without_a_second_copy_when_clicked_after_back(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    await chat.slash(alice, "back")
    before = await answers(chat, alice)
    shown = await chat.answer(alice, where, "calf")
    assert [m.content for m in shown if m is not where] == [content.texts("en").messages["closed"]]
    assert all(m.ephemeral for m in shown)
    assert shown.question is None, "a notice, not a second copy of the question"
    assert await answers(chat, alice) == before
    assert "✓ Calf" not in where.content and not where.live(), "the stale copy loses its controls"


async def test_double_click_gets_a_notice_not_a_second_copy_when_delivered_at_once(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    shown = await chat.deliver(
        ("INTERACTION_CREATE", alice.answer_payload(where, "calf")),
        ("INTERACTION_CREATE", alice.answer_payload(where, "calf")),
    )
    assert (await answers(chat, alice))["where"] == "calf"
    notices = [m for m in shown if m.content == content.texts("en").messages["closed"]]
    assert len(notices) == 1 and notices[0].ephemeral
    assert where.content.count("✓") == 1
    assert where.question == "when", "the copy shows the next question, still live"
    assert [m.id for m in chat.fake.live(alice.id)] == [where.id]


async def test_replayed_interaction_is_applied_once_when_delivered_twice(chat: Chat) -> None:
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    click = alice.answer_payload(where, "calf")
    await chat.deliver(("INTERACTION_CREATE", click))
    after = await answers(chat, alice)
    replay = await chat.deliver(("INTERACTION_CREATE", click))
    assert await answers(chat, alice) == after
    assert not replay, "a replay of an acknowledged interaction sends nothing"
    assert [
        c.status for c in chat.fake.calls if c.path.startswith(f"/interactions/{click['id']}/")
    ] == [
        200,
        400,
    ]


async def test_rate_limit_is_waited_out_when_discord_answers_429(chat: Chat) -> None:
    chat.fake.fail_next_429("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", retry_after=0.2)
    mark = len(chat.fake.calls)
    shown = await chat.slash(chat.person("alice"), "cramps")
    assert shown.question is not None and shown.question.question == "red_flags"
    posts = [c for c in chat.fake.since(mark) if c.path.startswith("/webhooks/")]
    assert posts[0].status == 429 and posts[1].status == 200
    assert posts[1].at - posts[0].at >= 0.19, "retried only after retry_after"


async def test_closed_dms_are_explained_ephemerally_when_continue_in_dms_fails(
    chat: Chat,
) -> None:
    alice = chat.person("alice")
    shown = await chat.slash(alice, "cramps")
    offer = next(m for m in shown if any(c["custom_id"] == "cbdm" for c in m.components()))
    chat.fake.fail_next(
        "POST",
        r"/channels/\d+/messages",
        403,
        {"message": "Cannot send messages to this user", "code": 50007},
    )
    [explained] = await chat.click(alice, offer, "cbdm")
    assert explained.ephemeral and "couldn't send you a direct message" in explained.content


async def test_bot_keeps_serving_when_the_gateway_connection_drops(chat: Chat) -> None:
    alice = chat.person("alice")
    await chat.slash(alice, "cramps")
    await chat.fake.drop_gateway()
    shown = await chat.slash(alice, "help")
    assert shown.question is not None
    async with asyncio.timeout(HANG_GUARD):
        await chat.fake.wait_connected(2)
    assert chat.fake.resumes == 1 and chat.fake.identifies == 1


async def test_unknown_component_gets_a_short_notice_when_clicked(
    chat: Chat, content: Content
) -> None:
    """Was: a click on a custom id the bot no longer knows was never acknowledged."""
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    unknown = alice.click_payload(where, "somebody-elses-button")
    [notice] = await chat.deliver(("INTERACTION_CREATE", unknown))
    assert notice.ephemeral and notice.content == content.texts("en").messages["closed"]
    await chat.fake.dispatch("BRAND_NEW_EVENT", {"anything": [1, 2, 3]})
    shown = await chat.answer(alice, where, "calf")
    assert shown.question is not None and shown.question.question == "when"


async def test_malformed_button_is_closed_when_it_names_no_current_question(
    chat: Chat, content: Content
) -> None:
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    forged = dict(where.payload)
    forged["components"] = [
        {
            "type": 1,
            "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "cb:pick:9:nope:zz"}],
        }
    ]
    shown = await chat.click(alice, Sent(forged), "cb:pick:9:nope:zz")
    assert content.texts("en").messages["closed"] in shown.text()
    assert shown.question is None


async def test_click_from_before_a_restart_continues_when_the_bot_comes_back(
    chat: Chat, settings: Settings, interview: Interview
) -> None:
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    await chat.stop()
    before, chat.app = chat.app, await build_app(settings, interview)
    try:
        await chat.start()
        shown = await chat.answer(alice, where, "calf")
        assert where.content.startswith("> ✓ Calf")
        assert shown.question is where and where.question == "when"
    finally:
        await chat.stop()
        await chat.app.close()
        chat.app = before


async def test_failure_is_logged_by_id_and_class_when_the_store_breaks(
    chat: Chat, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    bob = chat.person("bob")
    await chat.app.store.close()  # every load now raises sqlite3.ProgrammingError
    caplog.set_level(logging.INFO, logger="bot.platforms.discord.messenger")
    payload = bob.dm_payload("my secret calf")
    shown = await chat.deliver(("MESSAGE_CREATE", payload))
    assert content.texts("en").messages["busy"] in shown.text()
    slash = await chat.slash(bob, "cramps")
    assert content.texts("en").messages["busy"] in slash.text() and slash[0].ephemeral
    logged = [r.getMessage() for r in caplog.records]
    assert f"message {payload['id']} failed: ProgrammingError" in logged
    assert any(
        m.startswith("interaction ") and m.endswith("failed: ProgrammingError") for m in logged
    )
    assert not any("secret" in m for m in logged)


async def test_click_is_closed_when_its_component_type_is_not_the_one_its_id_names(
    chat: Chat, content: Content
) -> None:
    """A button's id arriving as a select menu's (forged) is not ours: a notice, nothing applied."""
    alice = chat.person("alice")
    where = await start_where(chat, alice)
    before = await answers(chat, alice)
    forged = alice.click_payload(where, alice.component(where, ":calf"), values=["calf"])
    [notice] = await chat.deliver(("INTERACTION_CREATE", forged))
    assert notice.ephemeral and notice.content == content.texts("en").messages["closed"]
    assert await answers(chat, alice) == before


async def test_a_flooding_person_is_told_once_while_others_are_served_when_flooding(
    chat: Chat, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the backlog a person's events are dropped (told once); another person is served."""
    alice, bob = chat.person("alice"), chat.person("bob")
    await chat.say(alice, "/start")
    release, handled = asyncio.Event(), []
    handle = chat.app.engine.handle

    async def slow(key: object, event: Incoming, locale: str | None = None) -> list[Reply]:
        if str(key) == f"discord:{alice.id}":
            handled.append(event.event_id)
            await release.wait()
        return await handle(key, event, locale)  # type: ignore[arg-type]

    monkeypatch.setattr(chat.app.engine, "handle", slow)
    burst = [("MESSAGE_CREATE", alice.dm_payload("/help")) for _ in range(BACKLOG + 3)]
    flood = asyncio.create_task(chat.deliver(*burst))
    served = await chat.slash(bob, "cramps", dm=True)
    assert served.question is not None, "another person is served during the flood"
    release.set()
    shown = await flood
    told = [m for m in shown if m.content == content.texts("en").messages["flood"]]
    assert len(told) == 1, "told once per flood"
    assert len(handled) == BACKLOG, "only the backlog reached the engine"
    assert chat.client is not None and len(chat.client.gate) == 0
