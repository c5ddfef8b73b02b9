"""Measuring Kefu's plugins: intent recognizers, retrievers and the auto-reply threshold.

Used by ``kefu eval`` and by :mod:`kefu.api`; every function takes plain data (labelled texts,
chunks, queries) or a pack, and returns figures, JSON-ready reports and PNG plots.
"""

from kefu.evaluation.datasets import LabelledData, read_labelled
from kefu.evaluation.errors import DataError, EvaluationError
from kefu.evaluation.intent_eval import IntentRun, evaluate_recognizer
from kefu.evaluation.intent_metrics import IntentMetrics, intent_metrics
from kefu.evaluation.retrieval_eval import RetrievalRun, evaluate_retriever
from kefu.evaluation.retrieval_metrics import RankingFigures, ranking_figures
from kefu.evaluation.runs import evaluate_intents, evaluate_retrieval, evaluate_thresholds
from kefu.evaluation.splits import Split, stratified_folds
from kefu.evaluation.thresholds import ReplyOutcomes, ThresholdPoint, threshold_for_precision

__all__ = [
    "DataError",
    "EvaluationError",
    "IntentMetrics",
    "IntentRun",
    "LabelledData",
    "RankingFigures",
    "ReplyOutcomes",
    "RetrievalRun",
    "Split",
    "ThresholdPoint",
    "evaluate_intents",
    "evaluate_recognizer",
    "evaluate_retrieval",
    "evaluate_retriever",
    "evaluate_thresholds",
    "intent_metrics",
    "ranking_figures",
    "read_labelled",
    "stratified_folds",
    "threshold_for_precision",
]
