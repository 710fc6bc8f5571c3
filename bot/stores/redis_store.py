"""The shared store: conversation records in Redis, for several bot processes.

Layout: one hash per conversation at ``crampbot:conv:<key>`` (fields
``version``, ``updated_at``, ``data``) with a TTL equal to the retention, so
Redis expires old records by itself; a sorted set ``crampbot:updated`` (member
key, score updated_at) for purge and scan; lists ``crampbot:audit`` and
``crampbot:audit:refused`` (refused operator attempts, kept apart), newest
first, each capped at :data:`~dialogs.store.AUDIT_KEEP`; a hash
``crampbot:meta`` of the bot's own small values (``get_meta``/``set_meta``); a
key ``crampbot:lease:<name>`` per lease, expiring with it.
Writes are Lua scripts, so a compare-and-set and its index update happen
atomically.

Faults: a dropped or stale connection (Redis restarted) is reconnected and the
command retried with exponential backoff; idle pooled connections are checked
with a PING before use; a hung Redis times out. What still fails becomes
:class:`StoreUnavailable` (the event is not saved; the bot keeps serving), or
:class:`StoreBroken` when Redis refuses us for good (wrong password, read-only replica).
A timed-out command is not retried: a script may have run, and its retry could
apply an event twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import AuthenticationError, NoPermissionError, ReadOnlyError

from bot.stores.faults import Breaker, one_line
from dialogs import (
    AUDIT_KEEP,
    FORGOTTEN,
    AuditEntry,
    Conversation,
    CorruptRecord,
    StoreBroken,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

PREFIX = "crampbot:"
CONV = PREFIX + "conv:"
UPDATED = PREFIX + "updated"
AUDIT = PREFIX + "audit"
REFUSED_AUDIT = AUDIT + ":refused"
META = PREFIX + "meta"
LEASE = PREFIX + "lease:"
BATCH = 500
DEFAULT_RETENTION = 30 * 24 * 3600.0
# A command waits this long for Redis; a dropped connection is retried RETRIES times.
TIMEOUT = 2.0
RETRIES = 3
HEALTH_CHECK_SECONDS = 5
# Replies by which Redis refuses us until someone changes its configuration or ours
# (redis-py turns NOAUTH/WRONGPASS, READONLY and NOPERM into these classes).
REFUSED = (AuthenticationError, ReadOnlyError, NoPermissionError)

# KEYS: record, index. ARGV: expected, version, updated_at, data, ttl, key.
SAVE = """
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'updated_at', ARGV[3], 'data', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[6])
return 1
"""

# KEYS: record, index, audit logs. ARGV: key, what the audit log says instead, the user id.
# The rule of dialogs.store.forget_in: the key goes as key or actor; the origin goes when
# the person was the actor or the origin names their id (a whole word).
DELETE = """
redis.call('ZREM', KEYS[2], ARGV[1])
local user = '%f[%w_]' .. string.gsub(ARGV[3], '%W', '%%%0') .. '%f[^%w_]'
for l = 3, #KEYS do
    local entries = redis.call('LRANGE', KEYS[l], 0, -1)
    for i, raw in ipairs(entries) do
        local ok, entry = pcall(cjson.decode, raw)
        if ok and type(entry) == 'table' then
            local origin = type(entry.origin) == 'string' and entry.origin or ''
            local names = ARGV[3] ~= '' and string.find(origin, user) ~= nil
            if entry.key == ARGV[1] or entry.actor == ARGV[1] or names then
                if entry.actor == ARGV[1] or names then entry.origin = ARGV[2] end
                if entry.key == ARGV[1] then entry.key = ARGV[2] end
                if entry.actor == ARGV[1] then entry.actor = ARGV[2] end
                redis.call('LSET', KEYS[l], i - 1, cjson.encode(entry))
            end
        end
    end
end
return redis.call('DEL', KEYS[1])
"""

# KEYS: lease. ARGV: holder, milliseconds. Take it when free or ours; renew it when ours.
LEASE_TAKE = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: lease. ARGV: holder. Only its holder gives a lease up.
LEASE_GIVE_UP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: audit logs. ARGV: before. Drops entries older than ``before`` from each log's old end.
EXPIRE_AUDIT = """
local count = 0
for l = 1, #KEYS do
    while true do
        local raw = redis.call('LINDEX', KEYS[l], -1)
        if not raw then break end
        local ok, entry = pcall(cjson.decode, raw)
        if ok and type(entry) == 'table' and tonumber(entry.at) and tonumber(entry.at) >= tonumber(ARGV[1]) then
            break
        end
        redis.call('RPOP', KEYS[l])
        count = count + 1
    end
