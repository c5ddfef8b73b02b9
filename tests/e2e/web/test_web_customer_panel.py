"""The customer panel against the real stack: masked data, unmasking, audit, hostile text.

The demo shop is the business system and Kefu reads it through the REST adapter; masking,
the unmask grant and the audit trail are the server's own. Hostile text enters where a
business system really can send it: a carrier name and a delay reason, through the shop's API.
"""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Locator, Page, expect

from demo_shop.launcher import DemoShopProcess
from e2e.web.browser import SHOP_KEY, screenshot, sign_in
from support.client import FrameClient, new_id, visitor
from support.server import ServerProcess

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
MASKED_PHONE = "+14*******01"
CLEAR_PHONE = "+1 415 555 0101"
REASON = "Customer asked for a callback"
SLOW = 15_000  # ms: hints travel through the outbox relay and the event bus
#: ms to wait for the grant of ``short_grant_shop_server`` (20 s) to run out.
GRANT_END = 60_000
PHONE = "dl.kv dt:text-is('phone') + dd"


async def _shop(shop: DemoShopProcess, path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=shop.url, headers={"X-Api-Key": SHOP_KEY}) as http:
        answer = await http.post(path, json=body, headers={"Idempotency-Key": new_id()})
        assert answer.status_code < 300, answer.text


async def _open_customer(
    page: Page, server: ServerProcess, username: str
) -> tuple[Locator, FrameClient]:
    """Sign ``username`` in to the workbench, let a visitor reach them, show customer C1001."""
    await sign_in(page, server.http_url + "/workbench", username)
    await expect(page.locator("#conn")).to_have_text("Online")
    client, _ = await visitor(server.ws_url)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "Call me back"})
    await client.expect("event", lambda f: f["name"] == "assigned")
    panel = page.get_by_role("complementary", name="Customer")
    await panel.get_by_label("Customer ID").fill("C1001")
    await panel.get_by_role("button", name="Show customer").click()
    await expect(panel.get_by_text("Mei Chen")).to_be_visible()
    return panel, client


async def test_agent_unmasks_a_phone_the_audit_log_shows_why_and_it_masks_again(
    short_grant_shop_server: tuple[ServerProcess, DemoShopProcess], new_page: Any
) -> None:
    server, shop = short_grant_shop_server
    # Mei's pending order is paid and handed to a carrier whose name is markup.
    await _shop(shop, "/api/orders/SO-100245/pay", {"method": "card"})
    await _shop(shop, "/api/orders/SO-100245/ship", {"carrier": HOSTILE})

    alice: Page = await new_page(width=1400, height=900)
    panel, alice_visitor = await _open_customer(alice, server, "alice")
    phone = panel.locator(PHONE)
    await expect(phone).to_contain_text(MASKED_PHONE)
    shipped = panel.locator("article.order", has_text="SO-100245")
    await expect(shipped).to_contain_text(HOSTILE)

    # The carrier reports a delay with a reason that is markup too; it arrives as a live hint.
    await _shop(shop, "/api/orders/SO-100231/delay", {"reason": HOSTILE, "days": 2})
    hint = alice.locator(".hint")
    await expect(hint).to_contain_text("Parcel delayed", timeout=SLOW)
    await expect(hint).to_contain_text(HOSTILE)
    # The page's only script is its own module; the markup created no element anywhere.
    assert await alice.locator("img").count() == 0
    assert await alice.locator("script").count() == 1

    # A reason too short to audit is refused in the page, before anything is asked or stored.
    unmask_phone = panel.get_by_role("button", name="Unmask: phone")
    dialog = alice.get_by_role("dialog", name="Show the full value of “phone”?")
    await unmask_phone.click()
    await dialog.get_by_label("Why do you need it?").fill("  ok ")
    await dialog.get_by_role("button", name="Unmask").click()
    await expect(alice.get_by_role("alert")).to_have_text("Give a reason of at least 5 characters.")
    await expect(phone).to_contain_text(MASKED_PHONE)

    await unmask_phone.click()
    await dialog.get_by_label("Why do you need it?").fill(REASON)
    await dialog.get_by_role("button", name="Unmask").click()
    await expect(phone).to_contain_text(CLEAR_PHONE)
    await expect(phone).to_contain_text("shown until")
    await expect(unmask_phone).to_have_count(0)
    await screenshot(alice, "workbench-customer")

    # The grant is Alice's alone: Bob, beside her, sees the phone masked.
    bob: Page = await new_page(width=1400, height=900)
    bob_panel, bob_visitor = await _open_customer(bob, server, "bob")
    await expect(bob_panel.locator(PHONE)).to_contain_text(MASKED_PHONE)
    await expect(bob_panel.get_by_text(CLEAR_PHONE)).to_have_count(0)

    # An admin reads who asked, for which field and why, and that the value was shown.
    admin: Page = await new_page(width=1400, height=900)
    await sign_in(admin, server.http_url + "/admin", "admin")
    await (
        admin.get_by_role("navigation", name="Admin sections")
        .get_by_role("link", name="Audit log")
        .click()
    )
    request = admin.locator("tbody tr", has_text="unmask.request")
    await expect(request).to_have_count(1)
    await expect(request).to_contain_text("Alice (alice)")
    await expect(request).to_contain_text("customer:C1001")
    await expect(request).to_contain_text("field: profile.phone")
    await expect(request).to_contain_text(f"reason: {REASON}")
    await expect(request).to_contain_text("status: approved")
    viewed = admin.locator("tbody tr", has_text="unmask.view")
    await expect(viewed.first).to_contain_text("Alice (alice)")
    await expect(viewed.first).to_contain_text("fields: profile.phone")
    await screenshot(admin, "admin-audit-unmask")
    # Filtering on one action leaves only that action's entries.
    await admin.get_by_label("Action", exact=True).fill("unmask.request")
    await admin.get_by_label("Action", exact=True).press("Enter")
    await expect(admin.locator("tbody tr")).to_have_count(1)
    await expect(admin.locator("tbody tr")).to_contain_text(REASON)

    # When the grant runs out the workbench reads the context again, masked by the server.
    await expect(phone).to_contain_text(MASKED_PHONE, timeout=GRANT_END)
    await expect(unmask_phone).to_be_visible()
    await expect(panel.get_by_text(CLEAR_PHONE)).to_have_count(0)

    for page in (alice, bob, admin):
        assert page.kefu_dialogs == []
        assert page.kefu_problems == []
        assert page.kefu_refused == []
    await alice_visitor.close()
    await bob_visitor.close()
