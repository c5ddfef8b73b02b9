"""Idle timeouts for every WebSocket of a process, without a timer per socket.

Kefu's clients send a ``ping`` frame every 25 seconds (any other frame counts as well). Instead
of a keepalive timer per socket (uvicorn's WebSocket keepalive is a ``loop.call_later`` handle
per connection, and ``kefu serve`` turns it off), each process keeps one :class:`IdleSweeper`:

* a socket *registers* when its session starts and *unregisters* when it ends;
* every inbound frame *touches* it: the socket moves to the end of an ordered dict together
  with the monotonic time, O(1), so the dict stays sorted from the longest silent socket on;
* one asyncio task wakes every ``idle_timeout / divisions`` seconds and closes, oldest first,
  every socket silent for longer than ``idle_timeout``, stopping at the first one that is not.

A silent socket is therefore closed between ``idle_timeout`` and ``idle_timeout * (1 + 1 /
divisions)`` seconds after its last frame, with code **4408** and reason ``idle_timeout``
(see docs/protocol.md); clients reconnect and resume as after any drop. The task starts with
the first socket and ends when the last one is gone (or at shutdown, :meth:`IdleSweeper.aclose`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

#: Close code for a socket that stayed silent too long (4408: like HTTP 408 Request Timeout).
IDLE_CLOSE_CODE = 4408
#: Close reason sent with :data:`IDLE_CLOSE_CODE`.
IDLE_CLOSE_REASON = "idle_timeout"
#: Sweeps per idle timeout: a silent socket is closed at most ``1 / DIVISIONS`` late.
DIVISIONS = 4
#: How long one sweep waits for the close frames of the sockets it closes (seconds).
CLOSE_TIMEOUT = 5.0


class IdleSocket(Protocol):
    """What the sweeper needs of a socket: closing it (a Litestar ``WebSocket`` fits)."""

    async def close(self, code: int = ..., reason: str | None = ...) -> None:
        """Send a close frame with ``code`` and ``reason``."""


class IdleSweeper:
    """Closes the sockets of a process that stayed silent longer than ``idle_timeout``."""

    __slots__ = ("_clock", "_last_seen", "_task", "divisions", "idle_timeout")

    def __init__(
        self,
        idle_timeout: float,
        *,
        divisions: int = DIVISIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be positive, got {idle_timeout!r}")
        if divisions < 1:
            raise ValueError(f"divisions must be at least 1, got {divisions!r}")
        self.idle_timeout = idle_timeout
        self.divisions = divisions
        self._clock = clock
        #: Socket -> when its last frame arrived; least recently active first.
        self._last_seen: OrderedDict[IdleSocket, float] = OrderedDict()
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        """How many sockets are registered."""
        return len(self._last_seen)

    def __contains__(self, socket: object) -> bool:
        """Whether ``socket`` is registered."""
        return socket in self._last_seen

    @property
    def interval(self) -> float:
        """Seconds between two sweeps."""
        return self.idle_timeout / self.divisions

    @property
    def running(self) -> bool:
        """Whether the sweeping task is alive."""
        return self._task is not None and not self._task.done()

    def register(self, socket: IdleSocket) -> None:
        """Watch ``socket`` from now on (its session started); starts the task if needed."""
        self._last_seen[socket] = self._clock()
        self._last_seen.move_to_end(socket)
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="kefu-idle-sweeper"
            )

    def touch(self, socket: IdleSocket) -> None:
        """Note that a frame arrived on ``socket`` (does nothing once it is unregistered)."""
        last_seen = self._last_seen
        if socket in last_seen:
            last_seen[socket] = self._clock()
            last_seen.move_to_end(socket)

    def unregister(self, socket: IdleSocket) -> None:
        """Stop watching ``socket`` (its session ended)."""
        self._last_seen.pop(socket, None)

    def expired(self, now: float | None = None) -> list[IdleSocket]:
        """Take out and return, oldest first, every socket silent for over ``idle_timeout``."""
        deadline = (self._clock() if now is None else now) - self.idle_timeout
        last_seen = self._last_seen
        silent: list[IdleSocket] = []
        while last_seen:
            socket, seen = next(iter(last_seen.items()))
            if seen >= deadline:
                break
            del last_seen[socket]
            silent.append(socket)
        return silent

    async def sweep(self, now: float | None = None) -> list[IdleSocket]:
        """Close every socket silent for over ``idle_timeout``; returns them, oldest first."""
        silent = self.expired(now)
        if not silent:
            return silent
        log.info("closing %d WebSocket(s) silent for over %gs", len(silent), self.idle_timeout)
        # Close frames are written at once; only a socket whose send buffer is full waits.
        closing = [asyncio.ensure_future(self._close(socket)) for socket in silent]
        _, late = await asyncio.wait(closing, timeout=CLOSE_TIMEOUT)
        for task in late:
            task.cancel()
        return silent

    @staticmethod
    async def _close(socket: IdleSocket) -> None:
        with contextlib.suppress(Exception):
            await socket.close(code=IDLE_CLOSE_CODE, reason=IDLE_CLOSE_REASON)

    async def _run(self) -> None:
        """Sweep every ``interval`` seconds while any socket is registered."""
        try:
            while self._last_seen:
                await asyncio.sleep(self.interval)
                try:
                    await self.sweep()
                except Exception:
                    log.exception("idle sweep failed")
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def aclose(self) -> None:
        """Stop the sweeping task (the app shuts down); sockets stay registered."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
