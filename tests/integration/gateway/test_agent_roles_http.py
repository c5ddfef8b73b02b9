"""Agents' roles over HTTP on real servers: listed with the roster, changed by admins only.

``PUT /api/agents/{id}/role`` validates the role, refuses to demote the last admin, audits the
change, and makes the agent's tokens that carry the old role stop working (the next refresh
carries the new one), also on another process sharing PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from fixtures_servers import ServerFactory
from support.client import FrameClient, login


def _bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['token']}"}


async def _roles(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    response = await http.get("/api/agents", headers=headers)
    assert response.status_code == 200, response.text
    return {a["username"]: a["role"] for a in response.json()}


async def _ids(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    return {a["username"]: a["id"] for a in (await http.get("/api/agents", headers=headers)).json()}


async def _set_role(
    http: httpx.AsyncClient, headers: dict[str, str], agent_id: str, role: Any
) -> httpx.Response:
    return await http.put(f"/api/agents/{agent_id}/role", headers=headers, json={"role": role})


async def test_admin_changes_roles_and_old_tokens_stop_working(
    kefu_server: ServerFactory,
) -> None:
    server = kefu_server()
    admin = await login(server.http_url, "admin")
    bob = await login(server.http_url, "bob")
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        as_admin = _bearer(admin)
        assert await _roles(http, as_admin) == {
            "alice": "agent",
            "bob": "supervisor",
            "admin": "admin",
        }
        ids = await _ids(http, as_admin)
        # A supervisor may read the audit log but not manage keys.
        assert (await http.get("/api/audit", headers=_bearer(bob))).status_code == 200

        response = await _set_role(http, as_admin, ids["bob"], "agent")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["agent"]["role"] == "agent"
        assert body["previous"] == "supervisor"
        assert body["changed"] is True
        assert "refused" in body["tokens"]
        assert (await _roles(http, as_admin))["bob"] == "agent"

        # Bob's supervisor token is refused now; his refresh brings the agent role.
        old = await http.get("/api/agents", headers=_bearer(bob))
        assert old.status_code == 401, old.text
        assert "no longer 'supervisor'" in old.json()["detail"]
        renewed = await http.post("/api/auth/refresh", json={"refresh_token": bob["refresh_token"]})
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["role"] == "agent"
        as_new_bob = _bearer(renewed.json())
        assert (await http.get("/api/agents", headers=as_new_bob)).status_code == 200
        assert (await http.get("/api/audit", headers=as_new_bob)).status_code == 403
        assert (await login(server.http_url, "bob"))["role"] == "agent"

        # Setting the same role again changes nothing and keeps tokens working.
        same = await _set_role(http, as_admin, ids["bob"], "agent")
        assert same.json()["changed"] is False
        assert (await http.get("/api/agents", headers=as_new_bob)).status_code == 200

        entries = (
            await http.get("/api/audit", params={"action": "agent.role_change"}, headers=as_admin)
        ).json()
        assert len(entries) == 1
        assert entries[0]["subject"] == f"agent:{ids['bob']}"
        assert entries[0]["actor"] == f"agent:{ids['admin']}"
        assert entries[0]["data"]["from"] == "supervisor"
        assert entries[0]["data"]["to"] == "agent"


async def test_bad_role_changes_are_refused_and_change_nothing(
    kefu_server: ServerFactory,
) -> None:
    server = kefu_server()
    admin = await login(server.http_url, "admin")
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        as_admin = _bearer(admin)
        ids = await _ids(http, as_admin)
        before = await _roles(http, as_admin)

        async def refused(response: httpx.Response, status: int, words: str) -> None:
            assert response.status_code == status, response.text
            assert words in response.text, response.json()
            assert await _roles(http, as_admin) == before

        await refused(
            await _set_role(http, as_admin, ids["bob"], "owner"), 422, "unknown role 'owner'"
        )
        await refused(await _set_role(http, as_admin, ids["bob"], ""), 400, "role")
        await refused(await _set_role(http, as_admin, "no-such-agent", "agent"), 404, "no agent")
        await refused(
            await http.put(
                f"/api/agents/{ids['bob']}/role",
                headers=as_admin,
                json={"role": "agent", "extra": 1},
            ),
            400,
            "extra",
        )
        # The only admin may not demote itself, nor be demoted.
        await refused(
            await _set_role(http, as_admin, ids["admin"], "supervisor"), 409, "last admin"
        )
        for username in ("alice", "bob"):
            session = await login(server.http_url, username)
            await refused(
                await _set_role(http, _bearer(session), ids["alice"], "admin"),
                403,
                "may not do this",
            )
        await refused(await _set_role(http, {}, ids["alice"], "admin"), 401, "Authorization")

        # With a second admin, the first may step down; then the second is the last one.
        assert (await _set_role(http, as_admin, ids["alice"], "admin")).status_code == 200
        assert (await _set_role(http, as_admin, ids["admin"], "agent")).status_code == 200
        alice = _bearer(await login(server.http_url, "alice"))
        response = await _set_role(http, alice, ids["alice"], "agent")
        assert response.status_code == 409, response.text
        assert await _roles(http, alice) == {
            "alice": "admin",
            "bob": "supervisor",
            "admin": "agent",
        }


@pytest.mark.postgres
@pytest.mark.redis
async def test_role_change_reaches_every_process(
    kefu_server: ServerFactory, fresh_pg_url: str, redis_url: str
) -> None:
    shared = {"database_url": fresh_pg_url, "bus_url": redis_url, "secret_key": "k" * 40}
    first = kefu_server(**shared)
    second = kefu_server(**shared)
    admin = await login(first.http_url, "admin")
    bob = await login(second.http_url, "bob")
    async with (
        httpx.AsyncClient(base_url=first.http_url, timeout=30) as one,
        httpx.AsyncClient(base_url=second.http_url, timeout=30) as two,
    ):
        ids = await _ids(one, _bearer(admin))
        assert (await two.get("/api/audit", headers=_bearer(bob))).status_code == 200
        # An admin API key is not touched by role changes: it drives the race below.
        issued = await one.post(
            "/api/admin/keys/", headers=_bearer(admin), json={"name": "ops", "scopes": ["admin"]}
        )
        assert issued.status_code == 201, issued.text
        key = {"X-API-Key": issued.json()["key"]}
        # Two concurrent demotions of the two admins, on two processes: one must be refused.
        assert (await _set_role(one, key, ids["bob"], "admin")).status_code == 200
        results = await asyncio.gather(
            _set_role(one, key, ids["admin"], "agent"),
            _set_role(two, key, ids["bob"], "agent"),
        )
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        remaining = await _roles(two, _bearer(await login(second.http_url, "alice")))
        assert list(remaining.values()).count("admin") == 1

        # Bob's supervisor token from before is refused on the other process too (the
        # revocation list syncs through Redis every half second).
        status = 200
        for _ in range(100):
            status = (await two.get("/api/agents", headers=_bearer(bob))).status_code
            if status == 401:
                break
            await asyncio.sleep(0.1)
        assert status == 401


async def test_an_open_agent_socket_is_closed_when_its_role_changes(
    kefu_server: ServerFactory,
) -> None:
    server = kefu_server()
    admin = await login(server.http_url, "admin")
    bob = await login(server.http_url, "bob")
    socket = await FrameClient.open(f"{server.ws_url}/ws/agent")
    await socket.send({"type": "hello", "token": bob["token"]})
    await socket.expect("welcome")
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        ids = await _ids(http, _bearer(admin))
        changed = await _set_role(http, _bearer(admin), ids["bob"], "agent")
        assert changed.status_code == 200, changed.text
    # The socket still carried the supervisor role: it is told why and closed with 1008.
    error = await socket.expect("error", wait=10)
    assert error["code"] == "token_revoked", error
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv(wait=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    # His refreshed token (role agent) opens a socket again.
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        renewed = await http.post("/api/auth/refresh", json={"refresh_token": bob["refresh_token"]})
    again = await FrameClient.open(f"{server.ws_url}/ws/agent")
    await again.send({"type": "hello", "token": renewed.json()["token"]})
    await again.expect("welcome")
    await again.close()
