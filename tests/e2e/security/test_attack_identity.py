"""Visitor identity: only the business's HMAC links a conversation to a customer."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import httpx
from secure_stack import IDENTITY_SECRET, SecureKefu

from support.client import visitor


def _sign(customer_id: str, secret: str = IDENTITY_SECRET) -> str:
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


async def test_a_visitor_cannot_claim_another_customer(shop_and_kefu: SecureKefu) -> None:
    client, welcome = await visitor(shop_and_kefu.ws_url)
    other, other_welcome = await visitor(shop_and_kefu.ws_url)
    claim = {
        "visitor_token": welcome["visitor_token"],
        "conversation_id": welcome["conversation_id"],
        "customer_id": "C1002",
    }
    before = await asyncio.to_thread(shop_and_kefu.settled_snapshot)
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        refusals = [
            # Signed for someone else, signed with another secret, no valid signature at all.
            (
                await http.post(
                    "/api/visitors/identify", json={**claim, "signature": _sign("C1001")}
                )
            ),
            (
                await http.post(
                    "/api/visitors/identify",
                    json={**claim, "signature": _sign("C1002", "a-guessed-secret-0123456789")},
                )
            ),
            (await http.post("/api/visitors/identify", json={**claim, "signature": "0" * 64})),
        ]
        assert [r.status_code for r in refusals] == [403, 403, 403]
        # Another visitor's token cannot claim this conversation even with a valid signature.
        stolen = await http.post(
            "/api/visitors/identify",
            json={
                **claim,
                "visitor_token": other_welcome["visitor_token"],
                "signature": _sign("C1002"),
            },
        )
        assert stolen.status_code == 404
        forged = await http.post(
            "/api/visitors/identify",
            json={**claim, "visitor_token": "x.y.z", "signature": _sign("C1002")},
        )
        assert forged.status_code == 401
        assert shop_and_kefu.snapshot() == before
        ok = await http.post("/api/visitors/identify", json={**claim, "signature": _sign("C1002")})
        assert ok.status_code == 200, ok.text
    links = shop_and_kefu.query(
        "SELECT customer_id FROM integration_customer_links WHERE conversation_id = ?",
        welcome["conversation_id"],
    )
    assert links == [("C1002",)]
    await client.close()
    await other.close()
