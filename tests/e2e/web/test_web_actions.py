"""The workbench's customer panel acting on the real demo shop, and the shop's live hints.

Coupons and order flags are confirmed in the browser, reported in the panel and checked in the
shop's own SQLite database (read only). New orders and delays created through the shop's API
reach the agent as hints; text from the shop is shown as text, never parsed as markup.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from demo_shop.launcher import DemoShopProcess
from e2e.web.browser import SHOP_KEY, screenshot, sign_in
from support.client import new_id, visitor
from support.server import ServerProcess

SLOW = 15_000  # ms: hints and cache drops travel through the outbox relay and the event bus
#: Shop text that would run script if a page parsed it as HTML.
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>Kettle & <b>cups</b>"


@contextmanager
def shop_db(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the demo shop's database (the shop keeps writing to it)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        yield conn


def shop_rows(path: Path, sql: str, *args: object) -> list[dict[str, Any]]:
    """Rows of one query on the shop's database."""
    with shop_db(path) as conn:
        return [dict(row) for row in conn.execute(sql, args)]


async def open_customer(server: ServerProcess, page: Page, customer_id: str, name: str) -> Any:
    """Alice signed in, a visitor assigned to her, the chat tied to ``customer_id``."""
    await sign_in(page, server.http_url + "/workbench")
    await expect(page.locator("#conn")).to_have_text("Online")
    client, _ = await visitor(server.ws_url)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "Hello, a question"})
    await client.expect("event", lambda f: f["name"] == "assigned")
    panel = page.get_by_role("complementary", name="Customer")
    await panel.get_by_label("Customer ID").fill(customer_id)
    await panel.get_by_role("button", name="Show customer").click()
    await expect(panel.get_by_text(name, exact=True)).to_be_visible()
    return client


async def test_coupon_and_flag_order_reach_the_shop(
    shop_web_server: tuple[ServerProcess, DemoShopProcess], new_page: Any
) -> None:
    server, shop = shop_web_server
    page: Page = await new_page(width=1400, height=900)
    client = await open_customer(server, page, "C1003", "Aiko Tanaka")
    panel = page.get_by_role("complementary", name="Customer")
    results = panel.locator(".results li")
    assert shop_rows(shop.db_path, "SELECT code FROM coupons WHERE customer_id = ?", "C1003") == []

    # A coupon: the dialog asks for value, validity and reason, then the shop issues it.
    await panel.get_by_role("button", name="Issue coupon").click()
    dialog = page.get_by_role("dialog", name="Issue a coupon to this customer?")
    await expect(dialog.get_by_text("This calls your business system now.")).to_be_visible()
    await expect(dialog.get_by_label("Coupon value (yuan)")).to_have_value("10.00")
    await dialog.get_by_label("Coupon value (yuan)").fill("12.50")
    await dialog.get_by_label("Valid for (days)").fill("14")
    await dialog.get_by_label("Reason").fill("Sorry for the wait")
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(dialog).to_be_hidden()
    await expect(results).to_have_text(["Coupon: done — issued a coupon worth 1250 cents"])
    # The HTTP answer and the pushed result are one action: still one line a moment later.
    await page.wait_for_timeout(1000)
    await expect(results).to_have_count(1)

    coupons = shop_rows(shop.db_path, "SELECT * FROM coupons WHERE customer_id = ?", "C1003")
    assert len(coupons) == 1, coupons
    coupon = coupons[0]
    assert coupon["value_cents"] == 1250
    assert coupon["reason"] == "Sorry for the wait"
    created = datetime.fromisoformat(coupon["created_at"])
    assert datetime.fromisoformat(coupon["expires_at"]) - created == timedelta(days=14)
    keys = shop_rows(shop.db_path, "SELECT key FROM idempotency_keys WHERE endpoint = 'coupon'")
    assert len(keys) == 1 and keys[0]["key"].startswith("wb-"), keys

    # Flag an order; the reason (markup included) reaches the shop exactly as typed.
    order = panel.locator("article.order").filter(has_text="Order SO-100240")
    await expect(order).to_have_count(1)
    await expect(order.locator(".badge.bad")).to_have_count(0)
    await order.get_by_role("button", name="Flag order").click()
    dialog = page.get_by_role("dialog", name="Flag order SO-100240?")
    await dialog.get_by_role("button", name="Confirm").click()
    # The reason is required: an empty one keeps the dialog open and calls nothing.
    await expect(dialog).to_be_visible()
    assert shop_rows(shop.db_path, "SELECT id FROM order_flags") == []
    await dialog.get_by_label("Reason").fill(f"Address looks wrong {HOSTILE}")
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(dialog).to_be_hidden()
    await expect(results).to_have_text(
        [
            "Flag order: done — flagged order SO-100240",
            "Coupon: done — issued a coupon worth 1250 cents",
        ]
    )
    flags = shop_rows(shop.db_path, "SELECT order_id, reason FROM order_flags")
    assert flags == [{"order_id": "SO-100240", "reason": f"Address looks wrong {HOSTILE}"}]
    flagged = shop_rows(shop.db_path, "SELECT id FROM orders WHERE flagged = 1")
    assert flagged == [{"id": "SO-100240"}]

    # The panel reads the customer again after a done action: the flag shows without a reload.
    card = panel.locator("article.order").filter(has_text="Order SO-100240")
    await expect(card.locator(".badge.bad")).to_have_text("Flagged")
    other = panel.locator("article.order").filter(has_text="Order SO-100220")
    await expect(other).to_have_count(1)
    await expect(other.locator(".badge.bad")).to_have_count(0)
    await screenshot(page, "workbench-actions")
    await client.close()
    assert page.kefu_refused == []
    assert page.kefu_problems == []
    assert page.kefu_dialogs == []


