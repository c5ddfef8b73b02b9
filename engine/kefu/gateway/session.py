"""What both WebSocket endpoints share: the outbox, replay, and mapping errors to frames."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import WebSocket

from kefu.conversations.errors import ConversationError
from kefu.conversations.service import ConversationService
from kefu.gateway.auth import InvalidTokenError
from kefu.gateway.fanout import message_frame
from kefu.gateway.frames import ErrorOut, FrameError, Synced
from kefu.gateway.outbox import Outbox
from kefu.store.errors import (
    ConversationClosedError,
    ConversationNotFoundError,
    SenderNotAllowedError,
)
from kefu.store.records import SenderKind

__all__ = ["REPLAY_PAGE", "Outbox", "error_frame", "payload", "receive_text", "replay"]

log = logging.getLogger(__name__)

#: Messages per page when replaying history to a socket.
REPLAY_PAGE = 500


async def replay(
    service: ConversationService,
    outbox: Outbox,
    conversation_id: str,
    viewer: SenderKind,
    after_seq: int,
) -> int:
    """Send every message of the conversation after ``after_seq`` that ``viewer`` may see.

    Ends with a ``synced`` frame; returns the last sequence number covered.
    """
    last = after_seq
    while True:
        page = await service.history(conversation_id, viewer, last, limit=REPLAY_PAGE)
        for message in page:
            await outbox.send(message_frame(message, viewer))
        if page:
            last = page[-1].seq
        if len(page) < REPLAY_PAGE:
            break
    conversation = await service.get(conversation_id)
    last = max(last, conversation.last_seq)
    await outbox.send(Synced(conversation_id=conversation_id, last_seq=last))
    return last


def error_frame(exc: BaseException, ref: str | None = None) -> ErrorOut:
    """The error frame for a refused request; unexpected errors are logged and hidden."""
    if isinstance(exc, FrameError):
        return ErrorOut(code=exc.code, message=exc.message, ref=ref or exc.ref)
    if isinstance(exc, ConversationNotFoundError):
        return ErrorOut(code="unknown_conversation", message=str(exc), ref=ref)
    if isinstance(exc, ConversationClosedError):
        return ErrorOut(code="conversation_closed", message=str(exc), ref=ref)
    if isinstance(exc, SenderNotAllowedError):
        return ErrorOut(code="forbidden", message=exc.reason, ref=ref)
    if isinstance(exc, ConversationError):
        return ErrorOut(code=exc.code, message=str(exc), ref=ref)
    if isinstance(exc, InvalidTokenError):
        return ErrorOut(code="bad_token", message=str(exc), ref=ref)
    log.exception("unexpected error while handling a frame", exc_info=exc)
    return ErrorOut(
        code="internal_error", message="the server failed to handle this frame", ref=ref
    )


async def receive_text(socket: WebSocket[Any, Any, Any]) -> str | bytes | None:
    """The next frame's payload (text or binary), or None once the client disconnected."""
    return payload(await socket.receive())


def payload(event: Mapping[str, Any]) -> str | bytes | None:
    """The payload of a received ASGI event (text or binary), or None for a disconnect.

    Idle sockets wait in ``payload(await socket.receive())`` rather than in
    :func:`receive_text`: one suspended coroutine frame fewer per socket. Handlers mark each
    received frame with ``state.heartbeat.touch(socket)`` (the process's idle sweeper).
    """
    if event["type"] == "websocket.disconnect":
        return None
    if event["type"] != "websocket.receive":
        return b""
    text = event.get("text")
    if text is not None:
        return str(text)
    data = event.get("bytes")
    return bytes(data) if data is not None else b""
