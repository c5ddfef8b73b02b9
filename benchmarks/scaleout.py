"""Scale-out: visitor->agent message throughput and latency with 1 and 2 Kefu processes.

Every layout runs Kefu (``uvicorn kefu.app:app_from_env --factory``, demo agents) on
PostgreSQL and Redis, on a database created for the layout and a flushed Redis database:

* ``1-process``: the agent and every visitor on one process (the baseline);
* ``2-split``: the agent on process A, every visitor on process B, so each message
  is stored by B and reaches the agent through Redis pub/sub on A: no sticky sessions;
* ``2-spread``: the agent on A, visitors alternately on A and B.

``--concurrency`` visitors each send their next message as soon as the previous one is done
(closed loop). A message is done when the visitor has its ack (stored) and the agent's socket
has received it. Figures: messages/s over the measured phase, latency p50/p99 (send -> done),
and the CPU microseconds per message of all Kefu processes together::

    .venv/bin/python benchmarks/scaleout.py --messages 2000 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (  # the harness sits next to this script
    REPO_ROOT,
    Server,
    environment,
    print_table,
    run_server,
    write_results,
)

BENCHMARK = "scaleout"
DEMO_PASSWORD = "kefu-demo"  # kefu.app.DEMO_PASSWORD
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/12"
#: Seconds any one setup step (login, hello, handoff) may take before the run fails.
SETUP_TIMEOUT = 120.0
TEXT = "我的订单 #10023 什么时候发货？When will my order ship?"

#: (layout name, number of processes, which process each visitor uses: index by visitor number)
LAYOUTS: dict[str, tuple[int, tuple[int, ...]]] = {
    "1-process": (1, (0,)),
    "2-split": (2, (1,)),
    "2-spread": (2, (0, 1)),
}


# ------------------------------------------------------------------------------ services


@contextlib.asynccontextmanager
async def fresh_database(admin_dsn: str = PG_ADMIN) -> AsyncIterator[str]:
    """An empty PostgreSQL database for one layout (dropped afterwards): its asyncpg URL."""
    name = f"kefu_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(admin_dsn, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _env(data_dir: Path, database_url: str, redis_url: str, capacity: int) -> dict[str, str]:
    return {
        "KEFU_CONFIG": "",
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": database_url,
        "KEFU_BUS_URL": redis_url,
        "KEFU_SECRET_KEY": "scaleout-benchmark-shared-secret-" + "x" * 16,
        "KEFU_DEMO": "true",
        "KEFU_AGENT_CAPACITY": str(capacity),
        "KEFU_LOG_LEVEL": "WARNING",
        "KEFU_SECURITY_FRAME_RATE": "1000000",
        "KEFU_SECURITY_FRAME_BURST": "1000000",
        "KEFU_SECURITY_HTTP_RATE": "1000000",
        "KEFU_SECURITY_HTTP_BURST": "1000000",
    }


@contextlib.contextmanager
def kefu_processes(count: int, env: dict[str, str]) -> Iterator[list[Server]]:
    """``count`` Kefu processes sharing ``env`` (started one after the other)."""
    with contextlib.ExitStack() as stack:
        servers = []
        for n in range(count):
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="kefu-scale-"))
            servers.append(
                stack.enter_context(
                    run_server(
                        f"kefu-{'AB'[n]}",
                        "kefu.app:app_from_env",
                        env={**env, "KEFU_DATA_DIR": data_dir},
                        ready_timeout=240.0,
                    )
                )
            )
        yield servers


# ------------------------------------------------------------------------------ clients


class AgentInbox:
    """Reads the agent socket; resolves a future per (conversation, client message id)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.waiting: dict[tuple[str, str], asyncio.Future[None]] = {}
        self.arrived: set[tuple[str, str]] = set()
        self.assigned: dict[str, asyncio.Future[None]] = {}
        self.task = asyncio.create_task(self._read())

    def expect_message(self, cid: str, msg_id: str) -> asyncio.Future[None]:
        """A future done once the agent has the message."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if (cid, msg_id) in self.arrived:
            self.arrived.discard((cid, msg_id))
            future.set_result(None)
        else:
            self.waiting[(cid, msg_id)] = future
        return future

    def expect_assigned(self, cid: str) -> asyncio.Future[None]:
        """A future done once the conversation is assigned to this agent."""
        return self.assigned.setdefault(cid, asyncio.get_running_loop().create_future())

    async def _read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message" and frame.get("sender") == "visitor":
                key = (frame["conversation_id"], frame["client_msg_id"])
                future = self.waiting.pop(key, None)
                if future is None:
                    self.arrived.add(key)
                elif not future.done():
                    future.set_result(None)
            elif kind == "event" and frame.get("name") == "assigned":
                done = self.expect_assigned(frame["conversation_id"])
                if not done.done():
                    done.set_result(None)


@dataclass
class Visitor:
    """One visitor conversation, assigned to the agent."""

    number: int
    ws: ClientConnection
    cid: str
    acks: dict[str, asyncio.Future[None]]
    reader: asyncio.Task[None]

    async def send(self, n: int, agent: AgentInbox, *, delivered: bool = True) -> None:
        """Send message ``n``; return once it is acked and (``delivered``) the agent has it."""
        msg_id = f"v{self.number}-{n}"
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks[msg_id] = acked
        waits = [acked, agent.expect_message(self.cid, msg_id)] if delivered else [acked]
        frame = {"type": "message", "client_msg_id": msg_id, "text": f"{TEXT} [{n}]"}
        await self.ws.send(json.dumps(frame, ensure_ascii=False))
        await asyncio.gather(*waits)


async def _visitor(number: int, server: Server, agent: AgentInbox) -> Visitor:
    ws = await connect(f"{server.ws_url}/ws/visitor", open_timeout=60)
    await ws.send(json.dumps({"type": "hello", "display_name": f"scale {number}"}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), SETUP_TIMEOUT))
    if welcome.get("type") != "welcome":
        raise RuntimeError(f"visitor hello refused: {welcome}")
    acks: dict[str, asyncio.Future[None]] = {}

    async def read() -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ack":
                future = acks.pop(frame["client_msg_id"], None)
                if future is not None and not future.done():
                    future.set_result(None)
            elif frame.get("type") == "error":
                for future in acks.values():
                    if not future.done():
                        future.set_exception(RuntimeError(f"error frame: {frame}"))

    visitor = Visitor(number, ws, welcome["conversation_id"], acks, asyncio.create_task(read()))
    assigned = agent.expect_assigned(visitor.cid)
    # The first message hands the conversation to the agent (not measured, so only its ack and
    # the assignment are awaited).
    try:
        await asyncio.wait_for(visitor.send(-1, agent, delivered=False), SETUP_TIMEOUT)
    except TimeoutError:
        raise RuntimeError(
            f"visitor {number} on {server.name}: no ack for its first message "
            f"within {SETUP_TIMEOUT:.0f}s (conversation {visitor.cid})"
        ) from None
    try:
        await asyncio.wait_for(assigned, SETUP_TIMEOUT)
    except TimeoutError:
        raise RuntimeError(
            f"visitor {number} on {server.name}: conversation {visitor.cid} not assigned "
            f"to the agent within {SETUP_TIMEOUT:.0f}s"
        ) from None
    return visitor


async def _agent(server: Server) -> AgentInbox:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        reply = await http.post(
            "/api/agents/login", json={"username": "alice", "password": DEMO_PASSWORD}
        )
        reply.raise_for_status()
        token = reply.json()["token"]
    ws = await connect(f"{server.ws_url}/ws/agent", open_timeout=60, max_size=2**24)
    await ws.send(json.dumps({"type": "hello", "token": token}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), SETUP_TIMEOUT))
    if welcome.get("type") != "welcome":
        raise RuntimeError(f"agent hello refused: {welcome}")
    return AgentInbox(ws)


# ------------------------------------------------------------------------------ measuring


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure_layout(
    layout: str,
    *,
    messages: int,
    warmup: int,
    concurrency: int,
    redis_url: str = REDIS_URL,
    phase_timeout: float = 600.0,
) -> dict[str, Any]:
    """Run one layout on a fresh database and return its row."""
    processes, visitor_homes = LAYOUTS[layout]
    redis.Redis.from_url(redis_url).flushdb()
    async with fresh_database() as database_url:
        env = _env(Path(tempfile.gettempdir()), database_url, redis_url, concurrency + 5)
        with kefu_processes(processes, env) as servers:
            agent = await _agent(servers[0])
            visitors: list[Visitor] = []
            for first in range(0, concurrency, 10):
                visitors += await asyncio.gather(
                    *(
                        _visitor(n, servers[visitor_homes[n % len(visitor_homes)]], agent)
                        for n in range(first, min(concurrency, first + 10))
                    )
                )
            latencies: list[float] = []
            counter = iter(range(10**9))

            async def loop(visitor: Visitor, total: int, record: bool) -> None:
                for _ in range(total):
                    started = time.perf_counter()
                    await visitor.send(next(counter), agent)
                    if record:
                        latencies.append((time.perf_counter() - started) * 1000)

            per_visitor = max(1, warmup // concurrency)
            await asyncio.wait_for(
                asyncio.gather(*(loop(v, per_visitor, False) for v in visitors)), phase_timeout
            )
            per_visitor = max(1, messages // concurrency)
            cpu_before = sum(s.cpu_seconds() for s in servers)
            started = time.perf_counter()
            await asyncio.wait_for(
                asyncio.gather(*(loop(v, per_visitor, True) for v in visitors)), phase_timeout
            )
            wall = time.perf_counter() - started
            cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
            for visitor in visitors:
                visitor.reader.cancel()
                await visitor.ws.close()
            agent.task.cancel()
            await agent.ws.close()
    done = len(latencies)
    return {
        "layout": layout,
        "processes": processes,
        "concurrency": concurrency,
        "messages": done,
        "wall_seconds": round(wall, 3),
        "messages_per_second": round(done / wall, 1),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p99": round(percentile(latencies, 0.99) or 0.0, 2),
        "server_cpu_us_per_message": round(cpu / done * 1e6, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


async def run_benchmark(
    *,
    messages: int = 2000,
    warmup: int = 200,
    concurrency: int = 20,
    layouts: Sequence[str] = tuple(LAYOUTS),
    rounds: int = 1,
) -> dict[str, Any]:
    """Measure every layout ``rounds`` times, interleaved (A B C, C B A...), since load drifts.

    The summary row of a layout holds the median throughput and latencies of its rounds and
    its throughput ratio to the 1-process layout.
    """
    runs: list[dict[str, Any]] = []
    for n in range(rounds):
        order = list(layouts) if n % 2 == 0 else list(reversed(layouts))
        for layout in order:
            print(f"round {n + 1}: {layout}", file=sys.stderr, flush=True)
            row = await measure_layout(
                layout, messages=messages, warmup=warmup, concurrency=concurrency
            )
            runs.append({"round": n + 1, **row})
    rows = []
    for layout in layouts:
        mine = [r for r in runs if r["layout"] == layout]
        row = dict(mine[0])
        del row["round"]
        for key in (
            "messages_per_second",
            "latency_ms_p50",
            "latency_ms_p99",
            "server_cpu_us_per_message",
            "load_average_1m",
        ):
            row[key] = round(statistics.median(r[key] for r in mine), 2)
        row["messages"] = sum(r["messages"] for r in mine)
        row["rounds"] = len(mine)
        rows.append(row)
    base = next((r for r in rows if r["processes"] == 1), rows[0])
    for row in rows:
        row["throughput_ratio_to_1_process"] = round(
            row["messages_per_second"] / base["messages_per_second"], 2
        )
    return {
        "benchmark": BENCHMARK,
        "options": {
            "messages": messages,
            "warmup": warmup,
            "concurrency": concurrency,
            "rounds": rounds,
            "layouts": list(layouts),
            "database": "PostgreSQL 127.0.0.1:5432 (a fresh database per layout)",
            "bus": REDIS_URL,
        },
        "environment": environment(),
        "runs": runs,
        "results": rows,
    }


COLUMNS = [
    "layout",
    "rounds",
    "messages",
    "messages_per_second",
    "throughput_ratio_to_1_process",
    "latency_ms_p50",
    "latency_ms_p99",
    "server_cpu_us_per_message",
    "load_average_1m",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the layouts, print the table, write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2000, help="measured messages per layout")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured messages first")
    parser.add_argument("--concurrency", type=int, default=20, help="visitors sending at once")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved runs of each layout")
    parser.add_argument(
        "--layouts", default=",".join(LAYOUTS), help=f"comma-separated, of: {list(LAYOUTS)}"
    )
    args = parser.parse_args(argv)
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    unknown = [name for name in layouts if name not in LAYOUTS]
    if unknown:
        parser.error(f"unknown layouts {unknown}; choose from {list(LAYOUTS)}")
    if not 1 <= args.concurrency <= 500 or not 1 <= args.messages <= 100_000:
        parser.error("--concurrency must be 1..500 and --messages 1..100000")
    result = asyncio.run(
        run_benchmark(
            messages=args.messages,
            warmup=args.warmup,
            concurrency=args.concurrency,
            layouts=layouts,
            rounds=max(1, args.rounds),
        )
    )
    print_table(
        f"Visitor->agent messages on PostgreSQL + Redis ({args.concurrency} visitors)",
        result["results"],
        COLUMNS,
    )
    path = write_results(BENCHMARK, result)
    print(f"\nwritten to {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
