"""Hostile input against a real server: markup, SQL, oversized frames and bodies, brute force.

Markup and SQL-looking text are data: stored and returned verbatim, as JSON, never interpreted.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from secure_stack import DEMO_PASSWORD, SecureKefu, login
from websockets.exceptions import ConnectionClosed

from support.client import FrameClient, new_id, visitor

SCRIPT_NAME = '<script>alert("name")</script>'
SCRIPT_TEXT = "<img src=x onerror=alert(1)><svg/onload=alert(2)>"
SQL_TEXT = "'; DROP TABLE messages; -- \" OR 1=1 /*"


async def test_markup_and_sql_are_stored_and_returned_verbatim_as_json(
    shop_and_kefu: SecureKefu,
) -> None:
    session = await login(shop_and_kefu, "alice")
    alice = await FrameClient.open(f"{shop_and_kefu.ws_url}/ws/agent")
    await alice.send({"type": "hello", "token": session["token"]})
    await alice.expect("welcome")
    client, welcome = await visitor(shop_and_kefu.ws_url, display_name=SCRIPT_NAME)
    cid = welcome["conversation_id"]
    for text in (SCRIPT_TEXT, SQL_TEXT):
        await client.send({"type": "message", "client_msg_id": new_id(), "text": text})
        await client.expect("ack")
    seen = await alice.expect("message", lambda f: f.get("text") == SQL_TEXT, wait=10)
    assert seen["conversation_id"] == cid
    names = shop_and_kefu.query(
        "SELECT display_name FROM visitors WHERE id = ?", welcome["visitor_id"]
    )
    assert names == [(SCRIPT_NAME,)]
    texts = shop_and_kefu.query(
        "SELECT text FROM messages WHERE conversation_id = ? AND sender_kind = 'visitor' "
        "ORDER BY seq",
        cid,
    )
    assert [t[0] for t in texts] == [SCRIPT_TEXT, SQL_TEXT]
    auth = {"Authorization": f"Bearer {session['token']}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10, headers=auth) as http:
        history = await http.get(f"/api/conversations/{cid}/messages")
        assert history.status_code == 200
        assert history.headers["content-type"].startswith("application/json")
        assert history.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in history.headers["content-security-policy"]
        assert [m["text"] for m in history.json() if m["sender"] == "visitor"] == [
            SCRIPT_TEXT,
            SQL_TEXT,
        ]
        # SQL-looking ids and names find nothing and break nothing.
        before = await asyncio.to_thread(shop_and_kefu.settled_snapshot)
        for path in ("/api/conversations/1' OR '1'='1", "/api/conversations/x;DROP TABLE agents"):
            assert (await http.get(path)).status_code == 404
        sneaky = await http.get("/api/conversations", params={"status": "open' OR 1=1 --"})
        assert sneaky.status_code == 400
        assert shop_and_kefu.snapshot() == before
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        for username in ("' OR 1=1 --", "admin'--", 'alice" OR ""="'):
            answer = await http.post(
                "/api/agents/login", json={"username": username, "password": "' OR '1'='1"}
            )
            assert answer.status_code == 401
    assert shop_and_kefu.snapshot() == before
    assert shop_and_kefu.query("SELECT count(*) FROM messages")[0][0] >= 2
    await client.close()
    await alice.close()


async def test_oversized_frames_and_bodies_are_refused(shop_and_kefu: SecureKefu) -> None:
    client, _welcome = await visitor(shop_and_kefu.ws_url)
    before = await asyncio.to_thread(shop_and_kefu.settled_snapshot)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "x" * 20_000})
    error = await client.expect("error")
    assert error["code"] == "frame_too_large"
    # Far beyond the transport limit the server drops the connection (1009: too big).
    with pytest.raises(ConnectionClosed) as closed:
        await client.send({"type": "message", "client_msg_id": new_id(), "text": "y" * 200_000})
        for _ in range(50):
            await client.recv(wait=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        big = await http.post(
            "/api/agents/login",
            content=b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413
    assert shop_and_kefu.snapshot() == before


async def test_brute_force_logins_are_locked_out_with_retry_after(
    shop_and_kefu: SecureKefu,
) -> None:
    before = shop_and_kefu.snapshot()
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        statuses = []
        for n in range(8):
            answer = await http.post(
                "/api/agents/login", json={"username": "bob", "password": f"guess-{n}"}
            )
            statuses.append(answer.status_code)
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        locked = await http.post(
            "/api/agents/login", json={"username": "bob", "password": DEMO_PASSWORD}
        )
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        # Other people are not locked out by bob's attacker.
        assert (await login(shop_and_kefu, "alice"))["role"] == "agent"
    after = shop_and_kefu.snapshot()
    assert {k: v for k, v in after.items() if k != "security_refresh_tokens"} == {
        k: v for k, v in before.items() if k != "security_refresh_tokens"
    }
    failures = shop_and_kefu.query(
        "SELECT count(*) FROM audit_entries WHERE action = 'agent.login_failed' "
        "AND subject = 'username:bob'"
    )
    assert failures[0][0] == 5
