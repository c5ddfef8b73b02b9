"""Security: agent roles, refresh tokens, API keys and the hash chain of the audit log.

Revision ID: 0200_security
Revises: 0100_integration
Create Date: 2026-11-27 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200_security"
down_revision = "0100_integration"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="agent"))
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "security_refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_security_refresh_tokens")),
    )
    op.create_index("ix_security_refresh_tokens_family", "security_refresh_tokens", ["family"])
    op.create_table(
        "security_api_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("replaced_by", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_api_keys")),
    )
    op.create_table(
        "security_audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("last_hash", sa.String(64), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_audit_head")),
    )
    op.execute("INSERT INTO security_audit_head (id, last_id, last_hash) VALUES (1, 0, '')")
    op.create_table(
        "security_unmask_grants",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_unmask_grants")),
    )
    op.create_index(
        "ix_security_unmask_grants_agent_id_customer_id",
        "security_unmask_grants",
        ["agent_id", "customer_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_security_unmask_grants_agent_id_customer_id", table_name="security_unmask_grants"
    )
    op.drop_table("security_unmask_grants")
    op.drop_table("security_audit_head")
    op.drop_table("security_api_keys")
    op.drop_index("ix_security_refresh_tokens_family", table_name="security_refresh_tokens")
    op.drop_table("security_refresh_tokens")
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("role")
