"""Duration histograms and quantiles: fixed buckets and nearest-rank percentiles.

Buckets are closed on the right: ``≤30s``, ``(30s, 1m]``, ... ``(30m, 1h]`` and ``>1h``.
A percentile is the nearest-rank one: the smallest duration that at least p % of the
durations do not exceed. It is always a duration that was observed.
"""

from __future__ import annotations

import sqlalchemy as sa

#: Upper bounds (seconds, inclusive) of every bucket but the last, which is open-ended.
BUCKET_BOUNDS: tuple[int, ...] = (30, 60, 120, 300, 600, 1800, 3600)
#: How many buckets a histogram has (the bounded ones and ``>1h``).
BUCKET_COUNT = len(BUCKET_BOUNDS) + 1


def bucket_labels() -> list[str]:
    """Short labels of the buckets, in order (``≤30s``, ``≤1m``, ... ``>1h``)."""
    return [f"≤{short_duration(b)}" for b in BUCKET_BOUNDS] + [
        f">{short_duration(BUCKET_BOUNDS[-1])}"
    ]


def short_duration(seconds: int) -> str:
    """``30`` -> ``30s``, ``120`` -> ``2m``, ``3600`` -> ``1h`` (whole units only)."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def nearest_rank(count: int, percentile: int) -> int:
    """The 1-based rank of the ``percentile``-th percentile among ``count`` sorted values.

    Integer arithmetic on purpose: ``ceil(0.07 * 100)`` in floating point is 8, not 7.
    """
    if count < 1:
        raise ValueError("a percentile needs at least one value")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {percentile}")
    return max(1, -(-percentile * count // 100))


def nearest_rank_sql(count: sa.ColumnElement[int], percentile: int) -> sa.ColumnElement[int]:
    """:func:`nearest_rank` as a SQL expression over an integer ``count`` (which is ≥ 1)."""
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {percentile}")
    # Integer division truncates on SQLite and PostgreSQL: with non-negative operands, a floor.
    return (count * percentile + 99) // 100


def histogram(counts: dict[int, int]) -> list[int]:
    """Counts per bucket, in bucket order, from ``{bucket index: count}`` (missing ones are 0)."""
    unknown = sorted(set(counts) - set(range(BUCKET_COUNT)))
    if unknown:
        raise ValueError(f"no such bucket: {unknown}")
    return [counts.get(i, 0) for i in range(BUCKET_COUNT)]


def bucket_case(seconds: sa.ColumnElement[float]) -> sa.Case[int]:
    """A SQL expression giving the bucket index of a duration column (same rules as above)."""
    return sa.case(
        *[(seconds <= bound, index) for index, bound in enumerate(BUCKET_BOUNDS)],
        else_=len(BUCKET_BOUNDS),
    )
