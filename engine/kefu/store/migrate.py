"""Applies Kefu's Alembic migrations programmatically, from the scripts shipped in the package."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: Arbitrary constant: the PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_KEY = 0x6B656675  # "kefu"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: sa.Connection) -> None:
    """Upgrade the database behind ``connection`` to every newest revision (idempotent).

    Upgrading to ``heads`` (not ``head``) lets independent modules ship their own branch of
    revisions off the initial schema without having to agree on one linear order.

    Several processes may start at once against one PostgreSQL database; a transaction-scoped
    advisory lock lets the first upgrade while the others wait and then find nothing to do.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    command.upgrade(alembic_config(connection), "heads")
