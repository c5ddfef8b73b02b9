"""The bot answers from a knowledge pack in the widget; the pack suggests replies to agents."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from e2e.web.browser import screenshot, sign_in
from support.client import new_id, visitor
from support.server import ServerProcess

CARD_ANSWER = "Cards arrive within 5 working days of your order."


async def warm_up(server: ServerProcess) -> None:
    """Ask until the bot answers: a fresh process's first turns load the tokenizer and models,
    which can overrun the assistant's 2 s analysis deadline on a busy machine (it then hands
    the visitor to a human, as it should)."""
    for _ in range(8):
        client, _ = await visitor(server.ws_url)
        await client.send(
            {"type": "message", "client_msg_id": new_id(), "text": "When will my card arrive?"}
        )
        frames = await client.quiet(5.0)
        await client.close()
        if any(f["type"] == "message" and f["sender"] == "bot" for f in frames):
            return
    raise AssertionError("the knowledge pack never answered")


async def test_bot_answers_from_a_knowledge_pack(
    pack_web_server: ServerProcess, new_page: Any
) -> None:
    await warm_up(pack_web_server)

    page: Page = await new_page()
    await page.goto(pack_web_server.http_url + "/")
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await panel.get_by_label("Your message").fill("When will my card arrive?")
    await panel.get_by_role("button", name="Send").click()
    bot = panel.locator(".msg-bot")
    await expect(bot.locator(".text")).to_have_text([CARD_ANSWER], timeout=15_000)
    await expect(bot.locator(".who")).to_have_text(["Assistant"])
    # The answer shows where it came from (the FAQ entry of the pack).
    await bot.locator(".sources summary").click()
    await expect(bot.locator(".sources li")).to_contain_text(["card-arrival"], timeout=10_000)
    await screenshot(page, "widget-pack-answer")

    # A human takes over; the pack now suggests replies to the agent instead of answering.
    agent_page: Page = await new_page()
    await sign_in(agent_page, pack_web_server.http_url + "/workbench")
    await expect(agent_page.locator("#conn")).to_have_text("Online")
    await panel.get_by_role("button", name="Talk to a human").click()
    await expect(panel.get_by_text("Alice has joined the conversation.")).to_be_visible()
    await panel.get_by_label("Your message").fill("How do refunds work?")
    await panel.get_by_role("button", name="Send").click()
    suggestions = agent_page.locator(".suggestion .use")
    await expect(suggestions.first).to_have_text(
        "Refunds reach your account within 3 days of our receiving the item.", timeout=15_000
    )
    assert await suggestions.count() <= 3
    await expect(agent_page.locator(".suggestion-sources").first).to_contain_text("refunds")
    await screenshot(agent_page, "workbench-pack-suggestions")
    await suggestions.first.click()
    reply = agent_page.get_by_role("textbox", name="Reply")
    await reply.press("End")
    await reply.type(" Anything else?")
    await reply.press("Enter")
    await expect(panel.locator(".msg-agent .text")).to_have_text(
        ["Refunds reach your account within 3 days of our receiving the item. Anything else?"]
    )
    assert page.kefu_problems == [] and agent_page.kefu_problems == []

    # The admin sees the installed pack, what it serves, its evaluation figures; and reloads it.
    admin: Page = await new_page(width=1280, height=720)
    await sign_in(admin, pack_web_server.http_url + "/admin#packs", "admin")
    await expect(admin.get_by_text("Serving: tiny 1.0.0")).to_be_visible()
    row = admin.get_by_role("row", name="tiny", exact=False)
    await expect(row).to_contain_text("intent accuracy 100%")
    await expect(row).to_contain_text("active")
    await row.get_by_role("button", name="Reload").click()
    await admin.get_by_role("dialog", name="Confirm").get_by_role("button", name="Confirm").click()
    await expect(admin.get_by_text("Done.")).to_be_visible(timeout=15_000)
    await screenshot(admin, "admin-packs")
    assert admin.kefu_problems == []
