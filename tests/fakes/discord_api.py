"""A fake Discord (gateway websocket + REST) on 127.0.0.1 for running the real discord.py client.

Point discord.py at it with ``discord.http.Route.BASE = fake.api_url`` and
``DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)``. The gateway
speaks HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME (replaying
missed events) and can drop the connection. It shards like Discord: ``GET
/gateway/bot`` recommends ``shards``; IDENTIFY may carry ``shard: [id, count]``
(an invalid one is closed with 4010, too few shards or none when several are
required with 4011); a guild's events go only to the sessions of shard
``(guild_id >> 22) % count``, DMs only to shard 0. REST covers what a dialog bot
calls (login, command sync, messages, DMs, interaction callbacks, followups,
``@original`` edits), records every request, keeps the messages the bot sent,
and fails the next matching call on demand (429 with ``retry_after``, 403).
:class:`Person` drives it like a chat user.

It is as strict as Discord where a bot can get things wrong: every interaction
is acknowledged exactly once and within 3 seconds (a second callback is a 400,
a late one a 404, and :meth:`FakeDiscord.unacknowledged` lists the ones never
answered); an ephemeral message is seen only by its person and edited only
through its own interaction's token; message bodies over the limits (2000
characters, 5 rows of 5 buttons or one select menu, 25 unique select options,
80-character button labels, a label on every button, 100-character custom ids
unique in a message, a select's min and max values within its options) are
refused with 400 "Invalid Form Body".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GfAkEs.fakefakefakefakefakefakefakefakefake0"
APP_ID = 100000000000000001
GUILD_ID = 200000000000000001
CHANNEL_ID = 300000000000000001
OTHER_GUILD_ID = GUILD_ID + (1 << 22)
"""A second server: on shard 1 of 2, where :data:`GUILD_ID` is on shard 0."""
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011
TIMESTAMP = "2026-01-01T00:00:00.000000+00:00"
EPHEMERAL = 64
ROW, BUTTON, SELECT = 1, 2, 3
LINK, BUTTON_STYLES = 5, range(1, 7)
ACK_SECONDS = 3.0
CONTENT_MAX, ROWS_MAX, ROW_BUTTONS, SELECT_OPTIONS = 2000, 5, 5, 25
LABEL_MAX, OPTION_MAX, CUSTOM_ID_MAX, PLACEHOLDER_MAX = 80, 100, 100, 150
BOT_USER = {
    "id": str(APP_ID),
    "username": "Cramp Helper",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
    "flags": 0,
}


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 200


@dataclass
class Sent:
    """A message the bot sent, as Discord stores it (edits update it in place)."""

    payload: dict[str, Any]
    user: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & EPHEMERAL)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    def seen_by(self, user_id: int) -> bool:
        """Whether ``user_id`` sees this message (an ephemeral one only its person sees)."""
        return not self.ephemeral or self.user == user_id

    def live(self) -> list[dict[str, Any]]:
        """The components a person can still click."""
        return [c for c in self.components() if not c.get("disabled")]

    def components(self) -> list[dict[str, Any]]:
        """The message's interactive components (buttons and selects), flattened."""
        return [
            c for row in self.payload.get("components") or [] for c in row.get("components", [])
        ]

    @property
    def question(self) -> str | None:
        """The question id its enabled components answer, if any."""
        for c in self.components():
            if c.get("disabled"):
                continue
            match = re.match(
                r"^(?:cb:pick|cb:toggle|cb:done|cbsel):\d+:([a-z_]+)(?::|$)", c.get("custom_id", "")
            )
            if match:
                return match.group(1)
        return None

    def text(self) -> str:
        """Everything a person reads in it: content and embeds."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title", ""), e.get("description", "")]
            parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields", [])]
            parts.append((e.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)


def shard_of(guild_id: int | None, count: int) -> int:
    """The shard that gets a guild's events, as Discord computes it; DMs (no guild) go to 0."""
    return 0 if guild_id is None else (guild_id >> 22) % count


def channel_of(guild_id: int) -> int:
    """The text channel of a fake server (:data:`CHANNEL_ID` in :data:`GUILD_ID`)."""
    return CHANNEL_ID + (guild_id - GUILD_ID)


@dataclass
class Session:
    """One gateway session: the shard it identified as, its events in order, its socket."""

    id: str
    shard: int
    count: int
    socket: web.WebSocketResponse | None
    events: list[dict[str, Any]] = field(default_factory=list)

    def wants(self, guild_id: int | None) -> bool:
        return shard_of(guild_id, self.count) == self.shard


