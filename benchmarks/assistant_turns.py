"""Bot turn latency at a human pace and saturation throughput, beside the raw encode rate.

All figures come from one run on one model, so the ratios hold on a noisy machine:

* raw batched encode: the shared embedder encoding the queries in batches of the
  micro-batcher's size with nothing else around it (the ceiling for embedding-based turns);
* closed loop (saturation): ``--closed-visitors`` visitors each sending again the moment
  their turn is decided, through the dialog manager; turns/s against the raw encode rate.
  Its latency is only ``visitors / throughput`` and is reported for completeness;
* open loop: ``--visitors`` visitors (200) each waiting an exponential think time before the
  next message, mean ``--think`` (5 s: a visitor reads the answer and types the next question,
  which takes seconds, not milliseconds), plus a sweep of think times (1, 2, 5, 10 s) so the
  reader sees where it breaks. Measured twice:

  - ``gateway``: a real Kefu server (uvicorn subprocess, SQLite, memory bus) and one visitor
    WebSocket per visitor, timed from sending the message frame to the bot's reply frame;
  - ``in-process``: the dialog manager alone (no gateway, no message store).

  Each point reports offered and achieved turns/s and p50/p95/p99 latency, and the sweep
  names the saturation point (highest offered load with p99 within ``--p99-target`` ms).

Each turn runs the real plugins: the shared embedding (micro-batched), intent recognition and
dense retrieval from that one embedding, the default reply policy, and the dialog-state store.
The micro-batcher runs with the product's settings unless ``--max-batch``/``--max-wait-ms``
override them.

Messages are distinct real customer queries: the BANKING77 test split (Casanueva et al., 2020;
CC BY 4.0) and the HWU64 test split (Liu et al., IWSDS 2019; CC BY 4.0), shuffled, without the
few that ask for a human (those are handed off by design). The bot is trained on 30 examples
per intent of both training splits.

    .venv/bin/python -m benchmarks.assistant_turns                 # everything (~10 min)
    .venv/bin/python -m benchmarks.assistant_turns --modes gateway --sweep 5
    .venv/bin/python -m benchmarks.assistant_turns --measure 20 --warmup 5   # shorter points

Prints one table per part and the load average beside each figure; writes
``benchmarks/results/assistant_turns-<time>.json`` and ``assistant_turns-latency.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._bot_server import NoBotReplyError, Visitors, bot_server
from benchmarks._harness import RESULTS_DIR, environment, print_table, write_results
from benchmarks._latency_plot import plot_latency
from benchmarks._open_loop import (
    LoadPoint,
    PointResult,
    SendTurn,
    message_stream,
    percentile,
    run_point,
    saturation,
)
from kefu import registry
from kefu.assistant.human_request import asks_for_human
from kefu.assistant.manager import Deadlines, DialogManager, TurnRequest
from kefu.assistant.state import DialogState, DialogStateStore
from kefu.contracts import (
    Chunk,
    DecisionAction,
    Embedder,
    IntentExample,
    IntentRecognizer,
    PluginContext,
)
from kefu.contracts import Retriever as RetrieverPlugin
from kefu.embedding import default_threads, set_encoder_threads, shared_embedder
from kefu.embedding.batcher import MicroBatcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("banking77", "hwu64")
ATTRIBUTION = (
    "BANKING77 (Casanueva et al., 2020; CC BY 4.0) and HWU64 (Liu et al., IWSDS 2019; "
    "CC BY 4.0) test queries"
)


class MemoryStateStore:
    """Dialog state in a dict: isolates the assistant's own cost (``--state memory``)."""

    def __init__(self) -> None:
        self._states: dict[str, DialogState] = {}

    async def get(self, conversation_id: str) -> DialogState:
        """The conversation's state, empty if none was stored."""
        return self._states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        """Replace the conversation's state."""
        self._states[conversation_id] = state


