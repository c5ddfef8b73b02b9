"""K4 integration benchmark: webhook-to-agent-socket latency and customer-context latency.

Part 1 (webhooks). Kefu runs with the integration installed (``uvicorn
kefu.app:app_from_env --factory``, SQLite, memory bus by default). An agent is
connected and owns a conversation linked to a customer. This process plays the business
system: it signs and posts ``shipment.delayed`` webhooks one at a time and measures

* ``ack``: POST sent -> ``202`` received (the event is durably stored);
* ``socket``: POST sent -> the ``hint`` frame arrives on the agent's socket (stored, relayed to
  the bus, turned into a hint by the consumer group, relayed again, pushed through channels);
* baseline: ``GET /api/health`` round trips to the same server, measured in the same run.

Part 2 (customer context). A :class:`~kefu.integration.context.ContextAssembler` reads the
demo shop (REST adapter, real server) and a second source that answers after 2 s (a real
server too), with a 0.2 s per-source deadline:

* ``cold, shop only``: cache off, only the shop (the baseline);
* ``cold, one source slow``: cache off, both sources: the slow one is cut at its deadline and
  named in ``degraded``, the shop's sections still arrive;
* ``cached``: cache on, repeated reads.

Run::

    .venv/bin/python benchmarks/integration.py --events 200 --reads 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import environment, free_port, print_table, run_server, write_results

from demo_shop.launcher import DemoShopProcess
from kefu.integration.context import ContextAssembler
from kefu.integration.signing import SIGNATURE_HEADER, sign
from kefu_plugins.adapters.rest import RestAdapter

SECRET = "bench-webhook-secret-0123456789"
SHOP_KEY = "bench-shop-key-0123456789"
BENCH_DIR = Path(__file__).resolve().parent


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of a list of milliseconds."""
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)

    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 4),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 4),
    }


def delayed_event(customer: str, n: int) -> bytes:
    """A signed-to-be ``shipment.delayed`` envelope with a fresh id and order."""
    body = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "type": "shipment.delayed",
        "source": "bench://shop",
        "time": datetime.now(UTC).isoformat(),
        "subject": customer,
        "data": {
            "order_id": f"SO-{n:06d}",
            "customer_id": customer,
            "shipment_id": f"SH-{n}",
            "carrier": "UPS",
            "tracking": f"1Z{n:08d}",
            "reason": "benchmark delay",
        },
    }
    return json.dumps(body).encode()


async def _agent_with_linked_conversation(
    http: httpx.AsyncClient, ws_url: str, customer: str
) -> Any:
    login = await http.post(
        "/api/agents/login", json={"username": "alice", "password": "kefu-demo"}
    )
    login.raise_for_status()
    token = login.json()["token"]
    agent = await connect(f"{ws_url}/ws/agent", max_size=2**22)
    await agent.send(json.dumps({"type": "hello", "token": token}))
    visitor = await connect(f"{ws_url}/ws/visitor")
    await visitor.send(json.dumps({"type": "hello"}))
    cid = None
    while cid is None:
        frame = json.loads(await asyncio.wait_for(visitor.recv(), 10))
        cid = frame.get("conversation_id") if frame["type"] == "welcome" else None
    await visitor.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "hi"}))
    while True:
        frame = json.loads(await asyncio.wait_for(visitor.recv(), 10))
        if frame["type"] == "event" and frame.get("name") == "assigned":
            break
    linked = await http.post(
        f"/integration/conversations/{cid}/customer",
        json={"customer_id": customer},
        headers={"Authorization": f"Bearer {token}"},
    )
    linked.raise_for_status()
    return agent, visitor, cid


async def _next_hint(agent: Any, order_id: str) -> None:
    while True:
        frame = json.loads(await agent.recv())
        is_hint = frame["type"] == "event" and frame.get("name") == "hint"
        if is_hint and frame["data"].get("order_id") == order_id:
            return


