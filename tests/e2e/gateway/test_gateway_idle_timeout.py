"""Idle timeouts against a real server: silent sockets are closed, pinging ones stay open.

The server runs with ``KEFU_WS_IDLE_TIMEOUT=2`` (and a client ping interval of 0.5 s, which
the settings require to be under half of it), like ``kefu serve`` without uvicorn's keepalive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from websockets.protocol import State

from kefu.gateway.heartbeat import IDLE_CLOSE_CODE, IDLE_CLOSE_REASON
from support.client import FrameClient, agent, new_id, visitor
from support.server import ServerProcess

IDLE_TIMEOUT = 2.0
PING_EVERY = 0.5
#: Upper bound for waiting on a close, only so a broken server fails instead of hanging.
GIVE_UP = 60.0


async def _keep_pinging(client: FrameClient, stop: asyncio.Event) -> int:
    """Send a ping every PING_EVERY seconds and read its pong until ``stop``; pongs seen."""
    pongs = 0
    while not stop.is_set():
        await client.send({"type": "ping"})
        await client.expect("pong")
        pongs += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PING_EVERY)
    return pongs


async def test_silent_sockets_are_closed_pinging_ones_stay_and_visitors_resume(
    kefu_server: Callable[..., ServerProcess],
) -> None:
    server = kefu_server(ws_idle_timeout=str(IDLE_TIMEOUT), ws_client_ping_interval="0.5")
    silent, welcome = await visitor(server.ws_url)
    cid, token = welcome["conversation_id"], welcome["visitor_token"]
    await silent.send({"type": "message", "client_msg_id": new_id(), "text": "hello there"})
    ack = await silent.expect("ack")
    silent_agent, _, _ = await agent(server.http_url, server.ws_url, "bob")
    pinging, _ = await visitor(server.ws_url)
    stop = asyncio.Event()
    pinger = asyncio.create_task(_keep_pinging(pinging, stop))
    try:
        await asyncio.wait_for(silent.conn.wait_closed(), GIVE_UP)
        await asyncio.wait_for(silent_agent.conn.wait_closed(), GIVE_UP)
        # Keep pinging for two more idle timeouts after the silent ones were closed.
        await asyncio.sleep(2 * IDLE_TIMEOUT)
    finally:
        stop.set()
        pongs = await pinger

    assert silent.conn.close_code == IDLE_CLOSE_CODE
    assert silent.conn.close_reason == IDLE_CLOSE_REASON
    assert silent_agent.conn.close_code == IDLE_CLOSE_CODE
    assert pinging.conn.state is State.OPEN
    assert pongs > 2 * IDLE_TIMEOUT / PING_EVERY
    await pinging.send({"type": "ping"})
    await pinging.expect("pong")
    await pinging.close()

    # The closed visitor reconnects and resumes as after any drop.
    again, rewelcome = await visitor(
        server.ws_url, visitor_token=token, conversation_id=cid, last_seq=0
    )
    assert rewelcome["conversation_id"] == cid
    replayed = await again.expect("message")
    assert replayed["seq"] == ack["seq"] and replayed["text"] == "hello there"
    synced = await again.expect("synced")
    assert synced["last_seq"] >= ack["seq"]
    await again.send({"type": "ping"})
    await again.expect("pong")
    await again.close()
