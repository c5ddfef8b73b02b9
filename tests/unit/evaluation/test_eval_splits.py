"""Stratified folds and the checks of a train/test split."""

from __future__ import annotations

import pytest

from kefu.evaluation.datasets import LabelledData
from kefu.evaluation.errors import DataError, EvaluationError
from kefu.evaluation.splits import check_split, stratified_folds


def _data(counts: dict[str, int], source: str = "data.csv") -> LabelledData:
    texts = tuple(f"{label} text {i}" for label, n in counts.items() for i in range(n))
    labels = tuple(label for label, n in counts.items() for _ in range(n))
    return LabelledData(texts, labels, source)


def test_every_row_is_tested_once_and_classes_are_balanced() -> None:
    data = _data({"a": 6, "b": 9, "oos": 4})
    splits = stratified_folds(data, 3, seed=1, oos_label="oos")
    tested = sorted(t for split in splits for t in split.test.texts)
    assert tested == sorted(data.texts)
    for split in splits:
        assert "oos" not in split.train.labels
        assert split.test.labels.count("a") == 2
        assert split.test.labels.count("b") == 3
        assert not set(split.train.texts) & set(split.test.texts)


def test_same_seed_same_folds_other_seed_other_folds() -> None:
    data = _data({"a": 10, "b": 10})
    first = [s.test.texts for s in stratified_folds(data, 5, seed=7)]
    again = [s.test.texts for s in stratified_folds(data, 5, seed=7)]
    other = [s.test.texts for s in stratified_folds(data, 5, seed=8)]
    assert first == again
    assert first != other


def test_too_few_examples_per_class_names_the_classes() -> None:
    data = _data({"a": 6, "rare": 2, "b": 6})
    with pytest.raises(
        DataError,
        match=r"3 folds need at least 3 examples per label; too few: "
        r"rare \(2\)",
    ):
        stratified_folds(data, 3, seed=0)


def test_fewer_than_two_folds_is_refused() -> None:
    with pytest.raises(EvaluationError, match="at least 2"):
        stratified_folds(_data({"a": 4, "b": 4}), 1, seed=0)


def test_unseen_test_labels_are_refused_with_a_hint() -> None:
    train = _data({"a": 3, "b": 3}, "train.csv")
    test = _data({"a": 1, "c": 1, "d": 1}, "test.csv")
    with pytest.raises(DataError) as error:
        check_split(train, test, None)
    message = str(error.value)
    assert message.startswith("test.csv: 2 test label(s) never appear")
    assert "c, d" in message
    assert "--oos-label" in message


def test_the_oos_label_may_be_unseen_but_not_trained() -> None:
    train = _data({"a": 3, "b": 3}, "train.csv")
    check_split(train, _data({"a": 1, "none": 2}, "test.csv"), "none")
    with pytest.raises(DataError, match="appears in the training data"):
        check_split(_data({"a": 3, "none": 3}, "train.csv"), train, "none")
