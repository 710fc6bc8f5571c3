"""`/op` commands: who may use them, where, and what they do (platform-free part)."""

from __future__ import annotations

from bot.app import App
from bot.ops.commands import Operators
from bot.ops.reload import Reloaded, Reloads
from bot.settings import Settings
from bot.stores.memory_store import InMemoryStore
from dialogs import StoreUnavailable
from dialogs.engine import Engine
from dialogs.machine import Interview
from dialogs.types import Incoming, Reply
from tests.languages import english_in, english_labels_in


def make(
    interview: Interview, problems: list[str] | None = None, received: int | None = None
) -> tuple[Operators, list[tuple[str, list[Reply]]]]:
    settings = Settings(store="memory://", telegram_operators=("42",), discord_operators=("7",))
    store = InMemoryStore()
    app = App(settings, store, Engine(interview, store))
    sent: list[tuple[str, list[Reply]]] = []

    async def reload() -> Reloaded:
        return Reloaded(list(problems or []), interview.version, received)

    ops = Operators(app, reload=reload)

    async def notify(user: str, replies: list[Reply]) -> None:
        sent.append((user, replies))

    ops.add_notifier("telegram", notify)
    return ops, sent


async def test_non_operator_is_refused_and_audited_when_using_op(interview: Interview) -> None:
    ops, _ = make(interview)
    lines = await ops.handle(
        "telegram", "99", "status", private=True, origin="telegram private chat"
    )
    assert lines == ["Sorry, that command is only for the people who run this bot."]
    assert await ops.ops.entries() == [], "refusals are kept apart from operator actions"
    (entry,) = await ops.ops.entries(refused=True)
    assert (entry.actor, entry.action, entry.result) == (
        "telegram:99",
        "refused",
        "not an operator",
    )


async def test_operator_is_refused_without_data_when_in_a_group(interview: Interview) -> None:
    ops, _ = make(interview)
    await ops.app.engine.handle("telegram:5", Incoming(command="start"))
    lines = await ops.handle(
        "telegram", "42", "show telegram:5", private=False, origin="telegram group -100"
    )
    assert lines == ["Operator commands work only in a private chat with me."]
    assert (await ops.ops.entries(refused=True))[0].result == "not a private chat"


async def test_status_counts_conversations_and_shows_audit_when_asked(interview: Interview) -> None:
    ops, _ = make(interview)
    engine = ops.app.engine
    await engine.handle("telegram:1", Incoming(command="start"))
    await engine.handle("telegram:2", Incoming(command="start"))
    await engine.handle("telegram:2", Incoming(text="chest pain"))
    (text,) = await ops.handle(
        "telegram", "42", "status", private=True, origin="telegram private chat"
    )
    assert "1 active, 1 finished" in text
    assert "red_flags 1" in text and "outcome 1" in text and "emergency 1" in text
    assert "2026.11.2 (2)" in text


async def test_restart_notifies_person_at_once_when_platform_allows(interview: Interview) -> None:
    ops, sent = make(interview)
    engine = ops.app.engine
    await engine.handle("telegram:5", Incoming(command="start"))
    await engine.handle("telegram:5", Incoming(text="none"))
    (line,) = await ops.handle("telegram", "42", "restart telegram:5", private=True, origin="dm")
    assert line == "Restarted telegram:5; they have been told."
    ((user, replies),) = sent
    assert user == "5" and "restarted by the bot's operator" in replies[0].text  # type: ignore[union-attr]
    assert replies[-1].id == "red_flags"  # type: ignore[union-attr]
    (line,) = await ops.handle("discord", "7", "restart discord:404", private=True, origin="dm")
    assert line == "No conversation with key discord:404."


async def test_restart_all_needs_confirmation_when_asked(interview: Interview) -> None:
    ops, _ = make(interview)
    await ops.app.engine.handle("discord:1", Incoming(command="start"))
    await ops.app.engine.handle("discord:1", Incoming(text="none"))
    (ask,) = await ops.handle("discord", "7", "restart all", private=True, origin="dm")
    assert "confirm" in ask
    assert (await ops.app.store.load("discord:1")).state == "where"  # type: ignore[union-attr]
    (done,) = await ops.handle("discord", "7", "restart all confirm", private=True, origin="dm")
    assert done.startswith("Restarted 1 interview(s)")
    assert (await ops.app.store.load("discord:1")).state == "red_flags"  # type: ignore[union-attr]


async def test_reload_reports_problems_and_keeps_content_when_invalid(interview: Interview) -> None:
    ops, _ = make(
        interview, problems=["advice.yaml: advice.stretch: source 'X' is not in `sources`"]
    )
    (text,) = await ops.handle("telegram", "42", "reload", private=True, origin="dm")
    assert "still running the old content" in text and "advice.stretch" in text
    assert ops.app.engine.interview is interview


async def test_reload_says_how_many_processes_received_it_when_the_store_counts_them(
    interview: Interview,
) -> None:
    ops, _ = make(interview, received=3)
    (text,) = await ops.handle("telegram", "42", "reload", private=True, origin="dm")
    assert text == (
        f"Content reloaded: version {interview.version}.\n"
        "3 process(es) sharing the store received the request to reload."
    )


async def test_reload_says_the_others_were_not_asked_when_the_store_is_unavailable(
    interview: Interview,
) -> None:
    store = InMemoryStore()

    async def unavailable(name: str, value: str) -> None:
        raise StoreUnavailable("CRAMPBOT_STORE: Redis at 127.0.0.1:1 cannot be reached")

    store.set_meta = unavailable  # type: ignore[method-assign]
    app = App(
        Settings(store="memory://", telegram_operators=("42",)), store, Engine(interview, store)
    )
    ops = Operators(app, reload=Reloads(app).everywhere)
    (text,) = await ops.handle("telegram", "42", "reload", private=True, origin="dm")
    assert text.splitlines()[1].startswith("The other processes could not be asked to reload")
    assert app.engine.interview is not interview, "reloaded here all the same"


async def test_operator_reads_every_reply_in_spanish_when_their_locale_is_es(
    interview: Interview,
) -> None:
    es = interview.content.locales["es"]
    ops, _ = make(interview)
    engine = ops.app.engine
    await engine.handle("telegram:1", Incoming(command="start"))
    await engine.handle("telegram:1", Incoming(text="none"))
    said: list[str] = []
    for user, args in [("99", "status"), ("42", "help"), ("42", "status")]:
        said += await ops.handle("telegram", user, args, private=True, origin="t", locale="es")
    for args in ["show telegram:1", "show telegram:404", "restart nokey", "restart all", "reload"]:
        said += await ops.handle("telegram", "42", args, private=True, origin="t", locale="es-MX")
    said += await ops.handle("telegram", "42", "help", private=False, origin="t", locale="es")
    assert said[:2] == [es.messages["op_refused"], es.messages["op_usage"]]
    assert es.messages["op_not_yet"] in said[3] and es.messages["op_confirm_all"] in said
    assert not english_in(said, interview.content)
    assert not english_labels_in(said, interview.content)
