"""Computes reports over the whole store, aggregating in SQL (nothing is loaded row by row).

Figures (all over the conversations started in the period):

* conversations per local day;
* bot resolution rate: closed conversations never handed off / closed conversations;
* handoff rate: conversations queued for a human or assigned to an agent / all conversations;
* first-response time: from the hand-off moment (joining the queue) to the first agent
  message the visitor received, for handed-off conversations an agent answered;
* resolution time: from start to close, for closed conversations.

Durations come as a count, nearest-rank median and 90th percentile, and a histogram over
fixed buckets (:mod:`kefu.reports.buckets`).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.reports import queries
from kefu.reports.buckets import BUCKET_BOUNDS, bucket_labels, histogram
from kefu.reports.models import Bucket, DayCount, Distribution, PeriodOut, Rate, Report
from kefu.reports.period import ReportPeriod
from kefu.store.database import Database


def rate(count: int, of: int) -> Rate:
    """``count`` out of ``of`` with its ratio (null when ``of`` is 0)."""
    return Rate(value=count / of if of else None, count=count, of=of)


class ReportService:
    """Answers report queries from the store, through read connections only."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def report(self, period: ReportPeriod) -> Report:
        """Every figure for ``period``."""
        async with self._db.read() as conn:
            days = await self._per_day(conn, period)
            row = (await conn.execute(queries.totals(period))).one()
            started, closed, by_bot, handed = (int(v or 0) for v in row)
            first_response = await self._distribution(conn, queries.first_response_seconds(period))
            resolution = await self._distribution(conn, queries.resolution_seconds(period))
        return Report(
            period=PeriodOut(
                days=period.days,
                tz=period.zone_name,
                first_day=period.first_day,
                last_day=period.first_day + timedelta(days=period.days - 1),
                start=period.start,
                end=period.end,
            ),
            conversations=started,
            per_day=days,
            bot_resolution=rate(by_bot, closed),
            handoff=rate(handed, started),
            first_response=first_response,
            resolution=resolution,
        )

    @staticmethod
    async def _per_day(conn: AsyncConnection, period: ReportPeriod) -> list[DayCount]:
        counts = [0] * period.days
        for index, count in await conn.execute(queries.per_day(period)):
            # Clock changes at midnight can put a first-minute conversation a day early.
            counts[min(max(int(index), 0), period.days - 1)] += int(count)
        return [DayCount(day, n) for day, n in zip(period.day_list, counts, strict=True)]

    @staticmethod
    async def _distribution(conn: AsyncConnection, durations: sa.Subquery) -> Distribution:
        counts: dict[int, int] = {}
        p50 = p90 = None
        for index, n, median, ninetieth in await conn.execute(queries.distribution(durations)):
            counts[int(index)] = int(n)
            p50 = float(median) if median is not None else p50
            p90 = float(ninetieth) if ninetieth is not None else p90
        bounds: list[int | None] = [*BUCKET_BOUNDS, None]
        buckets = [
            Bucket(label, le, n)
            for label, le, n in zip(bucket_labels(), bounds, histogram(counts), strict=True)
        ]
        return Distribution(count=sum(counts.values()), p50=p50, p90=p90, buckets=buckets)
