"""The agent HTTP API and its OpenAPI schema, on a real server with live sockets."""

from __future__ import annotations

from typing import Any

import httpx

from support.client import agent, new_id, visitor
from support.server import ServerProcess


async def test_login_conversations_history_transfer_and_close(kefu_server: Any) -> None:
    server: ServerProcess = kefu_server()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        schema = (await http.get("/schema/openapi.json")).json()
        for path in (
            "/api/agents/login",
            "/api/conversations",
            "/api/conversations/{conversation_id}/messages",
            "/api/conversations/{conversation_id}/transfer",
            "/api/conversations/{conversation_id}/close",
        ):
            assert path in schema["paths"], path

        bad = {"username": "alice", "password": "wrong"}
        assert (await http.post("/api/agents/login", json=bad)).status_code == 401
        nobody = {"username": "mallory", "password": "x"}
        assert (await http.post("/api/agents/login", json=nobody)).status_code == 401
        assert (await http.post("/api/agents/login", json={"username": "a"})).status_code == 400
        assert (await http.get("/api/conversations")).status_code == 401
        forged = {"Authorization": "Bearer not.a.token"}
        assert (await http.get("/api/conversations", headers=forged)).status_code == 401

        alice_ws, _, alice = await agent(server.http_url, server.ws_url, "alice")
        bob_ws, _, bob = await agent(server.http_url, server.ws_url, "bob")
        as_alice = {"Authorization": f"Bearer {alice['token']}"}
        as_bob = {"Authorization": f"Bearer {bob['token']}"}

        client, welcome = await visitor(server.ws_url)
        cid = welcome["conversation_id"]
        await client.send({"type": "message", "client_msg_id": new_id(), "text": "hi there"})
        await client.expect("ack")
        assigned = await client.expect("event", lambda f: f["name"] == "assigned")
        owner, other = (
            (alice, bob)
            if assigned["data"]["agent"]["id"] == alice["agent"]["id"]
            else (bob, alice)
        )
        as_owner = as_alice if owner is alice else as_bob
        as_other = as_bob if owner is alice else as_alice
        other_ws = bob_ws if owner is alice else alice_ws

        mine = (await http.get("/api/conversations?mine=true", headers=as_owner)).json()
        assert [c["id"] for c in mine] == [cid]
        one = (await http.get(f"/api/conversations/{cid}", headers=as_owner)).json()
        assert (one["status"], one["agent_id"]) == ("assigned", owner["agent"]["id"])
        history = (
            await http.get(f"/api/conversations/{cid}/messages?since=0", headers=as_owner)
        ).json()
        assert [(m["seq"], m["text"], m["sender"]) for m in history] == [(1, "hi there", "visitor")]
        assert history[0]["verdicts"][0]["filter"] == "test_words"
        assert (
            await http.get(f"/api/conversations/{cid}/messages?since=-1", headers=as_owner)
        ).status_code == 400
        assert (await http.get("/api/conversations/nope", headers=as_owner)).status_code == 404

        to_other = {"to_agent_id": other["agent"]["id"]}
        response = await http.post(
            f"/api/conversations/{cid}/transfer", json=to_other, headers=as_other
        )
        assert response.status_code == 403
        response = await http.post(
            f"/api/conversations/{cid}/transfer", json={"to_agent_id": "ghost"}, headers=as_owner
        )
        assert response.status_code == 409
        response = await http.post(
            f"/api/conversations/{cid}/transfer", json=to_other, headers=as_owner
        )
        assert response.status_code == 200 and response.json()["agent_id"] == other["agent"]["id"]
        moved = await client.expect("event", lambda f: f["name"] == "transferred")
        assert moved["data"]["agent"]["id"] == other["agent"]["id"]
        await other_ws.expect("event", lambda f: f["name"] == "assigned")
        replayed = await other_ws.expect("message", lambda f: f["conversation_id"] == cid)
        assert replayed["text"] == "hi there"

        response = await http.post(f"/api/conversations/{cid}/close", headers=as_owner)
        assert response.status_code == 403
        response = await http.post(f"/api/conversations/{cid}/close", headers=as_other)
        assert response.status_code == 200 and response.json()["status"] == "closed"
        assert (await client.expect("event", lambda f: f["name"] == "closed"))["data"][
            "by"
        ] == "agent"
        response = await http.post(f"/api/conversations/{cid}/close", headers=as_other)
        assert response.status_code == 409
        await client.send({"type": "message", "client_msg_id": new_id(), "text": "hello?"})
        assert (await client.expect("error"))["code"] == "conversation_closed"

        agents = (await http.get("/api/agents", headers=as_owner)).json()
        online = {a["username"]: a["online"] for a in agents}
        assert online == {"alice": True, "bob": True, "admin": False}  # admins do not chat
        for ws in (client, alice_ws, bob_ws):
            await ws.close()


async def test_queue_then_assignment_then_offline_delivery(kefu_server: Any) -> None:
    server: ServerProcess = kefu_server()
    first, w1 = await visitor(server.ws_url)
    second, w2 = await visitor(server.ws_url)
    # Nobody is online: both wait, in the order they were handed off (the hand-off happens
    # after the ack, so the second visitor writes once the first is in line).
    await first.send({"type": "message", "client_msg_id": "hello", "text": "anyone?"})
    await first.expect("ack")
    assert (await first.expect("event", lambda f: f["name"] == "queued"))["data"]["position"] == 1
    await second.send({"type": "message", "client_msg_id": "hello", "text": "anyone?"})
    await second.expect("ack")
    assert (await second.expect("event", lambda f: f["name"] == "queued"))["data"]["position"] == 2

    alice, welcome, _ = await agent(server.http_url, server.ws_url, "alice")
    got = {c["conversation_id"] for c in welcome["conversations"]}
    assert got == {w1["conversation_id"], w2["conversation_id"]}  # capacity 5 takes both
    for client in (first, second):
        assert (await client.expect("event", lambda f: f["name"] == "assigned"))["data"]["agent"][
            "display_name"
        ] == "Alice"
    cid = w1["conversation_id"]
    await alice.expect("message", lambda f: f["conversation_id"] == cid and f["seq"] == 1)
    await alice.send({"type": "read", "conversation_id": cid, "seq": 1})
    assert (await first.expect("read"))["seq"] == 1
    await alice.close()

    # While she is offline the visitor keeps writing; she gets exactly that on return.
    for n in range(2):
        await first.send({"type": "message", "client_msg_id": f"off{n}", "text": f"off {n}"})
        await first.expect("ack")
    alice, _, _ = await agent(server.http_url, server.ws_url, "alice")
    missed = []
    while True:
        frame = await alice.expect("message", lambda f: f["conversation_id"] == cid)
        missed.append((frame["seq"], frame["text"]))
        if len(missed) == 2:
            break
    assert missed == [(2, "off 0"), (3, "off 1")]
    for ws in (first, second, alice):
        await ws.close()
