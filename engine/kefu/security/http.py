"""HTTP routes of the security module: token refresh and logout, API key administration."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotAuthorizedException, NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from kefu.gateway.auth import InvalidTokenError
from kefu.security.apikeys import ApiKeyError
from kefu.security.guards import allow, request_caller
from kefu.security.refresh import RefreshError
from kefu.security.roles import ALL_ROLES, Role
from kefu.security.service import Session, security_state
from kefu.store.repositories import AuditLog


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A refresh token to rotate."""

    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class LogoutRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The refresh token whose family ends with this logout (optional)."""

    refresh_token: Annotated[str, msgspec.Meta(max_length=256)] | None = None


class TokenPair(msgspec.Struct):
    """An access token (short-lived JWT) and the refresh token that renews it."""

    token: str
    refresh_token: str
    expires_in: int
    role: str
    agent_id: str


def token_pair(session: Session) -> TokenPair:
    """The wire form of a session."""
    return TokenPair(
        token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        role=session.role,
        agent_id=session.agent.id,
    )


class AuthController(Controller):
    """``/api/auth``: renew and end sessions (log in at ``POST /api/agents/login``)."""

    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012

    @post("/refresh", status_code=HTTP_200_OK)
    async def refresh(
        self, request: Request[Any, Any, Any], data: JSONBody[RefreshRequest]
    ) -> TokenPair:
        """Rotate a refresh token: a new pair; a reused token ends its whole family (401)."""
        try:
            session = await security_state(request).refresh(data.refresh_token)
        except (RefreshError, InvalidTokenError) as exc:
            raise NotAuthorizedException(str(exc)) from exc
        return token_pair(session)

    @post("/logout", status_code=HTTP_200_OK, guards=[allow(ALL_ROLES)])
    async def logout(
        self, request: Request[Any, Any, Any], data: JSONBody[LogoutRequest]
    ) -> dict[str, bool]:
        """Revoke the presented access token on every process, and the refresh family."""
        caller = request_caller(request)
        assert caller.identity is not None  # allow() with roles only admits agent tokens
        await security_state(request).logout(caller.identity, data.refresh_token)
        return {"revoked": True}


class KeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new API key's name and scopes."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    scopes: Annotated[list[str], msgspec.Meta(min_length=1, max_length=8)]


class KeyRotate(msgspec.Struct, forbid_unknown_fields=True):
    """How long the old key keeps working (default: the ``key_overlap`` setting)."""

    overlap_seconds: Annotated[float, msgspec.Meta(ge=0, le=30 * 86400)] | None = None


class KeyIssued(msgspec.Struct):
    """A new key: ``key`` is shown this once and stored only as a hash."""

    key: str
    id: str
    name: str
    scopes: list[str]


class KeyController(Controller):
    """``/api/admin/keys``: API keys of business systems (admins only)."""

    path = "/api/admin/keys"
    tags = ["admin"]  # noqa: RUF012
    guards = [allow({Role.ADMIN}, {"admin"})]  # noqa: RUF012

    @get("/")
    async def list_keys(self, request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
        """Every key (never its secret)."""
        return [k.to_dict() for k in await security_state(request).api_keys.list()]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_key(
        self, request: Request[Any, Any, Any], data: JSONBody[KeyCreate]
    ) -> KeyIssued:
        """Create a key with scopes among events:write, context:read, actions:execute, admin."""
        try:
            issued = await security_state(request).api_keys.create(data.name, data.scopes)
        except ApiKeyError as exc:
            raise ClientException(str(exc)) from exc
        await _audit(request, "apikey.create", issued.info.id, {"scopes": data.scopes})
        info = issued.info
        return KeyIssued(key=issued.key, id=info.id, name=info.name, scopes=list(info.scopes))

    @post("/{key_id:str}/rotate", status_code=HTTP_200_OK)
    async def rotate_key(
        self,
        request: Request[Any, Any, Any],
        key_id: FromPath[str],
        data: JSONBody[KeyRotate | None] = None,
    ) -> KeyIssued:
        """Issue a successor; the old key keeps working for the overlap window."""
        security = security_state(request)
        overlap = security.settings.key_overlap
        if data is not None and data.overlap_seconds is not None:
            overlap = data.overlap_seconds
        try:
            issued = await security.api_keys.rotate(key_id, timedelta(seconds=overlap))
        except ApiKeyError as exc:
            raise NotFoundException(str(exc)) from exc
        await _audit(request, "apikey.rotate", key_id, {"successor": issued.info.id})
        info = issued.info
        return KeyIssued(key=issued.key, id=info.id, name=info.name, scopes=list(info.scopes))

    @post("/{key_id:str}/revoke", status_code=HTTP_200_OK)
    async def revoke_key(
        self, request: Request[Any, Any, Any], key_id: FromPath[str]
    ) -> dict[str, Any]:
        """Revoke a key now (every process refuses it from the next request)."""
        try:
            info = await security_state(request).api_keys.revoke(key_id)
        except ApiKeyError as exc:
            raise NotFoundException(str(exc)) from exc
        await _audit(request, "apikey.revoke", key_id, None)
        return info.to_dict()


async def _audit(
    request: Request[Any, Any, Any], action: str, key_id: str, data: dict[str, Any] | None
) -> None:
    caller = request_caller(request)
    actor = f"{caller.kind}:{caller.id}"
    async with security_state(request).database.write() as conn:
        await AuditLog(conn).record(actor, action, f"apikey:{key_id}", data)
