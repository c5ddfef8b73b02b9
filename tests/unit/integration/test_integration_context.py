"""Customer context assembly: parallel sources, per-source deadlines, cache and invalidation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kefu.bus.events import Event
from kefu.bus.memory import MemoryEventBus
from kefu.contracts import ActionRequest, ActionResult, BusinessAdapter, CustomerContext
from kefu.integration.context import ContextAssembler, ContextInvalidator
from kefu.integration.inbox import BUSINESS_STREAM


class Source:
    """A scripted source: answers its sections after ``delay`` seconds, or raises ``error``."""

    def __init__(self, name: str, sections: dict[str, Any], delay: float = 0.0) -> None:
        self.name = name
        self.sections = tuple(sections)
        self._data = sections
        self.delay = delay
        self.error: Exception | None = None
        self.calls = 0

    async def customer_context(self, customer_id: str) -> CustomerContext:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return CustomerContext(
            customer_id, {k: [f"{v}-{self.calls}"] for k, v in self._data.items()}
        )

    async def perform(self, action: ActionRequest) -> ActionResult:
        return ActionResult(True, f"{self.name} did {action.kind}")


def shop() -> Source:
    return Source("shop", {"orders": "o", "payments": "p"})


def crm() -> Source:
    return Source("crm", {"profile": "x"})


async def test_sources_are_merged_and_satisfy_the_protocol() -> None:
    assembler = ContextAssembler([shop(), crm()])
    assert isinstance(assembler, BusinessAdapter)
    context = await assembler.customer_context("C1")
    assert set(context.sections) == {"orders", "payments", "profile"}
    assert context.degraded == ()


async def test_a_slow_source_is_degraded_and_the_rest_arrive_within_its_deadline() -> None:
    slow = crm()
    slow.delay = 2.0
    assembler = ContextAssembler([shop(), slow], deadline=0.1)
    started = time.perf_counter()
    context = await assembler.customer_context("C1")
    assert time.perf_counter() - started < 0.5
    assert set(context.sections) == {"orders", "payments"}
    assert context.degraded == ("crm", "profile")


async def test_a_down_source_serves_its_last_good_sections_as_stale() -> None:
    flaky = crm()
    assembler = ContextAssembler([shop(), flaky], ttl=0)
    await assembler.customer_context("C1")
    flaky.error = ConnectionError("down")
    context = await assembler.customer_context("C1")
    assert context.sections["profile"] == ["x-1"]  # stale, from the first call
    assert "crm" in context.degraded


async def test_the_cache_answers_until_invalidated() -> None:
    source = shop()
    assembler = ContextAssembler([source], ttl=60)
    first = await assembler.customer_context("C1")
    assert await assembler.customer_context("C1") is first
    assert source.calls == 1
    assert assembler.invalidate("C1")
    assert (await assembler.customer_context("C1")).sections["orders"] == ["o-2"]


async def test_degraded_contexts_are_cached_only_briefly() -> None:
    slow = crm()
    slow.delay = 1.0
    assembler = ContextAssembler([shop(), slow], deadline=0.05, ttl=60, degraded_ttl=0.1)
    await assembler.customer_context("C1")
    await assembler.customer_context("C1")
    assert slow.calls == 1
    await asyncio.sleep(0.12)
    await assembler.customer_context("C1")
    assert slow.calls == 2


async def test_concurrent_requests_share_one_fetch() -> None:
    source = shop()
    source.delay = 0.05
    assembler = ContextAssembler([source])
    results = await asyncio.gather(*(assembler.customer_context("C1") for _ in range(20)))
    assert source.calls == 1
    assert all(r is results[0] for r in results)


async def test_an_invalidation_during_a_fetch_keeps_the_old_answer_out_of_the_cache() -> None:
    source = shop()
    source.delay = 0.05
    assembler = ContextAssembler([source], ttl=60)
    fetch = asyncio.create_task(assembler.customer_context("C1"))
    await asyncio.sleep(0.01)
    assembler.invalidate("C1")
    await fetch
    await assembler.customer_context("C1")
    assert source.calls == 2


async def test_business_events_on_the_bus_invalidate_the_customer() -> None:
    bus = MemoryEventBus()
    await bus.start()
    source = shop()
    assembler = ContextAssembler([source], ttl=60)
    invalidator = ContextInvalidator(bus, assembler, block=0.02)
    invalidator.start()
    try:
        await assembler.customer_context("C1")
        await asyncio.sleep(0.05)  # the group exists before the event
        await bus.publish(
            BUSINESS_STREAM, Event(type="order.paid", source="t", data={"customer_id": "C1"})
        )
        for _ in range(100):
            if "C1" not in assembler._cache:
                break
            await asyncio.sleep(0.01)
        await assembler.customer_context("C1")
        assert source.calls == 2
    finally:
        await invalidator.stop()
        await bus.close()


async def test_actions_go_to_the_action_source() -> None:
    assembler = ContextAssembler([shop(), crm()], action_source="crm")
    result = await assembler.perform(ActionRequest("flag_order", "C1", {}, "k" * 8, "a"))
    assert result.detail == "crm did flag_order"


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ContextAssembler([])
    with pytest.raises(ValueError, match="unique"):
        ContextAssembler([shop(), shop()])
    with pytest.raises(ValueError, match="unknown sources"):
        ContextAssembler([shop()], deadlines={"nope": 1})
    with pytest.raises(ValueError, match="action_source"):
        ContextAssembler([shop()], action_source="crm")
