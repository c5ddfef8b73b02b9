"""The ``faiss`` retriever: dense retrieval over the shared sentence embedder."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kefu.contracts import Chunk, Embedder, Hit, PluginContext
from kefu_plugins.retrievers._checks import (
    IndexNotBuiltError,
    check_chunks,
    check_embeddings,
    check_filters,
    check_k,
    check_queries,
)
from kefu_plugins.retrievers._manifest import prepare_directory, read_manifest, write_manifest
from kefu_plugins.retrievers._store import ChunkStore
from kefu_plugins.retrievers.vector_index import IndexKind, IndexParams, VectorIndex

if TYPE_CHECKING:
    from kefu.contracts import Embeddings

KIND = "faiss"


@dataclass(frozen=True, slots=True)
class _State:
    """One built index and its chunks, swapped in as a whole so searches never see a mix."""

    store: ChunkStore
    vectors: VectorIndex


class FaissRetriever:
    """Finds chunks whose sentence embeddings are closest (cosine) to the query's.

    Options: ``index_type`` ("auto", "flat" or "hnsw"; auto picks HNSW from
    ``hnsw_threshold`` chunks up), ``hnsw_m``, ``ef_construction``, ``ef_search`` (0, the
    default, widens the search with the collection's size by ``ef_search_by_size``),
    ``ef_search_by_size``, ``brute_force_limit``, ``max_filtered_ef`` and ``threads`` (see
    :class:`IndexParams`).
    """

    uses_embeddings = True

    def __init__(
        self,
        context: PluginContext,
        *,
        index_type: str = "auto",
        **index_options: Any,
    ) -> None:
        if index_type not in ("auto", *IndexKind):
            raise ValueError(f"index_type must be 'auto', 'flat' or 'hnsw', got {index_type!r}")
        unknown = set(index_options) - set(IndexParams.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown faiss retriever options: {sorted(unknown)}")
        self._context = context
        self._forced_kind = None if index_type == "auto" else IndexKind(index_type)
        self._params = IndexParams(**index_options)
        self._state: _State | None = None
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The shared embedder (resolved from the plugin context on first use)."""
        if self._embedder is None:
            self._embedder = self._context.embedder()
        return self._embedder

    @property
    def index_kind(self) -> IndexKind | None:
        """The structure of the current index, or None before ``index``/``load``."""
        return None if self._state is None else self._state.vectors.kind

    def __len__(self) -> int:
        return 0 if self._state is None else len(self._state.store)

    def index(self, chunks: Sequence[Chunk], *, embeddings: Embeddings | None = None) -> None:
        """Embed and index ``chunks``, replacing the previous index.

        ``embeddings`` (rows aligned with ``chunks``, from the shared embedder) skips encoding.
        """
        checked = check_chunks(chunks)
        embedder = self.embedder
        if embeddings is None:
            vectors = np.asarray(embedder.encode([c.text for c in checked]), dtype=np.float32)
        else:
            vectors = check_embeddings(embeddings, len(checked), embedder.dimension, "chunk")
        built = VectorIndex.build(
            vectors.reshape(len(checked), embedder.dimension), self._params, self._forced_kind
        )
        state = _State(ChunkStore(checked), built)
        with self._lock:
            self._state = state

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        filters: Mapping[str, str] | None = None,
        *,
        embeddings: Embeddings | None = None,
    ) -> list[list[Hit]]:
        """For each query, up to ``k`` hits by cosine similarity, best first.

        ``embeddings`` are the queries' rows from the shared embedder, when already computed.
        """
        texts = check_queries(queries)
        check_k(k)
        wanted = check_filters(filters)
        state = self._state
        if state is None:
            raise IndexNotBuiltError(KIND)
        vectors = self.query_vectors(texts, embeddings)
        allowed = state.store.matching(wanted)
        found = state.vectors.search(vectors, k, allowed)
        return [
            [Hit(state.store[int(p)], float(s)) for s, p in zip(scores, positions, strict=True)]
            for scores, positions in found
        ]

    def query_vectors(self, queries: Sequence[str], embeddings: Embeddings | None) -> Embeddings:
        """The queries' embeddings: checked when given, encoded otherwise."""
        dimension = self.embedder.dimension
        if embeddings is not None:
            return check_embeddings(embeddings, len(queries), dimension, "query")
        if not queries:
            return np.zeros((0, dimension), dtype=np.float32)
        return np.ascontiguousarray(self.embedder.encode(list(queries)), dtype=np.float32)

    def save(self, directory: Path) -> None:
        """Write the vectors, the chunks and a manifest naming the embedding model."""
        state = self._state
        if state is None:
            raise IndexNotBuiltError(KIND)
        path = prepare_directory(directory)
        state.vectors.write(path)
        state.store.save(path)
        write_manifest(
            path,
            KIND,
            index_type=state.vectors.kind.value,
            model_id=self.embedder.model_id,
            dimension=state.vectors.dimension,
            chunks=len(state.store),
        )

    def load(self, directory: Path) -> None:
        """Restore a saved index; refuse one built with another embedding model or width."""
        path = Path(directory)
        manifest = read_manifest(path, KIND)
        embedder = self.embedder
        if manifest.get("model_id") != embedder.model_id:
            raise ValueError(
                f"{path} was built with embedding model {manifest.get('model_id')!r}, but this "
                f"retriever embeds with {embedder.model_id!r}: rebuild the index"
            )
        if manifest.get("dimension") != embedder.dimension:
            raise ValueError(
                f"{path} holds {manifest.get('dimension')!r}-dimensional vectors, but the "
                f"embedder produces {embedder.dimension}: rebuild the index"
            )
        try:
            kind = IndexKind(str(manifest.get("index_type")))
        except ValueError as exc:
            raise ValueError(f"{path}: unknown index_type {manifest.get('index_type')!r}") from exc
        vectors = VectorIndex.read(path, kind, self._params)
        store = ChunkStore.load(path)
        if vectors.dimension != embedder.dimension or vectors.size != len(store):
            raise ValueError(
                f"{path} is inconsistent: {vectors.size} vectors of width {vectors.dimension} "
                f"for {len(store)} chunks"
            )
        with self._lock:
            self._state = _State(store, vectors)
