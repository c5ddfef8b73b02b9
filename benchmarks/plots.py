"""PNG plots of benchmark results: each measured series over its load (matplotlib, Agg).

:func:`plot_result` takes one benchmark's JSON payload and draws what it can:

* rows with a load column (``connections``, ``concurrency``, ``callers``, ``batch``, ``size``)
  become one line per series (grouped by ``name``/``layout`` when present) for each figure
  column (throughput, latency, CPU, memory);
* rows without one (e.g. the scale-out layouts) become bar charts, one bar per row.

Files go to ``benchmarks/results/<benchmark>-<figure>.png`` (the latest run of a benchmark
replaces its plots; ``python -m benchmarks.plots <result.json>...`` redraws saved results).
Payloads it cannot read give no plot rather than an error, so one odd result never stops a
run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

#: Columns that say how much load a row was measured under, by preference.
LOAD_COLUMNS = ("connections", "concurrency", "callers", "batch", "size")
#: Substrings of column names worth a plot.
FIGURE_HINTS = ("per_second", "latency", "cpu_us", "kib", "rss_mib", "ratio")
#: Columns that label a series.
SERIES_COLUMNS = ("name", "layout", "plugin", "index", "mode")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = payload.get("results")
    if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
        return rows
    return []


def figure_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The numeric columns of ``rows`` worth plotting (throughput, latency, CPU, memory)."""
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key in columns or key in LOAD_COLUMNS or not _is_number(value):
                continue
            if any(hint in key for hint in FIGURE_HINTS):
                columns.append(key)
    return columns


def load_column(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The column that holds each row's load, if every row has a numeric one."""
    for key in LOAD_COLUMNS:
        numeric = bool(rows) and all(_is_number(row.get(key)) for row in rows)
        if numeric and len({row[key] for row in rows}) > 1:
            return key
    return None


def series_column(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The column naming each series, if any."""
    for key in SERIES_COLUMNS:
        if rows and all(isinstance(row.get(key), str) for row in rows):
            return key
    return None


def plot_result(benchmark: str, payload: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """Draw ``payload``'s series into PNG files under ``out_dir``; returns their paths."""
    rows = _rows(payload)
    columns = figure_columns(rows)
    if not rows or not columns:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    load = load_column(rows)
    series = series_column(rows)
    env = payload.get("environment") or {}
    subtitle = f"load average {env.get('load_average_1m', '?')}, {env.get('cpu_count', '?')} CPUs"
    written: list[Path] = []
    for column in columns:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        if load is not None:
            groups: dict[str, list[tuple[float, float]]] = {}
            for row in rows:
                if _is_number(row.get(column)):
                    label = str(row.get(series, benchmark)) if series else benchmark
                    groups.setdefault(label, []).append((row[load], row[column]))
            for label, points in groups.items():
                points.sort()
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
            ax.set_xlabel(load)
            if load in ("connections", "size") and max(r[load] for r in rows) >= 10_000:
                ax.set_xscale("log")
            if len(groups) > 1:
                ax.legend(fontsize="small")
        else:
            labels = [str(row.get(series, i)) if series else str(i) for i, row in enumerate(rows)]
            values = [row[column] if _is_number(row.get(column)) else 0 for row in rows]
            ax.bar(labels, values)
            ax.set_xlabel(series or "row")
        ax.set_ylabel(column)
        ax.set_title(f"{benchmark}: {column}\n{subtitle}", fontsize="medium")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path = out_dir / f"{benchmark}-{column}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Plot saved result files: ``python -m benchmarks.plots benchmarks/results/<file>.json...``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.plots", description=main.__doc__)
    parser.add_argument("files", nargs="+", type=Path, help="result JSON files")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    for path in args.files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        name = str(payload.get("benchmark") or path.stem.split("-", 1)[0])
        for written in plot_result(name, payload, args.out):
            print(written)
    return 0


__all__ = ["figure_columns", "load_column", "main", "plot_result", "series_column"]

if __name__ == "__main__":
    raise SystemExit(main())
