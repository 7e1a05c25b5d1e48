"""The queue and store in Redis: any number of web and worker processes on any machines.

Every step is one Lua script, so it is atomic in Redis, and every time is Redis's own
clock (``TIME``), so machines with skewed clocks agree on leases and backoffs. The keys,
under one prefix (``{mtb}:`` by default; the braces keep them in one Cluster slot):

- ``d:<id>``     hash: body, key, event, attempts, error, died_at
- ``p:<key>``    list: the ids pending for an ordering key, oldest first
- ``ready``      list: keys whose head may run now, each at most once (round-robin)
- ``delayed``    zset: key -> when its failed head may run again
- ``leases``     zset: key -> when its lease expires; ``owner`` hash: key -> token
- ``live``       zset: id -> when accepted (the bound, and the oldest age)
- ``dead``       zset: id -> when it died
- ``seen:<id>``  delivery ids accepted in the dedupe window
- ``n``          hash: processed, failed, duplicates
- ``kv:<ns>:<key>`` the store's values

A key with pending deliveries is in exactly one of ``ready``, ``delayed``, ``leases``.
Durability is Redis's: run it with ``appendonly yes`` (``appendfsync always`` to lose
nothing accepted on a power cut).
"""

from __future__ import annotations

from typing import Any, cast

import redis.asyncio as aioredis

from bot.queue.base import Claim, Outcome, QueueBase
from bot.queue.model import Admission, DeadDelivery, Delivery, Policy, QueueStats

DEFAULT_PREFIX = "{mtb}:"

_COMMON = """
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function bury(id, err)
  redis.call('HSET', P .. 'd:' .. id, 'error', err, 'died_at', now)
  redis.call('ZREM', P .. 'live', id)
  redis.call('ZADD', P .. 'dead', now, id)
end

local function enqueue(id, key)
  redis.call('ZADD', P .. 'live', now, id)
  local n = redis.call('RPUSH', P .. 'p:' .. key, id)
  if n == 1 and not redis.call('ZSCORE', P .. 'leases', key)
      and not redis.call('ZSCORE', P .. 'delayed', key) then
    redis.call('RPUSH', P .. 'ready', key)
  end
end

local function release(key)
  redis.call('ZREM', P .. 'leases', key)
  redis.call('HDEL', P .. 'owner', key)
end

local function lease_head(key, token, lease_ms, max_attempts)
  local line = P .. 'p:' .. key
  while true do
    local id = redis.call('LINDEX', line, 0)
    if not id then
      release(key)
      return false
    end
    local d = P .. 'd:' .. id
    local attempts = redis.call('HINCRBY', d, 'attempts', 1)
    if attempts > max_attempts then
      redis.call('LPOP', line)
      bury(id, 'its worker was lost on every attempt')
    else
      redis.call('ZADD', P .. 'leases', now + lease_ms, key)
      redis.call('HSET', P .. 'owner', key, token)
      return {key, id, redis.call('HGET', d, 'body'), attempts}
    end
  end
end
"""

_SUBMIT = (
    _COMMON
    + """
local id, key, event, body = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local max_queued, dedupe_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local d = P .. 'd:' .. id
local revive = redis.call('ZSCORE', P .. 'dead', id)
if not revive and (redis.call('EXISTS', P .. 'seen:' .. id) == 1
    or redis.call('EXISTS', d) == 1) then
  redis.call('HINCRBY', P .. 'n', 'duplicates', 1)
  return 'duplicate'
end
if redis.call('ZCARD', P .. 'live') >= max_queued then
  return 'full'
end
if revive then
  redis.call('ZREM', P .. 'dead', id)
  redis.call('DEL', d)
end
redis.call('SET', P .. 'seen:' .. id, '1', 'PX', dedupe_ms)
redis.call('HSET', d, 'body', body, 'key', key, 'event', event, 'attempts', 0)
enqueue(id, key)
return 'accepted'
"""
)

