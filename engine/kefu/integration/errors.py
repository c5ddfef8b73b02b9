"""Errors of the integration module, each carrying the HTTP status and a machine-readable code."""

from __future__ import annotations

from typing import Any


class IntegrationError(Exception):
    """Base class for integration problems."""


class WebhookError(IntegrationError):
    """A webhook request refused: ``status`` is the HTTP code, ``code`` a stable short name."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra
        super().__init__(f"{code}: {detail}")

    def body(self) -> dict[str, Any]:
        """The JSON body the sender receives."""
        return {"error": self.code, "detail": self.detail, **self.extra}


class EventConflictError(WebhookError):
    """An event id arrived again with different content."""

    def __init__(self, event_id: str) -> None:
        super().__init__(
            409,
            "event_id_conflict",
            f"event {event_id!r} was already accepted with different content",
            event_id=event_id,
        )


class ActionError(IntegrationError):
    """An action request refused before reaching the business system."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


class AdapterConfigError(IntegrationError, ValueError):
    """An adapter's mapping file or options are invalid; the message names the field."""


class AdapterUnavailableError(IntegrationError, ConnectionError):
    """The business system did not answer usefully (down, 5xx, timeout): the outcome of a
    write is unknown, and a read has no data."""
