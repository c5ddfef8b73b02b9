"""The ``hybrid`` retriever: reciprocal-rank fusion of dense (faiss) and keyword (bm25) results."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kefu.contracts import Chunk, Hit, PluginContext
from kefu_plugins.retrievers._checks import (
    IndexNotBuiltError,
    check_filters,
    check_k,
    check_queries,
)
from kefu_plugins.retrievers._manifest import prepare_directory, read_manifest, write_manifest
from kefu_plugins.retrievers.dense import FaissRetriever
from kefu_plugins.retrievers.sparse import BM25Retriever

if TYPE_CHECKING:
    from kefu.contracts import Embeddings

KIND = "hybrid"
_DENSE_DIR = "dense"
_SPARSE_DIR = "sparse"


@dataclass(frozen=True, slots=True)
class _Sides:
    """The two retrievers of one built index, swapped in together."""

    dense: FaissRetriever
    sparse: BM25Retriever


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hit]],
    k: int,
    *,
    constant: float = 60.0,
    weights: Sequence[float] | None = None,
) -> list[Hit]:
    """Fuse ranked hit lists: each chunk scores ``sum(weight / (constant + rank))``, rank from 1.

    Hits are matched by chunk id; ties keep the order in which chunks were first seen.
    Returns the ``k`` best, each with its fused score.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    fused: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            chunk_id = hit.chunk.id
            chunks.setdefault(chunk_id, hit.chunk)
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (constant + rank)
    best = sorted(fused, key=lambda chunk_id: -fused[chunk_id])[:k]
    return [Hit(chunks[chunk_id], fused[chunk_id]) for chunk_id in best]


class HybridRetriever:
    """Runs the ``faiss`` and ``bm25`` retrievers and fuses their rankings (RRF).

    The query is embedded once (or the caller's ``embeddings`` are used) and shared with the
    dense side. Options: ``rrf_constant`` (60 by default; smaller favours top ranks),
    ``depth`` (hits taken from each side, at least ``k``), ``dense_weight``, ``sparse_weight``,
    and ``dense`` / ``sparse`` option mappings passed to the two retrievers.
    """

    uses_embeddings = True

    def __init__(
        self,
        context: PluginContext,
        *,
        rrf_constant: float = 60.0,
        depth: int = 20,
        dense_weight: float = 1.0,
        sparse_weight: float = 1.0,
        dense: Mapping[str, Any] | None = None,
        sparse: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(rrf_constant, (int, float)) or rrf_constant < 0:
            raise ValueError(f"rrf_constant must be a non-negative number, got {rrf_constant!r}")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive int, got {depth!r}")
        for name, weight in (("dense_weight", dense_weight), ("sparse_weight", sparse_weight)):
            if not isinstance(weight, (int, float)) or weight < 0:
                raise ValueError(f"{name} must be a non-negative number, got {weight!r}")
        self._constant = float(rrf_constant)
        self._depth = depth
        self._weights = (float(dense_weight), float(sparse_weight))
        self._context = context
        self._dense_options = dict(dense or {})
        self._sparse_options = dict(sparse or {})
        # Built now so that bad side options fail at construction, not at the first index.
        self._sides = _Sides(*self._new_sides())
        self._ready = False
        self._lock = threading.Lock()

    @property
    def dense(self) -> FaissRetriever:
        """The dense side."""
        return self._sides.dense

    @property
    def sparse(self) -> BM25Retriever:
        """The keyword side."""
        return self._sides.sparse

    def __len__(self) -> int:
        return len(self._sides.dense)

    def index(self, chunks: Sequence[Chunk], *, embeddings: Embeddings | None = None) -> None:
        """Index ``chunks`` on both sides; ``embeddings`` (aligned rows) skips encoding them.

        Searches running meanwhile keep using the previous index until both sides are built.
        """
        dense, sparse = self._new_sides()
        sparse.index(chunks)
        dense.index(chunks, embeddings=embeddings)
        with self._lock:
            self._sides = _Sides(dense, sparse)
            self._ready = True

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        filters: Mapping[str, str] | None = None,
        *,
        embeddings: Embeddings | None = None,
    ) -> list[list[Hit]]:
        """For each query, up to ``k`` hits ranked by fused reciprocal rank, best first."""
        texts = check_queries(queries)
        check_k(k)
        wanted = check_filters(filters)
        if not self._ready:
            raise IndexNotBuiltError(KIND)
        sides = self._sides
        vectors = sides.dense.query_vectors(texts, embeddings)
        depth = max(k, self._depth)
        dense_hits = sides.dense.search(texts, depth, wanted, embeddings=vectors)
        sparse_hits = sides.sparse.search(texts, depth, wanted)
        return [
            reciprocal_rank_fusion(
                (dense, sparse), k, constant=self._constant, weights=self._weights
            )
            for dense, sparse in zip(dense_hits, sparse_hits, strict=True)
        ]

    def save(self, directory: Path) -> None:
        """Write both sides into sub-directories of ``directory``."""
        if not self._ready:
            raise IndexNotBuiltError(KIND)
        sides = self._sides
        path = prepare_directory(directory)
        sides.dense.save(path / _DENSE_DIR)
        sides.sparse.save(path / _SPARSE_DIR)
        write_manifest(path, KIND, chunks=len(sides.dense))

    def load(self, directory: Path) -> None:
        """Restore both sides and check that they hold the same chunks."""
        path = Path(directory)
        read_manifest(path, KIND)
        dense, sparse = self._new_sides()
        dense.load(path / _DENSE_DIR)
        sparse.load(path / _SPARSE_DIR)
        if len(dense) != len(sparse):
            raise ValueError(
                f"{path} is inconsistent: {len(dense)} dense and {len(sparse)} keyword chunks"
            )
        with self._lock:
            self._sides = _Sides(dense, sparse)
            self._ready = True

    def _new_sides(self) -> tuple[FaissRetriever, BM25Retriever]:
        return (
            FaissRetriever(self._context, **self._dense_options),
            BM25Retriever(self._context, **self._sparse_options),
        )
