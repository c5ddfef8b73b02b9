"""The admin pages in headless Chromium: every section renders real data or says it cannot."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from e2e.web.browser import screenshot, sign_in
from support.client import new_id, visitor
from support.server import ServerProcess


async def test_admin_sections_show_what_the_server_offers(
    web_server: ServerProcess, new_page: Any
) -> None:
    # Some traffic for the reports: two conversations, one closed by its visitor.
    for text in ("hello", "where is my order?"):
        client, _ = await visitor(web_server.ws_url)
        await client.send({"type": "message", "client_msg_id": new_id(), "text": text})
        await client.expect("ack")
        await client.send({"type": "close"})
        await client.expect("event", lambda f: f["name"] == "closed")
        await client.close()

    page: Page = await new_page(width=1280, height=900)
    await sign_in(page, web_server.http_url + "/admin", "admin")
    nav = page.get_by_role("navigation", name="Admin sections")
    heading = page.get_by_role("heading", level=1)

    await expect(heading).to_have_text("Agents & roles")
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(3)  # the demo's alice, bob and admin
    await expect(page.get_by_role("cell", name="Alice", exact=True)).to_be_visible()
    await screenshot(page, "admin-agents")

    await nav.get_by_role("link", name="Plugins").click()
    await expect(heading).to_have_text("Plugins")
    await expect(page.get_by_role("cell", name="handoff", exact=True)).to_be_visible()
    await screenshot(page, "admin-plugins")

    # API keys: create one (its secret is shown once), rotate it, revoke the successor.
    await nav.get_by_role("link", name="API keys").click()
    await expect(heading).to_have_text("API keys")
    await page.get_by_role("button", name="Create key").click()
    dialog = page.get_by_role("dialog", name="Create key")
    await dialog.get_by_label("Name").fill("Order system")
    await dialog.get_by_role("button", name="Create key").click()
    secret = page.locator("code.secret")
    await expect(secret).to_have_count(1)
    first_key = await secret.text_content()
    assert first_key and len(first_key) >= 20
    await expect(
        page.get_by_role("cell", name="actions:execute context:read events:write")
    ).to_be_visible()
    await page.get_by_role("button", name="Rotate Order system").click()
    await page.get_by_role("dialog", name="Rotate").get_by_role("button", name="Rotate").click()
    await expect(secret).not_to_have_text(first_key)
    await expect(page.get_by_text("replaced by")).to_be_visible()
    await screenshot(page, "admin-keys")
    await page.get_by_role("button", name="Revoke Order system").last.click()
    await page.get_by_role("dialog", name="Revoke").get_by_role("button", name="Revoke").click()
    await expect(page.get_by_text("revoked", exact=True)).to_be_visible()

    await nav.get_by_role("link", name="Audit log").click()
    await expect(heading).to_have_text("Audit log")
    await expect(
        page.get_by_text("Not available on this server").or_(page.get_by_role("table"))
    ).to_be_visible()
    await screenshot(page, "admin-audit")

    await nav.get_by_role("link", name="Knowledge packs").click()
    await expect(heading).to_have_text("Knowledge packs")
    await expect(page.get_by_text("This process serves no knowledge pack.")).to_be_visible()

    await nav.get_by_role("link", name="Reports").click()
    await expect(heading).to_have_text("Reports")
    await expect(page.get_by_role("img", name="Conversations per day", exact=False)).to_be_visible()
    await expect(page.get_by_text("Computed in your browser from the latest 2")).to_be_visible()
    rates = page.get_by_role("img", name="Rates", exact=False)
    await expect(rates).to_have_attribute(
        "aria-label",
        "Rates: Bot resolution rate 100% (2/2 closed without an agent), "
        "Handoff rate 0% (0/2 handed to an agent)",
    )
    await screenshot(page, "admin-reports", full_page=True)

    # The language switch turns the whole page to Chinese.
    await page.get_by_role("button", name="切换到中文").click()
    await expect(heading).to_have_text("报表")
    await screenshot(page, "admin-reports-zh")
    assert page.kefu_problems == []
    assert page.kefu_dialogs == []
