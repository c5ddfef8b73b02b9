"""The report as ``GET /api/reports`` returns it (msgspec structs, so it is in the OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class PeriodOut(msgspec.Struct):
    """The days a report covers: ``start`` inclusive, ``end`` exclusive, both UTC instants."""

    days: int
    tz: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime


class DayCount(msgspec.Struct):
    """Conversations started on one local day."""

    day: date
    conversations: int


class Rate(msgspec.Struct):
    """``count`` out of ``of``; ``value`` is their ratio, null when ``of`` is 0."""

    value: float | None
    count: int
    of: int


class Bucket(msgspec.Struct):
    """Durations in ``(previous bound, le]`` seconds; ``le`` null is the open last bucket."""

    label: str
    le: int | None
    count: int


class Distribution(msgspec.Struct):
    """Durations in seconds: how many, nearest-rank median and 90th percentile, a histogram."""

    count: int
    p50: float | None
    p90: float | None
    buckets: list[Bucket]


class Report(msgspec.Struct):
    """Figures over the conversations started in the period (see docs/web.md, Reports)."""

    period: PeriodOut
    conversations: int
    per_day: list[DayCount]
    bot_resolution: Rate
    handoff: Rate
    first_response: Distribution
    resolution: Distribution
