"""The EventBus protocol every backend implements, and the small types it returns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from kefu.bus.errors import InvalidEventError
from kefu.bus.events import Event

#: Where a new consumer group starts: the oldest retained entry, or only entries published later.
StartFrom = Literal["earliest", "latest"]

#: Default bound on a stream's length; older entries are trimmed when it is exceeded.
DEFAULT_MAXLEN = 10_000

#: Largest encoded event accepted; events carry references and summaries, not documents.
MAX_EVENT_BYTES = 1 << 20

# Names become parts of Redis keys and log lines: printable, no whitespace, bounded.
_NAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,200}$")


def check_name(kind: str, value: object) -> str:
    """Validate a stream, group or consumer name; raises InvalidEventError saying what is wrong."""
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{kind} name must be a non-empty string, got {value!r}")
    if not _NAME.match(value):
        raise InvalidEventError(
            f"{kind} name {value!r} must be 1-200 printable characters without whitespace"
        )
    return value


def check_positive(kind: str, value: object) -> None:
    """Validate a count-like argument."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidEventError(f"{kind} must be a positive integer, got {value!r}")


def check_seconds(kind: str, value: object) -> float:
    """Validate a duration in seconds (zero allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidEventError(f"{kind} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def encode_event(event: object) -> bytes:
    """The JSON form of ``event`` as published; raises InvalidEventError for anything else."""
    if not isinstance(event, Event):
        raise InvalidEventError(f"publish takes an Event, got {type(event).__name__}")
    payload = event.to_json()
    if len(payload) > MAX_EVENT_BYTES:
        raise InvalidEventError(
            f"event {event.type!r} is {len(payload)} bytes encoded; the limit is {MAX_EVENT_BYTES}"
        )
    return payload


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


@dataclass(frozen=True, slots=True)
class Delivery:
    """An event handed to one consumer of a group; ack it by ``entry_id`` once handled."""

    stream: str
    group: str
    consumer: str
    entry_id: str
    event: Event
    #: How many times this entry has been delivered in the group, this time included.
    deliveries: int = 1


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry delivered to a consumer of a group but not yet acknowledged."""

    entry_id: str
    consumer: str
    #: Seconds since it was last delivered.
    idle: float
    #: How many times it has been delivered (1 on first delivery, more after reclaims).
    deliveries: int


@runtime_checkable
class EventBus(Protocol):
    """A durable, ordered log of events per stream, read through consumer groups.

    Every consumer group sees every event of a stream, in publish order; within a group each
    event goes to one consumer, which acknowledges it with :meth:`ack`. An entry a consumer
    received but never acknowledged (it crashed) stays pending and can be taken over by another
    consumer of the group with :meth:`reclaim` once it has been idle for ``min_idle`` seconds.
    Delivery is therefore at-least-once: handlers should be idempotent on ``event.id``.
    """

    async def start(self) -> None:
        """Connect to the backend; raises BusUnavailableError when it cannot be reached."""
        ...

    async def close(self) -> None:
        """Release connections; later calls raise BusClosedError. Safe to call twice."""
        ...

    async def publish(self, stream: str, event: Event) -> str:
        """Append ``event`` to ``stream`` (created on first use) and return its entry id."""
        ...

    async def ensure_group(self, stream: str, group: str, *, start: StartFrom = "earliest") -> None:
        """Create consumer group ``group`` on ``stream`` unless it exists (its position is kept)."""
        ...

    async def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 10,
        block: float | None = None,
    ) -> list[Delivery]:
        """Up to ``count`` new entries for ``consumer``; waits up to ``block`` seconds for one."""
        ...

    async def ack(self, stream: str, group: str, *entry_ids: str) -> int:
        """Acknowledge entries of ``group``; returns how many were pending."""
        ...

    async def pending(self, stream: str, group: str, *, count: int = 100) -> list[PendingEntry]:
        """The oldest ``count`` unacknowledged entries of ``group``, in entry order."""
        ...

    async def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle: float, count: int = 10
    ) -> list[Delivery]:
        """Take over up to ``count`` entries pending for at least ``min_idle`` seconds."""
        ...

    async def length(self, stream: str) -> int:
        """How many entries ``stream`` retains (0 for a stream never published to)."""
        ...

    async def delete(self, stream: str) -> None:
        """Drop ``stream`` with its entries and groups."""
        ...


class EventBusBackend(Protocol):
    """What a ``kefu.bus`` entry point names: a class that builds a bus from a URL."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Build an unstarted bus from a URL such as ``memory://`` or ``redis://host:6379/0``."""
        ...
