"""The ``embedding`` intent recognizer: a trained head over the shared sentence embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.linear_model import LogisticRegression

from kefu.contracts import Embedder, Embeddings, IntentExample, IntentPrediction, PluginContext
from kefu_plugins.intent._common import (
    NotFittedError,
    OutOfScope,
    centroid_similarity,
    centroids,
    check_embeddings,
    check_examples,
    check_texts,
    encode_labels,
    read_meta,
    to_predictions,
    write_meta,
)

if TYPE_CHECKING:
    from kefu_plugins.intent._common import FloatArray

_HEAD_FILE = "head.npz"
_CENTROIDS_FILE = "centroids.npy"


class EmbeddingIntentRecognizer:
    """Classifies intents with a small trained head over the shared embedder's vectors.

    The embedder (``context.embedder()``, all-MiniLM-L6-v2 by default) stays frozen; only the
    head learns: a multinomial logistic regression, whose probabilities are calibrated by
    construction. Because it reads the same embeddings as retrieval, the
    dialog manager can embed a message once and pass ``embeddings=`` to :meth:`predict`.

    Out of scope, any rule that is set refuses a text:
        threshold: best probability below it.
        margin: best and second-best probabilities closer than it.
        min_similarity: cosine similarity between the text and the centroid of its predicted
            intent's training examples below it. This catches texts unlike anything trained on
            (another domain, gibberish), which a linear head may still classify confidently;
            0.3-0.4 suits MiniLM. For near-domain requests (a banking question about an intent
            that was not trained) the threshold separates better: on BANKING77 with 10 intents
            held out, AUROC 0.88 for the probability against 0.84 for centroid similarity.

    Options:
        C: inverse regularisation strength of the logistic regression.
        top_k: how many intents each prediction's ranking lists.

    Saved models are plain arrays (``.npz`` weights, ``.npy`` centroids) and JSON: no pickles.
    """

    uses_embeddings = True
    kind = "embedding"

    def __init__(
        self,
        context: PluginContext,
        *,
        C: float = 30.0,
        threshold: float | None = None,
        margin: float | None = None,
        min_similarity: float | None = None,
        top_k: int = 5,
        seed: int = 0,
    ) -> None:
        if C <= 0:
            raise ValueError(f"C must be positive, got {C}")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self._context = context
        self._C = C
        self.out_of_scope = OutOfScope(
            threshold=threshold, margin=margin, min_similarity=min_similarity
        )
        self._top_k = top_k
        self._seed = seed
        self._head: LogisticRegression | None = None
        self._centroids: FloatArray | None = None
        self._labels: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The intents learned by ``fit`` or restored by ``load``."""
        return self._labels

    @property
    def embedder(self) -> Embedder:
        """The shared embedder this recognizer reads."""
        return self._context.embedder()

    def fit(
        self, examples: Sequence[IntentExample], *, embeddings: Embeddings | None = None
    ) -> None:
        """Train the head; ``embeddings`` (one row per example) skips encoding the texts."""
        texts, labels = check_examples(examples)
        names, targets = encode_labels(labels)
        vectors = self._embed(texts, embeddings)
        head = self._new_head()
        head.fit(vectors, targets)
        self._head = head
        self._centroids = centroids(vectors, targets, len(names))
        self._labels = names

    def predict_proba(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> FloatArray:
        """Probabilities of each intent (columns in :attr:`labels` order) for each text."""
        probabilities, _ = self._scores(texts, embeddings)
        return probabilities

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        """Classify a batch; ``embeddings`` (rows aligned with ``texts``) saves an encode."""
        probabilities, vectors = self._scores(texts, embeddings)
        similarity = None
        if self.out_of_scope.min_similarity is not None and len(vectors):
            assert self._centroids is not None
            similarity = centroid_similarity(vectors, self._centroids, probabilities.argmax(1))
        return to_predictions(
            probabilities, self._labels, self.out_of_scope, similarity=similarity, top_k=self._top_k
        )

    def save(self, directory: Path) -> None:
        """Write the head, the label centroids and the labels into ``directory``."""
        if self._head is None or self._centroids is None:
            raise NotFittedError(self.kind)
        directory = Path(directory)
        embedder = self.embedder
        write_meta(
            directory,
            self.kind,
            labels=list(self._labels),
            model_id=embedder.model_id,
            dimension=embedder.dimension,
        )
        np.savez(
            directory / _HEAD_FILE,
            coef=self._head.coef_,
            intercept=self._head.intercept_,
            classes=self._head.classes_,
        )
        np.save(directory / _CENTROIDS_FILE, self._centroids)

    def load(self, directory: Path) -> None:
        """Restore a model written by :meth:`save`, refusing one made for another embedder."""
        directory = Path(directory)
        meta = read_meta(directory, self.kind)
        embedder = self.embedder
        if meta["model_id"] != embedder.model_id or meta["dimension"] != embedder.dimension:
            raise ValueError(
                f"{directory} was trained on embeddings of {meta['model_id']} "
                f"(dimension {meta['dimension']}), but the shared embedder is "
                f"{embedder.model_id} (dimension {embedder.dimension})"
            )
        with np.load(directory / _HEAD_FILE, allow_pickle=False) as stored:
            head = self._new_head()
            head.coef_ = stored["coef"]
            head.intercept_ = stored["intercept"]
            head.classes_ = stored["classes"]
            head.n_features_in_ = int(stored["coef"].shape[1])
        self._head = head
        self._centroids = np.load(directory / _CENTROIDS_FILE).astype(np.float32)
        self._labels = tuple(meta["labels"])

    # ----------------------------------------------------------------------------------------

    def _new_head(self) -> LogisticRegression:
        return LogisticRegression(C=self._C, max_iter=3000, random_state=self._seed)

    def _embed(self, texts: list[str], embeddings: Embeddings | None) -> FloatArray:
        if embeddings is not None:
            return check_embeddings(embeddings, len(texts), self.embedder.dimension)
        return np.asarray(self.embedder.encode(texts), dtype=np.float32)

    def _scores(
        self, texts: Sequence[str], embeddings: Embeddings | None
    ) -> tuple[FloatArray, FloatArray]:
        items = check_texts(texts)
        if self._head is None:
            raise NotFittedError(self.kind)
        if not items:
            empty = np.zeros((0, len(self._labels)), dtype=np.float32)
            return empty, np.zeros((0, 0), dtype=np.float32)
        vectors = self._embed(items, embeddings)
        probabilities = np.asarray(self._head.predict_proba(vectors), dtype=np.float32)
        return probabilities, vectors
