"""Visitors who think between messages: the latency they see at a given offered load.

A closed loop (each visitor sends again the moment it is answered) only measures saturation:
its latency is always ``visitors / throughput``. Here each of ``visitors`` visitors waits an
exponentially distributed think time (people read the answer and type the next question)
before sending its next message, so the offered load is about ``visitors / think_mean`` turns
per second whatever the server does, and latency shows how each turn is served at that load.

Turns are timed from send to reply. Only turns *sent* inside the measured period (after the
warm-up) count; the ones still open when it ends are awaited for ``drain_seconds`` and counted
as unfinished if they never return.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: Sends one visitor's message and returns when the bot's reply arrived (visitor index, text).
SendTurn = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LoadPoint:
    """One step of a sweep: how many visitors, and how long each thinks on average."""

    visitors: int
    think_mean_s: float

    @property
    def offered_per_second(self) -> float:
        """Turns per second the visitors would send if every reply were instant."""
        return self.visitors / self.think_mean_s


@dataclass(frozen=True, slots=True)
class PointResult:
    """What the visitors saw at one load point."""

    visitors: int
    think_mean_s: float
    offered_per_second: float
    achieved_per_second: float
    turns: int
    unfinished: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    load_average_1m: float

    def row(self) -> dict[str, Any]:
        """The result as a plain dict (JSON, tables, plots)."""
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values`` by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def message_stream(texts: Sequence[str], seed: int) -> Iterator[str]:
    """The texts in a shuffled order, reshuffled each time the pool is used up."""
    rng = random.Random(seed)
    pool = list(texts)
    for _ in itertools.count():
        rng.shuffle(pool)
        yield from pool


async def run_point(
    send: SendTurn,
    messages: Iterator[str],
    point: LoadPoint,
    *,
    warmup_s: float,
    measure_s: float,
    drain_s: float = 30.0,
    seed: int = 0,
) -> PointResult:
    """Drive ``point.visitors`` thinking visitors through ``send`` and time their turns."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    window_start = started + warmup_s
    window_end = window_start + measure_s
    latencies: list[float] = []
    completed_in_window = 0
    open_turns = 0
    errors = 0

    async def visitor(n: int) -> None:
        nonlocal completed_in_window, open_turns, errors
        rng = random.Random(seed * 100_003 + n)
        while True:
            await asyncio.sleep(rng.expovariate(1.0 / point.think_mean_s))
            sent = loop.time()
            if sent >= window_end:
                return
            counted = sent >= window_start
            open_turns += counted
            t0 = time.perf_counter()
            try:
                await send(n, next(messages))
            except Exception:
                errors += 1
                open_turns -= counted
                continue
            elapsed_ms = (time.perf_counter() - t0) * 1000
            open_turns -= counted
            if counted:
                latencies.append(elapsed_ms)
            if window_start <= loop.time() < window_end:
                completed_in_window += 1

    tasks = [asyncio.create_task(visitor(n)) for n in range(point.visitors)]
    await asyncio.sleep(max(0.0, window_end - loop.time()))
    _, pending = await asyncio.wait(tasks, timeout=drain_s)
    unfinished = open_turns
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return PointResult(
        visitors=point.visitors,
        think_mean_s=point.think_mean_s,
        offered_per_second=round(point.offered_per_second, 2),
        achieved_per_second=round(completed_in_window / measure_s, 2),
        turns=len(latencies),
        unfinished=unfinished,
        errors=errors,
        p50_ms=round(percentile(latencies, 50), 2),
        p95_ms=round(percentile(latencies, 95), 2),
        p99_ms=round(percentile(latencies, 99), 2),
        max_ms=round(max(latencies, default=0.0), 2),
        load_average_1m=round(os.getloadavg()[0], 2),
    )


def saturation(results: Sequence[PointResult], p99_target_ms: float) -> dict[str, Any]:
    """The highest offered load still served (p99 within target, >= 90 % of offered achieved).

    Also names the lowest offered load that was not served, so the reader sees where it
    breaks between the two.
    """
    ordered = sorted(results, key=lambda r: r.offered_per_second)

    def served(r: PointResult) -> bool:
        keeps_up = r.achieved_per_second >= 0.9 * r.offered_per_second
        return r.p99_ms <= p99_target_ms and keeps_up and not r.unfinished and not r.errors

    ok = [r.offered_per_second for r in ordered if served(r)]
    broken = [r.offered_per_second for r in ordered if not served(r)]
    return {
        "p99_target_ms": p99_target_ms,
        "highest_served_per_second": max(ok, default=None),
        "lowest_unserved_per_second": min(broken, default=None),
    }


__all__ = [
    "LoadPoint",
    "PointResult",
    "SendTurn",
    "message_stream",
    "percentile",
    "run_point",
    "saturation",
]