@dataclass(frozen=True, slots=True)
class Bot:
    """The fitted plugins every measurement shares."""

    embedder: Embedder
    recognizer: IntentRecognizer
    retriever: RetrieverPlugin
    policy: Any
    intents: int
    examples: int
    setup_seconds: float


def load_rows(dataset: str, split: str) -> list[tuple[str, str]]:
    """Rows (text, intent) of one split of one dataset under /work/shared/data."""
    path = DATA / dataset / f"{split}.csv"
    if not path.is_file():
        sys.exit(f"{dataset} not found at {path}")
    with path.open(encoding="utf-8") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


def visitor_texts() -> list[str]:
    """The distinct test queries of both datasets, minus those asking for a human."""
    texts = {text for name in DATASETS for text, _ in load_rows(name, "test")}
    return sorted(t for t in texts if not asks_for_human(t))


def build_bot(per_intent: int) -> Bot:
    """Fit the embedding recognizer and index one FAQ chunk per intent (both datasets)."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for name in DATASETS:
        for text, label in load_rows(name, "train"):
            by_intent[label].append(text)
    examples = [
        IntentExample(text, label)
        for label, texts in by_intent.items()
        for text in texts[:per_intent]
    ]
    chunks = [
        Chunk(f"faq-{label}", texts[0], "faq", {"intent": label, "answer": f"About {label}."})
        for label, texts in by_intent.items()
    ]
    embedder = shared_embedder()
    context = PluginContext(data_dir=Path(tempfile.gettempdir()), embedder_factory=lambda: embedder)
    recognizer: IntentRecognizer = registry.load("kefu.intent", "embedding", context)
    retriever: RetrieverPlugin = registry.load("kefu.retriever", "faiss", context)
    # The gateway's server runs the same policy with these options (see _bot_server).
    policy = registry.load("kefu.policy", "default", context, reply_threshold=0.0)
    started = time.perf_counter()
    recognizer.fit(examples)
    retriever.index(chunks)
    return Bot(
        embedder,
        recognizer,
        retriever,
        policy,
        len(by_intent),
        len(examples),
        round(time.perf_counter() - started, 2),
    )


def load_average() -> float:
    """The 1-minute load average, rounded for reports."""
    return round(os.getloadavg()[0], 2)


def raw_encode_rate(embedder: Embedder, texts: Sequence[str], batch: int) -> dict[str, Any]:
    """Texts per second of plain batched encoding (the baseline), with the load average."""
    embedder.encode(list(texts[:64]))  # first calls allocate and tune kernels
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        embedder.encode(list(texts[i : i + batch]))
    rate = len(texts) / (time.perf_counter() - started)
    return {"texts": len(texts), "batch": batch, "texts_per_second": round(rate, 1),
            "load_average_1m": load_average()}  # fmt: skip


def make_batcher(bot: Bot, args: argparse.Namespace) -> MicroBatcher:
    """A micro-batcher with the product's settings, or the command line's overrides."""
    options: dict[str, Any] = {}
    if args.max_batch is not None:
        options["max_batch"] = args.max_batch
    if args.max_wait_ms is not None:
        options["max_wait_ms"] = args.max_wait_ms
    return MicroBatcher(bot.embedder, **options)


async def make_state_store(
    kind: str, workdir: Path
) -> tuple[DialogStateStore, Callable[[], Awaitable[None]] | None]:
    """The state store to measure with, and what to close afterwards.

    ``write-behind`` is what a one-process server runs (memory, flushed to SQLite in batches);
    ``sqlite`` writes every turn's state through; ``memory`` isolates the assistant's own cost.
    """
    if kind == "memory":
        return MemoryStateStore(), None
    from kefu.assistant.state_sql import SqlDialogStateStore, WriteBehindStateStore
    from kefu.store.database import Database

    db = Database(f"sqlite+aiosqlite:///{workdir / 'kefu.db'}")
    await db.migrate()
    if kind == "sqlite":
        return SqlDialogStateStore(db), db.close
    store = WriteBehindStateStore(SqlDialogStateStore(db))

    async def close() -> None:
        await store.aclose()
        await db.close()

    return store, close


def sweep_points(args: argparse.Namespace) -> list[LoadPoint]:
    """The think times to measure, the headline one included, highest load first."""
    thinks = sorted({*args.sweep, args.think})
    return [LoadPoint(args.visitors, think) for think in thinks]


async def open_loop(
    mode: str, send: SendTurn, texts: Sequence[str], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Run every sweep point through ``send``, printing each as it completes."""
    rows: list[dict[str, Any]] = []
    messages = message_stream(texts, seed=11)
    for point in sweep_points(args):
        result: PointResult = await run_point(
            send, messages, point, warmup_s=args.warmup, measure_s=args.measure, seed=3
        )
        row = {"mode": mode, **result.row()}
        rows.append(row)
        print(
            f"  {mode:<10} think {point.think_mean_s:>4g} s  offered {row['offered_per_second']:>6}"
            f"  achieved {row['achieved_per_second']:>6}  p50 {row['p50_ms']:>8}"
            f"  p95 {row['p95_ms']:>8}  p99 {row['p99_ms']:>8} ms  errors {row['errors']}"
            f"  load {row['load_average_1m']}",
            flush=True,
        )
    return rows


