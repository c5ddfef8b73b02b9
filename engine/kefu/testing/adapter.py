"""The conformance suite every :class:`~kefu.contracts.BusinessAdapter` plugin must pass.

Subclass :class:`BusinessAdapterConformance` in a test module (name it ``Test...``) and fill in
the hooks: how to build the adapter, a customer the system knows and one it does not, an
action the adapter supports, and how to count that action's effects in the business system::

    class TestMyAdapter(BusinessAdapterConformance):
        known_customer = "C1001"
        unknown_customer = "NOPE-404"

        async def make_adapter(self) -> BusinessAdapter: ...
        def sample_action(self, key: str) -> ActionRequest: ...
        async def count_effects(self, action: ActionRequest) -> int: ...

The suite checks what Kefu relies on: context is JSON-ready and about the asked customer; an
unknown customer is an empty context, not an error; hostile ids are refused with ValueError or
answered empty; concurrent calls agree; an unsupported action is ``ok=False``, not an
exception; and ``perform`` is idempotent on ``idempotency_key`` (five calls, one effect).
"""

from __future__ import annotations

import abc
import asyncio
import json
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from kefu.contracts import ActionRequest, ActionResult, BusinessAdapter, CustomerContext

#: Customer ids that have broken adapters before: traversal, injection, odd characters.
HOSTILE_IDS: tuple[str, ...] = (
    "../../etc/passwd",
    "C1001' OR '1'='1",
    "C1001; DROP TABLE customers; --",
    "a/b?c=d#e",
    "你好",
    "x" * 128,
    "%2e%2e%2f",
)
#: Ids that must be refused with ValueError (empty, blank, control characters, too long).
INVALID_IDS: tuple[str, ...] = ("", "   ", "C10\x0001", "x" * 129)


def _is_empty(value: Any) -> bool:
    return value in (None, {}, []) or (isinstance(value, Mapping) and not any(value.values()))


class BusinessAdapterConformance(abc.ABC):
    """Behaviour shared by every business adapter."""

    known_customer: ClassVar[str]
    unknown_customer: ClassVar[str]
    #: Sections the known customer must have, non-empty.
    required_sections: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    async def make_adapter(self) -> BusinessAdapter:
        """Build the adapter under test (connected to a real business system)."""

    @abc.abstractmethod
    def sample_action(self, key: str) -> ActionRequest:
        """An action the adapter supports, with ``key`` as its idempotency key."""

    @abc.abstractmethod
    async def count_effects(self, action: ActionRequest) -> int:
        """How many times ``action`` took effect in the business system."""

    async def close(self, adapter: BusinessAdapter) -> None:
        """Release the adapter's resources."""
        close = getattr(adapter, "aclose", None)
        if close is not None:
            await close()

    @staticmethod
    def check_context(context: CustomerContext, customer_id: str) -> None:
        """Assert the invariants of any customer context."""
        assert isinstance(context, CustomerContext)
        assert context.customer_id == customer_id
        assert isinstance(context.sections, Mapping)
        assert all(isinstance(k, str) and k for k in context.sections)
        assert isinstance(context.degraded, tuple)
        json.dumps(dict(context.sections))  # JSON-ready, for the workbench and the cache

    async def test_satisfies_the_protocol(self) -> None:
        adapter = await self.make_adapter()
        try:
            assert isinstance(adapter, BusinessAdapter)
            assert isinstance(adapter.name, str) and adapter.name
        finally:
            await self.close(adapter)

    async def test_known_customer_has_context(self) -> None:
        adapter = await self.make_adapter()
        try:
            context = await adapter.customer_context(self.known_customer)
            self.check_context(context, self.known_customer)
            assert context.degraded == ()
            assert any(not _is_empty(v) for v in context.sections.values())
            for name in self.required_sections:
                assert not _is_empty(context.sections.get(name)), name
        finally:
            await self.close(adapter)

    async def test_unknown_customer_is_an_empty_context(self) -> None:
        adapter = await self.make_adapter()
        try:
            context = await adapter.customer_context(self.unknown_customer)
            self.check_context(context, self.unknown_customer)
            assert all(_is_empty(v) for v in context.sections.values()), context.sections
        finally:
            await self.close(adapter)

    @pytest.mark.parametrize("customer_id", HOSTILE_IDS, ids=range(len(HOSTILE_IDS)))
    async def test_hostile_ids_find_nothing(self, customer_id: str) -> None:
        adapter = await self.make_adapter()
        try:
            context = await adapter.customer_context(customer_id)
            self.check_context(context, customer_id)
            assert all(_is_empty(v) for v in context.sections.values()), context.sections
        finally:
            await self.close(adapter)

    @pytest.mark.parametrize("customer_id", INVALID_IDS, ids=range(len(INVALID_IDS)))
    async def test_invalid_ids_are_refused(self, customer_id: str) -> None:
        adapter = await self.make_adapter()
        try:
            with pytest.raises(ValueError):
                await adapter.customer_context(customer_id)
        finally:
            await self.close(adapter)

    async def test_concurrent_calls_agree_with_sequential_ones(self) -> None:
        adapter = await self.make_adapter()
        try:
            ids = [self.known_customer, self.unknown_customer] * 4
            sequential = [await adapter.customer_context(c) for c in ids]
            concurrent = await asyncio.gather(*(adapter.customer_context(c) for c in ids))
            assert [c.sections for c in concurrent] == [c.sections for c in sequential]
        finally:
            await self.close(adapter)

    async def test_unsupported_action_is_refused_not_raised(self) -> None:
        adapter = await self.make_adapter()
        try:
            sample = self.sample_action(uuid.uuid4().hex)
            odd = ActionRequest(
                kind="launch_rocket",
                customer_id=sample.customer_id,
                params={},
                idempotency_key=uuid.uuid4().hex,
                requested_by="conformance",
            )
            result = await adapter.perform(odd)
            assert isinstance(result, ActionResult)
            assert result.ok is False
            assert "launch_rocket" in result.detail
        finally:
            await self.close(adapter)

    async def test_perform_is_idempotent_on_the_key(self) -> None:
        adapter = await self.make_adapter()
        try:
            action = self.sample_action(f"conf-{uuid.uuid4().hex}")
            before = await self.count_effects(action)
            results = [await adapter.perform(action) for _ in range(5)]
            assert all(isinstance(r, ActionResult) and r.ok for r in results), results
            assert await self.count_effects(action) == before + 1
        finally:
            await self.close(adapter)

    async def test_concurrent_retries_take_effect_once(self) -> None:
        adapter = await self.make_adapter()
        try:
            action = self.sample_action(f"conf-{uuid.uuid4().hex}")
            before = await self.count_effects(action)
            results = await asyncio.gather(*(adapter.perform(action) for _ in range(5)))
            assert all(r.ok for r in results), results
            assert await self.count_effects(action) == before + 1
        finally:
            await self.close(adapter)
