"""Retrieval latency and approximate-index recall at 10k and 100k chunks (1M with --million).

Collections are derived from BANKING77 (CC BY 4.0, PolyAI): each chunk joins two customer
queries of one intent, tagged with the intent and a 10% bucket for filtered searches. Chunk
vectors are mixtures of real all-MiniLM-L6-v2 embeddings of BANKING77 queries (a sample is
embedded once and cached), so the collection keeps the neighbourhood structure of real
embeddings without encoding 100k texts; queries are real embeddings of held-out test queries.
A second, structureless collection of random unit vectors (--random) shows the worst case for
the approximate index.

Figures: search latency p50/p99 (single query, and per batch of --batch queries) of exact
search (IndexFlatIP, the baseline), the HNSW index, and the ``faiss``, ``bm25`` and ``hybrid``
plugins (query embeddings given, so the encoder is not timed); recall@10 of HNSW against exact
search, unfiltered and filtered. The HNSW index searches with the product's own parameters
(``IndexParams()``: efSearch chosen by collection size) unless --ef-search is given.

--sweep EF... also measures, per collection, recall@10 (unfiltered and 10% filtered) and
single-query p50/p99 wall and CPU latency for each efSearch, and draws them into
benchmarks/results/retrieval-sweep.png. CPU time (the searching thread's own) separates the
search's cost from time lost to other work on a busy machine. --cache-index keeps each built
HNSW index under benchmarks/results/cache/ keyed by its vectors and build parameters, so a
repeated 1M sweep loads it instead of building it again (the first build's time is reported).

The table prints to stdout, the JSON goes to benchmarks/results/retrieval-<time>.json.

    .venv/bin/python benchmarks/retrieval.py                 # 10k and 100k: 5-20 minutes
    .venv/bin/python benchmarks/retrieval.py --sizes 10000   # quick
    .venv/bin/python benchmarks/retrieval.py --million       # adds 1M (index only, ~30 min)
    .venv/bin/python benchmarks/retrieval.py --sizes --million  # 1M alone
    .venv/bin/python benchmarks/retrieval.py --sizes 100000 --million --cache-index \
        --sweep 64 96 128 192 256 384 512                  # efSearch sweep at 100k and 1M
    .venv/bin/python benchmarks/retrieval.py --plot benchmarks/results/retrieval-*.json
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kefu.contracts import Chunk, Embeddings, PluginContext
from kefu_plugins.retrievers import HybridRetriever, IndexKind, IndexParams, VectorIndex

#: The shared data folder lies beside the repository.
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"
RESULTS = Path(__file__).resolve().parent / "results"
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Banking77:
    """Training texts with their intents, and held-out test queries."""

    texts: list[str]
    labels: list[str]
    test_texts: list[str]


def read_banking77(data: Path) -> Banking77:
    """Read the BANKING77 train and test CSV files (``text,category``)."""
    for name in ("train.csv", "test.csv"):
        if not (data / name).is_file():
            raise FileNotFoundError(f"{data / name} not found: pass --data")
    with (data / "train.csv").open(encoding="utf-8") as fh:
        train = list(csv.DictReader(fh))
    with (data / "test.csv").open(encoding="utf-8") as fh:
        test = [row["text"] for row in csv.DictReader(fh)]
    return Banking77([r["text"] for r in train], [r["category"] for r in train], test)


class FixedEmbedder:
    """Names the embedding model for retrievers that are only ever given precomputed vectors."""

    def __init__(self, model_id: str, dimension: int) -> None:
        self._model_id = model_id
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        """The model the precomputed vectors came from."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Their width."""
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Embeddings:
        """Refuse: the benchmark passes embeddings everywhere, so encoding would be a bug."""
        raise RuntimeError("the benchmark must pass precomputed embeddings")


