"""The process-wide dispatcher: routing by conversation, held live frames, slow consumers."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from kefu.gateway.dispatch import SocketDispatcher
from kefu.gateway.fanout import (
    SOCKETS_CHANNEL,
    FramePublisher,
    agent_channel,
    envelope,
    open_envelope,
    visitor_channel,
)
from kefu.gateway.frames import EventOut, MessageOut, TypingOut, encode
from kefu.gateway.outbox import SLOW_CONSUMER_CLOSE, Outbox


class _Socket:
    """Records what an outbox sends down it; ``stuck`` makes every send wait forever."""

    def __init__(self, *, stuck: bool = False) -> None:
        self.sent: list[str] = []
        self.closed: list[tuple[int, str]] = []
        self._open = asyncio.Event()
        if not stuck:
            self._open.set()

    async def send_data(self, data: str, mode: str = "text") -> None:
        await self._open.wait()
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed.append((code, reason))


class _Sink:
    """Records the frames the dispatcher pushes."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def push(self, data: bytes) -> None:
        self.frames.append(data)


def _message(cid: str, seq: int) -> MessageOut:
    return MessageOut(
        conversation_id=cid,
        seq=seq,
        sender="agent",
        sender_id="a1",
        client_msg_id=f"m{seq}",
        text=f"text {seq}",
        time="2026-01-02T03:04:05+00:00",
        filter_action="allow",
        blocked=False,
    )


def _outbox(socket: _Socket, limit: int = 8) -> Outbox:
    return Outbox(cast(Any, socket), limit=limit)


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_envelopes_carry_routes_and_the_frame_byte_for_byte() -> None:
    frame = encode(TypingOut("c1", sender="visitor", active=True))
    routes, inner = open_envelope(envelope(["kefu:visitor:c1", "kefu:agent:a 1"], frame))
    assert (routes, inner) == (["kefu:visitor:c1", "kefu:agent:a 1"], frame)
    for bad in (b"no newline", b'{"not": "a list"}\n{}', b"[1, 2]\n{}"):
        try:
            open_envelope(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


async def test_frames_reach_only_the_sockets_on_their_routes_once_each() -> None:
    dispatcher = SocketDispatcher(cast(Any, None))  # dispatch() needs no subscription
    c1_first, c1_second, c2, agent = _Sink(), _Sink(), _Sink(), _Sink()
    dispatcher._routes = {
        visitor_channel("c1"): {c1_first, c1_second},
        visitor_channel("c2"): {c2},
        agent_channel("a1"): {agent},
    }
    frame = encode(_message("c1", 1))
    dispatcher.dispatch(envelope([visitor_channel("c1")], frame))
    dispatcher.dispatch(envelope([visitor_channel("c1"), agent_channel("a1")], frame))
    dispatcher.dispatch(envelope([visitor_channel("nobody")], frame))
    dispatcher.dispatch(b"garbage")
    assert c1_first.frames == c1_second.frames == [frame, frame]
    assert agent.frames == [frame] and c2.frames == []

    dispatcher.detach(visitor_channel("c1"), c1_first)
    dispatcher.detach(visitor_channel("c2"), c2)
    dispatcher.dispatch(envelope([visitor_channel("c1"), visitor_channel("c2")], frame))
    assert len(c1_first.frames) == 2 and len(c1_second.frames) == 3 and c2.frames == []
    assert sorted(dispatcher.routes()) == [agent_channel("a1"), visitor_channel("c1")]
    assert dispatcher.sockets == 2


async def test_a_sink_on_two_routes_gets_a_frame_addressed_to_both_once() -> None:
    dispatcher = SocketDispatcher(cast(Any, None))
    sink = _Sink()
    dispatcher._routes = {visitor_channel("c1"): {sink}, agent_channel("a1"): {sink}}
    dispatcher.dispatch(envelope([visitor_channel("c1"), agent_channel("a1")], b"{}"))
    assert sink.frames == [b"{}"]


async def test_one_subscription_serves_every_socket_through_real_channels() -> None:
    channels = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    async with channels:
        dispatcher = SocketDispatcher(channels)
        publisher = FramePublisher(channels)
        sinks = [_Sink() for _ in range(50)]
        for n, sink in enumerate(sinks):
            await dispatcher.attach(visitor_channel(f"c{n % 5}"), sink)
        # One subscriber for the whole process, however many sockets are attached.
        assert len(channels._channels[SOCKETS_CHANNEL]) == 1
        for seq in range(1, 4):
            await publisher.publish(encode(_message("c3", seq)), [visitor_channel("c3")])
        await publisher.publish(b"{}", [])  # nobody to tell: nothing is published
        for _ in range(50):
            if all(len(s.frames) == 3 for n, s in enumerate(sinks) if n % 5 == 3):
                break
            await asyncio.sleep(0.01)
        for n, sink in enumerate(sinks):
            expected = [encode(_message("c3", seq)) for seq in range(1, 4)] if n % 5 == 3 else []
            assert sink.frames == expected, n
        await dispatcher.aclose()


async def test_live_frames_wait_for_the_replay_and_never_repeat_a_message() -> None:
    socket = _Socket()
    outbox = _outbox(socket)
    outbox.push(encode(_message("c1", 2)))  # published while the socket was being replayed to
    outbox.push(encode(_message("c1", 3)))
    await _settle()
    assert socket.sent == []  # held until the replay went out
    await outbox.send(_message("c1", 1))  # the replay
    await outbox.send(_message("c1", 2))
    outbox.release()
    outbox.push(encode(EventOut(conversation_id="c1", name="closed", data={})))
    await _settle()
    assert [s.split('"seq":')[1].split(",")[0] for s in socket.sent[:3]] == ["1", "2", "3"]
    assert len(socket.sent) == 4 and '"closed"' in socket.sent[3]
    await outbox.aclose()


async def test_a_slow_socket_is_closed_for_resume_and_does_not_hold_up_the_others() -> None:
    dispatcher = SocketDispatcher(cast(Any, None))
    slow_socket, fast_socket = _Socket(stuck=True), _Socket()
    slow, fast = _outbox(slow_socket, limit=4), _outbox(fast_socket, limit=4)
    slow.release()
    fast.release()
    dispatcher._routes = {visitor_channel("c1"): {slow, fast}}
    for seq in range(1, 11):
        dispatcher.dispatch(envelope([visitor_channel("c1")], encode(_message("c1", seq))))
        await _settle()  # the fast socket keeps up
    assert len(fast_socket.sent) == 10
    assert slow.closed and slow_socket.sent == []
    assert slow_socket.closed == [(SLOW_CONSUMER_CLOSE, "slow_consumer")]
    slow.push(b"{}")  # nothing more is buffered for it
    await slow.send_raw(b"{}")
    await _settle()
    assert slow_socket.sent == [] and slow_socket.closed == [(SLOW_CONSUMER_CLOSE, "slow_consumer")]
    await slow.aclose()
    await fast.aclose()


async def test_closing_an_outbox_stops_its_pending_sends() -> None:
    socket = _Socket(stuck=True)
    outbox = _outbox(socket)
    outbox.release()
    outbox.push(encode(_message("c1", 1)))
    outbox.push(encode(_message("c1", 2)))
    await _settle()
    await outbox.aclose()
    socket._open.set()
    await _settle()
    assert socket.sent == [] and socket.closed == []
