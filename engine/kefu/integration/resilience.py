"""Guards for outbound calls to a business system: deadline, token bucket, circuit breaker.

* Token bucket: :class:`aiolimiter.AsyncLimiter` (a leaky bucket, equivalent to a token bucket
  of ``rate`` tokens refilled over ``period`` seconds). A call finding the bucket empty is
  refused at once rather than queued, so an agent is never left waiting on a burst.
* Circuit breaker: :mod:`purgatory` (asyncio-native). After ``threshold`` consecutive failures
  (exceptions or deadline overruns) the circuit opens and calls fail fast for ``recovery``
  seconds; then one trial call decides whether it closes again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from aiolimiter import AsyncLimiter
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from kefu.integration.errors import IntegrationError

T = TypeVar("T")


class RateLimitedError(IntegrationError):
    """The token bucket is empty: the call was not made."""


class CircuitOpenError(IntegrationError):
    """The circuit breaker is open: the call was not made."""


class CallTimeoutError(IntegrationError, TimeoutError):
    """The call overran its deadline; its effect on the remote side is unknown."""


class GuardedCaller:
    """Runs outbound calls under one bucket and one breaker (per business system)."""

    def __init__(
        self,
        name: str,
        *,
        timeout: float = 5.0,
        rate: float = 20.0,
        period: float = 1.0,
        threshold: int = 5,
        recovery: float = 30.0,
    ) -> None:
        if timeout <= 0 or rate <= 0 or period <= 0 or threshold < 1 or recovery <= 0:
            raise ValueError("timeout, rate, period, recovery must be > 0 and threshold >= 1")
        self.name = name
        self.timeout = timeout
        self._bucket = AsyncLimiter(rate, period)
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=threshold, default_ttl=recovery
        )
        self._circuit = f"kefu.adapter.{name}"

    async def call(self, work: Awaitable[T]) -> T:
        """Await ``work`` under the guards; raises RateLimitedError, CircuitOpenError or
        CallTimeoutError instead of making or finishing the call. Other errors propagate."""
        if not self._bucket.has_capacity():
            _close(work)
            raise RateLimitedError(f"too many calls to {self.name}; try again shortly")
        await self._bucket.acquire()
        try:
            breaker = await self._breakers.get_breaker(self._circuit)
            async with breaker:
                async with asyncio.timeout(self.timeout):
                    return await work
        except OpenedState as exc:
            _close(work)
            raise CircuitOpenError(
                f"{self.name} is failing; calls are paused until it recovers"
            ) from exc
        except TimeoutError as exc:
            raise CallTimeoutError(f"{self.name} did not answer within {self.timeout}s") from exc

    async def state(self) -> str:
        """The breaker's state: ``closed``, ``opened`` or ``half-opened``."""
        breaker = await self._breakers.get_breaker(self._circuit)
        return str(breaker.context.state)


def _close(work: Awaitable[object]) -> None:
    close = getattr(work, "close", None)
    if callable(close):
        close()
