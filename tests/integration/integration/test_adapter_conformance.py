"""Both built-in adapters pass the BusinessAdapter conformance suite against real systems."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shop_support import SHOP_KEY, ashop_rows

from demo_shop.launcher import DemoShopProcess
from kefu.contracts import ActionRequest, BusinessAdapter
from kefu.testing.adapter import BusinessAdapterConformance
from kefu_plugins.adapters.rest import RestAdapter
from kefu_plugins.adapters.sql import SqlAdapter

MAPPING = "pkg:demo_shop/kefu-adapter.toml"


class TestRestAdapterOnDemoShop(BusinessAdapterConformance):
    known_customer = "C1001"
    unknown_customer = "C9999"
    required_sections = ("profile", "orders", "payments")

    @pytest.fixture(autouse=True)
    def _shop(self, demo_shop: DemoShopProcess) -> None:
        self.shop = demo_shop

    async def make_adapter(self) -> BusinessAdapter:
        return RestAdapter(mapping=MAPPING, base_url=self.shop.url, api_key=SHOP_KEY)

    def sample_action(self, key: str) -> ActionRequest:
        return ActionRequest(
            kind="flag_order",
            customer_id="C1001",
            params={"order_id": "SO-100231", "reason": f"conformance {key}"},
            idempotency_key=key,
            requested_by="conformance",
        )

    async def count_effects(self, action: ActionRequest) -> int:
        rows = await ashop_rows(
            self.shop,
            "SELECT count(*) FROM order_flags WHERE order_id = ? AND reason = ?",
            action.params["order_id"],
            action.params["reason"],
        )
        return int(rows[0][0])  # type: ignore[call-overload]


LEGACY_SCHEMA = """
CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, tier TEXT NOT NULL);
CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL,
                     placed_at TEXT NOT NULL);
CREATE TABLE order_flags (order_key TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id),
                          reason TEXT NOT NULL);
"""


@pytest.fixture(scope="module")
def legacy_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("legacy") / "crm.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SCHEMA)
        conn.execute("INSERT INTO customers VALUES ('L-1', 'Ana Silva', 'gold')")
        now = datetime.now(UTC).isoformat()
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?)",
            [("LO-5001", "L-1", "paid", now), ("LO-5002", "L-1", "shipped", now)],
        )
    yield path


SQL_MAPPING = {
    "name": "legacy-crm",
    "sections": {
        "profile": {
            "query": "SELECT id, name, tier FROM customers WHERE id = :customer_id",
            "single": True,
        },
        "orders": {
            "query": "SELECT id, status, placed_at FROM orders "
            "WHERE customer_id = :customer_id ORDER BY id"
        },
    },
    "actions": {
        "flag_order": {
            "statement": "INSERT INTO order_flags (order_key, order_id, reason) "
            "VALUES (:idempotency_key, :order_id, :reason)",
            "exists": "SELECT 1 FROM order_flags WHERE order_key = :idempotency_key",
            "detail": "order flagged",
        }
    },
}


class TestSqlAdapterOnLegacyDatabase(BusinessAdapterConformance):
    known_customer = "L-1"
    unknown_customer = "L-404"
    required_sections = ("profile", "orders")

    @pytest.fixture(autouse=True)
    def _db(self, legacy_db: Path) -> None:
        self.path = legacy_db

    async def make_adapter(self) -> BusinessAdapter:
        return SqlAdapter(mapping=SQL_MAPPING, url=f"sqlite+aiosqlite:///{self.path}")

    def sample_action(self, key: str) -> ActionRequest:
        return ActionRequest(
            kind="flag_order",
            customer_id="L-1",
            params={"order_id": "LO-5001", "reason": "late"},
            idempotency_key=key,
            requested_by="conformance",
        )

    async def count_effects(self, action: ActionRequest) -> int:
        with sqlite3.connect(self.path) as conn:
            row = conn.execute(
                "SELECT count(*) FROM order_flags WHERE order_key = ?", (action.idempotency_key,)
            ).fetchone()
        return int(row[0])
