"""The ``bm25`` retriever: keyword retrieval (bm25s) over Chinese, English and mixed text."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bm25s
import numpy as np

from kefu.contracts import Chunk, Hit, PluginContext
from kefu_plugins.retrievers._checks import (
    IndexNotBuiltError,
    check_chunks,
    check_filters,
    check_k,
    check_queries,
)
from kefu_plugins.retrievers._manifest import prepare_directory, read_manifest, write_manifest
from kefu_plugins.retrievers._ranking import top_k
from kefu_plugins.retrievers._store import ChunkStore
from kefu_plugins.retrievers.tokenize import MixedTokenizer

if TYPE_CHECKING:
    from kefu.contracts import Embeddings

KIND = "bm25"
_MODEL_DIR = "bm25s"
_METHODS = ("robertson", "lucene", "atire", "bm25l", "bm25+")


@dataclass(frozen=True, slots=True)
class _State:
    """The chunks and their keyword index; None when no chunk has a single indexable word."""

    store: ChunkStore
    model: Any
    tokenizer: MixedTokenizer


class BM25Retriever:
    """Ranks chunks by BM25 over words (jieba for Chinese, stemmed lowercase English).

    Only chunks sharing at least one word with the query are returned, so a query of
    punctuation or emoji alone finds nothing. Options: ``k1``, ``b``, ``method`` (a bm25s
    variant), ``stemmer`` (a Snowball language, or None), ``stopwords`` and ``cjk_chars``
    (see :class:`MixedTokenizer`).
    """

    uses_embeddings = False

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        method: str = "lucene",
        stemmer: str | None = "english",
        stopwords: bool = True,
        cjk_chars: bool = False,
    ) -> None:
        if not isinstance(k1, (int, float)) or k1 < 0:
            raise ValueError(f"k1 must be a non-negative number, got {k1!r}")
        if not isinstance(b, (int, float)) or not 0 <= b <= 1:
            raise ValueError(f"b must be between 0 and 1, got {b!r}")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
        self._k1 = float(k1)
        self._b = float(b)
        self._method = method
        self._stemmer = stemmer
        self._stopwords = bool(stopwords)
        self._cjk_chars = bool(cjk_chars)
        self._tokenizer = self._make_tokenizer()
        self._state: _State | None = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> MixedTokenizer:
        """The tokenizer used for chunks and queries."""
        return self._tokenizer

    def __len__(self) -> int:
        return 0 if self._state is None else len(self._state.store)

    def index(self, chunks: Sequence[Chunk]) -> None:
        """Tokenize and index ``chunks``, replacing the previous index."""
        checked = check_chunks(chunks)
        tokens = self._tokenizer.tokenize_many([chunk.text for chunk in checked])
        model = None
        if any(tokens):
            model = self._new_model()
            model.index(tokens, show_progress=False)
        state = _State(ChunkStore(checked), model, self._tokenizer)
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
        """For each query, up to ``k`` chunks sharing its words, by BM25 score, best first.

        ``embeddings`` is accepted for the common protocol and ignored.
        """
        texts = check_queries(queries)
        check_k(k)
        wanted = check_filters(filters)
        state = self._state
        if state is None:
            raise IndexNotBuiltError(KIND)
        if state.model is None:
            return [[] for _ in texts]
        allowed = state.store.matching(wanted)
        results: list[list[Hit]] = []
        for text in texts:
            ids = state.model.get_tokens_ids(state.tokenizer.tokenize(text))
            if not ids:
                results.append([])
                continue
            scores = np.asarray(state.model.get_scores_from_ids(ids), dtype=np.float32)
            if allowed is not None:
                scores, positions = top_k(scores[allowed], k, allowed)
            else:
                scores, positions = top_k(scores, k)
            results.append(
                [
                    Hit(state.store[int(p)], float(s))
                    for s, p in zip(scores, positions, strict=True)
                    if s > 0
                ]
            )
        return results

    def save(self, directory: Path) -> None:
        """Write the keyword index, the chunks and the tokenizer settings into ``directory``."""
        state = self._state
        if state is None:
            raise IndexNotBuiltError(KIND)
        path = prepare_directory(directory)
        if state.model is not None:
            state.model.save(str(path / _MODEL_DIR), show_progress=False)
        state.store.save(path)
        write_manifest(
            path,
            KIND,
            empty_vocabulary=state.model is None,
            stemmer=self._stemmer,
            stopwords=self._stopwords,
            cjk_chars=self._cjk_chars,
            chunks=len(state.store),
        )

    def load(self, directory: Path) -> None:
        """Restore a saved index, with the tokenizer settings it was built with."""
        path = Path(directory)
        manifest = read_manifest(path, KIND)
        store = ChunkStore.load(path)
        model = None
        if not manifest.get("empty_vocabulary", False):
            model_dir = path / _MODEL_DIR
            if not model_dir.is_dir():
                raise FileNotFoundError(f"{model_dir} is missing: the saved index is incomplete")
            model = bm25s.BM25.load(str(model_dir), show_progress=False)
            if model.scores["num_docs"] != len(store):
                raise ValueError(
                    f"{path} is inconsistent: {model.scores['num_docs']} indexed documents "
                    f"for {len(store)} chunks"
                )
        settings = (
            manifest.get("stemmer"),
            bool(manifest.get("stopwords", True)),
            bool(manifest.get("cjk_chars", False)),
        )
        with self._lock:
            if settings != (self._stemmer, self._stopwords, self._cjk_chars):
                self._stemmer, self._stopwords, self._cjk_chars = settings
                self._tokenizer = self._make_tokenizer()
            self._state = _State(store, model, self._tokenizer)

    def _make_tokenizer(self) -> MixedTokenizer:
        return MixedTokenizer(
            stemmer=self._stemmer, stopwords=self._stopwords, cjk_chars=self._cjk_chars
        )

    def _new_model(self) -> Any:
        return bm25s.BM25(k1=self._k1, b=self._b, method=self._method)
