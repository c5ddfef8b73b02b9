"""A FAISS inner-product index over L2-normalised vectors: exact when small, HNSW when large.

HNSW's search breadth (efSearch) follows the collection's size unless it is set: a graph over
a million vectors needs a wider walk than one over 100k for the same recall (see
:data:`AUTO_EF_SEARCH` and docs/benchmarks.md).

Filtered search never loses hits: small allowed sets are scored exactly by brute force, larger
ones go through the index with an id selector, and any query that still comes back short of
``min(k, allowed)`` hits is redone by brute force.
"""

from __future__ import annotations

import contextlib
import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from kefu_plugins.retrievers._ranking import top_k

Vectors = npt.NDArray[np.float32]
Positions = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]

INDEX_FILE = "vectors.faiss"

# faiss's type stubs lag behind its SWIG wrapper (search parameters, numpy-taking selectors).
_faiss: Any = faiss


#: efSearch for ``IndexParams(ef_search=0)`` as (from this many vectors up, efSearch) rows; the
#: last row not above the collection's size applies. Recall@10 against exact search measured on
#: BANKING77-derived chunks (all-MiniLM-L6-v2, M=32, efConstruction=80; benchmarks/retrieval.py
#: --sweep, docs/benchmarks.md) at efSearch 64 / 128 / 256:
#: 100k 0.983 / 0.992 / 0.998, 200k 0.950 / 0.982 / 0.991, 500k 0.935 / 0.949 / 0.973,
#: 1M 0.911 / 0.943 / 0.963. Each row switches before its efSearch falls to 0.95; beyond 1M is
#: unmeasured (set ``ef_search`` there).
AUTO_EF_SEARCH: tuple[tuple[int, int], ...] = (
    (0, 64),
    (150_000, 128),
    (300_000, 256),
)


class IndexKind(enum.StrEnum):
    """Which FAISS structure holds the vectors."""

    FLAT = "flat"  # exact inner product (IndexFlatIP)
    HNSW = "hnsw"  # approximate graph search (IndexHNSWFlat, inner product)


@dataclass(frozen=True, slots=True)
class IndexParams:
    """How to build and search the index; the defaults keep recall@10 >= 0.95 against exact."""

    #: Collections at least this large get an HNSW index, smaller ones an exact one.
    hnsw_threshold: int = 20_000
    hnsw_m: int = 32
    ef_construction: int = 80
    #: HNSW search breadth; 0 picks it by collection size from ``ef_search_by_size``.
    ef_search: int = 0
    #: (from this many vectors up, efSearch) rows, sizes ascending from 0, for ``ef_search=0``.
    ef_search_by_size: tuple[tuple[int, int], ...] = AUTO_EF_SEARCH
    #: Filtered searches over at most this many allowed vectors are scored exactly; above it
    #: the widened HNSW walk with an id selector measured faster (50k vectors, 10% allowed).
    brute_force_limit: int = 4_096
    #: Largest efSearch used to widen a filtered HNSW search.
    max_filtered_ef: int = 1024
    #: OpenMP threads per search call; 0 means all cores. One thread is the default because a
    #: server runs many searches side by side, and on a busy machine a second thread measured
    #: slower, not faster, even for batches of 32 queries.
    threads: int = 1

    def __post_init__(self) -> None:
        for name in ("hnsw_threshold", "hnsw_m", "ef_construction", "max_filtered_ef"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("ef_search", "brute_force_limit", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        # Settings files give lists; keep a hashable tuple of pairs.
        object.__setattr__(self, "ef_search_by_size", _size_table(self.ef_search_by_size))

    def kind_for(self, size: int) -> IndexKind:
        """The index structure for a collection of ``size`` vectors."""
        return IndexKind.HNSW if size >= self.hnsw_threshold else IndexKind.FLAT

    def ef_for(self, size: int) -> int:
        """The HNSW efSearch for a collection of ``size`` vectors: ``ef_search`` or the auto one."""
        if self.ef_search:
            return self.ef_search
        return next(ef for start, ef in reversed(self.ef_search_by_size) if size >= start)


def _size_table(rows: Any) -> tuple[tuple[int, int], ...]:
    """``rows`` as (size, efSearch) pairs, checked: sizes ascending from 0, efSearch positive."""
    problem = f"ef_search_by_size must be (size, ef_search) pairs from size 0 up, got {rows!r}"
    if isinstance(rows, str | bytes) or not isinstance(rows, list | tuple) or not rows:
        raise ValueError(problem)
    table: list[tuple[int, int]] = []
    for row in rows:
        if isinstance(row, str | bytes) or not isinstance(row, list | tuple) or len(row) != 2:
            raise ValueError(problem)
        start, ef = row
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, ef)) or ef < 1:
            raise ValueError(problem)
        if (not table and start != 0) or (table and start <= table[-1][0]):
            raise ValueError(problem)
        table.append((start, ef))
    return tuple(table)


