"""The shop's business operations: reads for the API and idempotent writes that announce events."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from demo_shop import db
from demo_shop.events import announce


class ShopError(Exception):
    """A request the shop refuses; ``status`` is the HTTP code to answer with."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(detail)


def _iso(value: datetime | None) -> str | None:
    return db.aware(value).isoformat() if value is not None else None


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4).upper()}"


# ------------------------------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------------------------------


async def get_customer(conn: AsyncConnection, customer_id: str) -> dict[str, Any]:
    """One customer, or ShopError 404."""
    c = db.customers
    row = (await conn.execute(sa.select(c).where(c.c.id == customer_id))).first()
    if row is None:
        raise ShopError(404, "customer_not_found", f"no customer {customer_id!r}")
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "tier": row.tier,
        "created_at": _iso(row.created_at),
    }


async def customer_orders(conn: AsyncConnection, customer_id: str) -> list[dict[str, Any]]:
    """A customer's orders, newest first, each with its shipment summary."""
    await get_customer(conn, customer_id)
    o, s = db.orders, db.shipments
    rows = await conn.execute(
        sa.select(
            o, s.c.carrier, s.c.tracking, s.c.status.label("shipment_status"), s.c.expected_at
        )
        .select_from(o.outerjoin(s, s.c.order_id == o.c.id))
        .where(o.c.customer_id == customer_id)
        .order_by(o.c.placed_at.desc())
    )
    return [
        {
            "id": r.id,
            "status": r.status,
            "total_cents": r.total_cents,
            "currency": r.currency,
            "items": r.items,
            "placed_at": _iso(r.placed_at),
            "updated_at": _iso(r.updated_at),
            "flagged": bool(r.flagged),
            "carrier": r.carrier,
            "tracking": r.tracking,
            "shipment_status": r.shipment_status,
            "expected_at": _iso(r.expected_at),
        }
        for r in rows
    ]


async def customer_payments(conn: AsyncConnection, customer_id: str) -> list[dict[str, Any]]:
    """A customer's payments, newest first (card numbers only as their last four digits)."""
    await get_customer(conn, customer_id)
    p, o = db.payments, db.orders
    rows = await conn.execute(
        sa.select(p)
        .join(o, o.c.id == p.c.order_id)
        .where(o.c.customer_id == customer_id)
        .order_by(p.c.paid_at.desc())
    )
    return [
        {
            "id": r.id,
            "order_id": r.order_id,
            "method": r.method,
            "card_last4": r.card_last4,
            "amount_cents": r.amount_cents,
            "status": r.status,
            "paid_at": _iso(r.paid_at),
        }
        for r in rows
    ]


async def order_shipment(conn: AsyncConnection, order_id: str) -> dict[str, Any]:
    """An order's shipment with its status history, or ShopError 404."""
    s, e = db.shipments, db.shipment_events
    row = (await conn.execute(sa.select(s).where(s.c.order_id == order_id))).first()
    if row is None:
        raise ShopError(404, "shipment_not_found", f"order {order_id!r} has no shipment")
    history = await conn.execute(
        sa.select(e).where(e.c.shipment_id == row.id).order_by(e.c.time, e.c.id)
    )
    return {
        "id": row.id,
        "order_id": row.order_id,
        "carrier": row.carrier,
        "tracking": row.tracking,
        "status": row.status,
        "expected_at": _iso(row.expected_at),
        "history": [
            {"status": h.status, "location": h.location, "note": h.note, "time": _iso(h.time)}
            for h in history
        ],
    }


async def _order(conn: AsyncConnection, order_id: str) -> Any:
    o = db.orders
    row = (await conn.execute(sa.select(o).where(o.c.id == order_id))).first()
    if row is None:
        raise ShopError(404, "order_not_found", f"no order {order_id!r}")
    return row


# ------------------------------------------------------------------------------------------
# Writes (each runs inside the idempotent write transaction of the API layer)
# ------------------------------------------------------------------------------------------


