"""Live delivery through the process-wide dispatcher, with real servers and sockets.

Two visitor sockets on one conversation both receive the agent's messages; once one closes,
the other still does. Across two processes sharing PostgreSQL and Redis, the same holds for
sockets held by different processes.
"""

from __future__ import annotations

from typing import Any

import pytest

from support.client import FrameClient, agent, new_id, visitor
from support.server import ServerProcess


async def _agent_says(alice: FrameClient, cid: str, text: str) -> int:
    await alice.send(
        {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": text}
    )
    seq: int = (await alice.expect("ack"))["seq"]
    return seq


async def _start_assigned(ws_url: str, alice: FrameClient) -> tuple[FrameClient, dict[str, Any]]:
    """A visitor who wrote once, with the conversation assigned to alice."""
    first, welcome = await visitor(ws_url)
    await first.send({"type": "message", "client_msg_id": new_id(), "text": "hello"})
    assert (await first.expect("ack"))["seq"] == 1
    await first.expect("event", lambda f: f["name"] == "assigned")
    cid = welcome["conversation_id"]
    await alice.expect("message", lambda f: f["conversation_id"] == cid and f["seq"] == 1)
    return first, welcome


async def _second_socket(ws_url: str, welcome: dict[str, Any]) -> FrameClient:
    """The same visitor on another socket (another tab), caught up."""
    second, again = await visitor(
        ws_url,
        visitor_token=welcome["visitor_token"],
        conversation_id=welcome["conversation_id"],
        last_seq=1,
    )
    assert again["conversation_id"] == welcome["conversation_id"]
    await second.expect("synced")
    return second


async def test_two_sockets_on_one_conversation_and_one_closes(kefu_server: Any) -> None:
    server: ServerProcess = kefu_server()
    alice, _, _ = await agent(server.http_url, server.ws_url, "alice")
    first, welcome = await _start_assigned(server.ws_url, alice)
    cid = welcome["conversation_id"]
    second = await _second_socket(server.ws_url, welcome)

    seq = await _agent_says(alice, cid, "to both")
    for client in (first, second):
        frame = await client.expect("message")
        assert (frame["seq"], frame["text"]) == (seq, "to both")

    await first.close()
    after = await _agent_says(alice, cid, "to the one left")
    frame = await second.expect("message")
    assert (frame["seq"], frame["text"]) == (after, "to the one left")
    # Nothing twice, and the visitor's own message reaches the agent as before.
    assert [f for f in await second.quiet(0.3) if f["type"] == "message"] == []
    await second.send({"type": "message", "client_msg_id": new_id(), "text": "still here"})
    own = (await second.expect("ack"))["seq"]
    heard = await alice.expect("message", lambda f: f["seq"] == own)
    assert heard["text"] == "still here"
    await second.close()
    await alice.close()


@pytest.mark.postgres
@pytest.mark.redis
async def test_sockets_of_one_conversation_on_two_processes_through_redis(
    kefu_server: Any, fresh_pg_url: str, redis_url: str
) -> None:
    shared = {"database_url": fresh_pg_url, "bus_url": redis_url, "secret_key": "s" * 48}
    server_a: ServerProcess = kefu_server(**shared)
    server_b: ServerProcess = kefu_server(**shared)
    alice, _, _ = await agent(server_b.http_url, server_b.ws_url, "alice")
    on_a, welcome = await _start_assigned(server_a.ws_url, alice)
    cid = welcome["conversation_id"]
    on_b = await _second_socket(server_b.ws_url, welcome)

    seq = await _agent_says(alice, cid, "to A and B")
    for client in (on_a, on_b):
        frame = await client.expect("message")
        assert (frame["seq"], frame["text"]) == (seq, "to A and B")

    await on_b.close()  # B holds no socket of the conversation any more; A still does
    after = await _agent_says(alice, cid, "only A")
    frame = await on_a.expect("message")
    assert (frame["seq"], frame["text"]) == (after, "only A")
    await on_a.send({"type": "typing", "active": True})
    typing = await alice.expect("typing", lambda f: f["conversation_id"] == cid)
    assert typing["active"] is True
    await on_a.close()
    await alice.close()
