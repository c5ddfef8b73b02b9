"""Webhook intake over HTTP with a real SQLite store: signatures, limits, schemas, idempotency.

Every refused request is checked to leave the store and the bus untouched; an accepted one is
in the events table before the 202, and reaches the bus even when the bus was down at first.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from kefu.bus.errors import BusUnavailableError
from kefu.bus.events import Event
from kefu.bus.memory import MemoryEventBus
from kefu.integration import tables
from kefu.integration.http import INTEGRATION_STATE_KEY, IntegrationHttpState, WebhookController
from kefu.integration.inbox import BUSINESS_STREAM, EventInbox
from kefu.integration.outbox import OutboxRelay
from kefu.integration.signing import SIGNATURE_HEADER, SignatureVerifier, sign
from kefu.integration.webhooks import WebhookIngestor
from kefu.store import schema
from kefu.store.database import Database

SECRET = "whsec-test-0123456789abcdef"
URL = "/integration/webhooks/demo-shop"


class FlakyBus(MemoryEventBus):
    """The memory bus, refusing the first ``failures`` publishes (a Redis outage)."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.failures = failures

    async def publish(self, stream: str, event: Event) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise BusUnavailableError("bus down (test)")
        return await super().publish(stream, event)


def envelope(event_type: str = "order.created", **overrides: Any) -> dict[str, Any]:
    data = {
        "order_id": "SO-1",
        "customer_id": "C1001",
        "total_cents": 4550,
        "currency": "USD",
        "placed_at": datetime.now(UTC).isoformat(),
    }
    body = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "type": event_type,
        "source": "demo-shop://orders",
        "time": datetime.now(UTC).isoformat(),
        "subject": "C1001",
        "data": data,
    }
    body.update(overrides)
    return body


