"""Refresh tokens, API keys and revocations on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kefu.security.apikeys import ApiKeyError, ApiKeys
from kefu.security.refresh import RefreshError, RefreshTokens
from kefu.security.revocation import RevocationList
from kefu.security.tables import api_keys, refresh_tokens
from kefu.store.database import Database


@pytest.fixture
async def pg(fresh_pg_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_pg_url)
    await database.migrate()
    yield database
    await database.close()


async def test_refresh_tokens_rotate_once_and_reuse_revokes_the_family(pg: Database) -> None:
    store = RefreshTokens(pg, timedelta(minutes=5))
    first, family = await store.issue("agent-1")
    second = await store.rotate(first)
    assert second.family == family and second.agent_id == "agent-1"
    third = await store.rotate(second.token)
    with pytest.raises(RefreshError) as reused:
        await store.rotate(first)
    assert reused.value.reuse
    with pytest.raises(RefreshError, match="revoked"):
        await store.rotate(third.token)
    async with pg.read() as conn:
        rows = (await conn.execute(sa.select(refresh_tokens))).all()
    assert len(rows) == 3 and all(r.revoked_at is not None for r in rows)
    assert all(first not in r.token_hash for r in rows)  # only hashes are stored
    with pytest.raises(RefreshError, match="unknown"):
        await store.rotate("not-a-token")


async def test_concurrent_rotations_of_one_token_issue_one_successor(pg: Database) -> None:
    store = RefreshTokens(pg, timedelta(minutes=5))
    token, _ = await store.issue("agent-2")
    results = await asyncio.gather(*(store.rotate(token) for _ in range(5)), return_exceptions=True)
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1


async def test_api_keys_validate_scopes_and_refuse_bad_requests_without_storing(
    pg: Database,
) -> None:
    keys = ApiKeys(pg)
    for name, scopes in (("", ["admin"]), ("x", []), ("x", ["root"]), ("x" * 200, ["admin"])):
        with pytest.raises(ApiKeyError):
            await keys.create(name, scopes)
    async with pg.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(api_keys))).scalar() == 0
    issued = await keys.create("crm", ["context:read", "context:read"])
    assert issued.info.scopes == ("context:read",)
    assert (await keys.verify(issued.key)).id == issued.info.id
    for bad in ("", "kefu_", f"kefu_{issued.info.id}_wrong", issued.key + "x", "Bearer x"):
        with pytest.raises(ApiKeyError):
            await keys.verify(bad)
    successor = await keys.rotate(issued.info.id, timedelta(seconds=0))
    with pytest.raises(ApiKeyError, match="rotated out"):
        await keys.verify(issued.key)
    await keys.revoke(successor.info.id)
    with pytest.raises(ApiKeyError, match="revoked"):
        await keys.verify(successor.key)
    with pytest.raises(ApiKeyError, match="already revoked"):
        await keys.revoke(successor.info.id)


async def test_a_revocation_reaches_another_process_within_a_second(redis_url: str) -> None:
    here, there = RevocationList(redis_url), RevocationList(redis_url)
    await there.refresh()
    there.start()
    try:
        jti = uuid.uuid4().hex
        assert not there.is_revoked(jti)
        await here.revoke(jti, time.time() + 60)
        started = time.monotonic()
        while not there.is_revoked(jti):
            assert time.monotonic() - started < 1.0, "revocation not seen within a second"
            await asyncio.sleep(0.02)
        await here.revoke("expired-" + jti, time.time() - 1)
        await there.refresh()
        assert not there.is_revoked("expired-" + jti)  # expired tokens are dropped
    finally:
        await here.close()
        await there.close()
