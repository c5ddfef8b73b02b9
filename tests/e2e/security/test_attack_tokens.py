"""Attacks on people's tokens against a real server: each refused, nothing stored changes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from secure_stack import SECRET_KEY, SecureKefu, login
from websockets.exceptions import ConnectionClosed

from support.client import FrameClient


def _claims(**override: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "kefu",
        "aud": "kefu",
        "kind": "agent",
        "sub": "nobody",
        "name": "mallory",
        "role": "admin",
        "jti": "forged-jti",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(override)
    return claims


def _none_alg(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key=None, algorithm="none")


FORGED = {
    "wrong_key": lambda: jwt.encode(_claims(), "not-the-server-key-0123456789abcdef", "HS256"),
    "expired": lambda: jwt.encode(
        _claims(iat=int(time.time()) - 3600, exp=int(time.time()) - 60), SECRET_KEY, "HS256"
    ),
    "wrong_audience": lambda: jwt.encode(_claims(aud="someone-else"), SECRET_KEY, "HS256"),
    "no_audience": lambda: jwt.encode(
        {k: v for k, v in _claims().items() if k != "aud"}, SECRET_KEY, "HS256"
    ),
    "wrong_issuer": lambda: jwt.encode(_claims(iss="evil"), SECRET_KEY, "HS256"),
    "alg_none": lambda: _none_alg(_claims()),
    "visitor_token_as_agent": lambda: jwt.encode(
        _claims(kind="visitor", aud="kefu-visitor"), SECRET_KEY, "HS256"
    ),
}


@pytest.mark.parametrize("kind", sorted(FORGED))
async def test_bad_tokens_are_refused_over_http_and_websocket(
    shop_and_kefu: SecureKefu, kind: str
) -> None:
    token = FORGED[kind]()
    before = shop_and_kefu.snapshot()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10, headers=headers) as http:
        for method, path, body in (
            ("GET", "/api/conversations", None),
            ("GET", "/api/agents", None),
            ("GET", "/api/admin/keys", None),
            ("POST", "/api/admin/keys", {"name": "pwn", "scopes": ["admin"]}),
            ("GET", "/integration/customers/C1001/context", None),
        ):
            answer = await http.request(method, path, json=body)
            assert answer.status_code == 401, (kind, path, answer.text)
            assert answer.headers["content-type"].startswith("application/json")
    client = await FrameClient.open(f"{shop_and_kefu.ws_url}/ws/agent")
    await client.send({"type": "hello", "token": token})
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv(wait=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert shop_and_kefu.snapshot() == before


async def test_a_valid_token_with_the_wrong_role_is_refused(shop_and_kefu: SecureKefu) -> None:
    alice = await login(shop_and_kefu, "alice")
    admin = await login(shop_and_kefu, "admin")
    assert (alice["role"], admin["role"]) == ("agent", "admin")
    before = shop_and_kefu.snapshot()
    as_alice = {"Authorization": f"Bearer {alice['token']}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10, headers=as_alice) as http:
        assert (await http.get("/api/admin/keys")).status_code == 403
        created = await http.post("/api/admin/keys", json={"name": "x", "scopes": ["admin"]})
        assert created.status_code == 403, created.text
        assert (await http.post("/api/admin/keys/abc/revoke")).status_code == 403
    as_admin = {"Authorization": f"Bearer {admin['token']}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10, headers=as_admin) as http:
        # Admins administer; they do not read customers' data or act on orders.
        context = await http.get("/integration/customers/C1001/context")
        assert context.status_code == 403
        action = {
            "kind": "refund",
            "customer_id": "C1001",
            "params": {"order_id": "SO-1", "amount_cents": 1},
            "idempotency_key": "k-admin",
        }
        assert (await http.post("/integration/actions", json=action)).status_code == 403
    # An admin token may not chat: the agent socket closes with 1008.
    client = await FrameClient.open(f"{shop_and_kefu.ws_url}/ws/agent")
    await client.send({"type": "hello", "token": admin["token"]})
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv(wait=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert shop_and_kefu.snapshot() == before


async def test_logout_revokes_the_token_and_refresh_reuse_ends_the_family(
    shop_and_kefu: SecureKefu,
) -> None:
    session = await login(shop_and_kefu, "bob")
    assert session["role"] == "supervisor"
    auth = {"Authorization": f"Bearer {session['token']}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        # Rotation: the refresh token works once, a replay revokes the whole family.
        first = await http.post(
            "/api/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert first.status_code == 200, first.text
        pair = first.json()
        assert pair["refresh_token"] != session["refresh_token"] and pair["role"] == "supervisor"
        replay = await http.post(
            "/api/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert replay.status_code == 401 and "already used" in replay.text
        stolen = await http.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert stolen.status_code == 401 and "revoked" in stolen.text
        # Logout: the access token stops working at once.
        assert (await http.get("/api/conversations", headers=auth)).status_code == 200
        out = await http.post("/api/auth/logout", headers=auth, json={})
        assert out.status_code == 200
        assert (await http.get("/api/conversations", headers=auth)).status_code == 401
        assert (
            await http.post("/api/auth/refresh", json={"refresh_token": "x"})
        ).status_code == 401
