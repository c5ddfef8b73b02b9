"""The guards on outbound calls: deadline, token bucket and circuit breaker."""

from __future__ import annotations

import asyncio
import time

import pytest

from kefu.integration.resilience import (
    CallTimeoutError,
    CircuitOpenError,
    GuardedCaller,
    RateLimitedError,
)


async def ok() -> str:
    return "ok"


async def boom() -> str:
    raise ConnectionError("down")


async def slow() -> str:
    await asyncio.sleep(1)
    return "late"


async def test_the_breaker_opens_after_the_threshold_and_closes_after_recovery() -> None:
    caller = GuardedCaller("t1", threshold=2, recovery=0.3, rate=1000)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await caller.call(boom())
    started = time.perf_counter()
    with pytest.raises(CircuitOpenError):
        await caller.call(ok())
    assert time.perf_counter() - started < 0.01
    assert await caller.state() == "opened"
    await asyncio.sleep(0.35)
    assert await caller.call(ok()) == "ok"
    assert await caller.state() == "closed"


async def test_a_deadline_overrun_is_a_failure_with_an_unknown_outcome() -> None:
    caller = GuardedCaller("t2", timeout=0.05, threshold=1, recovery=5)
    with pytest.raises(CallTimeoutError):
        await caller.call(slow())
    with pytest.raises(CircuitOpenError):
        await caller.call(ok())


async def test_an_empty_bucket_refuses_without_calling() -> None:
    caller = GuardedCaller("t3", rate=3, period=60)
    assert [await caller.call(ok()) for _ in range(3)] == ["ok"] * 3
    with pytest.raises(RateLimitedError):
        await caller.call(ok())


def test_bad_guard_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        GuardedCaller("t4", threshold=0)
