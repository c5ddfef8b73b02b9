"""``kefu keys``: create, rotate, revoke and list the API keys of business systems."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import click

from kefu.security.apikeys import SCOPES, ApiKeyError, ApiKeys
from kefu.security.settings import SecuritySettings
from kefu.settings import load_settings
from kefu.store.database import Database
from kefu.store.repositories import AuditLog

T = TypeVar("T")


def _run(work: Callable[[ApiKeys, Database], Awaitable[T]]) -> T:
    async def main() -> T:
        database = Database(load_settings().resolved_database_url)
        try:
            await database.migrate()
            return await work(ApiKeys(database), database)
        finally:
            await database.close()

    try:
        return asyncio.run(main())
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc


async def _audit(database: Database, action: str, key_id: str) -> None:
    async with database.write() as conn:
        await AuditLog(conn).record("cli", action, f"apikey:{key_id}")


@click.group("keys")
def keys() -> None:
    """API keys of business systems (stored hashed; a key is shown once)."""


@keys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(sorted(SCOPES)),
    help="repeat for several scopes",
)
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a key NAME with scopes; prints the key once."""

    async def work(store: ApiKeys, database: Database) -> str:
        issued = await store.create(name, scopes)
        await _audit(database, "apikey.create", issued.info.id)
        return json.dumps({"id": issued.info.id, "key": issued.key, "scopes": list(scopes)})

    click.echo(_run(work))


@keys.command("rotate")
@click.argument("key_id")
@click.option("--overlap", type=float, default=None, help="seconds the old key keeps working")
def rotate(key_id: str, overlap: float | None) -> None:
    """Issue a successor for KEY_ID; the old key works during the overlap window."""
    seconds = SecuritySettings().key_overlap if overlap is None else overlap

    async def work(store: ApiKeys, database: Database) -> str:
        issued = await store.rotate(key_id, timedelta(seconds=seconds))
        await _audit(database, "apikey.rotate", key_id)
        return json.dumps({"id": issued.info.id, "key": issued.key, "replaces": key_id})

    click.echo(_run(work))


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke KEY_ID now (every process refuses it from its next request)."""

    async def work(store: ApiKeys, database: Database) -> str:
        info = await store.revoke(key_id)
        await _audit(database, "apikey.revoke", key_id)
        return json.dumps(info.to_dict())

    click.echo(_run(work))


@keys.command("list")
def list_keys() -> None:
    """Every key as JSON lines (never the secrets)."""

    async def work(store: ApiKeys, _database: Database) -> list[str]:
        return [json.dumps(k.to_dict()) for k in await store.list()]

    for line in _run(work):
        click.echo(line)
