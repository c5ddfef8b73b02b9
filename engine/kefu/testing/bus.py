"""The conformance suite every :class:`~kefu.bus.base.EventBus` backend must pass.

Subclass :class:`EventBusConformance` in a test module (its name must start with ``Test``) and
implement :meth:`~EventBusConformance.make_bus`::

    class TestMyBus(EventBusConformance):
        async def make_bus(self, *, maxlen: int) -> EventBus:
            return MyBus(maxlen=maxlen)

Every test uses fresh, uniquely named streams and deletes them afterwards.
"""

from __future__ import annotations

import abc
import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.bus import (
    BusClosedError,
    Delivery,
    Event,
    EventBus,
    GroupNotFoundError,
    InvalidEventError,
    StreamConsumer,
)

StreamFactory = Callable[[], str]


def _order_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq)


def make_event(n: int, **data: Any) -> Event:
    """A small conversation event numbered ``n``."""
    return Event(
        type="conversation.message",
        source="/tests/bus",
        subject=f"conversation/{n % 3}",
        data={"n": n, **data},
    )


class EventBusConformance(abc.ABC):
    """Behaviour shared by every event-bus backend: order, groups, ack, reclaim, bad input."""

    #: The ``min_idle`` used by reclaim tests, in seconds.
    min_idle: float = 0.05

    @abc.abstractmethod
    async def make_bus(self, *, maxlen: int) -> EventBus:
        """Build an unstarted bus that retains at most ``maxlen`` entries per stream, exactly."""

    @pytest.fixture
    async def bus(self) -> AsyncIterator[EventBus]:
        """A started bus with a generous bound, closed after the test."""
        bus = await self.make_bus(maxlen=1_000)
        await bus.start()
        try:
            yield bus
        finally:
            await bus.close()

    @pytest.fixture
    async def new_stream(self, bus: EventBus) -> AsyncIterator[StreamFactory]:
        """Makes unique stream names, deleted after the test."""
        names: list[str] = []

        def factory() -> str:
            names.append(f"conformance.{uuid.uuid4().hex[:12]}")
            return names[-1]

        yield factory
        for name in names:
            await bus.delete(name)

    # ---------------------------------------------------------------------------- ordering

    async def test_entries_arrive_in_publish_order(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        ids = [await bus.publish(stream, make_event(n)) for n in range(25)]
        assert ids == sorted(ids, key=_order_key)
        assert len(set(ids)) == 25
        got = await bus.read(stream, "g", "c1", count=10)
        got += await bus.read(stream, "g", "c1", count=100)
        assert [d.event.data["n"] for d in got] == list(range(25))
        assert [d.entry_id for d in got] == ids
        assert await bus.length(stream) == 25

    async def test_event_survives_the_round_trip(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        sent = Event(
            type="order.updated",
            source="/shop/orders",
            subject="order/A-1001",
            time=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
            data={"status": "已发货", "items": [{"sku": "x", "qty": 2}], "note": "📦", "ok": True},
        )
        await bus.publish(stream, sent)
        [delivery] = await bus.read(stream, "g", "c1")
        assert delivery.event == sent
        assert (delivery.stream, delivery.group, delivery.consumer) == (stream, "g", "c1")

    # ---------------------------------------------------------------------------- groups

    async def test_every_group_gets_every_event(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        for group in ("push", "audit", "metrics"):
            await bus.ensure_group(stream, group)
        for n in range(5):
            await bus.publish(stream, make_event(n))
        for group in ("push", "audit", "metrics"):
            got = await bus.read(stream, group, "c1", count=100)
            assert [d.event.data["n"] for d in got] == list(range(5)), group

    async def test_each_event_goes_to_one_consumer_of_a_group(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        for n in range(30):
            await bus.publish(stream, make_event(n))
        seen: dict[str, list[int]] = {"a": [], "b": [], "c": []}
        for _ in range(10):
            for consumer in seen:
                for d in await bus.read(stream, "g", consumer, count=2):
                    seen[consumer].append(d.event.data["n"])
        everything = [n for got in seen.values() for n in got]
        assert sorted(everything) == list(range(30))
        assert all(seen.values()), "every consumer should have received something"
        assert await bus.read(stream, "g", "a", count=10) == []

    async def test_late_group_starts_from_the_oldest_entry(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        for n in range(3):
            await bus.publish(stream, make_event(n))
        await bus.ensure_group(stream, "late")
        got = await bus.read(stream, "late", "first-consumer", count=10)
        assert [d.event.data["n"] for d in got] == [0, 1, 2]

    async def test_consumer_joining_later_continues_from_the_group_position(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        for n in range(4):
            await bus.publish(stream, make_event(n))
        first = await bus.read(stream, "g", "early", count=1)
        later = await bus.read(stream, "g", "joined-later", count=10)
        assert [d.event.data["n"] for d in first] == [0]
        assert [d.event.data["n"] for d in later] == [1, 2, 3]

    async def test_latest_group_only_sees_later_events(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.publish(stream, make_event(0))
        await bus.ensure_group(stream, "tail", start="latest")
        await bus.publish(stream, make_event(1))
        got = await bus.read(stream, "tail", "c", count=10)
        assert [d.event.data["n"] for d in got] == [1]

    async def test_ensure_group_twice_keeps_its_position(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        await bus.publish(stream, make_event(0))
        await bus.publish(stream, make_event(1))
        assert len(await bus.read(stream, "g", "c", count=1)) == 1
        await bus.ensure_group(stream, "g")
        got = await bus.read(stream, "g", "c", count=10)
        assert [d.event.data["n"] for d in got] == [1]

    # ---------------------------------------------------------------------------- ack, pending

    async def test_ack_removes_entries_from_pending(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        for n in range(3):
            await bus.publish(stream, make_event(n))
        got = await bus.read(stream, "g", "worker-1", count=10)
        pending = await bus.pending(stream, "g")
        assert [p.entry_id for p in pending] == [d.entry_id for d in got]
        assert {(p.consumer, p.deliveries) for p in pending} == {("worker-1", 1)}
        assert all(p.idle >= 0 for p in pending)

        assert await bus.ack(stream, "g", got[0].entry_id, got[2].entry_id) == 2
        assert [p.entry_id for p in await bus.pending(stream, "g")] == [got[1].entry_id]
        assert await bus.ack(stream, "g", got[0].entry_id) == 0, "a second ack changes nothing"
        assert await bus.ack(stream, "g", got[1].entry_id) == 1
        assert await bus.pending(stream, "g") == []

    async def test_ack_in_one_group_leaves_other_groups_pending(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "a")
        await bus.ensure_group(stream, "b")
        await bus.publish(stream, make_event(0))
        [da] = await bus.read(stream, "a", "c")
        [db] = await bus.read(stream, "b", "c")
        assert await bus.ack(stream, "a", da.entry_id) == 1
        assert await bus.pending(stream, "a") == []
        assert [p.entry_id for p in await bus.pending(stream, "b")] == [db.entry_id]

    # ---------------------------------------------------------------------------- reclaim

    async def test_reclaim_waits_for_min_idle(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        await bus.publish(stream, make_event(0))
        await bus.read(stream, "g", "slow")
        assert await bus.reclaim(stream, "g", "other", min_idle=60.0) == []
        [pending] = await bus.pending(stream, "g")
        assert pending.consumer == "slow"

    async def test_reclaim_moves_entries_of_a_dead_consumer(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        for n in range(3):
            await bus.publish(stream, make_event(n))
        taken = await bus.read(stream, "g", "dead", count=10)
        await asyncio.sleep(self.min_idle * 2)
        claimed = await bus.reclaim(stream, "g", "alive", min_idle=self.min_idle, count=2)
        assert [d.entry_id for d in claimed] == [d.entry_id for d in taken[:2]]
        assert all(d.consumer == "alive" for d in claimed)
        assert [d.deliveries for d in taken] == [1, 1, 1]
        assert [d.deliveries for d in claimed] == [2, 2]
        assert [d.event for d in claimed] == [d.event for d in taken[:2]]
        by_id = {p.entry_id: p for p in await bus.pending(stream, "g")}
        assert by_id[taken[0].entry_id].consumer == "alive"
        assert by_id[taken[0].entry_id].deliveries == 2
        assert by_id[taken[2].entry_id].consumer == "dead"
        rest = await bus.reclaim(stream, "g", "alive", min_idle=self.min_idle, count=10)
        assert [(d.entry_id, d.deliveries) for d in rest] == [(taken[2].entry_id, 2)]
        await asyncio.sleep(self.min_idle * 2)
        again = await bus.reclaim(stream, "g", "other", min_idle=self.min_idle, count=10)
        assert [(d.entry_id, d.deliveries) for d in again] == [
            (taken[0].entry_id, 3),
            (taken[1].entry_id, 3),
            (taken[2].entry_id, 3),
        ]

    async def test_dead_consumers_events_are_processed_once(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        """A consumer dies after acting on an event but before acking: nothing lost or doubled."""
        stream = new_stream()
        await bus.ensure_group(stream, "orders")
        for n in range(4):
            await bus.publish(stream, make_event(n))

        effects: list[int] = []
        seen: set[str] = set()

        async def idempotent_handler(delivery: Delivery) -> None:
            if delivery.event.id in seen:
                return
            seen.add(delivery.event.id)
            effects.append(delivery.event.data["n"])

        # The doomed consumer takes three events, acts on the first, and dies before any ack.
        doomed = await bus.read(stream, "orders", "doomed", count=3)
        await idempotent_handler(doomed[0])

        survivor = StreamConsumer(
            bus, stream, "orders", "survivor", idempotent_handler,
            min_idle=self.min_idle, block=0.0, batch=10,
        )  # fmt: skip
        # Too early to reclaim anything: the survivor only reads the one unclaimed event.
        assert await survivor.poll() == 1
        assert effects == [0, 3]
        await asyncio.sleep(self.min_idle * 2)
        assert await survivor.poll() == 3  # reclaims 0, 1, 2; the handler skips 0
        assert await survivor.poll() == 0
        assert sorted(effects) == [0, 1, 2, 3]
        assert await bus.pending(stream, "orders") == []

    async def test_failed_handler_leaves_the_entry_pending_for_retry(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        attempts: list[int] = []

        async def flaky(delivery: Delivery) -> None:
            attempts.append(delivery.event.data["n"])
            if len(attempts) == 1:
                raise RuntimeError("downstream timed out")

        consumer = StreamConsumer(bus, stream, "g", "w", flaky, min_idle=self.min_idle, block=0.0)
        await bus.ensure_group(stream, "g")
        await bus.publish(stream, make_event(7))
        assert await consumer.poll() == 0
        [pending] = await bus.pending(stream, "g")
        assert pending.consumer == "w"
        await asyncio.sleep(self.min_idle * 2)
        assert await consumer.poll() == 1
        assert attempts == [7, 7]
        assert await bus.pending(stream, "g") == []

    async def test_an_event_that_keeps_failing_goes_to_the_dead_letter_stream(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        attempts: list[int] = []

        async def broken(delivery: Delivery) -> None:
            attempts.append(delivery.deliveries)
            raise ValueError("cannot handle this one")

        consumer = StreamConsumer(
            bus, stream, "g", "w", broken, min_idle=self.min_idle, block=0.0, max_deliveries=2,
            dead_letter_stream=new_stream(),
        )  # fmt: skip
        await bus.ensure_group(stream, "g")
        sent = make_event(13)
        await bus.publish(stream, sent)
        for _ in range(3):
            assert await consumer.poll() == 0
            await asyncio.sleep(self.min_idle * 2)
        assert attempts == [1, 2]
        assert await bus.pending(stream, "g") == []
        await bus.ensure_group(consumer.dead_letter_stream, "ops")
        [dead] = await bus.read(consumer.dead_letter_stream, "ops", "operator")
        assert dead.event == sent

    # ---------------------------------------------------------------------------- blocking

    async def test_blocking_read_wakes_on_publish(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        started = time.monotonic()
        reader = asyncio.create_task(bus.read(stream, "g", "c", block=5.0))
        await asyncio.sleep(0.05)
        await bus.publish(stream, make_event(1))
        got = await asyncio.wait_for(reader, 5.0)
        assert [d.event.data["n"] for d in got] == [1]
        assert time.monotonic() - started < 2.0

    async def test_blocking_read_times_out_empty(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        started = time.monotonic()
        assert await bus.read(stream, "g", "c", block=0.1) == []
        assert 0.05 <= time.monotonic() - started < 2.0

    # ---------------------------------------------------------------------------- bounds

    async def test_stream_length_is_bounded(self, new_stream: StreamFactory) -> None:
        small = await self.make_bus(maxlen=5)
        await small.start()
        stream = new_stream()
        try:
            await small.ensure_group(stream, "g")
            for n in range(12):
                await small.publish(stream, make_event(n))
            assert await small.length(stream) == 5
            got = await small.read(stream, "g", "c", count=100)
            assert [d.event.data["n"] for d in got] == [7, 8, 9, 10, 11]
        finally:
            await small.delete(stream)
            await small.close()

    # ---------------------------------------------------------------------------- bad input

    async def test_unencodable_data_is_refused_and_nothing_is_stored(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        bad = Event(type="x.y", source="/t", data={"handle": object()})
        with pytest.raises(InvalidEventError, match="cannot be encoded as JSON"):
            await bus.publish(stream, bad)
        assert await bus.length(stream) == 0
        assert await bus.read(stream, "g", "c") == []

    async def test_oversized_events_are_refused(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        huge = Event(type="x.y", source="/t", data={"blob": "x" * (1 << 20)})
        with pytest.raises(InvalidEventError, match="the limit is"):
            await bus.publish(stream, huge)
        assert await bus.length(stream) == 0

    @pytest.mark.parametrize("stream", ["", " ", "has space", "tab\there", 42, None])
    async def test_bad_stream_names_are_refused(self, bus: EventBus, stream: Any) -> None:
        with pytest.raises(InvalidEventError, match="stream name"):
            await bus.publish(stream, make_event(0))

    async def test_publish_refuses_what_is_not_an_event(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        with pytest.raises(InvalidEventError, match="takes an Event"):
            await bus.publish(stream, {"type": "x"})  # type: ignore[arg-type]
        assert await bus.length(stream) == 0

    async def test_bad_arguments_are_refused(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.ensure_group(stream, "g")
        with pytest.raises(InvalidEventError, match="count"):
            await bus.read(stream, "g", "c", count=0)
        with pytest.raises(InvalidEventError, match="group name"):
            await bus.read(stream, "", "c")
        with pytest.raises(InvalidEventError, match="consumer name"):
            await bus.read(stream, "g", "")
        with pytest.raises(InvalidEventError, match="start"):
            await bus.ensure_group(stream, "h", start="middle")  # type: ignore[arg-type]
        with pytest.raises(InvalidEventError, match="entry id"):
            await bus.ack(stream, "g", "not-an-id")
        with pytest.raises(InvalidEventError, match="min_idle"):
            await bus.reclaim(stream, "g", "c", min_idle=-1)

    async def test_unknown_group_is_a_clear_error(
        self, bus: EventBus, new_stream: StreamFactory
    ) -> None:
        stream = new_stream()
        await bus.publish(stream, make_event(0))
        with pytest.raises(GroupNotFoundError, match="ensure_group"):
            await bus.read(stream, "nobody", "c")
        with pytest.raises(GroupNotFoundError):
            await bus.pending(stream, "nobody")
        with pytest.raises(GroupNotFoundError):
            await bus.reclaim(stream, "nobody", "c", min_idle=0)

    # ---------------------------------------------------------------------------- lifecycle

    async def test_use_outside_start_and_close_is_refused(self) -> None:
        bus = await self.make_bus(maxlen=10)
        with pytest.raises(BusClosedError):
            await bus.publish("conformance.lifecycle", make_event(0))
        await bus.start()
        await bus.close()
        await bus.close()
        with pytest.raises(BusClosedError):
            await bus.publish("conformance.lifecycle", make_event(0))

    async def test_satisfies_the_protocol(self, bus: EventBus) -> None:
        assert isinstance(bus, EventBus)
