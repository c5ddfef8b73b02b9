"""Running a coroutine inline until it first waits, and continuing it after."""

from __future__ import annotations

import asyncio

import pytest

from kefu.conversations import eager


async def _add(a: int, b: int) -> int:
    return a + b


async def _waits_then_adds(gate: asyncio.Event, a: int, b: int, log: list[str]) -> int:
    log.append("before")
    try:
        await gate.wait()
    finally:
        log.append("after")
    return a + b


async def test_a_coroutine_that_never_waits_is_done_at_once() -> None:
    started = eager.start(_add(2, 3))
    assert started == eager.Done(5)


async def test_a_waiting_coroutine_continues_where_it_stopped() -> None:
    gate = asyncio.Event()
    log: list[str] = []
    started = eager.start(_waits_then_adds(gate, 2, 3, log))
    assert isinstance(started, eager.Waiting)
    assert log == ["before"]
    task = asyncio.create_task(started.finish())
    await asyncio.sleep(0)
    assert not task.done()
    gate.set()
    assert await task == 5
    assert log == ["before", "after"]


async def test_cancelling_the_continuation_reaches_the_coroutine() -> None:
    log: list[str] = []
    started = eager.start(_waits_then_adds(asyncio.Event(), 1, 1, log))
    assert isinstance(started, eager.Waiting)
    task = asyncio.create_task(started.finish())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["before", "after"]


async def test_a_timeout_around_the_continuation_interrupts_the_wait() -> None:
    log: list[str] = []
    started = eager.start(_waits_then_adds(asyncio.Event(), 1, 1, log))
    assert isinstance(started, eager.Waiting)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await started.finish()
    assert log == ["before", "after"]


async def test_errors_before_and_after_the_first_wait_propagate() -> None:
    async def fails_at_once() -> None:
        raise ValueError("now")

    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise ValueError("later")

    with pytest.raises(ValueError, match="now"):
        eager.start(fails_at_once())
    started = eager.start(fails_later())
    assert isinstance(started, eager.Waiting)
    with pytest.raises(ValueError, match="later"):
        await started.finish()
