"""Delivers the shop's webhook outbox to Kefu: signed, in order, retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import httpx
import sqlalchemy as sa

from demo_shop.config import ShopConfig
from demo_shop.db import ShopDatabase, utcnow, webhook_outbox
from demo_shop.signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

#: Status codes after which a retry cannot succeed: the delivery is given up and logged.
_PERMANENT = frozenset({400, 401, 404, 409, 413, 422})


class WebhookDeliverer:
    """Background task posting queued events to Kefu until each is acknowledged."""

    def __init__(self, config: ShopConfig, database: ShopDatabase) -> None:
        self._config = config
        self._db = database
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def notify(self) -> None:
        """Something was queued: deliver now instead of at the next tick."""
        self._wake.set()

    def start(self) -> None:
        """Start delivering (no-op when no Kefu URL is configured)."""
        if not self._config.webhook_url or self._task is not None:
            return
        self._client = httpx.AsyncClient(timeout=5.0)
        self._task = asyncio.create_task(self._run(), name="demo-shop-webhooks")

    async def stop(self) -> None:
        """Stop delivering; undelivered events stay queued for the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while True:
            try:
                delivered = await self.deliver_due()
            except Exception:
                log.exception("webhook delivery round failed")
                delivered = 0
            if delivered:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._config.retry_base)

    async def deliver_due(self, limit: int = 50) -> int:
        """Attempt every due event once, oldest first; returns how many were acknowledged."""
        o = webhook_outbox
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(o.c.id, o.c.body, o.c.attempts)
                    .where(o.c.delivered_at.is_(None), o.c.next_attempt_at <= utcnow())
                    .where(o.c.attempts < self._config.max_attempts)
                    .order_by(o.c.id)
                    .limit(limit)
                )
            ).all()
        acknowledged = 0
        for row in rows:
            ok, error, permanent = await self._post(row.body.encode())
            attempts = row.attempts + 1
            values: dict[str, object] = {"attempts": attempts, "last_error": error}
            if ok:
                values["delivered_at"] = utcnow()
                acknowledged += 1
            elif permanent:
                values["attempts"] = self._config.max_attempts
                log.error("webhook %s refused for good: %s", row.id, error)
            else:
                delay = min(self._config.retry_cap, self._config.retry_base * 2 ** (attempts - 1))
                values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
            async with self._db.write() as conn:
                await conn.execute(sa.update(o).where(o.c.id == row.id).values(**values))
            if not ok and not permanent:
                break  # keep order: later events wait for this one
        return acknowledged

    async def _post(self, body: bytes) -> tuple[bool, str | None, bool]:
        assert self._client is not None
        headers = {
            "Content-Type": "application/cloudevents+json",
            SIGNATURE_HEADER: sign(self._config.webhook_secret, body),
        }
        try:
            response = await self._client.post(
                self._config.webhook_url, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            return False, f"{type(exc).__name__}: {exc}"[:400], False
        if response.status_code in (200, 202):
            return True, None, False
        error = f"HTTP {response.status_code}: {response.text[:300]}"
        return False, error, response.status_code in _PERMANENT
