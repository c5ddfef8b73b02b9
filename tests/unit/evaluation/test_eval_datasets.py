"""Reading labelled CSV and JSONL files, and the messages for every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.evaluation.datasets import read_labelled
from kefu.evaluation.errors import DataError


def test_csv_with_category_column_is_read(train_csv: Path) -> None:
    data = read_labelled(train_csv)
    assert len(data) == 32
    assert data.label_counts["refund"] == 8
    assert data.texts[0] == "my new card has not arrived yet"
    assert data.labels[0] == "card_arrival"
    assert data.examples[0].label == "card_arrival"


def test_jsonl_with_label_key_is_read(all_jsonl: Path) -> None:
    data = read_labelled(all_jsonl)
    assert len(data) == 40
    assert set(data.labels) == {"card_arrival", "refund", "password", "opening_hours"}


def test_named_columns_are_used(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("utterance,topic,extra\nhello there,greet,x\n", encoding="utf-8")
    data = read_labelled(path, text_column="utterance", label_column="topic")
    assert data.texts == ("hello there",)
    assert data.labels == ("greet",)


def test_quoted_newlines_stay_in_one_text(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('text,label\n"two\nlines",a\nsecond,b\n', encoding="utf-8")
    assert read_labelled(path).texts == ("two\nlines", "second")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.txt", "text,label\n", "unknown file type '.txt'"),
        ("data.csv", "utterance,label\nhi,a\n", "no text column 'text' (columns found: label"),
        ("data.csv", "text,topic\nhi,a\n", "no label column 'label'"),
        ("data.csv", "text,label\nhi,\n,b\n", "line 2: empty label; line 3: empty text"),
        ("data.csv", "", "is empty"),
        ("data.csv", "text,label\n", "has no data rows"),
        ("data.jsonl", '{"text": "a", "label": "x"}\nnot json\n', "line 2: not valid JSON"),
        ("data.jsonl", "[1, 2]\n", "line 1: expected a JSON object"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_labelled(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_labelled(tmp_path / "absent.csv")


def test_not_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"text,label\ncaf\xe9,a\n")
    with pytest.raises(DataError, match="line 2: not UTF-8"):
        read_labelled(path)
