"""The one fan-out subscription of a process, handing frames to the local sockets they are for.

Instead of a channel subscription per socket (a queue, a task and context managers each), a
process subscribes once to :data:`~kefu.gateway.fanout.SOCKETS_CHANNEL` and keeps a dict
from route (a conversation's visitors, an agent) to the sockets it holds on that route. Each
frame is looked up once and pushed to those sockets' outboxes without waiting for any of them,
so a slow socket never holds up the others (its outbox bounds what it may fall behind).

A socket is attached *before* its handler reads history to replay, and the subscription is
known to be live before the first attach returns (a probe published through it came back),
so nothing published after the replay's read can be missed; the outbox's sequence numbers
drop what both the live frame and the replay carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Protocol

from litestar.channels import ChannelsPlugin

from kefu.gateway.fanout import SOCKETS_CHANNEL, envelope, open_envelope

log = logging.getLogger(__name__)

#: How long to wait for the subscription's probe before trying again (seconds).
PROBE_TIMEOUT = 5.0
#: Attempts at confirming the subscription before attaching fails.
PROBE_ATTEMPTS = 3


class Sink(Protocol):
    """Where the dispatcher puts a socket's live frames (an outbox)."""

    def push(self, data: bytes) -> None:
        """Take one frame without waiting."""


class SocketDispatcher:
    """Routes frames from the process-wide subscription to the sockets attached here."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self._channels = channels
        self._routes: dict[str, set[Sink]] = {}
        self._started: asyncio.Task[None] | None = None
        self._stack = contextlib.AsyncExitStack()
        self._probes: dict[str, asyncio.Future[None]] = {}

    @property
    def sockets(self) -> int:
        """How many sockets are attached."""
        return sum(len(sinks) for sinks in self._routes.values())

    def routes(self) -> list[str]:
        """The routes with at least one socket attached."""
        return list(self._routes)

    async def attach(self, route: str, sink: Sink) -> None:
        """Deliver frames for ``route`` to ``sink`` from now on (subscribing on first use)."""
        await self.start()
        self._routes.setdefault(route, set()).add(sink)

    def detach(self, route: str, sink: Sink) -> None:
        """Stop delivering to ``sink`` (its socket closed)."""
        sinks = self._routes.get(route)
        if sinks is None:
            return
        sinks.discard(sink)
        if not sinks:
            del self._routes[route]

    async def start(self) -> None:
        """Subscribe once for the whole process and wait until the subscription is live."""
        started = self._started
        if started is None or (
            started.done() and (started.cancelled() or started.exception() is not None)
        ):
            started = asyncio.create_task(self._subscribe(), name="kefu-fanout-subscribe")
            self._started = started
        # Shielded: one socket giving up must not cancel the subscription others wait for.
        await asyncio.shield(started)

    async def _subscribe(self) -> None:
        subscriber = await self._channels.subscribe([SOCKETS_CHANNEL])
        self._stack.push_async_callback(self._channels.unsubscribe, subscriber)
        try:
            # The plugin stops this background task when the app shuts down.
            await self._stack.enter_async_context(
                subscriber.run_in_background(self._on_event, join=False)
            )
            await self._confirm()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _confirm(self) -> None:
        """Publish probes until one comes back through the subscription."""
        for attempt in range(1, PROBE_ATTEMPTS + 1):
            token = f"kefu:probe:{uuid.uuid4().hex}"
            probe: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._probes[token] = probe
            try:
                await self._channels.wait_published(envelope([token], b""), [SOCKETS_CHANNEL])
                await asyncio.wait_for(probe, PROBE_TIMEOUT)
                return
            except TimeoutError:
                log.warning("fan-out subscription not confirmed yet (attempt %d)", attempt)
            finally:
                self._probes.pop(token, None)
        raise RuntimeError("the fan-out subscription could not be confirmed")

    async def aclose(self) -> None:
        """Stop the subscription's background task (the app's shutdown also does)."""
        await self._stack.aclose()
        self._started = None

    async def _on_event(self, data: bytes) -> None:
        try:
            self.dispatch(data)
        except Exception:
            # Never let one frame end the process's only subscription.
            log.exception("failed to dispatch a fanned-out frame")

    def dispatch(self, data: bytes) -> None:
        """Push one published envelope's frame to every attached socket on its routes."""
        try:
            routes, frame = open_envelope(data)
        except ValueError:
            log.warning("dropped a fan-out event that is not a socket envelope")
            return
        if len(routes) == 1:
            sinks = self._routes.get(routes[0])
            if sinks is None:
                self._answer_probe(routes[0])
                return
            for sink in sinks:
                sink.push(frame)
            return
        seen: set[int] = set()  # a socket on two of the routes still gets the frame once
        for route in routes:
            for sink in self._routes.get(route, ()):
                if id(sink) not in seen:
                    seen.add(id(sink))
                    sink.push(frame)

    def _answer_probe(self, route: str) -> None:
        probe = self._probes.get(route) if self._probes else None
        if probe is not None and not probe.done():
            probe.set_result(None)
