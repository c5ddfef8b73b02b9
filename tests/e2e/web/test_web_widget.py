"""The visitor widget in headless Chromium against a real Kefu server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import expect

from e2e.web.browser import host_site, screenshot
from support.filters import BLOCKED_WORD
from support.server import ServerProcess, free_port


async def test_widget_connects_sends_and_gets_the_ack(
    shared_web_server: ServerProcess, new_page: Any
) -> None:
    page = await new_page()
    await page.goto(shared_web_server.http_url + "/")
    bubble = page.get_by_role("button", name="Open chat")
    await bubble.click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await expect(panel).to_be_visible()
    await expect(panel.get_by_role("status").first).to_have_text("Online")
    await panel.get_by_label("Your message").fill("Where is my parcel?")
    await panel.get_by_role("button", name="Send").click()
    mine = panel.locator(".msg-visitor").last
    await expect(mine.locator(".text")).to_have_text("Where is my parcel?")
    await expect(mine.locator(".state")).to_have_text("Sent")
    assert await mine.get_attribute("data-seq") == "1"
    await screenshot(page, "widget-desktop")
    assert page.kefu_problems == []


async def test_widget_is_usable_at_phone_width(
    shared_web_server: ServerProcess, new_page: Any
) -> None:
    page = await new_page(width=375, height=667, mobile=True)
    await page.goto(shared_web_server.http_url + "/")
    bubble = page.get_by_role("button", name="Open chat")
    box = await bubble.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 667
    await screenshot(page, "widget-phone-closed")
    await bubble.click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await expect(panel.get_by_role("status").first).to_have_text("Online")
    panel_box = await panel.bounding_box()
    assert panel_box is not None
    assert (panel_box["x"], panel_box["width"]) == (0, 375)  # the whole screen, nothing cut off
    for control in (
        panel.get_by_label("Your message"),
        panel.get_by_role("button", name="Send"),
        panel.get_by_role("button", name="Talk to a human"),
        panel.get_by_role("button", name="Close chat"),
    ):
        control_box = await control.bounding_box()
        assert control_box is not None, control
        assert control_box["x"] >= 0 and control_box["x"] + control_box["width"] <= 375
        assert control_box["y"] + control_box["height"] <= 667
        assert control_box["height"] >= 32  # big enough to tap
    await panel.get_by_label("Your message").fill("Hi from my phone")
    await panel.get_by_role("button", name="Send").click()
    await expect(panel.locator(".msg-visitor .state")).to_have_text("Sent")
    await screenshot(page, "widget-phone")
    await panel.get_by_role("button", name="Close chat").click()
    await expect(panel).to_be_hidden()
    assert page.kefu_problems == []


async def test_widget_speaks_chinese_and_switches_language(
    shared_web_server: ServerProcess, new_page: Any
) -> None:
    page = await new_page(locale="zh-CN")
    await page.goto(shared_web_server.http_url + "/")
    await page.get_by_role("button", name="打开聊天").click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await expect(panel.get_by_role("button", name="转人工")).to_be_visible()
    await expect(panel.get_by_role("status").first).to_have_text("在线")
    await screenshot(page, "widget-zh")
    await panel.get_by_role("button", name="Switch to English").click()
    await expect(panel.get_by_role("button", name="Talk to a human")).to_be_visible()
    # The choice is remembered across page loads.
    await page.reload()
    await expect(page.get_by_role("button", name="Open chat")).to_be_visible()


async def test_widget_marks_blocked_messages_and_starts_over_after_closing(
    shared_web_server: ServerProcess, new_page: Any
) -> None:
    page = await new_page()
    await page.goto(shared_web_server.http_url + "/")
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Demo Shop")
    await expect(panel.get_by_role("status").first).to_have_text("Online")
    box = panel.get_by_label("Your message")
    await box.fill(f"this has the {BLOCKED_WORD} in it")
    await box.press("Enter")
    await expect(panel.locator(".msg-visitor .state")).to_have_text(
        ["This message was not delivered: it breaks our message rules."]
    )
    await panel.get_by_role("button", name="End conversation").click()
    await expect(panel.get_by_text("You ended this conversation.")).to_be_visible()
    await expect(box).to_be_hidden()
    await panel.get_by_role("button", name="Start a new conversation").click()
    await box.fill("A fresh start")
    await box.press("Enter")
    fresh = panel.locator(".msg-visitor")
    await expect(fresh.locator(".text")).to_have_text(["A fresh start"])
    await expect(fresh.locator(".state")).to_have_text(["Sent"])
    assert await fresh.get_attribute("data-seq") == "1"  # a new conversation counts from 1
    assert page.kefu_problems == []


#: The port of the "other site" embedding the widget; Kefu must allow its origin.
ACME_PORT = free_port()
ACME_ORIGIN = f"http://localhost:{ACME_PORT}"


@pytest.mark.parametrize(
    "web_server", [{"security_allowed_origins": json.dumps([ACME_ORIGIN])}], indirect=True
)
async def test_the_snippet_embeds_the_widget_on_another_site(
    web_server: ServerProcess, new_page: Any
) -> None:
    page = await new_page()
    snippet = (
        f'<script src="{web_server.http_url}/static/widget.js" defer '
        'data-kefu-title="Acme help" data-kefu-lang="zh" data-kefu-open="true"></script>'
    )
    host_page = (
        "<!doctype html><html><head><style>button { background: red; font-size: 40px }</style>"
        f"</head><body><h1>Acme</h1>{snippet}</body></html>"
    )

    # Served from another origin (localhost, not 127.0.0.1) by a real server: Chromium only
    # lets a page load from an address space as private as its own.
    with host_site(host_page, ACME_PORT) as acme_url:
        await page.goto(acme_url)
        panel = page.get_by_role("dialog", name="Acme help")
        await expect(panel.get_by_role("status").first).to_have_text("在线")
        await panel.get_by_label("您的消息").fill("你好")
        await panel.get_by_role("button", name="发送").click()
        await expect(panel.locator(".msg-visitor .state")).to_have_text(["已发送"])
        # The host page's CSS does not reach into the widget.
        send = panel.get_by_role("button", name="发送")
        assert await send.evaluate("b => getComputedStyle(b).fontSize") != "40px"
        await screenshot(page, "widget-embedded-zh")
        assert page.kefu_problems == []
