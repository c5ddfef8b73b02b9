"""Evaluation figures: intent accuracy, recall@1, recall@5 and MRR over FAQ entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from kefu.contracts import Chunk, Embeddings, Hit, IntentExample, IntentPrediction
from kefu.knowledge.evaluation import evaluate, faq_ranking
from kefu.knowledge.model import EvalCase


class ScriptedRecognizer:
    """Answers each query with the label scripted for it."""

    uses_embeddings = False

    def __init__(self, answers: Mapping[str, str]) -> None:
        self.answers = answers
        self.calls = 0

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.answers.values())))

    def fit(self, examples: Sequence[IntentExample]) -> None:
        raise NotImplementedError

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        self.calls += 1
        return [IntentPrediction(self.answers[t], 0.9) for t in texts]

    def save(self, directory: Path) -> None:
        raise NotImplementedError

    def load(self, directory: Path) -> None:
        raise NotImplementedError


def chunk(faq_id: str, n: int = 0) -> Chunk:
    return Chunk(f"faq/{faq_id}/{n}", "text", metadata={"faq_id": faq_id})


class ScriptedRetriever:
    """Returns the hits scripted for each query."""

    uses_embeddings = False

    def __init__(self, hits: Mapping[str, list[Chunk]]) -> None:
        self.hits = hits
        self.calls = 0

    def index(self, chunks: Sequence[Chunk]) -> None:
        raise NotImplementedError

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        filters: Mapping[str, str] | None = None,
        *,
        embeddings: Embeddings | None = None,
    ) -> list[list[Hit]]:
        self.calls += 1
        return [[Hit(c, 1.0) for c in self.hits[q][:k]] for q in queries]

    def save(self, directory: Path) -> None:
        raise NotImplementedError

    def load(self, directory: Path) -> None:
        raise NotImplementedError


def test_figures_are_computed_over_distinct_faq_entries() -> None:
    cases = [
        EvalCase("q1", "a", "x", 1),
        EvalCase("q2", "b", "y", 2),
        EvalCase("q3", "c", None, 3),
        EvalCase("q4", None, "x", 4),
    ]
    recognizer = ScriptedRecognizer({"q1": "x", "q2": "x", "q3": "z", "q4": "x"})
    retriever = ScriptedRetriever(
        {
            "q1": [chunk("a"), chunk("b")],  # rank 1
            # two chunks of FAQ "a" count once: "b" is the 2nd entry, not the 3rd hit
            "q2": [chunk("a", 1), chunk("a", 2), chunk("b")],
            "q3": [chunk(f"other{i}") for i in range(6)] + [chunk("c")],  # rank 7
            "q4": [chunk("a")],
        }
    )
    report = evaluate(cases, recognizer, retriever)
    assert report.intent_cases == 3
    assert report.intent_accuracy == pytest.approx(2 / 3)
    assert report.retrieval_cases == 3
    assert report.recall_at_1 == pytest.approx(1 / 3)
    assert report.recall_at_5 == pytest.approx(2 / 3)
    assert report.mrr == pytest.approx((1 + 1 / 2 + 1 / 7) / 3)
    assert (recognizer.calls, retriever.calls) == (1, 1)  # one batched call each
    assert [(m.line, m.kind, m.expected, m.got) for m in report.misses] == [
        (2, "intent", "y", "x"),
        (2, "retrieval", "b", "a"),
        (3, "retrieval", "c", "other0"),
    ]


def test_no_queries_of_a_kind_gives_no_figure() -> None:
    report = evaluate(
        [EvalCase("q", None, "x", 1)],
        ScriptedRecognizer({"q": "x"}),
        ScriptedRetriever({"q": []}),
    )
    assert report.intent_accuracy == 1.0
    assert report.recall_at_1 is None and report.mrr is None
    assert report.figures()["retrieval_cases"] == 0


def test_faq_ranking_skips_chunks_without_an_faq() -> None:
    hits = [Hit(Chunk("docs/a.md#x-1", "t"), 1.0), Hit(chunk("a"), 0.5), Hit(chunk("a"), 0.4)]
    assert faq_ranking(hits) == ["a"]
