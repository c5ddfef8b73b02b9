"""Runs Kefu's benchmarks in one go: ``python -m benchmarks [--quick] [--only ...] [--skip ...]``.

Each benchmark runs in turn, with its own figures printed and saved as it always does
(``benchmarks/results/<name>-<time>.json``). The connection-density and scale-out benchmarks
are called as functions; the others only have a command line and run as ``python -m
benchmarks.<name>`` subprocesses, with small counts under ``--quick``. At the end this prints
one summary table (status, wall time, headline figures, result files), writes
``benchmarks/results/summary-<time>.json`` holding every result, and draws each result's
series over load as PNG files beside them (see :mod:`benchmarks.plots`). A benchmark that
fails is reported as failed and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import connections, plots, scaleout
from benchmarks._harness import (
    REPO_ROOT,
    RESULTS_DIR,
    environment,
    print_table,
    write_results,
)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: either a function returning its payload, or a module's command line."""

    name: str
    about: str
    full_args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    #: Called with ``quick``; returns the payload (already printed and saved by the callee).
    function: Callable[[bool], dict[str, Any]] | None = None
    #: Headline figures: (label, function of the payload).
    headlines: tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...] = field(default=())


def _connections(quick: bool) -> dict[str, Any]:
    steps = (200, 1_000) if quick else connections.DEFAULT_STEPS
    payload = connections.run_benchmark(steps)
    path = write_results(connections.BENCHMARK, payload)
    payload["result_file"] = str(path)
    return payload


def _scaleout(quick: bool) -> dict[str, Any]:
    messages, warmup, concurrency, rounds = (100, 10, 4, 1) if quick else (1000, 100, 20, 2)
    payload = asyncio.run(
        scaleout.run_benchmark(
            messages=messages, warmup=warmup, concurrency=concurrency, rounds=rounds
        )
    )
    print_table("scale-out", payload["results"], scaleout.COLUMNS)
    path = write_results(scaleout.BENCHMARK, payload)
    payload["result_file"] = str(path)
    return payload


def _last(column: str) -> Callable[[Mapping[str, Any]], Any]:
    def pick(payload: Mapping[str, Any]) -> Any:
        rows = payload.get("results") or []
        return rows[-1].get(column) if rows and isinstance(rows[-1], dict) else None

    return pick


def _by(key: str, value: str, column: str) -> Callable[[Mapping[str, Any]], Any]:
    def pick(payload: Mapping[str, Any]) -> Any:
        for row in payload.get("results") or []:
            if isinstance(row, dict) and row.get(key) == value:
                return row.get(column)
        return None

    return pick


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "gateway_cpu",
        "server CPU per visitor->agent message vs a bare echo server",
        ("--messages", "2000", "--concurrency", "1,4,50,200"),
        ("--messages", "200", "--warmup", "20", "--concurrency", "1,4"),
        headlines=(("cpu ratio to echo", _last("cpu_ratio_to_echo")),),
    ),
    Benchmark(
        "assistant_turns",
        "bot turn latency at a human pace (server, in-process), saturation vs raw encode",
        (),
        (
            "--closed-turns",
            "200",
            "--closed-visitors",
            "16",
            "--visitors",
            "20",
            "--sweep",
            "5",
            "--warmup",
            "2",
            "--measure",
            "5",
            "--train-per-intent",
            "5",
        ),
    ),
    Benchmark(
        "encode_rate",
        "embedder texts/s: single, batched, micro-batched",
        (),
        ("--texts", "64", "--batch-sizes", "8,32", "--callers", "1,16"),
    ),
    Benchmark(
        "retrieval",
        "retrieval latency and ANN recall at 10k/100k/1M chunks",
        ("--million", "--cache-index"),
        ("--sizes", "10000", "--queries", "64", "--sample", "500"),
    ),
    Benchmark(
        "integration",
        "webhook->agent socket latency and customer-context latency",
        (),
        ("--events", "30", "--warmup-events", "5", "--reads", "5"),
    ),
    Benchmark(
        "intent_accuracy",
        "intent recognizers' accuracy on BANKING77/HWU64",
        (),
        ("--tasks", "banking77-10shot", "--epochs-10shot", "1"),
    ),
    Benchmark(
        "connections",
        "server memory per idle visitor WebSocket (1k..100k)",
        function=_connections,
        headlines=(
            ("connections", _last("connections")),
            ("KiB/conn", _last("rss_delta_per_connection_kib")),
        ),
    ),
    Benchmark(
        "scaleout",
        "visitor->agent msgs/s and latency, 1 vs 2 processes (PG + Redis)",
        function=_scaleout,
        headlines=(
            ("2-split/1 throughput", _by("layout", "2-split", "throughput_ratio_to_1_process")),
            ("1-process msg/s", _by("layout", "1-process", "messages_per_second")),
        ),
    ),
)
NAMES = tuple(b.name for b in BENCHMARKS)


