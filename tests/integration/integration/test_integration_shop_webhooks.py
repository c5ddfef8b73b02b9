"""The demo shop's webhook delivery: signed, retried while Kefu is down, given up when refused."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from litestar import Litestar
from litestar.datastructures import State
from shop_support import SHOP_KEY

from demo_shop.launcher import DemoShopProcess
from kefu.integration.http import INTEGRATION_STATE_KEY, IntegrationHttpState, WebhookController
from kefu.integration.inbox import EventInbox
from kefu.integration.signing import SignatureVerifier
from kefu.integration.webhooks import WebhookIngestor
from kefu.store import schema
from kefu.store.database import Database
from support.server import free_port

SECRET = "shop-webhook-secret-0123456789"


@contextlib.asynccontextmanager
async def receiver(db: Database, port: int, secret: str = SECRET) -> AsyncIterator[None]:
    """Kefu's webhook endpoint served by a real uvicorn server in this event loop."""
    ingestor = WebhookIngestor({"demo-shop": SignatureVerifier([secret])}, EventInbox(db))
    app = Litestar(
        [WebhookController],
        state=State({INTEGRATION_STATE_KEY: IntegrationHttpState(ingestor=ingestor)}),
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "the webhook receiver did not start"
    try:
        yield
    finally:
        server.should_exit = True
        await task


def outbox(shop: DemoShopProcess) -> list[tuple[object, ...]]:
    with sqlite3.connect(shop.db_path) as conn:
        return list(
            conn.execute("SELECT event_id, attempts, delivered_at, last_error FROM webhook_outbox")
        )


async def place_order(shop: DemoShopProcess) -> str:
    async with httpx.AsyncClient(base_url=shop.url) as http:
        response = await http.post(
            "/api/orders",
            json={"customer_id": "C1001", "total_cents": 1234},
            headers={"X-Api-Key": SHOP_KEY, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201
        return str(response.json()["order_id"])


async def until(check: Callable[[], bool]) -> None:
    """Poll ``check`` (off the event loop) for up to 15 s."""
    for _ in range(150):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached within 15 s")


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[tuple[DemoShopProcess, int]]:
    kefu_port = free_port()
    process = DemoShopProcess(
        port=free_port(),
        db_path=tmp_path / "shop.db",
        api_key=SHOP_KEY,
        kefu_url=f"http://127.0.0.1:{kefu_port}",
        webhook_secret=SECRET,
        log_path=tmp_path / "shop.log",
    )
    await process.astart()
    yield process, kefu_port
    await process.astop()


async def test_webhooks_are_retried_until_kefu_is_up(
    shop: tuple[DemoShopProcess, int], kefu_db: Database
) -> None:
    process, kefu_port = shop
    order_id = await place_order(process)
    await until(lambda: any(row[1] >= 2 for row in outbox(process)))  # failing while Kefu is down
    assert all(row[2] is None for row in outbox(process))
    async with receiver(kefu_db, kefu_port):
        await until(lambda: all(row[2] is not None for row in outbox(process)))
    async with kefu_db.read() as conn:
        rows = (await conn.execute(sa.select(schema.events.c.type, schema.events.c.data))).all()
    assert [(t, d["order_id"]) for t, d in rows] == [("order.created", order_id)]


async def test_a_refused_webhook_is_given_up_not_retried_forever(
    shop: tuple[DemoShopProcess, int], kefu_db: Database
) -> None:
    process, kefu_port = shop
    async with receiver(kefu_db, kefu_port, secret="a-different-secret-0123456789"):
        await place_order(process)
        await until(lambda: any(row[3] and "401" in str(row[3]) for row in outbox(process)))
        attempts = outbox(process)[0][1]
        await asyncio.sleep(1.5)
        assert outbox(process)[0][1] == attempts  # no more attempts after a 401
    async with kefu_db.read() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(schema.events))
        ).scalar_one() == 0
