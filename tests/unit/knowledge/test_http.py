"""The packs admin API: list, reload and rollback, with clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from knowledge_helpers import set_version
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kefu.assistant.state import DialogState
from kefu.contracts import PluginContext
from kefu.knowledge.http import pack_router
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import PackStore


class MemoryStates:
    """Dialog state in a dict."""

    def __init__(self) -> None:
        self.states: dict[str, DialogState] = {}

    async def get(self, conversation_id: str) -> DialogState:
        return self.states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        self.states[conversation_id] = state


async def test_list_reload_and_rollback(
    tmp_path: Path, tiny: Path, build: Callable[[Path], Path]
) -> None:
    store = PackStore(tmp_path / "data")
    runtime = PackRuntime(store, "tiny", MemoryStates(), context=PluginContext(tmp_path / "p"))
    store.install_archive(build(tiny))
    app = Litestar(route_handlers=[pack_router(store, runtime)])
    async with AsyncTestClient(app) as client:
        listed = (await client.get("/api/packs")).json()
        assert [(p["name"], p["version"], p["active"]) for p in listed["packs"]] == [
            ("tiny", "1.0.0", True)
        ]
        assert listed["serving"]["version"] is None

        response = await client.post("/api/packs/tiny/reload")
        assert response.status_code == 200
        assert response.json()["version"] == "1.0.0"

        set_version(tiny, "1.1.0")
        store.install_archive(build(tiny))
        assert (await client.post("/api/packs/tiny/reload")).json()["version"] == "1.1.0"

        response = await client.post("/api/packs/tiny/rollback")
        assert response.status_code == 200
        body = response.json()
        assert body["active"]["version"] == "1.0.0"
        assert body["serving"]["version"] == "1.0.0"

        response = await client.post("/api/packs/tiny/rollback")
        assert response.status_code == 409
        assert "no earlier version" in response.json()["detail"]

        response = await client.post("/api/packs/other/reload")
        assert response.status_code == 404
        assert "not served by this Kefu" in response.json()["detail"]
        assert (await client.post("/api/packs/other/rollback")).status_code == 404
    await runtime.aclose()


async def test_a_failed_reload_is_422_and_keeps_serving(
    tmp_path: Path, tiny: Path, build: Callable[[Path], Path]
) -> None:
    store = PackStore(tmp_path / "data")
    runtime = PackRuntime(store, "tiny", MemoryStates(), context=PluginContext(tmp_path / "p"))
    store.install_archive(build(tiny))
    await runtime.reload()
    set_version(tiny, "1.1.0")
    installed = store.install_archive(build(tiny))
    (installed.path / "pack" / "faq.jsonl").write_text("{}\n")
    app = Litestar(route_handlers=[pack_router(store, runtime)])
    async with AsyncTestClient(app) as client:
        response = await client.post("/api/packs/tiny/reload")
        assert response.status_code == 422
        body = response.json()
        assert "still serving the previous version" in body["detail"]
        assert "pack/faq.jsonl: checksum mismatch" in body["detail"]
        assert body["extra"]["serving"]["version"] == "1.0.0"
    await runtime.aclose()
