"""The period of a report: the last N calendar days in a time zone, and its day boundaries.

A period covers whole local days: from the local midnight ``days - 1`` days before today to
the next local midnight after today. Day boundaries follow the zone's rules, so a day in a zone
that moves its clocks lasts 23 or 25 hours. Inside SQL a local day is found by adding the UTC
offset that was in force at an instant; :meth:`ReportPeriod.offset_segments` lists those
offsets (one per clock change inside the period).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Days a report covers unless asked otherwise, and the most it may cover.
DEFAULT_DAYS = 14
MAX_DAYS = 366
#: The longest zone name accepted (IANA names are far shorter).
MAX_TZ_LENGTH = 64

_OFFSET = re.compile(r"^(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})$")
_UTC_NAMES = frozenset({"utc", "z", "gmt"})


class PeriodError(ValueError):
    """A report period was asked for with an unusable ``days`` or ``tz``."""


def parse_zone(text: str) -> tzinfo:
    """The time zone named by ``text``: ``UTC``, an offset like ``+08:00``, or an IANA name.

    Raises PeriodError naming what is accepted.
    """
    value = text.strip()
    if not value or len(value) > MAX_TZ_LENGTH:
        raise PeriodError(
            f"tz must be 1 to {MAX_TZ_LENGTH} characters: an offset like +08:00 or an "
            "IANA zone name like Asia/Shanghai"
        )
    if value.lower() in _UTC_NAMES:
        return UTC
    match = _OFFSET.match(value)
    if match is not None:
        hours, minutes = int(match["hours"]), int(match["minutes"])
        if minutes >= 60 or hours * 60 + minutes > 14 * 60:
            raise PeriodError(f"tz offset {value!r} is out of range (-14:00 to +14:00)")
        sign = -1 if match["sign"] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(
            f"unknown time zone {value!r}: use an offset like +08:00 or an IANA zone name "
            "like Asia/Shanghai"
        ) from exc


@dataclass(frozen=True, slots=True)
class OffsetSegment:
    """From ``start`` (UTC, inclusive) until the next segment, local time is UTC + ``seconds``."""

    start: datetime
    seconds: int


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Whole local days ending today in one time zone."""

    days: int
    zone: tzinfo
    #: What the caller asked for (shown back in the report).
    zone_name: str
    #: The first local day of the period.
    first_day: date

    @classmethod
    def ending_today(
        cls, days: int = DEFAULT_DAYS, tz: str = "UTC", *, now: datetime | None = None
    ) -> ReportPeriod:
        """The last ``days`` local days (today included) in zone ``tz``; raises PeriodError."""
        if isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            raise PeriodError(f"days must be between 1 and {MAX_DAYS}, not {days!r}")
        zone = parse_zone(tz)
        today = (now or datetime.now(UTC)).astimezone(zone).date()
        return cls(days, zone, tz.strip(), today - timedelta(days=days - 1))

    @property
    def day_list(self) -> list[date]:
        """Every local day of the period, oldest first."""
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def midnight(self, day: date) -> datetime:
        """The UTC instant at which local ``day`` begins."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    @property
    def start(self) -> datetime:
        """The first instant of the period (UTC, inclusive)."""
        return self.midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The instant after the period (UTC, exclusive): the local midnight after today."""
        return self.midnight(self.first_day + timedelta(days=self.days))

    def offset_at(self, instant: datetime) -> int:
        """The zone's UTC offset in seconds at ``instant``."""
        offset = instant.astimezone(self.zone).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def offset_segments(self) -> list[OffsetSegment]:
        """The zone's UTC offsets in force during the period, one segment per clock change."""
        segments = [OffsetSegment(self.start, self.offset_at(self.start))]
        days = self.day_list
        for day in days:
            low, high = self.midnight(day), self.midnight(day + timedelta(days=1))
            if self.offset_at(low) == self.offset_at(high):
                continue  # zones change clocks at most once a day
            segments.append(OffsetSegment(self._change_after(low, high), self.offset_at(high)))
        return segments

    def _change_after(self, low: datetime, high: datetime) -> datetime:
        """The first whole second in (low, high] with the offset in force at ``high``."""
        before = self.offset_at(low)
        lo, hi = 0, int((high - low).total_seconds())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.offset_at(low + timedelta(seconds=mid)) == before:
                lo = mid
            else:
                hi = mid
        return low + timedelta(seconds=hi)
