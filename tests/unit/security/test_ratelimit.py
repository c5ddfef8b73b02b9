"""Token buckets in memory and in Redis (atomic Lua)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kefu.security.ratelimit import MemoryRateLimiter, RedisRateLimiter, TokenBucket


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=10.0, burst=3)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take()
    assert 0.0 < wait <= 0.1


async def test_memory_buckets_are_per_key_and_reset() -> None:
    limiter = MemoryRateLimiter()
    assert [await limiter.take("a", 1.0, 2) for _ in range(2)] == [0.0, 0.0]
    assert await limiter.take("a", 1.0, 2) > 0
    assert await limiter.take("b", 1.0, 2) == 0.0
    await limiter.reset("a")
    assert await limiter.take("a", 1.0, 2) == 0.0


async def test_redis_buckets_are_shared_and_atomic(redis_url: str) -> None:
    first, second = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        results = await asyncio.gather(
            *[(first if n % 2 else second).take(key, 0.5, 5) for n in range(20)]
        )
        assert sum(1 for r in results if r == 0.0) == 5  # two "processes", one bucket
        assert all(0 < r <= 2.0 for r in results if r)
        await first.reset(key)
        assert await second.take(key, 0.5, 5) == 0.0
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("rate", [0.5, 100.0])
async def test_redis_and_memory_agree_on_the_burst(redis_url: str, rate: float) -> None:
    redis_limiter = RedisRateLimiter(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        allowed = [await redis_limiter.take(key, rate, 4) == 0.0 for _ in range(4)]
        assert all(allowed)
    finally:
        await redis_limiter.close()
