"""create_app wiring, in process: plugins from the registry, migrations, demo seeding."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from kefu.app import DEMO_PASSWORD, create_app
from kefu.gateway.state import STATE_KEY, GatewayState
from kefu.registry import PluginNotFoundError
from kefu.settings import Settings
from kefu.store import Agents


def _settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, secret_key="s" * 40, demo=True, **overrides)  # type: ignore[arg-type]


async def test_the_configured_plugins_are_loaded_and_demo_agents_seeded_once(
    tmp_path: Path,
) -> None:
    for _ in range(2):  # a second start on the same data directory changes nothing
        app = create_app(_settings(tmp_path))
        state: GatewayState = app.state[STATE_KEY]
        assert state.service._filters.names == ("sensitive_words",)
        async with AsyncTestClient(app) as client:
            assert (await client.get("/api/health")).json() == {"status": "ok"}
            login = {"username": "alice", "password": DEMO_PASSWORD}
            assert (await client.post("/api/agents/login", json=login)).status_code == 200
            async with state.database.read() as conn:
                assert [a.username for a in await Agents(conn).all()] == ["admin", "alice", "bob"]


async def test_an_unknown_plugin_name_fails_at_build_time_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PluginNotFoundError, match="no_such_filter"):
        create_app(_settings(tmp_path, filters=("no_such_filter",)))
    with pytest.raises(PluginNotFoundError, match="no_such_policy"):
        create_app(_settings(tmp_path, policy="no_such_policy"))


def test_a_server_leaves_one_cpu_to_its_event_loop(tmp_path: Path) -> None:
    import os

    import torch

    from kefu.embedding import default_threads

    cpus = os.cpu_count() or 1
    torch.set_num_threads(cpus)
    try:
        create_app(_settings(tmp_path))
        assert torch.get_num_threads() == default_threads() == max(1, cpus - 1)
    finally:
        torch.set_num_threads(cpus)
