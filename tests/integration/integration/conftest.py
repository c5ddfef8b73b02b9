"""Fixtures for the integration module's tests: a real demo shop server and Kefu's store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from shop_support import SHOP_KEY

from demo_shop.launcher import DemoShopProcess
from kefu.store.database import Database
from support.server import free_port


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoShopProcess]:
    """A demo shop server process (uvicorn) with seeded data, for one test module."""
    root = tmp_path_factory.mktemp("shop")
    shop = DemoShopProcess(
        port=free_port(), db_path=root / "shop.db", api_key=SHOP_KEY, log_path=root / "shop.log"
    )
    shop.start()
    yield shop
    shop.stop()


@pytest.fixture
async def kefu_db(tmp_path: Path) -> AsyncIterator[Database]:
    """Kefu's store on a fresh SQLite file, migrated to head."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
    await database.migrate()
    yield database
    await database.close()
