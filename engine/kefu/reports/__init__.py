"""Reports over Kefu's store: conversations per day, rates, response and resolution times.

* :class:`ReportPeriod` — the last N local days in a time zone (validated).
* :class:`ReportService` — computes a :class:`Report` for a period, aggregating in SQL.
* :class:`ReportController` (in :mod:`kefu.reports.http`) — ``GET /api/reports``.
"""

from kefu.reports.models import Bucket, DayCount, Distribution, PeriodOut, Rate, Report
from kefu.reports.period import DEFAULT_DAYS, MAX_DAYS, PeriodError, ReportPeriod, parse_zone
from kefu.reports.service import ReportService

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "Bucket",
    "DayCount",
    "Distribution",
    "PeriodError",
    "PeriodOut",
    "Rate",
    "Report",
    "ReportPeriod",
    "ReportService",
    "parse_zone",
]
