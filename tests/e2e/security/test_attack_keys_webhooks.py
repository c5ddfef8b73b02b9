"""API keys (scopes, rotation, revocation, CLI) and signed webhooks against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import httpx
from secure_stack import SECRET_KEY, WEBHOOK_SECRET, SecureKefu

from kefu.integration.signing import sign


def kefu_cli(kefu: SecureKefu, *args: str) -> str:
    """Run ``kefu`` against the server's store (same data directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATA_DIR": str(kefu.data_dir), "KEFU_SECRET_KEY": SECRET_KEY})
    done = subprocess.run(
        [sys.executable, "-c", "from kefu.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_api_keys_are_scoped_and_revocation_is_immediate(
    shop_and_kefu: SecureKefu, admin_http: httpx.AsyncClient
) -> None:
    made = await admin_http.post(
        "/api/admin/keys", json={"name": "crm", "scopes": ["context:read"]}
    )
    assert made.status_code == 201, made.text
    key, key_id = made.json()["key"], made.json()["id"]
    # Only a hash is stored; the listing never shows the secret.
    stored = shop_and_kefu.query("SELECT key_hash FROM security_api_keys WHERE id = ?", key_id)
    assert stored and key not in stored[0][0]
    listing = (await admin_http.get("/api/admin/keys")).text
    assert key_id in listing and key not in listing

    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        as_key = {"X-API-Key": key}
        context = await http.get("/integration/customers/C1001/context", headers=as_key)
        assert context.status_code == 200, context.text
        before = shop_and_kefu.snapshot()
        # Wrong scope: no actions, no administration, no people's routes.
        action = {
            "kind": "refund",
            "customer_id": "C1001",
            "params": {"order_id": "SO-100231", "amount_cents": 100},
            "idempotency_key": uuid.uuid4().hex,
        }
        assert (
            await http.post("/integration/actions", json=action, headers=as_key)
        ).status_code == 403
        assert (await http.get("/api/admin/keys", headers=as_key)).status_code == 403
        assert (await http.get("/api/conversations", headers=as_key)).status_code == 403
        assert shop_and_kefu.snapshot() == before
        # Revoked: refused from the next request.
        assert (await admin_http.post(f"/api/admin/keys/{key_id}/revoke")).status_code == 200
        refused = await http.get("/integration/customers/C1001/context", headers=as_key)
        assert refused.status_code == 401 and "revoked" in refused.text
        garbage = await http.get(
            "/integration/customers/C1001/context", headers={"X-API-Key": "kefu_x_y"}
        )
        assert garbage.status_code == 401


async def test_a_rotated_key_works_during_its_overlap_window_only(
    shop_and_kefu: SecureKefu, admin_http: httpx.AsyncClient
) -> None:
    created = (
        await admin_http.post("/api/admin/keys", json={"name": "erp", "scopes": ["context:read"]})
    ).json()
    rotated = await admin_http.post(
        f"/api/admin/keys/{created['id']}/rotate", json={"overlap_seconds": 1}
    )
    assert rotated.status_code == 200, rotated.text
    successor = rotated.json()
    path = "/integration/customers/C1001/context"
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        assert (await http.get(path, headers={"X-API-Key": created["key"]})).status_code == 200
        assert (await http.get(path, headers={"X-API-Key": successor["key"]})).status_code == 200
        await asyncio.sleep(1.2)
        old = await http.get(path, headers={"X-API-Key": created["key"]})
        assert old.status_code == 401 and "rotated out" in old.text
        assert (await http.get(path, headers={"X-API-Key": successor["key"]})).status_code == 200
    again = await admin_http.post(f"/api/admin/keys/{created['id']}/rotate")
    assert again.status_code == 404 and "already rotated" in again.text


async def test_the_keys_cli_creates_lists_rotates_and_revokes(shop_and_kefu: SecureKefu) -> None:
    created = json.loads(
        kefu_cli(shop_and_kefu, "keys", "create", "wms", "--scope", "context:read")
    )
    rotated = json.loads(kefu_cli(shop_and_kefu, "keys", "rotate", created["id"], "--overlap", "0"))
    assert rotated["replaces"] == created["id"]
    listed = [json.loads(line) for line in kefu_cli(shop_and_kefu, "keys", "list").splitlines()]
    assert {k["id"] for k in listed} >= {created["id"], rotated["id"]}
    assert all(created["key"] not in json.dumps(k) for k in listed)
    kefu_cli(shop_and_kefu, "keys", "revoke", rotated["id"])
    path = "/integration/customers/C1001/context"
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        for key in (created["key"], rotated["key"]):
            assert (await http.get(path, headers={"X-API-Key": key})).status_code == 401


def _event(event_id: str) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "demo-shop",
            "type": "order.created",
            "time": "2026-11-27T04:00:00Z",
            "subject": "C1001",
            "data": {
                "order_id": "SO-X1",
                "customer_id": "C1001",
                "total_cents": 1200,
                "currency": "CNY",
                "placed_at": "2026-11-27T04:00:00Z",
            },
        }
    ).encode()


async def test_tampered_stale_and_replayed_webhooks_change_nothing(
    shop_and_kefu: SecureKefu,
) -> None:
    url = "/integration/webhooks/demo-shop"
    headers = {"content-type": "application/cloudevents+json"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        body = _event(f"evt-{uuid.uuid4().hex}")
        signature = sign(WEBHOOK_SECRET, body)
        before = shop_and_kefu.snapshot()
        tampered = body.replace(b"SO-X1", b"SO-X9")
        for sent, sig in (
            (tampered, signature),  # body changed after signing
            (body, sign("another-secret-of-enough-length", body)),  # wrong secret
            (body, sign(WEBHOOK_SECRET, body, timestamp=int(time.time()) - 3600)),  # stale
            (body, None),  # unsigned
        ):
            extra = {"Kefu-Signature": sig} if sig else {}
            answer = await http.post(url, content=sent, headers={**headers, **extra})
            assert answer.status_code == 401, answer.text
        assert shop_and_kefu.snapshot() == before
        # The genuine event is stored once; replaying it (even re-signed) stores nothing new.
        first = await http.post(url, content=body, headers={**headers, "Kefu-Signature": signature})
        assert first.status_code == 202, first.text
        after_first = shop_and_kefu.snapshot()
        again = await http.post(url, content=body, headers={**headers, "Kefu-Signature": signature})
        assert again.status_code == 200, again.text
        resigned = sign(WEBHOOK_SECRET, body)
        third = await http.post(url, content=body, headers={**headers, "Kefu-Signature": resigned})
        assert third.status_code == 200
        inbox = shop_and_kefu.snapshot()["integration_inbox"]
        assert inbox == after_first["integration_inbox"]
