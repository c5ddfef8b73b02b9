"""What every built-in intent recognizer shares: input checks, label coding, out-of-scope rules.

A recognizer turns texts into a probability matrix (rows = texts, columns = its labels);
:func:`to_predictions` turns that matrix into :class:`~kefu.contracts.IntentPrediction` objects
and applies the out-of-scope rules of :class:`OutOfScope`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kefu.contracts import OUT_OF_SCOPE, IntentExample, IntentPrediction, IntentScore

if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]
    IntArray = npt.NDArray[np.int64]

#: Written into every saved model so that a directory from another recognizer is refused.
FORMAT_VERSION = 1
META_FILE = "kefu_intent.json"


class NotFittedError(RuntimeError):
    """The recognizer was asked to predict or save before ``fit`` or ``load``."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"the {kind!r} intent recognizer is not fitted: call fit() or load() first"
        )


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """When a recognizer answers :data:`~kefu.contracts.OUT_OF_SCOPE` instead of its best label.

    Each rule is off when ``None``; a text is refused when any rule that is on says so.

    Attributes:
        threshold: refuse when the best label's probability is below this.
        margin: refuse when the best and second-best probabilities are closer than this
            (the recognizer hesitates between two intents).
        min_similarity: refuse when the text's embedding has a cosine similarity below this
            with the centroid of the predicted intent's training examples (recognizers that see
            embeddings only). Catches confident answers about texts unlike anything trained on.
    """

    threshold: float | None = None
    margin: float | None = None
    min_similarity: float | None = None

    def __post_init__(self) -> None:
        for name in ("threshold", "margin"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"out-of-scope {name} must be in [0, 1], got {value}")
        if self.min_similarity is not None and not -1.0 <= self.min_similarity <= 1.0:
            raise ValueError(
                f"out-of-scope min_similarity must be in [-1, 1], got {self.min_similarity}"
            )

    def to_dict(self) -> dict[str, float | None]:
        """A JSON-ready form."""
        return asdict(self)


def check_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list, after checking that each one is a str."""
    if isinstance(texts, str):
        raise TypeError("predict() takes a sequence of texts, not a single str")
    items = list(texts)
    for position, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"text {position} is {type(text).__name__}, not str")
    return items


def check_examples(examples: Iterable[IntentExample]) -> tuple[list[str], list[str]]:
    """Texts and labels of a training set, refusing sets nothing useful can be learned from."""
    texts: list[str] = []
    labels: list[str] = []
    for position, example in enumerate(examples):
        if not isinstance(example, IntentExample):
            raise TypeError(f"example {position} is {type(example).__name__}, not IntentExample")
        if not isinstance(example.text, str) or not example.text.strip():
            raise ValueError(f"example {position} (label {example.label!r}) has an empty text")
        if not isinstance(example.label, str) or not example.label.strip():
            raise ValueError(f"example {position} ({example.text[:40]!r}) has an empty label")
        if example.label == OUT_OF_SCOPE:
            raise ValueError(
                f"example {position} uses the reserved label {OUT_OF_SCOPE!r}; out-of-scope "
                "detection comes from the recognizer's options, not from training examples"
            )
        texts.append(example.text)
        labels.append(example.label)
    distinct = set(labels)
    if len(distinct) < 2:
        raise ValueError(
            f"fit() needs examples of at least 2 distinct labels, got {len(distinct)} "
            f"({', '.join(sorted(distinct)) or 'no examples'})"
        )
    return texts, labels


def encode_labels(labels: Sequence[str]) -> tuple[tuple[str, ...], IntArray]:
    """The sorted distinct labels and each example's index into them."""
    names = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(names)}
    return names, np.array([index[label] for label in labels], dtype=np.int64)


def check_embeddings(embeddings: Any, count: int, dimension: int) -> FloatArray:
    """Precomputed embeddings as float32 rows, after checking their shape against the texts."""
    rows = np.asarray(embeddings, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[0] != count or rows.shape[1] != dimension:
        raise ValueError(
            f"embeddings have shape {rows.shape}; expected ({count}, {dimension}), one row per text"
        )
    return rows


def centroids(embeddings: FloatArray, targets: IntArray, n_labels: int) -> FloatArray:
    """L2-normalised mean embedding of each label's training examples."""
    sums = np.zeros((n_labels, embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, targets, embeddings)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    unit: FloatArray = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def centroid_similarity(
    embeddings: FloatArray, label_centroids: FloatArray, predicted: IntArray
) -> FloatArray:
    """Cosine similarity of each text's embedding with its predicted label's centroid."""
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.maximum(norms, 1e-12)
    similarity: FloatArray = np.einsum("ij,ij->i", unit, label_centroids[predicted]).astype(
        np.float32
    )
    return similarity


def to_predictions(
    probabilities: FloatArray,
    labels: Sequence[str],
    rules: OutOfScope,
    *,
    similarity: FloatArray | None = None,
    top_k: int = 5,
) -> list[IntentPrediction]:
    """One prediction per probability row, with the ``top_k`` ranking and out-of-scope rules.

    The ranking always lists real intents, best first, even when the label is OUT_OF_SCOPE,
    so that an agent can still see what the recognizer would have guessed.
    """
    probs = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    k = max(1, min(top_k, len(labels)))
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    predictions: list[IntentPrediction] = []
    for row, ranked in enumerate(order):
        ranking = tuple(IntentScore(labels[j], float(probs[row, j])) for j in ranked)
        best = ranking[0].confidence
        second = ranking[1].confidence if len(ranking) > 1 else 0.0
        refused = (
            (rules.threshold is not None and best < rules.threshold)
            or (rules.margin is not None and best - second < rules.margin)
            or (
                rules.min_similarity is not None
                and similarity is not None
                and float(similarity[row]) < rules.min_similarity
            )
        )
        label = OUT_OF_SCOPE if refused else ranking[0].label
        predictions.append(IntentPrediction(label=label, confidence=best, ranking=ranking))
    return predictions


def write_meta(directory: Path, kind: str, **fields: Any) -> None:
    """Create ``directory`` and write the metadata file every saved recognizer carries."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"kind": kind, "format_version": FORMAT_VERSION, **fields}
    (directory / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False))


def read_meta(directory: Path, kind: str) -> dict[str, Any]:
    """The metadata written by :func:`write_meta`, checking it belongs to recognizer ``kind``."""
    path = Path(directory) / META_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{directory} holds no saved intent recognizer ({META_FILE} missing)"
        )
    meta: dict[str, Any] = json.loads(path.read_text())
    if meta.get("kind") != kind:
        raise ValueError(
            f"{directory} holds a {meta.get('kind')!r} intent recognizer, not a {kind!r} one"
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{directory} was saved in format {meta.get('format_version')}; "
            f"this version of Kefu reads format {FORMAT_VERSION}"
        )
    return meta
