"""Alembic environment: runs on the connection Kefu hands over (see kefu.store.migrate)."""

from __future__ import annotations

from alembic import context

from kefu.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Kefu's migrations run through kefu.store.migrate.upgrade_to_head, "
        "which provides the connection"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