@contextlib.contextmanager
def _omp_threads(count: int) -> Iterator[None]:
    """Run FAISS calls in this thread with ``count`` OpenMP threads (a per-thread setting)."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


_ALL_THREADS = faiss.omp_get_max_threads()


class VectorIndex:
    """Inner-product top-k search over a fixed set of vectors, with optional allowed positions."""

    def __init__(self, index: Any, kind: IndexKind, params: IndexParams) -> None:
        self._index = index
        self._kind = kind
        self._params = params
        self._stored: Vectors | None = None

    @classmethod
    def build(
        cls, vectors: Vectors, params: IndexParams, kind: IndexKind | None = None
    ) -> VectorIndex:
        """Index ``vectors`` (n, d), choosing the structure by size unless ``kind`` is given."""
        size, dimension = vectors.shape
        chosen = kind or params.kind_for(size)
        index: Any
        if chosen is IndexKind.HNSW:
            index = faiss.IndexHNSWFlat(dimension, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = params.ef_construction
        else:
            index = faiss.IndexFlatIP(dimension)
        if size:
            with _omp_threads(_ALL_THREADS):
                index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, chosen, params)

    @classmethod
    def read(cls, directory: Path, kind: IndexKind, params: IndexParams) -> VectorIndex:
        """Load an index written by :meth:`write`."""
        path = directory / INDEX_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the saved index is incomplete")
        index = faiss.read_index(str(path))
        expected = faiss.IndexHNSWFlat if kind is IndexKind.HNSW else faiss.IndexFlatIP
        if not isinstance(index, expected):
            raise ValueError(f"{path} holds a {type(index).__name__}, expected {expected.__name__}")
        return cls(index, kind, params)

    def write(self, directory: Path) -> None:
        """Write the index into ``directory``."""
        faiss.write_index(self._index, str(directory / INDEX_FILE))

    def with_params(self, params: IndexParams) -> VectorIndex:
        """The same vectors searched with other parameters (e.g. an ``ef_search`` sweep)."""
        return VectorIndex(self._index, self._kind, params)

    @property
    def kind(self) -> IndexKind:
        """The structure holding the vectors."""
        return self._kind

    @property
    def params(self) -> IndexParams:
        """The build and search parameters."""
        return self._params

    @property
    def ef_search(self) -> int:
        """The efSearch an unfiltered HNSW search uses (chosen by size unless configured)."""
        return self._params.ef_for(self.size)

    @property
    def size(self) -> int:
        """How many vectors are indexed."""
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        """The width of one vector."""
        return int(self._index.d)

    def search(
        self, queries: Vectors, k: int, allowed: Positions | None = None
    ) -> list[tuple[Scores, Positions]]:
        """Per query, the scores (descending) and positions of up to ``k`` best vectors.

        ``allowed`` restricts the results to those positions (sorted, unique); None allows all.
        """
        count = len(queries)
        empty = (np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))
        available = self.size if allowed is None else len(allowed)
        if count == 0:
            return []
        if available == 0:
            return [empty] * count
        want = min(k, available)
        with _omp_threads(self._params.threads or _ALL_THREADS):
            if allowed is None or available == self.size:
                return self._index_search(queries, want, None, ef=self.ef_search)
            if available <= self._params.brute_force_limit:
                return self._brute_force(queries, want, allowed)
            return self._selector_search(queries, want, allowed)

    def _index_search(
        self, queries: Vectors, k: int, selector: Any, *, ef: int
    ) -> list[tuple[Scores, Positions]]:
        if self._kind is IndexKind.HNSW:
            params: Any = _faiss.SearchParametersHNSW(efSearch=max(ef, k))
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        scores, positions = self._index.search(queries, k, params=params)
        results = []
        for row_scores, row_positions in zip(scores, positions, strict=True):
            keep = row_positions >= 0
            results.append((row_scores[keep], row_positions[keep].astype(np.int64)))
        return results

    def _selector_search(
        self, queries: Vectors, k: int, allowed: Positions
    ) -> list[tuple[Scores, Positions]]:
        mask = np.zeros(self.size, dtype=bool)
        mask[allowed] = True
        bitmap = np.packbits(mask, bitorder="little")
        selector = _faiss.IDSelectorBitmap(bitmap)
        # An HNSW walk skips the excluded nodes' results, so widen it by the filter's selectivity.
        ef = min(
            self._params.max_filtered_ef,
            self.ef_search * math.ceil(self.size / len(allowed)),
        )
        results = self._index_search(queries, k, selector, ef=ef)
        short = [row for row, (_, found) in enumerate(results) if len(found) < k]
        if short:
            redone = self._brute_force(queries[short], k, allowed)
            for row, result in zip(short, redone, strict=True):
                results[row] = result
        return results

    def _vectors(self) -> Vectors:
        """A zero-copy view of the stored vectors (both index kinds keep them uncompressed)."""
        if self._stored is None:
            flat = self._index if self._kind is IndexKind.FLAT else self._index.storage
            pointer = _faiss.downcast_index(flat).get_xb()
            self._stored = _faiss.rev_swig_ptr(pointer, self.size * self.dimension).reshape(
                self.size, self.dimension
            )
        return self._stored

    def _brute_force(
        self, queries: Vectors, k: int, allowed: Positions
    ) -> list[tuple[Scores, Positions]]:
        # einsum, not a BLAS matmul: multithreaded BLAS measured 10-50x slower on a busy machine.
        scores = np.einsum("qd,nd->qn", queries, self._vectors()[allowed])
        return [top_k(row, k, allowed) for row in scores]
