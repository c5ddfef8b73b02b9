"""Shared benchmark plumbing: uvicorn servers in subprocesses, CPU accounting, result files.

Benchmarks measure a server process from the outside: its user+system CPU time (psutil) is
read before and after a bounded workload driven by the benchmark (client) process, so client
work never counts against the server.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running uvicorn server process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>``."""
        return f"ws://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User+system CPU the server and its children have used so far.

        The server's own time comes from its POSIX CPU-time clock (nanosecond resolution);
        psutil's figures are in scheduler ticks (10 ms), too coarse for a cheap server, and
        serve only as the fallback and for child processes.
        """
        proc = psutil.Process(self.process.pid)
        own = _clock_cpu(self.process.pid)
        total = own if own is not None else _own_cpu(proc)
        return total + sum(_own_cpu(child) for child in proc.children(recursive=True))

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for error messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _clock_cpu(pid: int) -> float | None:
    """CPU seconds of ``pid`` from its POSIX CPU-time clock, or None where there is none."""
    # The standard library has clock_gettime but not clock_getcpuclockid: ask libc for the id.
    name = ctypes.util.find_library("c")
    if name is None or not hasattr(time, "clock_gettime"):
        return None
    clock_id = ctypes.c_int()
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock_id)) != 0:
            return None
        return time.clock_gettime(clock_id.value)
    except (AttributeError, OSError):
        return None


def cpu_clock_source(pid: int) -> str:
    """Which clock :meth:`Server.cpu_seconds` reads for ``pid``."""
    return "clock_getcpuclockid" if _clock_cpu(pid) is not None else "psutil.cpu_times"


def _own_cpu(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


@contextlib.contextmanager
def run_server(
    name: str,
    app: str,
    *,
    app_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    factory: bool = True,
    ready_timeout: float = 60.0,
    ws_deflate: bool = False,
) -> Iterator[Server]:
    """Start ``uvicorn app`` on a free loopback port, wait until it accepts, stop it after.

    WebSocket compression is declined unless ``ws_deflate``, as ``kefu serve`` does by default
    (the same for every server of a benchmark, so their figures compare). uvicorn's keepalive
    ping timer per socket is off (``--ws-ping-interval 0``), as in ``kefu serve``: Kefu's
    clients ping and one idle sweeper per process closes silent sockets.
    """
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log", "--workers", "1",
    ]  # fmt: skip
    cmd += ["--ws-per-message-deflate", "true" if ws_deflate else "false"]
    cmd += ["--ws-ping-interval", "0"]  # 0 disables uvicorn's per-socket keepalive timer
    if factory:
        cmd.append("--factory")
    if app_dir is not None:
        cmd += ["--app-dir", str(app_dir)]
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        prefix=f"kefu-bench-{name}-", suffix=".log", delete=False
    )
    log_path = Path(log_file.name)
    process = subprocess.Popen(
        cmd,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=REPO_ROOT,
    )
    server = Server(name, port, process, log_path)
    try:
        _wait_until_listening(server, ready_timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log_file.close()


def _wait_until_listening(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} server exited with {server.process.returncode}:\n"
                f"{server.log_tail()}"
            )
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(
        f"{server.name} server did not listen within {timeout}s:\n{server.log_tail()}"
    )


@dataclass
class Measurement:
    """CPU and latency of one server over a measured workload."""

    name: str
    messages: int
    cpu_seconds: float
    wall_seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    #: CPU the server burns per second while nobody talks to it (timers, background loops).
    idle_cpu_per_second: float = 0.0

    @property
    def cpu_us_per_message(self) -> float:
        """Server CPU microseconds per message."""
        return self.cpu_seconds / self.messages * 1e6

    def summary(self) -> dict[str, Any]:
        """The figures that go into the result file."""
        lat = sorted(self.latencies_ms)
        return {
            "name": self.name,
            "messages": self.messages,
            "server_cpu_seconds": round(self.cpu_seconds, 4),
            "server_cpu_us_per_message": round(self.cpu_us_per_message, 1),
            "wall_seconds": round(self.wall_seconds, 3),
            "messages_per_second": round(self.messages / self.wall_seconds, 1),
            "latency_ms_p50": round(statistics.median(lat), 3) if lat else None,
            "latency_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 3) if lat else None,
            "idle_cpu_percent": round(self.idle_cpu_per_second * 100, 2),
        }


def environment() -> dict[str, Any]:
    """Where the figures were measured."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "git_commit": commit or None,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_results(benchmark: str, payload: Mapping[str, Any]) -> Path:
    """Save ``payload`` as benchmarks/results/<benchmark>-<UTC time>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{benchmark}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def print_table(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Print rows as an aligned plain-text table."""
    cells = [[str(row.get(col, "")) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    print(title)
    print("  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


__all__ = [
    "Measurement",
    "Server",
    "cpu_clock_source",
    "environment",
    "free_port",
    "print_table",
    "run_server",
    "write_results",
]