async def test_new_order_and_delay_hints_show_shop_text_as_text(
    shop_web_server: tuple[ServerProcess, DemoShopProcess], new_page: Any
) -> None:
    server, shop = shop_web_server
    page: Page = await new_page(width=1400, height=900)
    client = await open_customer(server, page, "C1001", "Mei Chen")
    hints = page.locator(".hints .hint")
    await expect(hints).to_have_count(0)

    # The customer buys something while chatting: shop API -> webhook -> Kefu -> Alice.
    async with httpx.AsyncClient(base_url=shop.url, headers={"X-Api-Key": SHOP_KEY}) as http:
        placed = await http.post(
            "/api/orders",
            json={
                "customer_id": "C1001",
                "total_cents": 4200,
                "items": [{"sku": "KETTLE-09", "name": HOSTILE, "qty": 1}],
            },
            headers={"Idempotency-Key": new_id()},
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        await expect(hints).to_have_count(1, timeout=SLOW)
        pending = hints.first
        await expect(pending.locator("strong")).to_have_text("New order pending")
        await expect(pending).to_contain_text(f"New order {order_id} pending")

        # The order is paid, shipped and delayed, the carrier's reason being shop text.
        for path, body in (("pay", {"method": "card"}), ("ship", {"carrier": "DHL"})):
            done = await http.post(
                f"/api/orders/{order_id}/{path}", json=body, headers={"Idempotency-Key": new_id()}
            )
            assert done.status_code == 201, done.text
        delayed = await http.post(
            f"/api/orders/{order_id}/delay",
            json={"reason": HOSTILE, "days": 3},
            headers={"Idempotency-Key": new_id()},
        )
        assert delayed.status_code == 201, delayed.text
    expected = delayed.json()["expected_at"][:10]

    await expect(hints).to_have_count(2, timeout=SLOW)
    delay = hints.filter(has_text="Parcel delayed")
    await expect(delay).to_have_text(
        f"Parcel delayed: order {order_id} (DHL), {HOSTILE}; now expected {expected}"
    )
    await expect(page.locator(".hints img, .hints script, .hints b")).to_have_count(0)
    await expect(page.locator("img[src='x']")).to_have_count(0)
    await expect(hints.first).to_contain_text(f"New order {order_id} pending")
    await screenshot(page, "workbench-hints")
    stored = shop_rows(shop.db_path, "SELECT items, status FROM orders WHERE id = ?", order_id)
    assert len(stored) == 1 and stored[0]["status"] == "shipped", stored
    assert HOSTILE in stored[0]["items"]
    await client.close()
    assert page.kefu_refused == []
    assert page.kefu_problems == []
    assert page.kefu_dialogs == []
