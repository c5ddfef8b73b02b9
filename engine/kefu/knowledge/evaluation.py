"""Measuring a trained pack on its evaluation set: intent accuracy, recall@1, recall@5, MRR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from kefu.contracts import Embedder, Embeddings, Hit, IntentRecognizer, Retriever
from kefu.knowledge.model import EvalCase

#: How many hits are read per query to rank FAQ entries (several chunks share one entry).
DEPTH = 20


@dataclass(frozen=True, slots=True)
class EvalMiss:
    """A query whose intent was wrong, or whose FAQ entry was not the first one found."""

    line: int
    query: str
    kind: str  # "intent" or "retrieval"
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class EvalReport:
    """The figures of one evaluation; a figure is None when no query measures it."""

    intent_cases: int
    intent_accuracy: float | None
    retrieval_cases: int
    recall_at_1: float | None
    recall_at_5: float | None
    mrr: float | None
    misses: tuple[EvalMiss, ...] = ()

    def figures(self) -> dict[str, float | int | None]:
        """The counts and figures alone (as recorded in manifests and install records)."""
        data = asdict(self)
        del data["misses"]
        return data

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, misses included."""
        return {**self.figures(), "misses": [asdict(miss) for miss in self.misses]}


def faq_ranking(hits: Sequence[Hit]) -> list[str]:
    """The distinct FAQ ids of ``hits``, in the order they were first found."""
    ranking: list[str] = []
    for hit in hits:
        faq_id = hit.chunk.metadata.get("faq_id")
        if faq_id is not None and faq_id not in ranking:
            ranking.append(faq_id)
    return ranking


def evaluate(
    cases: Sequence[EvalCase],
    recognizer: IntentRecognizer,
    retriever: Retriever,
    *,
    embedder: Embedder | None = None,
) -> EvalReport:
    """Run every evaluation query through the trained recognizer and retriever (batched).

    When ``embedder`` is given and a plugin reads embeddings, the queries are embedded once and
    shared by both, as the dialog manager does.
    """
    queries = [case.query for case in cases]
    shared = any(getattr(p, "uses_embeddings", False) for p in (recognizer, retriever))
    embeddings: Embeddings | None = None
    if shared and embedder is not None and queries:
        embeddings = embedder.encode(queries)
    misses: list[EvalMiss] = []

    intent_cases = [(i, case) for i, case in enumerate(cases) if case.intent is not None]
    accuracy: float | None = None
    if intent_cases:
        predictions = recognizer.predict(queries, embeddings=embeddings) if queries else []
        correct = 0
        for i, case in intent_cases:
            got = predictions[i].label
            if got == case.intent:
                correct += 1
            else:
                misses.append(EvalMiss(case.line, case.query, "intent", str(case.intent), got))
        accuracy = correct / len(intent_cases)

    faq_cases = [(i, case) for i, case in enumerate(cases) if case.faq_id is not None]
    recall_1 = recall_5 = mrr = None
    if faq_cases:
        results = retriever.search(queries, DEPTH, None, embeddings=embeddings)
        at_1 = at_5 = 0
        reciprocal = 0.0
        for i, case in faq_cases:
            ranking = faq_ranking(results[i])
            rank = ranking.index(str(case.faq_id)) + 1 if case.faq_id in ranking else None
            if rank is not None:
                at_1 += rank == 1
                at_5 += rank <= 5
                reciprocal += 1.0 / rank
            if rank != 1:
                got = ranking[0] if ranking else "(nothing)"
                misses.append(EvalMiss(case.line, case.query, "retrieval", str(case.faq_id), got))
        count = len(faq_cases)
        recall_1, recall_5, mrr = at_1 / count, at_5 / count, reciprocal / count
    misses.sort(key=lambda miss: (miss.line, miss.kind))
    return EvalReport(
        intent_cases=len(intent_cases),
        intent_accuracy=accuracy,
        retrieval_cases=len(faq_cases),
        recall_at_1=recall_1,
        recall_at_5=recall_5,
        mrr=mrr,
        misses=tuple(misses),
    )
