"""An index on conversations.created_at: reports select conversations by the period they began.

Revision ID: 0300_reports
Revises: 0200_security
"""

from __future__ import annotations

from alembic import op

revision = "0300_reports"
down_revision = "0200_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_created_at", table_name="conversations")
