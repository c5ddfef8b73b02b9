"""One visitor's whole journey through real processes: pack answer, hand-off, suggestion, refund.

Kefu serves the ``tiny`` knowledge pack and reads the demo shop (its own uvicorn process and
SQLite file) through the REST adapter, so every step below crosses the real gateway, the real
assistant and the real business system; the refund is checked in the shop's own database.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from demo_shop.launcher import DemoShopProcess
from e2e.web.browser import screenshot, sign_in
from e2e.web.conftest import _kefu_cli, shop_stack
from e2e.web.test_web_assistant import CARD_ANSWER, warm_up
from support.server import ServerProcess

REFUND_SUGGESTION = "Refunds reach your account within 3 days of our receiving the item."


@pytest.fixture
def pack_and_shop(
    tmp_path: Path, tiny_pack_archive: Path
) -> Iterator[tuple[ServerProcess, DemoShopProcess]]:
    """The demo shop, and a Kefu server with the ``tiny`` pack installed that reads the shop."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env["KEFU_DATA_DIR"] = str(data_dir)
    _kefu_cli("pack", "install", str(tiny_pack_archive), env=env)
    with shop_stack(tmp_path, {"pack": "tiny"}, data_dir=data_dir) as stack:
        yield stack


def _refunds(db_path: Path, order_id: str) -> list[tuple[int, str]]:
    """The refunds the shop's own database holds for ``order_id`` (amount, reason)."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT amount_cents, reason FROM refunds WHERE order_id = ? ORDER BY created_at",
            (order_id,),
        ).fetchall()
    return [(int(amount), str(reason)) for amount, reason in rows]


async def test_a_visitor_is_answered_handed_over_and_refunded(
    pack_and_shop: tuple[ServerProcess, DemoShopProcess], new_page: Any
) -> None:
    server, shop = pack_and_shop
    await warm_up(server)
    before = _refunds(shop.db_path, "SO-100238")

    # The bot answers a pack question in the widget.
    page: Page = await new_page()
    await page.goto(server.http_url + "/")
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await panel.get_by_label("Your message").fill("When will my card arrive?")
    await panel.get_by_role("button", name="Send").click()
    await expect(panel.locator(".msg-bot .text")).to_have_text([CARD_ANSWER], timeout=15_000)

    # The visitor asks for a human; Alice takes over in the workbench.
    agent: Page = await new_page(width=1400, height=900)
    await sign_in(agent, server.http_url + "/workbench")
    await expect(agent.locator("#conn")).to_have_text("Online")
    await panel.get_by_role("button", name="Talk to a human").click()
    await expect(panel.get_by_text("Alice has joined the conversation.")).to_be_visible()

    # She sees the pack's suggestions for the next question and the customer's orders.
    await panel.get_by_label("Your message").fill("How do refunds work? My order SO-100238.")
    await panel.get_by_role("button", name="Send").click()
    suggestion = agent.locator(".suggestion .use").first
    await expect(suggestion).to_have_text(REFUND_SUGGESTION, timeout=15_000)
    customer = agent.get_by_role("complementary", name="Customer")
    await customer.get_by_label("Customer ID").fill("C1002")
    await customer.get_by_role("button", name="Show customer").click()
    order = customer.locator("article.order", has_text="SO-100238")
    await expect(order).to_contain_text("shipped")

    # She sends the suggestion as it is; the visitor receives it.
    await suggestion.click()
    await agent.get_by_role("textbox", name="Reply").press("Enter")
    await expect(panel.locator(".msg-agent .text")).to_have_text([REFUND_SUGGESTION])

    # She refunds part of the order, confirms, and sees the result the shop returned.
    await order.get_by_role("button", name="Refund").click()
    dialog = agent.get_by_role("dialog", name="Refund order SO-100238?")
    await dialog.get_by_label("Amount (yuan)").fill("20.00")
    await dialog.get_by_label("Reason").fill("Goodwill for the wait")
    await dialog.get_by_role("button", name="Confirm").click()
    await expect(customer.locator(".results li").first).to_have_text(
        "Refund: done — refunded 2000 cents on order SO-100238"
    )
    assert _refunds(shop.db_path, "SO-100238") == [*before, (2000, "Goodwill for the wait")]
    await screenshot(agent, "workbench-journey")
    assert page.kefu_problems == [] and agent.kefu_problems == []
    assert page.kefu_dialogs == [] and agent.kefu_dialogs == []