end
return count
"""

# KEYS: index, then one record per key in ARGV[2..]. ARGV: idle_before, keys...
# Re-checks each score so a record saved since the caller looked is kept.
PURGE = """
local count = 0
for i = 2, #ARGV do
    local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if score and tonumber(score) < tonumber(ARGV[1]) then
        redis.call('ZREM', KEYS[1], ARGV[i])
        count = count + redis.call('DEL', KEYS[i])
    end
end
return count
"""


class RedisStore:
    """Conversation records in Redis with compare-and-set on ``version``.

    Build it with :meth:`open`; a client passed in directly must use ``decode_responses=True``.
    """

    def __init__(
        self,
        client: redis.Redis,
        retention_seconds: float = DEFAULT_RETENTION,
        breaker: Breaker | None = None,
    ) -> None:
        self._redis = client
        self.breaker = breaker or Breaker()
        kwargs = client.connection_pool.connection_kwargs
        self._where = f"Redis at {kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        self._ttl = max(1, int(retention_seconds))
        self._save = client.register_script(SAVE)
        self._delete = client.register_script(DELETE)
        self._purge = client.register_script(PURGE)
        self._expire_audit = client.register_script(EXPIRE_AUDIT)
        self._lease = client.register_script(LEASE_TAKE)
        self._release = client.register_script(LEASE_GIVE_UP)

    @classmethod
    async def open(
        cls,
        url: str,
        retention_seconds: float = DEFAULT_RETENTION,
        breaker: Breaker | None = None,
    ) -> RedisStore:
        """Connect to ``url`` and check Redis answers; records expire after the retention."""
        try:
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=TIMEOUT,
                socket_timeout=TIMEOUT,
                health_check_interval=HEALTH_CHECK_SECONDS,
                retry=Retry(
                    ExponentialWithJitterBackoff(cap=1.0, base=0.05),
                    RETRIES,
                    supported_errors=(redis.ConnectionError,),
                ),
                retry_on_error=[redis.ConnectionError],
                retry_on_timeout=False,
                decode_responses=True,
            )
        except ValueError as exc:
            raise _unavailable(url, exc) from exc
        try:
            await client.ping()
        except (OSError, redis.RedisError) as exc:
            await client.aclose()
            raise _unavailable(url, exc) from exc
        return cls(client, retention_seconds, breaker)

    async def load(self, key: str) -> Conversation | None:
        with self._faults():
            try:
                data = await self._redis.hget(CONV + key, "data")
            except redis.ResponseError as exc:
                if not str(exc).startswith("WRONGTYPE"):
                    raise
                raise CorruptRecord(f"unreadable conversation record: {exc}") from exc
        return Conversation.from_json(data) if data is not None else None

    async def save(self, record: Conversation, expected: int) -> bool:
        args = (expected, record.version, repr(record.updated_at), record.to_json(), self._ttl)
        with self._faults():
            done = await self._save(keys=[CONV + record.key, UPDATED], args=[*args, record.key])
        return bool(done)

    async def delete(self, key: str) -> bool:
        with self._faults():
            done = await self._delete(
                keys=[CONV + key, UPDATED, AUDIT, REFUSED_AUDIT],
                args=[key, FORGOTTEN, key.partition(":")[2]],
            )
        return bool(done)

    async def scan(self) -> AsyncIterator[Conversation]:
        """Yield every readable record, fetched a batch per ``ZSCAN`` step."""
        cursor, seen = -1, set[str]()
        while cursor != 0:
            with self._faults():
                cursor, members = await self._redis.zscan(UPDATED, max(cursor, 0), count=BATCH)
                keys = [str(k) for k, _ in members if k not in seen]
                seen.update(keys)  # ZSCAN may repeat a member while Redis rehashes
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.hget(CONV + key, "data")
                    values = await pipe.execute(raise_on_error=False)
            for key, data in zip(keys, values, strict=True):
                if data is None:  # expired or deleted since the index was read
                    continue
                try:
                    if isinstance(data, Exception):
                        raise CorruptRecord(str(data))
                    record = Conversation.from_json(data)
                except CorruptRecord:
                    log.warning("skipping unreadable conversation record %s", key)
                    continue
                yield record

    async def purge(self, idle_before: float) -> int:
        """Delete records idle since before ``idle_before``, a batch per script call, and
        audit entries older than that."""
        count = 0
        with self._faults():
            await self._expire_audit(keys=[AUDIT, REFUSED_AUDIT], args=[repr(idle_before)])
        while True:
            with self._faults():
                old = await self._redis.zrangebyscore(
                    UPDATED, "-inf", f"({idle_before!r}", start=0, num=BATCH
                )
                if not old:
                    return count
                keys = [str(k) for k in old]
                count += int(
                    await self._purge(
                        keys=[UPDATED, *(CONV + k for k in keys)], args=[repr(idle_before), *keys]
                    )
                )

    async def add_audit(self, entry: AuditEntry) -> None:
        fields = {
            "at": entry.at,
            "actor": entry.actor,
            "origin": entry.origin,
            "action": entry.action,
            "key": entry.key,
            "result": entry.result,
        }
        name = REFUSED_AUDIT if entry.refused else AUDIT
        with self._faults():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lpush(name, json.dumps(fields))
                pipe.ltrim(name, 0, AUDIT_KEEP - 1)
                await pipe.execute()

    async def audit(self, limit: int = 20, refused: bool = False) -> list[AuditEntry]:
        if limit <= 0:
            return []
        entries = []
        with self._faults():
            raws = await self._redis.lrange(REFUSED_AUDIT if refused else AUDIT, 0, limit - 1)
        for raw in raws:
            try:
                entries.append(AuditEntry(**json.loads(raw)))
            except (ValueError, TypeError):
                log.warning("skipping unreadable audit entry")
        return entries

    async def ping(self) -> None:
        with self._faults():
            await self._redis.ping()

    async def count(self) -> int:
        with self._faults():
            return int(await self._redis.zcard(UPDATED))

    async def get_meta(self, name: str) -> str | None:
        with self._faults():
            value = await self._redis.hget(META, name)
        return str(value) if value is not None else None

    async def set_meta(self, name: str, value: str) -> None:
        with self._faults():
            await self._redis.hset(META, name, value)

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        """A key ``crampbot:lease:<name>`` holding the holder, expiring with the lease."""
        with self._faults():
            taken = await self._lease(
                keys=[LEASE + name], args=[holder, max(1, round(seconds * 1000))]
            )
        return bool(taken)

    async def release(self, name: str, holder: str) -> None:
        with self._faults():
            await self._release(keys=[LEASE + name], args=[holder])

    @property
    def client(self) -> redis.Redis:
        """The client, for coordination beyond records (:mod:`bot.ops.reload` publishes on it)."""
        return self._redis

    async def close(self) -> None:
        await self._redis.aclose()

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """Turn what Redis raises into :class:`StoreUnavailable` or :class:`StoreBroken`."""
        try:
            yield
        except redis.TimeoutError as exc:
            raise StoreUnavailable(
                f"CRAMPBOT_STORE: {self._where} did not answer within {TIMEOUT:g} s"
                f" ({one_line(exc)}); fix: check the Redis server is running and not overloaded"
            ) from exc
        except REFUSED as exc:  # AuthenticationError is a ConnectionError, but no retry helps
            raise self._refused(exc) from exc
        except (redis.ConnectionError, OSError) as exc:
            raise StoreUnavailable(
                f"CRAMPBOT_STORE: {self._where} cannot be reached ({one_line(exc)}); fix: start"
                " Redis or correct CRAMPBOT_STORE; the bot reconnects by itself"
            ) from exc
        except redis.RedisError as exc:
            if str(exc).startswith("MISCONF"):  # cannot persist: refuses writes
                raise self._refused(exc) from exc
            raise StoreUnavailable(
                f"CRAMPBOT_STORE: {self._where} failed ({one_line(exc)}); fix: check the Redis"
                " server's log"
            ) from exc

    def _refused(self, exc: BaseException) -> StoreBroken:
        return self.breaker.trip(
            StoreBroken(
                f"CRAMPBOT_STORE: {self._where} refuses our commands ({one_line(exc)});"
                " fix: correct the Redis configuration or CRAMPBOT_STORE"
            )
        )


def _unavailable(url: str, exc: BaseException) -> StoreUnavailable:
    reason = one_line(exc)
    parts = urlsplit(url)
    where = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # no password
    return StoreUnavailable(f"CRAMPBOT_STORE: cannot use Redis at {where!r}: {reason}")
