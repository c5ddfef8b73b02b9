"""The sending side of one WebSocket: its own replies, and live frames through a bounded buffer.

A socket's own replies (welcome, replays, acks, errors, pongs) are sent by its handler as it
goes. Live frames come from the process's dispatcher, which must never wait for one socket:
it only *pushes* them here, and a task that exists only while frames are pending sends them,
in order. An idle socket therefore holds no task, queue or lock.

Slow consumers: when more than ``limit`` live frames are waiting (the client stopped reading,
or reads slower than its conversation moves) the buffer is dropped and the socket is closed
with **1013** (try again later, reason ``slow_consumer``). The client reconnects and resumes
with its last ``seq``; the replay brings every stored message it missed (typing and read
notices are momentary and not replayed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from kefu.gateway.fanout import frame_head
from kefu.gateway.frames import ErrorOut, MessageOut, ServerFrame, encode

log = logging.getLogger(__name__)

#: Live frames one socket may have waiting before it counts as a slow consumer.
LIVE_BUFFER = 256
#: Close code for a socket that could not keep up (RFC 6455 1013, "try again later").
SLOW_CONSUMER_CLOSE = 1013
#: How long closing a slow socket may wait for its send buffer to drain (seconds).
CLOSE_TIMEOUT = 10.0

#: What a socket does with one live frame (the default forwards it, see Outbox.forward).
LiveHandler = Callable[[bytes], Awaitable[None]]


class Outbox:
    """Sends frames down one socket, never the same message twice.

    Live fan-out and replays overlap around a (re)connect; remembering which sequence numbers
    went out lets both run without the client seeing duplicates. Live frames pushed while the
    outbox is *held* (the socket is still being welcomed and replayed to) wait until
    :meth:`release`.

    There is no lock: uvicorn writes each frame whole, and each ordered stream has one writer
    (the handler for replies and replays, the drain task for live frames).
    """

    __slots__ = ("_closed", "_drain", "_held", "_live", "_pending", "_sent", "_socket", "limit")

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        live: LiveHandler | None = None,
        *,
        limit: int = LIVE_BUFFER,
    ) -> None:
        self._socket = socket
        self._live = live
        self.limit = limit
        self._sent: dict[str, set[int]] | None = None
        self._pending: deque[bytes] | None = None
        self._drain: asyncio.Task[None] | None = None
        self._held = True
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the outbox gave up on its socket (slow consumer or gone)."""
        return self._closed

    def _first_time(self, conversation_id: str, seq: int) -> bool:
        """Record that a message goes out; False when it already did."""
        if self._sent is None:
            self._sent = {}
        sent = self._sent.setdefault(conversation_id, set())
        if seq in sent:
            return False
        sent.add(seq)
        return True

    async def send(self, frame: ServerFrame) -> None:
        """Send one frame (messages already sent are skipped)."""
        if isinstance(frame, MessageOut) and not self._first_time(frame.conversation_id, frame.seq):
            return
        await self.send_raw(encode(frame))

    async def send_message_raw(self, conversation_id: str, seq: int, data: bytes) -> None:
        """Send an already-encoded message frame unless that message already went out."""
        if self._first_time(conversation_id, seq):
            await self.send_raw(data)

    async def send_raw(self, data: bytes) -> None:
        """Send already-encoded JSON (nothing once the outbox closed its socket)."""
        if not self._closed:
            await self._socket.send_data(data.decode(), mode="text")

    def forget(self, conversation_id: str) -> None:
        """Drop what was sent for a conversation (it left this socket)."""
        if self._sent is not None:
            self._sent.pop(conversation_id, None)

    async def error(self, code: str, message: str, ref: str | None = None) -> None:
        """Send an error frame."""
        await self.send(ErrorOut(code=code, message=message, ref=ref))

    async def forward(self, data: bytes) -> None:
        """Send one live frame as published (a message only if it did not go out yet)."""
        head = frame_head(data)
        if head.type == "message":
            await self.send_message_raw(head.conversation_id, head.seq, data)
        else:
            await self.send_raw(data)

    # ------------------------------------------------------------------ live frames

    def push(self, data: bytes) -> None:
        """Queue one live frame without waiting (the dispatcher calls this for every socket)."""
        if self._closed:
            return
        if self._pending is None:
            self._pending = deque()
        if len(self._pending) >= self.limit:
            self._give_up()
            return
        self._pending.append(data)
        self._start_drain()

    def release(self) -> None:
        """Start sending live frames (the welcome and replays went out)."""
        self._held = False
        self._start_drain()

    def _start_drain(self) -> None:
        if self._held or self._drain is not None or not self._pending:
            return
        self._drain = asyncio.create_task(self._send_pending(), name="kefu-socket-drain")

    async def _send_pending(self) -> None:
        deliver = self._live or self.forward
        try:
            while self._pending and not self._closed:
                data = self._pending.popleft()
                try:
                    await deliver(data)
                except WebSocketDisconnect:
                    self._closed = True  # the receive loop notices and ends the session
                except Exception:
                    log.exception("failed to forward a fanned-out frame")
        finally:
            if self._drain is asyncio.current_task():
                self._pending = None  # an idle socket keeps no buffer
                self._drain = None

    def _give_up(self) -> None:
        """Close a socket that fell ``limit`` frames behind, without waiting for it."""
        log.warning("closing a socket that fell %d live frames behind", self.limit)
        self._closed = True
        self._pending = None
        if self._drain is not None:
            self._drain.cancel()  # most likely stuck waiting for the socket to drain
        self._drain = asyncio.create_task(self._close_slow(), name="kefu-socket-close")

    async def _close_slow(self) -> None:
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._socket.close(code=SLOW_CONSUMER_CLOSE, reason="slow_consumer"),
                    CLOSE_TIMEOUT,
                )
        finally:
            if self._drain is asyncio.current_task():
                self._drain = None

    async def aclose(self) -> None:
        """Stop sending live frames (the socket's session ended)."""
        self._closed = True
        self._pending = None
        task, self._drain = self._drain, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