async def refund(
    conn: AsyncConnection, order_id: str, amount_cents: int, reason: str
) -> dict[str, Any]:
    """Refund up to what was paid and not yet refunded; announces ``refund.completed``."""
    order = await _order(conn, order_id)
    if amount_cents <= 0:
        raise ShopError(422, "invalid_amount", "amount_cents must be a positive integer")
    p, r = db.payments, db.refunds
    paid = (
        await conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(p.c.amount_cents), 0)).where(
                p.c.order_id == order_id
            )
        )
    ).scalar_one()
    refunded = (
        await conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(r.c.amount_cents), 0)).where(
                r.c.order_id == order_id
            )
        )
    ).scalar_one()
    if paid == 0:
        raise ShopError(422, "not_paid", f"order {order_id} has no payment to refund")
    if amount_cents > paid - refunded:
        raise ShopError(
            422,
            "refund_exceeds_payment",
            f"order {order_id}: {amount_cents} cents asked, {paid - refunded} refundable",
        )
    now = db.utcnow()
    refund_id = _new_id("RF")
    await conn.execute(
        sa.insert(r).values(
            id=refund_id,
            order_id=order_id,
            amount_cents=amount_cents,
            reason=reason,
            created_at=now,
        )
    )
    fully = refunded + amount_cents == paid
    await conn.execute(
        sa.update(p)
        .where(p.c.order_id == order_id)
        .values(status="refunded" if fully else "partially_refunded")
    )
    if fully:
        await conn.execute(
            sa.update(db.orders)
            .where(db.orders.c.id == order_id)
            .values(status="refunded", updated_at=now)
        )
    result = {
        "refund_id": refund_id,
        "order_id": order_id,
        "amount_cents": amount_cents,
        "refunded_total_cents": refunded + amount_cents,
        "created_at": now.isoformat(),
    }
    await announce(
        conn,
        "refund.completed",
        order.customer_id,
        {
            "refund_id": refund_id,
            "order_id": order_id,
            "customer_id": order.customer_id,
            "amount_cents": amount_cents,
            "completed_at": now.isoformat(),
        },
    )
    return result


async def issue_coupon(
    conn: AsyncConnection, customer_id: str, value_cents: int, reason: str, days_valid: int
) -> dict[str, Any]:
    """Give a customer a coupon; announces ``coupon.issued``."""
    await get_customer(conn, customer_id)
    if not 0 < value_cents <= 100_00:
        raise ShopError(422, "invalid_value", "value_cents must be between 1 and 10000")
    if not 1 <= days_valid <= 365:
        raise ShopError(422, "invalid_validity", "days_valid must be between 1 and 365")
    now = db.utcnow()
    code = f"KF{secrets.token_hex(4).upper()}"
    expires = now + timedelta(days=days_valid)
    await conn.execute(
        sa.insert(db.coupons).values(
            code=code,
            customer_id=customer_id,
            value_cents=value_cents,
            reason=reason,
            expires_at=expires,
            created_at=now,
        )
    )
    data = {
        "code": code,
        "customer_id": customer_id,
        "value_cents": value_cents,
        "expires_at": expires.isoformat(),
    }
    await announce(conn, "coupon.issued", customer_id, data)
    return data


async def flag_order(conn: AsyncConnection, order_id: str, reason: str) -> dict[str, Any]:
    """Mark an order as an exception for the operations team."""
    order = await _order(conn, order_id)
    now = db.utcnow()
    result = await conn.execute(
        sa.insert(db.order_flags).values(order_id=order_id, reason=reason, created_at=now)
    )
    await conn.execute(
        sa.update(db.orders).where(db.orders.c.id == order_id).values(flagged=True, updated_at=now)
    )
    flag_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    data = {"flag_id": flag_id, "order_id": order_id, "customer_id": order.customer_id}
    await announce(conn, "order.flagged", order.customer_id, {**data, "reason": reason})
    return data


async def place_order(
    conn: AsyncConnection, customer_id: str, items: list[dict[str, Any]], total_cents: int
) -> dict[str, Any]:
    """Create a pending order; announces ``order.created``."""
    await get_customer(conn, customer_id)
    if total_cents <= 0:
        raise ShopError(422, "invalid_total", "total_cents must be positive")
    now = db.utcnow()
    order_id = f"SO-{secrets.randbelow(900000) + 100000}"
    await conn.execute(
        sa.insert(db.orders).values(
            id=order_id,
            customer_id=customer_id,
            status="pending",
            total_cents=total_cents,
            currency="USD",
            items=items,
            placed_at=now,
            updated_at=now,
        )
    )
    data = {
        "order_id": order_id,
        "customer_id": customer_id,
        "total_cents": total_cents,
        "currency": "USD",
        "placed_at": now.isoformat(),
    }
    await announce(conn, "order.created", customer_id, data)
    return data


