"""API keys of business systems: scoped, stored hashed, rotatable with overlap, revocable.

A key reads ``kefu_<id>_<secret>``; only SHA-256 of the whole key is stored (the key is shown
once, at creation). Every use reads the key's row, so a revocation is effective on every
process at once; a rotated-out key keeps working until its ``expires_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kefu.security.tables import api_keys
from kefu.store.database import Database
from kefu.store.records import as_utc, utcnow

#: Every scope a key may carry.
SCOPES = frozenset({"events:write", "context:read", "actions:execute", "admin"})
_PREFIX = "kefu_"


class ApiKeyError(Exception):
    """A key is malformed, unknown, revoked, expired, or a request to manage keys is invalid."""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """A key as listed (never its secret)."""

    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "replaced_by": self.replaced_by,
        }


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: the secret (shown once) and its listing."""

    key: str
    info: ApiKeyInfo


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _info(row: Any) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        name=row.name,
        scopes=tuple(row.scopes),
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        replaced_by=row.replaced_by,
    )


def check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The scopes, validated and sorted; raises ApiKeyError for an unknown or empty set."""
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise ApiKeyError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
    if not scopes:
        raise ApiKeyError("a key needs at least one scope")
    return tuple(sorted(set(scopes)))


class ApiKeys:
    """Creates, rotates, revokes, lists and verifies API keys."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, name: str, scopes: list[str] | tuple[str, ...]) -> IssuedKey:
        """A new key with ``scopes`` (the secret is only in the answer)."""
        name = name.strip()
        if not name or len(name) > 128:
            raise ApiKeyError("a key name must be 1-128 characters")
        checked = check_scopes(scopes)
        async with self._database.write() as conn:
            return await self._insert(conn, name, checked)

    async def _insert(self, conn: Any, name: str, scopes: tuple[str, ...]) -> IssuedKey:
        key_id = secrets.token_hex(8)
        key = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = utcnow()
        await conn.execute(
            sa.insert(api_keys).values(
                id=key_id, name=name, key_hash=_digest(key), scopes=list(scopes), created_at=now
            )
        )
        return IssuedKey(key, ApiKeyInfo(key_id, name, scopes, now, None, None, None))

    async def rotate(self, key_id: str, overlap: timedelta) -> IssuedKey:
        """A successor with the same name and scopes; the old key works for ``overlap`` more."""
        async with self._database.write() as conn:
            row = (await conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id))).first()
            if row is None:
                raise ApiKeyError(f"no API key {key_id!r}")
            if row.revoked_at is not None or row.replaced_by is not None:
                raise ApiKeyError(f"API key {key_id!r} is revoked or already rotated")
            issued = await self._insert(conn, row.name, tuple(row.scopes))
            await conn.execute(
                sa.update(api_keys)
                .where(api_keys.c.id == key_id)
                .values(expires_at=utcnow() + overlap, replaced_by=issued.info.id)
            )
        return issued

    async def revoke(self, key_id: str) -> ApiKeyInfo:
        """Revoke a key now."""
        async with self._database.write() as conn:
            result = await conn.execute(
                sa.update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            row = (await conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id))).first()
        if row is None:
            raise ApiKeyError(f"no API key {key_id!r}")
        if result.rowcount == 0:
            raise ApiKeyError(f"API key {key_id!r} is already revoked")
        return _info(row)

    async def list(self) -> list[ApiKeyInfo]:
        """Every key, oldest first."""
        async with self._database.read() as conn:
            rows = await conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at))
            return [_info(r) for r in rows]

    async def verify(self, key: str) -> ApiKeyInfo:
        """The key's listing when it is valid now; raises ApiKeyError otherwise."""
        parts = key.split("_", 2)
        if len(parts) != 3 or f"{parts[0]}_" != _PREFIX or not parts[1] or not parts[2]:
            raise ApiKeyError("malformed API key")
        async with self._database.read() as conn:
            row = (
                await conn.execute(sa.select(api_keys).where(api_keys.c.id == parts[1][:32]))
            ).first()
        if row is None or not hmac.compare_digest(row.key_hash, _digest(key)):
            raise ApiKeyError("unknown API key")
        info = _info(row)
        if info.revoked_at is not None:
            raise ApiKeyError("the API key was revoked")
        if info.expires_at is not None and info.expires_at <= utcnow():
            raise ApiKeyError("the API key was rotated out and its overlap window ended")
        return info
