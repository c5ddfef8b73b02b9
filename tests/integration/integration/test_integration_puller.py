"""The incremental puller against a real SQLite file and a real PostgreSQL table.

Kefu's store lives beside the legacy table (SQLite: another file; PostgreSQL: the same fresh
database). Each scenario counts what reached Kefu's event log: every row version exactly once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from fixtures_servers import create_pg_database, drop_pg_database, pg_url
from kefu.integration import tables
from kefu.integration.puller import IncrementalPuller, PullerConfigError, PullSpec
from kefu.store import schema
from kefu.store.database import Database

legacy_meta = sa.MetaData()
legacy_orders = sa.Table(
    "legacy_orders",
    legacy_meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class Setup:
    source: AsyncEngine
    db: Database

    def puller(
        self, name: str = "orders", batch: int = 2, overlap: float = 0.0
    ) -> IncrementalPuller:
        spec = PullSpec(
            name=name,
            table="legacy_orders",
            event_type="legacy.order.changed",
            customer_column="customer_id",
            batch=batch,
            overlap=overlap,
        )
        return IncrementalPuller(self.source, self.db, spec)

    async def insert(self, *rows: tuple[int, str, datetime | None]) -> None:
        async with self.source.begin() as conn:
            await conn.execute(
                sa.insert(legacy_orders),
                [{"id": i, "customer_id": "C1", "status": s, "updated_at": t} for i, s, t in rows],
            )

    async def touch(self, row_id: int, status: str, when: datetime) -> None:
        async with self.source.begin() as conn:
            await conn.execute(
                sa.update(legacy_orders)
                .where(legacy_orders.c.id == row_id)
                .values(status=status, updated_at=when)
            )

    async def events(self) -> list[tuple[int, str]]:
        """(row id, status) of every event Kefu recorded, in time then id order."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(schema.events.c.data)
                .where(schema.events.c.type == "legacy.order.changed")
                .order_by(schema.events.c.time, schema.events.c.id)
            )
            return sorted((r.data["id"], r.data["status"]) for r in rows)

    async def outbox(self) -> int:
        async with self.db.read() as conn:
            return int(
                (
                    await conn.execute(sa.select(sa.func.count()).select_from(tables.outbox))
                ).scalar_one()
            )


@pytest.fixture(params=["sqlite", "postgres"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    if request.param == "sqlite":
        source = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}")
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
    else:
        pg_name = await create_pg_database()
        url = pg_url(pg_name)
        source = create_async_engine(url)
        db = Database(url)
    async with source.begin() as conn:
        await conn.run_sync(legacy_meta.create_all)
    await db.migrate()
    yield Setup(source, db)
    await source.dispose()
    await db.close()
    if request.param == "postgres":
        await drop_pg_database(pg_name)


async def test_rows_sharing_a_timestamp_cross_page_boundaries_once(setup: Setup) -> None:
    await setup.insert(*[(i, "paid", T0) for i in range(1, 6)])
    result = await setup.puller(batch=2).poll()
    assert (result.read, result.accepted, result.pages) == (5, 5, 3)
    assert await setup.events() == [(i, "paid") for i in range(1, 6)]
    cursor = await setup.puller().cursor()
    assert cursor is not None and cursor.id == 5
    # Nothing new: a second poll reads nothing and stores nothing.
    assert (await setup.puller().poll()).read == 0
    assert await setup.outbox() == 5


async def test_rows_inserted_between_pages_are_picked_up(setup: Setup) -> None:
    await setup.insert((1, "paid", T0), (2, "paid", T0), (3, "paid", T0 + timedelta(seconds=1)))
    puller = setup.puller(batch=2)
    assert (await puller.poll(max_pages=1)).read == 2
    # While the poll is between pages: a row with the cursor's timestamp but a higher id, and
    # a newer row, are inserted.
    await setup.insert((4, "pending", T0), (5, "pending", T0 + timedelta(seconds=2)))
    await puller.poll()
    assert await setup.events() == [
        (1, "paid"),
        (2, "paid"),
        (3, "paid"),
        (4, "pending"),
        (5, "pending"),
    ]


async def test_a_restart_in_the_middle_neither_skips_nor_floods(setup: Setup) -> None:
    await setup.insert(*[(i, "paid", T0 + timedelta(seconds=i // 3)) for i in range(1, 11)])
    first = setup.puller(batch=3)
    assert (await first.poll(max_pages=2)).accepted == 6
    del first  # the process "dies" after two committed pages
    second = setup.puller(batch=3)
    result = await second.poll()
    assert (result.read, result.accepted) == (4, 4)
    assert await setup.events() == [(i, "paid") for i in range(1, 11)]
    assert await setup.outbox() == 10


async def test_an_updated_row_is_a_new_event(setup: Setup) -> None:
    await setup.insert((1, "pending", T0))
    await setup.puller().poll()
    await setup.touch(1, "shipped", T0 + timedelta(minutes=5))
    await setup.puller().poll()
    assert await setup.events() == [(1, "pending"), (1, "shipped")]


async def test_a_late_commit_with_an_older_timestamp_is_caught_by_the_look_back(
    setup: Setup,
) -> None:
    await setup.insert((1, "paid", T0), (2, "paid", T0 + timedelta(seconds=10)))
    await setup.puller(overlap=30).poll()
    # A legacy transaction that started earlier commits now with an older updated_at.
    await setup.insert((3, "paid", T0 + timedelta(seconds=5)))
    plain = await setup.puller(name="no-look-back").poll()
    assert plain.accepted == 3  # another cursor: reads everything once
    result = await setup.puller(overlap=30).poll()
    assert result.accepted == 1
    again = await setup.puller(overlap=30).poll()
    assert again.accepted == 0  # re-read rows are recognised, not re-sent
    events = await setup.events()
    assert events.count((3, "paid")) == 2  # once per puller name
    assert events.count((1, "paid")) == 2


async def test_rows_without_a_timestamp_are_never_read(setup: Setup) -> None:
    await setup.insert((1, "paid", None), (2, "paid", T0))
    assert (await setup.puller().poll()).read == 1
    assert await setup.events() == [(2, "paid")]


async def test_a_wrong_table_or_column_is_a_clear_error_and_stores_nothing(setup: Setup) -> None:
    spec = PullSpec(name="bad", table="no_such_table")
    with pytest.raises(PullerConfigError, match="no table 'no_such_table'"):
        await IncrementalPuller(setup.source, setup.db, spec).poll()
    spec = PullSpec(name="bad", table="legacy_orders", updated_column="modified")
    with pytest.raises(PullerConfigError, match=r"no column\(s\) \['modified'\]"):
        await IncrementalPuller(setup.source, setup.db, spec).poll()
    assert await setup.puller(name="bad").cursor() is None
    assert await setup.outbox() == 0
