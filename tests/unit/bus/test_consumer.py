"""StreamConsumer: background loop lifecycle and recovery from backend errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kefu.bus import BusUnavailableError, Delivery, InvalidEventError, StreamConsumer
from kefu.bus.memory import MemoryEventBus
from kefu.testing.bus import make_event


@pytest.fixture
async def bus() -> AsyncIterator[MemoryEventBus]:
    bus = MemoryEventBus()
    await bus.start()
    yield bus
    await bus.close()


async def test_background_consumer_handles_and_acks(bus: MemoryEventBus) -> None:
    handled: list[int] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        handled.append(delivery.event.data["n"])
        if len(handled) == 5:
            done.set()

    consumer = StreamConsumer(bus, "s", "g", "w1", handler, block=0.05)
    consumer.start()
    for n in range(5):
        await bus.publish("s", make_event(n))
    await asyncio.wait_for(done.wait(), 2.0)
    await consumer.stop()
    assert handled == [0, 1, 2, 3, 4]
    assert await bus.pending("s", "g") == []


async def test_run_survives_a_backend_outage(bus: MemoryEventBus) -> None:
    class FlakyBus(MemoryEventBus):
        failures = 2

        async def read(self, *args: Any, **kwargs: Any) -> list[Delivery]:
            if self.failures:
                self.failures -= 1
                raise BusUnavailableError("redis went away")
            return await super().read(*args, **kwargs)

    flaky = FlakyBus()
    await flaky.start()
    await flaky.publish("s", make_event(1))
    got: list[Delivery] = []
    ready = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        got.append(delivery)
        ready.set()

    consumer = StreamConsumer(flaky, "s", "g", "w", handler, block=0.01, retry_delay=0.01)
    consumer.start()
    await asyncio.wait_for(ready.wait(), 2.0)
    await consumer.stop()
    await flaky.close()
    assert flaky.failures == 0
    assert [d.event.data["n"] for d in got] == [1]


async def test_stop_without_start_is_harmless(bus: MemoryEventBus) -> None:
    async def handler(delivery: Delivery) -> None:
        raise AssertionError("never called")

    await StreamConsumer(bus, "s", "g", "w", handler).stop()


def test_bad_settings_are_refused(bus: MemoryEventBus) -> None:
    async def handler(delivery: Delivery) -> None:
        return None

    with pytest.raises(InvalidEventError, match="batch"):
        StreamConsumer(bus, "s", "g", "w", handler, batch=0)
    with pytest.raises(InvalidEventError, match="consumer name"):
        StreamConsumer(bus, "s", "g", "", handler)
    with pytest.raises(InvalidEventError, match="max_deliveries"):
        StreamConsumer(bus, "s", "g", "w", handler, max_deliveries=0)
    with pytest.raises(InvalidEventError, match="dead-letter stream name"):
        StreamConsumer(bus, "s", "g", "w", handler, dead_letter_stream="has space")
    assert StreamConsumer(bus, "s", "g", "w", handler).dead_letter_stream == "s.dead"
