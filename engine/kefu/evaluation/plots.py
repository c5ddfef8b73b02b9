"""The PNG figures of an evaluation, drawn with matplotlib's Agg canvas (no display needed).

* :func:`confusion_matrix_png`: row-normalised confusion heatmap. Labels are sorted by name so
  that intents sharing a prefix (``card_*``, ``alarm_*``) sit together; with many intents the
  tick labels shrink and the most frequent confusions are annotated on the cells and listed
  beside the matrix.
* :func:`confidence_histogram_png`: the top confidence of correct and wrong predictions.
* :func:`threshold_curve_png`: auto-reply precision and coverage against the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from kefu.contracts import OUT_OF_SCOPE
from kefu.evaluation.thresholds import ThresholdPoint

#: Up to this many labels every non-zero cell is annotated with its count.
ANNOTATE_ALL_UP_TO = 20
#: With more labels, this many of the most frequent confusions are annotated and listed.
TOP_CONFUSIONS = 15


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path


def confusion_counts(
    truth: Sequence[str], predicted: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """Sorted labels (OUT_OF_SCOPE last) and the count matrix, rows = truth, columns = predicted."""
    names = sorted(set(truth) | set(predicted), key=lambda n: (n == OUT_OF_SCOPE, n))
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        counts[index[t], index[p]] += 1
    return names, counts


def confusion_matrix_png(
    truth: Sequence[str], predicted: Sequence[str], path: Path, *, title: str = ""
) -> Path:
    """Draw the row-normalised confusion matrix of ``truth`` vs ``predicted`` into ``path``."""
    names, counts = confusion_counts(truth, predicted)
    n = len(names)
    rows = counts.sum(axis=1, keepdims=True)
    share = counts / np.maximum(rows, 1)
    side = min(max(6.0, 0.22 * n + 3.0), 30.0)
    many = n > ANNOTATE_ALL_UP_TO
    figure = Figure(figsize=(side + (6.0 if many else 0.0), side))
    grid = figure.add_gridspec(1, 2, width_ratios=[side, 6.0]) if many else None
    axes = figure.add_subplot(grid[0, 0]) if grid is not None else figure.add_subplot()
    # a square-root colour scale keeps small confusions visible next to the diagonal
    image = axes.imshow(
        share, cmap="Blues", norm=PowerNorm(0.5, vmin=0.0, vmax=1.0), interpolation="nearest"
    )
    figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, label="share of the true intent")
    font = max(4.0, min(9.0, 300.0 / max(n, 1)))
    axes.set_xticks(range(n), names, rotation=90, fontsize=font)
    axes.set_yticks(range(n), names, fontsize=font)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title or "confusion matrix (rows normalised)")
    if not many:
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    colour = "white" if share[i, j] > 0.5 else "black"
                    axes.text(
                        j, i, str(counts[i, j]), ha="center", va="center", fontsize=7, color=colour
                    )
    else:
        off = [
            (int(counts[i, j]), i, j) for i in range(n) for j in range(n) if i != j and counts[i, j]
        ]
        off.sort(key=lambda item: (-item[0], names[item[1]], names[item[2]]))
        top = off[:TOP_CONFUSIONS]
        for rank, (_count, i, j) in enumerate(top, start=1):
            axes.add_patch(_cell_box(j, i))
            axes.annotate(
                str(rank),
                (j, i),
                ha="center",
                va="center",
                fontsize=6,
                color="red",
                fontweight="bold",
            )
        legend = figure.add_subplot(grid[0, 1]) if grid is not None else axes
        legend.axis("off")
        lines = [
            f"{rank:>2}. {names[i]} → {names[j]}: {count}"
            for rank, (count, i, j) in enumerate(top, start=1)
        ]
        legend.text(
            0.0,
            1.0,
            "most frequent confusions (true → predicted: count)\n\n" + "\n".join(lines),
            va="top",
            ha="left",
            fontsize=9,
            family="monospace",
        )
    return _save(figure, path)


def _cell_box(x: int, y: int) -> Rectangle:
    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=0.8)


def confidence_histogram_png(
    confidence: Sequence[float], correct: Sequence[bool], path: Path, *, title: str = ""
) -> Path:
    """Histogram of the top confidence of correct and of wrong predictions into ``path``."""
    values = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    figure = Figure(figsize=(7.0, 4.0))
    axes = figure.add_subplot()
    bins = [i / 20 for i in range(21)]
    axes.hist(
        values[right],
        bins=bins,
        alpha=0.6,
        label=f"correct ({int(right.sum())})",
        color="tab:green",
    )
    axes.hist(
        values[~right],
        bins=bins,
        alpha=0.6,
        label=f"wrong ({int((~right).sum())})",
        color="tab:red",
    )
    axes.set_xlabel("confidence of the best intent")
    axes.set_ylabel("test texts")
    axes.set_title(title or "confidence: correct vs wrong")
    axes.legend()
    return _save(figure, path)


def threshold_curve_png(
    points: Sequence[ThresholdPoint],
    path: Path,
    *,
    target: float | None = None,
    chosen: ThresholdPoint | None = None,
    title: str = "",
) -> Path:
    """Precision and coverage of auto-replies against the threshold into ``path``."""
    figure = Figure(figsize=(7.0, 4.5))
    axes = figure.add_subplot()
    xs = [p.threshold for p in points]
    precision = [np.nan if p.precision is None else p.precision for p in points]
    axes.step(xs, precision, where="post", label="precision", color="tab:blue")
    axes.step(xs, [p.coverage for p in points], where="post", label="coverage", color="tab:orange")
    if target is not None:
        axes.axhline(target, linestyle=":", color="grey", label=f"target precision {target:g}")
    if chosen is not None:
        axes.axvline(
            chosen.threshold,
            linestyle="--",
            color="tab:red",
            label=f"threshold {chosen.threshold:.3f}",
        )
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel("reply threshold (confidence)")
    axes.set_ylabel("share")
    axes.set_title(title or "auto-reply precision and coverage")
    axes.legend(loc="lower left")
    return _save(figure, path)
