"""The migrations build exactly the schema the code declares, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import kefu.app  # noqa: F401  (imports every module that declares tables on the metadata)
from fixtures_servers import migrated_database
from kefu.store import Database
from kefu.store.schema import metadata


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated database of each kind."""
    async with migrated_database(request.param, tmp_path) as db:
        yield db


#: Columns migration 0200 adds that the security module reads through lightweight
#: ``sa.table`` constructs (kefu.security.tables) rather than declaring on the metadata.
OUTSIDE_METADATA = {("agents", "role"), ("audit_entries", "hash"), ("audit_entries", "prev_hash")}


def _expected(difference: Any) -> bool:
    if difference[0] == "remove_table":  # tables of other metadata (dialog state)
        return True
    return difference[0] == "remove_column" and (difference[2], difference[3].name) in (
        OUTSIDE_METADATA
    )


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [d for d in compare_metadata(context, metadata) if not _expected(d)]


async def test_migrated_schema_matches_the_declared_tables(database: Database) -> None:
    async with database.read() as conn:
        differences = await conn.run_sync(_differences)
    assert differences == []


async def test_reports_have_an_index_on_conversation_start(database: Database) -> None:
    def indexes(connection: sa.Connection) -> list[str]:
        return [i["name"] or "" for i in sa.inspect(connection).get_indexes("conversations")]

    async with database.read() as conn:
        names = await conn.run_sync(indexes)
    assert "ix_conversations_created_at" in names
