"""Train/test splits for intent evaluation: checks of a given split, stratified K folds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from kefu.contracts import OUT_OF_SCOPE
from kefu.evaluation.datasets import LabelledData
from kefu.evaluation.errors import DataError, EvaluationError

_MAX_LISTED = 8


@dataclass(frozen=True, slots=True)
class Split:
    """One training set and the test set it is evaluated on (``name`` e.g. ``fold 2/5``)."""

    name: str
    train: LabelledData
    test: LabelledData


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" (and {len(names) - _MAX_LISTED} more)" if len(names) > _MAX_LISTED else "")


def check_split(train: LabelledData, test: LabelledData, oos_label: str | None) -> None:
    """Refuse a split whose test labels were never trained on (except the out-of-scope label).

    The out-of-scope label must not appear in the training data: a recognizer learns "none of
    these" from its options, not from examples.
    """
    trained = set(train.labels)
    if OUT_OF_SCOPE in trained and oos_label != OUT_OF_SCOPE:
        raise DataError(
            train.source,
            f"the label {OUT_OF_SCOPE!r} is reserved for refusals; if those rows are "
            f"out-of-scope queries, pass --oos-label {OUT_OF_SCOPE}",
        )
    if oos_label is not None and oos_label in trained:
        raise DataError(
            train.source,
            f"the out-of-scope label {oos_label!r} appears in the training data; remove those "
            "rows (out-of-scope detection comes from the recognizer's threshold, not from "
            "training examples)",
        )
    if len(trained) < 2:
        raise DataError(train.source, f"needs at least 2 distinct labels, got {sorted(trained)}")
    unseen = sorted(set(test.labels) - trained - ({oos_label} if oos_label else set()))
    if unseen:
        hint = "" if oos_label else "; if they are out-of-scope queries, pass --oos-label"
        raise DataError(
            test.source,
            f"{len(unseen)} test label(s) never appear in the training data "
            f"({train.source}): {_listing(unseen)}{hint}",
        )


def stratified_folds(
    data: LabelledData, folds: int, *, seed: int, oos_label: str | None = None
) -> list[Split]:
    """``folds`` stratified train/test splits of ``data``; each row is tested exactly once.

    Rows labelled ``oos_label`` are never trained on: they are spread over the test folds.
    Every other label needs at least ``folds`` rows.
    """
    if folds < 2:
        raise EvaluationError(f"--folds must be at least 2, got {folds}")
    in_scope = [i for i, label in enumerate(data.labels) if label != oos_label]
    out_scope = [i for i, label in enumerate(data.labels) if label == oos_label]
    counts = data.subset(in_scope).label_counts
    too_few = sorted(label for label, count in counts.items() if count < folds)
    if too_few:
        detail = _listing([f"{label} ({counts[label]})" for label in too_few])
        raise DataError(
            data.source,
            f"{folds} folds need at least {folds} examples per label; too few: {detail}. "
            "Use fewer folds or a --train/--test split",
        )
    if len(counts) < 2:
        raise DataError(data.source, f"needs at least 2 distinct labels, got {sorted(counts)}")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    targets = np.array([data.labels[i] for i in in_scope])
    rng = np.random.default_rng(seed)
    oos_folds = np.array_split(rng.permutation(np.array(out_scope, dtype=np.int64)), folds)
    splits: list[Split] = []
    for number, (train_pos, test_pos) in enumerate(
        splitter.split(np.zeros(len(in_scope)), targets), start=1
    ):
        name = f"fold {number}/{folds}"
        train_rows = [in_scope[p] for p in train_pos]
        test_rows = [in_scope[p] for p in test_pos] + [int(i) for i in oos_folds[number - 1]]
        splits.append(
            Split(
                name,
                data.subset(train_rows, f"{data.source} ({name}, train)"),
                data.subset(test_rows, f"{data.source} ({name}, test)"),
            )
        )
    return splits
