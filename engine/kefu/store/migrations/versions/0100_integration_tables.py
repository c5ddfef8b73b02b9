"""Integration tables: inbox, outbox, puller cursors, actions, customer links, processed events.

Revision ID: 0100_integration
Revises: 0002
Create Date: 2026-11-27 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100_integration"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "integration_inbox",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_integration_inbox")),
    )
    op.create_table(
        "integration_outbox",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_outbox")),
    )
    op.create_index(
        "ix_integration_outbox_published_at_id", "integration_outbox", ["published_at", "id"]
    )
    op.create_table(
        "integration_cursors",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("rows_seen", _BIG_ID, server_default="0", nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_integration_cursors")),
    )
    op.create_table(
        "integration_actions",
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_integration_actions")),
    )
    op.create_index(
        "ix_integration_actions_customer_id", "integration_actions", ["customer_id"]
    )
    op.create_table(
        "integration_customer_links",
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(32), nullable=True),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_integration_customer_links")),
    )
    op.create_index(
        "ix_integration_customer_links_customer_id",
        "integration_customer_links",
        ["customer_id"],
    )
    op.create_table(
        "integration_processed",
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("processed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_integration_processed")),
    )


def downgrade() -> None:
    op.drop_table("integration_processed")
    op.drop_index(
        "ix_integration_customer_links_customer_id", table_name="integration_customer_links"
    )
    op.drop_table("integration_customer_links")
    op.drop_index("ix_integration_actions_customer_id", table_name="integration_actions")
    op.drop_table("integration_actions")
    op.drop_table("integration_cursors")
    op.drop_index("ix_integration_outbox_published_at_id", table_name="integration_outbox")
    op.drop_table("integration_outbox")
    op.drop_table("integration_inbox")