_CLAIM = (
    _COMMON
    + """
local token, lease_ms, max_attempts = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', P .. 'delayed', key)
  redis.call('RPUSH', P .. 'ready', key)
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 100)) do
  release(key)
  if redis.call('LLEN', P .. 'p:' .. key) > 0 then
    redis.call('RPUSH', P .. 'ready', key)
  end
end
while true do
  local key = redis.call('LPOP', P .. 'ready')
  if not key then
    return false
  end
  local claim = lease_head(key, token, lease_ms, max_attempts)
  if claim then
    return claim
  end
end
"""
)

_FINISH = (
    _COMMON
    + """
local token, key, id, outcome, err = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local delay_ms, take_next = tonumber(ARGV[7]), ARGV[8] == '1'
local lease_ms, max_attempts = tonumber(ARGV[9]), tonumber(ARGV[10])
if redis.call('HGET', P .. 'owner', key) ~= token then
  return false
end
local line = P .. 'p:' .. key
local d = P .. 'd:' .. id
if outcome == 'done' then
  redis.call('LPOP', line)
  redis.call('DEL', d)
  redis.call('ZREM', P .. 'live', id)
  redis.call('HINCRBY', P .. 'n', 'processed', 1)
elseif outcome == 'retry' then
  redis.call('HSET', d, 'error', err)
  redis.call('HINCRBY', P .. 'n', 'failed', 1)
  release(key)
  redis.call('ZADD', P .. 'delayed', now + delay_ms, key)
  return false
elseif outcome == 'dead' then
  redis.call('LPOP', line)
  bury(id, err)
  redis.call('HINCRBY', P .. 'n', 'failed', 1)
else
  redis.call('HINCRBY', d, 'attempts', -1)
end
if take_next then
  return lease_head(key, token, lease_ms, max_attempts)
end
release(key)
if redis.call('LLEN', line) > 0 then
  if outcome == 'handback' then
    redis.call('LPUSH', P .. 'ready', key)
  else
    redis.call('RPUSH', P .. 'ready', key)
  end
end
return false
"""
)

_RENEW = (
    _COMMON
    + """
local key, token, lease_ms = ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('HGET', P .. 'owner', key) ~= token then
  return 0
end
redis.call('ZADD', P .. 'leases', now + lease_ms, key)
return 1
"""
)

_STATS = (
    _COMMON
    + """
local oldest = redis.call('ZRANGE', P .. 'live', 0, 0, 'WITHSCORES')
local n = redis.call('HMGET', P .. 'n', 'processed', 'failed', 'duplicates')
return {
  redis.call('ZCARD', P .. 'live'), redis.call('ZCARD', P .. 'leases'),
  redis.call('ZCARD', P .. 'delayed'), redis.call('ZCARD', P .. 'dead'),
  tonumber(n[1] or 0), tonumber(n[2] or 0), tonumber(n[3] or 0),
  oldest[2] and (now - tonumber(oldest[2])) or -1,
}
"""
)

