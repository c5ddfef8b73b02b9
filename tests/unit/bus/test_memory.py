"""The in-memory event bus passes the shared conformance suite."""

from __future__ import annotations

import asyncio

import pytest

from kefu.bus import EventBus, InvalidEventError
from kefu.bus.memory import MemoryEventBus
from kefu.testing.bus import EventBusConformance


class TestMemoryEventBus(EventBusConformance):
    async def make_bus(self, *, maxlen: int) -> EventBus:
        return MemoryEventBus(maxlen=maxlen)


def test_from_url_reads_maxlen() -> None:
    bus = MemoryEventBus.from_url("memory://?maxlen=7")
    assert bus._maxlen == 7


@pytest.mark.parametrize("url", ["memory://host", "memory://?size=3", "redis://x", "memory:///a/b"])
def test_from_url_refuses_anything_else(url: str) -> None:
    with pytest.raises(InvalidEventError, match="memory"):
        MemoryEventBus.from_url(url)


async def test_close_wakes_a_blocked_reader() -> None:
    bus = MemoryEventBus()
    await bus.start()
    await bus.ensure_group("s", "g")
    reader = asyncio.create_task(bus.read("s", "g", "c", block=30))
    await asyncio.sleep(0.01)
    await bus.close()
    assert await asyncio.wait_for(reader, 1.0) == []
