"""The security module's tables, on the store's metadata (migration 0200_security)."""

from __future__ import annotations

import sqlalchemy as sa

from kefu.store.schema import BigId, Timestamp, metadata

#: One row per refresh token ever issued (hashed); a family is one login's rotation chain.
refresh_tokens = sa.Table(
    "security_refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("agent_id", sa.String(32), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp, nullable=True),
    sa.Column("revoked_at", Timestamp, nullable=True),
    sa.Index("ix_security_refresh_tokens_family", "family"),
)

#: API keys of business systems: only a SHA-256 of the secret is stored.
api_keys = sa.Table(
    "security_api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # Set when the key was rotated out: it keeps working until then.
    sa.Column("expires_at", Timestamp, nullable=True),
    sa.Column("revoked_at", Timestamp, nullable=True),
    sa.Column("replaced_by", sa.String(32), nullable=True),
)

#: The single row naming the last sealed audit entry and its hash (the chain head).
audit_head = sa.Table(
    "security_audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_hash", sa.String(64), nullable=False, server_default=""),
)

#: Requests to see one field of one customer in clear, and their decisions.
unmask_grants = sa.Table(
    "security_unmask_grants",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("agent_id", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("field", sa.String(128), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    # pending | approved | denied
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=True),
    sa.Column("decided_by", sa.String(32), nullable=True),
    sa.Index("ix_security_unmask_grants_agent_id_customer_id", "agent_id", "customer_id"),
)

#: The columns of the store's tables that the security migration added.
agent_roles = sa.table(
    "agents",
    sa.column("id", sa.String),
    sa.column("username", sa.String),
    sa.column("role", sa.String),
)
audit_chain = sa.table(
    "audit_entries",
    sa.column("id", BigId),
    sa.column("time", Timestamp),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("subject", sa.String),
    sa.column("data", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
