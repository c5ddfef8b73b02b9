"""The CloudEvents-shaped envelope every Kefu event travels in, with its JSON encoding."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from kefu.bus.errors import EventDecodeError, InvalidEventError

#: The CloudEvents specification version the envelope follows.
SPEC_VERSION = "1.0"


def _new_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One business or conversation event, shaped like a CloudEvents 1.0 envelope.

    ``data`` must be JSON-encodable (dicts, lists, strings, numbers, booleans, None; msgspec
    also accepts datetimes, UUIDs, decimals and dataclasses, which arrive as their JSON
    forms). ``id`` is what idempotent consumers de-duplicate on.
    """

    type: str
    source: str
    data: Any = None
    subject: str | None = None
    id: str = msgspec.field(default_factory=_new_id)
    time: datetime = msgspec.field(default_factory=_now)
    specversion: str = SPEC_VERSION

    def __post_init__(self) -> None:
        for name in ("type", "source", "id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidEventError(f"event {name} must be a non-empty string, got {value!r}")
        if self.time.tzinfo is None:
            raise InvalidEventError("event time must be timezone-aware (use datetime.now(UTC))")

    def to_json(self) -> bytes:
        """Encode the envelope as JSON; raises InvalidEventError when ``data`` is not JSON-able."""
        try:
            return _encoder.encode(self)
        except (TypeError, msgspec.EncodeError, OverflowError) as exc:
            raise InvalidEventError(
                f"event {self.type!r} has data that cannot be encoded as JSON: {exc}"
            ) from exc

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        """Decode an envelope written by :meth:`to_json`."""
        try:
            return _decoder.decode(raw)
        except (msgspec.DecodeError, InvalidEventError) as exc:
            raise EventDecodeError(f"not a valid Kefu event envelope: {exc}") from exc


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)
