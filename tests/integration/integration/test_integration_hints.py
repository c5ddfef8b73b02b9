"""Agent hints from business events, on a real SQLite store and the memory bus."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kefu.bus.events import Event
from kefu.bus.memory import MemoryEventBus
from kefu.integration import tables
from kefu.integration.hints import (
    HINT_STREAM,
    NEW_ORDER_PENDING,
    PARCEL_DELAYED,
    HintConsumer,
    HintEngine,
)
from kefu.integration.inbox import BUSINESS_STREAM, EventInbox
from kefu.integration.links import CustomerLinks
from kefu.integration.outbox import OutboxRelay
from kefu.store.database import Database

NOW = datetime.now(UTC)


def order_created(customer: str, placed: datetime, order_id: str = "SO-1") -> Event:
    return Event(
        type="order.created",
        source="demo-shop://orders",
        subject=customer,
        time=placed,
        data={
            "order_id": order_id,
            "customer_id": customer,
            "total_cents": 100,
            "currency": "USD",
            "placed_at": placed.isoformat(),
        },
    )


def delayed(customer: str, order_id: str = "SO-9") -> Event:
    return Event(
        type="shipment.delayed",
        source="demo-shop://orders",
        subject=customer,
        data={
            "order_id": order_id,
            "customer_id": customer,
            "shipment_id": "SH-1",
            "carrier": "FedEx",
            "tracking": "7946",
            "reason": "weather delay at hub",
            "expected_at": (NOW + timedelta(days=2)).isoformat(),
        },
    )


async def queued_hints(db: Database) -> list[dict[str, Any]]:
    o = tables.outbox
    async with db.read() as conn:
        rows = await conn.execute(
            sa.select(o.c.payload).where(o.c.stream == HINT_STREAM).order_by(o.c.id)
        )
        return [Event.from_json(r.payload).data for r in rows]


def customer() -> str:
    return f"C-{uuid.uuid4().hex[:8]}"


async def test_a_chat_opened_minutes_after_an_order_gets_a_pending_order_hint(
    kefu_db: Database,
) -> None:
    engine = HintEngine(kefu_db)
    cid = customer()
    await EventInbox(kefu_db).offer("demo-shop", order_created(cid, NOW - timedelta(minutes=4)))
    hints = await engine.on_chat_opened("conv-1", cid, agent_id="agent-1", now=NOW)
    assert [h.kind for h in hints] == [NEW_ORDER_PENDING]
    assert hints[0].text == "New order SO-1 pending: placed 4 min before the chat opened"
    # Opening again (a reconnect) produces no second hint.
    assert await engine.on_chat_opened("conv-1", cid, now=NOW + timedelta(seconds=5)) == []
    stored = await queued_hints(kefu_db)
    assert len(stored) == 1 and stored[0]["conversation_id"] == "conv-1"
    assert stored[0]["agent_id"] == "agent-1"


async def test_old_or_paid_orders_give_no_hint(kefu_db: Database) -> None:
    engine = HintEngine(kefu_db, order_window=timedelta(minutes=30))
    inbox = EventInbox(kefu_db)
    old, paid = customer(), customer()
    await inbox.offer("shop", order_created(old, NOW - timedelta(hours=2)))
    await inbox.offer("shop", order_created(paid, NOW - timedelta(minutes=3), "SO-2"))
    await inbox.offer(
        "shop",
        Event(
            type="order.paid",
            source="demo-shop://orders",
            data={
                "order_id": "SO-2",
                "customer_id": paid,
                "payment_id": "P",
                "amount_cents": 1,
                "paid_at": NOW.isoformat(),
            },
        ),
    )
    assert await engine.on_chat_opened("conv-old", old, now=NOW) == []
    assert await engine.on_chat_opened("conv-paid", paid, now=NOW) == []


async def test_an_order_arriving_after_the_chat_opened_gives_the_hint_once(
    kefu_db: Database,
) -> None:
    engine = HintEngine(kefu_db)
    cid = customer()
    await engine.on_chat_opened("conv-2", cid, now=NOW)
    event = order_created(cid, NOW + timedelta(minutes=3))
    hints = await engine.on_event(event)
    assert [h.kind for h in hints] == [NEW_ORDER_PENDING]
    assert hints[0].text == "New order SO-1 pending: placed 3 min after the chat opened"
    assert await engine.on_event(event) == []  # redelivery
    assert len(await queued_hints(kefu_db)) == 1


async def test_a_delayed_parcel_hints_every_open_conversation_of_the_customer(
    kefu_db: Database,
) -> None:
    engine = HintEngine(kefu_db)
    cid = customer()
    await engine.on_chat_opened("conv-a", cid, now=NOW)
    await engine.on_chat_opened("conv-b", cid, now=NOW)
    await engine.on_chat_opened("conv-c", cid, now=NOW)
    async with kefu_db.write() as conn:
        await CustomerLinks(conn).close("conv-c")
    await engine.on_chat_opened("conv-other", customer(), now=NOW)
    hints = await engine.on_event(delayed(cid))
    assert sorted(h.conversation_id for h in hints) == ["conv-a", "conv-b"]
    assert all(h.kind == PARCEL_DELAYED and "weather delay" in h.text for h in hints)


async def test_a_chat_opened_after_a_delay_gets_the_delay_hint(kefu_db: Database) -> None:
    engine = HintEngine(kefu_db)
    cid = customer()
    await EventInbox(kefu_db).offer("shop", delayed(cid))
    hints = await engine.on_chat_opened("conv-d", cid, now=NOW + timedelta(hours=3))
    assert [h.kind for h in hints] == [PARCEL_DELAYED]


async def test_the_consumer_group_turns_bus_events_into_hints_on_the_hint_stream(
    kefu_db: Database,
) -> None:
    bus = MemoryEventBus()
    await bus.start()
    relay = OutboxRelay(kefu_db, bus, interval=0.05)
    engine = HintEngine(kefu_db, relay=relay)
    consumer = HintConsumer(bus, engine, name="p1", block=0.05)
    cid = customer()
    await engine.on_chat_opened("conv-e", cid, agent_id="agent-2")
    relay.start()
    consumer.start()
    try:
        await EventInbox(kefu_db).offer("shop", delayed(cid))
        relay.wake()
        await bus.ensure_group(HINT_STREAM, "screen")
        got: list[Any] = []
        for _ in range(100):
            got += await bus.read(HINT_STREAM, "screen", "s", count=10, block=0.05)
            if got:
                break
        assert [d.event.data["kind"] for d in got] == [PARCEL_DELAYED]
        assert got[0].event.subject == "conv-e"
        assert await bus.length(BUSINESS_STREAM) == 1
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()
    await asyncio.sleep(0)
