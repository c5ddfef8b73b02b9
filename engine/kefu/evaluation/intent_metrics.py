"""Figures of an intent recognizer on labelled test texts: accuracy, F1, out-of-scope, confusion.

Conventions (the same for every recognizer, so that figures compare):

* A prediction whose label is :data:`~kefu.contracts.OUT_OF_SCOPE` is a *refusal*.
* A test row whose label is the out-of-scope label (``--oos-label``) should be refused; it
  counts as correct only when it is.
* ``accuracy`` is over every test row; ``macro_f1`` and the per-intent figures are over the
  trained intents that occur in the test rows (a refused in-scope row is a miss for its intent).
* Out-of-scope precision is the share of refusals that were truly out of scope; recall the
  share of out-of-scope rows that were refused. Both are None when undefined (no refusals,
  no out-of-scope rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import precision_recall_fscore_support

from kefu.contracts import OUT_OF_SCOPE


@dataclass(frozen=True, slots=True)
class IntentFigures:
    """Precision, recall and F1 of one intent, with its number of test rows (``support``)."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class OutOfScopeFigures:
    """How well refusals match the out-of-scope test rows."""

    label: str
    precision: float | None
    recall: float | None
    refused: int
    out_of_scope_rows: int


@dataclass(frozen=True, slots=True)
class IntentMetrics:
    """Every figure of one evaluation, computed by :func:`intent_metrics`."""

    accuracy: float
    macro_f1: float
    per_intent: tuple[IntentFigures, ...]
    out_of_scope: OutOfScopeFigures | None
    #: ``(true, predicted, count)`` for every wrong pair, most frequent first.
    confusions: tuple[tuple[str, str, int], ...]
    rows: int


def truth_labels(labels: Sequence[str], oos_label: str | None) -> list[str]:
    """Test labels with the out-of-scope label replaced by :data:`OUT_OF_SCOPE`."""
    return [OUT_OF_SCOPE if oos_label is not None and y == oos_label else y for y in labels]


def intent_metrics(
    true_labels: Sequence[str],
    predicted: Sequence[str],
    intents: Sequence[str],
    *,
    oos_label: str | None = None,
) -> IntentMetrics:
    """The figures of ``predicted`` against ``true_labels`` for a recognizer of ``intents``."""
    if len(true_labels) != len(predicted):
        raise ValueError(f"{len(true_labels)} true labels but {len(predicted)} predictions")
    if not true_labels:
        raise ValueError("no test rows to evaluate")
    truth = truth_labels(true_labels, oos_label)
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    names = sorted(intents)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, list(predicted), labels=names, average=None, zero_division=0
    )
    per_intent = tuple(
        IntentFigures(name, float(p), float(r), float(f), int(s))
        for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        if s > 0 or any(label == name for label in predicted)
    )
    tested = [fig for fig in per_intent if fig.support > 0]
    macro_f1 = sum(fig.f1 for fig in tested) / len(tested) if tested else 0.0
    confusions = Counter(
        (t, p) for t, p in zip(truth, predicted, strict=True) if t != p
    ).most_common()
    return IntentMetrics(
        accuracy=correct / len(truth),
        macro_f1=macro_f1,
        per_intent=per_intent,
        out_of_scope=_out_of_scope(truth, predicted, oos_label),
        confusions=tuple((t, p, n) for (t, p), n in confusions),
        rows=len(truth),
    )


def _out_of_scope(
    truth: Sequence[str], predicted: Sequence[str], oos_label: str | None
) -> OutOfScopeFigures | None:
    if oos_label is None:
        return None
    refused = [p == OUT_OF_SCOPE for p in predicted]
    is_oos = [t == OUT_OF_SCOPE for t in truth]
    hits = sum(r and o for r, o in zip(refused, is_oos, strict=True))
    n_refused, n_oos = sum(refused), sum(is_oos)
    return OutOfScopeFigures(
        label=oos_label,
        precision=hits / n_refused if n_refused else None,
        recall=hits / n_oos if n_oos else None,
        refused=n_refused,
        out_of_scope_rows=n_oos,
    )
