"""The PNG figures: confusion counts in a stable order, and every figure written as a PNG."""

from __future__ import annotations

from pathlib import Path

from kefu.contracts import OUT_OF_SCOPE
from kefu.evaluation.plots import (
    confidence_histogram_png,
    confusion_counts,
    confusion_matrix_png,
    threshold_curve_png,
)
from kefu.evaluation.thresholds import ReplyOutcomes, curve, threshold_for_precision

PNG = b"\x89PNG\r\n\x1a\n"


def test_confusion_counts_are_sorted_with_out_of_scope_last() -> None:
    names, counts = confusion_counts(["b", OUT_OF_SCOPE, "a", "a"], ["b", "a", "a", "b"])
    assert names == ["a", "b", OUT_OF_SCOPE]
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_many_intents_give_an_annotated_heatmap(tmp_path: Path) -> None:
    labels = [f"intent_{i:02d}" for i in range(30)]
    truth = labels * 3
    predicted = [
        labels[(i + 1) % 30] if n % 7 == 0 else label
        for n, (i, label) in enumerate((j % 30, lab) for j, lab in enumerate(truth))
    ]
    path = confusion_matrix_png(truth, predicted, tmp_path / "cm.png")
    assert path.read_bytes().startswith(PNG)


def test_histogram_and_threshold_curve(tmp_path: Path) -> None:
    hist = confidence_histogram_png([0.9, 0.2, 0.7], [True, False, True], tmp_path / "h.png")
    assert hist.read_bytes().startswith(PNG)
    outcomes = ReplyOutcomes.from_predictions(["a", "b", "a"], ["a", "a", "a"], [0.9, 0.5, 0.7])
    chosen = threshold_for_precision(outcomes, 0.9)
    png = threshold_curve_png(curve(outcomes), tmp_path / "c.png", target=0.9, chosen=chosen)
    assert png.read_bytes().startswith(PNG)
