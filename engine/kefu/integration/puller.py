"""The incremental puller: reads a legacy table by cursor ``(updated_at, id)``, at-least-once.

Each poll reads rows strictly after the stored cursor in ``(updated_at, id)`` order, a page at a
time. For every page, the rows' events (through the same idempotent inbox as webhooks) and the
new cursor are committed in one transaction of Kefu's store, so:

* a restart resumes exactly after the last committed page: nothing skipped, nothing re-sent;
* rows sharing one ``updated_at`` are told apart by ``id``, even across a page boundary;
* a row updated again gets a new ``updated_at`` and therefore a new event;
* a row committed late with an *older* ``updated_at`` than the cursor (a long transaction in
  the legacy system) is caught by the optional ``overlap`` look-back, which re-reads that many
  seconds behind the cursor; re-read rows already seen are recognised by their event id.

The event id is derived from (puller name, row id, updated_at), so a row version is accepted
once whatever happens. Rows whose ``updated_at`` is NULL are never read. Run one puller per
name at a time; a second one would only produce duplicates the inbox drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kefu.bus.events import Event
from kefu.integration import tables
from kefu.integration.inbox import BUSINESS_STREAM, Intake, record_in
from kefu.integration.outbox import OutboxRelay
from kefu.store.database import Database
from kefu.store.records import utcnow

log = logging.getLogger(__name__)


class PullerConfigError(ValueError):
    """The puller's table or columns do not exist or cannot be used."""


