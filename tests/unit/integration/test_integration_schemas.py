"""Envelope and per-type data validation of business events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kefu.integration.errors import WebhookError
from kefu.integration.schemas import EVENT_SCHEMAS, customer_of, decode_envelope, validate_data

DATA: dict[str, dict[str, Any]] = {
    "order.created": {
        "order_id": "SO-1",
        "customer_id": "C1",
        "total_cents": 10,
        "currency": "USD",
        "placed_at": "2026-11-27T10:00:00+00:00",
    },
    "shipment.delayed": {
        "order_id": "SO-1",
        "customer_id": "C1",
        "shipment_id": "SH",
        "carrier": "UPS",
        "tracking": "1Z",
        "reason": "weather",
    },
}


def body(event_type: str = "order.created", **changes: Any) -> bytes:
    envelope = {
        "id": "e-1",
        "type": event_type,
        "source": "shop://x",
        "time": "2026-11-27T10:00:00Z",
        "data": DATA.get(event_type, {}),
    }
    envelope.update(changes)
    return json.dumps(envelope).encode()


def test_a_valid_event_decodes_and_keeps_extra_data_fields() -> None:
    envelope = decode_envelope(body(data={**DATA["order.created"], "note": "gift"}))
    data = validate_data(envelope)
    assert data["total_cents"] == 10 and data["note"] == "gift"
    assert customer_of(data) == "C1"


def test_optional_fields_get_their_defaults() -> None:
    data = validate_data(decode_envelope(body("shipment.delayed")))
    assert data["expected_at"] is None


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"[]", 400, "invalid_envelope"),
        (b"\xff", 400, "invalid_json"),
        (body(id=""), 400, "invalid_envelope"),
        (body(id="x" * 65), 400, "invalid_envelope"),
        (body(type="Order Created"), 400, "invalid_envelope"),
        (body(time="yesterday"), 400, "invalid_envelope"),
        (body(specversion="0.3"), 400, "invalid_envelope"),
        (body(data=[1, 2]), 400, "invalid_envelope"),
    ],
)
def test_bad_envelopes_are_400(raw: bytes, status: int, code: str) -> None:
    with pytest.raises(WebhookError) as refused:
        decode_envelope(raw)
    assert (refused.value.status, refused.value.code) == (status, code)


@pytest.mark.parametrize(
    ("event_type", "data", "code"),
    [
        ("order.exploded", {}, "unknown_event_type"),
        ("order.created", {"order_id": "SO-1"}, "invalid_event_data"),
        ("order.created", {**DATA["order.created"], "currency": "DOLLARS"}, "invalid_event_data"),
        ("order.created", {**DATA["order.created"], "placed_at": "soon"}, "invalid_event_data"),
        (
            "shipment.delayed",
            {**DATA["shipment.delayed"], "reason": "x" * 2001},
            "invalid_event_data",
        ),
    ],
)
def test_bad_data_is_422_naming_the_problem(event_type: str, data: Any, code: str) -> None:
    with pytest.raises(WebhookError) as refused:
        validate_data(decode_envelope(body(event_type, data=data)))
    assert (refused.value.status, refused.value.code) == (422, code)


def test_every_schema_names_the_customer() -> None:
    for name, schema in EVENT_SCHEMAS.items():
        assert "customer_id" in schema.__struct_fields__, name
