"""``/api/unmask``: ask to see one customer field in clear; supervisors decide when required."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from kefu.security.guards import allow, request_caller
from kefu.security.roles import CHAT_ROLES, Role
from kefu.security.service import security_state
from kefu.security.unmask import UnmaskError

#: The shortest reason accepted (after surrounding spaces are removed).
MIN_REASON = 5


class UnmaskRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Which field of which customer, and why."""

    customer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    field: Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[\w.]+$")]
    reason: Annotated[str, msgspec.Meta(min_length=5, max_length=500)]


class UnmaskController(Controller):
    """Unmask requests and decisions."""

    path = "/api/unmask"
    tags = ["unmask"]  # noqa: RUF012
    guards = [allow(CHAT_ROLES)]  # noqa: RUF012

    @post("/", status_code=HTTP_201_CREATED)
    async def request_unmask(
        self, request: Request[Any, Any, Any], data: JSONBody[UnmaskRequest]
    ) -> dict[str, Any]:
        """Ask to see ``field`` (a dotted path in the customer context) for a while."""
        reason = data.reason.strip()
        if len(reason) < MIN_REASON:
            raise ClientException(f"give a reason of at least {MIN_REASON} characters")
        caller = request_caller(request)
        security = security_state(request)
        approve = caller.role is Role.SUPERVISOR or not security.unmask.requires_approval
        grant = await security.unmask.request(
            caller.id, data.customer_id, data.field, reason, approve=approve
        )
        return grant.to_dict()

    @get("/pending", guards=[allow({Role.SUPERVISOR})])
    async def pending(self, request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
        """Requests waiting for a supervisor."""
        return [g.to_dict() for g in await security_state(request).unmask.pending()]

    @post("/{grant_id:str}/approve", status_code=HTTP_200_OK, guards=[allow({Role.SUPERVISOR})])
    async def approve(
        self, request: Request[Any, Any, Any], grant_id: FromPath[str]
    ) -> dict[str, Any]:
        """Approve a pending request (it runs for ``unmask_ttl`` seconds from now)."""
        return await _decide(request, grant_id, approve=True)

    @post("/{grant_id:str}/deny", status_code=HTTP_200_OK, guards=[allow({Role.SUPERVISOR})])
    async def deny(
        self, request: Request[Any, Any, Any], grant_id: FromPath[str]
    ) -> dict[str, Any]:
        """Deny a pending request."""
        return await _decide(request, grant_id, approve=False)


async def _decide(
    request: Request[Any, Any, Any], grant_id: str, *, approve: bool
) -> dict[str, Any]:
    caller = request_caller(request)
    try:
        grant = await security_state(request).unmask.decide(grant_id, caller.id, approve=approve)
    except UnmaskError as exc:
        raise ClientException(str(exc), status_code=409) from exc
    return grant.to_dict()
