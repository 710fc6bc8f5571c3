"""The fake Discord is as strict as Discord where a bot can get things wrong.

Raw REST calls, no client: each rule here is one the adapter's tests rely on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.discord_api import (
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    INVALID_SHARD,
    OTHER_GUILD_ID,
    SHARDING_REQUIRED,
    FakeDiscord,
    Person,
    invalid,
)

BOTH_GUILDS = (GUILD_ID, OTHER_GUILD_ID)


@pytest.fixture
async def server() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


async def call(fake: FakeDiscord, method: str, path: str, body: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.api_url + path, json=body) as response,
    ):
        return response.status, await response.json(content_type=None)


def buttons(count: int, label: str = "x") -> list[dict[str, Any]]:
    return [{"type": 2, "style": 2, "label": label, "custom_id": f"b{i}"} for i in range(count)]


def select(count: int, *, value: str = "", label: str = "x", **limits: int) -> dict[str, Any]:
    """A select menu of ``count`` options (each value ``value``, or a distinct one)."""
    options = [{"label": label, "value": value or f"v{i}"} for i in range(count)]
    return {"type": 3, "custom_id": "s", "options": options, **limits}


async def test_second_acknowledgement_is_refused_when_an_interaction_is_answered_twice(
    server: FakeDiscord,
) -> None:
    slash = Person(server, 1, "ann").slash_payload("cramps")
    await server.dispatch("INTERACTION_CREATE", slash)
    assert server.unacknowledged() == [slash["id"]], "none yet: the test would fail"
    path = f"/interactions/{slash['id']}/{slash['token']}/callback"
    first = await call(server, "POST", path, {"type": 4, "data": {"content": "hi"}})
    second = await call(server, "POST", path, {"type": 4, "data": {"content": "hi"}})
    assert first[0] == 200 and second == (
        400,
        {"message": "Interaction has already been acknowledged.", "code": 40060},
    )
    assert server.unacknowledged() == []


async def test_ephemeral_message_is_edited_only_through_its_interaction_when_sent(
    server: FakeDiscord,
) -> None:
    ann = Person(server, 1, "ann")
    slash = ann.slash_payload("cramps")
    await server.dispatch("INTERACTION_CREATE", slash)
    body = {"type": 4, "data": {"content": "hi", "flags": EPHEMERAL}}
    status, made = await call(
        server, "POST", f"/interactions/{slash['id']}/{slash['token']}/callback", body
    )
    message = made["resource"]["message"]
    assert status == 200 and server.messages[int(message["id"])].seen_by(1)
    assert not server.messages[int(message["id"])].seen_by(2)
    rest = await call(server, "PATCH", f"/channels/{CHANNEL_ID}/messages/{message['id']}", {})
    assert rest[0] == 404, "an ephemeral message has no channel edit"
    other = ann.slash_payload("help")
    foreign = await call(server, "PATCH", f"/webhooks/1/{other['token']}/messages/@original", {})
    assert foreign[0] == 404, "another interaction's token does not reach it"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"components": [{"type": 1, "components": buttons(1)}] * 6}, "5 or fewer"),
        ({"components": [{"type": 1, "components": buttons(6)}]}, "at most 5 buttons"),
        ({"components": [{"type": 1, "components": buttons(1, "x" * 81)}]}, "label"),
        ({"components": [{"type": 1, "components": buttons(1) * 2}]}, "unique"),
        (
            {
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 3,
                                "custom_id": "s",
                                "options": [{"label": str(i), "value": str(i)} for i in range(26)],
                            }
                        ],
                    }
                ]
            },
            "1 to 25",
        ),
        ({"components": [{"type": 1, "components": [{"type": 2, "style": 2}]}]}, "custom_id"),
        ({"components": [{"type": 1, "components": [{"type": 9, "custom_id": "a"}]}]}, "type"),
        ({"components": [{"type": 1, "components": buttons(1, "")}]}, "needs a label"),
        ({"components": [{"type": 1, "components": [{**buttons(1)[0], "style": 7}]}]}, "style"),
        (
            {"components": [{"type": 1, "components": [{**buttons(1)[0], "style": 5}]}]},
            "link button",
        ),
        ({"components": [{"type": 1, "components": [select(3, max_values=4)]}]}, "max_values"),
        (
            {"components": [{"type": 1, "components": [select(3, min_values=3, max_values=2)]}]},
            "min",
        ),
        ({"components": [{"type": 1, "components": [select(3, value="same")]}]}, "unique"),
        ({"components": [{"type": 1, "components": [select(1, value="v" * 101)]}]}, "value"),
        ({"components": [{"type": 1, "components": [select(1, label="")]}]}, "options.label"),
    ],
)
def test_message_over_discords_limits_is_refused_when_sent(
    body: dict[str, Any], problem: str
) -> None:
    found = invalid(body)
    assert found is not None and problem in found
    assert (
        invalid({"content": "x" * 2000, "components": [{"type": 1, "components": buttons(5)}]})
        is None
    )
    link = {"type": 2, "style": 5, "label": "docs", "url": "https://example.org"}
    fits = [[*buttons(4), link], [select(25, min_values=1, max_values=25)]]
    assert invalid({"components": [{"type": 1, "components": row} for row in fits]}) is None


@pytest.fixture
async def sharded() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(shards=2, guilds=BOTH_GUILDS) as fake:
        yield fake


async def identify(
    session: aiohttp.ClientSession, fake: FakeDiscord, shard: Any = None
) -> tuple[aiohttp.ClientWebSocketResponse, list[dict[str, Any]]]:
    """Open a gateway session as ``shard`` (left out when ``None``); the socket and the
    frames up to its last GUILD_CREATE, or up to the close when refused."""
    ws = await session.ws_connect(fake.gateway_url)
    hello = await ws.receive_json()
    assert hello["op"] == 10
    data: dict[str, Any] = {"token": "x", "intents": 0, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": 2, "d": data})
    frames: list[dict[str, Any]] = []
    while (msg := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
        frames.append(json.loads(msg.data))
        ready = frames[0]["d"]
        if len(frames) == 1 + len(ready["guilds"]):
            break
    return ws, frames


async def events(ws: aiohttp.ClientWebSocketResponse) -> list[str]:
    """The event names ``ws`` got after the ones already read, up to a marker sent to every shard."""
    names = []
    while (frame := await ws.receive_json())["t"] != "MARKER":
        names.append(frame["t"])
    return names


async def test_gateway_bot_recommends_the_shard_count_when_asked(sharded: FakeDiscord) -> None:
    status, found = await call(sharded, "GET", "/gateway/bot", None)
    assert status == 200 and found["shards"] == 2 and found["url"] == sharded.gateway_url
    assert found["session_start_limit"]["max_concurrency"] >= 1


@pytest.mark.parametrize(
    ("shard", "code"),
    [
        ([2, 2], INVALID_SHARD),
        ([-1, 2], INVALID_SHARD),
        ([0], INVALID_SHARD),
        (["0", "2"], INVALID_SHARD),
        ([0, 0], INVALID_SHARD),
        (None, SHARDING_REQUIRED),
        ([0, 1], SHARDING_REQUIRED),
    ],
)
async def test_identify_is_closed_like_discord_when_the_shard_is_invalid_or_missing(
    sharded: FakeDiscord, shard: Any, code: int
) -> None:
    async with aiohttp.ClientSession() as session:
        ws, frames = await identify(session, sharded, shard)
        assert frames == [] and ws.close_code == code
    assert sharded.closed == [(shard if shard is not None else [0, 1], code)]
    assert not sharded.sessions


async def test_each_shard_gets_only_its_guilds_and_dms_go_to_shard_0_when_sharded(
    sharded: FakeDiscord,
) -> None:
    ann = Person(sharded, 1, "ann")
    async with aiohttp.ClientSession() as session:
        zero, zero_frames = await identify(session, sharded, [0, 2])
        one, one_frames = await identify(session, sharded, [1, 2])
        assert [f["d"]["shard"] for f in (zero_frames[0], one_frames[0])] == [[0, 2], [1, 2]]
        assert [f["d"]["id"] for f in zero_frames[1:]] == [str(GUILD_ID)]
        assert [f["d"]["id"] for f in one_frames[1:]] == [str(OTHER_GUILD_ID)]
        here = ann.slash_payload("cramps")
        there = ann.slash_payload("cramps", guild=OTHER_GUILD_ID)
        dm = ann.slash_payload("cramps", dm=True)
        for payload in (here, there, dm):
            await sharded.dispatch("INTERACTION_CREATE", payload)
        await sharded.dispatch("MESSAGE_CREATE", ann.dm_payload("hi"))
        for guild in BOTH_GUILDS:
            await sharded.dispatch("MARKER", {"guild_id": str(guild)})
        assert await events(zero) == ["INTERACTION_CREATE"] * 2 + ["MESSAGE_CREATE"]
        assert await events(one) == ["INTERACTION_CREATE"]
    assert [sharded.routed[p["id"]] for p in (here, there, dm)] == [[0], [1], [0]]
