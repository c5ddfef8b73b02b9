"""``kefu audit``: verify the tamper-evident audit trail and export it."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from kefu.security.audit import AuditChain, export_csv
from kefu.settings import load_settings
from kefu.store.database import Database

T = TypeVar("T")


def _run(work: Callable[[AuditChain], Awaitable[T]]) -> T:
    async def main() -> T:
        database = Database(load_settings().resolved_database_url)
        try:
            await database.migrate()
            return await work(AuditChain(database))
        finally:
            await database.close()

    return asyncio.run(main())


@click.group("audit")
def audit() -> None:
    """The audit trail: every entry chained to the previous one by hash."""


@audit.command("verify")
@click.option("--seal/--no-seal", default=True, help="chain new entries before verifying")
def verify(seal: bool) -> None:
    """Recompute the chain; names every edited entry and deletion (exit status 1)."""

    async def work(chain: AuditChain) -> list[str]:
        if seal:
            await chain.seal()
        return [f"entry {p.entry_id}: {p.kind}: {p.detail}" for p in await chain.verify()]

    problems = _run(work)
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)
    click.echo("audit trail intact")


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="json")
@click.option("--limit", type=int, default=100_000)
def export(fmt: str, limit: int) -> None:
    """Write the trail to stdout as CSV or JSON lines."""

    async def work(chain: AuditChain) -> str:
        records = await chain.query(limit=limit)
        if fmt == "csv":
            return export_csv(records)
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)

    click.echo(_run(work), nl=False)
