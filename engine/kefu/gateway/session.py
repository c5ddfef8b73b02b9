"""What both WebSocket endpoints share: ordered sends, replay, and mapping errors to frames."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from kefu.conversations.errors import ConversationError
from kefu.conversations.service import ConversationService
from kefu.gateway.auth import InvalidTokenError
from kefu.gateway.fanout import message_frame
from kefu.gateway.frames import ErrorOut, FrameError, MessageOut, ServerFrame, Synced, encode
from kefu.store.errors import (
    ConversationClosedError,
    ConversationNotFoundError,
    SenderNotAllowedError,
)
from kefu.store.records import SenderKind

log = logging.getLogger(__name__)

#: Messages per page when replaying history to a socket.
REPLAY_PAGE = 500


class Outbox:
    """Sends frames down one socket one at a time, never the same message twice.

    Live fan-out and replays overlap around a (re)connect; remembering which sequence numbers
    went out lets both run without the client seeing duplicates.
    """

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket
        self._lock = asyncio.Lock()
        self._sent: dict[str, set[int]] = {}

    async def send(self, frame: ServerFrame) -> None:
        """Send one frame (messages already sent are skipped)."""
        if isinstance(frame, MessageOut):
            sent = self._sent.setdefault(frame.conversation_id, set())
            if frame.seq in sent:
                return
            sent.add(frame.seq)
        await self.send_raw(encode(frame))

    async def send_message_raw(self, conversation_id: str, seq: int, data: bytes) -> None:
        """Send an already-encoded message frame unless that message already went out."""
        sent = self._sent.setdefault(conversation_id, set())
        if seq in sent:
            return
        sent.add(seq)
        await self.send_raw(data)

    async def send_raw(self, data: bytes) -> None:
        """Send already-encoded JSON."""
        async with self._lock:
            await self._socket.send_data(data.decode(), mode="text")

    def forget(self, conversation_id: str) -> None:
        """Drop what was sent for a conversation (it left this socket)."""
        self._sent.pop(conversation_id, None)

    async def error(self, code: str, message: str, ref: str | None = None) -> None:
        """Send an error frame."""
        await self.send(ErrorOut(code=code, message=message, ref=ref))


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
    event = await socket.receive()
    if event["type"] == "websocket.disconnect":
        return None
    if event["type"] != "websocket.receive":
        return b""
    text = event.get("text")
    if text is not None:
        return str(text)
    data = event.get("bytes")
    return bytes(data) if data is not None else b""


def guarded(callback: Callable[[bytes], Awaitable[None]]) -> Callable[[bytes], Awaitable[None]]:
    """Wrap a fan-out callback so one bad event is logged instead of ending live delivery."""

    async def run(data: bytes) -> None:
        try:
            await callback(data)
        except WebSocketDisconnect:
            return  # the receive loop notices the disconnect and ends the session
        except Exception:
            log.exception("failed to forward a fanned-out frame")

    return run
