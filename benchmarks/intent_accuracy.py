"""Accuracy and training time of Kefu's intent recognizers on BANKING77 and HWU64.

Tasks (``--tasks``):

* ``banking77``: full training set -> test set (77 intents, 10,003 / 3,080 texts).
* ``hwu64``: full training set -> test set (64 intents, 9,960 / 1,076 texts).
* ``banking77-10shot``: 10 training examples per intent (fixed-seed sample) -> full test set.
* ``banking77-oos``: 10 intents (fixed-seed choice) are left out of training; their test
  queries should be refused. Reports, per confidence threshold, in-scope accuracy (a refused
  in-scope query counts as wrong) next to the fraction of out-of-scope queries refused, plus the
  threshold-free AUROC of the best-intent confidence for telling the two apart.

Recognizers (``--recognizers``): ``tfidf``, ``embedding``, ``finetuned``, ``ensemble`` (all
three) and ``ensemble-fast`` (tfidf + embedding). When ``ensemble`` runs, its members are the
``tfidf``, ``embedding`` and ``finetuned`` rows (trained once, timed separately). Training
seconds include embedding the training texts with the shared embedder where a recognizer needs
it; they are wall-clock seconds on whatever else the machine is doing, printed with the load.

Data: BANKING77 (Casanueva et al., 2020) and HWU64 (Liu et al., 2019), both CC BY 4.0,
read from ``--data-dir`` (``text,category`` CSV files). Results are printed as a table and
merged into ``benchmarks/results/intent_accuracy.json`` (one entry per task).

Usage::

    .venv/bin/python benchmarks/intent_accuracy.py --tasks banking77 --recognizers ensemble
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from kefu import registry
from kefu.contracts import Embedder, IntentExample, PluginContext
from kefu.embedding import shared_embedder
from kefu_plugins.intent._common import OutOfScope, centroid_similarity

TASKS = ("banking77", "hwu64", "banking77-10shot", "banking77-oos")
RECOGNIZERS = ("tfidf", "embedding", "finetuned", "ensemble", "ensemble-fast")
FULL_MEMBERS = ("tfidf", "embedding", "finetuned")
FAST_MEMBERS = ("tfidf", "embedding")
THRESHOLDS = (0.3, 0.5, 0.7)
MARGINS = (0.2, 0.4)
RESULTS = Path(__file__).parent / "results" / "intent_accuracy.json"


class CachingEmbedder:
    """The shared embedder, remembering rows so that a text is encoded once per run.

    With ``path`` set, rows are also read from and written to that ``.npz`` file, so later runs
    skip encoding (their training seconds then exclude it: the results record this).
    """

    def __init__(self, inner: Embedder, path: Path | None = None) -> None:
        self._inner = inner
        self._path = path
        self._rows: dict[str, np.ndarray] = {}
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.hits = 0
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as stored:
                if str(stored["model_id"]) != inner.model_id:
                    raise ValueError(f"{path} holds embeddings of {stored['model_id']}")
                self._rows = dict(zip(stored["texts"].tolist(), stored["rows"], strict=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for ``texts``, encoding only those not seen before."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        self.hits += len(texts) - len(missing)
        if missing:
            self._rows.update(zip(missing, self._inner.encode(missing), strict=True))
            self._save()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._rows[t] for t in texts])

    def _save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_suffix(".partial.npz")
        texts = list(self._rows)
        np.savez(
            partial,
            model_id=np.array(self.model_id),
            texts=np.array(texts),
            rows=np.stack([self._rows[t] for t in texts]),
        )
        partial.replace(self._path)


@dataclass
class Split:
    """One task's training and test data (test labels may include held-out intents)."""

    name: str
    train: list[IntentExample]
    test_texts: list[str]
    test_labels: list[str]
    held_out: tuple[str, ...] = ()


@dataclass
class Row:
    """One recognizer's figures on one task."""

    recognizer: str
    accuracy: float
    train_seconds: float
    predict_seconds: float
    notes: str = ""
    out_of_scope: dict[str, Any] = field(default_factory=dict)


