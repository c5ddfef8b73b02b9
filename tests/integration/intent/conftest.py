"""Fixtures for recognizer tests that run the real all-MiniLM-L6-v2 (loaded once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.contracts import PluginContext
from kefu.embedding import SentenceTransformerEmbedder, shared_embedder


@pytest.fixture(scope="session")
def model() -> SentenceTransformerEmbedder:
    """The process-wide embedder, loaded once per test session."""
    return shared_embedder()


@pytest.fixture(scope="session")
def context(
    model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> PluginContext:
    """A plugin context whose embedder is the session's model."""
    return PluginContext(Path(tmp_path_factory.mktemp("kefu-data")), embedder_factory=lambda: model)
