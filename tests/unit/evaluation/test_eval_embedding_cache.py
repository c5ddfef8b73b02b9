"""The embedding cache encodes each distinct text once and returns rows in the asked order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kefu.evaluation.embedding_cache import CachingEmbedder, caching_factory


class CountingEmbedder:
    """A fake two-dimensional embedder that records every batch it is asked to encode."""

    model_id = "counting"
    dimension = 2

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.batches.append(list(texts))
        return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)


def test_repeated_texts_are_encoded_once() -> None:
    inner = CountingEmbedder()
    cache = CachingEmbedder(inner)
    first = cache.encode(["aa", "b", "aa"])
    second = cache.encode(["b", "ccc", "aa"])
    assert inner.batches == [["aa", "b"], ["ccc"]]
    assert first.tolist() == [[2, 2], [1, 0], [2, 2]]
    assert second.tolist() == [[1, 0], [3, 0], [2, 2]]
    assert cache.encode([]).shape == (0, 2)
    assert (cache.model_id, cache.dimension) == ("counting", 2)


def test_the_factory_builds_one_cache_lazily() -> None:
    made: list[CountingEmbedder] = []

    def factory() -> CountingEmbedder:
        made.append(CountingEmbedder())
        return made[-1]

    cached = caching_factory(factory)
    assert made == []
    assert cached() is cached()
    assert len(made) == 1
