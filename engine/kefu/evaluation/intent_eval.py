"""Evaluating intent recognizers: train on each split, predict the test texts, gather figures."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kefu.contracts import IntentPrediction, IntentRecognizer, PluginContext
from kefu.evaluation.batching import DEFAULT_BATCH_SIZE, in_batches
from kefu.evaluation.errors import EvaluationError
from kefu.evaluation.intent_metrics import IntentMetrics, intent_metrics, truth_labels
from kefu.evaluation.plugins import build_plugin, plugin_name, seed_everything
from kefu.evaluation.splits import Split, check_split

NAMESPACE = "kefu.intent"


@dataclass(frozen=True, slots=True)
class IntentRun:
    """One recognizer's predictions on every test row of a set of splits, and its figures."""

    plugin: str
    options: Mapping[str, Any]
    metrics: IntentMetrics
    intents: tuple[str, ...]
    #: Test labels as given, predicted labels (OUT_OF_SCOPE for refusals), top confidences.
    truth: tuple[str, ...]
    predicted: tuple[str, ...]
    confidence: tuple[float, ...]
    train_seconds: float
    predict_seconds: float
    #: Accuracy of each split (one value for a train/test split, K for K folds).
    split_accuracy: tuple[float, ...] = field(default_factory=tuple)
    oos_label: str | None = None

    @property
    def expected(self) -> list[str]:
        """The test labels with the out-of-scope label mapped to OUT_OF_SCOPE."""
        return truth_labels(self.truth, self.oos_label)


def predict_all(
    recognizer: IntentRecognizer,
    texts: Sequence[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> list[IntentPrediction]:
    """``recognizer.predict`` over ``texts`` in batches."""
    return in_batches(
        recognizer.predict, texts, batch_size=batch_size, progress=progress, description="predict"
    )


def evaluate_recognizer(
    name: str,
    splits: Sequence[Split],
    context: PluginContext,
    *,
    options: Mapping[str, Any] | None = None,
    oos_label: str | None = None,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    factory: Callable[[], IntentRecognizer] | None = None,
) -> IntentRun:
    """Train a fresh ``name`` recognizer on each split's training set and test it.

    ``name`` is a plugin name, or ``name@label`` to tell apart runs of one plugin.

    ``factory`` replaces building the plugin by name (for recognizers defined in a notebook).
    Figures are over the concatenated test rows of all splits.
    """
    for split in splits:
        check_split(split.train, split.test, oos_label)
    truth: list[str] = []
    predicted: list[str] = []
    confidence: list[float] = []
    split_accuracy: list[float] = []
    train_seconds = predict_seconds = 0.0
    intents: set[str] = set()
    for split in splits:
        seed_everything(seed)
        recognizer = (
            factory()
            if factory is not None
            else build_plugin(NAMESPACE, plugin_name(name), context, options, seed=seed)
        )
        if getattr(recognizer, "uses_embeddings", False) and context.embedder_factory:
            context.embedder()  # load the shared model before timing: it is not training
        started = time.perf_counter()
        try:
            recognizer.fit(split.train.examples)
        except (ValueError, TypeError) as exc:
            raise EvaluationError(
                f"intent recognizer {name!r} refused the training data "
                f"({split.train.source}): {exc}"
            ) from exc
        train_seconds += time.perf_counter() - started
        started = time.perf_counter()
        predictions = predict_all(recognizer, split.test.texts, batch_size=batch_size)
        predict_seconds += time.perf_counter() - started
        expected = truth_labels(split.test.labels, oos_label)
        labels = [p.label for p in predictions]
        split_accuracy.append(
            sum(t == p for t, p in zip(expected, labels, strict=True)) / len(expected)
        )
        truth.extend(split.test.labels)
        predicted.extend(labels)
        confidence.extend(p.confidence for p in predictions)
        intents.update(split.train.labels)
    return IntentRun(
        plugin=name,
        options=dict(options or {}),
        metrics=intent_metrics(truth, predicted, sorted(intents), oos_label=oos_label),
        intents=tuple(sorted(intents)),
        truth=tuple(truth),
        predicted=tuple(predicted),
        confidence=tuple(confidence),
        train_seconds=train_seconds,
        predict_seconds=predict_seconds,
        split_accuracy=tuple(split_accuracy),
        oos_label=oos_label,
    )


def scratch_context(embedder_factory: Callable[[], Any] | None) -> PluginContext:
    """A plugin context whose data directory is a fresh temporary directory."""
    return PluginContext(Path(tempfile.mkdtemp(prefix="kefu-eval-")), embedder_factory)
