"""The visitor WebSocket endpoint, ``/ws/visitor`` (frames in docs/protocol.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from kefu.gateway.fanout import visitor_channel
from kefu.gateway.frames import (
    PROTOCOL_VERSION,
    Ack,
    AgentInfo,
    FrameError,
    Ping,
    Pong,
    VisitorClose,
    VisitorHello,
    VisitorMessage,
    VisitorRead,
    VisitorTyping,
    VisitorWelcome,
    decode_visitor,
)
from kefu.gateway.session import Outbox, error_frame, payload, receive_text, replay
from kefu.gateway.state import GatewayState, gateway_state
from kefu.store.records import Conversation, SenderKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Started:
    visitor_id: str
    token: str
    conversation: Conversation
    last_seq: int


async def _start(state: GatewayState, hello: VisitorHello) -> _Started:
    """Resolve a hello into a visitor and a conversation (new or resumed)."""
    if hello.v != PROTOCOL_VERSION:
        raise FrameError("unsupported_version", f"this server speaks protocol {PROTOCOL_VERSION}")
    service = state.service
    if hello.visitor_token is None:
        if hello.conversation_id is not None:
            raise FrameError("bad_token", "resuming a conversation needs the visitor_token")
        visitor, conversation = await service.start(hello.display_name)
        return _Started(visitor.id, state.signer.visitor_token(visitor.id), conversation, 0)
    visitor_id = state.signer.verify_visitor(hello.visitor_token)
    if hello.conversation_id is None:
        conversation = await service.open_for_visitor(visitor_id)
        return _Started(visitor_id, hello.visitor_token, conversation, 0)
    conversation = await service.get(hello.conversation_id)
    if conversation.visitor_id != visitor_id:
        # Same answer as a missing id, so ids of other visitors cannot be probed.
        raise FrameError("unknown_conversation", f"no conversation {hello.conversation_id!r}")
    return _Started(visitor_id, hello.visitor_token, conversation, hello.last_seq)


async def _wait_for_hello(
    socket: WebSocket[Any, Any, Any],
    state: GatewayState,
    outbox: Outbox,
) -> _Started | None:
    while True:
        raw = await receive_text(socket)
        if raw is None:
            return None
        state.heartbeat.touch(socket)
        try:
            frame = decode_visitor(raw, state.settings.max_frame_bytes)
            if isinstance(frame, Ping):
                await outbox.send(Pong())
                continue
            if not isinstance(frame, VisitorHello):
                raise FrameError("hello_required", "send a hello frame first")
            return await _start(state, frame)
        except Exception as exc:
            await outbox.send(error_frame(exc))


async def _handle(state: GatewayState, outbox: Outbox, started: _Started, raw: str | bytes) -> None:
    service = state.service
    cid = started.conversation.id
    ref: str | None = None
    try:
        frame = decode_visitor(raw, state.settings.max_frame_bytes)
        if isinstance(frame, VisitorMessage):
            ref = frame.client_msg_id
            stored = await service.post(
                cid, SenderKind.VISITOR, started.visitor_id, frame.client_msg_id, frame.text
            )
            await outbox.send(
                Ack(
                    client_msg_id=stored.client_msg_id,
                    conversation_id=cid,
                    seq=stored.seq,
                    duplicate=stored.duplicate,
                    blocked=stored.blocked,
                )
            )
        elif isinstance(frame, VisitorTyping):
            await service.typing(cid, SenderKind.VISITOR, started.visitor_id, frame.active)
        elif isinstance(frame, VisitorRead):
            await service.mark_read(cid, SenderKind.VISITOR, started.visitor_id, frame.seq)
        elif isinstance(frame, VisitorClose):
            await service.close(cid, SenderKind.VISITOR, started.visitor_id)
        elif isinstance(frame, Ping):
            await outbox.send(Pong())
        else:
            raise FrameError("already_started", "this socket already carries a conversation")
    except WebSocketDisconnect:
        raise
    except Exception as exc:
        await outbox.send(error_frame(exc, ref))


@websocket("/ws/visitor")
async def visitor_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Chat as a visitor: hello (start or resume), then messages, typing, read, close."""
    state = gateway_state(socket)
    await socket.accept()
    outbox = Outbox(socket)
    # Watched for silence from now on; every received frame touches it (no timer per socket).
    heartbeat = state.heartbeat
    heartbeat.register(socket)
    try:
        started = await _wait_for_hello(socket, state, outbox)
        if started is None:
            return
        cid = started.conversation.id
        route = visitor_channel(cid)
        # Attached before the history is read, so nothing published meanwhile is missed;
        # live frames wait in the outbox until the replay went out.
        await state.dispatcher.attach(route, outbox)
        try:
            view = await state.service.view(cid)
            agent = view.agent
            await outbox.send(
                VisitorWelcome(
                    conversation_id=cid,
                    visitor_id=started.visitor_id,
                    visitor_token=started.token,
                    status=view.conversation.status.value,
                    last_seq=view.conversation.last_seq,
                    agent=AgentInfo(agent.id, agent.display_name) if agent else None,
                    queue_position=view.queue_position,
                )
            )
            await replay(state.service, outbox, cid, SenderKind.VISITOR, started.last_seq)
            outbox.release()
            while (raw := payload(await socket.receive())) is not None:
                heartbeat.touch(socket)
                await _handle(state, outbox, started, raw)
        finally:
            state.dispatcher.detach(route, outbox)
            await outbox.aclose()
    except WebSocketDisconnect:
        pass
    finally:
        heartbeat.unregister(socket)
