"""Two Kefu processes on PostgreSQL and Redis: a logout, a key revocation and a login lockout
made on one are effective on the other within a second."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx

from support.server import ServerProcess


async def test_revocations_and_lockouts_reach_every_process(
    kefu_server: Any, fresh_pg_url: str, redis_url: str
) -> None:
    # A fresh secret per run: shared Redis state (buckets, revocations) is namespaced by it.
    secret = secrets.token_urlsafe(40)
    settings = {"database_url": fresh_pg_url, "bus_url": redis_url, "secret_key": secret}
    one: ServerProcess = kefu_server(**settings)
    two: ServerProcess = kefu_server(**settings)
    async with (
        httpx.AsyncClient(base_url=one.http_url, timeout=10) as a,
        httpx.AsyncClient(base_url=two.http_url, timeout=10) as b,
    ):
        session = (
            await a.post("/api/agents/login", json={"username": "bob", "password": "kefu-demo"})
        ).json()
        auth = {"Authorization": f"Bearer {session['token']}"}
        assert (await b.get("/api/conversations", headers=auth)).status_code == 200
        assert (await a.post("/api/auth/logout", headers=auth, json={})).status_code == 200
        started = time.monotonic()
        while (await b.get("/api/conversations", headers=auth)).status_code != 401:
            assert time.monotonic() - started < 1.0, "logout not effective on the other process"
            await asyncio.sleep(0.05)

        admin = (
            await a.post("/api/agents/login", json={"username": "admin", "password": "kefu-demo"})
        ).json()
        as_admin = {"Authorization": f"Bearer {admin['token']}"}
        made = await a.post(
            "/api/admin/keys", json={"name": "ops", "scopes": ["admin"]}, headers=as_admin
        )
        key = {"X-API-Key": made.json()["key"]}
        assert (await b.get("/api/admin/keys", headers=key)).status_code == 200
        revoked = await a.post(f"/api/admin/keys/{made.json()['id']}/revoke", headers=as_admin)
        assert revoked.status_code == 200
        assert (await b.get("/api/admin/keys", headers=key)).status_code == 401

        # Failed logins on one process lock the account out on the other (shared buckets).
        for n in range(5):
            wrong = {"username": "alice", "password": f"nope-{n}"}
            assert (
                await (a if n % 2 else b).post("/api/agents/login", json=wrong)
            ).status_code == 401
        right = {"username": "alice", "password": "kefu-demo"}
        assert (await a.post("/api/agents/login", json=right)).status_code == 429
        assert (await b.post("/api/agents/login", json=right)).status_code == 429
