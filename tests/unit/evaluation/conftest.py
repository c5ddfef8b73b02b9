"""Small labelled data for the evaluation tests: four intents, written as CSV and JSONL files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

TRAIN: dict[str, list[str]] = {
    "card_arrival": [
        "my new card has not arrived yet",
        "when will my card be delivered",
        "I am still waiting for my card",
        "how long until the card arrives",
        "the card you sent never came",
        "where is my bank card",
        "has my card been posted",
        "track the delivery of my card",
    ],
    "refund": [
        "I want my money back",
        "please refund my purchase",
        "how do I get a refund",
        "refund the charge for my order",
        "I would like to request a refund",
        "when will I receive my refund",
        "return the item and refund me",
        "the product broke, refund please",
    ],
    "password": [
        "I forgot my password",
        "how do I reset my password",
        "my password is wrong",
        "change my account password",
        "send me a password reset link",
        "locked out, need a new password",
        "my password does not work",
        "recover my login password",
    ],
    "opening_hours": [
        "what time do you open",
        "when does the store close",
        "are you open on sunday",
        "what are your opening hours",
        "is the shop open on holidays",
        "until what time are you open",
        "business hours please",
        "when can I visit the branch",
    ],
}

TEST: dict[str, list[str]] = {
    "card_arrival": ["my card still has not come", "where is the card you mailed"],
    "refund": ["give me a refund for the order", "I need my money refunded"],
    "password": ["reset the password please", "I lost my password"],
    "opening_hours": ["when do you open tomorrow", "opening hours on saturday"],
}

OUT_OF_SCOPE_TEXTS = ["what is the weather on mars", "sing me a song about penguins"]


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str]) -> Path:
    """Write ``rows`` under ``header`` as a CSV file."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def rows_of(data: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(text, label) rows of a label -> texts mapping."""
    return [(text, label) for label, texts in data.items() for text in texts]


@pytest.fixture
def train_csv(tmp_path: Path) -> Path:
    """The training set as ``text,category`` CSV (the BANKING77 layout)."""
    return write_csv(tmp_path / "train.csv", rows_of(TRAIN), ("text", "category"))


@pytest.fixture
def test_csv(tmp_path: Path) -> Path:
    """The test set as ``text,category`` CSV."""
    return write_csv(tmp_path / "test.csv", rows_of(TEST), ("text", "category"))


@pytest.fixture
def test_with_oos_csv(tmp_path: Path) -> Path:
    """The test set plus two out-of-scope rows labelled ``oos``."""
    rows = rows_of(TEST) + [(text, "oos") for text in OUT_OF_SCOPE_TEXTS]
    return write_csv(tmp_path / "test_oos.csv", rows, ("text", "category"))


@pytest.fixture
def all_jsonl(tmp_path: Path) -> Path:
    """Training and test rows together as JSONL with ``text`` and ``label`` keys."""
    path = tmp_path / "all.jsonl"
    rows = rows_of(TRAIN) + rows_of(TEST)
    path.write_text(
        "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows),
        encoding="utf-8",
    )
    return path
