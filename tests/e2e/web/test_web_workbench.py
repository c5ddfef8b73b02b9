"""The workbench's queue, close and transfer, against a real server and real sockets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from e2e.web.browser import screenshot, sign_in
from support.client import agent, new_id, visitor
from support.server import ServerProcess

#: The queue's waiting time as lists.js shows it (format.js ``duration``).
WAITED = re.compile(r"^waiting (?:(\d+)s|(\d+)m(?: (\d+)s)?)$")


def waited_seconds(text: str | None) -> int:
    """The seconds of a shown waiting time such as "waiting 1m 5s"."""
    match = WAITED.match(text or "")
    assert match, text
    seconds, minutes, rest = match.groups()
    return int(seconds) if seconds is not None else int(minutes) * 60 + int(rest or 0)


@pytest.mark.parametrize("web_server", [{"agent_capacity": "1"}], indirect=True)
async def test_queue_close_and_transfer(web_server: ServerProcess, new_page: Any) -> None:
    page: Page = await new_page()
    await page.goto(web_server.http_url + "/workbench")
    await expect(page.get_by_role("heading", name="Sign in to the workbench")).to_be_visible()
    await screenshot(page, "workbench-login")
    await sign_in(page, web_server.http_url + "/workbench")
    await expect(page.locator("#conn")).to_have_text("Online")

    first, _ = await visitor(web_server.ws_url)
    await first.send({"type": "message", "client_msg_id": new_id(), "text": "Order question"})
    await first.expect("event", lambda f: f["name"] == "assigned")
    history = page.get_by_role("log")
    await expect(history.locator(".msg-visitor .text")).to_have_text(["Order question"])

    # Alice is at capacity: the second visitor waits, and the queue says for how long.
    second, _ = await visitor(web_server.ws_url)
    await second.send({"type": "message", "client_msg_id": new_id(), "text": "Anyone there?"})
    await second.expect("event", lambda f: f["name"] == "queued")
    queue = page.locator("#queue")
    await expect(queue.get_by_text("#1 in line")).to_be_visible(timeout=10_000)
    # lists.js shows "waiting " + duration(): "12s" under a minute, then "1m 5s" (or "1m").
    waited = queue.locator(".conv-last")
    await expect(waited).to_have_text(WAITED)
    first_wait = waited_seconds(await waited.text_content())
    # The line ticks every second: a couple of seconds later it shows a longer wait.
    await page.wait_for_timeout(2500)
    await expect(waited).to_have_text(WAITED)
    later_wait = waited_seconds(await waited.text_content())
    assert first_wait + 1 <= later_wait <= first_wait + 30, (first_wait, later_wait)
    await screenshot(page, "workbench-queue")

    await page.get_by_role("button", name="Close conversation").click()
    dialog = page.get_by_role("dialog", name="Close this conversation?")
    await dialog.get_by_role("button", name="Close conversation").click()
    closed = await first.expect("event", lambda f: f["name"] == "closed")
    assert closed["data"]["by"] == "agent"
    await expect(history.get_by_text("This conversation is closed.")).to_be_visible()

    # Room again: the waiting visitor is assigned to Alice.
    await second.expect("event", lambda f: f["name"] == "assigned")
    await page.locator("#mine").get_by_text("Anyone there?").click()
    await expect(history.locator(".msg-visitor .text")).to_have_text(["Anyone there?"])
    await expect(queue.get_by_text("Nobody is waiting.")).to_be_visible(timeout=10_000)

    bob, _, _ = await agent(web_server.http_url, web_server.ws_url, "bob")
    await page.get_by_role("button", name="Transfer").click()
    dialog = page.get_by_role("dialog", name="Transfer")
    await dialog.get_by_label("Transfer to").select_option(label="Bob")
    await dialog.get_by_role("button", name="Transfer").click()
    moved = await second.expect("event", lambda f: f["name"] == "transferred")
    assert moved["data"]["agent"]["display_name"] == "Bob"
    await bob.expect("event", lambda f: f["name"] == "assigned")
    await expect(history.get_by_text("Conversation transferred to Bob.")).to_be_visible()
    await expect(page.get_by_role("textbox", name="Reply")).to_be_hidden()

    await page.get_by_role("button", name="切换到中文").click()
    await expect(page.get_by_role("heading", name="我的会话")).to_be_visible()
    await screenshot(page, "workbench-zh")
    for client in (first, second, bob):
        await client.close()
    assert page.kefu_problems == []


async def test_a_reloaded_workbench_shows_the_whole_conversation(
    web_server: ServerProcess, new_page: Any
) -> None:
    page: Page = await new_page()
    await sign_in(page, web_server.http_url + "/workbench")
    await expect(page.locator("#conn")).to_have_text("Online")
    client, _ = await visitor(web_server.ws_url)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "My kettle leaks"})
    await client.expect("event", lambda f: f["name"] == "assigned")
    history = page.get_by_role("log")
    await expect(history.locator(".msg-visitor .text")).to_have_text(["My kettle leaks"])
    reply = page.get_by_role("textbox", name="Reply")
    await reply.fill("Sorry to hear that. Which model?")
    await reply.press("Enter")
    await client.expect("message", lambda f: f["sender"] == "agent")

    # Everything was read before the reload, so the socket replays nothing: the page reads
    # the stored history when the conversation is opened again.
    await page.reload()
    await expect(page.locator("#conn")).to_have_text("Online")
    await page.locator("#mine button.conv").click()
    await expect(history.locator(".msg .text")).to_have_text(
        ["My kettle leaks", "Sorry to hear that. Which model?"]
    )
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "The KT-3"})
    await expect(history.locator(".msg .text")).to_have_text(
        ["My kettle leaks", "Sorry to hear that. Which model?", "The KT-3"]
    )
    assert page.kefu_problems == []
    await client.close()
