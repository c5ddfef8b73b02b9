"""The generic REST adapter: customer context and actions on any JSON API, driven by a mapping.

Example mapping (TOML; YAML works the same)::

    name = "shop"
    base_url = "http://127.0.0.1:8100"      # or base_url_env = "SHOP_URL"
    timeout = 2.0
    idempotency_header = "Idempotency-Key"

    [auth]
    header = "X-Api-Key"
    env = "SHOP_API_KEY"                     # the key is read from this variable

    [sections.orders]
    path = "/api/customers/{customer_id}/orders"
    items = "orders"                         # where the list is in the answer
    fields = { id = "id", status = "status", placed_at = "placed_at" }

    [actions.refund]
    method = "POST"
    path = "/api/refunds"
    body = { order_id = "{params.order_id}", amount_cents = "{params.amount_cents}" }

Every section is fetched concurrently. A 404 means "nothing for this customer" (an empty
section); a 5xx, a timeout or a refused connection makes the section *degraded*: it is left out
and ``CustomerContext.degraded`` names the adapter and the section. Actions send the request's
idempotency key in ``idempotency_header``; a 4xx answer is a refusal (``ok=False``), while a
5xx or no answer raises :class:`~kefu.integration.errors.AdapterUnavailableError` because the
outcome is unknown.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx
import msgspec

from kefu.contracts import ActionRequest, ActionResult, CustomerContext, PluginContext
from kefu.integration.errors import AdapterConfigError, AdapterUnavailableError
from kefu_plugins.adapters.mapping import parse_mapping, read_mapping
from kefu_plugins.adapters.templates import check_customer_id, lookup, placeholders, render

log = logging.getLogger(__name__)

_CONTEXT_VALUES = frozenset({"customer_id"})
_ACTION_VALUES = frozenset({"customer_id", "params", "idempotency_key", "requested_by", "kind"})


class AuthSpec(msgspec.Struct, forbid_unknown_fields=True):
    """How to authenticate: a header carrying a key from an env var (or a literal value)."""

    header: str = "Authorization"
    env: str | None = None
    value: str | None = None
    prefix: str = ""


class SectionSpec(msgspec.Struct, forbid_unknown_fields=True):
    """One context section: where to GET it and which fields to keep."""

    path: str
    items: str | None = None
    pick: str | None = None
    fields: dict[str, str] = msgspec.field(default_factory=dict)
    query: dict[str, str] = msgspec.field(default_factory=dict)


class ActionSpec(msgspec.Struct, forbid_unknown_fields=True):
    """One action: method, path and JSON body, all with placeholders."""

    path: str
    method: Literal["POST", "PUT", "PATCH", "DELETE"] = "POST"
    body: dict[str, Any] = msgspec.field(default_factory=dict)
    detail: str = "{kind} done"


class RestMapping(msgspec.Struct, forbid_unknown_fields=True):
    """A whole REST mapping file."""

    name: str
    sections: dict[str, SectionSpec]
    base_url: str = ""
    base_url_env: str | None = None
    timeout: float = 3.0
    idempotency_header: str = "Idempotency-Key"
    auth: AuthSpec | None = None
    actions: dict[str, ActionSpec] = msgspec.field(default_factory=dict)


def _check_templates(mapping: RestMapping, label: str) -> None:
    for name, section in mapping.sections.items():
        unknown = {p.split(".")[0] for p in placeholders([section.path, section.query])}
        if unknown - _CONTEXT_VALUES:
            bad = sorted(unknown - _CONTEXT_VALUES)
            raise AdapterConfigError(f"{label}: sections.{name} uses unknown placeholders {bad}")
    for name, action in mapping.actions.items():
        unknown = {p.split(".")[0] for p in placeholders([action.path, action.body, action.detail])}
        if unknown - _ACTION_VALUES:
            bad = sorted(unknown - _ACTION_VALUES)
            raise AdapterConfigError(f"{label}: actions.{name} uses unknown placeholders {bad}")


def _project(item: Any, fields: Mapping[str, str]) -> Any:
    if not fields or not isinstance(item, Mapping):
        return item
    return {out: lookup(item, path) for out, path in fields.items()}


class RestAdapter:
    """Reads customer context from, and performs actions on, a JSON REST API (per a mapping)."""

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        mapping: str | Path | Mapping[str, Any],
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        data, label = read_mapping(mapping)
        self.mapping = parse_mapping(data, RestMapping, label)
        _check_templates(self.mapping, label)
        self.name = self.mapping.name
        url = (
            base_url
            or (os.environ.get(self.mapping.base_url_env, "") if self.mapping.base_url_env else "")
            or self.mapping.base_url
        )
        if not url.startswith(("http://", "https://")):
            raise AdapterConfigError(
                f"{label}: base URL {url!r} must start with http:// or https:// "
                f"(set base_url or the variable {self.mapping.base_url_env})"
            )
        self.base_url = url.rstrip("/")
        self.timeout = timeout if timeout is not None else self.mapping.timeout
        self._headers = self._auth_headers(api_key, label)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def sections(self) -> tuple[str, ...]:
        """The context sections this adapter supplies."""
        return tuple(self.mapping.sections)

    def _auth_headers(self, api_key: str | None, label: str) -> dict[str, str]:
        auth = self.mapping.auth
        if auth is None:
            return {}
        key = api_key or (os.environ.get(auth.env) if auth.env else None) or auth.value
        if not key:
            raise AdapterConfigError(
                f"{label}: no API key: set the variable {auth.env} or pass api_key"
            )
        return {auth.header: f"{auth.prefix}{key}"}

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                timeout=self.timeout,
                transport=self._transport,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def customer_context(self, customer_id: str) -> CustomerContext:
        """Every mapped section, fetched concurrently; failed ones are listed as degraded."""
        check_customer_id(customer_id)
        names = list(self.mapping.sections)
        results = await asyncio.gather(
            *(self._section(self.mapping.sections[n], customer_id) for n in names),
            return_exceptions=True,
        )
        sections: dict[str, Any] = {}
        failed: list[str] = []
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("%s: section %s failed: %s", self.name, name, result)
                failed.append(name)
            else:
                sections[name] = result
        if failed and not sections:
            raise AdapterUnavailableError(
                f"{self.name}: every section failed ({', '.join(failed)})"
            )
        degraded = (self.name, *failed) if failed else ()
        return CustomerContext(customer_id=customer_id, sections=sections, degraded=degraded)

    async def _section(self, spec: SectionSpec, customer_id: str) -> Any:
        values = {"customer_id": customer_id}
        path = render(spec.path, values, url=True)
        params = {k: str(render(v, values)) for k, v in spec.query.items()}
        try:
            response = await self._http().get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise AdapterUnavailableError(f"{self.name}: GET {path}: {exc!r}") from exc
        if response.status_code == 404:
            return [] if spec.items is not None else {}
        if response.status_code >= 400:
            raise AdapterUnavailableError(
                f"{self.name}: GET {path} answered {response.status_code}"
            )
        try:
            payload = response.json()
        except ValueError as exc:
            raise AdapterUnavailableError(f"{self.name}: GET {path}: not JSON") from exc
        if spec.items is not None:
            items = lookup(payload, spec.items)
            if not isinstance(items, list):
                raise AdapterUnavailableError(f"{self.name}: {spec.items!r} is not a list")
            return [_project(item, spec.fields) for item in items]
        target = lookup(payload, spec.pick) if spec.pick else payload
        return _project(target, spec.fields)

    async def perform(self, action: ActionRequest) -> ActionResult:
        """Send the mapped request with the idempotency key; see the module docstring."""
        spec = self.mapping.actions.get(action.kind)
        if spec is None:
            known = ", ".join(sorted(self.mapping.actions)) or "none"
            return ActionResult(False, f"{self.name} does not support {action.kind!r} ({known})")
        values = {
            "customer_id": action.customer_id,
            "params": dict(action.params),
            "idempotency_key": action.idempotency_key,
            "requested_by": action.requested_by,
            "kind": action.kind,
        }
        path = render(spec.path, values, url=True)
        body = render(spec.body, values)
        headers = {self.mapping.idempotency_header: action.idempotency_key}
        try:
            response = await self._http().request(spec.method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise AdapterUnavailableError(f"{self.name}: {spec.method} {path}: {exc!r}") from exc
        if response.status_code >= 500:
            raise AdapterUnavailableError(
                f"{self.name}: {spec.method} {path} answered {response.status_code}"
            )
        try:
            payload = response.json()
        except ValueError:
            payload = {"text": response.text[:500]}
        data = payload if isinstance(payload, dict) else {"result": payload}
        if response.status_code >= 400:
            detail = data.get("detail") or data.get("error") or f"HTTP {response.status_code}"
            return ActionResult(False, f"{self.name} refused {action.kind}: {detail}", data)
        return ActionResult(True, str(render(spec.detail, values)), data)