def normalise(vectors: Vectors) -> Vectors:
    """Rows scaled to unit length."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def real_embeddings(
    texts: list[str], model_id: str, cache: Path, encode: Callable[[list[str]], Vectors]
) -> Vectors:
    """Embeddings of ``texts``, cached on disk by model and text content."""
    key = hashlib.sha256((model_id + "\n" + "\n".join(texts)).encode()).hexdigest()[:16]
    path = cache / f"embeddings-{key}.npy"
    if path.is_file():
        cached: Vectors = np.load(path)
        return cached
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    print(f"  embedded {len(texts)} texts in {time.perf_counter() - started:.1f}s", flush=True)
    np.save(path, vectors)
    return vectors


def mixed_vectors(
    base: Vectors, labels: Sequence[str], size: int, rng: np.random.Generator
) -> Vectors:
    """``size`` unit vectors shaped like embeddings of two joined queries of one intent.

    Each mixes two real embeddings of one intent, a little of a third random one, and noise.
    """
    by_label: dict[str, list[int]] = defaultdict(list)
    for row, label in enumerate(labels):
        by_label[label].append(row)
    first = rng.integers(0, len(base), size)
    second = np.asarray(
        [by_label[labels[i]][int(rng.integers(0, len(by_label[labels[i]])))] for i in first]
    )
    third = rng.integers(0, len(base), size)
    w = rng.uniform(0.3, 0.7, (size, 1)).astype(np.float32)
    v = rng.uniform(0.0, 0.3, (size, 1)).astype(np.float32)
    noise = rng.standard_normal((size, base.shape[1]), dtype=np.float32) * 0.01
    return normalise(w * base[first] + (1 - w) * base[second] + v * base[third] + noise)


def derived_chunks(data: Banking77, size: int, rng: np.random.Generator) -> list[Chunk]:
    """``size`` FAQ-like chunks, each joining two training queries of one intent."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for row, label in enumerate(data.labels):
        by_label[label].append(row)
    firsts = rng.integers(0, len(data.texts), size)
    chunks = []
    for number, first in enumerate(firsts):
        label = data.labels[first]
        second = by_label[label][int(rng.integers(0, len(by_label[label])))]
        text = f"{data.texts[first]} {data.texts[second]}"
        metadata = {"intent": label, "bucket": str(number % 10)}
        chunks.append(Chunk(f"c{number}", text, "banking77", metadata))
    return chunks


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Seconds each call took (after one warm-up call)."""
    calls[0]()
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def summary(seconds: list[float], per: int = 1) -> dict[str, float]:
    """p50/p99 in milliseconds, and per-query p50 for batches of ``per`` queries."""
    ms = np.asarray(seconds) * 1e3
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "per_query_p50_ms": round(float(np.percentile(ms, 50)) / per, 4),
    }


def recall_at(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]], k: int) -> float:
    """Mean share of the exact top-``k`` that the approximate top-``k`` contains."""
    shares = [
        len(set(f[:k]) & set(t[:k])) / max(1, min(k, len(t)))
        for f, t in zip(found, truth, strict=True)
    ]
    return round(float(np.mean(shares)), 4)


def hnsw_index(
    vectors: Vectors, params: IndexParams, cache: Path | None
) -> tuple[VectorIndex, float, bool]:
    """The HNSW index over ``vectors``, its build seconds, and whether it came from ``cache``.

    A cached index is keyed by the vectors' bytes and the build parameters, so it can never
    stand in for another collection's.
    """
    if cache is None:
        started = time.perf_counter()
        built = VectorIndex.build(vectors, params, IndexKind.HNSW)
        return built, time.perf_counter() - started, False
    digest = hashlib.sha256(np.ascontiguousarray(vectors).data).hexdigest()[:16]
    folder = cache / f"hnsw-{len(vectors)}-{digest}-m{params.hnsw_m}-efc{params.ef_construction}"
    record = folder / "build.json"
    if record.is_file():
        seconds = float(json.loads(record.read_text())["build_s"])
        return VectorIndex.read(folder, IndexKind.HNSW, params), seconds, True
    started = time.perf_counter()
    built = VectorIndex.build(vectors, params, IndexKind.HNSW)
    seconds = time.perf_counter() - started
    folder.mkdir(parents=True, exist_ok=True)
    built.write(folder)
    record.write_text(json.dumps({"build_s": seconds, "load_average_1m": os.getloadavg()[0]}))
    return built, seconds, False


def measure_index(
    vectors: Vectors,
    queries: Vectors,
    params: IndexParams,
    batch: int,
    filters: dict[str, npt.NDArray[np.int64]],
    cache: Path | None = None,
) -> tuple[dict[str, Any], VectorIndex, VectorIndex]:
    """Exact vs HNSW search over raw vectors: build time, latency, recall@10.

    Returns the figures with the exact and the HNSW index, for a sweep to reuse.
    """
    out: dict[str, Any] = {}
    started = time.perf_counter()
    exact = VectorIndex.build(vectors, params, IndexKind.FLAT)
    out["flat_build_s"] = round(time.perf_counter() - started, 2)
    approx, seconds, cached = hnsw_index(vectors, params, cache)
    out["hnsw_build_s"] = round(seconds, 2)
    out["hnsw_build_cached"] = cached
    out["hnsw_ef_search"] = approx.ef_search
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    singles = [queries[i : i + 1] for i in range(len(queries))]
    batches = [queries[i : i + batch] for i in range(0, len(queries) - batch + 1, batch)]
    for name, index in (("flat", exact), ("hnsw", approx)):
        out[f"{name}_single"] = summary(timed([partial(index.search, q, 10) for q in singles]))
        out[f"{name}_batch"] = summary(
            timed([partial(index.search, q, 10) for q in batches]), per=batch
        )
    truth = [list(p) for _, p in exact.search(queries, 10)]
    found = [list(p) for _, p in approx.search(queries, 10)]
    out["hnsw_recall@10"] = recall_at(found, truth, 10)
    for label, allowed in filters.items():
        truth = [list(p) for _, p in exact.search(queries, 10, allowed)]
        found = [list(p) for _, p in approx.search(queries, 10, allowed)]
        out[f"hnsw_recall@10_{label}"] = recall_at(found, truth, 10)
        out[f"hnsw_single_{label}"] = summary(
            timed([partial(approx.search, q, 10, allowed) for q in singles])
        )
    base = out["flat_single"]["p50_ms"]
    out["hnsw_speedup_vs_flat_p50"] = round(base / max(out["hnsw_single"]["p50_ms"], 1e-9), 1)
    return out, exact, approx


def wall_and_cpu(calls: Sequence[Callable[[], object]]) -> tuple[list[float], list[float]]:
    """Wall and own-thread CPU seconds each call took (after one warm-up call)."""
    calls[0]()
    wall, cpu = [], []
    for call in calls:
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def sweep_ef(
    exact: VectorIndex,
    approx: VectorIndex,
    queries: Vectors,
    allowed: npt.NDArray[np.int64],
    values: Sequence[int],
    repeat: int = 1,
) -> list[dict[str, Any]]:
    """Per efSearch: recall@10 against exact search and single-query latency, plain and filtered.

    The filtered search widens its walk by the filter's selectivity, so its efSearch is the
    swept one times that (capped by ``max_filtered_ef``). Each query is timed ``repeat`` times
    (in turn, not back to back) for steadier percentiles.
    """
    truth = [list(p) for _, p in exact.search(queries, 10)]
    filtered_truth = [list(p) for _, p in exact.search(queries, 10, allowed)]
    singles = [queries[i : i + 1] for i in range(len(queries))] * repeat
    rows = []
    for ef in values:
        index = approx.with_params(replace(approx.params, ef_search=ef))
        wall, cpu = wall_and_cpu([partial(index.search, q, 10) for q in singles])
        filtered_wall = timed([partial(index.search, q, 10, allowed) for q in singles])
        found = [list(p) for _, p in index.search(queries, 10)]
        filtered = [list(p) for _, p in index.search(queries, 10, allowed)]
        rows.append(
            {
                "size": index.size,
                "ef_search": ef,
                "hnsw_m": index.params.hnsw_m,
                "ef_construction": index.params.ef_construction,
                "recall@10": recall_at(found, truth, 10),
                "recall@10_filter_10pct": recall_at(filtered, filtered_truth, 10),
                **{f"latency_{k}": v for k, v in summary(wall).items() if k != "per_query_p50_ms"},
                "cpu_p50_ms": summary(cpu)["p50_ms"],
                "cpu_p99_ms": summary(cpu)["p99_ms"],
                "filter_10pct_p50_ms": summary(filtered_wall)["p50_ms"],
                "filter_10pct_p99_ms": summary(filtered_wall)["p99_ms"],
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        )
        row = rows[-1]
        print(
            f"  size {row['size']:>9} ef {ef:>4}  recall@10 {row['recall@10']:.4f}  "
            f"filtered {row['recall@10_filter_10pct']:.4f}  p50 {row['latency_p50_ms']:.3f}  "
            f"p99 {row['latency_p99_ms']:.3f}  cpu p99 {row['cpu_p99_ms']:.3f} ms  "
            f"load {row['load_average_1m']}",
            flush=True,
        )
    return rows


def plot_sweep(rows: Sequence[dict[str, Any]], out: Path) -> Path:
    """Recall@10 and p50/p99 latency against efSearch, one line per collection size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (recall_ax, latency_ax) = plt.subplots(1, 2, figsize=(11, 4.8))
    for number, size in enumerate(sorted({row["size"] for row in rows})):
        colour = f"C{number}"
        mine = sorted((r for r in rows if r["size"] == size), key=lambda r: r["ef_search"])
        efs = [r["ef_search"] for r in mine]
        recall_ax.plot(
            efs, [r["recall@10"] for r in mine], marker="o", color=colour, label=f"{size:,}"
        )
        recall_ax.plot(
            efs,
            [r["recall@10_filter_10pct"] for r in mine],
            marker="x",
            linestyle=":",
            color=colour,
            label=f"{size:,} (10% filter)",
        )
        for key, style, name in (
            ("latency_p99_ms", "-", "p99"),
            ("cpu_p99_ms", "-.", "p99 CPU"),
            ("latency_p50_ms", "--", "p50"),
        ):
            latency_ax.plot(
                efs,
                [r[key] for r in mine],
                marker=".",
                linestyle=style,
                color=colour,
                label=f"{size:,} {name}",
            )
    recall_ax.axhline(0.95, color="grey", linewidth=0.8)
    latency_ax.axhline(5.0, color="grey", linewidth=0.8)
    loads = sorted({r["load_average_1m"] for r in rows})
    latency_ax.set_yscale("log")
    efs = sorted({r["ef_search"] for r in rows})
    for ax, label in ((recall_ax, "recall@10 vs exact"), (latency_ax, "single-query ms")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(efs, [str(ef) for ef in efs])
        ax.set_xlabel("efSearch")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(
        f"HNSW (M={rows[0]['hnsw_m']}, efConstruction={rows[0]['ef_construction']}), 1 thread; "
        f"load average {loads[0]}-{loads[-1]}, "
        f"{os.cpu_count()} CPUs",
        fontsize="medium",
    )
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def measure_plugins(
    chunks: list[Chunk],
    vectors: Vectors,
    query_texts: list[str],
    queries: Vectors,
    model_id: str,
    batch: int,
) -> dict[str, Any]:
    """The faiss, bm25 and hybrid plugins on one collection (query embeddings given)."""
    embedder = FixedEmbedder(model_id, vectors.shape[1])
    context = PluginContext(Path("."), embedder_factory=lambda: embedder)
    hybrid = HybridRetriever(context)
    out: dict[str, Any] = {}
    started = time.perf_counter()
    hybrid.sparse.index(chunks)
    out["bm25_build_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    hybrid.index(chunks, embeddings=vectors)
    out["hybrid_build_s"] = round(time.perf_counter() - started, 2)
    out["faiss_index_kind"] = str(hybrid.dense.index_kind)
    rows = list(range(len(query_texts)))
    starts = list(range(0, len(rows) - batch + 1, batch))
    searchers: dict[str, Callable[[list[str], Vectors], object]] = {
        "faiss": lambda t, q: hybrid.dense.search(t, 10, embeddings=q),
        "bm25": lambda t, q: hybrid.sparse.search(t, 10),
        "hybrid": lambda t, q: hybrid.search(t, 10, embeddings=q),
        "hybrid_filtered_10pct": lambda t, q: hybrid.search(t, 10, {"bucket": "3"}, embeddings=q),
    }
    for name, search in searchers.items():
        out[f"{name}_single"] = summary(
            timed([partial(search, [query_texts[i]], queries[i : i + 1]) for i in rows])
        )
        out[f"{name}_batch"] = summary(
            timed(
                [
                    partial(search, query_texts[i : i + batch], queries[i : i + batch])
                    for i in starts
                ]
            ),
            per=batch,
        )
    return out


def print_table(report: dict[str, Any]) -> None:
    """A compact human-readable table of the latency and recall figures."""
    print()
    print(f"{'collection':<22}{'search':<26}{'p50 ms':>9}{'p99 ms':>9}{'ms/query':>10}")
    for collection, figures in report["collections"].items():
        for key, value in figures.items():
            if isinstance(value, dict):
                print(
                    f"{collection:<22}{key:<26}{value['p50_ms']:>9.3f}{value['p99_ms']:>9.3f}"
                    f"{value['per_query_p50_ms']:>10.4f}"
                )
        for key, value in figures.items():
            if not isinstance(value, dict):
                print(f"{collection:<22}{key:<26}{value!s:>9}")
        print()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write its JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="add 1M chunks (index only)")
    parser.add_argument("--random", action="store_true", help="also random unit vectors")
    parser.add_argument(
        "--index-only", action="store_true", help="skip the plugins (always skipped at 1M)"
    )
    parser.add_argument("--queries", type=int, default=320, help="held-out test queries")
    parser.add_argument("--sample", type=int, default=2_000, help="real texts to embed")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument(
        "--ef-search", type=int, default=IndexParams().ef_search, help="0: chosen by size"
    )
    parser.add_argument("--sweep", type=int, nargs="*", default=[], help="efSearch values")
    parser.add_argument("--repeat", type=int, default=1, help="timings per query in the sweep")
    parser.add_argument(
        "--cache-index", action="store_true", help="keep built HNSW indexes for later runs"
    )
    parser.add_argument(
        "--plot", type=Path, nargs="+", help="only redraw the sweep plot from saved JSON reports"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.plot:
        rows = [row for path in args.plot for row in json.loads(path.read_text()).get("sweep", [])]
        if not rows:
            parser.error("the reports hold no sweep: run with --sweep first")
        print(f"wrote {plot_sweep(rows, RESULTS / 'retrieval-sweep.png')}")
        return 0
    if any(size < 100 for size in args.sizes) or args.queries < args.batch:
        parser.error("sizes must be at least 100 and --queries at least --batch")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.ef_search < 0 or any(ef < 1 for ef in args.sweep):
        parser.error("--ef-search must be 0 (by size) or positive, --sweep values positive")
    if not args.sizes and not args.million:
        parser.error("nothing to measure: give --sizes or --million")

    from kefu.embedding import shared_embedder

    rng = np.random.default_rng(args.seed)
    data = read_banking77(args.data)
    embedder = shared_embedder()
    picked = rng.choice(len(data.texts), args.sample, replace=False)
    sample = [data.texts[i] for i in picked]
    sample_labels = [data.labels[i] for i in picked]
    query_texts = [data.test_texts[i] for i in rng.choice(len(data.test_texts), args.queries)]
    print(f"embedding {args.sample} sample texts and {args.queries} queries", flush=True)
    base = real_embeddings(sample, embedder.model_id, RESULTS / "cache", embedder.encode)
    queries = real_embeddings(query_texts, embedder.model_id, RESULTS / "cache", embedder.encode)
    params = IndexParams(ef_search=args.ef_search)

    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "params": {**vars(args), "data": str(args.data), "out": str(args.out)},
        "index_params": {name: getattr(params, name) for name in IndexParams.__dataclass_fields__},
        "model_id": embedder.model_id,
        "collections": {},
        "sweep": [],
    }
    sizes = [*args.sizes, *([1_000_000] if args.million else [])]
    for size in sizes:
        print(f"{size} chunks: building", flush=True)
        # One generator per size keeps a collection the same whatever other sizes are run, so a
        # cached index is found again.
        collection_rng = np.random.default_rng((args.seed, size))
        vectors = mixed_vectors(base, sample_labels, size, collection_rng)
        chunks = derived_chunks(data, size, collection_rng)
        buckets = np.asarray([int(c.metadata["bucket"]) for c in chunks])
        intent = chunks[0].metadata["intent"]
        intents = np.asarray([c.metadata["intent"] == intent for c in chunks])
        filters = {
            "filter_10pct": np.flatnonzero(buckets == 3).astype(np.int64),
            "filter_intent": np.flatnonzero(intents).astype(np.int64),
        }
        cache = RESULTS / "cache" if args.cache_index else None
        figures, exact, approx = measure_index(vectors, queries, params, args.batch, filters, cache)
        if args.sweep:
            report["sweep"] += sweep_ef(
                exact, approx, queries, filters["filter_10pct"], args.sweep, args.repeat
            )
        if size < 1_000_000 and not args.index_only:
            figures.update(
                measure_plugins(
                    chunks, vectors, query_texts, queries, embedder.model_id, args.batch
                )
            )
        report["collections"][f"banking77-{size}"] = figures
        if args.random and size < 1_000_000:
            noise = normalise(rng.standard_normal((size, vectors.shape[1]), dtype=np.float32))
            random_queries = normalise(
                rng.standard_normal((args.queries, vectors.shape[1]), dtype=np.float32)
            )
            report["collections"][f"random-{size}"] = measure_index(
                noise, random_queries, params, args.batch, {"filter_10pct": filters["filter_10pct"]}
            )[0]
        print_table({"collections": {f"banking77-{size}": figures}})

    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"retrieval-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    if report["sweep"]:
        print(f"wrote {plot_sweep(report['sweep'], RESULTS / 'retrieval-sweep.png')}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
