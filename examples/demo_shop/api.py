"""The demo shop's REST API: API-key auth, JSON reads, idempotent writes (Idempotency-Key)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from sqlalchemy.ext.asyncio import AsyncConnection

from demo_shop import operations as ops
from demo_shop.config import ShopConfig
from demo_shop.db import ShopDatabase, idempotency, utcnow
from demo_shop.delivery import WebhookDeliverer
from demo_shop.seed import seed

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class Shop:
    """What the handlers share: configuration, database and webhook deliverer."""

    def __init__(self, config: ShopConfig) -> None:
        self.config = config
        self.db = ShopDatabase(config.db_path)
        self.deliverer = WebhookDeliverer(config, self.db)


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/refunds."""

    order_id: str
    amount_cents: int
    reason: str = ""


class CouponIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/coupons."""

    customer_id: str
    value_cents: int
    reason: str = ""
    days_valid: int = 30


class FlagIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/orders/{order_id}/flags."""

    reason: str


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/orders (simulates a purchase)."""

    customer_id: str
    total_cents: int
    items: list[dict[str, Any]] = msgspec.field(default_factory=list)


class PayIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/orders/{order_id}/pay."""

    method: str = "card"


class ShipIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/orders/{order_id}/ship."""

    carrier: str = "UPS"


class DelayIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/orders/{order_id}/delay."""

    reason: str = "carrier delay"
    days: int = 2


def _shop(state: State) -> Shop:
    shop: Shop = state["shop"]
    return shop


def _error(status: int, code: str, detail: str) -> Response[dict[str, str]]:
    return Response({"error": code, "detail": detail}, status_code=status)


def _check_key(request: Request[Any, Any, Any]) -> None:
    shop = _shop(request.app.state)
    given = request.headers.get("x-api-key", "")
    if not given:
        auth = request.headers.get("authorization", "")
        given = auth[7:] if auth.lower().startswith("bearer ") else ""
    if not given or not hmac.compare_digest(given.encode(), shop.config.api_key.encode()):
        raise HTTPException(status_code=401, detail="missing or wrong API key (X-Api-Key)")


