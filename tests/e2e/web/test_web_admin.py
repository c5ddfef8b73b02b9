"""The admin pages in headless Chromium: every section renders real data or says it cannot."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Page, expect

from e2e.web.browser import screenshot, sign_in
from support.client import agent, new_id, visitor
from support.server import ServerProcess

#: An API key name that would run script if a page parsed it as HTML.
HOSTILE_NAME = "<img src=x onerror=alert(1)>Order system"


async def report_traffic(server: ServerProcess) -> None:
    """Two conversations: one its visitor closes at once, one Alice answers before closing."""
    client, _ = await visitor(server.ws_url)
    await client.send({"type": "close"})
    await client.expect("event", lambda f: f["name"] == "closed")
    await client.close()

    alice, _, _ = await agent(server.http_url, server.ws_url, "alice")
    client, welcome = await visitor(server.ws_url)
    cid = welcome["conversation_id"]
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "where is my order?"})
    await client.expect("ack")
    await client.expect("event", lambda f: f["name"] == "assigned")
    await alice.send(
        {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": "Hi!"}
    )
    await alice.expect("ack")
    await client.expect("message", lambda f: f["sender"] == "agent")
    await client.send({"type": "close"})
    await client.expect("event", lambda f: f["name"] == "closed")
    await client.close()
    await alice.close()


async def test_admin_sections_show_what_the_server_offers(
    web_server: ServerProcess, new_page: Any
) -> None:
    await report_traffic(web_server)

    page: Page = await new_page(width=1280, height=900)
    await sign_in(page, web_server.http_url + "/admin", "admin")
    nav = page.get_by_role("navigation", name="Admin sections")
    heading = page.get_by_role("heading", level=1)

    await expect(heading).to_have_text("Agents & roles")
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(3)  # the demo's alice, bob and admin
    await expect(page.get_by_role("cell", name="Alice", exact=True)).to_be_visible()
    await screenshot(page, "admin-agents-list")

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

    # A key named like markup: the name is shown as text, never parsed.
    await page.get_by_role("button", name="Create key").click()
    dialog = page.get_by_role("dialog", name="Create key")
    await dialog.get_by_label("Name").fill(HOSTILE_NAME)
    await dialog.get_by_role("button", name="Create key").click()
    await expect(page.get_by_role("cell", name=HOSTILE_NAME, exact=True)).to_be_visible()
    await expect(
        page.get_by_role("button", name=f"Revoke {HOSTILE_NAME}", exact=True)
    ).to_be_visible()
    await expect(page.locator("code.secret")).to_have_count(1)
    await expect(page.locator("table img, img[src='x']")).to_have_count(0)

    # Each key change above is in the audit trail, newest first, by the admin.
    await nav.get_by_role("link", name="Audit log").click()
    await expect(heading).to_have_text("Audit log")
    audit = page.get_by_role("table", name="Audit log")
    await expect(audit).to_be_visible()
    entries = audit.locator("tbody tr")
    key_actions = entries.locator("td:nth-child(3) code").filter(has_text=re.compile(r"^apikey\."))
    await expect(key_actions).to_have_text(
        ["apikey.create", "apikey.revoke", "apikey.rotate", "apikey.create"]
    )
    created = entries.filter(has=page.locator("code", has_text=re.compile(r"^apikey\.create$")))
    await expect(created).to_have_count(2)
    for row in (created.first, created.last):
        await expect(row.locator("td").nth(1)).to_have_text("Admin (admin)")
        await expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^apikey:\S+$"))
        await expect(row.locator("td").nth(4)).to_have_text(
            "scopes: events:write, context:read, actions:execute"
        )
    # The rotation replaced the first key; the revocation hit its successor.
    subjects = [await created.nth(i).locator("td").nth(3).text_content() for i in (0, 1)]
    assert subjects[0] != subjects[1], subjects
    rotated = entries.filter(has=page.locator("code", has_text=re.compile(r"^apikey\.rotate$")))
    await expect(rotated.locator("td").nth(3)).to_have_text(subjects[1] or "")
    successor = (await rotated.locator("td").nth(4).text_content() or "").removeprefix(
        "successor: "
    )
    assert re.fullmatch(r"\S+", successor), successor
    revoked = entries.filter(has=page.locator("code", has_text=re.compile(r"^apikey\.revoke$")))
    await expect(revoked.locator("td").nth(3)).to_have_text(f"apikey:{successor}")
    await screenshot(page, "admin-audit")

    await nav.get_by_role("link", name="Knowledge packs").click()
    await expect(heading).to_have_text("Knowledge packs")
    await expect(page.get_by_text("This process serves no knowledge pack.")).to_be_visible()

    await nav.get_by_role("link", name="Reports").click()
    await expect(heading).to_have_text("Reports")
    # The figures are the server's (GET /api/reports), over every stored conversation.
    note = page.get_by_text("All 2 conversations started in the last 14 days")
    await expect(note).to_be_visible()
    per_day = page.get_by_role("img", name="Conversations per day", exact=False)
    label = await per_day.get_attribute("aria-label")
    assert label is not None and label.startswith("Conversations per day: "), label
    days = label.removeprefix("Conversations per day: ").split(", ")
    assert len(days) == 14
    assert sum(int(day.rsplit(" ", 1)[1]) for day in days) == 2, label
    rates = page.get_by_role("img", name="Rates", exact=False)
    await expect(rates).to_have_attribute(
        "aria-label",
        "Rates: Bot resolution rate 50% (1/2 closed without an agent), "
        "Handoff rate 50% (1/2 handed to an agent or queued)",
    )
    first_response = page.get_by_role("figure").filter(has_text="First response time")
    await expect(first_response.get_by_text("1 measured")).to_be_visible()
    resolution = page.get_by_role("figure").filter(has_text="Resolution time")
    await expect(resolution.get_by_text("2 measured")).to_be_visible()
    await expect(resolution.get_by_role("img")).to_have_attribute(
        "aria-label", re.compile(r"^Resolution time: ≤30s \d+, ≤1m \d+, .*, >1h \d+$")
    )
    await screenshot(page, "admin-reports", full_page=True)

    # The language switch turns the whole page to Chinese.
    await page.get_by_role("button", name="切换到中文").click()
    await expect(heading).to_have_text("报表")
    await expect(page.get_by_role("img", name="比率", exact=False)).to_have_attribute(
        "aria-label", "比率: 机器人解决率 50% (1/2 未经人工即结束), 转人工率 50% (1/2 转人工或排队)"
    )
    await screenshot(page, "admin-reports-zh")
    assert page.kefu_problems == []
    assert page.kefu_dialogs == []
