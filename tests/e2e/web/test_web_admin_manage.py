"""Managing Kefu from the admin page in headless Chromium: install a knowledge pack by uploading
its archive (then reload and roll back), and change an agent's role."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from e2e.web.browser import screenshot, sign_in
from kefu.knowledge.build import build_pack
from support.client import login
from support.server import TESTS_DIR, ServerProcess

TINY_PACK = TESTS_DIR / "fixtures" / "knowledge" / "tiny"


@pytest.fixture(scope="session")
def tiny_pack_v11(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test pack ``tiny`` built as version 1.1.0."""
    root = tmp_path_factory.mktemp("tiny-v11")
    pack = root / "tiny"
    shutil.copytree(TINY_PACK, pack)
    toml = pack / "pack.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    return build_pack(pack, root, isolate=False).archive


def _unexpected(page: Page, expected_status: str) -> list[str]:
    """Console problems, less the refusal the test provoked on purpose."""
    problems: list[str] = page.kefu_problems  # type: ignore[attr-defined]
    return [p for p in problems if f"status of {expected_status}" not in p]


async def test_admin_installs_a_pack_by_upload_then_rolls_back(
    pack_web_server: ServerProcess, tiny_pack_v11: Path, tmp_path: Path, new_page: Any
) -> None:
    page: Page = await new_page(width=1280, height=900)
    await sign_in(page, pack_web_server.http_url + "/admin#packs", "admin")
    await expect(page.get_by_text("Serving: tiny 1.0.0")).to_be_visible()
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(1)

    # A file that is no pack archive: the installer's reason is shown, nothing is listed.
    bogus = tmp_path / "bogus.kpack"
    bogus.write_bytes(b"not a pack at all")
    await page.get_by_label("Pack archive").set_input_files(bogus)
    await page.get_by_role("button", name="Install").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("the archive was refused, nothing installed changed")
    await expect(alert).to_contain_text("bogus.kpack")
    await expect(rows).to_have_count(1)

    # The real archive, activated: listed with its evaluation figures and served at once.
    await page.get_by_label("Pack archive").set_input_files(tiny_pack_v11)
    await page.get_by_label("Activate it").check()
    await page.get_by_role("button", name="Install").click()
    await expect(page.get_by_text("Installed tiny 1.1.0; it is the active version.")).to_be_visible(
        timeout=60_000
    )
    await expect(page.get_by_text("Serving: tiny 1.1.0")).to_be_visible()
    await expect(rows).to_have_count(2)
    new_row = page.get_by_role("row", name="1.1.0", exact=False)
    await expect(new_row).to_contain_text("active")
    await expect(new_row).to_contain_text("intent accuracy 100%")
    await expect(new_row).to_contain_text("recall@5")
    await screenshot(page, "admin-packs", full_page=True)

    # Reload the active version, then roll back to 1.0.0.
    await new_row.get_by_role("button", name="Reload").click()
    await page.get_by_role("dialog", name="Confirm").get_by_role("button", name="Confirm").click()
    await expect(page.get_by_text("Done.")).to_be_visible(timeout=15_000)
    await expect(page.get_by_text("Serving: tiny 1.1.0")).to_be_visible()
    await (
        page.get_by_role("row", name="1.1.0", exact=False)
        .get_by_role("button", name="Roll back")
        .click()
    )
    await page.get_by_role("dialog", name="Confirm").get_by_role("button", name="Confirm").click()
    await expect(page.get_by_text("Serving: tiny 1.0.0")).to_be_visible(timeout=15_000)
    await expect(page.get_by_role("row", name="1.0.0", exact=False)).to_contain_text("active")
    await expect(page.get_by_role("row", name="1.1.0", exact=False)).not_to_contain_text("active")

    assert _unexpected(page, "422") == []
    assert page.kefu_dialogs == []  # type: ignore[attr-defined]


async def test_admin_changes_an_agents_role(web_server: ServerProcess, new_page: Any) -> None:
    page: Page = await new_page(width=1280, height=800)
    await sign_in(page, web_server.http_url + "/admin", "admin")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Agents & roles")
    bob = page.get_by_label("Role of Bob")
    await expect(bob).to_have_value("supervisor")
    await expect(page.get_by_label("Role of Alice")).to_have_value("agent")
    await expect(page.get_by_text("Roles cannot be seen", exact=False)).to_have_count(0)

    # Cancelling the confirmation leaves the role as it was.
    await bob.select_option("admin")
    dialog = page.get_by_role("dialog", name="Change role")
    await expect(dialog).to_contain_text("from Supervisor to Admin")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(bob).to_have_value("supervisor")

    await bob.select_option("admin")
    await dialog.get_by_role("button", name="Change role").click()
    await expect(page.get_by_text("Bob is now Admin.")).to_be_visible()
    await expect(page.get_by_label("Role of Bob")).to_have_value("admin")
    await expect(page.get_by_text("null", exact=True)).to_have_count(0)
    await screenshot(page, "admin-agents")

    # The server agrees: bob signs in as an admin now.
    assert (await login(web_server.http_url, "bob"))["role"] == "admin"
    # After a reload the table still shows the stored role.
    await page.reload()
    await expect(page.get_by_label("Role of Bob")).to_have_value("admin")
    assert page.kefu_problems == []  # type: ignore[attr-defined]
    assert page.kefu_dialogs == []  # type: ignore[attr-defined]
