"""The real all-MiniLM-L6-v2 embedder, loaded once for the whole test session."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from kefu.contracts import Embedder, Embeddings, PluginContext
from kefu.embedding import shared_embedder


class MemoEmbedder:
    """The real embedder, remembering each text's row: the suites embed the same FAQ often."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._rows: dict[str, np.ndarray] = {}

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def encode(self, texts: Sequence[str]) -> Embeddings:
        missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if missing:
            for text, row in zip(missing, self._inner.encode(missing), strict=True):
                self._rows[text] = row
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._rows[t] for t in texts]).astype(np.float32)


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    return MemoEmbedder(shared_embedder())


@pytest.fixture(scope="session")
def real_context(
    real_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> PluginContext:
    return PluginContext(
        data_dir=tmp_path_factory.mktemp("kefu-data"), embedder_factory=lambda: real_embedder
    )
