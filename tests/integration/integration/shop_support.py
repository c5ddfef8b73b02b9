"""Helpers for the integration module's tests: reading the demo shop's own database."""

from __future__ import annotations

import asyncio
import sqlite3

from demo_shop.launcher import DemoShopProcess

SHOP_KEY = "shop-test-key-0123456789"


def shop_rows(shop: DemoShopProcess, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Run a read query on the shop's own database file."""
    with sqlite3.connect(shop.db_path) as conn:
        return list(conn.execute(sql, params))


async def ashop_rows(shop: DemoShopProcess, sql: str, *params: object) -> list[tuple[object, ...]]:
    """:func:`shop_rows` off the event loop."""
    return await asyncio.to_thread(shop_rows, shop, sql, *params)
