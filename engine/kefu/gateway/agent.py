"""The agent WebSocket endpoint, ``/ws/agent`` (frames in docs/protocol.md).

The first frame must be a hello carrying a valid agent token; anything else closes the socket
with 1008 (policy violation). After that, malformed frames get error frames and the socket
stays open. While connected the agent counts as online and receives waiting conversations.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.status_codes import WS_1008_POLICY_VIOLATION

from kefu.gateway.auth import AgentIdentity, InvalidTokenError
from kefu.gateway.fanout import agent_channel, frame_head
from kefu.gateway.frames import (
    PROTOCOL_VERSION,
    Ack,
    AgentClose,
    AgentHello,
    AgentMessage,
    AgentRead,
    AgentSync,
    AgentTransfer,
    AgentTyping,
    AgentWelcome,
    ConversationSummary,
    EventOut,
    FrameError,
    Ping,
    Pong,
    decode_agent,
    decode_shared,
)
from kefu.gateway.session import Outbox, error_frame, receive_text, replay
from kefu.gateway.state import GatewayState, gateway_state
from kefu.security.sockets import (
    MaskingOutbox,
    end_session,
    token_problem,
    verify_agent_hello,
    watch_agent_socket,
)
from kefu.store.records import SenderKind
from kefu.store.repositories import Agents

log = logging.getLogger(__name__)

#: How long a new socket may take to authenticate.
HELLO_TIMEOUT = 15.0


async def _authenticate(
    socket: WebSocket[Any, Any, Any],
    state: GatewayState,
) -> tuple[AgentIdentity, AgentHello] | None:
    """Read the hello; on any failure close with 1008 and return None."""
    try:
        raw = await asyncio.wait_for(receive_text(socket), HELLO_TIMEOUT)
    except TimeoutError:
        await socket.close(code=WS_1008_POLICY_VIOLATION, reason="no hello")
        return None
    if raw is None:
        return None
    reason: str
    try:
        frame = decode_agent(raw, state.settings.max_frame_bytes)
        if not isinstance(frame, AgentHello):
            raise FrameError("hello_required", "authenticate with a hello frame first")
        if frame.v != PROTOCOL_VERSION:
            raise FrameError("unsupported_version", f"this server speaks {PROTOCOL_VERSION}")
        identity = verify_agent_hello(socket, frame.token)
        async with state.database.read() as conn:
            if await Agents(conn).get(identity.agent_id) is None:
                raise InvalidTokenError("the agent no longer exists")
        return identity, frame
    except FrameError as exc:
        reason = exc.code
    except InvalidTokenError:
        reason = "invalid token"
    await socket.close(code=WS_1008_POLICY_VIOLATION, reason=reason)
    return None


async def _handle(state: GatewayState, outbox: Outbox, agent_id: str, raw: str | bytes) -> None:
    service = state.service
    ref: str | None = None
    try:
        frame = decode_agent(raw, state.settings.max_frame_bytes)
        if isinstance(frame, AgentMessage):
            ref = frame.client_msg_id
            stored = await service.post(
                frame.conversation_id, SenderKind.AGENT, agent_id, frame.client_msg_id, frame.text
            )
            await outbox.send(
                Ack(
                    client_msg_id=stored.client_msg_id,
                    conversation_id=stored.conversation_id,
                    seq=stored.seq,
                    duplicate=stored.duplicate,
                    blocked=stored.blocked,
                )
            )
        elif isinstance(frame, AgentTyping):
            await service.typing(frame.conversation_id, SenderKind.AGENT, agent_id, frame.active)
        elif isinstance(frame, AgentRead):
            await service.mark_read(frame.conversation_id, SenderKind.AGENT, agent_id, frame.seq)
        elif isinstance(frame, AgentSync):
            conversation = await service.get(frame.conversation_id)
            if conversation.agent_id != agent_id:
                raise FrameError("forbidden", "the conversation is not assigned to you")
            outbox.forget(frame.conversation_id)
            await replay(service, outbox, frame.conversation_id, SenderKind.AGENT, frame.last_seq)
        elif isinstance(frame, AgentTransfer):
            await service.transfer(frame.conversation_id, agent_id, frame.to_agent_id)
        elif isinstance(frame, AgentClose):
            await service.close(frame.conversation_id, SenderKind.AGENT, agent_id)
        elif isinstance(frame, Ping):
            await outbox.send(Pong())
        else:
            raise FrameError("already_authenticated", "this socket is already authenticated")
    except WebSocketDisconnect:
        raise
    except Exception as exc:
        await outbox.send(error_frame(exc, ref))


@websocket("/ws/agent")
async def agent_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Work as an agent: hello with a token, then receive conversations and answer them."""
    state = gateway_state(socket)
    await socket.accept()
    # Watched for silence from now on; every received frame touches it (no timer per socket).
    heartbeat = state.heartbeat
    heartbeat.register(socket)
    try:
        authenticated = await _authenticate(socket, state)
        if authenticated is None:
            return
        identity, hello = authenticated
        agent_id = identity.agent_id
        service = state.service

        async def on_live(data: bytes) -> None:
            head = frame_head(data)
            if head.type == "message":
                await outbox.send_message_raw(head.conversation_id, head.seq, data)
                return
            frame = decode_shared(data)
            await outbox.send_raw(data)
            if isinstance(frame, EventOut):
                if frame.name == "assigned":
                    # A conversation just arrived: give the agent its whole history.
                    await replay(service, outbox, frame.conversation_id, SenderKind.AGENT, 0)
                elif frame.name == "closed" or (
                    frame.name == "transferred" and frame.data.get("from_agent_id") == agent_id
                ):
                    outbox.forget(frame.conversation_id)

        outbox = MaskingOutbox(socket, on_live)
        route = agent_channel(agent_id)
        # Attached first, so an assignment made while coming online is not missed.
        await state.dispatcher.attach(route, outbox)
        try:
            owned = await service.agent_connected(agent_id)
            try:
                async with state.database.read() as conn:
                    agent = await Agents(conn).get(agent_id)
                await outbox.send(
                    AgentWelcome(
                        agent_id=agent_id,
                        username=identity.username,
                        display_name=agent.display_name if agent else identity.username,
                        conversations=[
                            ConversationSummary(
                                conversation_id=c.id,
                                visitor_id=c.visitor_id,
                                status=c.status.value,
                                last_seq=c.last_seq,
                                read_seq=c.agent_read_seq,
                            )
                            for c in owned
                        ],
                    )
                )
                for conversation in owned:
                    since = hello.last_seqs.get(conversation.id, conversation.agent_read_seq)
                    await replay(service, outbox, conversation.id, SenderKind.AGENT, since)
                outbox.release()
                async with watch_agent_socket(socket, identity):
                    while (raw := await receive_text(socket)) is not None:
                        heartbeat.touch(socket)
                        if (problem := token_problem(socket, identity)) is not None:
                            await end_session(socket, problem)
                            break
                        await _handle(state, outbox, agent_id, raw)
            finally:
                await asyncio.shield(service.agent_disconnected(agent_id))
        finally:
            state.dispatcher.detach(route, outbox)
            await outbox.aclose()
    except WebSocketDisconnect:
        pass
    finally:
        heartbeat.unregister(socket)
