"""The SQL adapter: customer context read straight from a business database by mapped queries.

For systems without an API, Kefu reads their database (read-only queries per section) and may
run mapped statements for actions. Example mapping::

    name = "legacy-crm"
    url_env = "CRM_DATABASE_URL"        # or url = "postgresql+asyncpg://..."

    [sections.orders]
    query = "SELECT id, status, placed_at FROM orders WHERE customer_id = :customer_id"

    [sections.profile]
    query = "SELECT id, name, tier FROM customers WHERE id = :customer_id"
    single = true                       # one row (a dict), not a list

    [actions.flag_order]
    statement = '''INSERT INTO order_flags (order_key, order_id, reason)
                   VALUES (:idempotency_key, :order_id, :reason)'''
    exists = "SELECT 1 FROM order_flags WHERE order_key = :idempotency_key"

Queries take ``:customer_id``; statements take ``:customer_id``, ``:idempotency_key``,
``:requested_by`` and every action parameter. An action stores its idempotency key in a unique
column and names the ``exists`` query that finds it: a repeated key is reported as already
done (with the first call's effect only), never applied twice.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kefu.contracts import ActionRequest, ActionResult, CustomerContext, PluginContext
from kefu.integration.errors import AdapterConfigError, AdapterUnavailableError
from kefu_plugins.adapters.mapping import parse_mapping, read_mapping
from kefu_plugins.adapters.templates import check_customer_id


class SqlSection(msgspec.Struct, forbid_unknown_fields=True):
    """One section: a read-only query taking ``:customer_id``."""

    query: str
    single: bool = False


class SqlAction(msgspec.Struct, forbid_unknown_fields=True):
    """One action: a statement whose idempotency key column is unique."""

    statement: str
    exists: str
    detail: str = "done"


class SqlMapping(msgspec.Struct, forbid_unknown_fields=True):
    """A whole SQL mapping file."""

    name: str
    sections: dict[str, SqlSection]
    url: str = ""
    url_env: str | None = None
    timeout: float = 3.0
    actions: dict[str, SqlAction] = msgspec.field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _row(row: sa.Row[Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in row._mapping.items()}


class SqlAdapter:
    """Reads customer context from (and runs mapped statements on) a SQL database."""

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        mapping: str | Path | Mapping[str, Any],
        url: str | None = None,
        timeout: float | None = None,
    ) -> None:
        data, label = read_mapping(mapping)
        self.mapping = parse_mapping(data, SqlMapping, label)
        self.name = self.mapping.name
        for name, section in self.mapping.sections.items():
            if ":customer_id" not in section.query:
                raise AdapterConfigError(f"{label}: sections.{name}.query must use :customer_id")
            if not section.query.lstrip().lower().startswith(("select", "with")):
                raise AdapterConfigError(f"{label}: sections.{name}.query must be a SELECT")
        for name, action in self.mapping.actions.items():
            if ":idempotency_key" not in action.statement + action.exists:
                raise AdapterConfigError(
                    f"{label}: actions.{name}: statement and exists must use :idempotency_key"
                )
        resolved = (
            url
            or (os.environ.get(self.mapping.url_env, "") if self.mapping.url_env else "")
            or self.mapping.url
        )
        if not resolved:
            raise AdapterConfigError(
                f"{label}: no database URL (set url or the variable {self.mapping.url_env})"
            )
        self.url = resolved
        self.timeout = timeout if timeout is not None else self.mapping.timeout
        self._engine: AsyncEngine | None = None

    @property
    def sections(self) -> tuple[str, ...]:
        """The context sections this adapter supplies."""
        return tuple(self.mapping.sections)

    def _db(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(self.url, pool_pre_ping=True)
        return self._engine

    async def aclose(self) -> None:
        """Dispose of the connection pool."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def customer_context(self, customer_id: str) -> CustomerContext:
        """Run every section query for the customer within the adapter's deadline."""
        check_customer_id(customer_id)
        try:
            async with asyncio.timeout(self.timeout), self._db().connect() as conn:
                sections: dict[str, Any] = {}
                for name, spec in self.mapping.sections.items():
                    result = await conn.execute(sa.text(spec.query), {"customer_id": customer_id})
                    rows = [_row(r) for r in result]
                    sections[name] = (rows[0] if rows else {}) if spec.single else rows
        except (TimeoutError, OperationalError, DBAPIError, OSError) as exc:
            raise AdapterUnavailableError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        return CustomerContext(customer_id=customer_id, sections=sections)

    async def perform(self, action: ActionRequest) -> ActionResult:
        """Run the mapped statement once per idempotency key."""
        spec = self.mapping.actions.get(action.kind)
        if spec is None:
            known = ", ".join(sorted(self.mapping.actions)) or "none"
            return ActionResult(False, f"{self.name} does not support {action.kind!r} ({known})")
        values = {
            **dict(action.params),
            "customer_id": action.customer_id,
            "idempotency_key": action.idempotency_key,
            "requested_by": action.requested_by,
        }
        statement = sa.text(spec.statement)
        missing = [p for p in statement.compile().params if p not in values]
        if missing:
            return ActionResult(False, f"{action.kind}: missing parameters {sorted(missing)}")
        exists = sa.text(spec.exists)
        key = {"idempotency_key": action.idempotency_key}
        already = ActionResult(True, f"{spec.detail} (already done)", {"replayed": True})
        try:
            async with asyncio.timeout(self.timeout):
                async with self._db().begin() as conn:
                    if (await conn.execute(exists, key)).first() is not None:
                        return already
                    await conn.execute(statement, values)
        except IntegrityError as exc:
            async with self._db().connect() as conn:
                if (await conn.execute(exists, key)).first() is not None:
                    return already  # a concurrent call with the same key won
            return ActionResult(False, f"{self.name} refused {action.kind}: {exc.orig}")
        except (TimeoutError, OperationalError, OSError) as exc:
            raise AdapterUnavailableError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        except DBAPIError as exc:
            return ActionResult(False, f"{self.name} refused {action.kind}: {exc.orig}")
        return ActionResult(True, spec.detail, {"replayed": False})
