"""The agent socket ends when its token dies; foreign Origins and floods are refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import websockets
from secure_stack import SecureKefu, login
from websockets.exceptions import ConnectionClosed, InvalidStatus

from support.client import FrameClient, new_id, visitor
from support.server import free_port


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKefu]:
    """Kefu with 2-second access tokens, an allowed Origin and a low frame rate."""
    kefu = SecureKefu(
        free_port(),
        tmp_path_factory.mktemp("short") / "kefu",
        settings={
            "KEFU_SECURITY_ACCESS_TTL": "2",
            "KEFU_SECURITY_ALLOWED_ORIGINS": '["https://shop.example"]',
            "KEFU_SECURITY_FRAME_RATE": "2",
            "KEFU_SECURITY_FRAME_BURST": "5",
        },
    )
    kefu.start()
    yield kefu
    kefu.stop()


async def _closed_with(client: FrameClient, code: str) -> None:
    error = await client.expect("error", lambda f: f["code"] == code, wait=5)
    assert error["message"]
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await client.recv(wait=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_an_expired_token_ends_an_open_socket_with_an_error_frame(
    short_lived: SecureKefu,
) -> None:
    session = await login(short_lived, "alice")
    client = await FrameClient.open(f"{short_lived.ws_url}/ws/agent")
    await client.send({"type": "hello", "token": session["token"]})
    await client.expect("welcome")
    await _closed_with(client, "token_expired")


async def test_logout_ends_an_open_socket_within_a_second(short_lived: SecureKefu) -> None:
    session = await login(short_lived, "bob")
    client = await FrameClient.open(f"{short_lived.ws_url}/ws/agent")
    await client.send({"type": "hello", "token": session["token"]})
    await client.expect("welcome")
    auth = {"Authorization": f"Bearer {session['token']}"}
    async with httpx.AsyncClient(base_url=short_lived.url, timeout=10) as http:
        assert (await http.post("/api/auth/logout", headers=auth, json={})).status_code == 200
    started = asyncio.get_running_loop().time()
    await _closed_with(client, "token_revoked")
    assert asyncio.get_running_loop().time() - started < 1.5


async def test_websockets_from_foreign_origins_are_refused(short_lived: SecureKefu) -> None:
    for path in ("/ws/visitor", "/ws/agent"):
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                f"{short_lived.ws_url}{path}",
                origin="https://evil.example",  # type: ignore[arg-type]
            )
        assert refused.value.response.status_code == 403
    allowed = await websockets.connect(
        f"{short_lived.ws_url}/ws/visitor",
        origin="https://shop.example",  # type: ignore[arg-type]
    )
    await allowed.close()


async def test_a_frame_flood_gets_rate_limited_error_frames(short_lived: SecureKefu) -> None:
    client, welcome = await visitor(short_lived.ws_url)
    cid = welcome["conversation_id"]
    for n in range(30):
        await client.send({"type": "message", "client_msg_id": f"flood-{n}", "text": f"m{n}"})
    frames = await client.quiet(1.0)
    limited = [f for f in frames if f["type"] == "error" and f["code"] == "rate_limited"]
    acks = [f for f in frames if f["type"] == "ack"]
    assert limited and len(acks) <= 6, frames
    stored = short_lived.query(
        "SELECT count(*) FROM messages WHERE conversation_id = ? AND sender_kind = 'visitor'", cid
    )
    assert stored[0][0] == len(acks)
    await asyncio.sleep(1.0)  # the bucket refills: the socket works again
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "again"})
    await client.expect("ack")
    await client.close()