@dataclass(frozen=True, slots=True)
class PullSpec:
    """What to pull: the table, its cursor columns and how rows become events."""

    name: str
    table: str
    id_column: str = "id"
    updated_column: str = "updated_at"
    event_type: str = "legacy.row.changed"
    customer_column: str | None = None
    columns: Sequence[str] | None = None
    batch: int = 500
    overlap: float = 0.0


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a puller stopped: the last row's ``(updated_at, id)``."""

    updated: Any
    id: Any


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did."""

    read: int
    accepted: int
    pages: int


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return date.fromisoformat(value["date"])
        if "decimal" in value:
            return Decimal(value["decimal"])
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


class IncrementalPuller:
    """Polls one legacy table into Kefu's event log and bus."""

    def __init__(
        self,
        source: AsyncEngine,
        database: Database,
        spec: PullSpec,
        *,
        stream: str = BUSINESS_STREAM,
        relay: OutboxRelay | None = None,
        source_label: str | None = None,
    ) -> None:
        if spec.batch < 1 or spec.overlap < 0 or not spec.name or len(spec.name) > 128:
            raise PullerConfigError("batch must be >= 1, overlap >= 0, name 1-128 characters")
        self._source = source
        self._db = database
        self.spec = spec
        self._stream = stream
        self._relay = relay
        self._sender = source_label or f"pull:{spec.name}"
        self._event_source = f"kefu://pull/{spec.name}"
        self._table: sa.Table | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def source(self) -> AsyncEngine:
        """The legacy database's engine."""
        return self._source

    async def _reflect(self) -> sa.Table:
        if self._table is not None:
            return self._table
        spec = self.spec

        def reflect(conn: sa.Connection) -> sa.Table:
            try:
                return sa.Table(spec.table, sa.MetaData(), autoload_with=conn)
            except sa.exc.NoSuchTableError as exc:
                raise PullerConfigError(f"puller {spec.name}: no table {spec.table!r}") from exc

        async with self._source.connect() as conn:
            table = await conn.run_sync(reflect)
        wanted = [spec.id_column, spec.updated_column, *(spec.columns or ())]
        if spec.customer_column:
            wanted.append(spec.customer_column)
        missing = [c for c in wanted if c not in table.c]
        if missing:
            raise PullerConfigError(
                f"puller {spec.name}: table {spec.table!r} has no column(s) {missing}; "
                f"it has {list(table.c.keys())}"
            )
        self._table = table
        return table

    async def cursor(self) -> Cursor | None:
        """The stored cursor, or None before the first committed page."""
        async with self._db.read() as conn:
            return await self._load(conn)

    async def _load(self, conn: AsyncConnection) -> Cursor | None:
        c = tables.cursors
        row = (
            await conn.execute(sa.select(c.c.position).where(c.c.name == self.spec.name))
        ).first()
        if row is None:
            return None
        position = row.position
        return Cursor(_decode(position["updated"]), _decode(position["id"]))

    async def _save(self, conn: AsyncConnection, cursor: Cursor, rows: int) -> None:
        c = tables.cursors
        position = {"updated": _encode(cursor.updated), "id": _encode(cursor.id)}
        now = utcnow()
        updated = await conn.execute(
            sa.update(c)
            .where(c.c.name == self.spec.name)
            .values(position=position, rows_seen=c.c.rows_seen + rows, updated_at=now)
        )
        if updated.rowcount == 0:
            await conn.execute(
                sa.insert(c).values(
                    name=self.spec.name, position=position, rows_seen=rows, updated_at=now
                )
            )

    def _columns(self, table: sa.Table) -> list[sa.ColumnElement[Any]]:
        if self.spec.columns is None:
            return list(table.c)
        names = dict.fromkeys(
            [self.spec.id_column, self.spec.updated_column, *self.spec.columns]
            + ([self.spec.customer_column] if self.spec.customer_column else [])
        )
        return [table.c[n] for n in names]

    async def _page(self, cursor: Cursor | None) -> list[dict[str, Any]]:
        table = await self._reflect()
        upd, rid = table.c[self.spec.updated_column], table.c[self.spec.id_column]
        query = sa.select(*self._columns(table)).where(upd.is_not(None))
        if cursor is not None:
            query = query.where(
                sa.or_(upd > cursor.updated, sa.and_(upd == cursor.updated, rid > cursor.id))
            )
        query = query.order_by(upd, rid).limit(self.spec.batch)
        async with self._source.connect() as conn:
            result = await conn.execute(query)
            return [dict(r._mapping) for r in result]

    def _event(self, row: dict[str, Any]) -> Event:
        spec = self.spec
        updated = row[spec.updated_column]
        key = f"{spec.name}|{row[spec.id_column]!r}|{_encode(updated)!r}".encode()
        data = {k: _jsonable(v) for k, v in row.items()}
        if spec.customer_column and row.get(spec.customer_column) is not None:
            data["customer_id"] = str(row[spec.customer_column])
        when = updated if isinstance(updated, datetime) else utcnow()
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return Event(
            id="pull-" + hashlib.sha256(key).hexdigest()[:40],
            type=spec.event_type,
            source=self._event_source,
            subject=data.get("customer_id"),
            time=when,
            data=data,
        )

    async def _commit(self, rows: list[dict[str, Any]], cursor: Cursor | None) -> int:
        accepted = 0
        async with self._db.write() as conn:
            for row in rows:
                intake = await record_in(conn, self._sender, self._event(row), stream=self._stream)
                accepted += intake is Intake.ACCEPTED
            if cursor is not None:
                await self._save(conn, cursor, len(rows))
        return accepted

    async def poll(self, *, max_pages: int | None = None) -> PollResult:
        """Read and commit pages until caught up (or ``max_pages``); then look back."""
        cursor = await self.cursor()
        read = accepted = pages = 0
        while max_pages is None or pages < max_pages:
            rows = await self._page(cursor)
            if not rows:
                break
            last = rows[-1]
            cursor = Cursor(last[self.spec.updated_column], last[self.spec.id_column])
            accepted += await self._commit(rows, cursor)
            read += len(rows)
            pages += 1
            if len(rows) < self.spec.batch:
                break
        if self.spec.overlap > 0 and cursor is not None:
            late = await self._look_back(cursor)
            if late:
                accepted += await self._commit(late, None)
                read += len(late)
        if accepted and self._relay is not None:
            self._relay.wake()
        return PollResult(read, accepted, pages)

    async def _look_back(self, cursor: Cursor) -> list[dict[str, Any]]:
        if not isinstance(cursor.updated, datetime):
            return []
        table = await self._reflect()
        upd, rid = table.c[self.spec.updated_column], table.c[self.spec.id_column]
        since = cursor.updated - timedelta(seconds=self.spec.overlap)
        query = (
            sa.select(*self._columns(table))
            .where(
                upd >= since,
                sa.or_(upd < cursor.updated, sa.and_(upd == cursor.updated, rid <= cursor.id)),
            )
            .order_by(upd, rid)
            .limit(self.spec.batch)
        )
        async with self._source.connect() as conn:
            rows = [dict(r._mapping) for r in await conn.execute(query)]
        if len(rows) == self.spec.batch:
            log.warning(
                "puller %s: look-back window holds more than %d rows", self.spec.name, len(rows)
            )
        return rows

    async def run(self, interval: float = 5.0) -> None:
        """Poll every ``interval`` seconds until cancelled; failures are logged and retried."""
        while True:
            try:
                await self.poll()
            except PullerConfigError:
                log.exception("puller %s: misconfigured, stopped", self.spec.name)
                raise
            except Exception:
                log.exception("puller %s: poll failed", self.spec.name)
            await asyncio.sleep(interval)

    def start(self, interval: float = 5.0) -> None:
        """Poll in a background task."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(
                self.run(interval), name=f"kefu-puller-{self.spec.name}"
            )

    async def stop(self) -> None:
        """Stop polling (the cursor stays where the last page committed)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
