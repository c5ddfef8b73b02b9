"""The built-in retrievers against the Retriever conformance suite, with a hashing embedder."""

from __future__ import annotations

from pathlib import Path

from kefu.contracts import Embedder, PluginContext, Retriever
from kefu.registry import installed_names, load
from kefu.testing.retriever import HashingEmbedder, RetrieverConformance
from kefu_plugins.retrievers import BM25Retriever, FaissRetriever, HybridRetriever

EMBEDDER = HashingEmbedder()


def context() -> PluginContext:
    return PluginContext(data_dir=Path("unused"), embedder_factory=lambda: EMBEDDER)


class TestFaissFlat(RetrieverConformance):
    def make_retriever(self) -> Retriever:
        return FaissRetriever(context())

    def embedder(self) -> Embedder:
        return EMBEDDER


class TestFaissHnsw(RetrieverConformance):
    """The approximate index, forced on a small collection, with filters through its selector."""

    def make_retriever(self) -> Retriever:
        return FaissRetriever(context(), index_type="hnsw", brute_force_limit=0)

    def embedder(self) -> Embedder:
        return EMBEDDER


class TestBM25(RetrieverConformance):
    def make_retriever(self) -> Retriever:
        return BM25Retriever(context())


class TestHybrid(RetrieverConformance):
    def make_retriever(self) -> Retriever:
        return HybridRetriever(context())

    def embedder(self) -> Embedder:
        return EMBEDDER


def test_each_plugin_is_registered_and_implements_the_protocol() -> None:
    assert {"faiss", "bm25", "hybrid"} <= set(installed_names("kefu.retriever"))
    for name in ("faiss", "bm25", "hybrid"):
        retriever = load("kefu.retriever", name, context())
        assert isinstance(retriever, Retriever), name
