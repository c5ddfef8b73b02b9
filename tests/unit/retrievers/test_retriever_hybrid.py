"""Reciprocal-rank fusion and the ``hybrid`` retriever's sharing of one query embedding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kefu.contracts import Chunk, Embeddings, Hit, PluginContext
from kefu.testing.retriever import CORPUS, HashingEmbedder
from kefu_plugins.retrievers import HybridRetriever, reciprocal_rank_fusion


class CountingEmbedder(HashingEmbedder):
    """Counts the texts it is asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> Embeddings:
        self.calls.append(len(texts))
        return super().encode(texts)


def hits(*ids: str) -> list[Hit]:
    return [Hit(Chunk(i, f"text {i}"), 1.0) for i in ids]


def test_rrf_scores_sum_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([hits("a", "b", "c"), hits("b", "d")], 10, constant=60)
    scores = {hit.chunk.id: hit.score for hit in fused}
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63)
    assert [hit.chunk.id for hit in fused] == ["b", "a", "d", "c"]


def test_rrf_keeps_k_weights_and_first_seen_order_on_ties() -> None:
    assert [h.chunk.id for h in reciprocal_rank_fusion([hits("a"), hits("z")], 1)] == ["a"]
    weighted = reciprocal_rank_fusion([hits("a"), hits("z")], 2, weights=[1.0, 2.0])
    assert [h.chunk.id for h in weighted] == ["z", "a"]
    assert reciprocal_rank_fusion([[], []], 5) == []
    with pytest.raises(ValueError, match="2 weights for 1 rankings"):
        reciprocal_rank_fusion([hits("a")], 1, weights=[1.0, 1.0])


def test_a_smaller_constant_favours_top_ranks() -> None:
    # "x" is first on one side and fourth on the other; "y" is second on both.
    rankings = [hits("x", "y"), hits("w", "y", "z", "x")]
    assert reciprocal_rank_fusion(rankings, 1, constant=60)[0].chunk.id == "y"
    assert reciprocal_rank_fusion(rankings, 1, constant=0)[0].chunk.id == "x"


def test_the_query_is_embedded_once_per_batch() -> None:
    embedder = CountingEmbedder()
    retriever = HybridRetriever(PluginContext(Path("unused"), embedder_factory=lambda: embedder))
    retriever.index(list(CORPUS))
    assert embedder.calls == [len(CORPUS)]
    retriever.search(["refund", "退款", "invoice"], k=3)
    assert embedder.calls == [len(CORPUS), 3]
    given = HashingEmbedder().encode(["refund"])
    retriever.search(["refund"], k=3, embeddings=given)
    assert embedder.calls == [len(CORPUS), 3]


def test_keyword_only_matches_are_fused_in() -> None:
    embedder = HashingEmbedder()
    retriever = HybridRetriever(
        PluginContext(Path("unused"), embedder_factory=lambda: embedder), depth=3
    )
    retriever.index(list(CORPUS))
    # A query vector pointing nowhere near any chunk: only the keyword side can match.
    far = np.zeros((1, embedder.dimension), dtype=np.float32)
    far[0, 0] = 1.0
    (fused,) = retriever.search(["发票"], k=5, embeddings=far)
    assert "zh-invoice" in [hit.chunk.id for hit in fused]


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"rrf_constant": -1}, "rrf_constant"),
        ({"depth": 0}, "depth"),
        ({"dense_weight": -0.5}, "dense_weight"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], name: str) -> None:
    context = PluginContext(Path("unused"), embedder_factory=HashingEmbedder)
    with pytest.raises(ValueError, match=name):
        HybridRetriever(context, **options)  # type: ignore[arg-type]


def test_side_options_are_passed_through() -> None:
    context = PluginContext(Path("unused"), embedder_factory=HashingEmbedder)
    retriever = HybridRetriever(context, dense={"index_type": "hnsw"}, sparse={"stemmer": None})
    retriever.index(list(CORPUS))
    assert retriever.dense.index_kind is not None and retriever.dense.index_kind.value == "hnsw"
    assert retriever.sparse.tokenizer.tokenize("Refunds") == ["refunds"]
