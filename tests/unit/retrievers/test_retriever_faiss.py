"""The ``faiss`` retriever's own rules: options, embeddings, and what load refuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kefu.contracts import Chunk, PluginContext
from kefu.testing.retriever import CORPUS, HashingEmbedder
from kefu_plugins.retrievers import BM25Retriever, FaissRetriever, IndexKind


def context(embedder: HashingEmbedder | None = None) -> PluginContext:
    chosen = embedder or HashingEmbedder()
    return PluginContext(data_dir=Path("unused"), embedder_factory=lambda: chosen)


@pytest.fixture
def retriever() -> FaissRetriever:
    built = FaissRetriever(context())
    built.index(list(CORPUS))
    return built


def kind_after_indexing(retriever: FaissRetriever, chunks: list[Chunk]) -> IndexKind | None:
    retriever.index(chunks)
    return retriever.index_kind


def test_index_type_follows_the_collection_size() -> None:
    many = [Chunk(f"c{i}", f"question number {i} about topic {i % 7}") for i in range(25)]
    retriever = FaissRetriever(context(), hnsw_threshold=20)
    assert retriever.index_kind is None
    assert kind_after_indexing(retriever, list(CORPUS)) is IndexKind.FLAT
    assert kind_after_indexing(retriever, many) is IndexKind.HNSW
    forced = FaissRetriever(context(), index_type="flat", hnsw_threshold=20)
    assert kind_after_indexing(forced, many) is IndexKind.FLAT


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="index_type"):
        FaissRetriever(context(), index_type="ivf")
    with pytest.raises(TypeError, match="colour"):
        FaissRetriever(context(), colour="blue")
    with pytest.raises(ValueError, match="ef_search"):
        FaissRetriever(context(), ef_search=-1)
    with pytest.raises(ValueError, match="ef_search_by_size"):
        FaissRetriever(context(), ef_search_by_size=[[0, 64], [0, 128]])


def test_no_embedder_configured_is_a_clear_error() -> None:
    retriever = FaissRetriever(PluginContext(data_dir=Path("unused")))
    with pytest.raises(RuntimeError, match="embedder"):
        retriever.index(list(CORPUS))


def test_precomputed_chunk_embeddings_match_encoding(retriever: FaissRetriever) -> None:
    other = FaissRetriever(context())
    other.index(list(CORPUS), embeddings=HashingEmbedder().encode([c.text for c in CORPUS]))
    queries = ["refund", "密码", "invoice pdf"]
    assert other.search(queries, k=4) == retriever.search(queries, k=4)


def test_precomputed_embeddings_of_the_wrong_shape_are_refused(retriever: FaissRetriever) -> None:
    with pytest.raises(ValueError, match=r"shape \(2, 128\)"):
        retriever.search(["a", "b"], embeddings=np.zeros((3, 128), dtype=np.float32))
    with pytest.raises(ValueError, match=r"shape \(1, 128\)"):
        retriever.search(["a"], embeddings=np.zeros((1, 64), dtype=np.float32))
    nan = np.full((1, 128), np.nan, dtype=np.float32)
    with pytest.raises(ValueError, match="NaN"):
        retriever.search(["a"], embeddings=nan)
    with pytest.raises(ValueError, match="chunk embeddings"):
        FaissRetriever(context()).index(list(CORPUS), embeddings=np.zeros((2, 128), np.float32))


def test_bad_queries_and_filters_are_refused(retriever: FaissRetriever) -> None:
    with pytest.raises(TypeError, match="single string"):
        retriever.search("refund")
    with pytest.raises(TypeError, match="queries\\[1\\]"):
        retriever.search(["refund", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="filters"):
        retriever.search(["refund"], filters={"lang": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="k must be an int"):
        retriever.search(["refund"], k=2.5)  # type: ignore[arg-type]


def test_chunks_with_non_string_metadata_are_refused() -> None:
    bad = Chunk("x", "text", metadata={"priority": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="metadata"):
        FaissRetriever(context()).index([bad])


def test_an_empty_collection_finds_nothing() -> None:
    retriever = FaissRetriever(context())
    retriever.index([])
    assert retriever.search(["refund", ""], k=3) == [[], []]


def test_the_manifest_records_model_and_dimension(
    retriever: FaissRetriever, tmp_path: Path
) -> None:
    retriever.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["kind"] == "faiss"
    assert manifest["model_id"] == "kefu-test/hashing"
    assert manifest["dimension"] == 128
    assert manifest["index_type"] == "flat"
    assert manifest["chunks"] == len(CORPUS)


def test_load_refuses_an_index_of_another_model(retriever: FaissRetriever, tmp_path: Path) -> None:
    retriever.save(tmp_path)
    other = FaissRetriever(context(HashingEmbedder(model_id="kefu-test/other")))
    with pytest.raises(ValueError, match=r"kefu-test/other.*rebuild"):
        other.load(tmp_path)


def test_load_refuses_an_index_of_another_dimension(
    retriever: FaissRetriever, tmp_path: Path
) -> None:
    retriever.save(tmp_path)
    narrower = FaissRetriever(context(HashingEmbedder(dimension=64)))
    with pytest.raises(ValueError, match=r"128-dimensional.*64"):
        narrower.load(tmp_path)


def test_load_refuses_another_kind_of_index(tmp_path: Path) -> None:
    keyword = BM25Retriever()
    keyword.index(list(CORPUS))
    keyword.save(tmp_path)
    with pytest.raises(ValueError, match="'bm25' index, not a 'faiss' one"):
        FaissRetriever(context()).load(tmp_path)


def test_load_refuses_a_newer_format(retriever: FaissRetriever, tmp_path: Path) -> None:
    retriever.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(ValueError, match="format 99"):
        FaissRetriever(context()).load(tmp_path)


def test_save_before_index_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="index"):
        FaissRetriever(context()).save(tmp_path)


def test_hnsw_index_survives_save_and_load(tmp_path: Path) -> None:
    retriever = FaissRetriever(context(), index_type="hnsw")
    retriever.index(list(CORPUS))
    retriever.save(tmp_path)
    fresh = FaissRetriever(context())
    fresh.load(tmp_path)
    assert fresh.index_kind is IndexKind.HNSW
    assert fresh.search(["refund"], k=3) == retriever.search(["refund"], k=3)
