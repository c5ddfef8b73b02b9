"""Repositories: the queries of Kefu's store, each bound to one connection (and its transaction).

Open a scope with :meth:`kefu.store.Database.write` or :meth:`~kefu.store.Database.read` and build
the repositories you need on it, so several of them share one transaction::

    async with db.write() as conn:
        conversation = await Conversations(conn).create(visitor.id)
        await Events(conn).record("conversation.started", subject=conversation.id)

Message appends from chat traffic go through :class:`kefu.store.writer.MessageWriter` instead,
which batches them; :meth:`Messages.append` is the same logic for one message.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.store import schema
from kefu.store.appends import append_batch, message_from_row
from kefu.store.errors import (
    AgentExistsError,
    AgentNotFoundError,
    ConversationNotFoundError,
)
from kefu.store.records import (
    Agent,
    AuditEntry,
    Conversation,
    ConversationStatus,
    NewMessage,
    SenderKind,
    StoredEvent,
    StoredMessage,
    Visitor,
    as_utc,
    utcnow,
)

#: The ``source`` of events Kefu itself records.
EVENT_SOURCE = "kefu://conversations"


def new_id() -> str:
    """A random 32-character hex id for visitors, agents and conversations."""
    return uuid.uuid4().hex


def _opt_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _conversation(row: sa.Row[Any]) -> Conversation:
    m = row._mapping
    return Conversation(
        id=m["id"],
        visitor_id=m["visitor_id"],
        status=ConversationStatus(m["status"]),
        agent_id=m["agent_id"],
        last_seq=m["last_seq"],
        visitor_read_seq=m["visitor_read_seq"],
        agent_read_seq=m["agent_read_seq"],
        created_at=as_utc(m["created_at"]),
        updated_at=as_utc(m["updated_at"]),
        queued_at=_opt_utc(m["queued_at"]),
        assigned_at=_opt_utc(m["assigned_at"]),
        closed_at=_opt_utc(m["closed_at"]),
    )


def _agent(row: sa.Row[Any]) -> Agent:
    m = row._mapping
    return Agent(
        id=m["id"],
        username=m["username"],
        display_name=m["display_name"],
        capacity=m["capacity"],
        online_sessions=m["online_sessions"],
        last_assigned_at=_opt_utc(m["last_assigned_at"]),
        created_at=as_utc(m["created_at"]),
    )


class Visitors:
    """Visitors of the chat widget."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def create(self, display_name: str = "") -> Visitor:
        """Register a new visitor."""
        visitor = Visitor(id=new_id(), display_name=display_name[:200], created_at=utcnow())
        await self._conn.execute(
            sa.insert(schema.visitors).values(
                id=visitor.id, display_name=visitor.display_name, created_at=visitor.created_at
            )
        )
        return visitor

    async def get(self, visitor_id: str) -> Visitor | None:
        """The visitor with that id, or None."""
        row = (
            await self._conn.execute(
                sa.select(schema.visitors).where(schema.visitors.c.id == visitor_id)
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return Visitor(
            id=m["id"], display_name=m["display_name"], created_at=as_utc(m["created_at"])
        )


class Agents:
    """Agents, their capacity and their presence."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def create(
        self, username: str, display_name: str, password_hash: str, capacity: int
    ) -> Agent:
        """Add an agent; raises AgentExistsError when the username is taken."""
        if await self.by_username(username) is not None:
            raise AgentExistsError(username)
        agent_id = new_id()
        now = utcnow()
        await self._conn.execute(
            sa.insert(schema.agents).values(
                id=agent_id,
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                capacity=capacity,
                online_sessions=0,
                created_at=now,
            )
        )
        return Agent(agent_id, username, display_name, capacity, 0, None, now)

    async def get(self, agent_id: str) -> Agent | None:
        """The agent with that id, or None."""
        row = (
            await self._conn.execute(sa.select(schema.agents).where(schema.agents.c.id == agent_id))
        ).first()
        return _agent(row) if row is not None else None

    async def by_username(self, username: str) -> Agent | None:
        """The agent with that username, or None."""
        row = (
            await self._conn.execute(
                sa.select(schema.agents).where(schema.agents.c.username == username)
            )
        ).first()
        return _agent(row) if row is not None else None

    async def password_hash(self, username: str) -> tuple[Agent, str] | None:
        """The agent and its stored password hash, for login."""
        row = (
            await self._conn.execute(
                sa.select(schema.agents).where(schema.agents.c.username == username)
            )
        ).first()
        return (_agent(row), row._mapping["password_hash"]) if row is not None else None

    async def all(self) -> list[Agent]:
        """Every agent, by username."""
        rows = await self._conn.execute(sa.select(schema.agents).order_by(schema.agents.c.username))
        return [_agent(r) for r in rows]

    async def add_session(self, agent_id: str, delta: int) -> Agent:
        """Count a socket opening (+1) or closing (-1); never goes below zero."""
        a = schema.agents
        result = await self._conn.execute(
            sa.update(a)
            .where(a.c.id == agent_id)
            .values(
                online_sessions=sa.case(
                    (a.c.online_sessions + delta < 0, 0), else_=a.c.online_sessions + delta
                )
            )
            .returning(*a.c)
        )
        row = result.first()
        if row is None:
            raise AgentNotFoundError(agent_id)
        return _agent(row)

    async def reset_presence(self) -> int:
        """Mark every agent offline; for start-up when this is the only process (SQLite)."""
        a = schema.agents
        result = await self._conn.execute(
            sa.update(a).where(a.c.online_sessions != 0).values(online_sessions=0)
        )
        return int(result.rowcount or 0)

    async def online_for_update(self) -> list[Agent]:
        """Online agents in round-robin order (least recently assigned first), row-locked."""
        a = schema.agents
        query = (
            sa.select(a)
            .where(a.c.online_sessions > 0)
            .order_by(sa.nulls_first(a.c.last_assigned_at.asc()), a.c.username)
            .with_for_update()
        )
        return [_agent(r) for r in await self._conn.execute(query)]

    async def touch_assigned(self, agent_id: str, when: datetime) -> None:
        """Move the agent to the back of the round-robin rotation."""
        await self._conn.execute(
            sa.update(schema.agents)
            .where(schema.agents.c.id == agent_id)
            .values(last_assigned_at=when)
        )

    async def loads(self) -> dict[str, int]:
        """Open (assigned) conversations per agent id."""
        c = schema.conversations
        rows = await self._conn.execute(
            sa.select(c.c.agent_id, sa.func.count())
            .where(c.c.status == ConversationStatus.ASSIGNED.value)
            .group_by(c.c.agent_id)
        )
        return {r[0]: int(r[1]) for r in rows if r[0] is not None}


class Conversations:
    """Conversations and their routing state."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def create(self, visitor_id: str) -> Conversation:
        """Open a bot-first conversation for a visitor."""
        now = utcnow()
        conversation = Conversation(
            id=new_id(),
            visitor_id=visitor_id,
            status=ConversationStatus.BOT,
            agent_id=None,
            last_seq=0,
            visitor_read_seq=0,
            agent_read_seq=0,
            created_at=now,
            updated_at=now,
            queued_at=None,
            assigned_at=None,
            closed_at=None,
        )
        await self._conn.execute(
            sa.insert(schema.conversations).values(
                id=conversation.id,
                visitor_id=visitor_id,
                status=conversation.status.value,
                last_seq=0,
                visitor_read_seq=0,
                agent_read_seq=0,
                created_at=now,
                updated_at=now,
            )
        )
        return conversation

    async def get(self, conversation_id: str, *, for_update: bool = False) -> Conversation | None:
        """The conversation with that id, or None."""
        query = sa.select(schema.conversations).where(schema.conversations.c.id == conversation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _conversation(row) if row is not None else None

    async def require(self, conversation_id: str, *, for_update: bool = False) -> Conversation:
        """The conversation with that id; raises ConversationNotFoundError."""
        conversation = await self.get(conversation_id, for_update=for_update)
        if conversation is None:
            raise ConversationNotFoundError(conversation_id)
        return conversation

    async def find(
        self,
        *,
        status: ConversationStatus | None = None,
        agent_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Conversation]:
        """Conversations, newest activity first, optionally by status and agent."""
        c = schema.conversations
        query = sa.select(c).order_by(c.c.updated_at.desc(), c.c.id).limit(limit).offset(offset)
        if status is not None:
            query = query.where(c.c.status == status.value)
        if agent_id is not None:
            query = query.where(c.c.agent_id == agent_id)
        return [_conversation(r) for r in await self._conn.execute(query)]

    async def queued(self, limit: int = 100) -> list[Conversation]:
        """Waiting conversations, longest waiting first."""
        c = schema.conversations
        query = (
            sa.select(c)
            .where(c.c.status == ConversationStatus.QUEUED.value)
            .order_by(c.c.queued_at, c.c.id)
            .limit(limit)
        )
        return [_conversation(r) for r in await self._conn.execute(query)]

    async def queue_position(self, conversation: Conversation) -> int:
        """1-based place of a queued conversation in the waiting line (0 when not queued)."""
        if conversation.status is not ConversationStatus.QUEUED or conversation.queued_at is None:
            return 0
        c = schema.conversations
        ahead = await self._conn.scalar(
            sa.select(sa.func.count()).where(
                c.c.status == ConversationStatus.QUEUED.value,
                sa.or_(
                    c.c.queued_at < conversation.queued_at,
                    sa.and_(c.c.queued_at == conversation.queued_at, c.c.id < conversation.id),
                ),
            )
        )
        return int(ahead or 0) + 1

    async def open_for_agent(self, agent_id: str) -> list[Conversation]:
        """The conversations an agent currently owns."""
        c = schema.conversations
        rows = await self._conn.execute(
            sa.select(c)
            .where(c.c.agent_id == agent_id, c.c.status == ConversationStatus.ASSIGNED.value)
            .order_by(c.c.assigned_at, c.c.id)
        )
        return [_conversation(r) for r in rows]

    async def enqueue(self, conversation_id: str) -> Conversation | None:
        """Move a bot conversation to the queue; None when it was not in bot mode."""
        now = utcnow()
        return await self._transition(
            conversation_id,
            {ConversationStatus.BOT},
            status=ConversationStatus.QUEUED.value,
            queued_at=now,
            updated_at=now,
        )

    async def assign(
        self,
        conversation_id: str,
        agent_id: str,
        *,
        from_status: set[ConversationStatus] | None = None,
    ) -> Conversation | None:
        """Give a conversation to an agent; None when it was not in one of ``from_status``."""
        now = utcnow()
        return await self._transition(
            conversation_id,
            from_status or {ConversationStatus.QUEUED},
            status=ConversationStatus.ASSIGNED.value,
            agent_id=agent_id,
            assigned_at=now,
            agent_read_seq=0,
            updated_at=now,
        )

    async def close(self, conversation_id: str) -> Conversation | None:
        """Close a conversation; None when it was already closed."""
        now = utcnow()
        return await self._transition(
            conversation_id,
            {ConversationStatus.BOT, ConversationStatus.QUEUED, ConversationStatus.ASSIGNED},
            status=ConversationStatus.CLOSED.value,
            closed_at=now,
            updated_at=now,
        )

    async def mark_read(self, conversation_id: str, side: SenderKind, seq: int) -> int:
        """Raise the read mark of one side to ``seq`` (never lowers it); returns the new mark."""
        c = schema.conversations
        column = c.c.visitor_read_seq if side is SenderKind.VISITOR else c.c.agent_read_seq
        capped = sa.case((c.c.last_seq < seq, c.c.last_seq), else_=seq)
        result = await self._conn.execute(
            sa.update(c)
            .where(c.c.id == conversation_id)
            .values({column: sa.case((column < capped, capped), else_=column)})
            .returning(column)
        )
        row = result.first()
        if row is None:
            raise ConversationNotFoundError(conversation_id)
        return int(row[0])

    async def _transition(
        self, conversation_id: str, allowed: set[ConversationStatus], **values: Any
    ) -> Conversation | None:
        c = schema.conversations
        result = await self._conn.execute(
            sa.update(c)
            .where(c.c.id == conversation_id, c.c.status.in_([s.value for s in allowed]))
            .values(**values)
            .returning(*c.c)
        )
        row = result.first()
        if row is not None:
            return _conversation(row)
        await self.require(conversation_id)
        return None


class Messages:
    """Messages, with per-conversation sequence numbers and idempotent appends."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, message: NewMessage) -> StoredMessage:
        """Store one message (or return the original of a resend) in the current transaction."""
        stored = await append_batch(self._conn, [message])
        result = stored[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def since(
        self, conversation_id: str, after_seq: int = 0, *, limit: int = 500
    ) -> list[StoredMessage]:
        """Messages with a sequence number above ``after_seq``, in order."""
        m = schema.messages
        rows = await self._conn.execute(
            sa.select(m)
            .where(m.c.conversation_id == conversation_id, m.c.seq > after_seq)
            .order_by(m.c.seq)
            .limit(limit)
        )
        return [message_from_row(r._mapping) for r in rows]

    async def by_client_id(
        self, conversation_id: str, sender_id: str, client_msg_id: str
    ) -> StoredMessage | None:
        """The message a sender sent with that client id, or None."""
        m = schema.messages
        row = (
            await self._conn.execute(
                sa.select(m).where(
                    m.c.conversation_id == conversation_id,
                    m.c.sender_id == sender_id,
                    m.c.client_msg_id == client_msg_id,
                )
            )
        ).first()
        return message_from_row(row._mapping) if row is not None else None

    async def count(self, conversation_id: str) -> int:
        """How many messages the conversation holds."""
        m = schema.messages
        value = await self._conn.scalar(
            sa.select(sa.func.count()).where(m.c.conversation_id == conversation_id)
        )
        return int(value or 0)


class Events:
    """The CloudEvents-shaped log of what happened to conversations."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self,
        type: str,
        *,
        subject: str | None = None,
        data: Any = None,
        source: str = EVENT_SOURCE,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> StoredEvent:
        """Append an event."""
        stored = StoredEvent(
            id=event_id or uuid.uuid4().hex,
            type=type,
            source=source,
            time=time or utcnow(),
            subject=subject,
            data=data,
        )
        await self._conn.execute(
            sa.insert(schema.events).values(
                id=stored.id,
                type=stored.type,
                source=stored.source,
                time=stored.time,
                subject=stored.subject,
                data=stored.data,
            )
        )
        return stored

    async def for_subject(self, subject: str, *, limit: int = 200) -> list[StoredEvent]:
        """Events about one subject, oldest first."""
        e = schema.events
        rows = await self._conn.execute(
            sa.select(e).where(e.c.subject == subject).order_by(e.c.time, e.c.id).limit(limit)
        )
        return [
            StoredEvent(
                id=r.id,
                type=r.type,
                source=r.source,
                time=as_utc(r.time),
                subject=r.subject,
                data=r.data,
            )
            for r in rows
        ]


class AuditLog:
    """Append-only entries of who did what (tamper evidence arrives with the security module)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self, actor: str, action: str, subject: str, data: Mapping[str, Any] | None = None
    ) -> None:
        """Append one entry."""
        await self._conn.execute(
            sa.insert(schema.audit_entries).values(
                time=utcnow(), actor=actor, action=action, subject=subject, data=dict(data or {})
            )
        )

    async def for_subject(self, subject: str, *, limit: int = 200) -> list[AuditEntry]:
        """Entries about one subject, oldest first."""
        a = schema.audit_entries
        rows = await self._conn.execute(
            sa.select(a).where(a.c.subject == subject).order_by(a.c.id).limit(limit)
        )
        return [
            AuditEntry(
                id=r.id,
                time=as_utc(r.time),
                actor=r.actor,
                action=r.action,
                subject=r.subject,
                data=dict(r.data or {}),
            )
            for r in rows
        ]
