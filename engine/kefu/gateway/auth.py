"""Signed tokens of the gateway: short-lived agent access JWTs and visitor tokens.

Agent access tokens are HS256 JWTs signed with ``settings.secret_key`` carrying ``iss``
(``kefu``), ``aud`` (``kefu``), ``sub`` (agent id), ``role``, ``jti`` and ``exp`` (15 minutes by
default); refresh tokens live in :mod:`kefu.security.refresh`. Visitor tokens carry the audience
``kefu-visitor`` and expire after 30 days. Passwords are hashed by :mod:`kefu.security.passwords`
(argon2id; legacy scrypt hashes still verify); the two functions are re-exported here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt

from kefu.security.passwords import hash_password, verify_password
from kefu.store.records import utcnow

__all__ = [
    "AGENT_AUDIENCE",
    "ISSUER",
    "VISITOR_AUDIENCE",
    "AgentIdentity",
    "InvalidTokenError",
    "TokenSigner",
    "hash_password",
    "verify_password",
]

_ALGORITHM = "HS256"
ISSUER = "kefu"
AGENT_AUDIENCE = "kefu"
VISITOR_AUDIENCE = "kefu-visitor"


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, forged or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """Who an agent access token belongs to, in which role, and until when it is valid."""

    agent_id: str
    username: str
    role: str = "agent"
    jti: str = ""
    #: Expiry as a Unix timestamp (0: unknown).
    expires_at: float = 0.0


class TokenSigner:
    """Issues and verifies Kefu's signed tokens (all checks in memory, no database)."""

    def __init__(
        self,
        secret_key: str,
        *,
        agent_ttl: timedelta = timedelta(minutes=15),
        visitor_ttl: timedelta = timedelta(days=30),
    ) -> None:
        if len(secret_key) < 32:
            raise ValueError("secret_key must be at least 32 characters")
        self._key = secret_key
        self.agent_ttl = agent_ttl
        self.visitor_ttl = visitor_ttl

    @property
    def key_id(self) -> str:
        """A non-secret name of the signing key (a hash of it), for namespacing shared state."""
        return hashlib.sha256(b"kefu-key-id:" + self._key.encode()).hexdigest()[:16]

    def agent_token(self, agent_id: str, username: str, role: str = "agent") -> str:
        """An access token for /ws/agent and the agent HTTP API."""
        now = utcnow()
        claims = {
            "iss": ISSUER,
            "aud": AGENT_AUDIENCE,
            "kind": "agent",
            "sub": agent_id,
            "name": username,
            "role": role,
            "jti": secrets.token_hex(16),
            "iat": now,
            "exp": now + self.agent_ttl,
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def verify_agent(self, token: str | None) -> AgentIdentity:
        """The agent a token names; raises InvalidTokenError."""
        claims = self._decode(token, "agent", AGENT_AUDIENCE)
        return AgentIdentity(
            agent_id=str(claims["sub"]),
            username=str(claims.get("name", "")),
            role=str(claims.get("role", "agent")),
            jti=str(claims.get("jti", "")),
            expires_at=float(claims["exp"]),  # type: ignore[arg-type]
        )

    def visitor_token(self, visitor_id: str) -> str:
        """A token that lets a visitor resume their conversations until it expires."""
        now = utcnow()
        claims = {
            "iss": ISSUER,
            "aud": VISITOR_AUDIENCE,
            "kind": "visitor",
            "sub": visitor_id,
            "iat": now,
            "exp": now + self.visitor_ttl,
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def verify_visitor(self, token: str | None) -> str:
        """The visitor id a token names; raises InvalidTokenError."""
        return str(self._decode(token, "visitor", VISITOR_AUDIENCE)["sub"])

    def _decode(self, token: str | None, kind: str, audience: str) -> dict[str, object]:
        if not token:
            raise InvalidTokenError(f"an {kind} token is required")
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                issuer=ISSUER,
                audience=audience,
                options={"require": ["sub", "iss", "aud", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"invalid {kind} token: {exc}") from exc
        if claims.get("kind") != kind:
            raise InvalidTokenError(f"this is not an {kind} token")
        return claims
