"""Evaluating retrievers: index the chunks, search every query, rank answers, gather figures."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.contracts import Chunk, Hit, PluginContext, Retriever
from kefu.evaluation.batching import DEFAULT_BATCH_SIZE, in_batches
from kefu.evaluation.errors import EvaluationError
from kefu.evaluation.plugins import build_plugin, plugin_name, seed_everything
from kefu.evaluation.retrieval_data import RetrievalQuery, answer_id
from kefu.evaluation.retrieval_metrics import NDCG_K, RECALL_KS, RankingFigures, ranking_figures

NAMESPACE = "kefu.retriever"
#: Hits asked for per query: several chunks may share one answer id (FAQ paraphrases).
SEARCH_DEPTH = 50


@dataclass(frozen=True, slots=True)
class RetrievalRun:
    """One retriever's rankings of the queries and its figures."""

    plugin: str
    options: Mapping[str, Any]
    figures: RankingFigures
    #: Answer ids returned for each query, best first, without repeats.
    rankings: tuple[tuple[str, ...], ...]
    index_seconds: float
    search_seconds: float
    chunks: int


def rank_answers(hits: Sequence[Hit], limit: int) -> tuple[str, ...]:
    """The distinct answer ids of ``hits`` in order of first appearance, at most ``limit``."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(answer_id(hit.chunk), None)
        if len(seen) == limit:
            break
    return tuple(seen)


def evaluate_retriever(
    name: str,
    chunks: Sequence[Chunk],
    queries: Sequence[RetrievalQuery],
    context: PluginContext,
    *,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    factory: Callable[[], Retriever] | None = None,
) -> RetrievalRun:
    """Index ``chunks`` with a fresh ``name`` retriever and rank the answers of ``queries``."""
    if not queries:
        raise EvaluationError("no queries to evaluate")
    seed_everything(seed)
    retriever = (
        factory()
        if factory is not None
        else build_plugin(NAMESPACE, plugin_name(name), context, options, seed=seed)
    )
    if getattr(retriever, "uses_embeddings", False) and context.embedder_factory:
        context.embedder()  # load the shared model before timing: it is not indexing
    started = time.perf_counter()
    retriever.index(list(chunks))
    index_seconds = time.perf_counter() - started
    depth = max(SEARCH_DEPTH, max(RECALL_KS), NDCG_K)
    limit = max(max(RECALL_KS), NDCG_K)
    started = time.perf_counter()
    hits = in_batches(
        lambda batch: retriever.search(batch, depth),
        [q.text for q in queries],
        batch_size=batch_size,
    )
    search_seconds = time.perf_counter() - started
    rankings = tuple(rank_answers(found, limit) for found in hits)
    return RetrievalRun(
        plugin=name,
        options=dict(options or {}),
        figures=ranking_figures(rankings, [q.expected for q in queries]),
        rankings=rankings,
        index_seconds=index_seconds,
        search_seconds=search_seconds,
        chunks=len(chunks),
    )