_RETRY_DEAD = (
    _COMMON
    + """
local ids
if ARGV[2] == '' then
  ids = redis.call('ZRANGE', P .. 'dead', 0, -1)
else
  ids = {ARGV[2]}
end
local count = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', P .. 'dead', id) == 1 then
    local d = P .. 'd:' .. id
    redis.call('HSET', d, 'attempts', 0, 'error', '')
    redis.call('HDEL', d, 'died_at')
    enqueue(id, redis.call('HGET', d, 'key'))
    count = count + 1
  end
end
return count
"""
)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisQueue(QueueBase):
    """:class:`~bot.queue.model.DeliveryQueue` in Redis (redis-py's asyncio client)."""

    def __init__(
        self,
        client: aioredis.Redis | str,
        policy: Policy | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        super().__init__(policy)
        self.client = aioredis.from_url(client) if isinstance(client, str) else client
        self.prefix = prefix
        self._scripts = {
            name: self.client.register_script(text)
            for name, text in {
                "submit": _SUBMIT,
                "claim": _CLAIM,
                "finish": _FINISH,
                "renew": _RENEW,
                "stats": _STATS,
                "retry_dead": _RETRY_DEAD,
            }.items()
        }

    async def _call(self, name: str, *args: str | int | bytes) -> Any:
        return await self._scripts[name](args=[self.prefix, *args])

    def _claim_from(self, token: str, reply: Any) -> Claim | None:
        if not reply:
            return None
        key, _, body, attempts = reply
        return Claim(key.decode(), token, Delivery.from_bytes(body), int(attempts))

    async def _submit(self, delivery: Delivery) -> Admission:
        reply = await self._call(
            "submit",
            delivery.id,
            delivery.key,
            delivery.event,
            delivery.to_bytes(),
            self.policy.max_queued,
            _ms(self.policy.dedupe),
        )
        return Admission(reply.decode())

    async def _claim(self, token: str) -> Claim | None:
        reply = await self._call("claim", token, _ms(self.policy.lease), self.policy.max_attempts)
        return self._claim_from(token, reply)

    async def _finish(
        self,
        claim: Claim,
        outcome: Outcome,
        *,
        error: str = "",
        delay: float = 0.0,
        take_next: bool = False,
    ) -> Claim | None:
        reply = await self._call(
            "finish",
            claim.token,
            claim.key,
            claim.delivery.id,
            outcome.value,
            error,
            _ms(delay),
            int(take_next),
            _ms(self.policy.lease),
            self.policy.max_attempts,
        )
        return self._claim_from(claim.token, reply)

    async def _renew(self, key: str, token: str) -> bool:
        return bool(await self._call("renew", key, token, _ms(self.policy.lease)))

    async def stats(self) -> QueueStats:
        live, running, retrying, dead, processed, failed, duplicates, oldest_ms = [
            int(value) for value in await self._call("stats")
        ]
        return QueueStats(
            queued=live - running - retrying,
            running=running,
            retrying=retrying,
            dead=dead,
            processed=processed,
            failed=failed,
            duplicates=duplicates,
            oldest_age=None if oldest_ms < 0 else oldest_ms / 1000,
        )

    async def dead(self) -> list[DeadDelivery]:
        ids = cast(list[bytes], await self.client.zrange(self.prefix + "dead", 0, -1))
        async with self.client.pipeline(transaction=False) as pipe:
            for id_ in ids:
                pipe.hmget(
                    self.prefix + "d:" + id_.decode(),
                    ["event", "key", "attempts", "error", "died_at"],
                )
            rows = await pipe.execute()
        return [
            DeadDelivery(
                id=id_.decode(),
                event=event.decode(),
                key=key.decode(),
                attempts=int(attempts),
                error=error.decode(),
                died_at=int(died_at) / 1000,
            )
            for id_, (event, key, attempts, error, died_at) in zip(ids, rows, strict=True)
            if event is not None
        ]

    async def retry_dead(self, delivery_id: str | None = None) -> int:
        return int(await self._call("retry_dead", delivery_id or ""))

    async def close(self) -> None:
        await super().close()
        await self.client.aclose()


class RedisStore:
    """:class:`~bot.queue.model.Store` as Redis strings with an expiry."""

    def __init__(self, client: aioredis.Redis | str, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = aioredis.from_url(client) if isinstance(client, str) else client
        self.prefix = prefix

    def _name(self, namespace: str, key: str) -> str:
        return f"{self.prefix}kv:{namespace}:{key}"

    async def get(self, namespace: str, key: str) -> str | None:
        value = await self.client.get(self._name(namespace, key))
        return value.decode() if isinstance(value, bytes) else value

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        await self.client.set(self._name(namespace, key), value, px=_ms(ttl))

    async def put_if_absent(self, namespace: str, key: str, value: str, ttl: float) -> bool:
        return bool(await self.client.set(self._name(namespace, key), value, px=_ms(ttl), nx=True))

    async def delete(self, namespace: str, key: str) -> None:
        await self.client.delete(self._name(namespace, key))

    async def close(self) -> None:
        await self.client.aclose()
