"""The shared store: conversation records in Redis, for several bot processes.

Layout, every key under the prefix (``CRAMPBOT_REDIS_PREFIX``, default
``crampbot:``, so bots with different prefixes share one database): one hash
per conversation at ``<prefix>conv:<key>`` (fields ``version``, ``updated_at``,
``data``, ``stamp``, and ``asked``, ``shown``, ``shown_step``: what a note of where
the question is shown reads and writes, overriding the data's copy on load) with a
TTL equal to the retention, so Redis expires old
records by itself; a sorted set ``<prefix>updated`` (member key, score
updated_at) for purge and scan; lists ``<prefix>audit`` and
``<prefix>audit:refused`` (refused operator attempts, kept apart), newest
first, each capped at :data:`~dialogs.store.AUDIT_KEEP`; a hash
``<prefix>meta`` of the bot's own small values (``get_meta``/``set_meta``); a
key ``<prefix>lease:<name>`` per lease, expiring with it.
Writes are Lua scripts, so a compare-and-set and its index update happen
atomically.

One round trip per step: the records this process saved or read last are kept
(:class:`~bot.stores.saved.SavedRecords`), and the engine's step load
(``cached=True``) takes them from there. Each save writes a fresh ``stamp``,
and the compare-and-set checks the stamp this process last saw as well as the
version, so a record deleted and rebuilt to the same version elsewhere is not
mistaken for ours. A stale copy fails the save, is forgotten, and the engine's
retry loads fresh; every other read (operators, exports) goes to Redis.

Faults: a dropped or stale connection (Redis restarted) is reconnected and the
command retried with exponential backoff; idle pooled connections are checked
with a PING before use; a hung Redis times out. What still fails becomes
:class:`StoreUnavailable` (the event is not saved; the bot keeps serving), or
:class:`StoreBroken` when Redis refuses us for good (wrong password, read-only replica).
A timed-out command is not retried: a script may have run, and its retry could
apply an event twice.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import AuthenticationError, NoPermissionError, ReadOnlyError

from bot.settings import redis_prefix
from bot.stores.faults import Breaker, one_line
from bot.stores.saved import SAVED, SavedRecords
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
"""The default key prefix (``CRAMPBOT_REDIS_PREFIX``)."""
BATCH = 500
DEFAULT_RETENTION = 30 * 24 * 3600.0
# A command waits this long for Redis; a dropped connection is retried RETRIES times.
TIMEOUT = 2.0
RETRIES = 3
HEALTH_CHECK_SECONDS = 5
# Replies by which Redis refuses us until someone changes its configuration or ours
# (redis-py turns NOAUTH/WRONGPASS, READONLY and NOPERM into these classes).
REFUSED = (AuthenticationError, ReadOnlyError, NoPermissionError)
# The hash fields a load reads: the record, its save's stamp, and where it is shown.
FIELDS = ["data", "stamp", "shown", "shown_step"]

# KEYS: record, index. ARGV: expected, version, updated_at, data, ttl, key, the stamp
# expected ('': the version alone decides), the new stamp, the shown_step expected, then
# the record's asked, shown ('': none) and shown_step, kept as fields for NOTE_SHOWN.
SAVE = """
local current = redis.call('HMGET', KEYS[1], 'version', 'stamp', 'shown_step')
if tonumber(current[1] or '0') ~= tonumber(ARGV[1]) then return 0 end
if ARGV[7] ~= '' and current[2] ~= ARGV[7] then return 0 end
if current[1] and tonumber(current[3] or '0') ~= tonumber(ARGV[9]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'updated_at', ARGV[3], 'data', ARGV[4],
    'stamp', ARGV[8], 'asked', ARGV[10], 'shown', ARGV[11], 'shown_step', ARGV[12])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[6])
