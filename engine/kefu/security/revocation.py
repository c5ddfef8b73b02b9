"""Revoked access-token ids (jti), checked in memory on every request and frame.

With the memory bus the list lives in this process. With Redis, revocations go to a sorted set
(score: the token's expiry) and every process re-reads it every ``interval`` seconds, so a
logout is effective everywhere within about that interval (0.5 s by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import redis.asyncio as aioredis

log = logging.getLogger(__name__)


class RevocationList:
    """Revoked jtis until their tokens expire anyway."""

    def __init__(
        self, redis_url: str | None = None, *, interval: float = 0.5, namespace: str = ""
    ) -> None:
        self._key = f"kefu:security:{namespace}revoked"
        self._revoked: dict[str, float] = {}
        self._redis: Any = aioredis.Redis.from_url(redis_url) if redis_url else None
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def is_revoked(self, jti: str) -> bool:
        """Whether ``jti`` was revoked (memory only: cheap enough for every frame)."""
        return bool(jti) and jti in self._revoked

    def revoked_until(self, jti: str) -> float:
        """Until when ``jti`` is listed (Unix time; 0.0 when it is not)."""
        return self._revoked.get(jti, 0.0) if jti else 0.0

    async def revoke(self, jti: str, expires_at: float) -> None:
        """Revoke one token until ``expires_at`` (Unix time)."""
        if not jti:
            return
        self._revoked[jti] = expires_at
        if self._redis is not None:
            await self._redis.zadd(self._key, {jti: expires_at})

    async def refresh(self) -> None:
        """Reload from Redis and drop expired entries."""
        now = time.time()
        if self._redis is not None:
            await self._redis.zremrangebyscore(self._key, "-inf", now)
            rows = await self._redis.zrangebyscore(self._key, now, "+inf", withscores=True)
            self._revoked = {
                (k.decode() if isinstance(k, bytes) else str(k)): float(s) for k, s in rows
            }
        else:
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}

    def start(self) -> None:
        """Start the background reload."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="kefu-revocations")

    async def close(self) -> None:
        """Stop reloading and close Redis."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._redis is not None:
            await self._redis.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.warning("could not reload revoked tokens", exc_info=True)
            await asyncio.sleep(self._interval)
