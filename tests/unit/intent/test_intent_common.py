"""Shared pieces of the built-in recognizers: input checks and out-of-scope rules."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.contracts import OUT_OF_SCOPE, IntentExample
from kefu_plugins.intent._common import (
    OutOfScope,
    centroid_similarity,
    centroids,
    check_embeddings,
    check_examples,
    encode_labels,
    to_predictions,
)

LABELS = ("a", "b", "c")


def test_predictions_rank_best_first_and_apply_no_rule_by_default() -> None:
    probabilities = np.array([[0.2, 0.7, 0.1], [0.34, 0.33, 0.33]], dtype=np.float32)
    first, second = to_predictions(probabilities, LABELS, OutOfScope())
    assert first.label == "b" and first.confidence == pytest.approx(0.7)
    assert [s.label for s in first.ranking] == ["b", "a", "c"]
    assert second.label == "a"


def test_threshold_margin_and_similarity_each_refuse() -> None:
    probabilities = np.array([[0.5, 0.45, 0.05], [0.9, 0.05, 0.05]], dtype=np.float32)
    by_threshold = to_predictions(probabilities, LABELS, OutOfScope(threshold=0.6))
    assert [p.label for p in by_threshold] == [OUT_OF_SCOPE, "a"]
    assert by_threshold[0].ranking[0].label == "a"  # the guess stays visible
    by_margin = to_predictions(probabilities, LABELS, OutOfScope(margin=0.1))
    assert [p.label for p in by_margin] == [OUT_OF_SCOPE, "a"]
    similarity = np.array([0.9, 0.1], dtype=np.float32)
    by_similarity = to_predictions(
        probabilities, LABELS, OutOfScope(min_similarity=0.3), similarity=similarity
    )
    assert [p.label for p in by_similarity] == ["a", OUT_OF_SCOPE]


def test_top_k_is_capped_by_the_label_count() -> None:
    probabilities = np.array([[0.2, 0.7, 0.1]], dtype=np.float32)
    assert len(to_predictions(probabilities, LABELS, OutOfScope(), top_k=10)[0].ranking) == 3
    assert len(to_predictions(probabilities, LABELS, OutOfScope(), top_k=1)[0].ranking) == 1


@pytest.mark.parametrize("rules", [{"threshold": -0.1}, {"margin": 2.0}, {"min_similarity": 1.5}])
def test_out_of_range_rules_are_refused(rules: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="out-of-scope"):
        OutOfScope(**rules)


def test_examples_are_checked() -> None:
    good = [IntentExample("hi", "x"), IntentExample("yo", "y")]
    assert check_examples(good) == (["hi", "yo"], ["x", "y"])
    with pytest.raises(ValueError, match="at least 2 distinct labels"):
        check_examples(good[:1])
    with pytest.raises(ValueError, match="empty text"):
        check_examples([*good, IntentExample("", "x")])
    with pytest.raises(ValueError, match="empty label"):
        check_examples([*good, IntentExample("text", " ")])
    with pytest.raises(ValueError, match="reserved label"):
        check_examples([*good, IntentExample("text", OUT_OF_SCOPE)])
    with pytest.raises(TypeError, match="IntentExample"):
        check_examples([*good, ("text", "x")])  # type: ignore[list-item]


def test_labels_are_sorted_and_coded() -> None:
    names, codes = encode_labels(["b", "a", "b"])
    assert names == ("a", "b")
    assert codes.tolist() == [1, 0, 1]


def test_centroids_and_similarity() -> None:
    vectors = np.array([[1, 0], [1, 0.2], [0, 1]], dtype=np.float32)
    targets = np.array([0, 0, 1])
    centres = centroids(vectors, targets, 2)
    assert np.linalg.norm(centres, axis=1) == pytest.approx([1.0, 1.0])
    similarity = centroid_similarity(np.array([[0, 2.0]], np.float32), centres, np.array([1]))
    assert similarity[0] == pytest.approx(1.0)


def test_embeddings_shape_is_checked() -> None:
    with pytest.raises(ValueError, match=r"expected \(2, 4\)"):
        check_embeddings(np.zeros((3, 4)), 2, 4)
    assert check_embeddings([[1, 2]], 1, 2).dtype == np.float32
