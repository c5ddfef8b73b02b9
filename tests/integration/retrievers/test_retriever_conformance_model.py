"""The built-in retrievers against the conformance suite, with the real sentence embedder."""

from __future__ import annotations

import pytest

from kefu.contracts import Embedder, PluginContext, Retriever
from kefu.registry import load
from kefu.testing.retriever import RetrieverConformance

pytestmark = pytest.mark.slow


class ModelBacked(RetrieverConformance):
    """Builds the named plugin through the registry, as the engine does."""

    plugin = ""

    @pytest.fixture(autouse=True)
    def _model(self, real_context: PluginContext, real_embedder: Embedder) -> None:
        self._context = real_context
        self._embedder = real_embedder

    def make_retriever(self) -> Retriever:
        retriever: Retriever = load("kefu.retriever", self.plugin, self._context)
        return retriever

    def embedder(self) -> Embedder:
        return self._embedder


class TestFaiss(ModelBacked):
    plugin = "faiss"


class TestBM25(ModelBacked):
    plugin = "bm25"


class TestHybrid(ModelBacked):
    plugin = "hybrid"
