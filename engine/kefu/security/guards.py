"""Litestar guards: every protected route names the roles (and API-key scopes) it admits.

A guard authenticates the caller once per request (``Authorization: Bearer <access token>`` or
``X-API-Key``), keeps the result in the request scope for handlers (:func:`request_caller`),
and refuses with 401 (no or bad credentials) or 403 (wrong role or scope).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from kefu.gateway.auth import InvalidTokenError
from kefu.security.apikeys import ApiKeyError
from kefu.security.roles import Role
from kefu.security.service import Caller, security_state

API_KEY_HEADER = "x-api-key"
_SCOPE_KEY = "kefu.caller"

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The bearer token of ``Authorization``, if any."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    """The caller of a request (cached in its scope); raises NotAuthorizedException."""
    cached = connection.scope.get(_SCOPE_KEY)  # type: ignore[typeddict-item]
    if isinstance(cached, Caller):
        return cached
    security = security_state(connection)
    token = bearer_token(connection)
    key = connection.headers.get(API_KEY_HEADER)
    if token is not None:
        try:
            identity = security.verify_access(token)
        except InvalidTokenError as exc:
            raise NotAuthorizedException(str(exc)) from exc
        caller = Caller("agent", identity.agent_id, role=Role(identity.role), identity=identity)
    elif key:
        try:
            info = await security.verify_api_key(key)
        except ApiKeyError as exc:
            raise NotAuthorizedException(str(exc)) from exc
        caller = Caller("api_key", info.id, scopes=frozenset(info.scopes))
    else:
        raise NotAuthorizedException(
            "send Authorization: Bearer <access token> (or X-API-Key where keys are accepted)"
        )
    connection.scope[_SCOPE_KEY] = caller  # type: ignore[literal-required]
    return caller


def request_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    """The caller a guard authenticated for this request."""
    caller = connection.scope.get(_SCOPE_KEY)  # type: ignore[typeddict-item]
    if not isinstance(caller, Caller):
        raise NotAuthorizedException("this route has no authentication guard")
    return caller


def allow(roles: Iterable[Role] = (), scopes: Iterable[str] = ()) -> Guard:
    """A guard admitting people in ``roles`` and API keys holding any of ``scopes``.

    An ``admin`` key scope admits a key wherever ``scopes`` is non-empty.
    """
    role_set = frozenset(roles)
    scope_set = frozenset(scopes)

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        caller = await authenticate(connection)
        if caller.kind == "agent":
            if caller.role not in role_set:
                allowed = ", ".join(sorted(r.value for r in role_set)) or "no person"
                raise PermissionDeniedException(
                    f"role {caller.role.value if caller.role else '?'!r} may not do this "
                    f"(allowed: {allowed})"
                )
            return
        if not scope_set:
            raise PermissionDeniedException("API keys are not accepted here")
        if not (caller.scopes & (scope_set | {"admin"})):
            raise PermissionDeniedException(
                f"this needs an API key with one of the scopes {sorted(scope_set)}"
            )

    guard.__name__ = f"allow_{'_'.join(sorted(r.value for r in role_set))}"
    return guard
