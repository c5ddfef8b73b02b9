"""Time-limited unmasking of one customer field for one person, with a reason, audited.

An agent asks (``POST /api/unmask``); the grant is approved at once, or waits for a supervisor
when ``unmask_requires_approval`` is set. Approved grants show the field in clear until they
expire. Every request, decision and view is an audit entry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kefu.security.tables import unmask_grants
from kefu.store.database import Database
from kefu.store.records import as_utc, utcnow
from kefu.store.repositories import AuditLog


class UnmaskError(Exception):
    """An unknown grant, or a decision that is not allowed."""


@dataclass(frozen=True, slots=True)
class UnmaskGrant:
    """One request to see a field in clear."""

    id: str
    agent_id: str
    customer_id: str
    field: str
    reason: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    decided_by: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "agent_id": self.agent_id,
            "customer_id": self.customer_id,
            "field": self.field,
            "reason": self.reason,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "decided_by": self.decided_by,
        }


def _grant(row: Any) -> UnmaskGrant:
    return UnmaskGrant(
        id=row.id,
        agent_id=row.agent_id,
        customer_id=row.customer_id,
        field=row.field,
        reason=row.reason,
        status=row.status,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
        decided_by=row.decided_by,
    )


class UnmaskGrants:
    """Requests, decisions and active grants."""

    def __init__(self, database: Database, ttl: timedelta, *, requires_approval: bool) -> None:
        self._database = database
        self._ttl = ttl
        self.requires_approval = requires_approval

    async def request(
        self, agent_id: str, customer_id: str, field: str, reason: str, *, approve: bool
    ) -> UnmaskGrant:
        """Record a request; approved now when ``approve`` (else pending)."""
        now = utcnow()
        status = "approved" if approve else "pending"
        values = {
            "id": secrets.token_hex(8),
            "agent_id": agent_id,
            "customer_id": customer_id,
            "field": field,
            "reason": reason,
            "status": status,
            "created_at": now,
            "expires_at": now + self._ttl if approve else None,
            "decided_by": agent_id if approve else None,
        }
        async with self._database.write() as conn:
            await conn.execute(sa.insert(unmask_grants).values(**values))
            await AuditLog(conn).record(
                f"agent:{agent_id}",
                "unmask.request",
                f"customer:{customer_id}",
                {"field": field, "reason": reason, "status": status, "grant": values["id"]},
            )
        return UnmaskGrant(
            id=str(values["id"]),
            agent_id=agent_id,
            customer_id=customer_id,
            field=field,
            reason=reason,
            status=status,
            created_at=now,
            expires_at=now + self._ttl if approve else None,
            decided_by=agent_id if approve else None,
        )

    async def decide(self, grant_id: str, supervisor_id: str, *, approve: bool) -> UnmaskGrant:
        """Approve or deny a pending request."""
        now = utcnow()
        t = unmask_grants
        async with self._database.write() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.id == grant_id))).first()
            if row is None:
                raise UnmaskError(f"no unmask request {grant_id!r}")
            if row.status != "pending":
                raise UnmaskError(f"unmask request {grant_id!r} is already {row.status}")
            status = "approved" if approve else "denied"
            expires = now + self._ttl if approve else None
            await conn.execute(
                sa.update(t)
                .where(t.c.id == grant_id)
                .values(status=status, expires_at=expires, decided_by=supervisor_id)
            )
            await AuditLog(conn).record(
                f"agent:{supervisor_id}",
                f"unmask.{status}",
                f"customer:{row.customer_id}",
                {"field": row.field, "grant": grant_id, "for": row.agent_id},
            )
            row = (await conn.execute(sa.select(t).where(t.c.id == grant_id))).one()
        return _grant(row)

    async def active_fields(self, agent_id: str, customer_id: str) -> list[str]:
        """Fields of ``customer_id`` that ``agent_id`` may see in clear right now."""
        t = unmask_grants
        async with self._database.read() as conn:
            rows = await conn.execute(
                sa.select(t.c.field).where(
                    t.c.agent_id == agent_id,
                    t.c.customer_id == customer_id,
                    t.c.status == "approved",
                    t.c.expires_at > utcnow(),
                )
            )
            return sorted({r.field for r in rows})

    async def pending(self) -> list[UnmaskGrant]:
        """Requests waiting for a supervisor."""
        t = unmask_grants
        async with self._database.read() as conn:
            rows = await conn.execute(
                sa.select(t).where(t.c.status == "pending").order_by(t.c.created_at)
            )
            return [_grant(r) for r in rows]

    async def record_view(self, agent_id: str, customer_id: str, fields: list[str]) -> None:
        """Audit that ``fields`` were shown in clear."""
        async with self._database.write() as conn:
            await AuditLog(conn).record(
                f"agent:{agent_id}", "unmask.view", f"customer:{customer_id}", {"fields": fields}
            )
