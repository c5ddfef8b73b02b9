"""Intent, retrieval and threshold figures computed by hand on tiny examples."""

from __future__ import annotations

import math

import pytest

from kefu.contracts import OUT_OF_SCOPE
from kefu.evaluation.errors import EvaluationError
from kefu.evaluation.intent_metrics import intent_metrics
from kefu.evaluation.retrieval_metrics import (
    ndcg_at,
    ranking_figures,
    recall_at,
    reciprocal_rank,
)
from kefu.evaluation.thresholds import ReplyOutcomes, curve, point_at, threshold_for_precision


def test_accuracy_f1_and_out_of_scope_figures() -> None:
    truth = ["a", "a", "b", "b", "none", "none"]
    predicted = ["a", "b", "b", OUT_OF_SCOPE, OUT_OF_SCOPE, "a"]
    metrics = intent_metrics(truth, predicted, ["a", "b"], oos_label="none")
    assert metrics.accuracy == pytest.approx(3 / 6)
    figures = {f.intent: f for f in metrics.per_intent}
    # a: predicted 3 times, right once; 2 true rows, 1 found.
    assert figures["a"].precision == pytest.approx(1 / 2)
    assert figures["a"].recall == pytest.approx(1 / 2)
    assert figures["b"].precision == pytest.approx(1 / 2)
    assert figures["b"].recall == pytest.approx(1 / 2)
    assert metrics.macro_f1 == pytest.approx(0.5)
    oos = metrics.out_of_scope
    assert oos is not None
    assert (oos.precision, oos.recall, oos.refused, oos.out_of_scope_rows) == (0.5, 0.5, 2, 2)
    assert metrics.confusions[0][2] == 1


def test_no_oos_label_means_no_oos_figures_and_undefined_ones_are_none() -> None:
    assert intent_metrics(["a", "b"], ["a", "b"], ["a", "b"]).out_of_scope is None
    oos = intent_metrics(["a", "b"], ["a", "b"], ["a", "b"], oos_label="x").out_of_scope
    assert oos is not None
    assert oos.precision is None
    assert oos.recall is None


def test_ranking_figures() -> None:
    assert recall_at(["x", "a", "b"], {"a", "b"}, 2) == 0.5
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], {"a"}) == 0.0
    assert ndcg_at(["a"], {"a"}, 10) == 1.0
    assert ndcg_at(["x", "a"], {"a"}, 10) == pytest.approx(1 / math.log2(3))
    figures = ranking_figures([["a", "x"], ["x", "b"]], [{"a"}, {"b"}])
    assert figures.recall == {1: 0.5, 5: 1.0, 10: 1.0}
    assert figures.mrr == pytest.approx(0.75)
    assert figures.queries == 2


def _outcomes() -> ReplyOutcomes:
    #            conf  truth   predicted
    rows = [
        (0.95, "a", "a"),
        (0.9, "b", "b"),
        (0.8, "a", "b"),
        (0.6, "b", "b"),
        (0.4, OUT_OF_SCOPE, "a"),
        (0.3, "a", OUT_OF_SCOPE),
    ]
    return ReplyOutcomes.from_predictions(
        [r[1] for r in rows], [r[2] for r in rows], [r[0] for r in rows]
    )


def test_precision_and_coverage_at_a_threshold() -> None:
    point = point_at(_outcomes(), 0.6)
    assert (point.replied, point.correct) == (4, 3)
    assert point.precision == pytest.approx(0.75)
    assert point.coverage == pytest.approx(4 / 6)
    # a refused row is never replied to, whatever its confidence
    assert point_at(_outcomes(), 0.0).replied == 5


def test_threshold_for_target_precision_is_the_lowest_stable_one() -> None:
    outcomes = _outcomes()
    chosen = threshold_for_precision(outcomes, 0.9)
    assert chosen is not None
    assert chosen.threshold == pytest.approx(0.9)
    assert chosen.precision == 1.0
    # 0.75 is reached from 0.6 upwards (0.6: 3/4, 0.8: 2/3 < 0.75 breaks the run)
    lower = threshold_for_precision(outcomes, 0.75)
    assert lower is not None and lower.threshold == pytest.approx(0.9)
    assert curve(outcomes)[0].threshold == 0.0


def test_unreachable_target_and_bad_target() -> None:
    wrong = ReplyOutcomes.from_predictions(["a"], ["b"], [0.9])
    assert threshold_for_precision(wrong, 0.5) is None
    with pytest.raises(EvaluationError):
        threshold_for_precision(wrong, 1.5)
