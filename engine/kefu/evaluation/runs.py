"""The three evaluations end to end (run, figures, PNGs, JSON report), shared by CLI and API."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kefu.contracts import Embedder
from kefu.evaluation import plots, reports
from kefu.evaluation.embedding_cache import caching_factory
from kefu.evaluation.intent_eval import NAMESPACE as INTENT_NAMESPACE
from kefu.evaluation.intent_eval import IntentRun, evaluate_recognizer, scratch_context
from kefu.evaluation.plugins import check_installed, plugin_name
from kefu.evaluation.provenance import TrackedEmbedderFactory, provenance
from kefu.evaluation.retrieval_eval import NAMESPACE as RETRIEVER_NAMESPACE
from kefu.evaluation.retrieval_eval import RetrievalRun, evaluate_retriever
from kefu.evaluation.sources import IntentSource, RetrievalSource
from kefu.evaluation.thresholds import (
    ReplyOutcomes,
    ThresholdPoint,
    curve,
    table,
    threshold_for_precision,
)

REPORT_FILE = "report.json"


def default_embedder() -> Embedder:
    """The process-wide shared embedder (imported lazily: tfidf alone never loads torch)."""
    from kefu.embedding import shared_embedder

    return shared_embedder()


@dataclass(frozen=True, slots=True)
class IntentEvaluation:
    """Every recognizer's run on the same splits, the JSON report and the files written."""

    runs: tuple[IntentRun, ...]
    report: dict[str, Any]
    files: tuple[Path, ...]


def evaluate_intents(
    source: IntentSource,
    plugins: Sequence[str],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    seed: int = 0,
    out: Path | None = None,
    embedder_factory: Callable[[], Embedder] = default_embedder,
    on_run: Callable[[IntentRun], None] | None = None,
    cache_embeddings: bool = False,
) -> IntentEvaluation:
    """Evaluate each recognizer of ``plugins`` on ``source``; write PNGs and JSON into ``out``.

    ``cache_embeddings`` encodes each distinct text once across all runs (faster for
    repeated runs; the seconds then exclude cached encodes).
    """
    check_installed(INTENT_NAMESPACE, [plugin_name(label) for label in plugins])
    if cache_embeddings:
        embedder_factory = caching_factory(embedder_factory)
    tracker = TrackedEmbedderFactory(embedder_factory)
    context = scratch_context(tracker)
    runs: list[IntentRun] = []
    files: list[Path] = []
    for name in plugins:
        run = evaluate_recognizer(
            name,
            source.splits,
            context,
            options=(options or {}).get(name, {}),
            oos_label=source.oos_label,
            seed=seed,
        )
        runs.append(run)
        if out is not None:
            files.extend(intent_figures(run, out / name))
        if on_run is not None:
            on_run(run)
    report = {
        "command": "intents",
        "data": source.description,
        "splits": [s.name for s in source.splits],
        "oos_label": source.oos_label,
        "provenance": provenance(
            INTENT_NAMESPACE, plugins, embedding_model=tracker.model_id, seed=seed
        ),
        "results": [reports.intent_run_json(run) for run in runs],
    }
    if out is not None:
        files.append(_write_json(out / REPORT_FILE, report))
    return IntentEvaluation(tuple(runs), report, tuple(files))


def intent_figures(run: IntentRun, directory: Path) -> list[Path]:
    """The confusion matrix and confidence histogram PNGs of one run."""
    expected = run.expected
    correct = [t == p for t, p in zip(expected, run.predicted, strict=True)]
    return [
        plots.confusion_matrix_png(
            expected,
            run.predicted,
            directory / "confusion_matrix.png",
            title=f"{run.plugin}: confusion matrix (rows normalised)",
        ),
        plots.confidence_histogram_png(
            run.confidence,
            correct,
            directory / "confidence_histogram.png",
            title=f"{run.plugin}: confidence of correct vs wrong predictions",
        ),
    ]


