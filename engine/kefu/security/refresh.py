"""Rotating refresh tokens, stored as SHA-256 hashes, with reuse detection.

Each login starts a *family*. Using a refresh token marks it used and issues the next one in the
same family; presenting a used token again means it was stolen (or replayed), so the whole
family is revoked and its holder must log in again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from kefu.security.tables import refresh_tokens
from kefu.store.database import Database
from kefu.store.records import as_utc, utcnow


class RefreshError(Exception):
    """The refresh token is unknown, expired, revoked or was already used (reuse)."""

    def __init__(self, message: str, *, reuse: bool = False) -> None:
        super().__init__(message)
        self.reuse = reuse


@dataclass(frozen=True, slots=True)
class Rotated:
    """The agent a refresh token belonged to and its successor."""

    agent_id: str
    family: str
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokens:
    """Issues, rotates and revokes refresh tokens in the database."""

    def __init__(self, database: Database, ttl: timedelta) -> None:
        self._database = database
        self._ttl = ttl

    async def issue(self, agent_id: str, family: str | None = None) -> tuple[str, str]:
        """A new refresh token (shown once) and its family."""
        token = secrets.token_urlsafe(32)
        family = family or secrets.token_hex(16)
        now = utcnow()
        async with self._database.write() as conn:
            await conn.execute(
                sa.insert(refresh_tokens).values(
                    token_hash=_digest(token),
                    family=family,
                    agent_id=agent_id,
                    created_at=now,
                    expires_at=now + self._ttl,
                )
            )
        return token, family

    async def rotate(self, token: str) -> Rotated:
        """Spend ``token`` and issue its successor; raises RefreshError (reuse revokes all)."""
        t = refresh_tokens
        now = utcnow()
        successor = secrets.token_urlsafe(32)
        refused: RefreshError | None = None
        async with self._database.write() as conn:
            row = (
                await conn.execute(
                    sa.select(t).where(t.c.token_hash == _digest(token)).with_for_update()
                )
            ).first()
            if row is None:
                refused = RefreshError("unknown refresh token")
            elif row.revoked_at is not None:
                refused = RefreshError("the refresh token was revoked")
            elif row.used_at is not None:
                # Reuse: the revocation is committed, then the caller is refused.
                await conn.execute(
                    sa.update(t)
                    .where(t.c.family == row.family, t.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                refused = RefreshError("the refresh token was already used", reuse=True)
            elif as_utc(row.expires_at) <= now:
                refused = RefreshError("the refresh token expired")
            else:
                await conn.execute(
                    sa.update(t).where(t.c.token_hash == row.token_hash).values(used_at=now)
                )
                await conn.execute(
                    sa.insert(t).values(
                        token_hash=_digest(successor),
                        family=row.family,
                        agent_id=row.agent_id,
                        created_at=now,
                        expires_at=now + self._ttl,
                    )
                )
        if refused is not None or row is None:
            raise refused or RefreshError("unknown refresh token")
        return Rotated(agent_id=row.agent_id, family=row.family, token=successor)

    async def revoke_token_family(self, token: str) -> bool:
        """Revoke the family of ``token`` (logout); False when the token is unknown."""
        t = refresh_tokens
        async with self._database.write() as conn:
            row = (
                await conn.execute(sa.select(t.c.family).where(t.c.token_hash == _digest(token)))
            ).first()
            if row is None:
                return False
            await conn.execute(
                sa.update(t)
                .where(t.c.family == row.family, t.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return True
