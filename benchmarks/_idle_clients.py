"""The client side of the connection-density benchmark: processes holding idle visitor sockets.

Each client process binds its sockets to its own loopback source address and drives them with
the ``websockets`` library's sans-I/O protocol over plain asyncio transports (a few KiB per
socket). A socket says ``hello``, waits for ``welcome`` and then stays idle but for a ``ping``
frame about every 25 s, sent by the process's one pinging task. ``benchmarks/connections.py``
starts the processes (:func:`start_client`) and drives them line by line over their stdin and
stdout (:class:`ClientProcess`)::

    python benchmarks/_idle_clients.py ws://127.0.0.1:8000/ws/visitor --source 127.0.0.2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import resource
import subprocess
import sys
from dataclasses import dataclass

from _harness import REPO_ROOT  # the harness sits next to this script
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

HELLO = json.dumps({"type": "hello", "v": 1}).encode()
PING = json.dumps({"type": "ping"}).encode()
#: Seconds between two ping frames of one socket (Kefu's clients: shared/socket.js).
PING_EVERY = 25.0
#: Seconds between two rounds of the client process's one pinging task.
PING_TICK = 1.0


# ------------------------------------------------------------------------------ fd limits


def raise_nofile(wanted: int) -> int:
    """Raise this process's open-file soft limit towards ``wanted`` (capped by the hard limit).

    Returns the soft limit in force afterwards.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def hard_nofile() -> int:
    """The hard open-file limit of this process (what a child can be raised to)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return sys.maxsize if hard == resource.RLIM_INFINITY else int(hard)


# ------------------------------------------------------------------------------ client side


class IdleVisitor(asyncio.Protocol):
    """One visitor socket: handshake, ``hello``, wait for ``welcome``, then idle but for pings."""

    __slots__ = ("done", "lost", "proto", "transport")

    def __init__(self, url: str, done: asyncio.Future[bool], deflate: bool = False) -> None:
        extensions = [ClientPerMessageDeflateFactory()] if deflate else None
        self.proto = ClientProtocol(parse_uri(url), max_size=2**16, extensions=extensions)
        self.done = done
        self.transport: asyncio.Transport | None = None
        #: Whether the connection ended after the welcome (the server closed it).
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the opening handshake."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proto.send_request(self.proto.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        """Feed the protocol; pongs it queues for pings go straight back out."""
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if isinstance(event, Response):
                if self.proto.state is State.OPEN:
                    self.proto.send_text(HELLO)
                else:
                    self._finish(False)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT and not self.done.done():
                self._finish(b'"welcome"' in bytes(event.data))
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        """The server closed the socket (or the connection failed)."""
        if self.done.done() and self.done.result():
            self.lost = True
        self._finish(False)

    def ping(self) -> None:
        """Send one ``ping`` frame, as Kefu's clients do to stay within the idle timeout."""
        if self.proto.state is State.OPEN and not self.lost:
            self.proto.send_text(PING)
            self._flush()

    def _finish(self, ok: bool) -> None:
        if not self.done.done():
            self.done.set_result(ok)

    def _flush(self) -> None:
        out = self.proto.data_to_send()
        if out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(out))


async def _open_one(
    url: str, host: str, port: int, source: str, limit: float, deflate: bool = False
) -> IdleVisitor | None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bool] = loop.create_future()
    try:
        transport, visitor = await asyncio.wait_for(
            loop.create_connection(
                lambda: IdleVisitor(url, done, deflate), host, port, local_addr=(source, 0)
            ),
            limit,
        )
        if await asyncio.wait_for(done, limit):
            return visitor
        transport.close()
    except (OSError, TimeoutError):
        pass
    return None


async def ping_forever(
    visitors: list[IdleVisitor], every: float = PING_EVERY, tick: float = PING_TICK
) -> None:
    """Ping each socket about every ``every`` seconds from this one task, a slice per ``tick``.

    The sockets are walked in order, ``len(visitors) * tick / every`` of them per round, so the
    pings are spread evenly over time and no socket holds a timer or task of its own.
    """
    cursor = 0
    while True:
        await asyncio.sleep(tick)
        count = len(visitors)
        if not count:
            continue
        for _ in range(min(count, math.ceil(count * tick / every))):
            cursor %= count
            visitors[cursor].ping()
            cursor += 1


async def client_main(
    url: str, source: str, in_flight: int, limit: float, deflate: bool = False
) -> None:
    """Client process: read ``open N`` / ``quit`` lines, answer ``ok OPEN FAILED DROPPED``.

    OPEN counts the sockets still open, DROPPED those the server closed after its welcome.
    """
    raise_nofile(hard_nofile())
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    visitors: list[IdleVisitor] = []
    failed = 0
    gate = asyncio.Semaphore(in_flight)
    pinger = asyncio.create_task(ping_forever(visitors))

    async def one() -> None:
        nonlocal failed
        async with gate:
            visitor = await _open_one(url, host, int(port), source, limit, deflate)
        if visitor is None:
            failed += 1
        else:
            visitors.append(visitor)

    while line := (await reader.readline()).decode().split():
        if line[0] == "quit":
            break
        target = int(line[1])
        missing = target - len(visitors)
        await asyncio.gather(*(one() for _ in range(max(0, missing))))
        dropped = sum(1 for visitor in visitors if visitor.lost)
        print(f"ok {len(visitors) - dropped} {failed} {dropped}", flush=True)
    pinger.cancel()
    for visitor in visitors:
        if visitor.transport is not None:
            visitor.transport.close()
    await asyncio.sleep(0.5)


@dataclass
class ClientProcess:
    """A client process holding some of the sockets, driven line by line."""

    source: str
    process: subprocess.Popen[str]

    def request(self, total: int) -> None:
        """Ask it to hold ``total`` sockets (it opens the missing ones)."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"open {total}\n")
        self.process.stdin.flush()

    def answer(self) -> tuple[int, int, int]:
        """(open sockets, failed attempts, sockets the server closed), once it is done."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "ok":
            raise RuntimeError(f"client {self.source} stopped: {line}")
        return int(line[1]), int(line[2]), int(line[3])

    def stop(self) -> None:
        """Tell it to close its sockets and exit (kill it when it does not)."""
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_client(
    url: str, index: int, in_flight: int, timeout: float, deflate: bool
) -> ClientProcess:
    """Start client process ``index`` (source address 127.0.0.<index + 2>) against ``url``."""
    source = f"127.0.0.{index + 2}"
    cmd = [sys.executable, __file__, url, "--source", source]
    cmd += ["--in-flight", str(in_flight), "--timeout", str(timeout)]
    if deflate:
        cmd.append("--deflate")
    process = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    return ClientProcess(source, process)


def main(argv: list[str] | None = None) -> int:
    """Be one client process (started by :func:`start_client`)."""
    parser = argparse.ArgumentParser(description="one client process of benchmarks/connections.py")
    parser.add_argument("url", help="the visitor WebSocket URL")
    parser.add_argument("--source", default="127.0.0.2", help="loopback source address")
    parser.add_argument("--in-flight", type=int, default=64, help="handshakes at once")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per socket, at most")
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    args = parser.parse_args(argv)
    asyncio.run(client_main(args.url, args.source, args.in_flight, args.timeout, args.deflate))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
