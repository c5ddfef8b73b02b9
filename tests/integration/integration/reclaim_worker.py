"""A consumer process for the reclaim test: handles business events idempotently into SQLite.

``python reclaim_worker.py REDIS_URL PREFIX DB_PATH NAME MODE`` where MODE is ``hang`` (take a
batch, then block inside the handler until killed) or ``work`` (handle everything, reclaiming
entries idle for one second).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from kefu.bus.base import Delivery
from kefu.bus.consumer import StreamConsumer
from kefu.bus.redis_streams import RedisStreamsEventBus

STREAM, GROUP = "business.events", "reclaim-test"


def handle_once(db_path: str, event_id: str, worker: str, deliveries: int) -> None:
    """Claim the event and log the work in one transaction; a claimed event is skipped."""
    conn = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO processed (event_id) VALUES (?)", (event_id,))
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK")
            return
        conn.execute(
            "INSERT INTO handled (event_id, worker, deliveries) VALUES (?, ?, ?)",
            (event_id, worker, deliveries),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


async def main(redis_url: str, prefix: str, db_path: str, name: str, mode: str) -> None:
    bus = RedisStreamsEventBus(redis_url, prefix=prefix)
    await bus.start()
    ready = Path(db_path).with_name(f"{name}.ready")

    async def handler(delivery: Delivery) -> None:
        if mode == "hang":
            await asyncio.to_thread(ready.write_text, delivery.entry_id)
            await asyncio.Event().wait()  # stuck mid-work until SIGKILL
        pending = await bus.pending(STREAM, GROUP, count=1000)
        times = {p.entry_id: p.deliveries for p in pending}.get(delivery.entry_id, 1)
        await asyncio.to_thread(handle_once, db_path, delivery.event.id, name, times)

    consumer = StreamConsumer(bus, STREAM, GROUP, name, handler, batch=50, block=0.2, min_idle=1.0)
    if mode == "work":
        await asyncio.to_thread(ready.write_text, "up")
    await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
