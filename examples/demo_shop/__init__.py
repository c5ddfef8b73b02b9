"""A small demo business system (shop) that Kefu integrates with: customers, orders, logistics.

It has its own SQLite database, a REST API guarded by an API key, idempotent write endpoints and
signed webhooks to Kefu. Start it with ``python -m demo_shop --port 8100 --kefu-url URL
--webhook-secret S`` or, from Python, :func:`demo_shop.launcher.start_demo_shop`.
"""

from demo_shop.config import ShopConfig

__all__ = ["ShopConfig"]
