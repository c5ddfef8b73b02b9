"""A long-running consumer: reads a group's events, hands them to a handler, acks on success."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from kefu.bus.base import Delivery, EventBus, StartFrom, check_name, check_positive, check_seconds
from kefu.bus.errors import BusError, GroupNotFoundError

log = logging.getLogger(__name__)

#: Handles one delivery; raising leaves the entry pending so it is retried after ``min_idle``.
Handler = Callable[[Delivery], Awaitable[None]]


class StreamConsumer:
    """Runs one consumer of a group: reclaims stale entries, reads new ones, acks handled ones.

    Handlers run one at a time, in entry order. A handler that raises is logged and its entry
    stays pending; after ``min_idle`` seconds any consumer of the group (this one included)
    reclaims it. An entry delivered more than ``max_deliveries`` times is not handed to the
    handler again: it is copied to the dead-letter stream (``<stream>.dead`` by default) for an
    operator to look at, and acknowledged. Delivery is at-least-once, so handlers must be
    idempotent on ``event.id``.
    """

    def __init__(
        self,
        bus: EventBus,
        stream: str,
        group: str,
        name: str,
        handler: Handler,
        *,
        batch: int = 10,
        block: float = 1.0,
        min_idle: float = 30.0,
        start: StartFrom = "earliest",
        retry_delay: float = 1.0,
        max_deliveries: int = 10,
        dead_letter_stream: str | None = None,
    ) -> None:
        self.bus = bus
        self.stream = check_name("stream", stream)
        self.group = check_name("group", group)
        self.name = check_name("consumer", name)
        check_positive("batch", batch)
        self._handler = handler
        self._batch = batch
        self._block = check_seconds("block", block)
        self._min_idle = check_seconds("min_idle", min_idle)
        self._start = start
        self._retry_delay = check_seconds("retry_delay", retry_delay)
        check_positive("max_deliveries", max_deliveries)
        self._max_deliveries = max_deliveries
        self.dead_letter_stream = check_name(
            "dead-letter stream", dead_letter_stream or f"{stream}.dead"
        )
        self._task: asyncio.Task[None] | None = None
        self._group_ready = False

    async def poll(self) -> int:
        """One round: reclaim stale entries, else read new ones; returns how many were handled."""
        if not self._group_ready:
            await self.bus.ensure_group(self.stream, self.group, start=self._start)
            self._group_ready = True
        deliveries = await self.bus.reclaim(
            self.stream, self.group, self.name, min_idle=self._min_idle, count=self._batch
        )
        if not deliveries:
            deliveries = await self.bus.read(
                self.stream, self.group, self.name, count=self._batch, block=self._block
            )
        handled = 0
        for delivery in deliveries:
            if delivery.deliveries > self._max_deliveries:
                await self._dead_letter(delivery)
                continue
            try:
                await self._handler(delivery)
            except Exception:
                log.exception(
                    "handler failed on %s %s (stream %s, group %s); it stays pending",
                    delivery.event.type,
                    delivery.entry_id,
                    self.stream,
                    self.group,
                )
                continue
            await self.bus.ack(self.stream, self.group, delivery.entry_id)
            handled += 1
        return handled

    async def _dead_letter(self, delivery: Delivery) -> None:
        await self.bus.publish(self.dead_letter_stream, delivery.event)
        await self.bus.ack(self.stream, self.group, delivery.entry_id)
        log.error(
            "gave up on %s %s after %d deliveries (stream %s, group %s); moved to %s",
            delivery.event.type,
            delivery.event.id,
            delivery.deliveries - 1,
            self.stream,
            self.group,
            self.dead_letter_stream,
        )

    async def run(self) -> None:
        """Poll until cancelled; backend outages are logged and retried after ``retry_delay``."""
        while True:
            try:
                await self.poll()
            except GroupNotFoundError:
                # The stream was deleted under us: recreate the group on the next round.
                self._group_ready = False
                log.warning("group %s vanished from stream %s; recreating", self.group, self.stream)
                await asyncio.sleep(self._retry_delay)
            except BusError:
                log.exception("event consumer %s/%s/%s failed", self.stream, self.group, self.name)
                await asyncio.sleep(self._retry_delay)

    def start(self) -> None:
        """Run in a background task until :meth:`stop`."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"kefu-consumer-{self.name}")

    async def stop(self) -> None:
        """Cancel the background task and wait for it to finish."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
