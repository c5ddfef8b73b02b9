"""The outbox relay: publishes stored events on the bus, retrying until the bus takes them.

Events reach the outbox in the transaction that stored them. The relay publishes them oldest
first and marks each published; an event whose publish fails stays queued and is tried again
on the next round, so a bus outage delays events but never loses them. Delivery is therefore
at-least-once (a crash between publish and mark re-publishes): consumers de-duplicate on id.
On PostgreSQL, rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several processes share the
work without publishing the same row concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.bus.base import EventBus
from kefu.bus.events import Event
from kefu.integration import tables
from kefu.store.database import Database
from kefu.store.records import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayRound:
    """What one relay round did."""

    published: int
    failed: int


class OutboxRelay:
    """Moves outbox rows onto the bus; ``wake()`` after a commit publishes at once."""

    def __init__(
        self, database: Database, bus: EventBus, *, batch: int = 100, interval: float = 1.0
    ) -> None:
        if batch < 1 or interval <= 0:
            raise ValueError("batch must be >= 1 and interval > 0")
        self._db = database
        self._bus = bus
        self._batch = batch
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was queued: run a round now rather than at the next interval."""
        self._wake.set()

    async def run_once(self) -> RelayRound:
        """Publish every queued event once (up to ``batch``), oldest first."""
        if self._db.is_sqlite:
            return await self._round_sqlite()
        return await self._round_locked()

    async def _round_sqlite(self) -> RelayRound:
        o = tables.outbox
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(o.c.id, o.c.stream, o.c.payload)
                    .where(o.c.published_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self._batch)
                )
            ).all()
        if not rows:
            return RelayRound(0, 0)
        done, failures = await self._publish(rows)
        async with self._db.write() as conn:
            await self._mark(conn, done, failures)
        return RelayRound(len(done), len(failures))

    async def _round_locked(self) -> RelayRound:
        o = tables.outbox
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    sa.select(o.c.id, o.c.stream, o.c.payload)
                    .where(o.c.published_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return RelayRound(0, 0)
            done, failures = await self._publish(rows)
            await self._mark(conn, done, failures)
        return RelayRound(len(done), len(failures))

    async def _publish(self, rows: Sequence[Any]) -> tuple[list[int], dict[int, str]]:
        done: list[int] = []
        failures: dict[int, str] = {}
        for row in rows:
            try:
                await self._bus.publish(row.stream, Event.from_json(row.payload))
            except Exception as exc:
                failures[row.id] = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("outbox row %s not published yet: %s", row.id, failures[row.id])
                # Keep per-stream order: later rows wait for the next round.
                break
            done.append(row.id)
        return done, failures

    @staticmethod
    async def _mark(conn: AsyncConnection, done: list[int], failures: dict[int, str]) -> None:
        o = tables.outbox
        if done:
            await conn.execute(
                sa.update(o)
                .where(o.c.id.in_(done))
                .values(published_at=utcnow(), attempts=o.c.attempts + 1, last_error=None)
            )
        for row_id, error in failures.items():
            await conn.execute(
                sa.update(o)
                .where(o.c.id == row_id)
                .values(attempts=o.c.attempts + 1, last_error=error)
            )

    async def pending(self) -> int:
        """How many events wait to be published."""
        o = tables.outbox
        async with self._db.read() as conn:
            count = await conn.execute(
                sa.select(sa.func.count()).select_from(o).where(o.c.published_at.is_(None))
            )
            return int(count.scalar_one())

    async def run(self) -> None:
        """Relay until cancelled: a round on every wake-up and at least every ``interval``."""
        while True:
            try:
                result = await self.run_once()
            except Exception:
                log.exception("outbox relay round failed")
                result = RelayRound(0, 1)
            if result.published and not result.failed:
                continue  # there may be more
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)

    def start(self) -> None:
        """Relay in a background task."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="kefu-outbox-relay")

    async def stop(self) -> None:
        """Stop relaying (queued events stay queued)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
