"""Report periods: which zone names and offsets are accepted, day boundaries, clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kefu.reports.period import MAX_DAYS, OffsetSegment, PeriodError, ReportPeriod, parse_zone

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "offset_hours"),
    [("UTC", 0), ("z", 0), ("+08:00", 8), ("+0800", 8), ("-05:30", -5.5), ("+14:00", 14)],
)
def test_offsets_and_utc_are_accepted(text: str, offset_hours: float) -> None:
    offset = datetime(2026, 1, 1, tzinfo=parse_zone(text)).utcoffset()
    assert offset == timedelta(hours=offset_hours)


def test_iana_names_are_accepted() -> None:
    zone = parse_zone(" Asia/Shanghai ")
    assert datetime(2026, 1, 1, tzinfo=zone).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "1 to 64 characters"),
        ("x" * 65, "1 to 64 characters"),
        ("+15:00", "out of range"),
        ("+08:75", "out of range"),
        ("8", "unknown time zone"),
        ("Mars/Olympus_Mons", "unknown time zone"),
        ("../../etc/passwd", "unknown time zone"),
        ("/etc/localtime", "unknown time zone"),
    ],
)
def test_bad_zones_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_zone(text)


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1, True])
def test_days_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(PeriodError, match="days must be between 1 and 366"):
        ReportPeriod.ending_today(days, now=NOW)


def test_period_covers_whole_local_days_ending_today() -> None:
    period = ReportPeriod.ending_today(14, "+08:00", now=NOW)
    assert period.first_day == date(2026, 2, 25)
    assert period.day_list[-1] == date(2026, 3, 10)
    assert len(period.day_list) == 14
    assert period.start == datetime(2026, 2, 24, 16, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert period.offset_segments() == [OffsetSegment(period.start, 8 * 3600)]


def test_today_is_the_local_date() -> None:
    # 12:00 UTC is already the next day in Kiritimati (+14:00).
    assert ReportPeriod.ending_today(1, "+14:00", now=NOW).first_day == date(2026, 3, 11)
    assert ReportPeriod.ending_today(1, "-12:00", now=NOW).first_day == date(2026, 3, 10)


def test_clock_changes_split_the_offsets() -> None:
    # New York moves to summer time at 02:00 on Sunday 8 March 2026 (07:00 UTC).
    period = ReportPeriod.ending_today(4, "America/New_York", now=NOW)
    assert period.first_day == date(2026, 3, 7)
    assert period.start == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 11, 4, 0, tzinfo=UTC)
    assert period.offset_segments() == [
        OffsetSegment(period.start, -5 * 3600),
        OffsetSegment(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), -4 * 3600),
    ]
    assert period.end - period.start == timedelta(days=4, hours=-1)
