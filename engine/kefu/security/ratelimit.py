"""Token buckets: in process memory, or atomically in Redis (one Lua call) for clusters.

``take(key, rate, burst)`` spends one token from the bucket ``key`` that refills at ``rate``
tokens per second up to ``burst``; it answers 0 when allowed, else the seconds to wait.
"""

from __future__ import annotations

import math
import time
from typing import Any, Protocol

import redis.asyncio as aioredis

#: Buckets idle this long are dropped from memory.
_IDLE = 3600.0


class RateLimiter(Protocol):
    """Where buckets live."""

    async def take(self, key: str, rate: float, burst: int) -> float:
        """0.0 when a token was spent, else the seconds until one is available."""
        ...

    async def reset(self, key: str) -> None:
        """Refill a bucket (e.g. after a successful login)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class TokenBucket:
    """One in-memory bucket (also used per WebSocket, where no sharing is needed)."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0.0 when a token was spent, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class MemoryRateLimiter:
    """Buckets in this process (the default with the memory bus)."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._swept = time.monotonic()

    async def take(self, key: str, rate: float, burst: int) -> float:
        """Spend one token of ``key``."""
        self._sweep()
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = self._buckets[key] = TokenBucket(rate, burst)
        return bucket.take()

    async def reset(self, key: str) -> None:
        """Forget ``key`` (a full bucket next time)."""
        self._buckets.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""

    def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._swept < 60.0:
            return
        self._swept = now
        stale = [k for k, b in self._buckets.items() if now - b.stamp > _IDLE]
        for key in stale:
            del self._buckets[key]


# KEYS[1] bucket; ARGV rate, burst, now (s). Returns the wait in milliseconds (0: allowed).
_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 's')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil then
  tokens = burst
  stamp = now
end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RedisRateLimiter:
    """Buckets shared by every process: one atomic Lua script call per ``take``."""

    def __init__(self, url: str, prefix: str = "kefu:security:bucket:") -> None:
        self._redis: Any = aioredis.Redis.from_url(url)
        self._script = self._redis.register_script(_LUA)
        self._prefix = prefix

    async def take(self, key: str, rate: float, burst: int) -> float:
        """Spend one token of ``key`` atomically (Redis time base: this host's clock)."""
        wait_ms = await self._script(keys=[self._prefix + key], args=[rate, burst, time.time()])
        return int(wait_ms) / 1000.0

    async def reset(self, key: str) -> None:
        """Delete the bucket."""
        await self._redis.delete(self._prefix + key)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def create_rate_limiter(bus_url: str, namespace: str = "") -> RateLimiter:
    """Redis buckets when the bus is Redis (keys under ``namespace``), else memory."""
    if bus_url.split("://", 1)[0] in {"redis", "rediss", "unix"}:
        return RedisRateLimiter(bus_url, prefix=f"kefu:security:{namespace}bucket:")
    return MemoryRateLimiter()


def retry_after_header(wait: float) -> str:
    """The ``Retry-After`` value (whole seconds, at least 1) for a wait."""
    return str(max(1, math.ceil(wait)))
