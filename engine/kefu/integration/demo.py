"""``kefu demo`` support: start the demo shop beside Kefu and point the integration at it.

The shop runs as a child process with its own SQLite file in Kefu's data directory, sends
signed webhooks to Kefu, and is Kefu's business source through the generic REST adapter and
the shop's mapping file (``pkg:demo_shop/kefu-adapter.toml``), like any other system would be.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from kefu.integration.service import AdapterSettings, IntegrationSettings

if TYPE_CHECKING:
    from demo_shop.launcher import DemoShopProcess

#: The sender name the demo shop signs its webhooks as.
DEMO_SENDER = "demo-shop"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _persistent_secret(path: Path) -> str:
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def start_demo_business(
    data_dir: Path, kefu_url: str, *, shop_port: int | None = None
) -> tuple[DemoShopProcess, IntegrationSettings]:
    """Start the demo shop (blocking until it answers) and return it with the integration
    settings that connect Kefu to it. Stop it with ``shop.stop()`` when Kefu stops."""
    from demo_shop.launcher import DemoShopProcess

    data_dir.mkdir(parents=True, exist_ok=True)
    secret = _persistent_secret(data_dir / "demo-shop-webhook.key")
    api_key = _persistent_secret(data_dir / "demo-shop-api.key")
    shop = DemoShopProcess(
        port=shop_port or _free_port(),
        db_path=data_dir / "demo_shop.db",
        kefu_url=kefu_url,
        webhook_secret=secret,
        api_key=api_key,
        log_path=data_dir / "demo_shop.log",
    )
    shop.start()
    settings = IntegrationSettings(
        webhook_secrets={DEMO_SENDER: [secret]},
        adapters={
            "shop": AdapterSettings(
                plugin="rest",
                options={
                    "mapping": "pkg:demo_shop/kefu-adapter.toml",
                    "base_url": shop.url,
                    "api_key": api_key,
                },
            )
        },
    )
    return shop, settings
