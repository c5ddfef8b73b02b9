"""The CloudEvents-shaped envelope: validation and JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.bus import Event, EventDecodeError, InvalidEventError


def test_defaults_fill_id_time_and_specversion() -> None:
    a = Event(type="order.paid", source="/shop")
    b = Event(type="order.paid", source="/shop")
    assert a.id != b.id and len(a.id) == 32
    assert a.time.tzinfo is not None
    assert a.specversion == "1.0"
    assert a.subject is None and a.data is None


def test_json_round_trip_is_exact() -> None:
    event = Event(
        type="conversation.message",
        source="/gateway",
        subject="conversation/42",
        time=datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC),
        data={"text": "你好 hello 👋", "seq": 3, "tags": ["a"], "score": 0.25, "x": None},
    )
    raw = event.to_json()
    assert Event.from_json(raw) == event
    assert Event.from_json(raw.decode()) == event
    doc = json.loads(raw)
    assert set(doc) == {"type", "source", "data", "subject", "id", "time", "specversion"}
    assert doc["time"] == "2026-01-02T03:04:05.006000Z"


@pytest.mark.parametrize("field", ["type", "source", "id"])
@pytest.mark.parametrize("value", ["", "   "])
def test_required_fields_must_be_non_empty(field: str, value: str) -> None:
    kwargs: dict[str, Any] = {"type": "t", "source": "s", field: value}
    with pytest.raises(InvalidEventError, match=f"event {field}"):
        Event(**kwargs)


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="timezone-aware"):
        Event(type="t", source="s", time=datetime(2026, 1, 1))


@pytest.mark.parametrize("data", [object(), {"f": lambda: 1}, [1, {2, object()}]])
def test_unencodable_data_raises_a_clear_error(data: object) -> None:
    with pytest.raises(InvalidEventError, match="cannot be encoded as JSON"):
        Event(type="t", source="s", data=data).to_json()


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b'{"type": "t"}', b'{"type": "", "source": "s"}', b"\xff\xfe"],
)
def test_bad_bytes_raise_decode_error(raw: bytes) -> None:
    with pytest.raises(EventDecodeError, match="not a valid Kefu event"):
        Event.from_json(raw)


def test_event_is_immutable() -> None:
    event = Event(type="t", source="s")
    with pytest.raises(AttributeError):
        event.type = "u"  # type: ignore[misc]
