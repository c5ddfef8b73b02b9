"""The relational schema of Kefu's store, as SQLAlchemy Core tables (the migrations mirror it)."""

from __future__ import annotations

import sqlalchemy as sa

#: Naming convention so that constraints have stable names on every backend (Alembic needs them).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

#: The largest integer a 64-bit SQL column holds: the bound of every id or offset in the API.
SQL_INT_MAX = 2**63 - 1

#: A 64-bit autoincrementing key that SQLite also treats as its rowid.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

visitors = sa.Table(
    "visitors",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", Timestamp, nullable=False),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    # Live sockets across all processes; > 0 means online.
    sa.Column("online_sessions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_assigned_at", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("visitor_id", sa.String(32), sa.ForeignKey("visitors.id"), nullable=False),
    # bot | queued | assigned | closed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("agent_id", sa.String(32), sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("visitor_read_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("agent_read_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("queued_at", Timestamp, nullable=True),
    sa.Column("assigned_at", Timestamp, nullable=True),
    sa.Column("closed_at", Timestamp, nullable=True),
    sa.Index("ix_conversations_status_queued_at", "status", "queued_at"),
    sa.Index("ix_conversations_agent_id_status", "agent_id", "status"),
    sa.Index("ix_conversations_visitor_id", "visitor_id"),
    sa.Index("ix_conversations_created_at", "created_at"),  # reports select by period
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("client_msg_id", sa.String(64), nullable=False),
    # visitor | agent | bot
    sa.Column("sender_kind", sa.String(16), nullable=False),
    # The visitor's or agent's id, or "bot".
    sa.Column("sender_id", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # What the other side sees when a filter masked the text; NULL when nothing was masked.
    sa.Column("redacted", sa.Text, nullable=True),
    sa.Column("verdicts", sa.JSON, nullable=False),
    sa.Column("filter_action", sa.String(8), nullable=False),
    sa.Column("blocked", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
    # A resend is the same sender reusing a client id; senders' id schemes may collide.
    sa.UniqueConstraint(
        "conversation_id",
        "sender_id",
        "client_msg_id",
        name="uq_messages_conversation_sender_client_msg",
    ),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("source", sa.String(256), nullable=False),
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("subject", sa.String(256), nullable=True),
    sa.Column("data", sa.JSON, nullable=True),
    sa.Index("ix_events_subject_time", "subject", "time"),
    sa.Index("ix_events_type_time", "type", "time"),
)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(128), nullable=False),
    sa.Column("subject", sa.String(256), nullable=False),
    sa.Column("data", sa.JSON, nullable=True),
    sa.Index("ix_audit_entries_subject_time", "subject", "time"),
)
