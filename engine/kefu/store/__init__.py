"""Kefu's store: SQLAlchemy Core schema, repositories, group-commit message writer, migrations.

Entry points:

* :class:`Database` — engines for one URL (SQLite WAL or PostgreSQL) with ``read()`` and
  ``write()`` connection scopes and ``migrate()``.
* Repositories bound to a connection: :class:`Visitors`, :class:`Agents`,
  :class:`Conversations`, :class:`Messages`, :class:`Events`, :class:`AuditLog`.
* :class:`MessageWriter` — durable, batched message appends (ack after commit).
"""

from kefu.store.database import Database, DatabaseError
from kefu.store.errors import (
    AgentExistsError,
    AgentNotFoundError,
    ConversationClosedError,
    ConversationNotFoundError,
    SenderNotAllowedError,
    StoreError,
    WriterClosedError,
)
from kefu.store.records import (
    BOT_SENDER_ID,
    Agent,
    AuditEntry,
    Conversation,
    ConversationStatus,
    NewMessage,
    SenderKind,
    StoredEvent,
    StoredMessage,
    Visitor,
)
from kefu.store.repositories import (
    Agents,
    AuditLog,
    Conversations,
    Events,
    Messages,
    Visitors,
    new_id,
)
from kefu.store.writer import MessageWriter, WriterStats

__all__ = [
    "BOT_SENDER_ID",
    "Agent",
    "AgentExistsError",
    "AgentNotFoundError",
    "Agents",
    "AuditEntry",
    "AuditLog",
    "Conversation",
    "ConversationClosedError",
    "ConversationNotFoundError",
    "ConversationStatus",
    "Conversations",
    "Database",
    "DatabaseError",
    "Events",
    "MessageWriter",
    "Messages",
    "NewMessage",
    "SenderKind",
    "SenderNotAllowedError",
    "StoreError",
    "StoredEvent",
    "StoredMessage",
    "Visitor",
    "Visitors",
    "WriterClosedError",
    "WriterStats",
    "new_id",
]
