"""The exceptions the event bus raises, so callers can tell bad input from a broken backend."""

from __future__ import annotations


class BusError(Exception):
    """Base class for every event-bus problem."""


class InvalidEventError(BusError, ValueError):
    """An event, stream, group or consumer name is malformed; nothing was stored."""


class EventDecodeError(BusError, ValueError):
    """Bytes read from a stream are not a valid event envelope."""


class GroupNotFoundError(BusError, LookupError):
    """A read, ack or reclaim named a consumer group that was never created."""

    def __init__(self, stream: str, group: str) -> None:
        self.stream = stream
        self.group = group
        super().__init__(
            f"consumer group {group!r} does not exist on stream {stream!r}; "
            "call ensure_group() first"
        )


class BusClosedError(BusError, RuntimeError):
    """The bus was used before ``start()`` or after ``close()``."""


class BusUnavailableError(BusError, ConnectionError):
    """The backend server cannot be reached."""


class UnknownBusBackendError(BusError, LookupError):
    """A bus URL names a scheme for which no ``kefu.bus`` backend is installed."""

    def __init__(self, url: str, scheme: str, installed: list[str]) -> None:
        self.url = url
        self.scheme = scheme
        self.installed = installed
        listing = ", ".join(f"{name}://" for name in installed) or "none"
        super().__init__(
            f"no event-bus backend for scheme {scheme!r} in bus URL {url!r}; "
            f"installed backends: {listing}"
        )
