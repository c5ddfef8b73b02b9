"""Interim authentication for the gateway: signed agent and visitor tokens, password hashes.

Agents log in with a password and get a short-lived HS256 JWT signed with ``settings.secret_key``;
visitors get a long-lived signed token naming their visitor id, which they present to resume.
The full security module (roles, API keys, rotation) replaces this file; everything else only
calls :class:`TokenSigner` and the two password functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt

from kefu.store.records import utcnow

_ALGORITHM = "HS256"
_ISSUER = "kefu"
# scrypt parameters: ~16 MiB and a few tens of ms per hash, run in a thread by callers.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, forged or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """Who an agent token belongs to."""

    agent_id: str
    username: str


class TokenSigner:
    """Issues and verifies Kefu's signed tokens."""

    def __init__(self, secret_key: str, *, agent_ttl: timedelta = timedelta(hours=12)) -> None:
        if len(secret_key) < 32:
            raise ValueError("secret_key must be at least 32 characters")
        self._key = secret_key
        self._agent_ttl = agent_ttl

    def agent_token(self, agent_id: str, username: str) -> str:
        """A token that lets the agent open /ws/agent and call the agent HTTP API."""
        now = utcnow()
        claims = {
            "iss": _ISSUER,
            "kind": "agent",
            "sub": agent_id,
            "name": username,
            "iat": now,
            "exp": now + self._agent_ttl,
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def verify_agent(self, token: str | None) -> AgentIdentity:
        """The agent a token names; raises InvalidTokenError."""
        claims = self._decode(token, "agent", require_exp=True)
        return AgentIdentity(agent_id=str(claims["sub"]), username=str(claims.get("name", "")))

    def visitor_token(self, visitor_id: str) -> str:
        """A token that lets a visitor resume their conversations."""
        claims = {"iss": _ISSUER, "kind": "visitor", "sub": visitor_id, "iat": utcnow()}
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def verify_visitor(self, token: str | None) -> str:
        """The visitor id a token names; raises InvalidTokenError."""
        return str(self._decode(token, "visitor", require_exp=False)["sub"])

    def _decode(self, token: str | None, kind: str, *, require_exp: bool) -> dict[str, object]:
        if not token:
            raise InvalidTokenError(f"an {kind} token is required")
        required = ["sub", "iss", "exp"] if require_exp else ["sub", "iss"]
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": required},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"invalid {kind} token: {exc}") from exc
        if claims.get("kind") != kind:
            raise InvalidTokenError(f"this is not an {kind} token")
        return claims


def hash_password(password: str) -> str:
    """A salted scrypt hash in ``scrypt$n$r$p$salt$hash`` form (CPU-heavy: call in a thread)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    parts = (base64.b64encode(salt).decode(), base64.b64encode(digest).decode())
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${parts[0]}${parts[1]}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash from :func:`hash_password` (call in a thread)."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)
