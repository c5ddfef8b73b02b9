"""Kefu and the demo shop as real servers: webhooks, hints on the agent's socket, actions.

The shop announces changes by signed webhook; Kefu stores them, publishes them, turns them into
hints and pushes those to the socket of the agent holding the customer's conversation. The
agent's refund goes through the action proxy to the shop, once, and its outcome comes back on
the same socket.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kefu_process import KefuProcess

from demo_shop.launcher import DemoShopProcess
from support.client import FrameClient, agent, new_id, visitor
from support.server import free_port

SHOP_KEY = "e2e-shop-key-0123456789"
SECRET = "e2e-webhook-secret-0123456789"


@dataclass
class Stack:
    kefu: KefuProcess
    shop: DemoShopProcess

    async def shop_post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        async with httpx.AsyncClient(base_url=self.shop.url, timeout=10) as http:
            response = await http.post(
                path,
                json=body,
                headers={"X-Api-Key": SHOP_KEY, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert response.status_code == 201, response.text
            result: dict[str, object] = response.json()
            return result


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    kefu_port, shop_port = free_port(), free_port()
    shop = DemoShopProcess(
        port=shop_port,
        db_path=tmp_path / "shop.db",
        api_key=SHOP_KEY,
        kefu_url=f"http://127.0.0.1:{kefu_port}",
        webhook_secret=SECRET,
        log_path=tmp_path / "shop.log",
    )
    kefu = KefuProcess(kefu_port, tmp_path / "kefu", shop.url, SHOP_KEY, SECRET)
    await asyncio.to_thread(kefu.start)
    await shop.astart()
    try:
        yield Stack(kefu, shop)
    finally:
        await shop.astop()
        await asyncio.to_thread(kefu.stop)


async def assigned_conversation(stack: Stack) -> tuple[FrameClient, str]:
    client, welcome = await visitor(stack.kefu.ws_url)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "hello, a question"})
    await client.expect("event", lambda f: f["name"] == "assigned")
    return client, str(welcome["conversation_id"])


async def test_webhooks_become_hints_on_the_agents_socket_and_actions_run_once(
    stack: Stack,
) -> None:
    alice, _welcome, session = await agent(stack.kefu.url, stack.kefu.ws_url, "alice")
    auth = {"Authorization": f"Bearer {session['token']}"}
    http = httpx.AsyncClient(base_url=stack.kefu.url, timeout=10, headers=auth)
    try:
        # A visitor known as customer C1002 (who has a parcel in transit) reaches Alice.
        james, cid = await assigned_conversation(stack)
        linked = await http.post(
            f"/integration/conversations/{cid}/customer", json={"customer_id": "C1002"}
        )
        assert linked.status_code == 200 and linked.json()["hints"] == []

        # The carrier reports a delay: shop -> signed webhook -> Kefu -> hint -> Alice's socket.
        await stack.shop_post("/api/orders/SO-100238/delay", {"reason": "storm at hub", "days": 2})
        hint = await alice.expect("event", lambda f: f["name"] == "hint", wait=10)
        assert hint["conversation_id"] == cid
        assert hint["data"]["kind"] == "parcel_delayed" and "storm at hub" in hint["data"]["text"]

        # The workbench shows the shop's data beside the conversation.
        context = (await http.get("/integration/customers/C1002/context")).json()
        assert context["degraded"] == []
        assert [o["id"] for o in context["sections"]["orders"]] == ["SO-100238"]

        # A refund, sent twice with one key (a double click): one refund in the shop's books.
        action = {
            "kind": "refund",
            "customer_id": "C1002",
            "params": {"order_id": "SO-100238", "amount_cents": 1500, "reason": "delay"},
            "idempotency_key": f"refund-{uuid.uuid4().hex}",
            "conversation_id": cid,
        }
        first = await http.post("/integration/actions", json=action)
        again = await http.post("/integration/actions", json=action)
        assert first.status_code == 200 and first.json()["ok"], first.text
        assert again.json()["replayed"] and again.json()["data"] == first.json()["data"]
        outcome = await alice.expect("event", lambda f: f["name"] == "action_result", wait=10)
        assert outcome["data"]["ok"] and outcome["data"]["kind"] == "refund"
        with sqlite3.connect(stack.shop.db_path) as conn:
            refunds = conn.execute(
                "SELECT count(*) FROM refunds WHERE order_id = 'SO-100238' AND amount_cents = 1500"
            ).fetchone()
        assert refunds == (1,)

        # A visitor who just placed an order opens the chat: "new order pending".
        placed = await stack.shop_post("/api/orders", {"customer_id": "C1003", "total_cents": 1999})
        aiko, cid2 = await assigned_conversation(stack)
        await asyncio.sleep(0.5)  # the order.created webhook may arrive before or after the link
        await http.post(
            f"/integration/conversations/{cid2}/customer", json={"customer_id": "C1003"}
        )
        pending = await alice.expect(
            "event", lambda f: f["name"] == "hint" and f["conversation_id"] == cid2, wait=10
        )
        assert pending["data"]["kind"] == "new_order_pending"
        assert pending["data"]["order_id"] == placed["order_id"]

        # Refused input is answered clearly and changes nothing.
        bad = await http.post("/integration/actions", json={**action, "idempotency_key": "short"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_idempotency_key"
        anonymous = await httpx.AsyncClient(base_url=stack.kefu.url).post(
            "/integration/actions", json=action
        )
        assert anonymous.status_code == 401
        ghost = await http.post(
            "/integration/conversations/nope/customer", json={"customer_id": "C1"}
        )
        assert ghost.status_code == 404 and ghost.json()["error"] == "conversation_not_found"
        for client in (james, aiko):
            await client.close()
    finally:
        await alice.close()
        await http.aclose()
