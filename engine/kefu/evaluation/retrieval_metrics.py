"""Ranking figures for retrieval: recall@k, mean reciprocal rank and nDCG@k (binary relevance).

Each query comes with the set of ids that answer it; a ranking is the list of ids a retriever
returned, best first, with duplicates already removed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass

#: The cut-offs ``kefu eval retrieval`` reports.
RECALL_KS = (1, 5, 10)
NDCG_K = 10


@dataclass(frozen=True, slots=True)
class RankingFigures:
    """Averages over the queries: ``recall`` by cut-off, ``mrr`` and ``ndcg`` at ``ndcg_k``."""

    recall: dict[int, float]
    mrr: float
    ndcg: float
    ndcg_k: int
    queries: int


def recall_at(ranking: Sequence[str], relevant: Set[str], k: int) -> float:
    """The share of relevant ids found in the top ``k``."""
    if not relevant:
        raise ValueError("a query needs at least one relevant id")
    return len(set(ranking[:k]) & set(relevant)) / len(relevant)


def reciprocal_rank(ranking: Sequence[str], relevant: Set[str]) -> float:
    """1 / rank of the first relevant id (0 when none was returned)."""
    for rank, item in enumerate(ranking, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranking: Sequence[str], relevant: Set[str], k: int) -> float:
    """Normalised discounted cumulative gain of the top ``k`` with binary relevance."""
    gain = sum(
        1.0 / math.log2(rank + 1) for rank, item in enumerate(ranking[:k], 1) if item in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return gain / ideal if ideal else 0.0


def ranking_figures(
    rankings: Sequence[Sequence[str]],
    relevant: Sequence[Set[str]],
    *,
    ks: Sequence[int] = RECALL_KS,
    ndcg_k: int = NDCG_K,
) -> RankingFigures:
    """Average the per-query figures over aligned ``rankings`` and ``relevant`` sets."""
    if len(rankings) != len(relevant):
        raise ValueError(f"{len(rankings)} rankings but {len(relevant)} relevance sets")
    if not rankings:
        raise ValueError("no queries to evaluate")
    n = len(rankings)
    pairs = list(zip(rankings, relevant, strict=True))
    return RankingFigures(
        recall={k: sum(recall_at(r, rel, k) for r, rel in pairs) / n for k in ks},
        mrr=sum(reciprocal_rank(r, rel) for r, rel in pairs) / n,
        ndcg=sum(ndcg_at(r, rel, ndcg_k) for r, rel in pairs) / n,
        ndcg_k=ndcg_k,
        queries=n,
    )
