"""A small valid knowledge pack (four intents, four FAQ entries) and the shared embedder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kefu.contracts import Embedder

INTENTS = {
    "card_arrival": [
        "my new card has not arrived yet",
        "when will my card be delivered",
        "I am still waiting for my card",
        "how long until the card arrives",
        "the card you sent never came",
        "where is my bank card",
    ],
    "refund": [
        "I want my money back",
        "please refund my purchase",
        "how do I get a refund",
        "refund the charge for my order",
        "I would like to request a refund",
        "when will I receive my refund",
    ],
    "password": [
        "I forgot my password",
        "how do I reset my password",
        "my password is wrong",
        "change my account password",
        "send me a password reset link",
        "locked out, need a new password",
    ],
    "opening_hours": [
        "what time do you open",
        "when does the store close",
        "are you open on sunday",
        "what are your opening hours",
        "is the shop open on holidays",
        "until what time are you open",
    ],
}

FAQ = [
    (
        "card-arrival",
        "card_arrival",
        "When will my card arrive?",
        ["card delivery time"],
        "Cards arrive within 5 working days.",
    ),
    (
        "refund",
        "refund",
        "How do I get a refund?",
        ["money back for an order"],
        "Refunds are paid to the original payment method within 7 days.",
    ),
    (
        "reset-password",
        "password",
        "How do I reset my password?",
        ["forgotten login"],
        "Use the 'forgot password' link on the login page.",
    ),
    (
        "opening-hours",
        "opening_hours",
        "What are your opening hours?",
        ["when are you open"],
        "We are open 9:00 to 18:00, Monday to Saturday.",
    ),
]

EVAL = [
    ("my card still has not come", "card-arrival", "card_arrival"),
    ("where is the card you mailed me", "card-arrival", "card_arrival"),
    ("give me a refund for the order", "refund", "refund"),
    ("I need my money refunded", "refund", "refund"),
    ("reset the password please", "reset-password", "password"),
    ("I lost my login password", "reset-password", "password"),
    ("when do you open tomorrow", "opening-hours", "opening_hours"),
    ("opening hours on saturday", "opening-hours", "opening_hours"),
    ("what is the weather on mars", None, "out_of_scope"),
]

PACK_TOML = """\
# A tiny pack for the evaluation tests
[pack]
name = "tiny"
version = "0.1.0"
vertical = "general"
languages = ["en"]
license = "CC-BY-4.0"

[plugins]
intent = "tfidf"
retriever = "bm25"
policy = "default"

[thresholds]
reply = 0.7          # tuned by kefu eval thresholds
out_of_scope = 0.3
"""


def _jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


@pytest.fixture
def tiny_pack(tmp_path: Path) -> Path:
    """A valid pack folder in source form."""
    root = tmp_path / "tiny"
    root.mkdir()
    (root / "pack.toml").write_text(PACK_TOML, encoding="utf-8")
    with (root / "intents.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "intent"])
        writer.writerows((t, i) for i, texts in INTENTS.items() for t in texts)
    (root / "faq.jsonl").write_text(
        _jsonl(
            [
                {"id": fid, "intent": intent, "question": q, "paraphrases": p, "answer": a}
                for fid, intent, q, p, a in FAQ
            ]
        ),
        encoding="utf-8",
    )
    (root / "eval.jsonl").write_text(
        _jsonl([{"query": q, **({"faq_id": f} if f else {}), "intent": i} for q, f, i in EVAL]),
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real shared embedder, loaded once for the whole test session."""
    from kefu.embedding import shared_embedder

    return shared_embedder()
