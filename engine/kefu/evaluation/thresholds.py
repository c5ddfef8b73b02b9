"""The auto-reply threshold: precision and coverage of replying at each confidence threshold.

The bot replies by itself when the recognizer accepts a text (it is not refused as out of
scope) with a confidence at or above the threshold. At threshold ``t``:

* coverage = replied rows / all rows (the share of visitors the bot answers alone);
* precision = correctly replied rows / replied rows (out-of-scope rows are never correct).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kefu.contracts import OUT_OF_SCOPE
from kefu.evaluation.errors import EvaluationError

#: Thresholds of the table printed by ``kefu eval thresholds``.
TABLE_THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


@dataclass(frozen=True, slots=True)
class ThresholdPoint:
    """Replying at ``threshold``: how many rows are replied to, and how many of them right."""

    threshold: float
    precision: float | None
    coverage: float
    replied: int
    correct: int


@dataclass(frozen=True, slots=True)
class ReplyOutcomes:
    """Per test row: the confidence, whether the recognizer accepted it, whether it was right."""

    confidence: tuple[float, ...]
    accepted: tuple[bool, ...]
    correct: tuple[bool, ...]

    @classmethod
    def from_predictions(
        cls, truth: Sequence[str], labels: Sequence[str], confidences: Sequence[float]
    ) -> ReplyOutcomes:
        """Build from true labels (out-of-scope already mapped to OUT_OF_SCOPE) and predictions."""
        accepted = tuple(label != OUT_OF_SCOPE for label in labels)
        correct = tuple(a and t == p for a, t, p in zip(accepted, truth, labels, strict=True))
        return cls(tuple(float(c) for c in confidences), accepted, correct)


def point_at(outcomes: ReplyOutcomes, threshold: float) -> ThresholdPoint:
    """Precision and coverage when replying at ``threshold``."""
    confidence = np.asarray(outcomes.confidence, dtype=np.float64)
    replied_mask = np.asarray(outcomes.accepted) & (confidence >= threshold)
    replied = int(replied_mask.sum())
    correct = int((replied_mask & np.asarray(outcomes.correct)).sum())
    total = len(outcomes.confidence)
    return ThresholdPoint(
        threshold=float(threshold),
        precision=correct / replied if replied else None,
        coverage=replied / total if total else 0.0,
        replied=replied,
        correct=correct,
    )


def curve(outcomes: ReplyOutcomes) -> list[ThresholdPoint]:
    """A point at 0 and at every distinct confidence of an accepted row, lowest first."""
    if not outcomes.confidence:
        raise EvaluationError("no test rows: the threshold curve needs predictions")
    values = {0.0}
    values.update(c for c, a in zip(outcomes.confidence, outcomes.accepted, strict=True) if a)
    return [point_at(outcomes, t) for t in sorted(values)]


def table(
    outcomes: ReplyOutcomes, thresholds: Sequence[float] = TABLE_THRESHOLDS
) -> list[ThresholdPoint]:
    """The points at a fixed list of thresholds (for printing)."""
    return [point_at(outcomes, t) for t in thresholds]


def threshold_for_precision(outcomes: ReplyOutcomes, target: float) -> ThresholdPoint | None:
    """The lowest threshold whose precision reaches ``target`` (the most coverage), or None.

    Only thresholds that reply to at least one row count. Precision is not monotonic in the
    threshold; the lowest threshold from which precision stays at or above the target for
    every higher threshold is chosen, so that a small bump does not pick an unstable point.
    """
    if not 0.0 < target <= 1.0:
        raise EvaluationError(f"the target precision must be in (0, 1], got {target}")
    points = [p for p in curve(outcomes) if p.replied > 0]
    chosen: ThresholdPoint | None = None
    for point in reversed(points):
        assert point.precision is not None
        if point.precision < target:
            break
        chosen = point
    return chosen
