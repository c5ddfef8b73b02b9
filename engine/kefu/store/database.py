"""Connections to Kefu's database: SQLite (WAL, one writer) or PostgreSQL, behind one small class.

SQLite allows one writer at a time. Kefu therefore gives SQLite a dedicated write engine with a
single pooled connection whose transactions start with ``BEGIN IMMEDIATE``: writers queue on the
pool inside a process and on ``busy_timeout`` across processes, and a read-then-write transaction
can never fail half way with "database is locked". Reads use a separate pool and, thanks to WAL,
never wait for the writer. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

#: Applied to every SQLite connection. FULL makes a committed transaction survive power loss,
#: not only a killed process; group commit amortises the extra fsync.
SQLITE_PRAGMAS: tuple[str, ...] = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-16000",
)


class DatabaseError(Exception):
    """The database URL is unusable or the database cannot be reached."""


def _install_sqlite_hooks(engine: AsyncEngine, *, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if writer:
            # Take transaction control away from the driver so BEGIN is ours to emit.
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    if writer:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engines for one database URL, with read and write connection scopes."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise DatabaseError(f"invalid database URL {url!r}: {exc}") from exc
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # No rollback when the connection goes back to the pool: every writer ends its
            # transaction itself (engine.begin() or the message writer's COMMIT/ROLLBACK), and
            # the driver runs in autocommit, so that rollback would be one more round trip to
            # the driver's thread per group commit for nothing.
            self._writer = create_async_engine(
                url, echo=echo, pool_size=1, max_overflow=0, pool_reset_on_return=None
            )
            self._reader = create_async_engine(url, echo=echo, pool_size=4, max_overflow=4)
            _install_sqlite_hooks(self._writer, writer=True)
            # Readers keep the driver's default: plain SELECTs open no transaction at all.
            _install_sqlite_hooks(self._reader, writer=False)
        elif self.dialect == "postgresql":
            self._writer = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True
            )
            self._reader = self._writer
        else:
            raise DatabaseError(
                f"unsupported database {self.dialect!r}: use sqlite+aiosqlite:// or "
                "postgresql+asyncpg://"
            )

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite backend."""
        return self.dialect == "sqlite"

    @property
    def write_engine(self) -> AsyncEngine:
        """The engine writers use (one connection on SQLite)."""
        return self._writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a write transaction: committed on clean exit, rolled back on error."""
        async with self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (a consistent snapshot is not guaranteed across statements)."""
        async with self._reader.connect() as conn:
            yield conn

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision shipped with Kefu."""
        from kefu.store.migrate import upgrade_to_head

        async with self._writer.begin() as conn:
            await conn.run_sync(upgrade_to_head)

    async def ping(self) -> None:
        """Run a trivial query; raises DatabaseError when the database cannot be reached."""
        try:
            async with self.read() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            raise DatabaseError(f"database {self.safe_url} is unreachable: {exc}") from exc

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for logs and errors."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def close(self) -> None:
        """Dispose of every pooled connection."""
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()
