"""Dialog state stores on every backend: SQLite file, PostgreSQL, Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from kefu.assistant.state import DialogState, DialogStateStore, RedisDialogStateStore
from kefu.assistant.state_sql import SqlDialogStateStore
from kefu.store.database import Database

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DialogStateStore]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
        await db.migrate()
        yield SqlDialogStateStore(db)
        await db.close()
    elif request.param == "postgresql":
        name = f"kefu_state_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
        try:
            await db.migrate()
            yield SqlDialogStateStore(db)
        finally:
            await db.close()
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()
    else:
        redis: Redis[bytes] = Redis.from_url("redis://127.0.0.1:6379/0")
        await redis.ping()  # unreachable Redis fails the test, never skips it
        prefix = f"kefu-test:{uuid.uuid4().hex}:"
        yield RedisDialogStateStore(redis, prefix=prefix, ttl_seconds=60)
        keys = [k async for k in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_unknown_conversation_has_a_fresh_state(store: DialogStateStore) -> None:
    assert await store.get("nobody") == DialogState()


async def test_put_then_get_round_trips_and_replaces(store: DialogStateStore) -> None:
    first = DialogState().after(intent="refund", action="reply", handed_off=False)
    await store.put("c1", first)
    assert await store.get("c1") == first
    second = first.after(intent="card_arrival", action="handoff", handed_off=True)
    await store.put("c1", second)
    stored = await store.get("c1")
    assert stored == second
    assert stored.turns == 2 and stored.intents == ("refund", "card_arrival")
    assert stored.handed_off


async def test_conversations_do_not_share_state(store: DialogStateStore) -> None:
    await store.put("a", DialogState(turns=1, slots={"order": "A-1", "名字": "李雷"}))
    await store.put("b", DialogState(turns=7))
    assert (await store.get("a")).slots == {"order": "A-1", "名字": "李雷"}
    assert (await store.get("b")).turns == 7


async def test_write_behind_serves_from_memory_and_flushes_in_batches(tmp_path: Path) -> None:
    from kefu.assistant.state_sql import WriteBehindStateStore

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
    await db.migrate()
    backing = SqlDialogStateStore(db)
    store = WriteBehindStateStore(backing, flush_interval=60)
    for n in range(50):
        await store.put(f"c{n}", DialogState(turns=n))
    assert await store.get("c7") == DialogState(turns=7)
    assert await backing.get("c7") == DialogState()  # not flushed yet
    await store.flush()
    assert await backing.get("c7") == DialogState(turns=7)
    await store.put("c7", DialogState(turns=70))
    await store.aclose()  # closing writes what is left
    assert await SqlDialogStateStore(db).get("c7") == DialogState(turns=70)
    await db.close()
