"""Text tables and JSON-ready dictionaries of evaluation results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from kefu.evaluation.intent_eval import IntentRun
from kefu.evaluation.retrieval_eval import RetrievalRun
from kefu.evaluation.thresholds import ThresholdPoint


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain fixed-width table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def _secs(value: float) -> str:
    return f"{value:.1f}"


def intent_table(runs: Sequence[IntentRun]) -> str:
    """One line per recognizer: accuracy, macro-F1, out-of-scope figures, seconds."""
    header = [
        "plugin",
        "accuracy %",
        "macro-F1 %",
        "OOS prec %",
        "OOS recall %",
        "train s",
        "predict s",
    ]
    rows = []
    for run in runs:
        oos = run.metrics.out_of_scope
        rows.append(
            [
                run.plugin,
                _pct(run.metrics.accuracy),
                _pct(run.metrics.macro_f1),
                _pct(oos.precision) if oos else "-",
                _pct(oos.recall) if oos else "-",
                _secs(run.train_seconds),
                _secs(run.predict_seconds),
            ]
        )
    return text_table(header, rows)


def per_intent_table(run: IntentRun, limit: int | None = None) -> str:
    """Precision, recall and F1 of each intent, worst F1 first (``limit`` rows at most)."""
    figures = sorted(run.metrics.per_intent, key=lambda f: (f.f1, f.intent))
    if limit is not None:
        figures = figures[:limit]
    rows = [
        [f.intent, _pct(f.precision), _pct(f.recall), _pct(f.f1), str(f.support)] for f in figures
    ]
    return text_table(["intent", "precision %", "recall %", "F1 %", "support"], rows)


def intent_run_json(run: IntentRun, *, predictions: bool = False) -> dict[str, Any]:
    """Every figure of one run (and optionally the per-row predictions) as JSON-ready data."""
    metrics = run.metrics
    data: dict[str, Any] = {
        "plugin": run.plugin,
        "options": dict(run.options),
        "rows": metrics.rows,
        "intents": len(run.intents),
        "accuracy": metrics.accuracy,
        "macro_f1": metrics.macro_f1,
        "split_accuracy": list(run.split_accuracy),
        "per_intent": [asdict(f) for f in metrics.per_intent],
        "out_of_scope": asdict(metrics.out_of_scope) if metrics.out_of_scope else None,
        "top_confusions": [
            {"true": t, "predicted": p, "count": n} for t, p, n in metrics.confusions[:20]
        ],
        "train_seconds": run.train_seconds,
        "predict_seconds": run.predict_seconds,
    }
    if predictions:
        data["predictions"] = [
            {"true": t, "predicted": p, "confidence": c}
            for t, p, c in zip(run.truth, run.predicted, run.confidence, strict=True)
        ]
    return data


def retrieval_table(runs: Sequence[RetrievalRun]) -> str:
    """One line per retriever: recall@k, MRR, nDCG, seconds."""
    ks = sorted(runs[0].figures.recall) if runs else []
    ndcg_k = runs[0].figures.ndcg_k if runs else 10
    header = ["plugin", *(f"R@{k} %" for k in ks), "MRR", f"nDCG@{ndcg_k}", "index s", "search s"]
    rows = [
        [
            run.plugin,
            *(_pct(run.figures.recall[k]) for k in ks),
            f"{run.figures.mrr:.4f}",
            f"{run.figures.ndcg:.4f}",
            _secs(run.index_seconds),
            _secs(run.search_seconds),
        ]
        for run in runs
    ]
    return text_table(header, rows)


def retrieval_run_json(run: RetrievalRun) -> dict[str, Any]:
    """The figures of one retriever as JSON-ready data."""
    return {
        "plugin": run.plugin,
        "options": dict(run.options),
        "chunks": run.chunks,
        "queries": run.figures.queries,
        "recall": {str(k): v for k, v in sorted(run.figures.recall.items())},
        "mrr": run.figures.mrr,
        f"ndcg@{run.figures.ndcg_k}": run.figures.ndcg,
        "index_seconds": run.index_seconds,
        "search_seconds": run.search_seconds,
    }


def threshold_table(points: Sequence[ThresholdPoint]) -> str:
    """Precision and coverage at each threshold."""
    rows = [
        [f"{p.threshold:.2f}", _pct(p.precision), _pct(p.coverage), str(p.replied), str(p.correct)]
        for p in points
    ]
    return text_table(["threshold", "precision %", "coverage %", "replied", "correct"], rows)
