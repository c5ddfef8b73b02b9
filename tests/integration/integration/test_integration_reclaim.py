"""Two real consumer processes on Redis Streams: one is SIGKILLed holding pending events, the
other reclaims them and handles each exactly once (checked in a real SQLite table)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from kefu.bus.events import Event
from kefu.bus.redis_streams import RedisStreamsEventBus

pytestmark = pytest.mark.redis

WORKER = Path(__file__).with_name("reclaim_worker.py")
STREAM, GROUP = "business.events", "reclaim-test"


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    value = f"kefu-test:reclaim:{uuid.uuid4().hex[:8]}:"
    yield value
    client = Redis.from_url(redis_url)
    keys = [k async for k in client.scan_iter(match=f"{value}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()  # type: ignore[attr-defined]


def spawn(redis_url: str, prefix: str, db: Path, name: str, mode: str) -> subprocess.Popen[bytes]:
    log = db.with_name(f"{name}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), redis_url, prefix, str(db), name, mode],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    log.close()
    return proc


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert proc.poll() is None, path.with_suffix(".log").read_text()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


async def wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    """Wait (off the event loop) until a worker writes its marker file."""
    await asyncio.to_thread(_wait_for, path, proc)


def _wait_handled(db: Path, count: int) -> list[tuple[str, str, int]]:
    deadline = time.monotonic() + 20
    while len(handled(db)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return handled(db)


def handled(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT event_id, worker, deliveries FROM handled ORDER BY rowid"))


async def test_a_killed_consumers_pending_events_are_reclaimed_and_handled_once(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    db = tmp_path / "work.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE processed (event_id TEXT PRIMARY KEY)")
        conn.execute("CREATE TABLE handled (event_id TEXT NOT NULL, worker TEXT, deliveries INT)")
    bus = RedisStreamsEventBus(redis_url, prefix=prefix)
    await bus.start()
    await bus.ensure_group(STREAM, GROUP)
    first = [Event(type="order.paid", source="test", data={"n": n}) for n in range(8)]
    for event in first:
        await bus.publish(STREAM, event)

    doomed = spawn(redis_url, prefix, db, "alpha", "hang")
    survivor: subprocess.Popen[bytes] | None = None
    try:
        await wait_for(tmp_path / "alpha.ready", doomed)
        pending = await bus.pending(STREAM, GROUP)
        assert len(pending) == 8 and {p.consumer for p in pending} == {"alpha"}
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)

        survivor = spawn(redis_url, prefix, db, "beta", "work")
        await wait_for(tmp_path / "beta.ready", survivor)
        later = [Event(type="order.paid", source="test", data={"n": n}) for n in range(8, 12)]
        for event in later:
            await bus.publish(STREAM, event)

        rows = await asyncio.to_thread(_wait_handled, db, 12)
        assert sorted(r[0] for r in rows) == sorted(e.id for e in first + later)
        assert len(rows) == 12  # each exactly once
        assert {r[1] for r in rows} == {"beta"}
        reclaimed = {r[0]: r[2] for r in rows}
        assert all(reclaimed[e.id] >= 2 for e in first)  # delivered to alpha, then to beta
        for _ in range(50):
            if not await bus.pending(STREAM, GROUP):
                break
            await asyncio.sleep(0.1)
        assert await bus.pending(STREAM, GROUP) == []
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
        await bus.close()
