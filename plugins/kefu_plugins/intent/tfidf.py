"""The ``tfidf`` intent recognizer: word and character n-gram TF-IDF with a linear classifier."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from kefu.contracts import Embeddings, IntentExample, IntentPrediction, PluginContext
from kefu_plugins.intent._common import (
    NotFittedError,
    OutOfScope,
    check_examples,
    check_texts,
    encode_labels,
    read_meta,
    to_predictions,
    write_meta,
)

if TYPE_CHECKING:
    from kefu_plugins.intent._common import FloatArray

Classifier = Literal["logreg", "svm"]
_MODEL_FILE = "pipeline.joblib"


class TfidfIntentRecognizer:
    """Classifies intents from word and character n-grams; no neural model, fast to train.

    Features are the union of word 1-2-gram and character 2-5-gram TF-IDF (sublinear term
    frequency). Character n-grams make it work on Chinese, which has no spaces between words,
    and on typos. The classifier is a multinomial logistic regression (``classifier="logreg"``,
    probabilities calibrated by construction) or a linear SVM whose scores are calibrated into
    probabilities by cross-validated sigmoid fitting (``classifier="svm"``).

    Out of scope: ``threshold`` (best probability below it) and ``margin`` (best and second
    best closer than it). Texts that share no n-gram with the training data get near-uniform
    probabilities, so a threshold refuses them reliably.

    Options:
        classifier: ``"logreg"`` (default) or ``"svm"``.
        C: inverse regularisation strength of the classifier.
        threshold, margin: out-of-scope rules, see :class:`~kefu_plugins.intent._common.OutOfScope`.
        top_k: how many intents each prediction's ranking lists.

    Saved models are joblib pickles: load only directories you trust.
    """

    uses_embeddings = False
    kind = "tfidf"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        classifier: Classifier = "logreg",
        C: float | None = None,
        threshold: float | None = None,
        margin: float | None = None,
        top_k: int = 5,
        seed: int = 0,
    ) -> None:
        if classifier not in ("logreg", "svm"):
            raise ValueError(f"classifier must be 'logreg' or 'svm', got {classifier!r}")
        if C is not None and C <= 0:
            raise ValueError(f"C must be positive, got {C}")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self._classifier: Classifier = classifier
        self._C = C if C is not None else (20.0 if classifier == "logreg" else 0.5)
        self.out_of_scope = OutOfScope(threshold=threshold, margin=margin)
        self._top_k = top_k
        self._seed = seed
        self._pipeline: Pipeline | None = None
        self._labels: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The intents learned by ``fit`` or restored by ``load``."""
        return self._labels

    def fit(self, examples: Sequence[IntentExample]) -> None:
        """Train on labelled examples (at least 2 distinct labels, no empty texts)."""
        texts, labels = check_examples(examples)
        names, targets = encode_labels(labels)
        pipeline = Pipeline([("features", self._features()), ("classifier", self._model(targets))])
        pipeline.fit(texts, targets)
        self._pipeline = pipeline
        self._labels = names

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Probabilities of each intent (columns in :attr:`labels` order) for each text."""
        items = check_texts(texts)
        if self._pipeline is None:
            raise NotFittedError(self.kind)
        if not items:
            return np.zeros((0, len(self._labels)), dtype=np.float32)
        return np.asarray(self._pipeline.predict_proba(items), dtype=np.float32)

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        """Classify a batch; ``embeddings`` is accepted for the protocol and not needed."""
        probabilities = self.predict_proba(texts)
        return to_predictions(probabilities, self._labels, self.out_of_scope, top_k=self._top_k)

    def save(self, directory: Path) -> None:
        """Write the fitted pipeline and labels into ``directory``."""
        if self._pipeline is None:
            raise NotFittedError(self.kind)
        directory = Path(directory)
        write_meta(directory, self.kind, labels=list(self._labels), classifier=self._classifier)
        joblib.dump(self._pipeline, directory / _MODEL_FILE)

    def load(self, directory: Path) -> None:
        """Restore a model written by :meth:`save` (this instance's options stay as they are)."""
        directory = Path(directory)
        meta = read_meta(directory, self.kind)
        pipeline = joblib.load(directory / _MODEL_FILE)
        if not isinstance(pipeline, Pipeline):
            raise ValueError(f"{directory / _MODEL_FILE} does not hold a scikit-learn pipeline")
        self._pipeline = pipeline
        self._labels = tuple(meta["labels"])

    # ----------------------------------------------------------------------------------------

    @staticmethod
    def _features() -> FeatureUnion:
        return FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        min_df=1,
                        token_pattern=r"(?u)\b\w+\b",
                    ),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1
                    ),
                ),
            ]
        )

    def _model(self, targets: Any) -> Any:
        if self._classifier == "logreg":
            return LogisticRegression(C=self._C, max_iter=2000, random_state=self._seed)
        # Cross-validated calibration needs every label in each fold; fall back to fewer folds
        # for tiny training sets.
        smallest = int(np.bincount(targets).min())
        folds = max(2, min(3, smallest))
        svm = LinearSVC(C=self._C, random_state=self._seed)
        if smallest < 2:
            raise ValueError(
                "classifier='svm' needs at least 2 examples of every label "
                "(its probabilities are calibrated by cross-validation)"
            )
        return CalibratedClassifierCV(svm, method="sigmoid", cv=folds)
