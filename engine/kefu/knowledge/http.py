"""The admin HTTP API of knowledge packs: list, install by upload, reload, roll back.

Mount it with :func:`pack_router`::

    app = Litestar(route_handlers=[..., pack_router(store, runtime, guards=[admin_only])])

``POST /api/packs`` takes the archive ``kefu pack build`` writes as ``multipart/form-data``
(file field ``archive``, optional ``activate`` flag), streams it to a private directory under
the data directory, and installs it off the event loop exactly as ``kefu pack install`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from litestar.types import Guard

from kefu.knowledge.errors import InstallError, PackError, PackNotFoundError
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import InstalledVersion, PackStore
from kefu.knowledge.upload import (
    ReceivedUpload,
    UploadError,
    check_declared_length,
    receive_archive,
)

#: Records an admin action: ``(request, action, subject, data)`` (who acted is in the request).
AuditHook = Callable[[Request[Any, Any, Any], str, str, Mapping[str, Any]], Awaitable[None]]
#: The default cap of one uploaded archive.
DEFAULT_UPLOAD_MAX_BYTES = 512 * 1024 * 1024
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"", "0", "false", "off", "no"})


@dataclass(frozen=True, slots=True)
class UploadConfig:
    """Where uploaded archives are staged, how large they may be, and the audit trail."""

    directory: Path
    max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES
    audit: AuditHook | None = None


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


def _flag(fields: Mapping[str, str], name: str) -> bool:
    value = fields.get(name, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise HTTPException(
        status_code=HTTP_400_BAD_REQUEST,
        detail=f"form field {name!r} must be true or false, not {value!r}",
    )


async def _install_upload(
    store: PackStore, upload: ReceivedUpload, activate: bool
) -> InstalledVersion:
    from kefu.knowledge.install import install  # the builder behind it loads on first use

    try:
        return await asyncio.to_thread(
            install,
            upload.path,
            store,
            activate=activate,
            origin=f"upload:{upload.filename}",
        )
    except PackError as exc:
        # The staged path means nothing to the operator; name the file they sent.
        detail = str(exc).replace(str(upload.path), upload.filename)
        raise HTTPException(
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            detail=f"the archive was refused, nothing installed changed: {detail}",
        ) from exc


class PackController(Controller):
    """``/api/packs``: what is installed and served, install by upload, reload / rollback."""

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

    @post("/", status_code=HTTP_201_CREATED)
    async def install_pack(
        self,
        request: Request[Any, Any, Any],
        pack_store: NamedDependency[PackStore],
        pack_runtime: NamedDependency[PackRuntime | None],
        pack_upload: NamedDependency[UploadConfig],
    ) -> dict[str, Any]:
        """Install an uploaded pack archive (multipart field ``archive``; ``activate`` flag).

        413 above the size cap, 415 for anything but a ``.kpack``/``.tar.gz`` file, 422 with
        the installer's reason for a damaged or unservable archive; none of them changes what
        is installed. An activated version of the pack this process serves is loaded at once.
        """
        try:
            check_declared_length(request.headers.get("content-length"), pack_upload.max_bytes)
            upload = await receive_archive(
                request.stream(),
                request.headers.get("content-type", ""),
                pack_upload.directory,
                pack_upload.max_bytes,
            )
        except UploadError as exc:
            raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc
        try:
            activate = _flag(upload.fields, "activate")
            installed = await _install_upload(pack_store, upload, activate)
        finally:
            await upload.discard()
        serving = None
        if installed.active and pack_runtime is not None and pack_runtime.name == installed.name:
            try:
                serving = (await pack_runtime.reload()).to_dict()
            except PackError:
                # Installed and active on disk; the status says why it is not served yet.
                serving = pack_runtime.status.to_dict()
        if pack_upload.audit is not None:
            await pack_upload.audit(
                request,
                "pack.install",
                f"pack:{installed.name}",
                {"version": installed.version, "file": upload.filename, "activate": activate},
            )
        return {"installed": installed.to_dict(), "serving": serving}

    @post("/{name:str}/reload", status_code=HTTP_200_OK)
    async def reload(
        self, name: FromPath[str], pack_runtime: NamedDependency[PackRuntime | None]
    ) -> dict[str, Any]:
        """Load the pack's active version and swap it in (the old one serves until then)."""
        return await _reload(_served(pack_runtime, name))

    @post("/{name:str}/rollback", status_code=HTTP_200_OK)
    async def rollback(
        self,
        request: Request[Any, Any, Any],
        name: FromPath[str],
        pack_store: NamedDependency[PackStore],
        pack_runtime: NamedDependency[PackRuntime | None],
        pack_upload: NamedDependency[UploadConfig],
    ) -> dict[str, Any]:
        """Re-activate the previous version and, when this process serves the pack, load it."""
        try:
            active = await asyncio.to_thread(pack_store.rollback, name)
        except PackNotFoundError as exc:
            raise NotFoundException(str(exc)) from exc
        except InstallError as exc:
            raise HTTPException(status_code=HTTP_409_CONFLICT, detail=str(exc)) from exc
        if pack_upload.audit is not None:
            await pack_upload.audit(
                request, "pack.rollback", f"pack:{name}", {"version": active.version}
            )
        serving = None
        if pack_runtime is not None and pack_runtime.name == name:
            serving = await _reload(pack_runtime)
        return {"active": active.to_dict(), "serving": serving}


def pack_router(
    store: PackStore,
    runtime: PackRuntime | None = None,
    *,
    guards: Sequence[Guard] = (),
    upload: UploadConfig | None = None,
) -> Router:
    """A router serving :class:`PackController` over ``store`` and (optionally) ``runtime``.

    Uploads are staged under ``upload.directory`` (default: ``uploads`` beside the packs).
    """
    config = upload or UploadConfig(store.root.parent / "uploads")

    def provide_store() -> PackStore:
        return store

    def provide_runtime() -> PackRuntime | None:
        return runtime

    def provide_upload() -> UploadConfig:
        return config

    return Router(
        path="/",
        route_handlers=[PackController],
        guards=list(guards),
        dependencies={
            "pack_store": Provide(provide_store, sync_to_thread=False),
            "pack_runtime": Provide(provide_runtime, sync_to_thread=False),
            "pack_upload": Provide(provide_upload, sync_to_thread=False),
        },
        # The upload route bounds its own stream (with a message naming the setting); Litestar's
        # cap on top would race it, since one received chunk can jump past both at once.
        request_max_body_size=None,
    )
