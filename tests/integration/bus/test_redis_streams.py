"""The Redis Streams event bus passes the shared conformance suite against a real Redis.

Redis comes from the shared ``redis_url`` fixture (tests/fixtures_servers.py): when it is not
running these tests fail rather than skip. Every key written starts with a per-run prefix
and is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from kefu.bus import BusUnavailableError, EventBus, create_bus
from kefu.bus.redis_streams import RedisStreamsEventBus
from kefu.testing.bus import EventBusConformance, make_event

#: Every key this module writes starts with this, so a run never touches other data.
PREFIX = f"kefu-test:{uuid.uuid4().hex[:8]}:"

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module", autouse=True)
async def _remove_test_keys(redis_url: str) -> AsyncIterator[None]:
    client = Redis.from_url(redis_url)
    try:
        yield
    finally:
        keys = [key async for key in client.scan_iter(match=f"{PREFIX}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()  # type: ignore[attr-defined]


class TestRedisStreamsEventBus(EventBusConformance):
    url: str

    @pytest.fixture(autouse=True)
    def _use_test_redis(self, redis_url: str) -> None:
        self.url = redis_url

    async def make_bus(self, *, maxlen: int) -> EventBus:
        # Exact trimming, so the bound is observable; production uses the cheaper '~'.
        return RedisStreamsEventBus(self.url, prefix=PREFIX, maxlen=maxlen, approximate_trim=False)


async def test_create_bus_connects_to_the_configured_redis(redis_url: str) -> None:
    bus = create_bus(redis_url, prefix=PREFIX)
    await bus.start()
    try:
        entry_id = await bus.publish("factory", make_event(1))
        assert await bus.length("factory") == 1
        assert entry_id.count("-") == 1
    finally:
        await bus.delete("factory")
        await bus.close()


async def test_unreachable_redis_is_a_clear_error() -> None:
    bus = RedisStreamsEventBus("redis://:hunter2@127.0.0.1:1/0", connect_timeout=1.0)
    with pytest.raises(BusUnavailableError, match=r"cannot reach Redis .*127\.0\.0\.1:1") as info:
        await bus.start()
    assert "hunter2" not in str(info.value)


async def test_foreign_entries_are_dropped_not_wedging_the_group(redis_url: str) -> None:
    bus = RedisStreamsEventBus(redis_url, prefix=PREFIX)
    await bus.start()
    raw = Redis.from_url(redis_url)
    try:
        await bus.ensure_group("mixed", "g")
        await raw.xadd(bus.key("mixed"), {"event": b"{not json"})
        await raw.xadd(bus.key("mixed"), {"other": b"field"})
        await bus.publish("mixed", make_event(5))
        got = await bus.read("mixed", "g", "c", count=10)
        assert [d.event.data["n"] for d in got] == [5]
        assert [p.entry_id for p in await bus.pending("mixed", "g")] == [got[0].entry_id]
    finally:
        await bus.delete("mixed")
        await bus.close()
        await raw.aclose()  # type: ignore[attr-defined]


async def test_default_trimming_is_approximate_but_bounded(redis_url: str) -> None:
    bus = RedisStreamsEventBus(redis_url, prefix=PREFIX, maxlen=10)
    await bus.start()
    try:
        for n in range(400):
            await bus.publish("approx", make_event(n))
        # '~' trims whole radix-tree nodes (100 entries by default), never below maxlen.
        assert 10 <= await bus.length("approx") <= 10 + 100
    finally:
        await bus.delete("approx")
        await bus.close()


async def test_a_second_process_takes_over_from_one_that_died(redis_url: str) -> None:
    """Two bus instances stand for two Kefu processes sharing one consumer group."""
    first = RedisStreamsEventBus(redis_url, prefix=PREFIX)
    second = RedisStreamsEventBus(redis_url, prefix=PREFIX)
    await first.start()
    await second.start()
    try:
        await first.ensure_group("orders", "push")
        await second.ensure_group("orders", "push")  # the group exists: a no-op
        for n in range(4):
            await first.publish("orders", make_event(n))
        taken = await first.read("orders", "push", "process-1", count=2)
        rest = await second.read("orders", "push", "process-2", count=10)
        assert [d.event.data["n"] for d in taken] == [0, 1]
        assert [d.event.data["n"] for d in rest] == [2, 3]
        await second.ack("orders", "push", *(d.entry_id for d in rest))
        await first.close()  # process 1 dies holding entries 0 and 1
        await asyncio.sleep(0.1)
        claimed = await second.reclaim("orders", "push", "process-2", min_idle=0.05)
        assert [d.event.id for d in claimed] == [d.event.id for d in taken]
        await second.ack("orders", "push", *(d.entry_id for d in claimed))
        assert await second.pending("orders", "push") == []
    finally:
        await second.delete("orders")
        await second.close()


async def test_a_server_that_refuses_us_is_a_clear_error(redis_url: str) -> None:
    # The test server has no password: AUTH with one is refused.
    url = redis_url.replace("redis://", "redis://intruder:wrong@", 1)
    bus = RedisStreamsEventBus(url)
    with pytest.raises(BusUnavailableError, match="cannot reach Redis") as info:
        await bus.start()
    assert "wrong" not in str(info.value)
