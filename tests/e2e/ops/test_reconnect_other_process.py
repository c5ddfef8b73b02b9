"""Scale-out without sticky sessions: a visitor resumes on another Kefu process.

Two real Kefu processes share PostgreSQL and Redis. The visitor starts on process A, the agent
works on process B; the visitor drops off, misses agent messages, and reconnects to B (the
other process). The replay must hold exactly the missed messages, in order, with nothing
repeated afterwards, and live delivery must keep working across the two processes.
"""

from __future__ import annotations

from typing import Any

import pytest

from support.client import FrameClient, agent, new_id, visitor
from support.server import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def _replay(client: FrameClient) -> tuple[list[tuple[int, str, str]], int]:
    """The message frames of a replay up to its ``synced``, and the synced ``last_seq``."""
    frames: list[tuple[int, str, str]] = []
    while True:
        frame = await client.recv()
        if frame["type"] == "synced":
            return frames, int(frame["last_seq"])
        if frame["type"] == "message":
            frames.append((frame["seq"], frame["text"], frame["sender"]))


async def test_visitor_resumes_on_the_other_process_with_exactly_the_missed_messages(
    kefu_server: Any, fresh_pg_url: str, redis_url: str
) -> None:
    shared = {"database_url": fresh_pg_url, "bus_url": redis_url, "secret_key": "s" * 48}
    server_a: ServerProcess = kefu_server(**shared)
    server_b: ServerProcess = kefu_server(**shared)
    alice, _, _ = await agent(server_b.http_url, server_b.ws_url, "alice")

    client, welcome = await visitor(server_a.ws_url)
    cid = welcome["conversation_id"]
    token = welcome["visitor_token"]
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "hello from A"})
    assert (await client.expect("ack"))["seq"] == 1
    await client.expect("event", lambda f: f["name"] == "assigned")
    await alice.expect("message", lambda f: f["conversation_id"] == cid and f["seq"] == 1)
    await alice.send(
        {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": "seen"}
    )
    assert (await alice.expect("ack"))["seq"] == 2
    assert (await client.expect("message"))["seq"] == 2  # live, from B to a socket on A
    await client.close()  # the visitor has seen everything up to seq 2

    missed = []
    for n in range(3):
        await alice.send(
            {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": f"m{n}"}
        )
        missed.append((await alice.expect("ack"))["seq"])
    assert missed == [3, 4, 5]

    # Reconnect to the OTHER process (B), resuming after seq 2.
    again, welcome2 = await visitor(
        server_b.ws_url, visitor_token=token, conversation_id=cid, last_seq=2
    )
    assert welcome2["conversation_id"] == cid and welcome2["last_seq"] == 5
    replayed, synced_seq = await _replay(again)
    assert replayed == [(3, "m0", "agent"), (4, "m1", "agent"), (5, "m2", "agent")]
    assert synced_seq == 5
    assert [f for f in await again.quiet(0.5) if f["type"] == "message"] == []

    # Live delivery both ways after the move, with no repeats.
    await alice.send(
        {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": "live"}
    )
    live_seq = (await alice.expect("ack"))["seq"]
    live = await again.expect("message")
    assert (live["seq"], live["text"]) == (live_seq, "live") == (6, "live")
    await again.send({"type": "message", "client_msg_id": new_id(), "text": "from B now"})
    assert (await again.expect("ack"))["seq"] == 7
    pushed = await alice.expect("message", lambda f: f["conversation_id"] == cid)
    assert (pushed["seq"], pushed["text"]) == (7, "from B now")
    assert [f for f in await again.quiet(0.3) if f["type"] == "message"] == []
    await again.close()
    await alice.close()


async def test_a_second_resume_on_the_first_process_replays_only_the_newer_gap(
    kefu_server: Any, fresh_pg_url: str, redis_url: str
) -> None:
    shared = {"database_url": fresh_pg_url, "bus_url": redis_url, "secret_key": "t" * 48}
    server_a: ServerProcess = kefu_server(**shared)
    server_b: ServerProcess = kefu_server(**shared)
    bob, _, _ = await agent(server_a.http_url, server_a.ws_url, "bob")

    client, welcome = await visitor(server_a.ws_url)
    cid = welcome["conversation_id"]
    token = welcome["visitor_token"]
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "hi"})
    await client.expect("ack")
    await bob.expect("message", lambda f: f["conversation_id"] == cid and f["seq"] == 1)
    await client.close()

    async def agent_says(text: str) -> int:
        await bob.send(
            {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": text}
        )
        seq: int = (await bob.expect("ack"))["seq"]
        return seq

    assert await agent_says("first gap") == 2
    on_b, _ = await visitor(server_b.ws_url, visitor_token=token, conversation_id=cid, last_seq=1)
    assert (await _replay(on_b)) == ([(2, "first gap", "agent")], 2)
    await on_b.close()

    assert await agent_says("second gap") == 3
    back_on_a, _ = await visitor(
        server_a.ws_url, visitor_token=token, conversation_id=cid, last_seq=2
    )
    assert (await _replay(back_on_a)) == ([(3, "second gap", "agent")], 3)
    await back_on_a.close()
    await bob.close()