return 1
"""

# KEYS: record. ARGV: step, ref. Notes where the question of ``step`` is shown if the
# record still asks it; the fields override the data's copy on load, so the JSON is never
# re-encoded here (cjson would round its numbers). A record saved before the ``asked``
# field existed is asked from its data (read only).
NOTE_SHOWN = """
local asked = redis.call('HGET', KEYS[1], 'asked')
if not asked then
    local raw = redis.call('HGET', KEYS[1], 'data')
    if not raw then return 0 end
    local ok, data = pcall(cjson.decode, raw)
    if not ok or type(data) ~= 'table' then return 0 end
    asked = data.asked or data.version
end
if tonumber(asked) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'shown', ARGV[2], 'shown_step', ARGV[1])
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
    """Conversation records in Redis with compare-and-set on ``version``, every key under
    ``prefix``; the last ``saved`` records this process saw are kept for step loads.

    Build it with :meth:`open`; a client passed in directly must use ``decode_responses=True``.
    """

    def __init__(
        self,
        client: redis.Redis,
        retention_seconds: float = DEFAULT_RETENTION,
        breaker: Breaker | None = None,
        *,
        prefix: str = PREFIX,
        saved: int = SAVED,
    ) -> None:
        self._redis = client
        self.prefix = redis_prefix(prefix)
        self._conv = self.prefix + "conv:"
        self._updated = self.prefix + "updated"
        self._audit_log = self.prefix + "audit"
        self._refused_log = self.prefix + "audit:refused"
        self._meta = self.prefix + "meta"
        self._leases = self.prefix + "lease:"
        self.saved = SavedRecords(saved)
        self._stamps = map(f"{os.urandom(6).hex()}.{{}}".format, itertools.count())
        self.breaker = breaker or Breaker()
        kwargs = client.connection_pool.connection_kwargs
        self._where = f"Redis at {kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        self._ttl = max(1, int(retention_seconds))
        self._save = client.register_script(SAVE)
        self._note_shown = client.register_script(NOTE_SHOWN)
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
        *,
        prefix: str = PREFIX,
        saved: int = SAVED,
        **options: Any,
    ) -> RedisStore:
        """Connect to ``url`` and check Redis answers; records expire after the retention.

        ``options`` go to redis-py's client as they are (the benchmark counts round
        trips and compares parsers with them)."""
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
                **options,
            )
        except ValueError as exc:
            raise _unavailable(url, exc) from exc
        try:
            await client.ping()
        except (OSError, redis.RedisError) as exc:
            await client.aclose()
            raise _unavailable(url, exc) from exc
        return cls(client, retention_seconds, breaker, prefix=prefix, saved=saved)

    async def load(self, key: str, *, cached: bool = False) -> Conversation | None:
        """The record of ``key``; with ``cached``, the copy this process saw last if any."""
        if cached and (hit := self.saved.get(key)) is not None:
            return hit.record
        with self._faults():
            try:
                data, stamp, shown, step = await self._redis.hmget(self._conv + key, FIELDS)
            except redis.ResponseError as exc:
                if not str(exc).startswith("WRONGTYPE"):
                    raise
                raise CorruptRecord(f"unreadable conversation record: {exc}") from exc
        if data is None:
            self.saved.drop(key)
            return None
        record = _record(data, shown, step)
        self.saved.put(record, str(stamp or ""))
        return record

    async def save(self, record: Conversation, expected: int) -> bool:
        key, stamp = record.key, next(self._stamps)
        seen = self.saved.stamp(key, expected)
        args = (expected, record.version, repr(record.updated_at), record.to_json(), self._ttl)
        shown = (record.shown_step, record.asked, record.shown or "", record.shown_step)
        try:
            with self._faults():
                done = await self._save(
                    keys=[self._conv + key, self._updated],
                    args=[*args, key, seen, stamp, *shown],
                )
        except StoreUnavailable:
            self.saved.drop(key)  # it may or may not have been written
            raise
        if done:
            self.saved.put(record, stamp)
        else:
            self.saved.drop(key)  # saved elsewhere since: the next load goes to Redis
        return bool(done)

    async def note_shown(self, key: str, step: int, ref: str) -> bool:
        """One script: the ``shown`` and ``shown_step`` fields, if the record still asks ``step``."""
        try:
            with self._faults():
                noted = bool(await self._note_shown(keys=[self._conv + key], args=[step, ref]))
        except StoreUnavailable:
            self.saved.drop(key)  # it may or may not have been written
            raise
        self.saved.noted(key, step, ref, noted)
        return noted

    async def delete(self, key: str) -> bool:
        self.saved.drop(key)
        with self._faults():
            done = await self._delete(
                keys=[self._conv + key, self._updated, self._audit_log, self._refused_log],
                args=[key, FORGOTTEN, key.partition(":")[2]],
            )
        return bool(done)

    async def scan(self) -> AsyncIterator[Conversation]:
        """Yield every readable record, fetched a batch per ``ZSCAN`` step."""
        cursor, seen = -1, set[str]()
        while cursor != 0:
            with self._faults():
                cursor, members = await self._redis.zscan(
                    self._updated, max(cursor, 0), count=BATCH
                )
                keys = [str(k) for k, _ in members if k not in seen]
                seen.update(keys)  # ZSCAN may repeat a member while Redis rehashes
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.hmget(self._conv + key, FIELDS)
                    values = await pipe.execute(raise_on_error=False)
            for key, fields in zip(keys, values, strict=True):
                if not isinstance(fields, Exception) and fields[0] is None:
                    continue  # expired or deleted since the index was read
                try:
                    if isinstance(fields, Exception):
                        raise CorruptRecord(str(fields))
                    record = _record(fields[0], fields[2], fields[3])
                except CorruptRecord:
                    log.warning("skipping unreadable conversation record %s", key)
                    continue
                yield record

    async def purge(self, idle_before: float) -> int:
        """Delete records idle since before ``idle_before``, a batch per script call, and
        audit entries older than that."""
        count = 0
        self.saved.clear()  # cheaper than finding which went; the next loads go to Redis
        with self._faults():
            await self._expire_audit(
                keys=[self._audit_log, self._refused_log], args=[repr(idle_before)]
            )
        while True:
            with self._faults():
                old = await self._redis.zrangebyscore(
                    self._updated, "-inf", f"({idle_before!r}", start=0, num=BATCH
                )
                if not old:
                    return count
                keys = [str(k) for k in old]
                count += int(
                    await self._purge(
                        keys=[self._updated, *(self._conv + k for k in keys)],
                        args=[repr(idle_before), *keys],
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
        name = self._refused_log if entry.refused else self._audit_log
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
            raws = await self._redis.lrange(
                self._refused_log if refused else self._audit_log, 0, limit - 1
            )
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
            return int(await self._redis.zcard(self._updated))

    async def get_meta(self, name: str) -> str | None:
        with self._faults():
            value = await self._redis.hget(self._meta, name)
        return str(value) if value is not None else None

    async def set_meta(self, name: str, value: str) -> None:
        with self._faults():
            await self._redis.hset(self._meta, name, value)

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        """A key ``<prefix>lease:<name>`` holding the holder, expiring with the lease."""
        with self._faults():
            taken = await self._lease(
                keys=[self._leases + name], args=[holder, max(1, round(seconds * 1000))]
            )
        return bool(taken)

    async def release(self, name: str, holder: str) -> None:
        with self._faults():
            await self._release(keys=[self._leases + name], args=[holder])

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


def _record(data: str | bytes, shown: str | bytes | None, step: str | bytes | None) -> Conversation:
    """A record from its ``data`` and the ``shown``/``shown_step`` fields a note may have set
    since (absent on records saved before those fields existed: the data's own then)."""
    record = Conversation.from_json(data)
    if step is not None:
        try:
            record.shown, record.shown_step = str(shown) if shown else None, int(step)
        except ValueError as exc:
            raise CorruptRecord(f"unreadable conversation record: {exc}") from exc
    return record


def _unavailable(url: str, exc: BaseException) -> StoreUnavailable:
    reason = one_line(exc)
    parts = urlsplit(url)
    where = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # no password
    return StoreUnavailable(f"CRAMPBOT_STORE: cannot use Redis at {where!r}: {reason}")
