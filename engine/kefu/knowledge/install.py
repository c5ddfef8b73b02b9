"""``kefu pack install``: from a folder (built first), an archive, or a registered pack."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kefu.contracts import Embedder, PluginContext
from kefu.knowledge import distributions
from kefu.knowledge.build import build_pack
from kefu.knowledge.errors import InstallError, PackNotFoundError
from kefu.knowledge.installed import load_built, warm_up
from kefu.knowledge.store import InstalledVersion, PackStore


def _default_embedder() -> Embedder:
    from kefu.embedding import shared_embedder

    return shared_embedder()


def resolve_source(source: str) -> Path:
    """The folder or archive ``source`` names: a path, else a pack registered in kefu.pack."""
    path = Path(source)
    if path.exists():
        return path
    if "/" in source or source.endswith(".gz"):
        raise PackNotFoundError(f"{source} does not exist")
    try:
        return distributions.locate(source)
    except PackNotFoundError as exc:
        raise PackNotFoundError(
            f"{source!r} is neither a pack folder, nor an archive, nor a registered pack: {exc}"
        ) from exc


def install(
    source: str | Path,
    store: PackStore,
    *,
    activate: bool = True,
    embedder_factory: Callable[[], Embedder] | None = None,
    progress: bool = False,
    origin: str | None = None,
) -> InstalledVersion:
    """Install a pack from ``source`` into ``store`` and (by default) activate it.

    ``origin`` is recorded as where the version came from (``source`` when not given).

    A folder is validated and built first; an archive has every checksum verified. Before the
    version is recorded, its plugins are loaded from the extracted files exactly as the
    runtime will load them, so a pack that could not be served (unknown plugin, another
    embedding model or dimension, unloadable artefacts) is refused and nothing changes.
    """
    factory = embedder_factory or _default_embedder
    path = resolve_source(str(source))

    def check(directory: Path, _manifest: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory(prefix="kefu-check-") as scratch:
            context = PluginContext(Path(scratch), factory)
            warm_up(load_built(directory, context), context)

    if path.is_dir():
        with tempfile.TemporaryDirectory(prefix="kefu-install-") as scratch:
            built = build_pack(
                path,
                Path(scratch),
                embedder_factory=embedder_factory,
                progress=progress,
            )
            return store.install_archive(
                built.archive, activate=activate, check=check, source=origin or str(path)
            )
    if path.is_file():
        return store.install_archive(path, activate=activate, check=check, source=origin)
    raise InstallError(f"{path} is neither a folder nor a file")


__all__ = ["install", "resolve_source"]