async def in_process(bot: Bot, texts: Sequence[str], args: argparse.Namespace) -> dict[str, Any]:
    """Closed-loop saturation and the open-loop sweep through the dialog manager."""
    with tempfile.TemporaryDirectory() as tmp:
        state, closer = await make_state_store(args.state, Path(tmp))
        batcher = make_batcher(bot, args)
        plugins: dict[str, Any] = {
            "policy": bot.policy,
            "state": state,
            "recognizer": bot.recognizer,
            "retriever": bot.retriever,
            "batcher": batcher,
        }
        # Saturated, every turn waits longer than the product's deadlines and would be handed
        # off unanswered: the closed loop measures the pipeline's rate with deadlines lifted.
        lifted = Deadlines(analysis=600.0, context=600.0, policy=600.0)
        saturated = DialogManager(**plugins, deadlines=lifted)
        manager = DialogManager(**plugins)
        try:
            for text in texts[:32]:
                await manager.handle(TurnRequest("warmup", text))
            closed = await closed_loop(saturated, batcher, texts, args)
            print(
                f"  closed loop: {closed['turns_per_second']} turns/s "
                f"(load {closed['load_average_1m']})",
                flush=True,
            )
            sweep: list[dict[str, Any]] = []
            if "in-process" in args.modes:
                sweep = await open_loop("in-process", ManagerVisitors(manager).turn, texts, args)
            return {
                "closed_loop": closed,
                "sweep": sweep,
                "batcher": {
                    "max_batch": batcher.max_batch,
                    "max_wait_ms": batcher.max_wait_ms,
                    "mean_batch": round(batcher.stats.mean_batch, 1),
                },
            }
        finally:
            await saturated.aclose()
            await manager.aclose()
            await batcher.aclose()
            if closer is not None:
                await closer()


class ManagerVisitors:
    """Visitors talking to the dialog manager directly, one conversation each.

    Like a gateway visitor, one whose turn is not answered by the bot (handed off after a
    plugin overran its deadline) starts a new conversation, so it keeps talking to the bot.
    """

    def __init__(self, manager: DialogManager) -> None:
        self._manager = manager
        self._conversations: dict[int, int] = defaultdict(int)

    async def turn(self, visitor: int, text: str) -> None:
        """Run one turn; raises :class:`NoBotReplyError` if the bot did not answer."""
        cid = f"open-{visitor}-{self._conversations[visitor]}"
        decision = await self._manager.handle(TurnRequest(cid, text))
        if decision.action is not DecisionAction.REPLY:
            self._conversations[visitor] += 1
            raise NoBotReplyError(f"{decision.action.value}: {'; '.join(decision.reasons)}")


