"""Connection density: server memory per idle visitor WebSocket, at growing numbers of sockets.

One Kefu server (``uvicorn kefu.app:app_from_env --factory``, SQLite in a temporary data
directory, memory bus) runs in its own process. Client processes open visitor sockets to it,
each socket says ``hello`` and waits for ``welcome`` (a visitor and a conversation now exist
in the store, and the socket is attached to its conversation's route), then stays idle but
for a ``{"type":"ping"}`` frame every ~25 s, like Kefu's own clients (the server runs like
``kefu serve``: no uvicorn keepalive timer per socket, and its idle sweeper closes sockets
silent for ``ws_idle_timeout``, 75 s by default). Each client process pings its sockets from
one task that walks them, a slice per second, so the pings are staggered and no socket has a
timer of its own. At each step (1k, 10k, 50k, 100k sockets by default)
the server's resident memory is read with psutil once the step is reached and has settled:

* ``rss_delta_per_connection_kib``: (RSS now - RSS before the first socket) / sockets open;
* ``marginal_kib_per_connection``: RSS growth from the previous step / sockets added, which
  leaves out one-off costs (first-use imports, pools, caches) the first figure still carries.

Clients are lean: plain asyncio transports driving the ``websockets`` library's sans-I/O
protocol (a few KiB per socket), spread over several client processes, each binding its
sockets to its own loopback source address (127.0.0.2, 127.0.0.3...) because one source
address has only ~28k ephemeral ports. The file-descriptor limit is raised for the clients and,
through a ``preexec_fn``, for the server, up to the hard limit the host allows; where the hard
limit is below a step, the step is capped and the result says so.

By default the clients do not offer permessage-deflate. Browsers do: ``--deflate`` makes the
clients offer it like a browser. The server runs like ``kefu serve``, which declines it by
default; ``--server-deflate`` runs it like ``kefu serve --ws-deflate`` (zlib state per socket).
``--server-no-deflate`` (the default) is still accepted::

    .venv/bin/python benchmarks/connections.py --steps 1000,10000,50000,100000
    .venv/bin/python benchmarks/connections.py --steps 1000,5000 --deflate
    .venv/bin/python benchmarks/connections.py --steps 1000,5000 --deflate --server-deflate

``--hold SECONDS`` keeps the sockets of the last step open that much longer and then counts
how many the server closed meanwhile (none should be: the pings keep them active)::

    .venv/bin/python benchmarks/connections.py --steps 1000,5000 --hold 90
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (  # the harness sits next to this script
    REPO_ROOT,
    environment,
    free_port,
    print_table,
    write_results,
)
from _idle_clients import (  # the client side sits next to this script
    PING_EVERY,
    ClientProcess,
    hard_nofile,
    start_client,
)

BENCHMARK = "connections"
DEFAULT_STEPS = (1_000, 10_000, 50_000, 100_000)
#: Sockets one client process holds at most (under its fd limit and one address's ports).
PER_CLIENT = 10_000
#: File descriptors the server keeps for itself (database, listening socket, logs, Redis...).
FD_RESERVE = 400
#: Seconds the server is left alone after a step before its memory is read.
SETTLE_SECONDS = 3.0


# ------------------------------------------------------------------------------ server side


@contextlib.contextmanager
def kefu_server(
    nofile: int, ready_timeout: float = 180.0, *, server_deflate: bool = False
) -> Iterator[tuple[int, int, Path]]:
    """Kefu in a subprocess with ``nofile`` open files allowed: (pid, port, log path).

    ``server_deflate`` is uvicorn's ``--ws-per-message-deflate`` (``kefu serve --ws-deflate``;
    off by default, as in ``kefu serve``).
    """
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="kefu-bench-conn-")
    log_path = Path(data_dir) / "server.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KEFU_")},
        "KEFU_CONFIG": "",
        "KEFU_DATA_DIR": data_dir,
        "KEFU_LOG_LEVEL": "WARNING",
        # Every socket comes from a handful of loopback addresses: lift the per-IP HTTP limit.
        "KEFU_SECURITY_HTTP_RATE": "1000000",
        "KEFU_SECURITY_HTTP_BURST": "1000000",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "kefu.app:app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--no-access-log", "--backlog", "4096",
        "--ws-per-message-deflate", str(server_deflate).lower(),
        "--ws-ping-interval", "0",  # as kefu serve: no keepalive timer per socket
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
            preexec_fn=lambda: _set_nofile(nofile),
        )
    try:
        deadline = time.monotonic() + ready_timeout
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Kefu did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process.pid, port, log_path
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _set_nofile(limit: int) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


# ------------------------------------------------------------------------------ the benchmark


def run_benchmark(
    steps: Sequence[int] = DEFAULT_STEPS,
    *,
    in_flight: int = 64,
    timeout: float = 60.0,
    step_timeout: float = 1800.0,
    deflate: bool = False,
    server_deflate: bool = False,
    hold: float = 0.0,
) -> dict[str, Any]:
    """Open sockets step by step, read the server's RSS at each step; returns the result.

    With ``hold`` the sockets of the last step stay open that many seconds more, and the
    result says how many of them the server closed meanwhile.
    """
    hard = hard_nofile()
    server_limit = min(hard, max(steps) + FD_RESERVE * 2)
    capped_at = server_limit - FD_RESERVE
    wanted = [min(step, capped_at) for step in steps]
    wanted = sorted(set(wanted))
    notes: list[str] = []
    if capped_at < max(steps):
        notes.append(
            f"steps capped at {capped_at}: the host's hard open-file limit is {hard} and this "
            "process may not raise it (no CAP_SYS_RESOURCE); one socket needs one descriptor"
        )
    rows: list[dict[str, Any]] = []
    hold_result: dict[str, Any] | None = None
    clients: list[ClientProcess] = []
    with kefu_server(server_limit, server_deflate=server_deflate) as (pid, port, log_path):
        time.sleep(SETTLE_SECONDS)
        base_rss = _rss(pid)
        previous = (0, base_rss)
        held: list[int] = []
        url = f"ws://127.0.0.1:{port}/ws/visitor"
        try:
            for step in wanted:
                needed = -(-step // PER_CLIENT)
                while len(clients) < needed:
                    clients.append(start_client(url, len(clients), in_flight, timeout, deflate))
                # Sockets already open stay open: only the new ones are spread over the clients.
                held = held + [0] * (len(clients) - len(held))
                shares = [
                    h + n
                    for h, n in zip(
                        held, _split(max(0, step - sum(held)), len(clients)), strict=True
                    )
                ]
                started = time.perf_counter()
                for client, share in zip(clients, shares, strict=True):
                    client.request(share)
                answers = [client.answer() for client in clients]
                held = [a[0] + a[2] for a in answers]
                wall = time.perf_counter() - started
                if wall > step_timeout:
                    notes.append(f"step {step} took {wall:.0f}s, beyond {step_timeout:.0f}s")
                open_now = sum(a[0] for a in answers)
                failed = sum(a[1] for a in answers)
                time.sleep(SETTLE_SECONDS)
                rss = _rss(pid)
                added = open_now - previous[0]
                rows.append(
                    {
                        "connections": open_now,
                        "failed": failed,
                        "server_rss_mib": round(rss / 2**20, 1),
                        "rss_delta_per_connection_kib": round((rss - base_rss) / open_now / 1024, 2)
                        if open_now
                        else None,
                        "marginal_kib_per_connection": round((rss - previous[1]) / added / 1024, 2)
                        if added > 0
                        else None,
                        "new_connections_per_second": round(added / wall, 1) if wall else None,
                        "server_cpu_percent": round(psutil.Process(pid).cpu_percent(0.5), 1),
                        "load_average_1m": round(os.getloadavg()[0], 2),
                    }
                )
                print_table("connections so far", rows[-1:], list(rows[-1]))
                previous = (open_now, rss)
                if failed and open_now < step:
                    notes.append(f"stopped at {open_now}: {failed} sockets failed to open")
                    break
            if hold > 0 and rows:
                time.sleep(hold)
                for client, total in zip(clients, held, strict=True):
                    client.request(total)  # opens nothing new: only reports
                answers = [client.answer() for client in clients]
                held_open = sum(a[0] for a in answers)
                dropped = sum(a[2] for a in answers)
                hold_result = {
                    "seconds": hold,
                    "open_after": held_open,
                    "closed_by_server": dropped,
                    "server_rss_mib": round(_rss(pid) / 2**20, 1),
                    "server_cpu_percent": round(psutil.Process(pid).cpu_percent(0.5), 1),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                }
                print_table(f"after holding {hold:g}s", [hold_result], list(hold_result))
                if dropped:
                    notes.append(f"the server closed {dropped} pinging sockets during the hold")
        finally:
            for client in clients:
                client.stop()
        log_tail = log_path.read_text(errors="replace")[-2000:]
    return {
        "benchmark": BENCHMARK,
        "options": {
            "steps": list(steps),
            "in_flight": in_flight,
            "per_client": PER_CLIENT,
            "client_offers_permessage_deflate": deflate,
            "server_accepts_permessage_deflate": server_deflate,
            "client_ping_every_s": PING_EVERY,
            "hold_s": hold,
        },
        "server_base_rss_mib": round(base_rss / 2**20, 1),
        "server_fd_limit": server_limit,
        "host_hard_nofile": hard,
        "client_processes": len(clients),
        "client_sources": [c.source for c in clients],
        "target_kib_per_connection": 30,
        "notes": notes,
        "server_log_tail": log_tail if any("failed" in n for n in notes) else "",
        "environment": environment(),
        "results": rows,
        "hold": hold_result,
    }


def _print_summary(result: dict[str, Any]) -> None:
    """One line per run: compression on each side, and memory per socket at the largest step."""
    options = result["options"]
    print(
        f"\nclients offer permessage-deflate: {options['client_offers_permessage_deflate']}; "
        f"server accepts it: {options['server_accepts_permessage_deflate']}; "
        f"server RSS before the first socket: {result['server_base_rss_mib']} MiB"
    )
    if result["results"]:
        last = result["results"][-1]
        per_socket = last["rss_delta_per_connection_kib"]
        target = result["target_kib_per_connection"]
        verdict = "within" if per_socket is not None and per_socket <= target else "above"
        print(
            f"{last['connections']} idle sockets: {per_socket} KiB each "
            f"({verdict} the {target} KiB target), load average {last['load_average_1m']}"
        )


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _steps(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from exc
    if not values or not all(1 <= v <= 1_000_000 for v in values):
        raise argparse.ArgumentTypeError("steps must be between 1 and 1000000")
    return sorted(values)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=_steps, default=list(DEFAULT_STEPS))
    parser.add_argument("--in-flight", type=int, default=64, help="handshakes at once per client")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per socket, at most")
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="offer permessage-deflate like browsers do (the server then keeps zlib state)",
    )
    server = parser.add_mutually_exclusive_group()
    server.add_argument(
        "--server-deflate",
        action="store_true",
        help="run the server like kefu serve --ws-deflate (accept permessage-deflate)",
    )
    server.add_argument(
        "--server-no-deflate",
        action="store_true",
        help="run the server like kefu serve's default, declining permessage-deflate (default)",
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=0.0,
        help="seconds to keep the last step's sockets open, then count those the server closed",
    )
    args = parser.parse_args(argv)
    result = run_benchmark(
        args.steps,
        in_flight=args.in_flight,
        timeout=args.timeout,
        deflate=args.deflate,
        server_deflate=args.server_deflate,
        hold=args.hold,
    )
    print_table(
        "Server memory per idle visitor socket",
        result["results"],
        [
            "connections",
            "failed",
            "server_rss_mib",
            "rss_delta_per_connection_kib",
            "marginal_kib_per_connection",
            "new_connections_per_second",
            "load_average_1m",
        ],
    )
    _print_summary(result)
    for note in result["notes"]:
        print(f"note: {note}")
    path = write_results(BENCHMARK, result)
    print(f"\nwritten to {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
