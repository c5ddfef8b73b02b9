"""The admin HTTP API of knowledge packs: list installed packs, reload, roll back.

Mount it with :func:`pack_router`::

    app = Litestar(route_handlers=[..., pack_router(store, runtime, guards=[admin_only])])
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from litestar import Controller, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from litestar.types import Guard

from kefu.knowledge.errors import InstallError, PackError, PackNotFoundError
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import PackStore


def _served(runtime: PackRuntime | None, name: str) -> PackRuntime:
    if runtime is None or runtime.name != name:
        serving = runtime.name if runtime is not None else "no pack"
        raise NotFoundException(f"pack {name!r} is not served by this Kefu (it serves {serving})")
    return runtime


async def _reload(runtime: PackRuntime) -> dict[str, Any]:
    try:
        status = await runtime.reload()
    except PackError as exc:
        raise HTTPException(
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            detail=f"reload failed, still serving the previous version: {exc}",
            extra={"serving": runtime.status.to_dict()},
        ) from exc
    return status.to_dict()


class PackController(Controller):
    """``/api/packs``: what is installed and served, and hot reload / rollback."""

    path = "/api/packs"

    @get("/")
    async def list_packs(
        self,
        pack_store: NamedDependency[PackStore],
        pack_runtime: NamedDependency[PackRuntime | None],
    ) -> dict[str, Any]:
        """Every installed version, and what this process serves."""
        versions = await asyncio.to_thread(pack_store.versions)
        return {
            "packs": [version.to_dict() for version in versions],
            "serving": pack_runtime.status.to_dict() if pack_runtime else None,
        }

    @post("/{name:str}/reload", status_code=HTTP_200_OK)
    async def reload(
        self, name: FromPath[str], pack_runtime: NamedDependency[PackRuntime | None]
    ) -> dict[str, Any]:
        """Load the pack's active version and swap it in (the old one serves until then)."""
        return await _reload(_served(pack_runtime, name))

    @post("/{name:str}/rollback", status_code=HTTP_200_OK)
    async def rollback(
        self,
        name: FromPath[str],
        pack_store: NamedDependency[PackStore],
        pack_runtime: NamedDependency[PackRuntime | None],
    ) -> dict[str, Any]:
        """Re-activate the previous version and, when this process serves the pack, load it."""
        try:
            active = await asyncio.to_thread(pack_store.rollback, name)
        except PackNotFoundError as exc:
            raise NotFoundException(str(exc)) from exc
        except InstallError as exc:
            raise HTTPException(status_code=HTTP_409_CONFLICT, detail=str(exc)) from exc
        serving = None
        if pack_runtime is not None and pack_runtime.name == name:
            serving = await _reload(pack_runtime)
        return {"active": active.to_dict(), "serving": serving}


def pack_router(
    store: PackStore, runtime: PackRuntime | None = None, *, guards: Sequence[Guard] = ()
) -> Router:
    """A router serving :class:`PackController` over ``store`` and (optionally) ``runtime``."""

    def provide_store() -> PackStore:
        return store

    def provide_runtime() -> PackRuntime | None:
        return runtime

    return Router(
        path="/",
        route_handlers=[PackController],
        guards=list(guards),
        dependencies={
            "pack_store": Provide(provide_store, sync_to_thread=False),
            "pack_runtime": Provide(provide_runtime, sync_to_thread=False),
        },
    )
