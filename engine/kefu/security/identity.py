"""Visitor identity verification: the business signs its user id, Kefu links only on a match.

The business's web page computes ``hex(HMAC-SHA256(identity_secret, customer_id))`` server-side
and hands it to the widget, which calls ``POST /api/visitors/identify`` with its visitor token.
Without the secret nobody can produce a signature for another customer's id, so a visitor
cannot claim someone else's orders; a bad signature links nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from kefu.gateway.auth import InvalidTokenError
from kefu.gateway.state import gateway_state
from kefu.integration.http import integration_state
from kefu.security.service import security_state
from kefu.store.errors import ConversationNotFoundError
from kefu.store.repositories import AuditLog


def identity_signature(secret: str, customer_id: str) -> str:
    """The signature the business computes for ``customer_id``."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def identity_valid(secret: str, customer_id: str, signature: str) -> bool:
    """Whether ``signature`` is the business's signature of ``customer_id`` (constant time)."""
    return bool(secret) and hmac.compare_digest(
        identity_signature(secret, customer_id), signature.strip().lower()
    )


class IdentifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A visitor's claim to be a business customer, with the business's signature."""

    visitor_token: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    conversation_id: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    customer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    signature: Annotated[str, msgspec.Meta(min_length=64, max_length=64)]


class VisitorIdentityController(Controller):
    """``POST /api/visitors/identify``: link the visitor's conversation to a verified customer."""

    path = "/api/visitors"
    tags = ["visitors"]  # noqa: RUF012

    @post("/identify", status_code=HTTP_200_OK)
    async def identify(
        self, request: Request[Any, Any, Any], data: JSONBody[IdentifyRequest]
    ) -> dict[str, Any]:
        """401 for a bad visitor token, 403 for a bad signature; nothing is linked then."""
        security = security_state(request)
        secret = security.settings.identity_secret
        if not secret:
            raise NotFoundException("identity verification is not enabled on this server")
        try:
            visitor_id = security.signer.verify_visitor(data.visitor_token)
        except InvalidTokenError as exc:
            raise NotAuthorizedException(str(exc)) from exc
        try:
            conversation = await gateway_state(request).service.get(data.conversation_id)
        except ConversationNotFoundError as exc:
            raise NotFoundException(f"no conversation {data.conversation_id!r}") from exc
        if conversation.visitor_id != visitor_id:
            raise NotFoundException(f"no conversation {data.conversation_id!r}")
        if not identity_valid(secret, data.customer_id, data.signature):
            async with security.database.write() as conn:
                await AuditLog(conn).record(
                    f"visitor:{visitor_id}",
                    "visitor.identify_refused",
                    f"conversation:{conversation.id}",
                    {"customer_id": data.customer_id},
                )
            raise PermissionDeniedException("the identity signature does not match")
        hints = integration_state(request).hints
        if hints is None:
            raise NotFoundException("customer links need the integration module")
        await hints.on_chat_opened(conversation.id, data.customer_id)
        async with security.database.write() as conn:
            await AuditLog(conn).record(
                f"visitor:{visitor_id}",
                "visitor.identified",
                f"customer:{data.customer_id}",
                {"conversation_id": conversation.id},
            )
        return {"conversation_id": conversation.id, "customer_id": data.customer_id}
