"""Customer context assembled from every business source at once, with deadlines and a cache.

:class:`ContextAssembler` is itself a :class:`~kefu.contracts.BusinessAdapter`, so the dialog
manager (and the agent workbench) use it as "the" adapter:

* every source is asked concurrently and given its own deadline; a source that is slow or
  down is named in ``CustomerContext.degraded`` (with the sections it supplies) while the other
  sources' sections still arrive; the last good sections of a failed source are served, stale,
  for up to ``stale_for`` seconds;
* a complete context is cached for ``ttl`` seconds, a degraded one for ``degraded_ttl``
  (never longer than ``ttl``);
  concurrent requests for one customer share one fetch;
* :meth:`invalidate` drops a customer's cached context: :class:`ContextInvalidator` calls it for
  every business event naming the customer (order paid, shipped, delayed, refunded...).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.bus.base import Delivery, EventBus
from kefu.bus.consumer import StreamConsumer
from kefu.contracts import ActionRequest, ActionResult, BusinessAdapter, CustomerContext
from kefu.integration.inbox import BUSINESS_STREAM
from kefu.integration.schemas import customer_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    context: CustomerContext
    expires: float


@dataclass(frozen=True, slots=True)
class _Good:
    sections: Mapping[str, Any]
    at: float


class ContextAssembler:
    """A BusinessAdapter over several sources: parallel, deadline-bound, cached."""

    name = "assembled"

    def __init__(
        self,
        sources: Sequence[BusinessAdapter],
        *,
        deadline: float = 0.8,
        deadlines: Mapping[str, float] | None = None,
        ttl: float = 30.0,
        degraded_ttl: float = 3.0,
        stale_for: float = 600.0,
        max_entries: int = 10_000,
        action_source: str | None = None,
    ) -> None:
        if not sources:
            raise ValueError("a context assembler needs at least one source")
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        if deadline <= 0 or ttl < 0 or degraded_ttl < 0 or max_entries < 1:
            raise ValueError("deadline must be > 0, ttls >= 0 and max_entries >= 1")
        self.sources = tuple(sources)
        self._deadlines = {n: float((deadlines or {}).get(n, deadline)) for n in names}
        unknown = set(deadlines or {}) - set(names)
        if unknown:
            raise ValueError(f"deadlines name unknown sources: {sorted(unknown)}")
        self._ttl = ttl
        self._degraded_ttl = degraded_ttl
        self._stale_for = stale_for
        self._max = max_entries
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._good: OrderedDict[tuple[str, str], _Good] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[CustomerContext]] = {}
        self._generation: dict[str, int] = {}
        if action_source is not None and action_source not in names:
            raise ValueError(f"action_source {action_source!r} is not one of {names}")
        self._action_source = action_source or names[0]
        self.hits = 0
        self.misses = 0

    async def customer_context(self, customer_id: str) -> CustomerContext:
        """The customer's context from the cache, or assembled from every source now."""
        entry = self._cache.get(customer_id)
        if entry is not None and entry.expires > time.monotonic():
            self._cache.move_to_end(customer_id)
            self.hits += 1
            return entry.context
        self.misses += 1
        pending = self._inflight.get(customer_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CustomerContext] = asyncio.get_running_loop().create_future()
        self._inflight[customer_id] = future
        generation = self._generation.get(customer_id, 0)
        try:
            context = await self._assemble(customer_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._inflight.pop(customer_id, None)
        future.set_result(context)
        if self._generation.get(customer_id, 0) == generation:
            self._store(customer_id, context)
        return context

    def invalidate(self, customer_id: str) -> bool:
        """Forget the customer's cached context; a fetch in flight is not cached either."""
        self._generation[customer_id] = self._generation.get(customer_id, 0) + 1
        if len(self._generation) > self._max:
            self._generation.pop(next(iter(self._generation)))
        return self._cache.pop(customer_id, None) is not None

    def _store(self, customer_id: str, context: CustomerContext) -> None:
        ttl = min(self._degraded_ttl, self._ttl) if context.degraded else self._ttl
        if ttl <= 0:
            return
        self._cache[customer_id] = _Entry(context, time.monotonic() + ttl)
        self._cache.move_to_end(customer_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def _ask(self, source: BusinessAdapter, customer_id: str) -> CustomerContext:
        return await asyncio.wait_for(
            source.customer_context(customer_id), self._deadlines[source.name]
        )

    async def _assemble(self, customer_id: str) -> CustomerContext:
        results = await asyncio.gather(
            *(self._ask(s, customer_id) for s in self.sources), return_exceptions=True
        )
        sections: dict[str, Any] = {}
        degraded: list[str] = []
        now = time.monotonic()
        for source, result in zip(self.sources, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                why = "timed out" if isinstance(result, TimeoutError) else repr(result)
                log.warning("context source %s for %s: %s", source.name, customer_id, why)
                supplied = tuple(getattr(source, "sections", ()))
                degraded.extend((source.name, *supplied))
                good = self._good.get((source.name, customer_id))
                if good is not None and now - good.at <= self._stale_for:
                    for key, value in good.sections.items():
                        sections.setdefault(key, value)
                continue
            for key, value in result.sections.items():
                if key in sections:
                    log.warning(
                        "section %s from %s shadowed by an earlier source", key, source.name
                    )
                    continue
                sections[key] = value
            degraded.extend(result.degraded)
            self._remember(source.name, customer_id, result.sections, now)
        unique = tuple(dict.fromkeys(degraded))
        return CustomerContext(customer_id=customer_id, sections=sections, degraded=unique)

    def _remember(
        self, source: str, customer_id: str, sections: Mapping[str, Any], now: float
    ) -> None:
        key = (source, customer_id)
        self._good[key] = _Good(dict(sections), now)
        self._good.move_to_end(key)
        while len(self._good) > self._max * len(self.sources):
            self._good.popitem(last=False)

    async def perform(self, action: ActionRequest) -> ActionResult:
        """Actions go to the configured action source (the first source by default)."""
        for source in self.sources:
            if source.name == self._action_source:
                return await source.perform(action)
        raise AssertionError("unreachable: action_source is checked in __init__")


class ContextInvalidator:
    """Drops cached contexts when business events about their customers arrive on the bus.

    Each process caches for itself, so each needs its own consumer group: the group name is
    unique per instance and starts at the latest entry (older events are already reflected).
    """

    def __init__(
        self,
        bus: EventBus,
        assembler: ContextAssembler,
        *,
        stream: str = BUSINESS_STREAM,
        group: str | None = None,
        block: float = 1.0,
    ) -> None:
        self._assembler = assembler
        name = group or f"context-cache-{uuid.uuid4().hex[:12]}"
        self.consumer = StreamConsumer(
            bus, stream, name, f"{name}-c", self._handle, start="latest", block=block
        )

    async def _handle(self, delivery: Delivery) -> None:
        customer = customer_of(delivery.event.data)
        if customer is not None:
            self._assembler.invalidate(customer)

    def start(self) -> None:
        """Consume in the background."""
        self.consumer.start()

    async def stop(self) -> None:
        """Stop consuming."""
        await self.consumer.stop()