async def webhook_latency(args: argparse.Namespace) -> dict[str, Any]:
    """Part 1: ack and socket latency of webhooks, with the health round trip as baseline."""
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-integration-"))
    env = {
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DEMO": "true",
        "KEFU_BUS_URL": args.bus_url,
        "KEFU_SECRET_KEY": "bench-secret-key-0123456789-0123456789-abcdef",
        "KEFU_INTEGRATION_WEBHOOK_SECRETS": json.dumps({"shop": [SECRET]}),
    }
    if args.database_url:
        env["KEFU_DATABASE_URL"] = args.database_url
    customer = f"C-{uuid.uuid4().hex[:8]}"
    with run_server("kefu-integration", "kefu.app:app_from_env", env=env) as kefu:
        async with httpx.AsyncClient(base_url=kefu.base_url, timeout=10) as http:
            for _ in range(100):
                try:
                    if (await http.get("/api/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            agent, visitor, _cid = await _agent_with_linked_conversation(
                http, kefu.ws_url, customer
            )
            baseline: list[float] = []
            ack: list[float] = []
            to_socket: list[float] = []
            total = args.warmup_events + args.events
            for n in range(total):
                raw = delayed_event(customer, n)
                headers = {SIGNATURE_HEADER: sign(SECRET, raw), "content-type": "application/json"}
                started = time.perf_counter()
                waiter = asyncio.create_task(_next_hint(agent, f"SO-{n:06d}"))
                response = await http.post(
                    "/integration/webhooks/shop", content=raw, headers=headers
                )
                acked = time.perf_counter()
                if response.status_code != 202:
                    raise RuntimeError(f"webhook refused: {response.status_code} {response.text}")
                await asyncio.wait_for(waiter, 10)
                seen = time.perf_counter()
                h0 = time.perf_counter()
                await http.get("/api/health")
                h1 = time.perf_counter()
                if n >= args.warmup_events:
                    ack.append((acked - started) * 1000)
                    to_socket.append((seen - started) * 1000)
                    baseline.append((h1 - h0) * 1000)
            await agent.close()
            await visitor.close()
    rows = {
        "health round trip (baseline)": percentiles(baseline),
        "webhook -> 202 (stored)": percentiles(ack),
        "webhook -> hint on agent socket": percentiles(to_socket),
    }
    base = rows["health round trip (baseline)"]["p50_ms"]
    for row in rows.values():
        row["p50_vs_baseline"] = round(row["p50_ms"] / base, 2) if base else None
    return rows


async def _timed(reads: int, fn: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    times: list[float] = []
    last = None
    for _ in range(reads):
        started = time.perf_counter()
        last = await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, last


async def context_latency(args: argparse.Namespace) -> dict[str, Any]:
    """Part 2: customer context with a slow source, without and with the cache."""
    root = Path(tempfile.mkdtemp(prefix="kefu-bench-shop-"))
    shop = DemoShopProcess(port=free_port(), db_path=root / "shop.db", api_key=SHOP_KEY)
    await shop.astart()
    slow_env = {"SLOW_SOURCE_DELAY": str(args.slow_seconds)}
    try:
        with run_server(
            "slow-source", "_slow_source:create_app", app_dir=BENCH_DIR, env=slow_env
        ) as slow:

            def rest() -> RestAdapter:
                return RestAdapter(
                    mapping="pkg:demo_shop/kefu-adapter.toml", base_url=shop.url, api_key=SHOP_KEY
                )

            slow_mapping = {
                "name": "helpdesk",
                "base_url": slow.base_url,
                "sections": {
                    "tickets": {"path": "/customers/{customer_id}/tickets", "items": "tickets"}
                },
                "timeout": 10.0,
            }
            shop_only = ContextAssembler([rest()], deadline=args.deadline, ttl=0)
            both = ContextAssembler(
                [rest(), RestAdapter(mapping=slow_mapping)], deadline=args.deadline, ttl=0
            )
            cached = ContextAssembler(
                [rest(), RestAdapter(mapping=slow_mapping)], deadline=args.deadline, ttl=300
            )
            await shop_only.customer_context("C1001")  # connections warm
            cold, _ = await _timed(args.reads, lambda: shop_only.customer_context("C1001"))
            slowed, context = await _timed(args.reads, lambda: both.customer_context("C1001"))
            assert context.degraded == ("helpdesk", "tickets"), context.degraded
            assert context.sections["orders"], "the shop's sections must still arrive"
            await cached.customer_context("C1001")
            warm, _ = await _timed(args.reads * 20, lambda: cached.customer_context("C1001"))
            for assembler in (shop_only, both, cached):
                for source in assembler.sources:
                    await source.aclose()  # type: ignore[attr-defined]
    finally:
        await shop.astop()
    slow_case = f"cold, one source slow ({args.slow_seconds:g} s, deadline {args.deadline:g} s)"
    rows = {
        "cold, shop only (baseline)": percentiles(cold),
        slow_case: percentiles(slowed),
        "cached": percentiles(warm),
    }
    base = rows["cold, shop only (baseline)"]["p50_ms"]
    for row in rows.values():
        row["p50_vs_baseline"] = round(row["p50_ms"] / base, 3) if base else None
    return rows


async def main(args: argparse.Namespace) -> int:
    """Run both parts, print the tables, save the JSON."""
    webhooks = await webhook_latency(args)
    context = await context_latency(args)
    columns = ["case", "n", "p50_ms", "p95_ms", "p99_ms", "max_ms", "p50_vs_baseline"]
    print_table(
        f"Webhook latency ({args.events} events, bus {args.bus_url})",
        [{"case": k, **v} for k, v in webhooks.items()],
        columns,
    )
    print()
    print_table(
        "Customer context latency",
        [{"case": k, **v} for k, v in context.items()],
        columns,
    )
    path = write_results(
        "integration",
        {
            "environment": environment(),
            "parameters": vars(args),
            "webhooks": webhooks,
            "customer_context": context,
        },
    )
    print(f"\nresults: {path}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=200, help="measured webhooks")
    parser.add_argument("--warmup-events", type=int, default=20, help="unmeasured webhooks first")
    parser.add_argument("--reads", type=int, default=30, help="cold context reads per case")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="delay of the slow source")
    parser.add_argument("--deadline", type=float, default=0.2, help="per-source deadline")
    parser.add_argument(
        "--bus-url", default="memory://", help="memory:// or redis://host:6379/<scratch db>"
    )
    parser.add_argument("--database-url", default="", help="Kefu store URL (default SQLite)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
