"""Argument checks shared by every Kefu retriever, so that all of them fail the same clear way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from kefu.contracts import Chunk

if TYPE_CHECKING:
    from kefu.contracts import Embeddings


class IndexNotBuiltError(RuntimeError):
    """``search`` (or ``save``) was called before ``index`` or ``load``."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"the {kind} retriever has no index yet: call index(chunks) or load(dir)")


def check_chunks(chunks: Sequence[Chunk]) -> list[Chunk]:
    """Validate chunks to index: Chunk objects, non-empty unique ids, non-blank text."""
    if isinstance(chunks, (str, bytes)) or not isinstance(chunks, Sequence):
        raise TypeError(f"chunks must be a sequence of Chunk, got {type(chunks).__name__}")
    seen: set[str] = set()
    for position, chunk in enumerate(chunks):
        if not isinstance(chunk, Chunk):
            raise TypeError(f"chunks[{position}] is a {type(chunk).__name__}, not a Chunk")
        if not isinstance(chunk.id, str) or not chunk.id:
            raise ValueError(f"chunks[{position}] has an empty id")
        if chunk.id in seen:
            raise ValueError(f"duplicate chunk id {chunk.id!r} (chunks[{position}])")
        seen.add(chunk.id)
        if not isinstance(chunk.text, str) or not chunk.text.strip():
            raise ValueError(f"chunk {chunk.id!r} has empty text")
        for key, value in chunk.metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"chunk {chunk.id!r} metadata must map str to str, got {key!r}: {value!r}"
                )
    return list(chunks)


def check_queries(queries: Sequence[str]) -> list[str]:
    """Validate a batch of queries; a bare string is refused (it would be a batch of letters)."""
    if isinstance(queries, (str, bytes)):
        raise TypeError("queries must be a sequence of strings, not a single string: wrap it")
    if not isinstance(queries, Sequence):
        raise TypeError(f"queries must be a sequence of strings, got {type(queries).__name__}")
    for position, query in enumerate(queries):
        if not isinstance(query, str):
            raise TypeError(f"queries[{position}] is a {type(query).__name__}, not a str")
    return list(queries)


def check_k(k: int) -> int:
    """Validate the number of hits asked for."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if k <= 0:
        raise ValueError(f"k must be at least 1, got {k}")
    return k


def check_filters(filters: Mapping[str, str] | None) -> dict[str, str]:
    """Validate metadata filters (every key must match exactly); None means no filter."""
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise TypeError(f"filters must be a mapping of str to str, got {type(filters).__name__}")
    for key, value in filters.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"filters must map str to str, got {key!r}: {value!r}")
    return dict(filters)


def check_embeddings(embeddings: Embeddings, rows: int, dimension: int, what: str) -> Embeddings:
    """Validate precomputed embeddings: ``rows`` finite float rows of width ``dimension``."""
    array = np.ascontiguousarray(embeddings, dtype=np.float32)
    if array.ndim != 2 or array.shape != (rows, dimension):
        raise ValueError(
            f"{what} embeddings must have shape ({rows}, {dimension}), got {tuple(array.shape)}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{what} embeddings contain NaN or infinite values")
    return array
