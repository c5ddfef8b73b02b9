"""The tamper-evident audit trail: every entry chained to the previous one by SHA-256.

Entries are appended by :class:`~kefu.store.repositories.AuditLog` (anywhere in Kefu); the
:class:`AuditChain` *seals* them in id order, setting ``prev_hash`` and ``hash`` =
SHA-256(prev_hash + canonical entry), and records the last sealed entry in the single row of
``security_audit_head``. Sealing is serialised by locking that row (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite has a single writer). A running server seals every half second.

:func:`verify_chain` recomputes the chain and names every edited entry and every place where
entries were deleted (a broken link, or a head that no longer matches the last entry).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kefu.security.tables import audit_chain, audit_head
from kefu.store.database import Database
from kefu.store.records import as_utc, utcnow

log = logging.getLogger(__name__)

_BATCH = 1000


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry of the trail as read back."""

    id: int
    time: datetime
    actor: str
    action: str
    subject: str
    data: Mapping[str, Any]
    prev_hash: str | None
    hash: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "data": dict(self.data),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Something verification found: which entry, and what happened to it."""

    entry_id: int
    kind: str  # "edited" | "deleted_before" | "deleted_after" | "unsealed_gap"
    detail: str


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        id=int(row.id),
        time=as_utc(row.time),
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        data=dict(row.data or {}),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def entry_hash(prev_hash: str, record: AuditRecord) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(
        [
            record.id,
            record.time.isoformat(),
            record.actor,
            record.action,
            record.subject,
            dict(record.data),
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class AuditChain:
    """Seals, verifies, queries and exports the audit trail."""

    def __init__(
        self, database: Database, *, interval: float = 0.5, settle: float | None = None
    ) -> None:
        self._database = database
        self._interval = interval
        # PostgreSQL may commit a lower id after a higher one: leave fresh entries a moment.
        self._settle = (0.0 if database.is_sqlite else 2.0) if settle is None else settle
        self._task: asyncio.Task[None] | None = None

    async def seal(self) -> int:
        """Chain every unsealed entry; returns how many were sealed."""
        sealed = 0
        cutoff = utcnow() - timedelta(seconds=self._settle)
        async with self._database.write() as conn:
            head = (
                await conn.execute(
                    sa.select(audit_head.c.last_id, audit_head.c.last_hash)
                    .where(audit_head.c.id == 1)
                    .with_for_update()
                )
            ).one()
            last_id, last_hash = int(head.last_id), str(head.last_hash)
            while True:
                rows = (
                    await conn.execute(
                        sa.select(audit_chain)
                        .where(audit_chain.c.id > last_id)
                        .order_by(audit_chain.c.id)
                        .limit(_BATCH)
                    )
                ).all()
                if not rows:
                    break
                fresh = False
                for row in rows:
                    record = _record(row)
                    if self._settle and record.time > cutoff:
                        fresh = True
                        break
                    digest = entry_hash(last_hash, record)
                    await conn.execute(
                        sa.update(audit_chain)
                        .where(audit_chain.c.id == record.id)
                        .values(prev_hash=last_hash, hash=digest)
                    )
                    last_id, last_hash = record.id, digest
                    sealed += 1
                if fresh:
                    break
            if sealed:
                await conn.execute(
                    sa.update(audit_head)
                    .where(audit_head.c.id == 1)
                    .values(last_id=last_id, last_hash=last_hash)
                )
        return sealed

    async def verify(self) -> list[ChainProblem]:
        """Every edited entry and every deletion, in id order (empty: the chain is intact)."""
        problems: list[ChainProblem] = []
        async with self._database.read() as conn:
            head = (await conn.execute(sa.select(audit_head).where(audit_head.c.id == 1))).one()
            expected_prev = ""
            previous_id = 0
            after = 0
            while True:
                rows = (
                    await conn.execute(
                        sa.select(audit_chain)
                        .where(audit_chain.c.id > after, audit_chain.c.id <= head.last_id)
                        .order_by(audit_chain.c.id)
                        .limit(_BATCH)
                    )
                ).all()
                if not rows:
                    break
                for row in rows:
                    record = _record(row)
                    after = record.id
                    if record.hash is None:
                        problems.append(
                            ChainProblem(record.id, "edited", "an unsealed entry inside the chain")
                        )
                        continue
                    if record.prev_hash != expected_prev:
                        problems.append(
                            ChainProblem(
                                record.id,
                                "deleted_before",
                                f"the link to the entry before it (id {previous_id}) is broken: "
                                f"entries between {previous_id} and {record.id} were deleted",
                            )
                        )
                    if entry_hash(record.prev_hash or "", record) != record.hash:
                        problems.append(
                            ChainProblem(record.id, "edited", f"entry {record.id} was edited")
                        )
                    expected_prev = record.hash
                    previous_id = record.id
            if head.last_id and (previous_id != head.last_id or expected_prev != head.last_hash):
                problems.append(
                    ChainProblem(
                        int(head.last_id),
                        "deleted_after",
                        f"the chain ends at entry {previous_id} but its head names entry "
                        f"{head.last_id}: the last entries were deleted",
                    )
                )
        return problems

    async def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        subject: str | None = None,
        since: datetime | None = None,
        after_id: int = 0,
        before_id: int | None = None,
        limit: int = 200,
    ) -> list[AuditRecord]:
        """Entries matching every given filter: oldest first from ``after_id``, or newest first
        below ``before_id`` when it is given."""
        a = audit_chain
        query = sa.select(a).where(a.c.id > after_id)
        if before_id is not None:
            query = query.where(a.c.id < before_id)
        if actor:
            query = query.where(a.c.actor == actor)
        if action:
            query = query.where(a.c.action == action)
        if subject:
            query = query.where(a.c.subject == subject)
        if since is not None:
            query = query.where(a.c.time >= since)
        async with self._database.read() as conn:
            order = a.c.id.desc() if before_id is not None else a.c.id
            rows = await conn.execute(query.order_by(order).limit(limit))
            return [_record(r) for r in rows]

    def start(self) -> None:
        """Seal in the background every ``interval`` seconds."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="kefu-audit-sealer")

    async def close(self) -> None:
        """Stop sealing (after a last pass)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.seal()

    async def _loop(self) -> None:
        while True:
            try:
                await self.seal()
            except Exception:
                log.warning("could not seal the audit trail", exc_info=True)
            await asyncio.sleep(self._interval)


def _cell(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def export_csv(records: Sequence[AuditRecord]) -> str:
    """Records as CSV with a header row (``data`` as JSON; formula-like cells neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "time", "actor", "action", "subject", "data", "prev_hash", "hash"])
    for r in records:
        writer.writerow(
            [
                r.id,
                r.time.isoformat(),
                _cell(r.actor),
                _cell(r.action),
                _cell(r.subject),
                _cell(json.dumps(dict(r.data), sort_keys=True, ensure_ascii=False)),
                r.prev_hash or "",
                r.hash or "",
            ]
        )
    return out.getvalue()
