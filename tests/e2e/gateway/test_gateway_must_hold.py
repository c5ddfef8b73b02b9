"""K1's "must hold" properties, each against a real Kefu server (uvicorn in a subprocess)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from support.client import FrameClient, agent, new_id, visitor
from support.server import ServerProcess

#: Limits of the shared server, small enough to test the size errors cheaply.
MAX_FRAME_BYTES = 1024
MAX_MESSAGE_CHARS = 200


@pytest.fixture(scope="module")
def shared(kefu_module_server: Any) -> ServerProcess:
    """One server for the tests that only touch their own conversations."""
    server: ServerProcess = kefu_module_server(
        max_frame_bytes=str(MAX_FRAME_BYTES), max_message_chars=str(MAX_MESSAGE_CHARS)
    )
    return server


def _rows(data_dir: Path, conversation_id: str) -> list[tuple[Any, ...]]:
    """Messages of a conversation read straight from the SQLite file, by another connection."""
    with contextlib.closing(sqlite3.connect(data_dir / "kefu.db", timeout=10)) as db:
        return db.execute(
            "SELECT seq, client_msg_id, sender_kind, text, blocked FROM messages "
            "WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        ).fetchall()


async def test_ack_is_sent_only_after_the_message_is_stored(shared: ServerProcess) -> None:
    server, data_dir = shared, shared.data_dir
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    ids = [new_id() for _ in range(40)]
    # Fire them all without waiting, so the server batches them into group commits.
    await asyncio.gather(
        *(
            client.send({"type": "message", "client_msg_id": i, "text": f"m{n}"})
            for n, i in enumerate(ids)
        )
    )
    acked: dict[str, int] = {}
    while len(acked) < len(ids):
        ack = await client.expect("ack")
        # At the moment of the ack, another connection must already see the row.
        stored = {row[1]: row[0] for row in _rows(data_dir, cid)}
        assert stored.get(ack["client_msg_id"]) == ack["seq"]
        acked[ack["client_msg_id"]] = ack["seq"]
    assert sorted(acked.values()) == list(range(1, len(ids) + 1))
    await client.close()


async def test_resend_with_same_client_id_returns_the_original_ack(shared: ServerProcess) -> None:
    server, data_dir = shared, shared.data_dir
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    await client.send({"type": "message", "client_msg_id": "same-id", "text": "first"})
    first = await client.expect("ack")
    await client.send({"type": "message", "client_msg_id": "other", "text": "second"})
    await client.expect("ack")
    await client.send({"type": "message", "client_msg_id": "same-id", "text": "first again"})
    again = await client.expect("ack", lambda f: f["client_msg_id"] == "same-id")
    assert (first["seq"], first["duplicate"]) == (1, False)
    assert (again["seq"], again["duplicate"]) == (1, True)

    # A resend on a new connection (after a drop) is recognised too.
    await client.close()
    client, _ = await visitor(
        server.ws_url,
        visitor_token=welcome["visitor_token"],
        conversation_id=cid,
        last_seq=2,
    )
    await client.send({"type": "message", "client_msg_id": "same-id", "text": "first"})
    third = await client.expect("ack")
    assert (third["seq"], third["duplicate"]) == (1, True)
    rows = _rows(data_dir, cid)
    assert [(r[0], r[1], r[3]) for r in rows] == [(1, "same-id", "first"), (2, "other", "second")]
    await client.close()


async def test_reconnect_with_last_seq_replays_exactly_what_was_missed(kefu_server: Any) -> None:
    server: ServerProcess = kefu_server()
    alice, _, _ = await agent(server.http_url, server.ws_url, "alice")
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "help please"})
    await client.expect("ack")
    await client.expect("event", lambda f: f["name"] == "assigned")
    await alice.expect("message", lambda f: f["seq"] == 1)
    await client.close()  # the visitor has seen seq 1

    sent = []
    for n in range(3):
        await alice.send(
            {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": f"a{n}"}
        )
        sent.append((await alice.expect("ack"))["seq"])
    assert sent == [2, 3, 4]

    client, welcome2 = await visitor(
        server.ws_url, visitor_token=welcome["visitor_token"], conversation_id=cid, last_seq=1
    )
    assert welcome2["status"] == "assigned" and welcome2["last_seq"] == 4
    replay = []
    while True:
        frame = await client.recv()
        if frame["type"] == "synced":
            break
        assert frame["type"] == "message", frame
        replay.append((frame["seq"], frame["text"], frame["sender"]))
    assert replay == [(2, "a0", "agent"), (3, "a1", "agent"), (4, "a2", "agent")]
    assert frame["last_seq"] == 4
    assert [f for f in await client.quiet(0.3) if f["type"] == "message"] == []

    # The agent reconnecting with its own last seq gets only what it missed too.
    await alice.close()
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "still there?"})
    assert (await client.expect("ack"))["seq"] == 5
    alice, alice_welcome, _ = await agent(
        server.http_url, server.ws_url, "alice", last_seqs={cid: 4}
    )
    assert [c["conversation_id"] for c in alice_welcome["conversations"]] == [cid]
    frame = await alice.expect("message")
    assert (frame["seq"], frame["text"]) == (5, "still there?")
    synced = await alice.expect("synced")
    assert synced["last_seq"] == 5
    await client.close()
    await alice.close()


async def test_kill_9_mid_conversation_loses_no_acked_message(
    kefu_server: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server: ServerProcess = kefu_server(data_dir=data_dir)
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    acked: dict[str, int] = {}
    killed = asyncio.Event()

    async def read_acks() -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await client.recv(wait=5)
                if frame["type"] == "ack":
                    acked[frame["client_msg_id"]] = frame["seq"]
                    if len(acked) == 60:
                        server.kill()
                        killed.set()

    reader = asyncio.create_task(read_acks())
    with contextlib.suppress(Exception):
        for n in range(400):
            await client.send({"type": "message", "client_msg_id": f"k{n}", "text": f"n{n}"})
            if killed.is_set():
                break
            await asyncio.sleep(0.002)
    await asyncio.wait_for(killed.wait(), 30)
    await reader
    assert len(acked) >= 60

    server.start()  # same data directory, same port
    rows = _rows(data_dir, cid)
    stored = {r[1]: r[0] for r in rows}
    assert {k: stored.get(k) for k in acked} == acked
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # no gaps, no duplicates

    # And a client resuming from zero gets all of them back, in order.
    again, _ = await visitor(
        server.ws_url, visitor_token=welcome["visitor_token"], conversation_id=cid, last_seq=0
    )
    seqs = []
    while (frame := await again.recv())["type"] != "synced":
        if frame["type"] == "message":
            seqs.append(frame["seq"])
    assert seqs == [r[0] for r in rows]
    await again.close()


async def test_two_processes_share_redis_and_postgres(
    kefu_server: Any, fresh_pg_url: str, redis_url: str
) -> None:
    shared = {
        "database_url": fresh_pg_url,
        "bus_url": redis_url,
        "secret_key": "k" * 48,
    }
    server_a: ServerProcess = kefu_server(**shared)
    server_b: ServerProcess = kefu_server(**shared)
    bob, _, _ = await agent(server_b.http_url, server_b.ws_url, "bob")
    client, welcome = await visitor(server_a.ws_url)
    cid = welcome["conversation_id"]

    await client.send({"type": "message", "client_msg_id": new_id(), "text": "from A"})
    await client.expect("ack")
    assigned = await client.expect("event", lambda f: f["name"] == "assigned")
    assert assigned["data"]["agent"]["display_name"] == "Bob"
    got = await bob.expect("message", lambda f: f["conversation_id"] == cid)
    assert got["text"] == "from A"

    await bob.send({"type": "typing", "conversation_id": cid, "active": True})
    typing = await client.expect("typing")
    assert typing["sender"] == "agent"
    await bob.send(
        {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": "from B"}
    )
    ack = await bob.expect("ack")
    reply = await client.expect("message")
    assert (reply["text"], reply["seq"], reply["sender"]) == ("from B", ack["seq"], "agent")

    await client.send({"type": "message", "client_msg_id": new_id(), "text": "thanks"})
    third = await client.expect("ack")
    assert (await bob.expect("message", lambda f: f["seq"] == third["seq"]))["text"] == "thanks"

    # Sequence numbers were handed out by the shared database across both processes.
    assert [got["seq"], ack["seq"], third["seq"]] == [1, 2, 3]
    await client.close()
    await bob.close()


async def test_blocked_message_is_stored_flagged_and_not_delivered(
    kefu_server: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server: ServerProcess = kefu_server(data_dir=data_dir)
    alice, _, _ = await agent(server.http_url, server.ws_url, "alice")
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    await client.send({"type": "message", "client_msg_id": "ok", "text": "hello"})
    await client.expect("ack")
    await alice.expect("message", lambda f: f["client_msg_id"] == "ok")

    await client.send({"type": "message", "client_msg_id": "bad", "text": "a forbiddenword here"})
    ack = await client.expect("ack")
    assert ack["blocked"] is True
    blocked = await client.expect("event", lambda f: f["name"] == "blocked")
    assert blocked["data"]["seq"] == ack["seq"]
    await client.send({"type": "message", "client_msg_id": "mask", "text": "my secretcode is"})
    await client.expect("ack")

    frames = await alice.quiet(0.5)
    delivered = [f for f in frames if f["type"] == "message"]
    assert [f["client_msg_id"] for f in delivered] == ["mask"]
    assert delivered[0]["text"] == "my ********** is"
    rows = _rows(data_dir, cid)
    assert [(r[1], r[4]) for r in rows] == [("ok", 0), ("bad", 1), ("mask", 0)]
    assert rows[2][3] == "my secretcode is"  # the original is kept for review
    await client.close()
    await alice.close()


async def test_visitor_bad_input_gets_error_codes_and_changes_nothing(
    shared: ServerProcess,
) -> None:
    server, data_dir = shared, shared.data_dir
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    await client.send({"type": "message", "client_msg_id": "keep", "text": "kept"})
    await client.expect("ack")
    before = _rows(data_dir, cid)

    cases: list[tuple[Any, str]] = [
        ("{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        ({"type": "shout", "text": "x"}, "unknown_type"),
        ({"text": "no type"}, "unknown_type"),
        ({"type": "message", "text": "no id"}, "invalid_frame"),
        ({"type": "message", "client_msg_id": 5, "text": "x"}, "invalid_frame"),
        ({"type": "message", "client_msg_id": "x", "text": "y", "extra": 1}, "invalid_frame"),
        ({"type": "message", "client_msg_id": "big", "text": "x" * 2000}, "frame_too_large"),
        ({"type": "message", "client_msg_id": "empty", "text": "   "}, "invalid_message"),
        ({"type": "message", "client_msg_id": "keep", "text": "changed?"}, None),
        ({"type": "hello"}, "already_started"),
    ]
    for payload, code in cases:
        await client.send(payload)
        if code is None:
            ack = await client.expect("ack")
            assert (ack["seq"], ack["duplicate"]) == (1, True)
            continue
        error = await client.expect("error")
        assert error["code"] == code, (payload, error)
    await client.send({"type": "ping"})
    assert (await client.expect("pong"))["type"] == "pong"
    assert _rows(data_dir, cid) == before

    # Unknown conversation on hello: an error, and the socket can still say hello.
    other = await FrameClient.open(f"{server.ws_url}/ws/visitor")
    await other.send(
        {"type": "hello", "visitor_token": welcome["visitor_token"], "conversation_id": "nope"}
    )
    assert (await other.expect("error"))["code"] == "unknown_conversation"
    await other.send({"type": "hello", "visitor_token": "forged.token.value"})
    assert (await other.expect("error"))["code"] == "bad_token"
    await other.send({"type": "message", "client_msg_id": "early", "text": "hi"})
    assert (await other.expect("error"))["code"] == "hello_required"
    await other.send(
        {
            "type": "hello",
            "visitor_token": welcome["visitor_token"],
            "conversation_id": cid,
            "last_seq": 1,
        }
    )
    assert (await other.expect("welcome"))["conversation_id"] == cid
    await other.close()

    # A message over the length limit (but within the frame limit) has its own code.
    await client.send({"type": "message", "client_msg_id": "long", "text": "x" * 201})
    assert (await client.expect("error"))["code"] == "message_too_long"
    assert _rows(data_dir, cid) == before
    await client.close()


async def test_agent_without_valid_token_is_closed_with_1008(shared: ServerProcess) -> None:
    server = shared
    for first in (
        {"type": "hello", "token": "not-a-token"},
        {"type": "hello"},
        {"type": "message", "conversation_id": "c", "client_msg_id": "m", "text": "hi"},
        "{garbage",
    ):
        client = await FrameClient.open(f"{server.ws_url}/ws/agent")
        await client.send(first)
        with contextlib.suppress(Exception):
            await client.recv(wait=5)
        assert client.conn.close_code == 1008, first
    # A visitor token is not an agent token.
    _, welcome = await visitor(server.ws_url)
    client = await FrameClient.open(f"{server.ws_url}/ws/agent")
    await client.send({"type": "hello", "token": welcome["visitor_token"]})
    with contextlib.suppress(Exception):
        await client.recv(wait=5)
    assert client.conn.close_code == 1008


async def test_agent_bad_frames_after_hello_keep_the_socket(shared: ServerProcess) -> None:
    server = shared
    alice, _, _ = await agent(server.http_url, server.ws_url, "alice")
    for payload, code in [
        ("[]", "invalid_frame"),
        ({"type": "message", "client_msg_id": "m", "text": "no conversation"}, "invalid_frame"),
        (
            {"type": "message", "conversation_id": "nope", "client_msg_id": "m", "text": "x"},
            "unknown_conversation",
        ),
        ({"type": "close", "conversation_id": "nope"}, "unknown_conversation"),
        ({"type": "nonsense"}, "unknown_type"),
    ]:
        await alice.send(payload)
        assert (await alice.expect("error"))["code"] == code
    await alice.send({"type": "ping"})
    assert (await alice.expect("pong"))["type"] == "pong"
    await alice.close()
