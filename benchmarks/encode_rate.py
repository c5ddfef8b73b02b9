"""How many texts per second the shared embedder encodes: one by one, batched, micro-batched.

Three measurements on the same texts, in the same run (these machines are noisy, so compare the
ratios, not the absolute figures across runs):

* ``single``: ``embedder.encode([text])`` for each text, one after another (the baseline).
* ``batch-N``: ``embedder.encode(texts[i:i+N])`` for a few batch sizes: the raw batched rate
  later throughput figures are compared with.
* ``batcher-C``: C concurrent ``await MicroBatcher.encode(text)`` callers through one batcher,
  i.e. what the server gets when C visitors write at once.

Texts are BANKING77 test queries (Casanueva et al., 2020; CC BY 4.0). Prints a table and writes
``benchmarks/results/encode_rate.json``.

Usage::

    .venv/bin/python benchmarks/encode_rate.py --texts 512
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kefu.contracts import Embedder
from kefu.embedding import shared_embedder
from kefu.embedding.batcher import MicroBatcher

RESULTS = Path(__file__).parent / "results" / "encode_rate.json"


def load_texts(data_dir: Path, count: int) -> list[str]:
    """The first ``count`` BANKING77 test queries."""
    with (data_dir / "banking77" / "test.csv").open(newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    if count > len(texts):
        raise ValueError(f"--texts {count} is more than the {len(texts)} queries available")
    return texts[:count]


def rate_single(embedder: Embedder, texts: Sequence[str]) -> float:
    """Texts per second, one encode call per text."""
    started = time.perf_counter()
    for text in texts:
        embedder.encode([text])
    return len(texts) / (time.perf_counter() - started)


def rate_batched(embedder: Embedder, texts: Sequence[str], size: int) -> float:
    """Texts per second, one encode call per ``size`` texts."""
    started = time.perf_counter()
    for start in range(0, len(texts), size):
        embedder.encode(texts[start : start + size])
    return len(texts) / (time.perf_counter() - started)


async def rate_batcher(
    embedder: Embedder, texts: Sequence[str], callers: int, max_batch: int, max_wait_ms: float
) -> tuple[float, float]:
    """Texts per second and mean batch size with ``callers`` concurrent single-text callers."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for text in texts:
        queue.put_nowait(text)

    async with MicroBatcher(embedder, max_batch=max_batch, max_wait_ms=max_wait_ms) as batcher:

        async def caller() -> None:
            while not queue.empty():
                await batcher.encode(queue.get_nowait())

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - started
    return len(texts) / elapsed, batcher.stats.mean_batch


def main(argv: Sequence[str] | None = None) -> None:
    """Measure, print and save the encode rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=512, help="how many queries to encode")
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--batch-sizes", default="8,32,64,128")
    parser.add_argument("--callers", default="1,16,64,256")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.texts < 1:
        parser.error("--texts must be at least 1")
    texts = load_texts(args.data_dir, args.texts)
    embedder = shared_embedder()
    embedder.encode(texts[:32])  # warm-up: first calls allocate and tune kernels
    load_start = os.getloadavg()

    rows: list[dict[str, Any]] = []
    baseline = rate_single(embedder, texts)
    rows.append({"mode": "single", "texts_per_second": baseline})
    for size in (int(s) for s in args.batch_sizes.split(",")):
        rows.append(
            {"mode": f"batch-{size}", "texts_per_second": rate_batched(embedder, texts, size)}
        )
    for callers in (int(c) for c in args.callers.split(",")):
        rate, mean_batch = asyncio.run(
            rate_batcher(embedder, texts, callers, args.max_batch, args.max_wait_ms)
        )
        rows.append(
            {
                "mode": f"batcher-{callers}",
                "texts_per_second": rate,
                "mean_batch": round(mean_batch, 1),
            }
        )

    print(f"{'mode':<14}{'texts/s':>10}{'x single':>10}{'mean batch':>12}")
    for row in rows:
        row["texts_per_second"] = round(row["texts_per_second"], 1)
        row["ratio_to_single"] = round(row["texts_per_second"] / baseline, 2)
        print(
            f"{row['mode']:<14}{row['texts_per_second']:>10.1f}{row['ratio_to_single']:>10.2f}"
            f"{row.get('mean_batch', ''):>12}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model_id": embedder.model_id,
        "texts": len(texts),
        "cpus": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "max_batch": args.max_batch,
        "max_wait_ms": args.max_wait_ms,
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"figures saved to {RESULTS}")


if __name__ == "__main__":
    main()