async def closed_loop(
    manager: DialogManager, batcher: MicroBatcher, texts: Sequence[str], args: argparse.Namespace
) -> dict[str, Any]:
    """``--closed-visitors`` visitors sending back to back: the saturation throughput.

    Only turns the bot answered count (a handed-off conversation skips the plugins).
    """
    rng = random.Random(7)
    queries = iter(enumerate(rng.choice(texts) for _ in range(args.closed_turns)))
    latencies: list[float] = []
    decisions: dict[str, int] = defaultdict(int)
    batches_before, texts_before = batcher.stats.batches, batcher.stats.texts

    async def visitor(n: int) -> None:
        for i, text in queries:
            t0 = time.perf_counter()
            # A conversation per turn: no turn is short-cut by an earlier hand-off.
            decision = await manager.handle(TurnRequest(f"closed-{n}-{i}", text))
            decisions[decision.action.value] += 1
            if decision.action is DecisionAction.REPLY:
                latencies.append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(visitor(n) for n in range(args.closed_visitors)))
    wall = time.perf_counter() - started
    batches = batcher.stats.batches - batches_before
    return {
        "visitors": args.closed_visitors,
        "turns": len(latencies),
        "decisions": dict(decisions),
        "turns_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2),
        "mean_batch": round((batcher.stats.texts - texts_before) / max(1, batches), 1),
        "load_average_1m": load_average(),
    }