async def pay_order(conn: AsyncConnection, order_id: str, method: str) -> dict[str, Any]:
    """Capture payment for a pending order; announces ``order.paid``."""
    order = await _order(conn, order_id)
    if order.status != "pending":
        raise ShopError(409, "wrong_state", f"order {order_id} is {order.status}, not pending")
    now = db.utcnow()
    payment_id = _new_id("PY")
    await conn.execute(
        sa.insert(db.payments).values(
            id=payment_id,
            order_id=order_id,
            method=method,
            card_last4="4242" if method == "card" else None,
            amount_cents=order.total_cents,
            status="captured",
            paid_at=now,
        )
    )
    await conn.execute(
        sa.update(db.orders).where(db.orders.c.id == order_id).values(status="paid", updated_at=now)
    )
    data = {
        "order_id": order_id,
        "customer_id": order.customer_id,
        "payment_id": payment_id,
        "amount_cents": order.total_cents,
        "paid_at": now.isoformat(),
    }
    await announce(conn, "order.paid", order.customer_id, data)
    return data


async def ship_order(conn: AsyncConnection, order_id: str, carrier: str) -> dict[str, Any]:
    """Hand a paid order to a carrier; announces ``order.shipped``."""
    order = await _order(conn, order_id)
    if order.status != "paid":
        raise ShopError(409, "wrong_state", f"order {order_id} is {order.status}, not paid")
    now = db.utcnow()
    shipment_id = _new_id("SH")
    tracking = f"{carrier[:2].upper()}{secrets.randbelow(10**10):010d}"
    expected = now + timedelta(days=3)
    await conn.execute(
        sa.insert(db.shipments).values(
            id=shipment_id,
            order_id=order_id,
            carrier=carrier,
            tracking=tracking,
            status="in_transit",
            expected_at=expected,
            updated_at=now,
        )
    )
    await conn.execute(
        sa.insert(db.shipment_events).values(
            shipment_id=shipment_id, status="in_transit", location="Shop warehouse", time=now
        )
    )
    await conn.execute(
        sa.update(db.orders)
        .where(db.orders.c.id == order_id)
        .values(status="shipped", updated_at=now)
    )
    data = {
        "order_id": order_id,
        "customer_id": order.customer_id,
        "shipment_id": shipment_id,
        "carrier": carrier,
        "tracking": tracking,
        "shipped_at": now.isoformat(),
    }
    await announce(conn, "order.shipped", order.customer_id, data)
    return data


async def delay_shipment(
    conn: AsyncConnection, order_id: str, reason: str, days: int
) -> dict[str, Any]:
    """Record a carrier delay on an order's shipment; announces ``shipment.delayed``."""
    order = await _order(conn, order_id)
    s = db.shipments
    shipment = (await conn.execute(sa.select(s).where(s.c.order_id == order_id))).first()
    if shipment is None:
        raise ShopError(409, "not_shipped", f"order {order_id} has not shipped")
    now = db.utcnow()
    base = db.aware(shipment.expected_at) if shipment.expected_at else now
    expected = base + timedelta(days=days)
    await conn.execute(
        sa.update(s)
        .where(s.c.id == shipment.id)
        .values(status="delayed", expected_at=expected, updated_at=now)
    )
    await conn.execute(
        sa.insert(db.shipment_events).values(
            shipment_id=shipment.id, status="delayed", location="Carrier hub", note=reason, time=now
        )
    )
    data = {
        "order_id": order_id,
        "customer_id": order.customer_id,
        "shipment_id": shipment.id,
        "carrier": shipment.carrier,
        "tracking": shipment.tracking,
        "reason": reason,
        "expected_at": expected.isoformat(),
    }
    await announce(conn, "shipment.delayed", order.customer_id, data)
    return data
