"""The action proxy: agents' refunds, coupons and order flags, run safely on the business system.

One :meth:`ActionProxy.submit`:

1. validates the parameters and checks the principal's permission (nothing stored on refusal);
2. records the request and an ``action.requested`` audit entry in one transaction, keyed by
   the idempotency key (a finished key returns its stored outcome without calling again; the
   same key with other parameters is refused);
3. calls the adapter under a deadline, a token bucket and a circuit breaker, passing the same
   idempotency key on, so a retry after a lost answer cannot refund twice;
4. records the outcome, its audit entry and an ``action.completed`` event for the agent's
   socket in one transaction (the event reaches the bus through the outbox relay).

A call whose outcome is unknown (deadline, connection lost, breaker open) leaves the request
pending: retrying with the same key is safe and finishes it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kefu.bus.events import Event
from kefu.contracts import ActionRequest, ActionResult, BusinessAdapter
from kefu.integration import tables
from kefu.integration.errors import ActionError
from kefu.integration.outbox import OutboxRelay
from kefu.integration.permissions import PermissionPolicy, Principal
from kefu.integration.resilience import (
    CallTimeoutError,
    CircuitOpenError,
    GuardedCaller,
    RateLimitedError,
)
from kefu.store.database import Database
from kefu.store.records import utcnow
from kefu.store.repositories import AuditLog

#: The bus stream action outcomes are published on (for agents' sockets).
ACTION_STREAM = "agent.actions"
#: The ``source`` of action events.
ACTION_SOURCE = "kefu://integration/actions"

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
Positive = Annotated[int, msgspec.Meta(gt=0)]
Reason = Annotated[str, msgspec.Meta(max_length=400)]
OrderId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class RefundParams(msgspec.Struct, forbid_unknown_fields=True):
    """Parameters of ``refund``."""

    order_id: OrderId
    amount_cents: Positive
    reason: Reason = ""


class CouponParams(msgspec.Struct, forbid_unknown_fields=True):
    """Parameters of ``issue_coupon``."""

    value_cents: Positive
    reason: Reason = ""
    days_valid: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30


class FlagParams(msgspec.Struct, forbid_unknown_fields=True):
    """Parameters of ``flag_order``."""

    order_id: OrderId
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=400)]


PARAM_SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "refund": RefundParams,
    "issue_coupon": CouponParams,
    "flag_order": FlagParams,
}


class ActionStatus:
    """The states of a recorded action."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What the agent is told about an action."""

    idempotency_key: str
    kind: str
    status: str
    detail: str
    data: Mapping[str, Any] = field(default_factory=dict)
    #: True when this answer is a stored one (the key had already finished).
    replayed: bool = False

    @property
    def ok(self) -> bool:
        """True when the business system carried the action out."""
        return self.status == ActionStatus.SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "idempotency_key": self.idempotency_key,
            "kind": self.kind,
            "status": self.status,
            "ok": self.ok,
            "detail": self.detail,
            "data": dict(self.data),
            "replayed": self.replayed,
        }