async def through_gateway(
    bot: Bot, texts: Sequence[str], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """The open-loop sweep against a real Kefu server over visitor WebSockets."""
    with tempfile.TemporaryDirectory(prefix="kefu-bench-turns-") as tmp:
        work = Path(tmp)
        bot.recognizer.save(work / "intent")
        bot.retriever.save(work / "index")
        with bot_server(work / "data", work / "intent", work / "index") as server:
            async with Visitors(server.ws_url, args.visitors) as visitors:
                for n, text in enumerate(texts[:32]):  # warm the server's model and plugins
                    # A cold first turn may overrun its deadline and be handed off: not counted.
                    with contextlib.suppress(NoBotReplyError):
                        await visitors.turn(n % args.visitors, text)
                return await open_loop("gateway", visitors.turn, texts, args)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement of one run; returns the result payload."""
    texts = visitor_texts()
    bot = build_bot(args.train_per_intent)
    # In process, like the server (kefu.app.create_app), unless told otherwise.
    set_encoder_threads(args.torch_threads or default_threads())
    print(f"bot: {bot.intents} intents, {bot.examples} examples, {len(texts)} visitor texts")
    rng = random.Random(5)
    encode_texts = [rng.choice(texts) for _ in range(args.closed_turns)]
    batch = args.max_batch or MicroBatcher(bot.embedder).max_batch
    raw = raw_encode_rate(bot.embedder, encode_texts, batch)
    print(
        f"  raw batched encode: {raw['texts_per_second']} texts/s (load {raw['load_average_1m']})"
    )
    local = await in_process(bot, texts, args)
    local["closed_loop"]["ratio_to_raw_encode"] = round(
        local["closed_loop"]["turns_per_second"] / raw["texts_per_second"], 3
    )
    rows = list(local["sweep"])
    if "gateway" in args.modes:
        rows = await through_gateway(bot, texts, args) + rows
    headline = [r for r in rows if r["think_mean_s"] == args.think]
    return {
        "benchmark": "assistant_turns",
        "environment": environment(),
        "data": ATTRIBUTION,
        "config": {
            "visitors": args.visitors,
            "think_mean_s": args.think,
            "sweep_think_s": [p.think_mean_s for p in sweep_points(args)],
            "warmup_s": args.warmup,
            "measure_s": args.measure,
            "state": args.state,
            "intents": bot.intents,
            "train_examples": bot.examples,
            "visitor_texts": len(texts),
            "setup_seconds": bot.setup_seconds,
            "torch_threads": _torch_threads(),
        },
        "raw_encode": raw,
        "closed_loop": local["closed_loop"],
        "batcher": local["batcher"],
        "saturation": {
            mode: saturation([_point(r) for r in rows if r["mode"] == mode], args.p99_target)
            for mode in sorted({r["mode"] for r in rows})
        },
        "headline": headline,
        "results": rows,
    }


def _point(row: dict[str, Any]) -> PointResult:
    return PointResult(**{k: v for k, v in row.items() if k != "mode"})


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _floats(text: str) -> list[float]:
    values = [float(part) for part in text.split(",") if part.strip()]
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers separated by commas: {text}")
    return values


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--modes",
        default="gateway,in-process",
        help="open-loop modes: gateway, in-process (comma-separated)",
    )
    parser.add_argument("--visitors", type=int, default=200, help="open-loop visitors")
    parser.add_argument("--think", type=float, default=5.0, help="headline mean think time, s")
    parser.add_argument(
        "--sweep",
        type=_floats,
        default=[1.0, 2.0, 5.0, 10.0],
        help="mean think times to sweep, s (comma-separated)",
    )
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--measure", type=float, default=40.0, help="measured seconds per point")
    parser.add_argument("--p99-target", type=float, default=150.0)
    parser.add_argument("--closed-visitors", type=int, default=200)
    parser.add_argument("--closed-turns", type=int, default=4000)
    parser.add_argument(
        "--state",
        choices=["write-behind", "sqlite", "memory"],
        default="write-behind",
        help="dialog state store (in-process)",
    )
    parser.add_argument("--train-per-intent", type=int, default=30)
    parser.add_argument("--max-batch", type=int, default=None, help="default: the product's")
    parser.add_argument("--max-wait-ms", type=float, default=None, help="default: the product's")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="in-process encoder threads; default: the product's",
    )
    args = parser.parse_args(argv)  # fmt: skip
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(args.modes) - {"gateway", "in-process"}
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    for name in ("visitors", "closed_visitors", "closed_turns", "torch_threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Measure, print the tables, save the JSON result and the latency plot."""
    args = parse_args(argv)
    result = asyncio.run(run(args))
    raw, closed = result["raw_encode"], result["closed_loop"]
    print()
    print_table(
        "Saturation (closed loop, in-process) vs raw batched encode, same run",
        [
            {"measure": "raw batched encode (texts/s)", "value": raw["texts_per_second"],
             "load": raw["load_average_1m"]},
            {"measure": f"closed loop, {closed['visitors']} visitors (turns/s)",
             "value": closed["turns_per_second"], "load": closed["load_average_1m"]},
            {"measure": "  ratio to raw encode", "value": closed["ratio_to_raw_encode"]},
            {"measure": "  mean encoder batch", "value": closed["mean_batch"]},
        ],
        ["measure", "value", "load"],
    )  # fmt: skip
    print()
    if result["results"]:
        print_table(
            f"Open loop: {args.visitors} visitors, exponential think time (latency in ms)",
            result["results"],
            ["mode", "think_mean_s", "offered_per_second", "achieved_per_second", "p50_ms",
             "p95_ms", "p99_ms", "max_ms", "errors", "unfinished", "load_average_1m"],
        )  # fmt: skip
    for mode, sat in result["saturation"].items():
        print(
            f"{mode}: served up to {sat['highest_served_per_second']} turns/s offered "
            f"(p99 <= {sat['p99_target_ms']:g} ms); first unserved point: "
            f"{sat['lowest_unserved_per_second']}"
        )
    print(f"saved {write_results('assistant_turns', result)}")
    if result["results"]:
        plot = plot_latency(
            result["results"],
            RESULTS_DIR / "assistant_turns-latency.png",
            title=(
                f"Bot turn latency, {args.visitors} visitors, exponential think time\n"
                f"load average {result['environment']['load_average_1m']}, "
                f"{result['environment']['cpu_count']} CPUs"
            ),
            target_ms=args.p99_target,
        )
        print(f"plot {plot}")


if __name__ == "__main__":
    main()
