"""PNG of turn latency percentiles over offered load, one line style per series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

import benchmarks.plots  # noqa: F401  (selects matplotlib's Agg backend before pyplot draws)

_PERCENTILES = (("p50_ms", ":"), ("p95_ms", "--"), ("p99_ms", "-"))


def plot_latency(
    rows: Sequence[Mapping[str, Any]],
    path: Path,
    *,
    title: str,
    target_ms: float | None = None,
) -> Path:
    """Draw p50/p95/p99 against ``offered_per_second`` for each ``mode`` in ``rows``."""
    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    modes = sorted({str(row["mode"]) for row in rows})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, mode in enumerate(modes):
        points = sorted(
            (row for row in rows if row["mode"] == mode), key=lambda r: r["offered_per_second"]
        )
        x = [row["offered_per_second"] for row in points]
        for column, style in _PERCENTILES:
            ax.plot(
                x,
                [row[column] for row in points],
                linestyle=style,
                marker="o",
                color=colours[index % len(colours)],
                label=f"{mode} {column.removesuffix('_ms')}",
            )
    if target_ms is not None:
        ax.axhline(target_ms, color="grey", linewidth=0.8, label=f"{target_ms:g} ms target")
    ax.set_yscale("log")
    ax.set_xlabel("offered load (turns/s)")
    ax.set_ylabel("turn latency (ms)")
    ax.set_title(title, fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


__all__ = ["plot_latency"]