def _digest(kind: str, customer_id: str, params: Mapping[str, Any]) -> str:
    canonical = msgspec.json.encode([kind, customer_id, dict(params)], order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def validate_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters normalised by their kind's schema; ActionError 422 names the problem."""
    schema = PARAM_SCHEMAS.get(kind)
    if schema is None:
        return dict(params)  # the permission check reports unknown kinds
    try:
        parsed = msgspec.convert(dict(params), schema)
    except msgspec.ValidationError as exc:
        raise ActionError(422, "invalid_params", f"{kind}: {exc}") from exc
    normalised: dict[str, Any] = msgspec.to_builtins(parsed)
    return normalised


class ActionProxy:
    """Runs business actions for principals, once per idempotency key, with guards and audit."""

    def __init__(
        self,
        database: Database,
        adapter: BusinessAdapter,
        *,
        relay: OutboxRelay | None = None,
        policy: PermissionPolicy | None = None,
        caller: GuardedCaller | None = None,
        invalidate: Callable[[str], object] | None = None,
    ) -> None:
        self._db = database
        self._adapter = adapter
        # Drops this process's cached context of a customer an action just changed, so the
        # agent's next look shows the change before the business system's own event arrives.
        self._invalidate = invalidate
        self._relay = relay
        self._policy = policy or PermissionPolicy()
        self._caller = caller or GuardedCaller(getattr(adapter, "name", "adapter"))
        # One lock per key in flight (with its number of users): calls with one key queue.
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @property
    def caller(self) -> GuardedCaller:
        """The guards on outbound calls (for inspection)."""
        return self._caller

    async def submit(
        self,
        principal: Principal,
        *,
        kind: str,
        customer_id: str,
        params: Mapping[str, Any],
        idempotency_key: str,
        conversation_id: str | None = None,
    ) -> ActionOutcome:
        """Run one action; see the module docstring. Raises ActionError for refused input,
        ``429``/``503`` when the guards refuse the call (the request stays pending)."""
        if not _KEY.match(idempotency_key or ""):
            raise ActionError(
                400, "invalid_idempotency_key", "idempotency_key: 8-128 chars of [A-Za-z0-9._:-]"
            )
        if not customer_id or len(customer_id) > 128:
            raise ActionError(422, "invalid_customer", "customer_id must be 1-128 characters")
        self._policy.check(principal, kind, params)
        clean = validate_params(kind, params)
        self._policy.check(principal, kind, clean)
        lock, users = self._locks.get(idempotency_key, (asyncio.Lock(), 0))
        self._locks[idempotency_key] = (lock, users + 1)
        try:
            async with lock:
                return await self._submit_locked(
                    principal, kind, customer_id, clean, idempotency_key, conversation_id
                )
        finally:
            lock, users = self._locks[idempotency_key]
            if users <= 1:
                del self._locks[idempotency_key]
            else:
                self._locks[idempotency_key] = (lock, users - 1)

    async def _submit_locked(
        self,
        principal: Principal,
        kind: str,
        customer_id: str,
        params: dict[str, Any],
        key: str,
        conversation_id: str | None,
    ) -> ActionOutcome:
        digest = _digest(kind, customer_id, params)
        stored = await self._begin(principal, kind, customer_id, params, key, digest)
        if stored is not None:
            return stored
        request = ActionRequest(
            kind=kind,
            customer_id=customer_id,
            params=params,
            idempotency_key=key,
            requested_by=principal.id,
        )
        try:
            result = await self._caller.call(self._adapter.perform(request))
        except RateLimitedError as exc:
            raise ActionError(429, "rate_limited", str(exc)) from exc
        except CircuitOpenError as exc:
            raise ActionError(503, "business_system_unavailable", str(exc)) from exc
        except (CallTimeoutError, ConnectionError, OSError) as exc:
            raise ActionError(
                504,
                "outcome_unknown",
                f"{exc}; the request stays pending: retry with the same idempotency key",
            ) from exc
        except Exception as exc:
            raise ActionError(
                502,
                "business_system_error",
                f"{type(exc).__name__}: {exc}; retry with the same idempotency key",
            ) from exc
        return await self._finish(principal, kind, customer_id, key, conversation_id, result)

    async def _begin(
        self,
        principal: Principal,
        kind: str,
        customer_id: str,
        params: dict[str, Any],
        key: str,
        digest: str,
    ) -> ActionOutcome | None:
        """Record the request (or find it); returns the stored outcome of a finished key."""
        a = tables.actions
        now = utcnow()
        try:
            async with self._db.write() as conn:
                row = (await conn.execute(sa.select(a).where(a.c.idempotency_key == key))).first()
                if row is not None:
                    if row.digest != digest:
                        raise ActionError(
                            422,
                            "idempotency_key_reused",
                            f"idempotency key {key!r} was used for a different action",
                        )
                    if row.status != ActionStatus.PENDING:
                        result = dict(row.result or {})
                        return ActionOutcome(
                            key,
                            row.kind,
                            row.status,
                            str(result.get("detail", "")),
                            result.get("data", {}),
                            replayed=True,
                        )
                    await conn.execute(
                        sa.update(a)
                        .where(a.c.idempotency_key == key)
                        .values(attempts=a.c.attempts + 1, updated_at=now)
                    )
                    return None
                await conn.execute(
                    sa.insert(a).values(
                        idempotency_key=key,
                        kind=kind,
                        customer_id=customer_id,
                        params=params,
                        requested_by=principal.id,
                        digest=digest,
                        status=ActionStatus.PENDING,
                        attempts=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await AuditLog(conn).record(
                    principal.id,
                    "action.requested",
                    f"customer:{customer_id}",
                    {
                        "kind": kind,
                        "params": params,
                        "idempotency_key": key,
                        "role": principal.role.value,
                    },
                )
        except IntegrityError:
            # Another process recorded the same key first: treat it as that key's retry.
            return await self._begin(principal, kind, customer_id, params, key, digest)
        return None

    async def _finish(
        self,
        principal: Principal,
        kind: str,
        customer_id: str,
        key: str,
        conversation_id: str | None,
        result: ActionResult,
    ) -> ActionOutcome:
        status = ActionStatus.SUCCEEDED if result.ok else ActionStatus.FAILED
        data = _jsonable(result.data)
        outcome = ActionOutcome(key, kind, status, result.detail, data)
        event = Event(
            type="action.completed",
            source=ACTION_SOURCE,
            subject=conversation_id or f"customer:{customer_id}",
            data={
                **outcome.to_dict(),
                "customer_id": customer_id,
                "conversation_id": conversation_id,
                "requested_by": principal.id,
            },
        )
        a = tables.actions
        async with self._db.write() as conn:
            await conn.execute(
                sa.update(a)
                .where(a.c.idempotency_key == key)
                .values(
                    status=status,
                    result={"detail": result.detail, "data": data},
                    updated_at=utcnow(),
                )
            )
            await AuditLog(conn).record(
                principal.id,
                f"action.{status}",
                f"customer:{customer_id}",
                {"kind": kind, "idempotency_key": key, "detail": result.detail, "data": data},
            )
            await conn.execute(
                sa.insert(tables.outbox).values(
                    stream=ACTION_STREAM,
                    event_id=event.id,
                    payload=event.to_json().decode(),
                    created_at=utcnow(),
                )
            )
        if self._relay is not None:
            self._relay.wake()
        if result.ok and self._invalidate is not None:
            self._invalidate(customer_id)
        return outcome

    async def status(self, key: str) -> ActionOutcome | None:
        """The recorded state of an action, or None for an unknown key."""
        a = tables.actions
        async with self._db.read() as conn:
            row = (await conn.execute(sa.select(a).where(a.c.idempotency_key == key))).first()
        if row is None:
            return None
        result = dict(row.result or {})
        return ActionOutcome(
            key, row.kind, row.status, str(result.get("detail", "")), result.get("data", {})
        )


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(dict(data)))
    return converted
