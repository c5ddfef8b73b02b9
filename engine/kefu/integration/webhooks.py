"""Webhook ingestion: size limit, signature, envelope, schema, then durable idempotent intake.

Order of checks and the answer to each failure (the JSON body always has ``error`` and
``detail``; nothing is stored and nothing reaches the bus):

====================================  ======  ===========================
problem                               status  ``error``
====================================  ======  ===========================
body over the size limit              413     ``body_too_large``
sender name not configured            401     ``unknown_sender``
no / malformed ``Kefu-Signature``     401     ``missing_signature`` / ``malformed_signature``
timestamp outside the replay window   401     ``stale_timestamp``
signature does not match              401     ``bad_signature``
body not JSON / envelope invalid      400     ``invalid_json`` / ``invalid_envelope``
unknown type / data fails its schema  422     ``unknown_event_type`` / ``invalid_event_data``
known event id, different content     409     ``event_id_conflict``
====================================  ======  ===========================

A valid new event is answered ``202 {"status": "accepted"}`` once it is committed; the same
event id with the same content again is answered ``200 {"status": "duplicate"}`` and has no
effect, so a sender that lost an ack can safely retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kefu.bus.events import Event
from kefu.integration.errors import WebhookError
from kefu.integration.inbox import EventInbox, Intake
from kefu.integration.outbox import OutboxRelay
from kefu.integration.schemas import decode_envelope, validate_data
from kefu.integration.signing import SignatureVerifier

#: Largest webhook body accepted, in bytes.
DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the sender is told about an accepted request."""

    status_code: int
    event_id: str
    intake: Intake

    def body(self) -> dict[str, str]:
        """The JSON body of the answer."""
        return {"status": self.intake.value, "id": self.event_id}


class WebhookIngestor:
    """Validates signed webhook bodies and stores their events exactly once."""

    def __init__(
        self,
        senders: Mapping[str, SignatureVerifier],
        inbox: EventInbox,
        relay: OutboxRelay | None = None,
        *,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        if max_body < 1:
            raise ValueError("max_body must be positive")
        self._senders = dict(senders)
        self._inbox = inbox
        self._relay = relay
        self.max_body = max_body

    def check_size(self, declared: int | None) -> None:
        """Refuse early when a declared Content-Length is over the limit."""
        if declared is not None and declared > self.max_body:
            raise self._too_large(declared)

    def _too_large(self, size: int) -> WebhookError:
        return WebhookError(
            413,
            "body_too_large",
            f"the body has {size} bytes; at most {self.max_body} are accepted",
            limit=self.max_body,
        )

    async def ingest(self, sender: str, signature: str | None, body: bytes) -> IngestResult:
        """Check and store one webhook; raises WebhookError for anything refused."""
        if len(body) > self.max_body:
            raise self._too_large(len(body))
        verifier = self._senders.get(sender)
        if verifier is None:
            raise WebhookError(401, "unknown_sender", f"no webhook sender named {sender!r}")
        verifier.verify(signature, body)
        envelope = decode_envelope(body)
        data = validate_data(envelope)
        event = Event(
            id=envelope.id,
            type=envelope.type,
            source=envelope.source,
            time=envelope.time,
            subject=envelope.subject,
            data=data,
        )
        offered = await self._inbox.offer(sender, event)
        if offered.intake is Intake.ACCEPTED and self._relay is not None:
            self._relay.wake()
        status = 202 if offered.intake is Intake.ACCEPTED else 200
        return IngestResult(status, offered.event_id, offered.intake)
