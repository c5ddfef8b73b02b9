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
from kefu.store.schema import SQL_INT_MAX


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


async def test_pages_read_oldest_first_or_newest_first(database_url: str) -> None:
    database = Database(database_url)
    await database.migrate()
    chain = AuditChain(database, settle=0)
    try:
        await _append(database, 7)
        ids = [r.id for r in await chain.query()]
        assert ids == sorted(ids) and len(ids) == 7
        assert [r.id for r in await chain.query(after_id=ids[2], limit=2)] == ids[3:5]
        newest = await chain.query(before_id=SQL_INT_MAX, limit=3)
        assert [r.id for r in newest] == ids[::-1][:3]
        older = await chain.query(before_id=newest[-1].id, limit=3)
        assert [r.id for r in older] == ids[::-1][3:6]
        only = await chain.query(before_id=SQL_INT_MAX, actor="agent:a1")
        assert [r.actor for r in only] == ["agent:a1"]
    finally:
        await database.close()
