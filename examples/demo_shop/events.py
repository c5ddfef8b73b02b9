"""Business events the shop announces, queued in its webhook outbox within the same transaction."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from demo_shop.db import utcnow, webhook_outbox

#: The envelope's ``source``: who emitted the event.
SOURCE = "demo-shop://orders"


def envelope(event_type: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """A CloudEvents-shaped envelope with a fresh id."""
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "type": event_type,
        "source": SOURCE,
        "time": utcnow().isoformat(),
        "subject": subject,
        "data": data,
    }


async def announce(
    conn: AsyncConnection, event_type: str, subject: str, data: dict[str, Any]
) -> str:
    """Queue an event for webhook delivery in ``conn``'s transaction; returns its id."""
    body = envelope(event_type, subject, data)
    await conn.execute(
        sa.insert(webhook_outbox).values(
            event_id=body["id"],
            body=json.dumps(body, separators=(",", ":")),
            next_attempt_at=utcnow(),
        )
    )
    return str(body["id"])
