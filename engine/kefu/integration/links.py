"""Which business customer each conversation is about (recorded when the chat opens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.integration import tables
from kefu.store.database import Database
from kefu.store.records import as_utc, utcnow


@dataclass(frozen=True, slots=True)
class CustomerLink:
    """A conversation tied to a customer of the business system."""

    conversation_id: str
    customer_id: str
    agent_id: str | None
    opened_at: datetime
    closed_at: datetime | None = None


def _link(row: sa.Row[tuple[str, str, str | None, datetime, datetime | None]]) -> CustomerLink:
    return CustomerLink(
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        agent_id=row.agent_id,
        opened_at=as_utc(row.opened_at),
        closed_at=as_utc(row.closed_at) if row.closed_at is not None else None,
    )


class CustomerLinks:
    """Repository of conversation-customer links, bound to one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def link(
        self,
        conversation_id: str,
        customer_id: str,
        *,
        agent_id: str | None = None,
        opened_at: datetime | None = None,
    ) -> CustomerLink:
        """Tie a conversation to a customer (re-linking replaces the customer)."""
        if not conversation_id or not customer_id:
            raise ValueError("conversation_id and customer_id must be non-empty")
        t = tables.customer_links
        when = opened_at or utcnow()
        existing = await self.get(conversation_id)
        if existing is None:
            await self._conn.execute(
                sa.insert(t).values(
                    conversation_id=conversation_id,
                    customer_id=customer_id,
                    agent_id=agent_id,
                    opened_at=when,
                )
            )
            return CustomerLink(conversation_id, customer_id, agent_id, when)
        await self._conn.execute(
            sa.update(t)
            .where(t.c.conversation_id == conversation_id)
            .values(customer_id=customer_id, agent_id=agent_id or existing.agent_id)
        )
        return CustomerLink(
            conversation_id, customer_id, agent_id or existing.agent_id, existing.opened_at
        )

    async def assign(self, conversation_id: str, agent_id: str | None) -> None:
        """Record the agent now owning the conversation."""
        t = tables.customer_links
        await self._conn.execute(
            sa.update(t).where(t.c.conversation_id == conversation_id).values(agent_id=agent_id)
        )

    async def close(self, conversation_id: str) -> None:
        """Mark the conversation closed (no more hints for it)."""
        t = tables.customer_links
        await self._conn.execute(
            sa.update(t).where(t.c.conversation_id == conversation_id).values(closed_at=utcnow())
        )

    async def get(self, conversation_id: str) -> CustomerLink | None:
        """The link of one conversation."""
        t = tables.customer_links
        row = (
            await self._conn.execute(sa.select(t).where(t.c.conversation_id == conversation_id))
        ).first()
        return _link(row) if row is not None else None

    async def open_for(self, customer_id: str) -> list[CustomerLink]:
        """The customer's conversations that are not closed, oldest first."""
        t = tables.customer_links
        rows = await self._conn.execute(
            sa.select(t)
            .where(t.c.customer_id == customer_id, t.c.closed_at.is_(None))
            .order_by(t.c.opened_at)
        )
        return [_link(r) for r in rows]


async def customer_of_conversation(database: Database, conversation_id: str) -> str | None:
    """The customer a conversation is linked to, if any (for the dialog manager's turns)."""
    async with database.read() as conn:
        link = await CustomerLinks(conn).get(conversation_id)
    return link.customer_id if link is not None else None
