"""``GET /api/reports``: conversation figures for the admin page (supervisors and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.exceptions import ClientException
from litestar.params import QueryParameter

from kefu.gateway.state import gateway_state
from kefu.reports.models import Report
from kefu.reports.period import DEFAULT_DAYS, MAX_DAYS, MAX_TZ_LENGTH, PeriodError, ReportPeriod
from kefu.reports.service import ReportService
from kefu.security.guards import allow
from kefu.security.roles import OVERSIGHT_ROLES


class ReportController(Controller):
    """Reports computed over the whole store."""

    path = "/api/reports"
    tags = ["reports"]  # noqa: RUF012
    guards = [allow(OVERSIGHT_ROLES)]  # noqa: RUF012

    @get("/")
    async def report(
        self,
        request: Request[Any, Any, Any],
        days: Annotated[
            int,
            QueryParameter(ge=1, le=MAX_DAYS, description="Local days covered, today included."),
        ] = DEFAULT_DAYS,
        tz: Annotated[
            str,
            QueryParameter(
                min_length=1,
                max_length=MAX_TZ_LENGTH,
                description="Where days begin: UTC, an offset like +08:00, or an IANA zone "
                "name like Asia/Shanghai.",
            ),
        ] = "UTC",
    ) -> Report:
        """Conversations per day, bot resolution and handoff rates, response and resolution
        times, over the conversations started in the last ``days`` days."""
        try:
            period = ReportPeriod.ending_today(days, tz)
        except PeriodError as exc:
            raise ClientException(str(exc)) from exc
        return await ReportService(gateway_state(request).database).report(period)