async def _read(state: State, fn: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
    async with _shop(state).db.read() as conn:
        return await fn(conn)


async def _idempotent(
    request: Request[Any, Any, Any],
    endpoint: str,
    payload: msgspec.Struct,
    operation: Callable[[AsyncConnection], Awaitable[dict[str, Any]]],
) -> Response[Any]:
    """Run ``operation`` once per Idempotency-Key; a repeat gets the first response back."""
    key = request.headers.get("idempotency-key", "")
    if not _KEY.match(key):
        return _error(
            400,
            "idempotency_key_required",
            "send an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-]",
        )
    digest = hashlib.sha256(endpoint.encode() + b"\n" + msgspec.json.encode(payload)).hexdigest()
    shop = _shop(request.app.state)
    async with shop.db.write() as conn:
        row = (await conn.execute(sa.select(idempotency).where(idempotency.c.key == key))).first()
        if row is not None:
            if row.endpoint != endpoint or row.request_digest != digest:
                return _error(
                    422,
                    "idempotency_key_reused",
                    f"Idempotency-Key {key!r} was used for a different request",
                )
            return Response(
                row.response,
                status_code=row.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        result = await operation(conn)
        await conn.execute(
            sa.insert(idempotency).values(
                key=key,
                endpoint=endpoint,
                request_digest=digest,
                status_code=201,
                response=json.loads(json.dumps(result)),
                created_at=utcnow(),
            )
        )
    shop.deliverer.notify()
    return Response(result, status_code=201)


@get("/api/health", exclude_from_auth=True)
async def health() -> dict[str, str]:
    """Liveness probe (no API key needed)."""
    return {"status": "ok"}


@get("/api/customers/{customer_id:str}")
async def customer(state: State, customer_id: str) -> dict[str, Any]:
    """One customer."""
    result: dict[str, Any] = await _read(state, lambda c: ops.get_customer(c, customer_id))
    return result


@get("/api/customers/{customer_id:str}/orders")
async def orders(state: State, customer_id: str) -> dict[str, Any]:
    """A customer's orders with shipment summaries."""
    items = await _read(state, lambda c: ops.customer_orders(c, customer_id))
    return {"customer_id": customer_id, "orders": items}


@get("/api/customers/{customer_id:str}/payments")
async def payments(state: State, customer_id: str) -> dict[str, Any]:
    """A customer's payments."""
    items = await _read(state, lambda c: ops.customer_payments(c, customer_id))
    return {"customer_id": customer_id, "payments": items}


@get("/api/orders/{order_id:str}/shipment")
async def shipment(state: State, order_id: str) -> dict[str, Any]:
    """An order's shipment and its status history."""
    result: dict[str, Any] = await _read(state, lambda c: ops.order_shipment(c, order_id))
    return result


@post("/api/refunds")
async def create_refund(request: Request[Any, Any, Any], data: RefundIn) -> Response[Any]:
    """Refund (part of) an order; idempotent on Idempotency-Key."""
    return await _idempotent(
        request,
        "refund",
        data,
        lambda c: ops.refund(c, data.order_id, data.amount_cents, data.reason),
    )


@post("/api/coupons")
async def create_coupon(request: Request[Any, Any, Any], data: CouponIn) -> Response[Any]:
    """Issue a coupon; idempotent on Idempotency-Key."""
    return await _idempotent(
        request,
        "coupon",
        data,
        lambda c: ops.issue_coupon(
            c, data.customer_id, data.value_cents, data.reason, data.days_valid
        ),
    )


@post("/api/orders/{order_id:str}/flags")
async def create_flag(
    request: Request[Any, Any, Any], order_id: str, data: FlagIn
) -> Response[Any]:
    """Flag an order exception; idempotent on Idempotency-Key."""
    return await _idempotent(
        request, f"flag:{order_id}", data, lambda c: ops.flag_order(c, order_id, data.reason)
    )


@post("/api/orders")
async def create_order(request: Request[Any, Any, Any], data: OrderIn) -> Response[Any]:
    """Simulate a purchase (announces order.created)."""
    return await _idempotent(
        request,
        "order",
        data,
        lambda c: ops.place_order(c, data.customer_id, data.items, data.total_cents),
    )


@post("/api/orders/{order_id:str}/pay")
async def pay(request: Request[Any, Any, Any], order_id: str, data: PayIn) -> Response[Any]:
    """Simulate a payment (announces order.paid)."""
    return await _idempotent(
        request, f"pay:{order_id}", data, lambda c: ops.pay_order(c, order_id, data.method)
    )


@post("/api/orders/{order_id:str}/ship")
async def ship(request: Request[Any, Any, Any], order_id: str, data: ShipIn) -> Response[Any]:
    """Simulate shipping (announces order.shipped)."""
    return await _idempotent(
        request, f"ship:{order_id}", data, lambda c: ops.ship_order(c, order_id, data.carrier)
    )


@post("/api/orders/{order_id:str}/delay")
async def delay(request: Request[Any, Any, Any], order_id: str, data: DelayIn) -> Response[Any]:
    """Simulate a carrier delay (announces shipment.delayed)."""
    return await _idempotent(
        request,
        f"delay:{order_id}",
        data,
        lambda c: ops.delay_shipment(c, order_id, data.reason, data.days),
    )


def _shop_error(_request: Request[Any, Any, Any], exc: ops.ShopError) -> Response[dict[str, str]]:
    return _error(exc.status, exc.code, exc.detail)


async def _authenticate(request: Request[Any, Any, Any]) -> None:
    if not request.route_handler.opt.get("exclude_from_auth"):
        _check_key(request)


def create_shop_app(config: ShopConfig) -> Litestar:
    """The demo shop's ASGI app; creates and seeds its database on start-up."""
    shop = Shop(config)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await shop.db.create_schema()
        if config.seed:
            async with shop.db.write() as conn:
                if await seed(conn):
                    log.info("seeded demo shop data into %s", config.db_path)
        shop.deliverer.start()
        try:
            yield
        finally:
            await shop.deliverer.stop()
            await shop.db.close()

    return Litestar(
        route_handlers=[
            health,
            customer,
            orders,
            payments,
            shipment,
            create_refund,
            create_coupon,
            create_flag,
            create_order,
            pay,
            ship,
            delay,
        ],
        before_request=_authenticate,
        exception_handlers={ops.ShopError: _shop_error},
        lifespan=[lifespan],
        state=State({"shop": shop}),
        openapi_config=None,
    )
