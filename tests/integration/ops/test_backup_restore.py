"""A backup restores every message and audit entry, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa

from kefu.ops.backup import BackupError, backup, restore, verify
from kefu.store import schema
from kefu.store.database import Database
from kefu.store.records import NewMessage, SenderKind
from kefu.store.repositories import AuditLog, Conversations, Visitors, append_batch

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


async def fill(db: Database, messages: int = 25) -> None:
    """A conversation with messages (Chinese and English) and audit entries."""
    async with db.write() as conn:
        visitor = await Visitors(conn).create("李雷")
        conversation = await Conversations(conn).create(visitor.id)
        batch = [
            NewMessage(conversation.id, f"m{i}", SenderKind.VISITOR, visitor.id, f"消息 {i} hello")
            for i in range(messages)
        ]
        stored = await append_batch(conn, batch)
        assert not any(isinstance(s, Exception) for s in stored)
        for i in range(5):
            await AuditLog(conn).record("agent:alice", "unmask", conversation.id, {"n": i})


async def snapshot(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every message and audit entry, in a comparable form."""
    m, a = schema.messages, schema.audit_entries
    async with db.read() as conn:
        msgs = (
            await conn.execute(sa.select(m.c.conversation_id, m.c.seq, m.c.text).order_by(m.c.id))
        ).all()
        audit = (
            await conn.execute(sa.select(a.c.id, a.c.actor, a.c.action, a.c.data).order_by(a.c.id))
        ).all()
    return [tuple(r) for r in msgs], [tuple(r) for r in audit]


@pytest.fixture
async def pg_urls() -> AsyncIterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases: the source and the restore target."""
    names = [f"kefu_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = await asyncpg.connect(PG_ADMIN)
    for name in names:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{n}" for n in names)  # type: ignore[misc]
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_sqlite_backup_restores_everything(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live' / 'kefu.db'}"
    db = Database(url)
    await db.migrate()
    await fill(db)
    before = await snapshot(db)
    out = backup(url, tmp_path / "backups")  # taken while the database is open
    manifest = verify(out)
    assert manifest.row_counts["messages"] == 25
    assert manifest.row_counts["audit_entries"] == 5
    await fill(db, 3)  # changes after the backup must not come back
    await db.close()

    with pytest.raises(BackupError, match="exists; pass force"):
        restore(out, url)
    restore(out, url, force=True)
    restored = Database(url)
    assert await snapshot(restored) == before
    await restored.close()
    assert list((tmp_path / "live").glob("kefu.db.before-restore-*")), "old file kept aside"


async def test_a_corrupted_backup_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"
    db = Database(url)
    await db.migrate()
    await fill(db)
    before = await snapshot(db)
    out = backup(url, tmp_path / "backups")
    with (out / "kefu.db").open("r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00garbage\x00")
    with pytest.raises(BackupError, match="does not match its checksum"):
        restore(out, url, force=True)
    assert await snapshot(db) == before
    await db.close()


def test_a_folder_without_manifest_is_not_a_backup(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="is not a Kefu backup"):
        verify(tmp_path)


async def test_postgresql_backup_restores_everything(
    tmp_path: Path, pg_urls: tuple[str, str]
) -> None:
    source_url, target_url = pg_urls
    db = Database(source_url)
    await db.migrate()
    await fill(db)
    before = await snapshot(db)
    await db.close()
    out = backup(source_url, tmp_path)
    assert verify(out).kind == "postgresql"
    restore(out, target_url)
    target = Database(target_url)
    assert await snapshot(target) == before
    await target.close()
    with pytest.raises(BackupError, match="already holds Kefu tables"):
        restore(out, target_url)
