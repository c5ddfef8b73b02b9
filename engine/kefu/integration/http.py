"""HTTP controllers of the integration module: webhooks in, agent actions out (mounted by app.py).

Handlers are thin: they read the request, call the integration objects found in the app state
under :data:`INTEGRATION_STATE_KEY`, and turn errors into JSON answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.params import FromPath

from kefu.contracts import BusinessAdapter
from kefu.integration.actions import ActionProxy
from kefu.integration.errors import ActionError, WebhookError
from kefu.integration.hints import HintEngine
from kefu.integration.permissions import Principal
from kefu.integration.signing import SIGNATURE_HEADER
from kefu.integration.webhooks import WebhookIngestor
from kefu.security.guards import allow, authenticate
from kefu.security.roles import CHAT_ROLES
from kefu.security.service import security_state

INTEGRATION_STATE_KEY = "kefu.integration"


@dataclass(frozen=True, slots=True)
class IntegrationHttpState:
    """What the integration handlers need; ``principal`` resolves the caller of an action."""

    ingestor: WebhookIngestor
    actions: ActionProxy | None = None
    principal: Any = None  # Callable[[ASGIConnection], Awaitable[Principal]]
    hints: HintEngine | None = None
    context: BusinessAdapter | None = None


def integration_state(connection: ASGIConnection[Any, Any, Any, Any]) -> IntegrationHttpState:
    """The integration state of the app serving ``connection``."""
    state: IntegrationHttpState = connection.app.state[INTEGRATION_STATE_KEY]
    return state


def _json_error(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(body, status_code=status)


async def _read_capped(request: Request[Any, Any, Any], limit: int) -> bytes | int:
    """The body, or its size so far once it exceeds ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return size
        chunks.append(chunk)
    return b"".join(chunks)


class WebhookController(Controller):
    """``POST /integration/webhooks/{sender}``: signed CloudEvents from business systems."""

    path = "/integration/webhooks"

    @post("/{sender:str}", status_code=202)
    async def receive(
        self, request: Request[Any, Any, Any], sender: FromPath[str]
    ) -> Response[Any]:
        """Accept one event: 202 once durably stored, 200 for a duplicate, 4xx when refused."""
        ingestor = integration_state(request).ingestor
        try:
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit():
                ingestor.check_size(int(declared))
            body = await _read_capped(request, ingestor.max_body)
            if isinstance(body, int):
                ingestor.check_size(body)
                raise AssertionError("unreachable: the size check raises")
            result = await ingestor.ingest(sender, request.headers.get(SIGNATURE_HEADER), body)
        except WebhookError as exc:
            return _json_error(exc.status, exc.body())
        return Response(result.body(), status_code=result.status_code)


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``POST /integration/actions``."""

    kind: str
    customer_id: str
    params: dict[str, Any]
    idempotency_key: str
    conversation_id: str | None = None


class ActionController(Controller):
    """``POST /integration/actions``: an agent's refund, coupon or order flag."""

    path = "/integration/actions"
    guards = [allow(CHAT_ROLES, {"actions:execute"})]  # noqa: RUF012

    @post("/", status_code=200)
    async def perform(self, request: Request[Any, Any, Any], data: ActionIn) -> Response[Any]:
        """Run the action through the proxy; the answer is the action's outcome."""
        state = integration_state(request)
        if state.actions is None or state.principal is None:
            return _json_error(503, {"error": "actions_disabled", "detail": "no action proxy"})
        try:
            principal: Principal = await state.principal(request)
        except Exception as exc:
            return _json_error(401, {"error": "unauthenticated", "detail": str(exc)})
        try:
            outcome = await state.actions.submit(
                principal,
                kind=data.kind,
                customer_id=data.customer_id,
                params=data.params,
                idempotency_key=data.idempotency_key,
                conversation_id=data.conversation_id,
            )
        except ActionError as exc:
            return _json_error(exc.status, {"error": exc.code, "detail": exc.detail})
        return Response(outcome.to_dict(), status_code=200 if outcome.ok else 502)


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``POST /integration/conversations/{conversation_id}/customer``."""

    customer_id: str


class CustomerLinkController(Controller):
    """Ties a conversation to a business customer (the workbench, once the visitor is known)."""

    path = "/integration/conversations"
    guards = [allow(CHAT_ROLES)]  # noqa: RUF012

    @post("/{conversation_id:str}/customer", status_code=200)
    async def link(
        self, request: Request[Any, Any, Any], conversation_id: FromPath[str], data: LinkIn
    ) -> Response[Any]:
        """Record the link and return the hints it produced (also pushed to the agent)."""
        state = integration_state(request)
        if state.hints is None or state.principal is None:
            return _json_error(503, {"error": "hints_disabled", "detail": "no hint engine"})
        try:
            principal: Principal = await state.principal(request)
        except Exception as exc:
            return _json_error(401, {"error": "unauthenticated", "detail": str(exc)})
        customer = data.customer_id.strip()
        if not customer or len(customer) > 128 or not conversation_id or len(conversation_id) > 32:
            return _json_error(
                422, {"error": "invalid_link", "detail": "ids must be 1-128 (conversation 1-32)"}
            )
        if not await state.hints.conversation_exists(conversation_id):
            return _json_error(
                404,
                {
                    "error": "conversation_not_found",
                    "detail": f"no conversation {conversation_id!r}",
                },
            )
        hints = await state.hints.on_chat_opened(conversation_id, customer, agent_id=principal.id)
        return Response(
            {
                "conversation_id": conversation_id,
                "customer_id": customer,
                "hints": [h.to_event().data for h in hints],
            },
            status_code=200,
        )


class CustomerContextController(Controller):
    """``GET /integration/customers/{customer_id}/context``: what the workbench shows."""

    path = "/integration/customers"
    guards = [allow(CHAT_ROLES, {"context:read"})]  # noqa: RUF012

    @get("/{customer_id:str}/context")
    async def context(
        self, request: Request[Any, Any, Any], customer_id: FromPath[str]
    ) -> Response[Any]:
        """The assembled customer context (degraded sources named), for an agent."""
        state = integration_state(request)
        if state.context is None or state.principal is None:
            return _json_error(503, {"error": "context_disabled", "detail": "no business source"})
        try:
            await state.principal(request)
        except Exception as exc:
            return _json_error(401, {"error": "unauthenticated", "detail": str(exc)})
        try:
            found = await state.context.customer_context(customer_id)
        except ValueError as exc:
            return _json_error(422, {"error": "invalid_customer", "detail": str(exc)})
        # Personal data leaves masked by the caller's role, minus their unmask grants.
        sections = await security_state(request).mask_for(
            await authenticate(request), customer_id, dict(found.sections)
        )
        return Response(
            {
                "customer_id": found.customer_id,
                "sections": sections,
                "degraded": list(found.degraded),
            }
        )
