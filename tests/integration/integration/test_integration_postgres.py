"""The outbox relay and the action proxy on PostgreSQL (row locks instead of SQLite's writer)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from shop_support import SHOP_KEY, ashop_rows

from demo_shop.launcher import DemoShopProcess
from kefu.bus.events import Event
from kefu.bus.memory import MemoryEventBus
from kefu.integration.actions import ActionProxy
from kefu.integration.inbox import BUSINESS_STREAM, EventInbox
from kefu.integration.outbox import OutboxRelay
from kefu.integration.permissions import AGENT_SCOPES, Principal, Role
from kefu.store.database import Database
from kefu_plugins.adapters.rest import RestAdapter

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_db(fresh_pg_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_pg_url)
    await database.migrate()
    yield database
    await database.close()


async def test_two_relays_publish_each_event_exactly_once(pg_db: Database) -> None:
    bus = MemoryEventBus()
    await bus.start()
    inbox = EventInbox(pg_db)
    for n in range(60):
        event = Event(type="customer.updated", source="test", data={"customer_id": f"C{n}"})
        await inbox.offer("test", event)
    relays = [OutboxRelay(pg_db, bus, batch=7) for _ in range(2)]

    async def drain(relay: OutboxRelay) -> None:
        for _ in range(100):
            if (await relay.run_once()).published == 0 and await relay.pending() == 0:
                return

    await asyncio.gather(*(drain(r) for r in relays))
    assert await bus.length(BUSINESS_STREAM) == 60
    await bus.ensure_group(BUSINESS_STREAM, "check")
    seen = await bus.read(BUSINESS_STREAM, "check", "c", count=100)
    assert len({d.event.id for d in seen}) == 60
    await bus.close()


async def test_a_refund_retried_five_times_refunds_once_with_a_postgres_store(
    pg_db: Database, demo_shop: DemoShopProcess
) -> None:
    adapter = RestAdapter(
        mapping="pkg:demo_shop/kefu-adapter.toml", base_url=demo_shop.url, api_key=SHOP_KEY
    )
    proxy = ActionProxy(pg_db, adapter)
    agent = Principal("agent-pg", Role.AGENT, AGENT_SCOPES)
    key = f"refund-{uuid.uuid4().hex}"
    params = {"order_id": "SO-100238", "amount_cents": 733}
    outcomes = await asyncio.gather(
        *(
            proxy.submit(
                agent, kind="refund", customer_id="C1002", params=params, idempotency_key=key
            )
            for _ in range(5)
        )
    )
    assert all(o.ok for o in outcomes)
    rows = await ashop_rows(
        demo_shop,
        "SELECT count(*) FROM refunds WHERE order_id = 'SO-100238' AND amount_cents = 733",
    )
    assert rows == [(1,)]
    await adapter.aclose()
