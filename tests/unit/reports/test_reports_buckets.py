"""Report histograms and percentiles: bucket edges (in SQL, as reports run them) and ranks."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from kefu.reports.buckets import (
    BUCKET_BOUNDS,
    BUCKET_COUNT,
    bucket_case,
    bucket_labels,
    histogram,
    nearest_rank,
    nearest_rank_sql,
    short_duration,
)


def sql_bucket(seconds: float) -> int:
    """The bucket SQLite puts ``seconds`` in, through the same CASE the reports use."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        value = conn.scalar(sa.select(bucket_case(sa.literal(seconds, sa.Float))))
    engine.dispose()
    assert value is not None
    return int(value)


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [
        (0.0, 0),
        (30.0, 0),
        (30.001, 1),
        (60.0, 1),
        (61.0, 2),
        (120.0, 2),
        (299.999, 3),
        (300.0, 3),
        (600.0, 4),
        (1800.0, 5),
        (3599.0, 6),
        (3600.0, 6),
        (3600.001, 7),
        (86_400.0, 7),
    ],
)
def test_buckets_are_closed_on_the_right(seconds: float, bucket: int) -> None:
    assert sql_bucket(seconds) == bucket


def test_labels_name_every_bucket_in_order() -> None:
    assert bucket_labels() == ["≤30s", "≤1m", "≤2m", "≤5m", "≤10m", "≤30m", "≤1h", ">1h"]
    assert len(bucket_labels()) == BUCKET_COUNT == len(BUCKET_BOUNDS) + 1


def test_short_duration_uses_the_largest_whole_unit() -> None:
    assert [short_duration(s) for s in (45, 60, 90, 7200)] == ["45s", "1m", "90s", "2h"]


def test_histogram_fills_missing_buckets_and_refuses_unknown_ones() -> None:
    assert histogram({}) == [0] * BUCKET_COUNT
    assert histogram({0: 2, 7: 1}) == [2, 0, 0, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match="no such bucket"):
        histogram({8: 1})


@pytest.mark.parametrize(
    ("count", "percentile", "rank"),
    [(1, 50, 1), (1, 90, 1), (2, 50, 1), (2, 90, 2), (3, 50, 2), (10, 90, 9), (10, 50, 5)],
)
def test_nearest_rank(count: int, percentile: int, rank: int) -> None:
    assert nearest_rank(count, percentile) == rank


def test_nearest_rank_is_exact_where_floating_point_is_not() -> None:
    # 0.07 * 100 is 7.000000000000001 in binary floating point.
    assert math.ceil(0.07 * 100) == 8
    assert nearest_rank(100, 7) == 7
    for count in range(1, 500):
        for percentile in (50, 90, 99, 100):
            rank = nearest_rank(count, percentile)
            # The smallest rank covering at least p % of the values.
            assert rank * 100 >= percentile * count > (rank - 1) * 100


def test_nearest_rank_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        nearest_rank(0, 50)
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank(5, 0)


def test_the_sql_rank_agrees_with_the_python_one() -> None:
    counts = list(range(1, 300))
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        for percentile in (1, 7, 50, 90, 100):
            ranks = [
                nearest_rank_sql(sa.literal(count, sa.Integer), percentile) for count in counts
            ]
            row = conn.execute(sa.select(*ranks)).one()
            assert list(row) == [nearest_rank(c, percentile) for c in counts], percentile
    engine.dispose()
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank_sql(sa.literal(3), 101)
