"""An embedder wrapper that encodes each distinct text once (for repeated evaluation runs).

Comparing several recognizers, or one recognizer under several options, embeds the same
training and test texts again and again; the cache turns every repeat into a lookup. Training
and prediction seconds then no longer include those encodes, so timing comparisons should be
made without it (``kefu eval`` does not use it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from kefu.contracts import Embedder

if TYPE_CHECKING:
    from kefu.contracts import Embeddings


class CachingEmbedder:
    """An :class:`~kefu.contracts.Embedder` that remembers the rows of the texts it encoded."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._rows: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        """The wrapped model's embedding width."""
        return self._inner.dimension

    def encode(self, texts: Sequence[str]) -> Embeddings:
        """Rows for ``texts``, encoding only those not seen before (in one batch)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if missing:
            fresh = np.asarray(self._inner.encode(missing), dtype=np.float32)
            with self._lock:
                self._rows.update(zip(missing, fresh, strict=True))
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return np.stack([self._rows[t] for t in texts]).astype(np.float32)


def caching_factory(factory: Callable[[], Embedder]) -> Callable[[], Embedder]:
    """A factory handing out one :class:`CachingEmbedder` around ``factory()``, made lazily."""
    made: list[CachingEmbedder] = []
    lock = threading.Lock()

    def build() -> Embedder:
        with lock:
            if not made:
                made.append(CachingEmbedder(factory()))
            return made[0]

    return build