def read_csv(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels of a ``text,category`` file."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or {"text", "category"} - set(rows[0]):
        raise ValueError(f"{path} is not a text,category CSV file")
    return [r["text"] for r in rows], [r["category"] for r in rows]


def load_split(task: str, data_dir: Path, seed: int) -> Split:
    """Build the training and test data of ``task``."""
    dataset = "hwu64" if task.startswith("hwu64") else "banking77"
    train_texts, train_labels = read_csv(data_dir / dataset / "train.csv")
    test_texts, test_labels = read_csv(data_dir / dataset / "test.csv")
    train = [IntentExample(t, y) for t, y in zip(train_texts, train_labels, strict=True)]
    rng = random.Random(seed)
    if task.endswith("10shot"):
        by_label: dict[str, list[IntentExample]] = {}
        for example in train:
            by_label.setdefault(example.label, []).append(example)
        train = [e for label in sorted(by_label) for e in rng.sample(by_label[label], 10)]
        return Split(task, train, test_texts, test_labels)
    if task.endswith("oos"):
        held_out = tuple(sorted(rng.sample(sorted(set(train_labels)), 10)))
        train = [e for e in train if e.label not in held_out]
        return Split(task, train, test_texts, test_labels, held_out)
    return Split(task, train, test_texts, test_labels)


def evaluate(
    name: str,
    recognizer: Any,
    split: Split,
    train_seconds: float,
    test_embeddings: np.ndarray,
    notes: str = "",
) -> Row:
    """Accuracy (and out-of-scope figures for the held-out task) of a fitted recognizer."""
    kwargs = {"embeddings": test_embeddings} if recognizer.uses_embeddings else {}
    started = time.perf_counter()
    probabilities = recognizer.predict_proba(split.test_texts, **kwargs)
    predict_seconds = time.perf_counter() - started
    labels = list(recognizer.labels)
    best = probabilities.argmax(axis=1)
    guessed = [labels[i] for i in best]
    in_scope = np.array([y not in split.held_out for y in split.test_labels])
    correct = np.array([g == y for g, y in zip(guessed, split.test_labels, strict=True)])
    accuracy = float(correct[in_scope].mean() * 100)
    row = Row(name, round(accuracy, 2), round(train_seconds, 1), round(predict_seconds, 2), notes)
    if split.held_out:
        row.out_of_scope = out_of_scope_figures(
            recognizer, split, probabilities, in_scope, correct, test_embeddings
        )
    return row


def out_of_scope_figures(
    recognizer: Any,
    split: Split,
    probabilities: np.ndarray,
    in_scope: np.ndarray,
    correct: np.ndarray,
    test_embeddings: np.ndarray,
) -> dict[str, Any]:
    """In-scope accuracy vs refused out-of-scope fraction, per threshold, through predict()."""
    confidence = probabilities.max(axis=1)
    figures: dict[str, Any] = {
        "held_out_intents": list(split.held_out),
        "out_of_scope_queries": int((~in_scope).sum()),
        "auroc_confidence": round(float(roc_auc_score(~in_scope, -confidence)), 4),
        "by_threshold": [],
    }
    kwargs = {"embeddings": test_embeddings} if recognizer.uses_embeddings else {}
    saved_rules = recognizer.out_of_scope
    rules: list[OutOfScope] = [OutOfScope(threshold=t) for t in THRESHOLDS]
    rules += [OutOfScope(margin=m) for m in MARGINS]
    ordered = np.sort(probabilities, axis=1)
    margin = ordered[:, -1] - ordered[:, -2] if ordered.shape[1] > 1 else ordered[:, -1]
    figures["auroc_margin"] = round(float(roc_auc_score(~in_scope, -margin)), 4)
    centres = getattr(recognizer, "_centroids", None)
    if centres is not None:
        similarity = centroid_similarity(test_embeddings, centres, probabilities.argmax(axis=1))
        figures["auroc_centroid_similarity"] = round(
            float(roc_auc_score(~in_scope, -similarity)), 4
        )
        rules += [OutOfScope(threshold=t, min_similarity=0.4) for t in THRESHOLDS]
    try:
        for rule in rules:
            recognizer.out_of_scope = rule
            refused = np.array(
                [not p.in_scope for p in recognizer.predict(split.test_texts, **kwargs)]
            )
            figures["by_threshold"].append(
                {
                    "rule": {k: v for k, v in rule.to_dict().items() if v is not None},
                    "in_scope_accuracy": round(
                        float((correct & ~refused)[in_scope].mean() * 100), 2
                    ),
                    "out_of_scope_refused": round(float(refused[~in_scope].mean() * 100), 2),
                }
            )
    finally:
        recognizer.out_of_scope = saved_rules
    return figures


def run_task(
    task: str, names: Sequence[str], args: argparse.Namespace, context: PluginContext
) -> list[Row]:
    """Train and evaluate every requested recognizer on one task."""
    split = load_split(task, args.data_dir, args.seed)
    print(
        f"\n== {task}: {len(split.train)} training texts, {len(split.test_texts)} test texts, "
        f"{len({e.label for e in split.train})} intents ==",
        flush=True,
    )
    started = time.perf_counter()
    test_embeddings = context.embedder().encode(split.test_texts)
    print(f"   test embeddings: {time.perf_counter() - started:.1f} s", flush=True)
    finetuned_options = {
        "epochs": args.epochs_10shot if task.endswith("10shot") else args.epochs,
        "progress": args.progress,
    }
    rows: list[Row] = []
    trained: dict[str, tuple[Any, float]] = {}
    for name in names:
        if name in ("ensemble", "ensemble-fast"):
            members = FULL_MEMBERS if name == "ensemble" else FAST_MEMBERS
            ensemble = registry.load(
                "kefu.intent",
                "ensemble",
                context,
                members=members,
                member_options={"finetuned": finetuned_options} if "finetuned" in members else None,
            )
            began = time.perf_counter()
            ensemble.fit(split.train)
            seconds = time.perf_counter() - began
            rows.append(
                evaluate(name, ensemble, split, seconds, test_embeddings, "+".join(members))
            )
            print_row(rows[-1])
            embed_seconds = ensemble.fit_seconds.get("shared embeddings", 0.0)
            for member_name, member in ensemble.members.items():
                member_seconds = ensemble.fit_seconds[member_name]
                if member.uses_embeddings:
                    member_seconds += embed_seconds
                trained.setdefault(member_name, (member, member_seconds))
            continue
    for name in names:
        if name in ("ensemble", "ensemble-fast"):
            continue
        if name in trained:
            recognizer, seconds = trained[name]
            notes = "trained as an ensemble member"
        else:
            options = finetuned_options if name == "finetuned" else {}
            recognizer = registry.load("kefu.intent", name, context, **options)
            began = time.perf_counter()
            recognizer.fit(split.train)
            seconds = time.perf_counter() - began
            notes = ""
        rows.append(evaluate(name, recognizer, split, seconds, test_embeddings, notes))
        print_row(rows[-1])
    return rows


def print_row(row: Row) -> None:
    """One line of the results table, printed as soon as it is known."""
    print(
        f"   {row.recognizer:<14} accuracy {row.accuracy:6.2f}   train {row.train_seconds:7.1f} s"
        f"   predict {row.predict_seconds:6.2f} s   {row.notes}",
        flush=True,
    )
    for entry in row.out_of_scope.get("by_threshold", []):
        print(
            f"      {json.dumps(entry['rule']):<40} in-scope acc {entry['in_scope_accuracy']:6.2f}"
            f"   out-of-scope refused {entry['out_of_scope_refused']:6.2f}",
            flush=True,
        )
    if row.out_of_scope:
        aurocs = {k: v for k, v in row.out_of_scope.items() if k.startswith("auroc")}
        print(f"      {aurocs}", flush=True)


def environment() -> dict[str, Any]:
    """Where and on what the figures were measured."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    import torch

    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def save(task: str, rows: list[Row], args: argparse.Namespace, env: dict[str, Any]) -> None:
    """Merge one task's rows into the results file (a rerun replaces rows of the same name)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    entry = results.setdefault(task, {"rows": []})
    measured = {
        "environment": {**env, "load_average_end": [round(x, 2) for x in os.getloadavg()]},
        "options": {"seed": args.seed, "epochs": args.epochs, "epochs_10shot": args.epochs_10shot},
    }
    fresh = {row.recognizer: {**row.__dict__, **measured} for row in rows}
    kept = [r for r in entry["rows"] if r["recognizer"] not in fresh]
    entry["rows"] = kept + list(fresh.values())
    RESULTS.write_text(json.dumps(results, indent=2))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run the tasks, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated: {TASKS}")
    parser.add_argument(
        "--recognizers",
        default="ensemble,ensemble-fast,tfidf,embedding,finetuned",
        help=f"comma-separated: {RECOGNIZERS}",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs, full data")
    parser.add_argument("--epochs-10shot", type=int, default=8, help="fine-tuning epochs, 10-shot")
    parser.add_argument("--progress", action="store_true", help="show the fine-tuning bar")
    parser.add_argument(
        "--embedding-cache",
        type=Path,
        default=None,
        help="an .npz file of shared embeddings reused across runs (training times then "
        "exclude encoding)",
    )
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    names = [n for n in args.recognizers.split(",") if n]
    for task in tasks:
        if task not in TASKS:
            parser.error(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    for name in names:
        if name not in RECOGNIZERS:
            parser.error(f"unknown recognizer {name!r}; choose from {', '.join(RECOGNIZERS)}")
    embedder = CachingEmbedder(shared_embedder(), args.embedding_cache)
    context = PluginContext(Path(tempfile.mkdtemp(prefix="kefu-bench-")), lambda: embedder)
    for task in tasks:
        env = environment()
        hits_before = embedder.hits
        rows = run_task(task, names, args, context)
        env["embeddings_from_cache"] = embedder.hits - hits_before
        save(task, rows, args, env)
    print(f"\nfigures saved to {RESULTS}", flush=True)


if __name__ == "__main__":
    main()