class FakeDiscord:
    """The fake server; ``async with FakeDiscord() as fake`` starts and stops it.

    ``shards`` is the count ``GET /gateway/bot`` recommends and the least a
    session may identify with; ``guilds`` are the servers the bot is in.
    """

    def __init__(self, shards: int = 1, guilds: tuple[int, ...] = (GUILD_ID,)) -> None:
        self.shards = shards
        self.guilds = guilds
        self.sessions: dict[str, Session] = {}
        self.closed: list[tuple[Any, int]] = []
        self.routed: dict[str, list[int]] = {}
        self.calls: list[Call] = []
        self.messages: dict[int, Sent] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.identifies = 0
        self.resumes = 0
        self.dm_channels: dict[int, int] = {}
        self.touched: list[int] = []
        self.asked: dict[int, Sent] = {}
        self._ids = itertools.count(700000000000000001)
        self._faults: list[tuple[str, re.Pattern[str], int, dict[str, Any]]] = []
        self._interactions: dict[str, dict[str, Any]] = {}
        self._acked: set[str] = set()
        self._dispatched: dict[str, None] = {}
        self.refused: list[tuple[str, str]] = []
        self.deleted: list[Sent] = []
        self.opened = 0
        self.greeting = asyncio.Event()
        self.greeting.set()
        self._connected = asyncio.Condition()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------
    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.greeting.set()
        for ws in self._sockets():
            await ws.close(code=1001)
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- test controls ---------------------------------------------------
    def fail_next(self, method: str, path: str, status: int, body: dict[str, Any]) -> None:
        """Answer the next ``method`` request whose path matches the regex ``path`` with an error."""
        self._faults.append((method, re.compile(path), status, body))

    def fail_next_429(self, method: str, path: str, retry_after: float) -> None:
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
        }
        self.fail_next(method, path, 429, body)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway socket, as Discord does when a node goes away."""
        for ws in self._sockets():
            await ws.close(code=code)

    async def wait_opened(self, count: int) -> None:
        """Until ``count`` gateway sockets were opened (a hang guard is the caller's)."""
        async with self._connected:
            await self._connected.wait_for(lambda: self.opened >= count)

    async def wait_connected(self, count: int) -> None:
        """Until IDENTIFY + RESUME sessions total ``count`` (a hang guard is the caller's)."""
        async with self._connected:
            await self._connected.wait_for(lambda: self.identifies + self.resumes >= count)

    async def wait_until(self, check: Callable[[], bool]) -> None:
        """Until ``check()`` holds; checked after each REST call (a hang guard is the caller's)."""
        async with self._changed:
            await self._changed.wait_for(check)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the sessions of its shard (a guild's, or shard 0 for DMs);
        one sent while a session is disconnected is replayed on its RESUME."""
        whole_guild = event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE")
        guild = data.get("id") if whole_guild else data.get("guild_id")
        if event == "INTERACTION_CREATE":
            self._dispatched.setdefault(str(data["id"]), None)
        shards = self.routed.setdefault(str(data.get("id")), [])
        for session in list(self.sessions.values()):
            if session.wants(int(guild) if guild is not None else None):
                shards.append(session.shard)
                await self._send(session, event, data)

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        frame = {"op": 0, "t": event, "s": len(session.events) + 1, "d": data}
        session.events.append(frame)
        if session.socket is not None and not session.socket.closed:
            await session.socket.send_str(json.dumps(frame))

    def _sockets(self) -> list[web.WebSocketResponse]:
        return [s.socket for s in self.sessions.values() if s.socket is not None]

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    def unacknowledged(self) -> list[str]:
        """Interactions dispatched but never acknowledged (Discord shows "This interaction failed")."""
        return [i for i in self._dispatched if i not in self._acked]

    def live(self, user: int) -> list[Sent]:
        """Messages ``user`` sees that still have components they can click."""
        return [m for m in self.sent_to(user) if m.live()]

    def sent_to(self, user: int) -> list[Sent]:
        """Messages that ``user`` can see: their DMs and ephemeral replies, in order."""
        return [m for m in self.messages.values() if m.user == user]

    # -- payload builders ------------------------------------------------
    def user(self, user_id: int, name: str) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name.title(),
            "avatar": None,
            "flags": 0,
        }

    def member(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "user": user,
            "roles": [],
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "2147483647",
        }

    def guild(self, guild_id: int = GUILD_ID) -> dict[str, Any]:
        return {
            "id": str(guild_id),
            "name": "Cramp Club",
            "owner_id": "1",
            "unavailable": False,
            "member_count": 2,
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": "2147483647",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {
                    "id": str(channel_of(guild_id)),
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "guild_id": str(guild_id),
                    "permission_overwrites": [],
                    "nsfw": False,
                }
            ],
            "members": [self.member(BOT_USER)],
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "large": False,
            "premium_tier": 0,
            "preferred_locale": "en-US",
        }

    def interaction(
        self,
        kind: int,
        user: dict[str, Any],
        data: dict[str, Any],
        *,
        dm: bool,
        locale: str,
        message: dict[str, Any] | None = None,
        interaction_id: int | None = None,
        guild: int = GUILD_ID,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload (type 2 command or 3 component), in DMs or ``guild``."""
        iid = interaction_id or next(self._ids)
        token = f"token-{iid}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "attachment_size_limit": 10485760,
            "app_permissions": "2147483647",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 1 if dm else 0,
        }
        if dm:
            channel = self.dm_channel(int(user["id"]))
            payload["user"] = user
            payload["channel"] = {"id": str(channel), "type": 1}
            payload["channel_id"] = str(channel)
        else:
            channel = channel_of(guild)
            payload["guild_id"] = str(guild)
            payload["guild_locale"] = "en-US"
            payload["member"] = self.member(user)
            payload["channel"] = {
                "id": str(channel),
                "type": 0,
                "guild_id": str(guild),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
            }
            payload["channel_id"] = str(channel)
        if message is not None:
            payload["message"] = message
        self._interactions[token] = {
            "id": str(iid),
            "kind": kind,
            "user": int(user["id"]),
            "who": user,
            "dm": dm,
            "channel": channel,
            "message": message,
            "original": None,
            "own": set(),
            "at": time.monotonic(),
        }
        return payload

    def dm_channel(self, user_id: int) -> int:
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = next(self._ids)
        return self.dm_channels[user_id]

    def message(
        self, channel: int, author: dict[str, Any], content: str = "", **extra: Any
    ) -> dict[str, Any]:
        payload = {
            "id": str(next(self._ids)),
            "channel_id": str(channel),
            "author": author,
            "content": content,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        payload.update(extra)
        return payload

    # -- gateway ---------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with self._connected:
            self.opened += 1
            self._connected.notify_all()
        await self.greeting.wait()  # cleared by a test: the socket is open, HELLO not yet sent
        try:
            await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
        except ConnectionResetError:
            return ws  # the client left while HELLO was held
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == 1:
                await ws.send_json({"op": 11})
            elif op == 2:
                await self._identify(ws, data)
            elif op == 6:
                await self._resume(ws, data)
        for session in self.sessions.values():
            if session.socket is ws:
                session.socket = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        shard = data.get("shard", [0, 1])
        valid = (
            isinstance(shard, list)
            and len(shard) == 2
            and all(type(n) is int for n in shard)
            and 0 <= shard[0] < shard[1]
        )
        if not valid:
            await self._close(ws, shard, INVALID_SHARD, "Invalid shard.")
            return
        if shard[1] < self.shards:
            await self._close(ws, shard, SHARDING_REQUIRED, "Sharding required.")
            return
        session = Session(f"session-{next(self._ids)}", shard[0], shard[1], ws)
        self.sessions[session.id] = session
        guilds = [g for g in self.guilds if session.wants(g)]
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "shard": shard,
        }
        await self._send(session, "READY", ready)
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", self.guild(guild))
        async with self._connected:
            self.identifies += 1
            self._connected.notify_all()

    async def _close(self, ws: web.WebSocketResponse, shard: Any, code: int, why: str) -> None:
        """Refuse a session as Discord does: close the socket with ``code``."""
        self.closed.append((shard, code))
        await ws.close(code=code, message=why.encode())

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None:
            await ws.send_json({"op": 9, "d": False})
            return
        session.socket = ws
        for frame in session.events[int(data.get("seq") or 0) :]:
            await ws.send_str(json.dumps(frame))
        await self._send(session, "RESUMED", {})
        async with self._connected:
            self.resumes += 1
            self._connected.notify_all()

    # -- REST ------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        try:
            return await self._answer(request)
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _answer(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body = await _body(request)
        call = Call(
            request.method, path, dict(request.query), body, asyncio.get_running_loop().time()
        )
        self.calls.append(call)
        for i, (method, pattern, status, error) in enumerate(self._faults):
            if method == request.method and pattern.fullmatch(path):
                del self._faults[i]
                call.status = status
                headers = {"Via": "1.1 google"} if status == 429 else {}
                return _json(error, status, headers)
        found = self._route(request.method, path, body, dict(request.query))
        if isinstance(found, tuple):
            call.status = found[0]
            return _json(found[1], found[0])
        return _json(found) if found is not None else web.Response(status=204)

    def _route(self, method: str, path: str, body: Any, query: dict[str, str]) -> Any:
        parts = path.strip("/").split("/")
        match method, parts:
            case "GET", ["users", "@me"]:
                return BOT_USER
            case "GET", ["gateway", "bot"]:
                limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
                return {
                    "url": self.gateway_url,
                    "shards": self.shards,
                    "session_start_limit": limit,
                }
            case "GET", ["users", user_id]:
                return self.user(int(user_id), f"user{user_id[-4:]}")
            case "GET", ["oauth2", "applications", "@me"]:
                return _application()
            case "PUT", ["applications", _, "commands"]:
                return self._sync("global", body)
            case "PUT", ["applications", _, "guilds", guild, "commands"]:
                return self._sync(guild, body)
            case "POST", ["users", "@me", "channels"]:
                user_id = int(body["recipient_id"])
                recipient = self.user(user_id, f"user{str(user_id)[-4:]}")
                return {"id": str(self.dm_channel(user_id)), "type": 1, "recipients": [recipient]}
            case "POST", ["channels", channel, "messages"]:
                users = {v: k for k, v in self.dm_channels.items()}
                if problem := invalid(body):
                    return self._refuse(path, problem)
                return self._store(
                    self.message(int(channel), BOT_USER, **body), users.get(int(channel))
                )
            case "PATCH", ["channels", _, "messages", message_id]:
                found = self.messages.get(int(message_id))
                if found is not None and found.ephemeral:
                    # An ephemeral message is edited only through its interaction's token.
                    return 404, {"message": "Unknown Message", "code": 10008}
                return self._edit(int(message_id), body)
            case "POST", ["interactions", interaction_id, token, "callback"]:
                return self._callback(interaction_id, token, body)
            case "POST", ["webhooks", _, token]:
                return self._followup(token, body)
            case "GET" | "DELETE", ["webhooks", _, token, "messages", which]:
                seen = self._interactions.get(token, {})
                target = seen.get("original") if which == "@original" else int(which)
                if target is None or target not in seen.get("own", ()):
                    return 404, {"message": "Unknown Message", "code": 10008}
                if method == "GET":
                    return self.messages[int(target)].payload
                self.deleted.append(self.messages.pop(int(target)))
                return None
            case "PATCH", ["webhooks", _, token, "messages", which]:
                seen = self._interactions.get(token, {})
                target = seen.get("original") if which == "@original" else int(which)
                if target is None or target not in seen.get("own", ()):
                    return 404, {"message": "Unknown Message", "code": 10008}
                return self._edit(int(target), body)
        return 404, {"message": f"404: Not Found ({method} {path})", "code": 0}

    def _sync(self, scope: str, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        synced = [
            {
                **c,
                "id": str(next(self._ids)),
                "application_id": str(APP_ID),
                "version": "1",
                "default_member_permissions": c.get("default_member_permissions"),
                "dm_permission": c.get("dm_permission", True),
            }
            | ({"guild_id": scope} if scope != "global" else {})
            for c in body
        ]
        self.commands[scope] = synced
        return synced

    def _store(self, payload: dict[str, Any], user: int | None) -> dict[str, Any]:
        sent = self.messages[int(payload["id"])] = Sent(payload, user)
        self.touched.append(sent.id)
        if user is not None and sent.question:
            self.asked[user] = sent
        return payload

    def _edit(self, message_id: int, body: dict[str, Any]) -> Any:
        sent = self.messages.get(message_id)
        if sent is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        if problem := invalid({**sent.payload, **body}):
            return self._refuse(f"edit {message_id}", problem)
        sent.history.append(dict(sent.payload))
        sent.payload.update(body, edited_timestamp=TIMESTAMP)
        self.touched.append(message_id)
        if sent.user is not None and sent.question:
            self.asked[sent.user] = sent
        return sent.payload

    def _refuse(self, what: str, problem: str) -> tuple[int, dict[str, Any]]:
        self.refused.append((what, problem))
        return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problem}

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> Any:
        seen = self._interactions.get(token)
        if seen is None or time.monotonic() - seen["at"] > ACK_SECONDS:
            return 404, {"message": "Unknown interaction", "code": 10062}
        if interaction_id in self._acked:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        kind, data = body["type"], body.get("data") or {}
        if kind in (6, 7) and seen["message"] is None:
            return self._refuse(f"callback {interaction_id}", "no message to update")
        if problem := invalid(data):
            return self._refuse(f"callback {interaction_id}", problem)
        self._acked.add(interaction_id)
        response: dict[str, Any] = {"id": interaction_id, "type": kind}
        response["response_message_loading"] = kind == 5
        response["response_message_ephemeral"] = bool(int(data.get("flags") or 0) & EPHEMERAL)
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            message = self.message(seen["channel"], BOT_USER, **self._made_by(seen), **data)
            self._store(message, seen["user"] if response["response_message_ephemeral"] else None)
            seen["original"], seen["loading"] = int(message["id"]), kind == 5
            seen["own"].add(seen["original"])
            response["response_message_id"] = message["id"]
            resource["message"] = message
        elif kind in (6, 7):
            seen["original"] = int(seen["message"]["id"])
            seen["own"].add(seen["original"])
            if kind == 7:
                resource["message"] = self._edit(seen["original"], data)
        return {"interaction": response, "resource": resource}

    def _followup(self, token: str, body: dict[str, Any]) -> Any:
        seen = self._interactions.get(token)
        if seen is None or seen["id"] not in self._acked:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if seen.pop("loading", False):
            # The first followup after a "thinking" defer replaces the loading message.
            return self._edit(seen["original"], body)
        if problem := invalid(body):
            return self._refuse(f"followup {seen['id']}", problem)
        private = bool(int(body.get("flags") or 0) & EPHEMERAL) or seen["dm"]
        message = self.message(
            seen["channel"], BOT_USER, webhook_id=str(APP_ID), **self._made_by(seen), **body
        )
        seen["own"].add(int(message["id"]))
        return self._store(message, seen["user"] if private else None)

    def _made_by(self, seen: dict[str, Any]) -> dict[str, Any]:
        """The ``interaction_metadata`` of a message made in answer to an interaction."""
        metadata = {
            "id": seen["id"],
            "type": seen["kind"],
            "user": seen["who"],
            "authorizing_integration_owners": {},
        }
        return {"interaction_metadata": metadata}


@dataclass
class Person:
    """Someone using the bot through the fake Discord: types commands, clicks, writes DMs."""

    fake: FakeDiscord
    id: int
    name: str
    locale: str = "en-US"

    @property
    def payload(self) -> dict[str, Any]:
        return self.fake.user(self.id, self.name)

    def slash_payload(
        self, name: str, *, dm: bool = False, guild: int = GUILD_ID, **options: str
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(APP_ID + 1), "name": name, "type": 1}
        if options:
            data["options"] = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        return self.fake.interaction(2, self.payload, data, dm=dm, locale=self.locale, guild=guild)

    def click_payload(
        self,
        message: Sent,
        custom_id: str,
        values: list[str] | None = None,
        interaction_id: int | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": BUTTON}
        if values is not None:
            data.update(component_type=SELECT, values=values)
        channel = int(message.payload["channel_id"])
        return self.fake.interaction(
            3,
            self.payload,
            data,
            dm=channel in self.fake.dm_channels.values(),
            locale=self.locale,
            message=dict(message.payload),
            interaction_id=interaction_id,
            guild=GUILD_ID + (channel - CHANNEL_ID),
        )

    def dm_payload(self, text: str) -> dict[str, Any]:
        channel = self.fake.dm_channel(self.id)
        return self.fake.message(channel, self.payload, text)

    def answer_payload(self, message: Sent, answer: str | list[str]) -> dict[str, Any]:
        """Click the component that gives ``answer`` (an option id, or ids for a select).

        On a multi question's ticks, this ticks the first of ``answer``
        (:meth:`answer_payloads` gives the ticks and Done).
        """
        for c in message.components():
            if c["type"] == SELECT:
                return self.click_payload(
                    message, c["custom_id"], list(answer) if isinstance(answer, list) else [answer]
                )
        wanted = answer[0] if isinstance(answer, list) else answer
        return self.click_payload(message, self.component(message, f":{wanted}"))

    def component(self, message: Sent, ending: str) -> str:
        """The custom id of the live component of ``message`` whose id ends with ``ending``."""
        for c in message.live():
            if c["custom_id"].endswith(ending):
                return str(c["custom_id"])
        raise AssertionError(f"no component ending {ending!r} in message {message.id}")

    def ticks(self, message: Sent) -> bool:
        """Whether ``message`` asks with ticks and a Done button."""
        return any(c["custom_id"].startswith("cb:done:") for c in message.live())

    def done_id(self, message: Sent) -> str:
        """The custom id of the Done button of ``message``."""
        return next(
            str(c["custom_id"]) for c in message.live() if c["custom_id"].startswith("cb:done:")
        )


def invalid(body: dict[str, Any]) -> str | None:
    """What in a message body breaks Discord's limits, or ``None`` when it fits."""
    if len(body.get("content") or "") > CONTENT_MAX:
        return "content: must be 2000 or fewer in length"
    rows = body.get("components") or []
    if len(rows) > ROWS_MAX:
        return "components: must be 5 or fewer in length"
    ids: list[str] = []
    for row in rows:
        items = row.get("components") or []
        if row.get("type") != ROW or not items:
            return "components: a top-level component must be a non-empty action row"
        selects = [c for c in items if c.get("type") == SELECT]
        if (selects and len(items) > 1) or len(items) > ROW_BUTTONS:
            return "components: a row holds one select menu or at most 5 buttons"
        for c in items:
            link = c.get("type") == BUTTON and c.get("style") == LINK
            custom_id = c.get("custom_id", "" if link else None)
            if not isinstance(custom_id, str) or len(custom_id) > CUSTOM_ID_MAX:
                return "custom_id: must be 1 to 100 characters"
            if link != (not custom_id) or link != bool(c.get("url")):
                return "custom_id: a link button has a url and no custom_id, others a custom_id"
            ids.append(custom_id)
            if len(c.get("placeholder") or "") > PLACEHOLDER_MAX:
                return "placeholder: must be 150 or fewer in length"
            if c.get("type") == BUTTON:
                problem = _invalid_button(c)
            elif c.get("type") == SELECT:
                problem = _invalid_select(c)
            else:
                problem = f"components.type: {c.get('type')!r} is not a button or a select menu"
            if problem:
                return problem
    ids = [i for i in ids if i]
    if len(ids) != len(set(ids)):
        return "custom_id: must be unique in a message"
    return None


def _invalid_button(c: dict[str, Any]) -> str | None:
    if c.get("style") not in BUTTON_STYLES:
        return "style: must be one of 1 to 6"
    if not (c.get("label") or c.get("emoji")):
        return "label: a button needs a label or an emoji"
    if len(c.get("label") or "") > LABEL_MAX:
        return "label: must be 80 or fewer in length"
    return None


def _invalid_select(c: dict[str, Any]) -> str | None:
    options = c.get("options") or []
    if not 0 < len(options) <= SELECT_OPTIONS:
        return "options: must be 1 to 25 in length"
    if any(not 0 < len(o.get("label") or "") <= OPTION_MAX for o in options):
        return "options.label: must be 1 to 100 in length"
    values = [o.get("value") or "" for o in options]
    if any(not 0 < len(v) <= OPTION_MAX for v in values) or len(set(values)) != len(values):
        return "options.value: must be 1 to 100 in length and unique"
    least, most = c.get("min_values", 1), c.get("max_values", 1)
    if not 0 <= least <= most <= len(options):
        return "min_values, max_values: 0 <= min <= max <= the number of options"
    return None


def _application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "Cramp Helper",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": {**BOT_USER, "id": "1", "username": "owner", "bot": False},
        "verify_key": "0" * 64,
        "flags": 0,
        "summary": "",
        "team": None,
        "rpc_origins": [],
        "interactions_endpoint_url": None,
    }


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        raw = form.get("payload_json")
        return json.loads(str(raw)) if raw is not None else {}
    text = await request.text()
    return json.loads(text) if text else None


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py does not parse JSON served with a charset.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