def _new_results(name: str, since: float) -> list[Path]:
    """Result files of ``name`` written since ``since`` (a time.time() value)."""
    if not RESULTS_DIR.is_dir():
        return []
    found = [
        path
        for path in RESULTS_DIR.glob(f"{name}*.json")
        if path.stat().st_mtime >= since and not path.name.startswith("summary-")
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def run_one(benchmark: Benchmark, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one benchmark; returns its entry in the summary (never raises for its failure)."""
    print(f"\n=== {benchmark.name}: {benchmark.about}", flush=True)
    started_wall = time.time()
    started = time.perf_counter()
    entry: dict[str, Any] = {"name": benchmark.name, "about": benchmark.about}
    payload: dict[str, Any] | None = None
    try:
        if benchmark.function is not None:
            payload = benchmark.function(quick)
            entry["status"] = "ok"
        else:
            args = benchmark.quick_args if quick else benchmark.full_args
            cmd = [sys.executable, "-m", f"benchmarks.{benchmark.name}", *args]
            entry["command"] = " ".join(cmd[1:])
            done = subprocess.run(cmd, cwd=REPO_ROOT, timeout=timeout, check=False)
            entry["status"] = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
    except subprocess.TimeoutExpired:
        entry["status"] = f"failed (over {timeout:.0f}s)"
    except Exception as exc:  # one benchmark's failure must not stop the others
        entry["status"] = f"failed ({type(exc).__name__}: {exc})"
    entry["seconds"] = round(time.perf_counter() - started, 1)
    files = _new_results(benchmark.name, started_wall)
    entry["result_files"] = [str(p.relative_to(REPO_ROOT)) for p in files]
    if payload is None and files:
        try:
            loaded = json.loads(files[-1].read_text(encoding="utf-8"))
            payload = loaded if isinstance(loaded, dict) else {"results": loaded}
        except (OSError, ValueError):
            payload = None
    entry["result"] = payload
    entry["headlines"] = {
        label: pick(payload) for label, pick in benchmark.headlines if payload is not None
    }
    entry["plots"] = (
        [
            str(p.relative_to(REPO_ROOT))
            for p in plots.plot_result(benchmark.name, payload, RESULTS_DIR)
        ]
        if payload is not None
        else []
    )
    return entry


def select(only: Sequence[str], skip: Sequence[str]) -> list[Benchmark]:
    """The benchmarks to run, in their usual order."""
    unknown = sorted((set(only) | set(skip)) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown benchmarks {unknown}; known: {', '.join(NAMES)}")
    return [b for b in BENCHMARKS if (not only or b.name in only) and b.name not in skip]


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks, print the summary, write the summary JSON and plots."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    parser.add_argument("--only", type=_names, default=[], help=f"comma-separated, of: {NAMES}")
    parser.add_argument("--skip", type=_names, default=[], help="comma-separated names to skip")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per subprocess benchmark, at most"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for b in BENCHMARKS:
            print(f"{b.name:16} {b.about}")
        return 0
    try:
        chosen = select(args.only, args.skip)
    except ValueError as exc:
        parser.error(str(exc))
    entries = [run_one(b, args.quick, args.timeout) for b in chosen]
    rows = [
        {
            "benchmark": e["name"],
            "status": e["status"],
            "seconds": e["seconds"],
            "headlines": "; ".join(f"{k}={v}" for k, v in e["headlines"].items()),
            "results": ", ".join(Path(f).name for f in e["result_files"]) or "-",
        }
        for e in entries
    ]
    print()
    print_table(
        f"Kefu benchmarks ({'quick' if args.quick else 'full'} run)",
        rows,
        ["benchmark", "status", "seconds", "headlines", "results"],
    )
    path = write_results(
        "summary",
        {"quick": args.quick, "environment": environment(), "benchmarks": entries},
    )
    print(f"\nsummary written to {path.relative_to(REPO_ROOT)}; plots in {RESULTS_DIR.name}/")
    return 0 if all(e["status"] == "ok" for e in entries) else 1


if __name__ == "__main__":
    raise SystemExit(main())