@dataclass(frozen=True, slots=True)
class RetrievalEvaluation:
    """Every retriever's run on the same chunks and queries, and the JSON report."""

    runs: tuple[RetrievalRun, ...]
    report: dict[str, Any]
    files: tuple[Path, ...]


def evaluate_retrieval(
    source: RetrievalSource,
    plugins: Sequence[str],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    seed: int = 0,
    out: Path | None = None,
    embedder_factory: Callable[[], Embedder] = default_embedder,
    cache_embeddings: bool = False,
) -> RetrievalEvaluation:
    """Evaluate each retriever of ``plugins`` on ``source``; write the JSON into ``out``.

    ``cache_embeddings`` as for :func:`evaluate_intents`.
    """
    check_installed(RETRIEVER_NAMESPACE, [plugin_name(label) for label in plugins])
    if cache_embeddings:
        embedder_factory = caching_factory(embedder_factory)
    tracker = TrackedEmbedderFactory(embedder_factory)
    context = scratch_context(tracker)
    runs = [
        evaluate_retriever(
            name,
            source.chunks,
            source.queries,
            context,
            options=(options or {}).get(name, {}),
            seed=seed,
        )
        for name in plugins
    ]
    report = {
        "command": "retrieval",
        "data": source.description,
        "chunks": len(source.chunks),
        "queries": len(source.queries),
        "provenance": provenance(
            RETRIEVER_NAMESPACE, plugins, embedding_model=tracker.model_id, seed=seed
        ),
        "results": [reports.retrieval_run_json(run) for run in runs],
    }
    files = [_write_json(out / REPORT_FILE, report)] if out is not None else []
    return RetrievalEvaluation(tuple(runs), report, tuple(files))


@dataclass(frozen=True, slots=True)
class ThresholdEvaluation:
    """The precision/coverage curve of one recognizer and the threshold chosen on it."""

    run: IntentRun
    points: tuple[ThresholdPoint, ...]
    table: tuple[ThresholdPoint, ...]
    chosen: ThresholdPoint | None
    target: float
    report: dict[str, Any]
    files: tuple[Path, ...]


def evaluate_thresholds(
    source: IntentSource,
    plugin: str,
    options: Mapping[str, Any] | None = None,
    *,
    target: float = 0.95,
    seed: int = 0,
    out: Path | None = None,
    embedder_factory: Callable[[], Embedder] = default_embedder,
    cache_embeddings: bool = False,
) -> ThresholdEvaluation:
    """The auto-reply curve of ``plugin`` on ``source`` and the threshold reaching ``target``."""
    evaluation = evaluate_intents(
        source,
        [plugin],
        {plugin: dict(options or {})},
        seed=seed,
        embedder_factory=embedder_factory,
        cache_embeddings=cache_embeddings,
    )
    run = evaluation.runs[0]
    outcomes = ReplyOutcomes.from_predictions(run.expected, run.predicted, run.confidence)
    chosen = threshold_for_precision(outcomes, target)
    points = curve(outcomes)
    fixed = table(outcomes)
    report = {
        **{k: v for k, v in evaluation.report.items() if k != "results"},
        "command": "thresholds",
        "plugin": plugin,
        "options": dict(options or {}),
        "target_precision": target,
        "threshold": asdict(chosen) if chosen else None,
        "table": [asdict(p) for p in fixed],
        "curve": [asdict(p) for p in points],
        "accuracy": run.metrics.accuracy,
    }
    files: list[Path] = []
    if out is not None:
        files.append(
            plots.threshold_curve_png(
                points,
                out / "threshold_curve.png",
                target=target,
                chosen=chosen,
                title=f"{plugin}: auto-reply precision and coverage",
            )
        )
        files.append(_write_json(out / REPORT_FILE, report))
    return ThresholdEvaluation(
        run, tuple(points), tuple(fixed), chosen, target, report, tuple(files)
    )


def _write_json(path: Path, data: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
