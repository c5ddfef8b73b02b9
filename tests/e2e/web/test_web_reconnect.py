"""The widget survives a server restart: it resumes after its last seq and loses nothing."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from support.client import agent, new_id
from support.server import ServerProcess

SLOW = 30_000  # ms: the server restarts and the widget backs off before reconnecting


async def test_widget_resumes_after_a_drop_without_loss_or_duplicates(
    web_server: ServerProcess, new_page: Any
) -> None:
    alice, _, _ = await agent(web_server.http_url, web_server.ws_url, "alice")
    page: Page = await new_page()
    await page.goto(web_server.http_url + "/")
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await panel.get_by_label("Your message").fill("first")
    await panel.get_by_role("button", name="Send").click()
    await expect(panel.get_by_text("Alice has joined the conversation.")).to_be_visible()
    first = await alice.expect("message", lambda f: f["text"] == "first")
    cid = first["conversation_id"]
    await alice.send(
        {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": "a0"}
    )
    await expect(panel.locator(".msg-agent .text")).to_have_text(["a0"])

    await alice.close()
    web_server.stop()
    await expect(panel.get_by_role("status").first).to_have_text("Reconnecting…", timeout=SLOW)
    # Typed while offline: kept and sent with the same client id once the socket is back.
    await panel.get_by_label("Your message").fill("sent while offline")
    await panel.get_by_role("button", name="Send").click()
    await expect(panel.locator(".msg-visitor .state").last).to_have_text("Sending…")
    web_server.start()

    alice, _, _ = await agent(web_server.http_url, web_server.ws_url, "alice")
    seqs = {"first": 1, "a0": 2}
    for text in ("a1", "a2"):
        await alice.send(
            {"type": "message", "conversation_id": cid, "client_msg_id": new_id(), "text": text}
        )
        seqs[text] = (await alice.expect("ack"))["seq"]
    await expect(panel.get_by_role("status").first).to_have_text("Alice", timeout=SLOW)
    await expect(panel.locator(".msg-agent .text")).to_have_text(["a0", "a1", "a2"], timeout=SLOW)
    await expect(panel.locator(".msg-visitor .text")).to_have_text(["first", "sent while offline"])
    await expect(panel.locator(".msg-visitor .state").last).to_have_text("Sent", timeout=SLOW)
    offline = await alice.expect("message", lambda f: f["text"] == "sent while offline")
    seqs["sent while offline"] = offline["seq"]
    assert sorted(seqs.values()) == [1, 2, 3, 4, 5]

    # A reloaded page shows the whole conversation again, once.
    await page.reload()
    await page.get_by_role("button", name="Open chat").click()
    in_order = sorted(seqs, key=seqs.__getitem__)
    await expect(panel.locator(".msg .text")).to_have_text(in_order, timeout=SLOW)
    await alice.close()
    # While the server was down, the browser logged refused connections; nothing else.
    assert [p for p in page.kefu_problems if "ERR_CONNECTION_REFUSED" not in p] == []
