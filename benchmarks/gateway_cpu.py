"""K1 gateway benchmark: server CPU per visitor->agent message, against a bare echo server.

Two servers run one after the other, each as ``uvicorn`` in its own process on loopback:

* ``echo``: a bare Litestar WebSocket endpoint that sends every text frame straight back, the
  floor any WebSocket server pays per message (receive, parse the frame, send).
* ``kefu``: the Kefu gateway (``kefu.app:app_from_env`` with the demo agents; by default
  SQLite in a temporary data directory and the memory bus, ``--database-url`` and
  ``--bus-url`` choose others). A message counts once the visitor has its ack (the message is
  stored) and the agent has received the push: validated, persisted, routed, pushed.

With ``--chat-only`` the Kefu server is ``benchmarks/_chat_only.py``: the same app with an
assistant that only hands conversations to a human, so the figure is the chat path alone
(without it, the dialog manager's per-turn work is counted too).

This process is the client (the ``websockets`` library). ``--concurrency`` takes one or more
numbers of visitors; for each, both servers get the exact same load: that many sockets
(visitor conversations for Kefu, all assigned to one agent whose socket receives every
push), each sending its next message as soon as the previous one is done. For each
concurrency the echo server is measured, then Kefu, back to back: ``warmup`` messages, then the
server's user+system CPU time is read, ``messages`` more are sent, the server is left to go idle
(so background work is counted), and its CPU time is read again. The figure is CPU microseconds
per message and its ratio to the echo figure of the same concurrency in the same run, since
absolute numbers vary from machine to machine and from minute to minute::

    .venv/bin/python benchmarks/gateway_cpu.py --messages 2000 --concurrency 1,4,50,200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (  # the harness sits next to this script
    Measurement,
    Server,
    cpu_clock_source,
    environment,
    print_table,
    run_server,
    write_results,
)

BENCHMARK = "gateway_cpu"
DEMO_PASSWORD = "kefu-demo"  # kefu.app.DEMO_PASSWORD
TEXT = "你好，我的订单 #10023 还没有发货，可以帮我查一下吗？Where is my parcel?"

#: Seconds spent measuring a server's idle CPU before the measured phase.
IDLE_SAMPLE = 1.0

#: Visitors that say hello and hand off at the same time while a Kefu workload is set up.
SETUP_BATCH = 20

#: Seconds a visitor's first message may take to reach the agent while setting up.
SETUP_TIMEOUT = 60.0

#: Sends message number ``i`` and returns once it has been fully handled.
SendOne = Callable[[int], Awaitable[None]]


# ------------------------------------------------------------------------------ echo baseline


@websocket("/ws/echo")
async def _echo(socket: WebSocket) -> None:  # type: ignore[type-arg]
    await socket.accept()
    try:
        while True:
            await socket.send_text(await socket.receive_text())
    except WebSocketDisconnect:
        pass


def echo_app() -> Litestar:
    """The baseline: a Litestar app whose only route echoes WebSocket text frames."""
    return Litestar(route_handlers=[_echo], openapi_config=None)


def _message_frame(i: int, worker: int) -> str:
    return json.dumps(
        {"type": "message", "client_msg_id": f"w{worker}-m{i}", "text": f"{TEXT} [{i}]"},
        ensure_ascii=False,
    )


@contextlib.asynccontextmanager
async def echo_workers(server: Server, concurrency: int) -> AsyncIterator[list[SendOne]]:
    """One echo connection per worker; a message is done when its echo comes back."""
    async with contextlib.AsyncExitStack() as stack:
        senders: list[SendOne] = []
        for worker in range(concurrency):
            ws = await stack.enter_async_context(connect(f"{server.ws_url}/ws/echo"))

            async def send(i: int, ws: ClientConnection = ws, worker: int = worker) -> None:
                frame = _message_frame(i, worker)
                await ws.send(frame)
                if await ws.recv() != frame:
                    raise RuntimeError("echo server sent back something else")

            senders.append(send)
        yield senders


# ------------------------------------------------------------------------------ Kefu gateway


class _Inbox:
    """Reads one socket's frames in the background and resolves waiters by key."""

    def __init__(self, ws: ClientConnection, key: Callable[[dict[str, Any]], Any]) -> None:
        self._ws = ws
        self._key = key
        self._waiters: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._early: dict[Any, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    self.errors.append(frame)
                    self._fail(RuntimeError(f"server error frame: {frame}"))
                    continue
                key = self._key(frame)
                if key is None:
                    continue
                future = self._waiters.pop(key) if key in self._waiters else None
                if future is not None and not future.done():
                    future.set_result(frame)
                else:
                    self._early[key] = frame
        finally:
            self._fail(ConnectionError("the server closed the WebSocket"))

    def _fail(self, exc: Exception) -> None:
        for future in self._waiters.values():
            if not future.done():
                future.set_exception(exc)

    def expect(self, key: Any) -> asyncio.Future[dict[str, Any]]:
        """A future resolved by the frame with ``key`` (which may already have arrived)."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if key in self._early:
            future.set_result(self._early.pop(key))
        else:
            self._waiters[key] = future
        return future

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


def _ack_key(frame: dict[str, Any]) -> Any:
    kind = frame.get("type")
    if kind == "ack":
        return ("ack", frame["client_msg_id"])
    if kind == "event" and frame.get("name") == "closed":
        return ("closed",)
    return None


def _agent_key(frame: dict[str, Any]) -> Any:
    kind = frame.get("type")
    if kind == "message" and frame.get("sender") == "visitor":
        return ("message", frame["conversation_id"], frame["client_msg_id"])
    if kind == "event" and frame.get("name") == "assigned":
        return ("assigned", frame["conversation_id"])
    return None


async def _start_visitor(
    server: Server, worker: int, agent_inbox: _Inbox, stack: contextlib.AsyncExitStack
) -> tuple[SendOne, ClientConnection, _Inbox]:
    ws = await stack.enter_async_context(connect(f"{server.ws_url}/ws/visitor"))
    await ws.send(json.dumps({"type": "hello", "display_name": f"bench {worker}"}))
    hello = json.loads(await ws.recv())
    if hello.get("type") != "welcome":
        raise RuntimeError(f"visitor hello refused: {hello}")
    cid = hello["conversation_id"]
    inbox = _Inbox(ws, _ack_key)
    stack.push_async_callback(inbox.close)
    assigned = agent_inbox.expect(("assigned", cid))

    async def send(i: int) -> None:
        msg_id = f"w{worker}-m{i}"
        acked = inbox.expect(("ack", msg_id))
        pushed = agent_inbox.expect(("message", cid, msg_id))
        await ws.send(_message_frame(i, worker))
        await asyncio.gather(acked, pushed)

    # The first message hands the conversation to the agent; later ones are pushed.
    try:
        await asyncio.wait_for(send(-1), SETUP_TIMEOUT)
        await asyncio.wait_for(assigned, SETUP_TIMEOUT)
    except TimeoutError:
        raise RuntimeError(
            f"visitor {worker}: the first message was not acked, assigned and pushed to the "
            f"agent within {SETUP_TIMEOUT:.0f} s"
        ) from None
    return send, ws, inbox


@contextlib.asynccontextmanager
async def kefu_workers(server: Server, concurrency: int) -> AsyncIterator[list[SendOne]]:
    """An agent online, one visitor conversation per worker, each assigned to that agent.

    The conversations are closed on the way out, so the next concurrency starts afresh.
    """
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        reply = await http.post(
            "/api/agents/login", json={"username": "alice", "password": DEMO_PASSWORD}
        )
        reply.raise_for_status()
        token = reply.json()["token"]
    async with contextlib.AsyncExitStack() as stack:
        agent_ws = await stack.enter_async_context(connect(f"{server.ws_url}/ws/agent"))
        await agent_ws.send(json.dumps({"type": "hello", "token": token}))
        welcome = json.loads(await agent_ws.recv())
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"agent hello refused: {welcome}")
        agent_inbox = _Inbox(agent_ws, _agent_key)
        stack.push_async_callback(agent_inbox.close)

        visitors: list[tuple[SendOne, ClientConnection, _Inbox]] = []
        for first in range(0, concurrency, SETUP_BATCH):
            visitors += await asyncio.gather(
                *(
                    _start_visitor(server, worker, agent_inbox, stack)
                    for worker in range(first, min(concurrency, first + SETUP_BATCH))
                )
            )
        yield [send for send, _, _ in visitors]
        for _, ws, inbox in visitors:
            closed = inbox.expect(("closed",))
            await ws.send(json.dumps({"type": "close"}))
            await asyncio.wait_for(closed, 60)


# ------------------------------------------------------------------------------ measuring


async def _settle(server: Server, *, quiet_cpu: float = 0.002, limit: float = 3.0) -> None:
    """Wait until the server has used less than ``quiet_cpu`` seconds in 100 ms."""
    deadline = time.monotonic() + limit
    before = server.cpu_seconds()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now = server.cpu_seconds()
        if now - before < quiet_cpu:
            return
        before = now


async def measure(
    server: Server,
    workers: Callable[[Server, int], contextlib.AbstractAsyncContextManager[list[SendOne]]],
    *,
    messages: int,
    warmup: int,
    concurrency: int,
    timeout: float,  # noqa: ASYNC109 - one bound per phase, applied with wait_for
    profile: Path | None = None,
) -> Measurement:
    """Drive ``messages`` messages through ``server`` and measure its CPU time."""
    async with workers(server, concurrency) as senders:
        counter = itertools.count()
        latencies: list[float] = []

        async def run(send: SendOne, total: int, record: bool) -> None:
            for _ in range(total):
                i = next(counter)
                started = time.perf_counter()
                await send(i)
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)

        per_worker_warmup = max(1, warmup // concurrency)
        await asyncio.wait_for(
            asyncio.gather(*(run(s, per_worker_warmup, False) for s in senders)), timeout
        )
        await _settle(server)
        idle_before = server.cpu_seconds()
        await asyncio.sleep(IDLE_SAMPLE)
        idle_rate = (server.cpu_seconds() - idle_before) / IDLE_SAMPLE
        per_worker = messages // concurrency
        with _profiled(server, profile):
            cpu_before = server.cpu_seconds()
            started = time.perf_counter()
            await asyncio.wait_for(
                asyncio.gather(*(run(s, per_worker, True) for s in senders)), timeout
            )
            wall = time.perf_counter() - started
            await _settle(server)
            cpu = server.cpu_seconds() - cpu_before
    return Measurement(server.name, per_worker * concurrency, cpu, wall, latencies, idle_rate)


@contextlib.contextmanager
def _profiled(server: Server, output: Path | None) -> Iterator[None]:
    """Sample ``server`` with py-spy (collapsed stacks to ``output``) while the block runs.

    py-spy is not a Kefu dependency: install it into the environment to use ``--profile``.
    The profiler's own CPU is spent in its own process, not the server's.
    """
    if output is None:
        yield
        return
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    cmd = [exe, "record", "-p", str(server.process.pid), "-r", "250", "--nonblocking", "--gil"]
    cmd += ["--format", "raw", "-o", str(output)]
    profiler = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # let py-spy attach before the measured phase
    try:
        yield
    finally:
        profiler.send_signal(signal.SIGINT)
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.kill()
            profiler.wait(timeout=10)


def _kefu_env(data_dir: Path, args: argparse.Namespace) -> dict[str, str]:
    return {
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": args.database_url,
        "KEFU_BUS_URL": args.bus_url,
        "KEFU_DEMO": "true",
        "KEFU_AGENT_CAPACITY": str(max(5, *args.concurrency)),
        "KEFU_LOG_LEVEL": "WARNING",
        "KEFU_CONFIG": "",
        # The clients send as fast as the server answers: lift the per-socket frame limit
        # (the limiter still runs on every frame and its cost is counted).
        "KEFU_SECURITY_FRAME_RATE": "1000000",
        "KEFU_SECURITY_FRAME_BURST": "1000000",
    }


def _kefu_label(args: argparse.Namespace) -> str:
    store = args.database_url.split(":", 1)[0] if args.database_url else "sqlite"
    what = "chat path" if args.chat_only else "kefu"
    return f"{what} ({args.bus_url.split(':', 1)[0]}, {store})"


HERE = Path(__file__).resolve().parent


async def main(args: argparse.Namespace) -> int:
    """Run both servers at every concurrency, print the table, write the JSON result."""
    here = HERE
    options: dict[str, Any] = {
        "messages": args.messages,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "timeout": args.timeout,
        "chat_only": args.chat_only,
        "ws_deflate": args.ws_deflate,
    }
    settings = {"bus_url": args.bus_url, "database_url": args.database_url or "sqlite (default)"}
    app = "_chat_only:app_from_env" if args.chat_only else "kefu.app:app_from_env"
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as servers:
        echo = servers.enter_context(
            run_server("echo", "gateway_cpu:echo_app", app_dir=here, ws_deflate=args.ws_deflate)
        )
        clock = cpu_clock_source(echo.process.pid)
        kefu: Server | None = None
        if not args.echo_only:
            data_dir = servers.enter_context(tempfile.TemporaryDirectory(prefix="kefu-bench-"))
            kefu = servers.enter_context(
                run_server(
                    _kefu_label(args),
                    app,
                    app_dir=here,
                    env=_kefu_env(Path(data_dir), args),
                    ws_deflate=args.ws_deflate,
                )
            )
        for concurrency in args.concurrency:
            phase = {**options, "concurrency": concurrency}
            del phase["chat_only"], phase["ws_deflate"]
            base = await measure(echo, echo_workers, **phase)
            results = [base]
            if kefu is not None:
                profile = None
                if args.profile is not None:
                    args.profile.mkdir(parents=True, exist_ok=True)
                    profile = args.profile / f"kefu-c{concurrency}.txt"
                results.append(await measure(kefu, kefu_workers, **phase, profile=profile))
            for result in results:
                row = {"concurrency": concurrency, **result.summary()}
                row["cpu_ratio_to_echo"] = round(
                    result.cpu_us_per_message / base.cpu_us_per_message, 2
                )
                rows.append(row)
    print_table(
        f"Server CPU per message ({args.messages} messages per server and concurrency)",
        rows,
        [
            "concurrency",
            "name",
            "messages",
            "server_cpu_us_per_message",
            "cpu_ratio_to_echo",
            "messages_per_second",
            "latency_ms_p50",
            "latency_ms_p95",
            "idle_cpu_percent",
        ],
    )
    path = write_results(
        BENCHMARK,
        {
            "benchmark": BENCHMARK,
            "options": options,
            "kefu_settings": settings,
            "cpu_clock": clock,
            "environment": environment(),
            "results": rows,
        },
    )
    print(f"\nwritten to {path.relative_to(here.parent)}")
    return 0


def _concurrencies(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from exc
    if not values:
        raise argparse.ArgumentTypeError("give at least one concurrency")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (all bounded, so a run always ends)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=1000, help="measured messages per server")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured messages first")
    parser.add_argument(
        "--concurrency",
        type=_concurrencies,
        default=[4],
        help="parallel visitor sockets, or a comma-separated list of them (e.g. 1,4,50,200)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per phase, at most")
    parser.add_argument("--echo-only", action="store_true", help="measure only the baseline")
    parser.add_argument(
        "--chat-only",
        action="store_true",
        help="serve benchmarks/_chat_only.py: the chat path without the dialog manager",
    )
    parser.add_argument(
        "--profile", type=Path, help="directory for py-spy collapsed stacks of the Kefu server"
    )
    parser.add_argument(
        "--ws-deflate",
        action="store_true",
        help="both servers accept permessage-deflate (kefu serve --ws-deflate; off by default)",
    )
    parser.add_argument(
        "--bus-url", default="memory://", help="KEFU_BUS_URL, e.g. redis://127.0.0.1:6379/11"
    )
    parser.add_argument(
        "--database-url", default="", help="KEFU_DATABASE_URL (default: SQLite in a temp dir)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.messages <= 100_000:
        parser.error("--messages must be between 1 and 100000")
    if not all(1 <= c <= 500 for c in args.concurrency):
        parser.error("--concurrency must be between 1 and 500")
    if args.messages < max(args.concurrency):
        parser.error("--messages must be at least the largest --concurrency")
    return args


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
