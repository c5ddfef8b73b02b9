"""``kefu demo`` support: the demo shop starts beside Kefu and the integration reaches it
through the ``rest`` plugin loaded by name (stevedore), exactly as configured."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx

from kefu.bus.memory import MemoryEventBus
from kefu.integration.demo import DEMO_SENDER, start_demo_business
from kefu.integration.inbox import BUSINESS_STREAM
from kefu.integration.service import Integration, IntegrationSettings, PullerSettings
from kefu.store.database import Database


async def test_the_demo_business_is_reachable_through_the_configured_plugin(
    tmp_path: Path, kefu_db: Database
) -> None:
    shop, settings = await asyncio.to_thread(
        start_demo_business, tmp_path / "data", "http://127.0.0.1:9"
    )
    bus = MemoryEventBus()
    try:
        assert list(settings.webhook_secrets) == [DEMO_SENDER]
        integration = Integration(settings, kefu_db, bus=bus)
        await bus.start()
        await integration.start()
        assert integration.adapter is not None and integration.actions is not None
        context = await integration.adapter.customer_context("C1002")
        assert context.degraded == ()
        assert context.sections["profile"]["name"] == "James Miller"
        assert context.sections["orders"][0]["shipment_status"] == "delayed"
        # The generated API key is required by the shop and kept for the next start.
        async with httpx.AsyncClient(base_url=shop.url) as http:
            assert (await http.get("/api/customers/C1002")).status_code == 401
        assert (tmp_path / "data" / "demo-shop-api.key").stat().st_mode & 0o777 == 0o600
        await integration.stop()
    finally:
        await bus.close()
        await asyncio.to_thread(shop.stop)


async def test_a_configured_puller_feeds_the_bus(tmp_path: Path, kefu_db: Database) -> None:
    legacy = tmp_path / "legacy.db"
    with sqlite3.connect(legacy) as conn:
        conn.execute(
            "CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer TEXT, updated_at TEXT)"
        )
        conn.executemany(
            "INSERT INTO tickets VALUES (?, ?, ?)",
            [(n, "C1001", f"2026-11-27T10:00:0{n}") for n in range(1, 4)],
        )
    settings = IntegrationSettings(
        pullers={
            "tickets": PullerSettings(
                url=f"sqlite+aiosqlite:///{legacy}",
                table="tickets",
                customer_column="customer",
                event_type="ticket.changed",
                interval=0.1,
            )
        },
        relay_interval=0.05,
    )
    bus = MemoryEventBus()
    await bus.start()
    integration = Integration(settings, kefu_db, bus=bus)
    await integration.start()
    try:
        for _ in range(100):
            if await bus.length(BUSINESS_STREAM) >= 3:
                break
            await asyncio.sleep(0.05)
        await bus.ensure_group(BUSINESS_STREAM, "check")
        got = await bus.read(BUSINESS_STREAM, "check", "c", count=10)
        assert [(d.event.type, d.event.data["id"], d.event.subject) for d in got] == [
            ("ticket.changed", n, "C1001") for n in range(1, 4)
        ]
    finally:
        await integration.stop()
        await bus.close()
