"""``/api/audit``: query, export and verify the audit trail (supervisors and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from kefu.security.audit import export_csv
from kefu.security.guards import allow
from kefu.security.roles import OVERSIGHT_ROLES
from kefu.security.service import security_state
from kefu.store.schema import SQL_INT_MAX


class AuditController(Controller):
    """The audit trail, read-only."""

    path = "/api/audit"
    tags = ["audit"]  # noqa: RUF012
    guards = [allow(OVERSIGHT_ROLES)]  # noqa: RUF012

    @get("/")
    async def entries(
        self,
        request: Request[Any, Any, Any],
        actor: Annotated[str | None, QueryParameter(max_length=128)] = None,
        action: Annotated[str | None, QueryParameter(max_length=128)] = None,
        subject: Annotated[str | None, QueryParameter(max_length=256)] = None,
        since: datetime | None = None,
        after_id: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 0,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=SQL_INT_MAX)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """Entries matching every filter: oldest first, paged with ``after_id``; or newest
        first, paged with ``before_id`` (pass the largest id, e.g. 9223372036854775807, for the
        latest page)."""
        found = await security_state(request).audit.query(
            actor=actor,
            action=action,
            subject=subject,
            since=since,
            after_id=after_id,
            before_id=before_id,
            limit=limit,
        )
        return [r.to_dict() for r in found]

    @get("/export")
    async def export(
        self,
        request: Request[Any, Any, Any],
        format: Literal["csv", "json"] = "json",
        since: datetime | None = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100_000)] = 10_000,
    ) -> Response[Any]:
        """A download of the trail as CSV or JSON."""
        found = await security_state(request).audit.query(since=since, limit=limit)
        if format == "csv":
            return Response(
                export_csv(found),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": 'attachment; filename="kefu-audit.csv"'},
            )
        return Response(
            [r.to_dict() for r in found],
            headers={"content-disposition": 'attachment; filename="kefu-audit.json"'},
        )

    @get("/verify")
    async def verify(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Recompute the hash chain: ``ok`` and every problem found."""
        problems = await security_state(request).audit.verify()
        return {
            "ok": not problems,
            "problems": [
                {"entry_id": p.entry_id, "kind": p.kind, "detail": p.detail} for p in problems
            ],
        }
