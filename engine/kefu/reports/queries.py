"""The SQL statements behind a report (SQLAlchemy Core, portable to SQLite and PostgreSQL).

Every figure is about the conversations *started* in the period (``created_at`` inside it).
A conversation counts as handed off once it was queued for a human or given to an agent
(``queued_at``, ``assigned_at`` or ``agent_id`` set: the store never clears them).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time

import sqlalchemy as sa

from kefu.reports.buckets import bucket_case, nearest_rank_sql
from kefu.reports.period import ReportPeriod
from kefu.reports.sqltime import seconds_between, unix_seconds
from kefu.store import schema
from kefu.store.records import ConversationStatus, SenderKind

_c = schema.conversations
_m = schema.messages
_SECONDS_PER_DAY = 86_400


def started_in(period: ReportPeriod) -> sa.ColumnElement[bool]:
    """Conversations created inside the period."""
    return sa.and_(_c.c.created_at >= period.start, _c.c.created_at < period.end)


def handed_off() -> sa.ColumnElement[bool]:
    """Conversations that were ever queued for a human or assigned to an agent."""
    return sa.or_(
        _c.c.queued_at.is_not(None), _c.c.assigned_at.is_not(None), _c.c.agent_id.is_not(None)
    )


def closed() -> sa.ColumnElement[bool]:
    """Closed conversations."""
    return _c.c.status == ConversationStatus.CLOSED.value


def local_day(period: ReportPeriod) -> sa.ColumnElement[int]:
    """0-based index of the local day (in the period's zone) a conversation started on."""
    segments = period.offset_segments()
    offset: sa.ColumnElement[int]
    if len(segments) == 1:
        offset = sa.literal(segments[0].seconds, sa.Integer)
    else:
        offset = sa.case(
            *[
                (_c.c.created_at < later.start, earlier.seconds)
                for earlier, later in itertools.pairwise(segments)
            ],
            else_=segments[-1].seconds,
        )
    # Local wall-clock seconds, counted from the first local midnight read as if it were UTC.
    origin = int(datetime.combine(period.first_day, time(0), tzinfo=UTC).timestamp())
    return (unix_seconds(_c.c.created_at) + offset - origin) // _SECONDS_PER_DAY


def per_day(period: ReportPeriod) -> sa.Select[int, int]:
    """Rows of (local day index, conversations started that day), days without any left out."""
    days = sa.select(local_day(period).label("day")).where(started_in(period)).subquery("days")
    return sa.select(days.c.day, sa.func.count()).group_by(days.c.day).order_by(days.c.day)


def totals(period: ReportPeriod) -> sa.Select[int, int, int, int]:
    """One row: conversations started, closed, closed without a hand-off, handed off."""
    return sa.select(
        sa.func.count(),
        sa.func.count().filter(closed()),
        sa.func.count().filter(sa.and_(closed(), sa.not_(handed_off()))),
        sa.func.count().filter(handed_off()),
    ).where(started_in(period))


def resolution_seconds(period: ReportPeriod) -> sa.Subquery:
    """``seconds`` from start to close of every closed conversation started in the period."""
    return (
        sa.select(seconds_between(_c.c.created_at, _c.c.closed_at).label("seconds"))
        .where(started_in(period), closed(), _c.c.closed_at.is_not(None))
        .subquery("resolution")
    )


def first_response_seconds(period: ReportPeriod) -> sa.Subquery:
    """``seconds`` from hand-off to the first agent message, per answered hand-off.

    The hand-off moment is ``queued_at`` (when the conversation joined the queue), or
    ``assigned_at`` for one given to an agent without queueing. The first agent message is
    the earliest one at or after that moment that a filter did not block (the visitor saw it).
    """
    handed_at = sa.func.coalesce(_c.c.queued_at, _c.c.assigned_at)
    answered = (
        sa.select(handed_at.label("handed_at"), sa.func.min(_m.c.created_at).label("answered_at"))
        .select_from(_c)
        .join(
            _m,
            sa.and_(
                _m.c.conversation_id == _c.c.id,
                _m.c.sender_kind == SenderKind.AGENT.value,
                _m.c.blocked == sa.false(),
                _m.c.created_at >= handed_at,
            ),
        )
        .where(started_in(period), handed_at.is_not(None))
        .group_by(_c.c.id, _c.c.queued_at, _c.c.assigned_at)
        .subquery("answered")
    )
    return sa.select(
        seconds_between(answered.c.handed_at, answered.c.answered_at).label("seconds")
    ).subquery("first_response")


def distribution(durations: sa.Subquery) -> sa.Select[int, int, float | None, float | None]:
    """Rows of (bucket index, durations in it, median, 90th percentile), in one pass.

    The percentiles are nearest-rank ones; each is given only on the row of the bucket it
    falls in (null on the others). Empty buckets are left out.
    """
    ranked = sa.select(
        durations.c.seconds,
        bucket_case(durations.c.seconds).label("bucket"),
        sa.func.row_number().over(order_by=durations.c.seconds).label("rank"),
        sa.func.count().over().label("total"),
    ).subquery("ranked")

    def at(percentile: int) -> sa.ColumnElement[float | None]:
        rank = nearest_rank_sql(ranked.c.total, percentile)
        return sa.func.max(sa.case((ranked.c.rank == rank, ranked.c.seconds)))

    return sa.select(ranked.c.bucket, sa.func.count(), at(50), at(90)).group_by(ranked.c.bucket)
