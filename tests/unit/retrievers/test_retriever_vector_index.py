"""The FAISS vector index: structure choice, exact and filtered search paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kefu_plugins.retrievers import IndexKind, IndexParams, VectorIndex
from kefu_plugins.retrievers.vector_index import AUTO_EF_SEARCH


def unit(rows: np.ndarray) -> np.ndarray:
    out: np.ndarray = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return out


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray]:
    """2,000 vectors around 40 centres, and 50 queries near random members."""
    rng = np.random.default_rng(7)
    centres = unit(rng.standard_normal((40, 32)))
    vectors = unit(centres[rng.integers(0, 40, 2_000)] + 0.15 * rng.standard_normal((2_000, 32)))
    queries = unit(vectors[rng.integers(0, 2_000, 50)] + 0.05 * rng.standard_normal((50, 32)))
    return vectors, queries


@pytest.fixture(scope="module")
def hnsw(clustered: tuple[np.ndarray, np.ndarray]) -> VectorIndex:
    return VectorIndex.build(clustered[0], IndexParams(), IndexKind.HNSW)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray) -> list[int]:
    scores = vectors[allowed] @ query
    return [int(allowed[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def test_small_collections_get_an_exact_index_and_large_ones_hnsw() -> None:
    params = IndexParams(hnsw_threshold=100)
    assert params.kind_for(99) is IndexKind.FLAT
    assert params.kind_for(100) is IndexKind.HNSW
    vectors = unit(np.random.default_rng(0).standard_normal((120, 8)))
    assert VectorIndex.build(vectors, params).kind is IndexKind.HNSW
    assert VectorIndex.build(vectors[:50], params).kind is IndexKind.FLAT


@pytest.mark.parametrize(
    "options",
    [{"hnsw_m": 0}, {"ef_search": -1}, {"hnsw_threshold": 1.5}, {"threads": -1}, {"hnsw_m": True}],
)
def test_bad_params_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        IndexParams(**options)  # type: ignore[arg-type]


def test_ef_search_follows_the_collection_size_unless_set() -> None:
    table = ((0, 16), (1_000, 48))
    params = IndexParams(ef_search_by_size=table)
    assert [params.ef_for(n) for n in (0, 999, 1_000, 10**7)] == [16, 16, 48, 48]
    assert IndexParams(ef_search=300, ef_search_by_size=table).ef_for(10**7) == 300
    # Settings files give lists of lists.
    listed = IndexParams(ef_search_by_size=[[0, 8], [100, 32]])  # type: ignore[arg-type]
    assert listed.ef_search_by_size == ((0, 8), (100, 32))


def test_the_default_search_widens_for_larger_collections() -> None:
    params = IndexParams()
    assert params.ef_search == 0 and params.ef_search_by_size == AUTO_EF_SEARCH
    sizes = [0, 10_000, 100_000, 1_000_000, 10_000_000]
    efs = [params.ef_for(n) for n in sizes]
    assert efs == sorted(efs) and efs[0] < efs[3]


@pytest.mark.parametrize(
    "table",
    [
        (),
        ((1, 64),),
        ((0, 64), (0, 128)),
        ((0, 64), (500, 32), (100, 64)),
        ((0, 0),),
        ((0, True),),
        ((0, 64, 1),),
        "0,64",
        ((0.0, 64),),
        64,
    ],
)
def test_bad_size_tables_are_refused(table: object) -> None:
    with pytest.raises(ValueError, match="ef_search_by_size"):
        IndexParams(ef_search_by_size=table)  # type: ignore[arg-type]


def test_hnsw_search_uses_the_size_chosen_ef() -> None:
    rng = np.random.default_rng(11)
    # Structureless vectors and a sparse graph, so a narrow walk visibly misses neighbours.
    vectors = unit(rng.standard_normal((3_000, 32)))
    queries = unit(rng.standard_normal((60, 32)))
    index = VectorIndex.build(vectors, IndexParams(hnsw_m=8, ef_construction=32), IndexKind.HNSW)
    narrow = index.with_params(IndexParams(ef_search_by_size=((0, 10), (5_000, 512))))
    wide = index.with_params(IndexParams(ef_search_by_size=((0, 10), (2_000, 512))))
    assert (narrow.ef_search, wide.ef_search) == (10, 512)
    everything = np.arange(len(vectors), dtype=np.int64)

    def recall(searched: VectorIndex) -> float:
        found = searched.search(queries, 10)
        return float(
            np.mean(
                [
                    len(set(positions) & set(exact_top(vectors, query, 10, everything))) / 10
                    for query, (_, positions) in zip(queries, found, strict=True)
                ]
            )
        )

    assert recall(wide) >= 0.95
    assert recall(narrow) < recall(wide)


def test_flat_search_is_exact(clustered: tuple[np.ndarray, np.ndarray]) -> None:
    vectors, queries = clustered
    index = VectorIndex.build(vectors, IndexParams(), IndexKind.FLAT)
    everything = np.arange(len(vectors), dtype=np.int64)
    for query, (scores, positions) in zip(queries, index.search(queries, 10), strict=True):
        assert list(positions) == exact_top(vectors, query, 10, everything)
        assert np.allclose(scores, vectors[positions] @ query, atol=1e-5)


def test_hnsw_recall_at_10_against_exact(
    clustered: tuple[np.ndarray, np.ndarray], hnsw: VectorIndex
) -> None:
    vectors, queries = clustered
    index = hnsw
    everything = np.arange(len(vectors), dtype=np.int64)
    found = index.search(queries, 10)
    recall = np.mean(
        [
            len(set(positions) & set(exact_top(vectors, query, 10, everything))) / 10
            for query, (_, positions) in zip(queries, found, strict=True)
        ]
    )
    assert recall >= 0.95


@pytest.mark.parametrize("share", [0.005, 0.3])
@pytest.mark.parametrize("brute_force_limit", [0, 20_000])
def test_filtered_hnsw_search_keeps_k_exact_hits(
    clustered: tuple[np.ndarray, np.ndarray],
    hnsw: VectorIndex,
    share: float,
    brute_force_limit: int,
) -> None:
    vectors, queries = clustered
    rng = np.random.default_rng(3)
    allowed = np.sort(rng.choice(len(vectors), int(len(vectors) * share), replace=False))
    index = hnsw.with_params(IndexParams(brute_force_limit=brute_force_limit))
    for query, (scores, positions) in zip(queries, index.search(queries, 10, allowed), strict=True):
        assert len(positions) == 10
        assert set(positions) <= set(allowed)
        assert list(scores) == sorted(scores, reverse=True)
        expected = exact_top(vectors, query, 10, allowed)
        assert len(set(positions) & set(expected)) >= 9


def test_k_larger_than_the_collection_or_the_filter(
    clustered: tuple[np.ndarray, np.ndarray],
) -> None:
    vectors, queries = clustered
    for kind in IndexKind:
        index = VectorIndex.build(vectors[:30], IndexParams(), kind)
        assert all(len(p) == 30 for _, p in index.search(queries[:3], 100))
        allowed = np.array([2, 5, 7], dtype=np.int64)
        assert all(sorted(p) == [2, 5, 7] for _, p in index.search(queries[:3], 100, allowed))
        nothing = np.zeros(0, dtype=np.int64)
        assert all(len(p) == 0 for _, p in index.search(queries[:3], 5, nothing))
        assert index.search(queries[:0], 5) == []


def test_large_batches_give_the_same_answer_as_small_ones(
    clustered: tuple[np.ndarray, np.ndarray],
) -> None:
    vectors, queries = clustered
    index = VectorIndex.build(vectors, IndexParams(), IndexKind.FLAT)
    one_by_one = [index.search(queries[i : i + 1], 5)[0][1].tolist() for i in range(len(queries))]
    assert [p.tolist() for _, p in index.search(queries, 5)] == one_by_one


def test_write_and_read_round_trip(
    clustered: tuple[np.ndarray, np.ndarray], hnsw: VectorIndex, tmp_path: Path
) -> None:
    vectors, queries = clustered
    index = hnsw
    index.write(tmp_path)
    again = VectorIndex.read(tmp_path, IndexKind.HNSW, IndexParams())
    assert again.size == len(vectors) and again.dimension == 32
    assert [p.tolist() for _, p in again.search(queries, 5)] == [
        p.tolist() for _, p in index.search(queries, 5)
    ]
    VectorIndex.build(vectors, IndexParams(), IndexKind.FLAT).write(tmp_path)
    with pytest.raises(ValueError, match="IndexHNSWFlat"):
        VectorIndex.read(tmp_path, IndexKind.HNSW, IndexParams())
    with pytest.raises(FileNotFoundError):
        VectorIndex.read(tmp_path / "missing", IndexKind.FLAT, IndexParams())
