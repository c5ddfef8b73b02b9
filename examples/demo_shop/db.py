"""The demo shop's SQLite schema and engines (one serialised writer, WAL readers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

metadata = sa.MetaData()
Ts = sa.DateTime(timezone=True)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(40), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
    # pending | paid | shipped | delivered | cancelled | refunded
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total_cents", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("placed_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Column("flagged", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_orders_customer_id", "customer_id"),
)

shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id"), nullable=False, unique=True),
    sa.Column("carrier", sa.String(64), nullable=False),
    sa.Column("tracking", sa.String(64), nullable=False),
    # label_created | in_transit | delayed | delivered
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expected_at", Ts, nullable=True),
    sa.Column("updated_at", Ts, nullable=False),
)

shipment_events = sa.Table(
    "shipment_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shipment_id", sa.String(32), sa.ForeignKey("shipments.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("location", sa.String(200), nullable=False),
    sa.Column("note", sa.String(400), nullable=False, server_default=""),
    sa.Column("time", Ts, nullable=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("card_last4", sa.String(4), nullable=True),
    sa.Column("amount_cents", sa.Integer, nullable=False),
    # captured | refunded | partially_refunded
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("paid_at", Ts, nullable=False),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("amount_cents", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(400), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
)

coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("value_cents", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(400), nullable=False),
    sa.Column("expires_at", Ts, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
)

order_flags = sa.Table(
    "order_flags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("reason", sa.String(400), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
)

#: The first response to each Idempotency-Key, replayed for repeats.
idempotency = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("endpoint", sa.String(64), nullable=False),
    sa.Column("request_digest", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
)

#: Webhooks to deliver, written in the transaction of the change they announce.
webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Ts, nullable=False),
    sa.Column("delivered_at", Ts, nullable=True),
    sa.Column("last_error", sa.String(400), nullable=True),
)


def utcnow() -> datetime:
    """Now, timezone-aware."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _pragmas(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class ShopDatabase:
    """The shop's engines: writes are serialised (BEGIN IMMEDIATE), reads run beside them."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{path.resolve()}"
        self.path = path
        self._writer = create_async_engine(url, pool_size=1, max_overflow=0)
        self._reader = create_async_engine(url, pool_size=4, max_overflow=4)
        _pragmas(self._writer, immediate=True)
        _pragmas(self._reader, immediate=False)

    async def create_schema(self) -> None:
        """Create missing tables."""
        async with self._writer.begin() as conn:
            await conn.run_sync(metadata.create_all)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A serialised write transaction."""
        async with self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read connection."""
        async with self._reader.connect() as conn:
            yield conn

    async def close(self) -> None:
        """Dispose of both engines."""
        await self._writer.dispose()
        await self._reader.dispose()
