"""The workbench beside a real business system: the demo shop, read and acted on by Kefu."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Page, expect

from demo_shop.launcher import DemoShopProcess
from e2e.web.browser import SHOP_KEY, screenshot, sign_in
from support.client import new_id, visitor
from support.server import ServerProcess

SLOW = 15_000  # ms: hints travel through the outbox relay and the event bus


async def test_orders_live_hint_and_refund_results(
    shop_web_server: tuple[ServerProcess, DemoShopProcess], new_page: Any
) -> None:
    server, shop = shop_web_server
    page: Page = await new_page(width=1400, height=900)
    await sign_in(page, server.http_url + "/workbench")
    await expect(page.locator("#conn")).to_have_text("Online")
    client, _ = await visitor(server.ws_url)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "Where is my order?"})
    await client.expect("event", lambda f: f["name"] == "assigned")

    panel = page.get_by_role("complementary", name="Customer")
    await panel.get_by_label("Customer ID").fill("C1002")
    await panel.get_by_role("button", name="Show customer").click()
    await expect(panel.get_by_text("James Miller")).to_be_visible()
    order = panel.locator("article.order")
    await expect(order).to_have_count(1)
    await expect(order).to_contain_text("Order SO-100238")
    await expect(order).to_contain_text("shipped")

    # The carrier reports a delay: shop -> signed webhook -> Kefu -> hint on Alice's screen.
    async with httpx.AsyncClient(base_url=shop.url, headers={"X-Api-Key": SHOP_KEY}) as http:
        delayed = await http.post(
            "/api/orders/SO-100238/delay",
            json={"reason": "storm at hub", "days": 2},
            headers={"Idempotency-Key": new_id()},
        )
        assert delayed.status_code < 300, delayed.text
    hint = page.locator(".hint")
    await expect(hint).to_contain_text("Parcel delayed", timeout=SLOW)
    await expect(hint).to_contain_text("storm at hub")

    await order.get_by_role("button", name="Refund").click()
    dialog = page.get_by_role("dialog", name="Refund order SO-100238?")
    amount = dialog.get_by_label("Amount (yuan)")
    await expect(amount).to_have_value("129.00")
    await amount.fill("15.00")
    await dialog.get_by_label("Reason").fill("Parcel delayed")
    await dialog.get_by_role("button", name="Confirm").click()
    results = panel.locator(".results li")
    await expect(results.first).to_have_text(
        "Refund: done — refunded 1500 cents on order SO-100238"
    )

    # The whole amount is more than is left to refund (and than an agent may refund alone):
    # the action is refused, and the agent is told why.
    await order.get_by_role("button", name="Refund").click()
    dialog = page.get_by_role("dialog", name="Refund order SO-100238?")
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(results.first).to_contain_text("Refund: failed")
    await expect(results).to_have_count(2)
    await screenshot(page, "workbench-demo-shop")
    await client.close()
    # The only refused request is that refund (the browser logs it as a failed load).
    assert [r.split(" ", 2)[1:] for r in page.kefu_refused] == [
        ["POST", f"{server.http_url}/integration/actions"]
    ]
    assert [p for p in page.kefu_problems if "Failed to load resource" not in p] == []
