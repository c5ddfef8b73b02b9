"""The integration module's own tables, on the store's metadata (migration 0100_integration)."""

from __future__ import annotations

import sqlalchemy as sa

from kefu.store.schema import BigId, Timestamp, metadata

#: One row per business event Kefu accepted (webhook or pull): the idempotency record.
inbox = sa.Table(
    "integration_inbox",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("sender", sa.String(128), nullable=False),
    # SHA-256 of the canonical envelope: a replay with other content is a conflict.
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("received_at", Timestamp, nullable=False),
)

#: Events waiting to be published on the bus; written in the transaction that stored them.
outbox = sa.Table(
    "integration_outbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("stream", sa.String(200), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("published_at", Timestamp, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_integration_outbox_published_at_id", "published_at", "id"),
)

#: Where each incremental puller stopped reading its legacy table.
cursors = sa.Table(
    "integration_cursors",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("position", sa.JSON, nullable=False),
    sa.Column("rows_seen", BigId, nullable=False, server_default="0"),
    sa.Column("updated_at", Timestamp, nullable=False),
)

#: Actions requested through the action proxy, keyed by their idempotency key.
actions = sa.Table(
    "integration_actions",
    metadata,
    sa.Column("idempotency_key", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    # pending | succeeded | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_integration_actions_customer_id", "customer_id"),
)

#: Which business customer a conversation is about (set when the chat opens).
customer_links = sa.Table(
    "integration_customer_links",
    metadata,
    sa.Column("conversation_id", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("agent_id", sa.String(32), nullable=True),
    sa.Column("opened_at", Timestamp, nullable=False),
    sa.Column("closed_at", Timestamp, nullable=True),
    sa.Index("ix_integration_customer_links_customer_id", "customer_id"),
)

#: Events an idempotent consumer has handled: (consumer, event id) is processed once.
processed = sa.Table(
    "integration_processed",
    metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("processed_at", Timestamp, nullable=False),
)
