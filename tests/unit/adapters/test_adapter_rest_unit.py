"""The REST adapter's edges with a scripted HTTP transport: mapping errors, degraded sections,
refusals versus unknown outcomes. (Its behaviour on a real server is in the conformance test.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kefu.contracts import ActionRequest
from kefu.integration.errors import AdapterConfigError, AdapterUnavailableError
from kefu_plugins.adapters.rest import RestAdapter
from kefu_plugins.adapters.templates import check_customer_id, lookup, render

MAPPING: dict[str, Any] = {
    "name": "shop",
    "base_url": "http://shop.test",
    "auth": {"header": "X-Api-Key", "value": "k"},
    "sections": {
        "orders": {
            "path": "/customers/{customer_id}/orders",
            "items": "orders",
            "fields": {"id": "id", "carrier": "ship.carrier"},
        },
        "profile": {"path": "/customers/{customer_id}"},
    },
    "actions": {
        "refund": {
            "path": "/refunds",
            "body": {"order": "{params.order_id}", "cents": "{params.amount_cents}"},
        },
    },
}


def adapter(handler: Any, mapping: dict[str, Any] | None = None) -> RestAdapter:
    return RestAdapter(mapping=mapping or MAPPING, transport=httpx.MockTransport(handler))


def action(kind: str = "refund") -> ActionRequest:
    return ActionRequest(
        kind, "C1", {"order_id": "SO-1", "amount_cents": 300}, "key-12345678", "a1"
    )


def test_templates_keep_types_and_quote_urls() -> None:
    values = {"params": {"n": 3, "id": "a/b"}, "customer_id": "C 1"}
    assert render("{params.n}", values) == 3
    assert render("n={params.n}", values) == "n=3"
    assert render("/c/{customer_id}/{params.id}", values, url=True) == "/c/C%201/a%2Fb"
    assert lookup({"a": [{"b": 1}]}, "a.0.b") == 1
    assert lookup({"a": 1}, "a.b") is None
    with pytest.raises(ValueError):
        check_customer_id("\x00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sections": {"x": {"path": "/a/{secret}"}}}, "unknown placeholders"),
        ({"base_url": "ftp://x"}, "must start with http"),
        ({"sections": {"x": {"path": "/a", "colour": "red"}}}, "colour"),
        ({"auth": {"header": "X", "env": "KEFU_TEST_UNSET_KEY"}}, "KEFU_TEST_UNSET_KEY"),
        ({"timeout": "soon"}, "timeout"),
    ],
)
def test_a_bad_mapping_names_the_problem(change: dict[str, Any], message: str) -> None:
    with pytest.raises(AdapterConfigError, match=message):
        RestAdapter(mapping={**MAPPING, **change})


def test_mapping_files_in_toml_and_yaml(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(MAPPING))
    assert RestAdapter(mapping=path).sections == ("orders", "profile")
    broken = tmp_path / "m.toml"
    broken.write_text("name = ")
    with pytest.raises(AdapterConfigError, match="cannot parse"):
        RestAdapter(mapping=broken)
    with pytest.raises(AdapterConfigError, match="does not exist"):
        RestAdapter(mapping=tmp_path / "none.toml")


async def test_sections_are_mapped_and_a_failing_one_is_degraded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Api-Key"] == "k"
        if request.url.path.endswith("/orders"):
            return httpx.Response(
                200, json={"orders": [{"id": "SO-1", "ship": {"carrier": "UPS"}}]}
            )
        return httpx.Response(503)

    context = await adapter(handler).customer_context("C1")
    assert context.sections == {"orders": [{"id": "SO-1", "carrier": "UPS"}]}
    assert context.degraded == ("shop", "profile")


async def test_every_section_failing_raises_unavailable() -> None:
    with pytest.raises(AdapterUnavailableError):
        await adapter(lambda r: httpx.Response(500)).customer_context("C1")


async def test_an_action_sends_the_key_and_the_rendered_body() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["key"] = request.headers["Idempotency-Key"]
        seen["body"] = json.loads(request.content)
        return httpx.Response(201, json={"refund_id": "RF-1"})

    result = await adapter(handler).perform(action())
    assert result.ok and result.data == {"refund_id": "RF-1"}
    assert seen == {"key": "key-12345678", "body": {"order": "SO-1", "cents": 300}}


async def test_a_4xx_is_a_refusal_and_a_5xx_an_unknown_outcome() -> None:
    refused = await adapter(lambda r: httpx.Response(422, json={"detail": "too much"})).perform(
        action()
    )
    assert not refused.ok and "too much" in refused.detail
    with pytest.raises(AdapterUnavailableError):
        await adapter(lambda r: httpx.Response(502)).perform(action())


async def test_an_unmapped_action_is_refused() -> None:
    result = await adapter(lambda r: httpx.Response(200)).perform(action("issue_coupon"))
    assert not result.ok and "issue_coupon" in result.detail
