"""Fixtures of the attack suite: a real Kefu (and demo shop), tokens and API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from secure_stack import SHOP_KEY, WEBHOOK_SECRET, SecureKefu, login

from demo_shop.launcher import DemoShopProcess
from support.server import free_port


@pytest.fixture(scope="module")
def shop_and_kefu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKefu]:
    """Kefu with the demo shop as its business source, shared by one module's tests."""
    root = tmp_path_factory.mktemp("secure")
    kefu_port, shop_port = free_port(), free_port()
    shop = DemoShopProcess(
        port=shop_port,
        db_path=root / "shop.db",
        api_key=SHOP_KEY,
        kefu_url=f"http://127.0.0.1:{kefu_port}",
        webhook_secret=WEBHOOK_SECRET,
        log_path=root / "shop.log",
    )
    kefu = SecureKefu(kefu_port, root / "kefu", shop_url=shop.url)
    kefu.start()
    shop.start()
    try:
        yield kefu
    finally:
        shop.stop()
        kefu.stop()


@pytest.fixture
async def admin_http(shop_and_kefu: SecureKefu) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with the demo admin's token."""
    session = await login(shop_and_kefu, "admin")
    headers = {"Authorization": f"Bearer {session['token']}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10, headers=headers) as http:
        yield http
