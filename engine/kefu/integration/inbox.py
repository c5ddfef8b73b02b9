"""Durable, idempotent intake of business events: inbox row, event log and outbox in one commit.

An event id is accepted once. The same id with the same content again is a harmless duplicate;
with different content it is a conflict. Whatever is accepted is stored in the store's
``events`` table and queued in the outbox in the same transaction, so the bus never misses it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.bus.events import Event
from kefu.integration import tables
from kefu.integration.errors import EventConflictError
from kefu.store.database import Database
from kefu.store.records import utcnow
from kefu.store.repositories import Events

#: The bus stream business events are published on.
BUSINESS_STREAM = "business.events"


class Intake(enum.StrEnum):
    """What happened to an offered event."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


def digest_of(event: Event) -> str:
    """SHA-256 over the event's identity and content (not its delivery metadata)."""
    canonical = msgspec.json.encode(
        [event.id, event.type, event.source, event.subject, event.time.isoformat(), event.data],
        order="sorted",
    )
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True, slots=True)
class Offered:
    """Result of :meth:`EventInbox.offer`."""

    intake: Intake
    event_id: str


async def record_in(
    conn: AsyncConnection, sender: str, event: Event, *, stream: str = BUSINESS_STREAM
) -> Intake:
    """Store ``event`` in ``conn``'s transaction unless its id is known.

    Raises EventConflictError when the id is known with other content. Used by the webhook
    intake and by the puller, which commits its cursor in the same transaction.
    """
    digest = digest_of(event)
    known = (
        await conn.execute(
            sa.select(tables.inbox.c.digest).where(tables.inbox.c.event_id == event.id)
        )
    ).scalar_one_or_none()
    if known is not None:
        if known != digest:
            raise EventConflictError(event.id)
        return Intake.DUPLICATE
    now = utcnow()
    await conn.execute(
        sa.insert(tables.inbox).values(
            event_id=event.id, sender=sender, digest=digest, received_at=now
        )
    )
    await Events(conn).record(
        event.type,
        subject=event.subject,
        data=event.data,
        source=event.source,
        event_id=event.id,
        time=event.time,
    )
    await conn.execute(
        sa.insert(tables.outbox).values(
            stream=stream, event_id=event.id, payload=event.to_json().decode(), created_at=now
        )
    )
    return Intake.ACCEPTED


class EventInbox:
    """Offers events to the store, one transaction each."""

    def __init__(self, database: Database, *, stream: str = BUSINESS_STREAM) -> None:
        self._db = database
        self.stream = stream

    async def offer(self, sender: str, event: Event) -> Offered:
        """Store ``event`` durably (or recognise it); returns only after the commit."""
        try:
            async with self._db.write() as conn:
                intake = await record_in(conn, sender, event, stream=self.stream)
        except IntegrityError:
            # A concurrent request with the same id won the insert: judge against its row.
            async with self._db.read() as conn:
                known = (
                    await conn.execute(
                        sa.select(tables.inbox.c.digest).where(tables.inbox.c.event_id == event.id)
                    )
                ).scalar_one_or_none()
            if known is None:
                raise
            if known != digest_of(event):
                raise EventConflictError(event.id) from None
            intake = Intake.DUPLICATE
        return Offered(intake, event.id)