def signed(
    body: dict[str, Any] | bytes, *, secret: str = SECRET, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {SIGNATURE_HEADER: sign(secret, raw, at), "content-type": "application/json"}


class Harness:
    def __init__(self, database: Database, bus: FlakyBus, relay: OutboxRelay) -> None:
        self.db = database
        self.bus = bus
        self.relay = relay

    async def stored_events(self) -> int:
        async with self.db.read() as conn:
            return int(
                (
                    await conn.execute(sa.select(sa.func.count()).select_from(schema.events))
                ).scalar_one()
            )

    async def outbox_rows(self) -> int:
        async with self.db.read() as conn:
            return int(
                (
                    await conn.execute(sa.select(sa.func.count()).select_from(tables.outbox))
                ).scalar_one()
            )

    async def on_bus(self) -> int:
        return await self.bus.length(BUSINESS_STREAM)


@pytest.fixture
async def harness(kefu_db: Database) -> AsyncIterator[tuple[Harness, AsyncTestClient[Litestar]]]:
    bus = FlakyBus()
    await bus.start()
    relay = OutboxRelay(kefu_db, bus, interval=0.05)
    ingestor = WebhookIngestor(
        {"demo-shop": SignatureVerifier([SECRET])}, EventInbox(kefu_db), relay, max_body=4096
    )
    app = Litestar(
        route_handlers=[WebhookController],
        state=State({INTEGRATION_STATE_KEY: IntegrationHttpState(ingestor=ingestor)}),
    )
    async with AsyncTestClient(app) as client:
        yield Harness(kefu_db, bus, relay), client
    await relay.stop()
    await bus.close()


async def test_a_valid_event_is_stored_before_the_ack_and_then_published(harness: Any) -> None:
    h, client = harness
    body = envelope()
    raw, headers = signed(body)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted", "id": body["id"]}
    async with h.db.read() as conn:
        row = (
            await conn.execute(sa.select(schema.events).where(schema.events.c.id == body["id"]))
        ).one()
    assert row.type == "order.created" and row.data["customer_id"] == "C1001"
    assert (await h.relay.run_once()).published == 1
    assert await h.on_bus() == 1


async def test_the_same_event_again_is_a_harmless_duplicate(harness: Any) -> None:
    h, client = harness
    raw, headers = signed(envelope())
    first = await client.post(URL, content=raw, headers=headers)
    again = await client.post(URL, content=raw, headers=headers)
    assert first.status_code == 202
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    await h.relay.run_once()
    assert await h.stored_events() == 1
    assert await h.on_bus() == 1


async def test_the_same_id_with_other_content_is_a_conflict(harness: Any) -> None:
    h, client = harness
    body = envelope()
    raw, headers = signed(body)
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    body["data"]["total_cents"] = 1
    raw, headers = signed(body)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"] == "event_id_conflict"
    async with h.db.read() as conn:
        data = (await conn.execute(sa.select(schema.events.c.data))).scalar_one()
    assert data["total_cents"] == 4550


def _unsigned(raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json"}


REFUSALS: list[tuple[str, Any, int, str]] = [
    ("unsigned", lambda raw: {"content-type": "application/json"}, 401, "missing_signature"),
    (
        "wrong secret",
        lambda raw: signed(raw, secret="another-secret-0123456789")[1],
        401,
        "bad_signature",
    ),
    ("stale", lambda raw: signed(raw, at=int(time.time()) - 301)[1], 401, "stale_timestamp"),
    ("future", lambda raw: signed(raw, at=int(time.time()) + 301)[1], 401, "stale_timestamp"),
    ("malformed", lambda raw: {SIGNATURE_HEADER: "v1=abc"}, 401, "malformed_signature"),
    (
        "tampered",
        lambda raw: signed(raw)[1],
        401,
        "bad_signature",
    ),
]


@pytest.mark.parametrize(
    ("label", "make_headers", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
async def test_bad_signatures_are_refused_and_change_nothing(
    harness: Any, label: str, make_headers: Any, status: int, code: str
) -> None:
    h, client = harness
    raw = json.dumps(envelope()).encode()
    headers = make_headers(raw)
    body = raw.replace(b"4550", b"4551") if label == "tampered" else raw
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["detail"]
    await h.relay.run_once()
    assert (await h.stored_events(), await h.outbox_rows(), await h.on_bus()) == (0, 0, 0)


async def test_unknown_sender_is_refused(harness: Any) -> None:
    h, client = harness
    raw, headers = signed(envelope())
    response = await client.post("/integration/webhooks/stranger", content=raw, headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "unknown_sender"
    assert await h.stored_events() == 0


BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("not json", b"{not json", 400, "invalid_json"),
    ("no id", {k: v for k, v in envelope().items() if k != "id"}, 400, "invalid_envelope"),
    ("naive time", envelope(time="2026-11-27T10:00:00"), 400, "invalid_envelope"),
    ("unknown type", envelope("order.teleported"), 422, "unknown_event_type"),
    ("missing field", envelope(data={"order_id": "SO-1"}), 422, "invalid_event_data"),
    (
        "wrong type",
        envelope(data={**envelope()["data"], "total_cents": "lots"}),
        422,
        "invalid_event_data",
    ),
    (
        "negative money",
        envelope(data={**envelope()["data"], "total_cents": -5}),
        422,
        "invalid_event_data",
    ),
]


@pytest.mark.parametrize(
    ("label", "body", "status", "code"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
async def test_invalid_bodies_are_refused_and_change_nothing(
    harness: Any, label: str, body: Any, status: int, code: str
) -> None:
    h, client = harness
    raw, headers = signed(body)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    await h.relay.run_once()
    assert (await h.stored_events(), await h.outbox_rows(), await h.on_bus()) == (0, 0, 0)


async def test_an_oversized_body_is_refused_with_413(harness: Any) -> None:
    h, client = harness
    body = envelope()
    body["data"]["padding"] = "x" * 5000
    raw, headers = signed(body)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 413
    assert response.json() == {
        "error": "body_too_large",
        "detail": f"the body has {len(raw)} bytes; at most 4096 are accepted",
        "limit": 4096,
    }
    assert await h.stored_events() == 0


async def test_events_stored_while_the_bus_is_down_are_relayed_later(harness: Any) -> None:
    h, client = harness
    h.bus.failures = 3
    ids = []
    for _ in range(3):
        body = envelope()
        ids.append(body["id"])
        raw, headers = signed(body)
        assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    # Three rounds fail (one attempt each, order kept); nothing is lost.
    for _ in range(3):
        assert (await h.relay.run_once()).failed == 1
    assert await h.on_bus() == 0
    assert await h.relay.pending() == 3
    assert (await h.relay.run_once()).published == 3
    assert await h.relay.pending() == 0
    group_read = []
    await h.bus.ensure_group(BUSINESS_STREAM, "check")
    for delivery in await h.bus.read(BUSINESS_STREAM, "check", "c", count=10):
        group_read.append(delivery.event.id)
    assert group_read == ids


async def test_the_background_relay_publishes_without_being_asked(harness: Any) -> None:
    h, client = harness
    h.relay.start()
    raw, headers = signed(envelope())
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    deadline = time.monotonic() + 5
    while await h.on_bus() == 0 and time.monotonic() < deadline:
        import asyncio

        await asyncio.sleep(0.01)
    assert await h.on_bus() == 1
