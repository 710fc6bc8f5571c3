"""The operator audit trail under abuse, on every store: floods of refused /op, /forget.

Anyone can send ``/op``; none of it may wipe the record of what operators did,
and a person who asks to be forgotten leaves no key or chat id behind in it.
"""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.ops.actions import Actor, Operations
from bot.ops.commands import Operators
from bot.ops.reload import Reloads
from bot.settings import Settings
from dialogs import AUDIT_KEEP, FORGOTTEN, AuditEntry, ConversationStore, Engine, Incoming, Question
from dialogs.machine import Interview
from tests.stores import conftest as stores
from tests.stores.store_helpers import STORES

# The stores' own fixtures: a fresh memory, SQLite or Redis store per test.
store, store_url = stores.store, stores.store_url

OPERATOR = "42"
PERSON = "1001"


def operators(store: ConversationStore, interview: Interview, clock: list[float]) -> Operators:
    settings = Settings(store="memory://", telegram_operators=(OPERATOR,))
    app = App(settings, store, Engine(interview, store))
    return Operators(app, reload=Reloads(app).everywhere, clock=lambda: clock[0])


async def op(ops: Operators, user: str, args: str, chat: str | None = None) -> list[str]:
    origin = f"telegram private chat {chat or user}"
    return await ops.handle("telegram", user, args, private=True, origin=origin)


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_operator_actions_stay_in_the_audit_when_1000_people_send_refused_op(
    store: ConversationStore, interview: Interview
) -> None:
    ops = operators(store, interview, [1000.0])
    await ops.app.engine.handle(f"telegram:{PERSON}", Incoming(command="start"))
    await op(ops, OPERATOR, f"show telegram:{PERSON}")
    await op(ops, OPERATOR, f"restart telegram:{PERSON}")
    for n in range(AUDIT_KEEP + 200):  # a different account each time: no rate limit helps
        assert await op(ops, str(5000 + n), "status") == [
            "Sorry, that command is only for the people who run this bot."
        ]
    actions = await store.audit(10)
    assert [(e.actor, e.action) for e in actions] == [
        (f"telegram:{OPERATOR}", "restart"),
        (f"telegram:{OPERATOR}", "show"),
    ]
    refused = await store.audit(AUDIT_KEEP + 200, refused=True)
    assert len(refused) == AUDIT_KEEP, "the refused log is capped on its own"
    assert refused[0].actor == f"telegram:{5000 + AUDIT_KEEP + 199}", "newest kept"


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_refused_op_is_audited_once_a_while_when_one_person_sends_it_1000_times(
    store: ConversationStore, interview: Interview, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [1000.0]
    ops = operators(store, interview, clock)
    with caplog.at_level(logging.WARNING, logger="bot.ops.commands"):
        for _ in range(1000):
            await op(ops, PERSON, "status")
        clock[0] += 3600  # much later, one more
        await op(ops, PERSON, "status")
    refused = await store.audit(10, refused=True)
    assert [e.result for e in refused] == [
        "not an operator (999 more since the last one)",
        "not an operator",
    ]
    assert len([r for r in caplog.records if "refused /op" in r.getMessage()]) == 2
    assert await store.audit(10) == []


@pytest.mark.parametrize("store", STORES, indirect=True)
@pytest.mark.parametrize("conversation", [True, False], ids=["with conversation", "without"])
async def test_forget_leaves_no_key_or_chat_id_in_the_audit_when_the_person_asks(
    store: ConversationStore, interview: Interview, conversation: bool
) -> None:
    ops = operators(store, interview, [1000.0])
    key = f"telegram:{PERSON}"
    engine = ops.app.engine
    if conversation:
        await engine.handle(key, Incoming(command="start"))
    await op(ops, PERSON, "status")  # refused: names them as actor and their chat as origin
    await op(ops, OPERATOR, f"show {key}")  # names them as key
    other = AuditEntry(1.0, "telegram:77", "telegram private chat 77", "show", "telegram:78")
    await store.add_audit(other)

    replies = await engine.handle(key, Incoming(command="forget"))
    prompt = replies[-1]
    if conversation:
        assert isinstance(prompt, Question) and prompt.id == "forget"
        await engine.handle(key, Incoming(choice=("yes",), question="forget", step=prompt.step))
    else:
        assert prompt.text == engine.texts().messages["nothing_stored"]

    entries = await store.audit(10) + await store.audit(10, refused=True)
    assert len(entries) == 3, "entries are scrubbed, not dropped"
    for entry in entries:
        assert PERSON not in f"{entry.actor} {entry.origin} {entry.key} {entry.result}", entry
    refused = next(e for e in entries if e.refused)
    assert (refused.actor, refused.origin) == (FORGOTTEN, FORGOTTEN)
    assert other in entries, "other people's entries are untouched"


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_operator_forget_leaves_no_key_in_the_audit_when_there_is_no_conversation(
    store: ConversationStore, interview: Interview
) -> None:
    operations = Operations(Engine(interview, store))
    actor = Actor("cli@host", "shell")
    assert not await operations.forget(actor, f"telegram:{PERSON}")
    (entry,) = await store.audit(10)
    assert (entry.action, entry.key, entry.result) == ("forget", FORGOTTEN, "missing")
