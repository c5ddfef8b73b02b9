"""Fixtures for real services: a fresh PostgreSQL database, Redis, and Kefu server processes.

Missing services fail the tests that need them (never skip).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
import redis

from kefu.store.database import Database
from support.server import ServerProcess, free_port, server_env

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_BASE = "redis://127.0.0.1:6379"
#: The Redis database Kefu's gateway tests use (pub/sub ignores it; keys are prefixed anyway).
REDIS_DB = 11


async def create_pg_database() -> str:
    """Create an empty PostgreSQL database with a unique name; returns the name."""
    name = f"kefu_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN_DSN} is unreachable: {exc}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def drop_pg_database(name: str) -> None:
    """Drop a database made by create_pg_database, disconnecting its sessions."""
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def pg_url(name: str) -> str:
    """The SQLAlchemy asyncpg URL of a database on the test server."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


@asynccontextmanager
async def migrated_database(kind: str, directory: Path) -> AsyncIterator[Database]:
    """A fresh database with Kefu's schema: a SQLite file in ``directory``, or a PostgreSQL
    database of its own (``kind`` "postgres"), closed and dropped afterwards."""
    name = ""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'kefu.db'}"
    else:
        name = await create_pg_database()
        url = pg_url(name)
    database = Database(url)
    try:
        await database.migrate()
        yield database
    finally:
        await database.close()
        if name:
            await drop_pg_database(name)


@pytest.fixture
async def fresh_pg_url() -> AsyncIterator[str]:
    """The asyncpg URL of a PostgreSQL database created for one test (dropped afterwards)."""
    name = await create_pg_database()
    yield pg_url(name)
    await drop_pg_database(name)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the test Redis database (fails when Redis is down)."""
    url = f"{REDIS_BASE}/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is unreachable: {exc}")
    return url


ServerFactory = Callable[..., ServerProcess]


class _Servers:
    """Starts servers under one directory and stops them all at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[ServerProcess] = []

    def start(self, data_dir: Path | None = None, **settings: str) -> ServerProcess:
        n = len(self.started)
        port = free_port()
        directory = data_dir or self.root / f"server{n}"
        directory.mkdir(parents=True, exist_ok=True)
        server = ServerProcess(
            env=server_env(directory, port, **settings),
            port=port,
            log_path=self.root / f"server{n}-{port}.log",
        )
        self.started.append(server)
        server.start()
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def kefu_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start Kefu servers: ``kefu_server(data_dir=..., **settings)``; all stop at teardown.

    Settings are ``Settings`` field names (``database_url``, ``bus_url``, ``secret_key``...),
    passed as KEFU_* variables; each server gets its own free port and log file.
    """
    servers = _Servers(tmp_path)
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="module")
def kefu_module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Like ``kefu_server``, for servers shared by the tests of one module."""
    servers = _Servers(tmp_path_factory.mktemp("kefu-servers"))
    yield servers.start
    servers.stop_all()
