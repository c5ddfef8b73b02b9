"""A visitor asks for a human; an agent in the workbench takes over; text stays text."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from e2e.web.browser import screenshot, sign_in
from support.server import ServerProcess

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(document.domain)">'


async def _open_widget(page: Page, url: str) -> Any:
    await page.goto(url + "/")
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await expect(panel.get_by_role("status").first).to_have_text("Online")
    return panel


async def test_visitor_asks_for_a_human_and_an_agent_answers_both_ways(
    web_server: ServerProcess, new_page: Any
) -> None:
    agent_page: Page = await new_page()
    await sign_in(agent_page, web_server.http_url + "/workbench")
    await expect(agent_page.locator("#conn")).to_have_text("Online")

    visitor_page: Page = await new_page(locale="en-US")
    panel = await _open_widget(visitor_page, web_server.http_url)
    await panel.get_by_role("button", name="Talk to a human").click()
    await expect(panel.get_by_text("Alice has joined the conversation.")).to_be_visible()

    # The conversation arrives in the workbench with its history.
    history = agent_page.get_by_role("log")
    await expect(history.locator(".msg-visitor .text")).to_have_text(
        ["I'd like to talk to a human agent, please."]
    )
    reply = agent_page.get_by_role("textbox", name="Reply")
    await reply.fill("Hello, this is Alice. How can I help?")
    await expect(panel.locator(".typing")).to_have_text("Alice is typing…")
    await reply.press("Enter")
    await expect(panel.locator(".msg-agent .text")).to_have_text(
        ["Hello, this is Alice. How can I help?"]
    )
    await expect(panel.locator(".typing")).to_be_hidden()
    await panel.get_by_label("Your message").fill("My order has not arrived.")
    await expect(agent_page.get_by_text("The visitor is typing…")).to_be_visible()
    await panel.get_by_role("button", name="Send").click()
    await expect(history.locator(".msg-visitor .text").last).to_have_text(
        "My order has not arrived."
    )
    await expect(history.locator(".msg-agent .meta").last).to_contain_text("#2")

    # (c) Markup in messages is shown as text on both sides; nothing runs.
    await panel.get_by_label("Your message").fill(f"{SCRIPT} and {IMAGE}")
    await panel.get_by_role("button", name="Send").click()
    await expect(history.locator(".msg-visitor .text").last).to_have_text(f"{SCRIPT} and {IMAGE}")
    await reply.fill(f"Agent says {IMAGE} {SCRIPT}")
    await reply.press("Enter")
    await expect(panel.locator(".msg-agent .text").last).to_have_text(
        f"Agent says {IMAGE} {SCRIPT}"
    )
    await visitor_page.wait_for_timeout(300)
    for page in (agent_page, visitor_page):
        assert page.kefu_dialogs == [], page.kefu_dialogs
        assert await page.locator("img").count() == 0
        assert await page.locator("script:not([src])").count() == 0
    assert await panel.locator("img, script").count() == 0

    await screenshot(visitor_page, "widget-conversation")
    await screenshot(agent_page, "workbench-conversation")

    # At phone width the workbench stacks its columns; nothing runs off the side.
    await agent_page.set_viewport_size({"width": 390, "height": 844})
    await expect(agent_page.get_by_role("textbox", name="Reply")).to_be_visible()
    width = await agent_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await screenshot(agent_page, "workbench-phone", full_page=True)
    assert agent_page.kefu_problems == []
    assert visitor_page.kefu_problems == []
