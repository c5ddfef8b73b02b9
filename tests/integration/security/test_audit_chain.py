"""The hash-chained audit trail on SQLite and PostgreSQL: edits and deletions are named."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from fixtures_servers import create_pg_database, drop_pg_database, pg_url
from kefu.cli import main
from kefu.security.audit import AuditChain
from kefu.store.database import Database
from kefu.store.repositories import AuditLog


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"
    else:
        name = await create_pg_database()
        yield pg_url(name)
        await drop_pg_database(name)


async def _append(database: Database, n: int) -> None:
    for i in range(n):
        async with database.write() as conn:
            await AuditLog(conn).record(f"agent:a{i}", "agent.login", f"agent:a{i}", {"n": i})


async def test_edits_and_deletions_are_detected_and_named(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(database_url)
    await database.migrate()
    chain = AuditChain(database, settle=0)
    try:
        await _append(database, 6)
        assert await chain.seal() == 6
        assert await chain.seal() == 0
        assert await chain.verify() == []
        rows = await chain.query()
        assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
        ids = [r.id for r in rows]
        async with database.write() as conn:
            await conn.execute(
                sa.text("UPDATE audit_entries SET actor = 'agent:mallory' WHERE id = :id"),
                {"id": ids[1]},
            )
            await conn.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[3]})
        problems = {(p.entry_id, p.kind) for p in await chain.verify()}
        assert problems == {(ids[1], "edited"), (ids[4], "deleted_before")}
        # Deleting the newest entry is caught by the chain head.
        async with database.write() as conn:
            await conn.execute(sa.text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[5]})
        kinds = {p.kind for p in await chain.verify()}
        assert "deleted_after" in kinds
    finally:
        await database.close()

    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_SECRET_KEY", "x" * 40)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {ids[1]}: edited" in result.output
    assert f"entry {ids[4]}: deleted_before" in result.output
    exported = await asyncio.to_thread(
        CliRunner().invoke, main, ["audit", "export", "--format", "csv"]
    )
    assert exported.exit_code == 0 and "agent:mallory" in exported.output


async def test_an_intact_trail_verifies_and_new_entries_keep_the_chain(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(database_url)
    await database.migrate()
    chain = AuditChain(database, settle=0)
    try:
        await _append(database, 3)
        await chain.seal()
        await _append(database, 2)
        assert await chain.seal() == 2
        assert await chain.verify() == []
    finally:
        await database.close()
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_SECRET_KEY", "x" * 40)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output, result.output
