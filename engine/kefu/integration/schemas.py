"""The webhook envelope and the data schema of each business event type Kefu understands.

Every event's ``data`` names the ``customer_id`` it concerns: that is what invalidates the
customer's cached context and routes hints to their conversations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from kefu.integration.errors import WebhookError

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Cents = Annotated[int, msgspec.Meta(ge=0)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]


class Envelope(msgspec.Struct, kw_only=True):
    """A CloudEvents 1.0-shaped webhook body; extension attributes are ignored."""

    id: Id
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[a-z][a-z0-9_.]*$")]
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    time: datetime
    data: dict[str, Any]
    subject: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    specversion: str = "1.0"


class OrderCreated(msgspec.Struct, kw_only=True):
    """``order.created``: a customer placed an order."""

    order_id: Id
    customer_id: Id
    total_cents: Cents
    currency: Annotated[str, msgspec.Meta(min_length=3, max_length=3)]
    placed_at: datetime


class OrderPaid(msgspec.Struct, kw_only=True):
    """``order.paid``: payment for an order was captured."""

    order_id: Id
    customer_id: Id
    payment_id: Id
    amount_cents: Cents
    paid_at: datetime


class OrderShipped(msgspec.Struct, kw_only=True):
    """``order.shipped``: an order left the warehouse."""

    order_id: Id
    customer_id: Id
    shipment_id: Id
    carrier: Name
    tracking: Name
    shipped_at: datetime


class ShipmentDelayed(msgspec.Struct, kw_only=True):
    """``shipment.delayed``: the carrier reported a delay."""

    order_id: Id
    customer_id: Id
    shipment_id: Id
    carrier: Name
    tracking: Name
    reason: Text
    expected_at: datetime | None = None


class RefundCompleted(msgspec.Struct, kw_only=True):
    """``refund.completed``: money went back to the customer."""

    refund_id: Id
    order_id: Id
    customer_id: Id
    amount_cents: Cents
    completed_at: datetime


class CouponIssued(msgspec.Struct, kw_only=True):
    """``coupon.issued``: the customer received a coupon."""

    code: Name
    customer_id: Id
    value_cents: Cents
    expires_at: datetime


class OrderFlagged(msgspec.Struct, kw_only=True):
    """``order.flagged``: an order was marked as an exception."""

    order_id: Id
    customer_id: Id
    reason: Text
    flag_id: int | str | None = None


class CustomerUpdated(msgspec.Struct, kw_only=True):
    """``customer.updated``: profile data changed (drop cached context)."""

    customer_id: Id


#: The schema of ``data`` for each accepted event type.
EVENT_SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "order.created": OrderCreated,
    "order.paid": OrderPaid,
    "order.shipped": OrderShipped,
    "shipment.delayed": ShipmentDelayed,
    "refund.completed": RefundCompleted,
    "coupon.issued": CouponIssued,
    "order.flagged": OrderFlagged,
    "customer.updated": CustomerUpdated,
}

_envelope_decoder = msgspec.json.Decoder(Envelope)


def decode_envelope(body: bytes) -> Envelope:
    """Parse the body as an envelope; WebhookError 400 names the broken field."""
    try:
        envelope = _envelope_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise WebhookError(400, "invalid_envelope", f"not a valid event envelope: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise WebhookError(400, "invalid_json", f"the body is not JSON: {exc}") from exc
    if envelope.time.tzinfo is None:
        raise WebhookError(400, "invalid_envelope", "envelope time must carry a UTC offset")
    if envelope.specversion != "1.0":
        raise WebhookError(400, "invalid_envelope", "specversion must be '1.0'")
    return envelope


def validate_data(envelope: Envelope) -> dict[str, Any]:
    """Check ``data`` against its type's schema; returns it normalised (JSON-ready)."""
    schema = EVENT_SCHEMAS.get(envelope.type)
    if schema is None:
        known = ", ".join(sorted(EVENT_SCHEMAS))
        raise WebhookError(
            422, "unknown_event_type", f"event type {envelope.type!r} is not one of: {known}"
        )
    try:
        parsed = msgspec.convert(envelope.data, schema, strict=False)
    except msgspec.ValidationError as exc:
        raise WebhookError(
            422, "invalid_event_data", f"{envelope.type} data is invalid: {exc}"
        ) from exc
    normalised: dict[str, Any] = msgspec.to_builtins(parsed)
    # Fields a sender adds beyond the schema travel along untouched.
    extras = {k: v for k, v in envelope.data.items() if k not in normalised}
    return {**extras, **normalised}


def customer_of(data: Any) -> str | None:
    """The customer an event's data names, if any."""
    if isinstance(data, dict):
        value = data.get("customer_id")
        if isinstance(value, str) and value:
            return value
    return None
