"""Realistic demo data, timed relative to now: one order placed minutes ago, one delayed parcel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from demo_shop import db

#: Customer ids the demo data defines (handy in docs and tests).
DEMO_CUSTOMERS = ("C1001", "C1002", "C1003")


def _orders(now: datetime) -> list[dict[str, Any]]:
    def order(
        oid: str, cid: str, status: str, total: int, ago: timedelta, items: list[str]
    ) -> dict[str, Any]:
        placed = now - ago
        return {
            "id": oid,
            "customer_id": cid,
            "status": status,
            "total_cents": total,
            "currency": "USD",
            "items": [{"sku": sku, "qty": 1} for sku in items],
            "placed_at": placed,
            "updated_at": placed,
        }

    return [
        order("SO-100231", "C1001", "delivered", 8999, timedelta(days=20), ["TEA-SET-01"]),
        order("SO-100245", "C1001", "pending", 4550, timedelta(minutes=4), ["MUG-02", "TEA-07"]),
        order("SO-100238", "C1002", "shipped", 12900, timedelta(days=6), ["KETTLE-03"]),
        order("SO-100240", "C1003", "paid", 2599, timedelta(hours=5), ["TEA-07"]),
        order("SO-100220", "C1003", "refunded", 3999, timedelta(days=40), ["CUP-SET-04"]),
    ]


async def seed(conn: AsyncConnection) -> bool:
    """Insert the demo data unless customers exist; returns True when it seeded."""
    if (await conn.execute(sa.select(sa.func.count()).select_from(db.customers))).scalar_one():
        return False
    now = db.utcnow()
    await conn.execute(
        sa.insert(db.customers),
        [
            {
                "id": "C1001",
                "name": "Mei Chen",
                "email": "mei.chen@example.com",
                "phone": "+1 415 555 0101",
                "tier": "gold",
                "created_at": now - timedelta(days=400),
            },
            {
                "id": "C1002",
                "name": "James Miller",
                "email": "james.miller@example.com",
                "phone": "+1 212 555 0142",
                "tier": "standard",
                "created_at": now - timedelta(days=90),
            },
            {
                "id": "C1003",
                "name": "Aiko Tanaka",
                "email": "aiko.tanaka@example.com",
                "phone": "+81 3 5555 0199",
                "tier": "standard",
                "created_at": now - timedelta(days=200),
            },
        ],
    )
    await conn.execute(sa.insert(db.orders), _orders(now))
    await conn.execute(
        sa.insert(db.payments),
        [
            {
                "id": "PY-0001",
                "order_id": "SO-100231",
                "method": "card",
                "card_last4": "4242",
                "amount_cents": 8999,
                "status": "captured",
                "paid_at": now - timedelta(days=20),
            },
            {
                "id": "PY-0002",
                "order_id": "SO-100238",
                "method": "card",
                "card_last4": "1881",
                "amount_cents": 12900,
                "status": "captured",
                "paid_at": now - timedelta(days=6),
            },
            {
                "id": "PY-0003",
                "order_id": "SO-100240",
                "method": "wallet",
                "card_last4": None,
                "amount_cents": 2599,
                "status": "captured",
                "paid_at": now - timedelta(hours=5),
            },
            {
                "id": "PY-0004",
                "order_id": "SO-100220",
                "method": "card",
                "card_last4": "0005",
                "amount_cents": 3999,
                "status": "refunded",
                "paid_at": now - timedelta(days=40),
            },
        ],
    )
    await conn.execute(
        sa.insert(db.refunds),
        [
            {
                "id": "RF-0001",
                "order_id": "SO-100220",
                "amount_cents": 3999,
                "reason": "damaged on arrival",
                "created_at": now - timedelta(days=35),
            }
        ],
    )
    await conn.execute(
        sa.insert(db.shipments),
        [
            {
                "id": "SH-0001",
                "order_id": "SO-100231",
                "carrier": "UPS",
                "tracking": "1Z999AA10123456784",
                "status": "delivered",
                "expected_at": now - timedelta(days=16),
                "updated_at": now - timedelta(days=16),
            },
            {
                "id": "SH-0002",
                "order_id": "SO-100238",
                "carrier": "FedEx",
                "tracking": "794699912345",
                "status": "delayed",
                "expected_at": now + timedelta(days=2),
                "updated_at": now - timedelta(hours=10),
            },
        ],
    )
    await conn.execute(
        sa.insert(db.shipment_events),
        [
            {
                "shipment_id": "SH-0001",
                "status": "in_transit",
                "location": "Oakland, CA",
                "note": "",
                "time": now - timedelta(days=19),
            },
            {
                "shipment_id": "SH-0001",
                "status": "delivered",
                "location": "San Francisco, CA",
                "note": "left at front door",
                "time": now - timedelta(days=16),
            },
            {
                "shipment_id": "SH-0002",
                "status": "in_transit",
                "location": "Memphis, TN",
                "note": "",
                "time": now - timedelta(days=5),
            },
            {
                "shipment_id": "SH-0002",
                "status": "delayed",
                "location": "Memphis, TN",
                "note": "weather delay at hub",
                "time": now - timedelta(hours=10),
            },
        ],
    )
    await conn.execute(
        sa.insert(db.coupons),
        [
            {
                "code": "WELCOME10",
                "customer_id": "C1002",
                "value_cents": 1000,
                "reason": "welcome",
                "expires_at": now + timedelta(days=30),
                "created_at": now,
            }
        ],
    )
    return True
