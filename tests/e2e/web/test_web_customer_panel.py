"""The customer panel with masked data and hostile values, and the unmask request.

The unmask endpoint is not in this server yet and the demo shop sends neither masked fields
nor markup, so the browser's requests for the customer context and for unmasking are answered
by stubs holding the JSON docs/web.md specifies. Everything else is the real server
(test_web_demo_shop.py covers the real context, hints and actions).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, Route, expect

from e2e.web.browser import screenshot, sign_in
from support.client import new_id, visitor
from support.server import ServerProcess

HOSTILE = '<img src=x onerror="alert(1)">'
CONTEXT: dict[str, Any] = {
    "customer_id": "c-1001",
    "sections": {
        "profile": {
            "name": "Li Lei",
            "phone": "138****5678",
            "email": "l***@example.com",
            "tier": "gold",
            "note": "<script>alert(2)</script>",
        },
        "orders": [
            {
                "id": "o-1",
                "status": "shipped",
                "total_cents": 29900,
                "currency": "CNY",
                "placed_at": "2026-11-20T08:00:00+00:00",
                "carrier": "SF Express",
                "tracking": "SF123",
                "shipment_status": HOSTILE,
                "expected_at": "2026-11-25T08:00:00+00:00",
                "flagged": False,
            }
        ],
        "payments": [
            {
                "id": "p-1",
                "order_id": "o-1",
                "method": "card",
                "card_last4": "**** 4242",
                "amount_cents": 29900,
                "status": "paid",
                "paid_at": "2026-11-20T08:01:00+00:00",
            }
        ],
    },
    "degraded": [],
}


async def test_customer_panel_shows_masked_and_hostile_values_and_unmasks(
    web_server: ServerProcess, new_page: Any
) -> None:
    page: Page = await new_page(width=1400, height=900)
    requests: dict[str, Any] = {}

    async def context(route: Route) -> None:
        await route.fulfill(json=CONTEXT)

    async def unmask(route: Route) -> None:
        requests["unmask"] = json.loads(route.request.post_data or "{}")
        until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        await route.fulfill(json={"value": "13812345678", "expires_at": until})

    await page.route("**/integration/customers/*/context", context)
    await page.route("**/api/unmask", unmask)

    await sign_in(page, web_server.http_url + "/workbench")
    await expect(page.locator("#conn")).to_have_text("Online")
    client, welcome = await visitor(web_server.ws_url)
    cid = welcome["conversation_id"]
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "Refund please"})
    await client.expect("event", lambda f: f["name"] == "assigned")

    panel = page.get_by_role("complementary", name="Customer")
    await panel.get_by_label("Customer ID").fill("c-1001")
    await panel.get_by_role("button", name="Show customer").click()
    await expect(panel.get_by_text("Li Lei")).to_be_visible()
    order = panel.locator("article.order")
    await expect(order).to_contain_text("Order o-1")
    await expect(order).to_contain_text(f"SF Express · SF123 · {HOSTILE}")
    await expect(panel.get_by_text("<script>alert(2)</script>")).to_be_visible()
    assert await panel.locator("img, script").count() == 0

    await panel.get_by_role("button", name="Unmask: phone").click()
    dialog = page.get_by_role("dialog", name="Show the full value of “phone”?")
    await dialog.get_by_label("Why do you need it?").fill("Customer asked for a callback")
    await dialog.get_by_role("button", name="Unmask").click()
    await expect(panel.get_by_text("13812345678")).to_be_visible()
    assert requests["unmask"] == {
        "conversation_id": cid,
        "customer_id": "c-1001",
        "section": "profile",
        "index": 0,
        "field": "phone",
        "reason": "Customer asked for a callback",
    }

    await screenshot(page, "workbench-customer")
    assert page.kefu_dialogs == []
    assert page.kefu_problems == []
    await client.close()
