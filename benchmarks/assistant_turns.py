"""Bot turn latency and throughput through the dialog manager, beside the raw batched encode rate.

Both figures come from the same run on the same model, so the ratio holds on a noisy machine:

* raw batched encode: the shared embedder encoding the benchmark's queries in batches of the
  micro-batcher's size, with nothing else around it (the ceiling for embedding-based turns);
* low load: one visitor at a time, turn latency p50/p99;
* concurrency: N visitors each sending their next message as soon as the previous turn is
  decided (closed loop), turns/s and latency p50/p99.

Each turn runs the real plugins: the shared embedding (micro-batched), intent recognition and
dense retrieval from that one embedding, the reply policy, and the dialog-state store.

    python -m benchmarks.assistant_turns                   # defaults: 200 visitors, 4000 turns
    python -m benchmarks.assistant_turns --state sqlite    # state in a SQLite file (default)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks._harness import environment, print_table, write_results
from kefu import registry
from kefu.assistant.manager import DialogManager, TurnRequest
from kefu.assistant.state import DialogState, DialogStateStore
from kefu.contracts import Chunk, IntentExample, PluginContext
from kefu.embedding import shared_embedder
from kefu.embedding.batcher import MicroBatcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"


class MemoryStateStore:
    """Dialog state in a dict: isolates the assistant's own cost (``--state memory``)."""

    def __init__(self) -> None:
        self._states: dict[str, DialogState] = {}

    async def get(self, conversation_id: str) -> DialogState:
        return self._states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        self._states[conversation_id] = state


def load_rows(split: str) -> list[tuple[str, str]]:
    """BANKING77 rows (text, intent) of one split."""
    path = DATA / f"{split}.csv"
    if not path.is_file():
        sys.exit(f"BANKING77 not found at {path}")
    with path.open(encoding="utf-8") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def make_state_store(kind: str, workdir: Path) -> tuple[DialogStateStore, Any]:
    """The state store to measure with, and what to close afterwards."""
    if kind == "memory":
        return MemoryStateStore(), None
    from kefu.assistant.state_sql import SqlDialogStateStore
    from kefu.store.database import Database

    db = Database(f"sqlite+aiosqlite:///{workdir / 'kefu.db'}")
    await db.migrate()
    return SqlDialogStateStore(db), db


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    train = load_rows("train")
    test = [text for text, _ in load_rows("test")]
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, label in train:
        by_intent[label].append(text)
    examples = [
        IntentExample(text, label)
        for label, texts in by_intent.items()
        for text in texts[: args.train_per_intent]
    ]
    chunks = [
        Chunk(f"faq-{label}", texts[0], "faq", {"intent": label, "answer": f"About {label}."})
        for label, texts in by_intent.items()
    ]
    embedder = shared_embedder()
    context = PluginContext(data_dir=Path(tempfile.gettempdir()), embedder_factory=lambda: embedder)
    recognizer = registry.load("kefu.intent", args.recognizer, context)
    retriever = registry.load("kefu.retriever", args.retriever, context)
    policy = registry.load("kefu.policy", "default", context, reply_threshold=0.5)
    started = time.perf_counter()
    recognizer.fit(examples)
    retriever.index(chunks)
    setup_seconds = time.perf_counter() - started

    queries = [rng.choice(test) for _ in range(args.turns)]
    # Warm up the model and the plugins so that first-call costs are not measured.
    embedder.encode(queries[:64])

    batch = args.max_batch
    started = time.perf_counter()
    for i in range(0, len(queries), batch):
        embedder.encode(queries[i : i + batch])
    encode_rate = len(queries) / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp:
        state, closer = await make_state_store(args.state, Path(tmp))
        batcher = MicroBatcher(embedder, max_batch=batch, max_wait_ms=args.max_wait_ms)
        manager = DialogManager(
            policy=policy, state=state, recognizer=recognizer, retriever=retriever, batcher=batcher
        )
        for q in queries[:32]:
            await manager.handle(TurnRequest("warmup", q))

        low: list[float] = []
        for i, q in enumerate(queries[: args.low_turns]):
            t0 = time.perf_counter()
            await manager.handle(TurnRequest(f"low-{i % 20}", q))
            low.append((time.perf_counter() - t0) * 1000)

        latencies: list[float] = []
        decisions: dict[str, int] = defaultdict(int)
        todo = iter(enumerate(queries))

        async def visitor(n: int) -> None:
            for i, q in todo:
                t0 = time.perf_counter()
                decision = await manager.handle(TurnRequest(f"v-{n}", q))
                latencies.append((time.perf_counter() - t0) * 1000)
                decisions[decision.action.value] += 1
                del i

        started = time.perf_counter()
        await asyncio.gather(*(visitor(n) for n in range(args.concurrency)))
        wall = time.perf_counter() - started
        await manager.aclose()
        await batcher.aclose()
        if closer is not None:
            await closer.close()

    turns_per_second = len(latencies) / wall
    return {
        "benchmark": "assistant_turns",
        "environment": environment(),
        "config": {
            "recognizer": args.recognizer,
            "retriever": args.retriever,
            "state": args.state,
            "intents": len(by_intent),
            "train_examples": len(examples),
            "chunks": len(chunks),
            "concurrency": args.concurrency,
            "turns": len(latencies),
            "max_batch": batch,
            "max_wait_ms": args.max_wait_ms,
            "setup_seconds": round(setup_seconds, 2),
        },
        "raw_encode_texts_per_second": round(encode_rate, 1),
        "low_load": {
            "turns": len(low),
            "p50_ms": round(statistics.median(low), 2),
            "p99_ms": round(percentile(low, 99), 2),
        },
        "concurrent": {
            "turns_per_second": round(turns_per_second, 1),
            "ratio_to_raw_encode": round(turns_per_second / encode_rate, 3),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "mean_batch": round(batcher.stats.mean_batch, 1),
            "decisions": dict(decisions),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recognizer", default="embedding")
    parser.add_argument("--retriever", default="faiss")
    parser.add_argument("--state", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--turns", type=int, default=4000)
    parser.add_argument("--low-turns", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--train-per-intent", type=int, default=30)
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=2.0)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    rows = [
        {"measure": "raw batched encode (texts/s)", "value": result["raw_encode_texts_per_second"]},
        {"measure": "low load p50 (ms)", "value": result["low_load"]["p50_ms"]},
        {"measure": "low load p99 (ms)", "value": result["low_load"]["p99_ms"]},
        {
            "measure": f"{args.concurrency} visitors: turns/s",
            "value": result["concurrent"]["turns_per_second"],
        },
        {"measure": "  ratio to raw encode", "value": result["concurrent"]["ratio_to_raw_encode"]},
        {"measure": "  p50 (ms)", "value": result["concurrent"]["p50_ms"]},
        {"measure": "  p99 (ms)", "value": result["concurrent"]["p99_ms"]},
        {"measure": "  mean encoder batch", "value": result["concurrent"]["mean_batch"]},
    ]
    print_table("Bot turns through the dialog manager", rows, ["measure", "value"])
    print(f"saved {write_results('assistant_turns', result)}")


if __name__ == "__main__":
    main()
